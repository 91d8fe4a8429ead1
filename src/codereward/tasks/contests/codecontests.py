"""DeepMind's CodeContests (`load_codecontests`), as stdio tasks in any contest language.

Rows (the Hugging Face export): `name`, `public_tests`, `private_tests`, `generated_tests` ({input: [...],
output: [...]}), `time_limit` ({seconds, nanos}, a number of seconds, or null), `memory_limit_bytes`,
`input_file` / `output_file`. Cases: public (visible), then private and generated (held out). `case_time` from
time_limit (else 2 s), `memory_mb` from memory_limit_bytes (else 256). Ids `codecontests/<name>`.

File-I/O problems (`input_file` / `output_file` set) get those files (model.StdioSuite input_file/output_file):
the input in input.txt as well as on stdin, the answer read from output.txt.
"""

from __future__ import annotations

from typing import Any

from codereward.tasks._validate import json_type
from codereward.tasks.contests._common import (
    CODECONTESTS_CASE_TIME,
    CODECONTESTS_MEMORY_MB,
    SKIP_NO_TESTS,
    ContestTasks,
    _bytes_to_mb,
    _seconds_text,
    _stdio_task,
    contest_language,
    load_rows,
)
from codereward.tasks.loaders import _Row
from codereward.tasks.model import Task
from codereward.tasks.samples import PathLike

_CC_SPLITS = (("public_tests", True), ("private_tests", False), ("generated_tests", False))
_STDIO_FILES = ("", "stdin", "stdout", "standard input", "standard output")


def _cc_cases(row: _Row) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for key, visible in _CC_SPLITS:
        tests = row.obj.get(key)
        if tests is None:
            continue
        if not isinstance(tests, dict):
            raise row.error(f"'{key}' must be an object {{input: [...], output: [...]}}, got {json_type(tests)}",
                            key)
        inputs, outputs = tests.get("input") or [], tests.get("output") or []
        for part, values in (("input", inputs), ("output", outputs)):
            if not isinstance(values, list):
                raise row.error(f"'{part}' must be a list of strings, got {json_type(values)}", f"{key}.{part}")
            for i, value in enumerate(values):
                if not isinstance(value, str):
                    raise row.error(f"must be a string, got {json_type(value)}", f"{key}.{part}.{i}")
        if len(inputs) != len(outputs):
            raise row.error(f"{len(inputs)} inputs but {len(outputs)} outputs", f"{key}.output")
        cases += [{"stdin": i, "stdout": o, "visible": visible} for i, o in zip(inputs, outputs)]
    return cases


def _cc_seconds(row: _Row) -> float | None:
    value = row.obj.get("time_limit")
    if value is None:
        return None
    if isinstance(value, dict):
        parts = []
        for key in ("seconds", "nanos"):
            part = value.get(key) or 0
            if not isinstance(part, int | float) or isinstance(part, bool) or part < 0:
                raise row.error(f"must be a non-negative number, got {part!r:.40}", f"time_limit.{key}")
            parts.append(part)
        seconds = parts[0] + parts[1] / 1e9
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        return _seconds_text(value)
    else:
        raise row.error(f"'time_limit' must be {{seconds, nanos}} or a number of seconds, got {json_type(value)}",
                        "time_limit")
    return seconds if seconds > 0 else None


def _cc_memory(row: _Row) -> int | None:
    value = row.obj.get("memory_limit_bytes")
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise row.error(f"'memory_limit_bytes' must be a non-negative number, got {value!r:.40}",
                        "memory_limit_bytes")
    return _bytes_to_mb(int(value)) if value else None


def load_codecontests(path: PathLike, language: str = "cpp17", *, case_time: float | None = None) -> ContestTasks:
    """CodeContests problems as stdio tasks in `language`: public tests visible, private and generated held
    out; each case's CPU limit the problem's time_limit (else 2 s) unless `case_time` is given, memory its
    memory_limit_bytes (else 256 MB). Outputs compare by tokens: CodeContests' own OutputsMatch also
    lower-cases and accepts numbers within 1e-5 (absolute), so a few of its accepted outputs fail here."""
    language = contest_language(language)

    def task(row: _Row, _index: int) -> Task | str:
        name = row.text("name")
        cases = _cc_cases(row)
        # File-I/O problems: the case's input is also in input_file, the answer read from output_file.
        files = {k: f.strip() for k in ("input_file", "output_file")
                 if isinstance(f := row.obj.get(k), str) and f.strip().lower() not in _STDIO_FILES}
        if not cases:
            return SKIP_NO_TESTS
        seconds = case_time or _cc_seconds(row) or CODECONTESTS_CASE_TIME
        return _stdio_task(row, f"codecontests/{name}", language, cases, seconds,
                           _cc_memory(row) or CODECONTESTS_MEMORY_MB, files)

    return load_rows(path, "name", task)
