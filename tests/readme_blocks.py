"""README.md's fenced code blocks, and the shell commands in them, as tests/test_readme.py runs them.

A block is a CommonMark fence (three or more backticks or tildes, indented by at most three spaces, as in a
list item) with its info string's first word as the language. A bash block holds one command per line; a
command goes on over the next lines while a quote is open or the line ends with a backslash. Comments and
blank lines between commands are not commands.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    lang: str  # the info string's first word: "bash", "python", "json", or "" for none
    text: str  # the content, without the fence's indentation
    line: int  # 1-based line of the opening fence in the file

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.lang or 'no language'})"


@dataclass(frozen=True)
class Command:
    source: str  # as written, trailing comment included: what runs
    line: int  # 1-based line in the file
    block: Block

    @property
    def code(self) -> str:
        """The command without its trailing comment: what the test tables are keyed by."""
        return strip_comment(self.source)

    @property
    def id(self) -> str:
        first = " ".join(self.code.split("\n", 1)[0].split())
        return first if len(first) <= 80 else first[:77] + "..."


def blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m["indent"]), m["fence"], m["info"].strip()
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            line = lines[j]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))):])
            j += 1
        if j == len(lines):
            raise ValueError(f"README.md:{i + 1}: code block never closed")
        found.append(Block(lang=info.split()[0] if info else "", text="\n".join(body) + "\n", line=i + 1))
        i = j + 1
    return found


def commands(block: Block) -> list[Command]:
    found: list[Command] = []
    pending: list[str] = []
    start = 0
    for offset, line in enumerate(block.text.splitlines()):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            start = offset
        pending.append(line)
        text = "\n".join(pending)
        if text.endswith("\\"):
            continue
        try:
            shlex.split(text, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        found.append(Command(source=text, line=block.line + 1 + start, block=block))
        pending = []
    if pending:
        raise ValueError(f"{block}: unterminated command {pending[0]!r}")
    return found


def strip_comment(source: str) -> str:
    """`source` without a trailing `# comment` (a `#` that starts a word outside quotes), right-stripped."""
    quote: str | None = None
    escaped = False
    for i, ch in enumerate(source):
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or source[i - 1].isspace()):
            return source[:i].rstrip()
    return source.rstrip()


def json_values(text: str) -> list[object]:
    """The JSON values of a block written as a sequence of values, each possibly wrapped over lines
    (a README's JSONL example wraps its long lines for reading)."""
    decoder = json.JSONDecoder()
    values, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return values
        value, i = decoder.raw_decode(text, i)
        values.append(value)
