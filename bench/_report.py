"""Shared by the bench scripts: writing their figures as JSON."""

from __future__ import annotations

import json
from pathlib import Path


def dump_json(doc: dict, dest: str) -> None:
    """Write `doc` as indented JSON to the file `dest`, or to stdout when dest is '-'."""
    text = json.dumps(doc, indent=1, default=str)
    if dest == "-":
        print(text)
    else:
        Path(dest).write_text(text + "\n")
