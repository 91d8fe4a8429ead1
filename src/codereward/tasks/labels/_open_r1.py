"""open-r1's `verification_info` labels: `{"language"?, "test_cases": [{"input", "output", "type"?}]}`, as
`stdio` tests compared by tokens, as APPS's are."""

from __future__ import annotations

from typing import Any

from codereward.errors import InputError
from codereward.tasks._validate import json_type, need, optional
from codereward.tasks.labels._build import build_task, label_limits, stdio_suite, stdio_text
from codereward.tasks.model import Task


def from_verification_info(obj: dict[str, Any], tid: str) -> Task:
    """A `verification_info` object (Python only; `stdin_stdout` cases only)."""
    language = optional(obj, "language", str, "a string")
    if language is not None and language.lower() not in ("python", "python3", "py"):
        raise InputError(f"only Python is supported, not {language!r}", field="language")
    raw = need(obj, "test_cases", list, "a list")
    if not raw:
        raise InputError("no test cases", field="test_cases")
    cases = []
    for n, case in enumerate(raw):
        where = f"test_cases.{n}"
        if not isinstance(case, dict):
            raise InputError(f"a test case must be an object, got {json_type(case)}", field=where)
        kind = case.get("type", "stdin_stdout")
        if kind != "stdin_stdout":
            raise InputError(f"only 'stdin_stdout' test cases are supported, not {kind!r}", field=f"{where}.type")
        cases.append({"stdin": stdio_text(need(case, "input", (str, list), "a string", prefix=f"{where}."),
                                          f"{where}.input", "an input"),
                      "stdout": stdio_text(need(case, "output", (str, list), "a string", prefix=f"{where}."),
                                           f"{where}.output", "an output")})
    return build_task(id=tid, tests=stdio_suite(obj, cases), limits=label_limits(obj, len(cases)))
