"""SandboxFusion CommonOJ rows (`load_commonoj`), as stdio tasks in any contest language: `test` [{input:
{stdin}, output: {stdout}}], compared as SandboxFusion does (comparator sandboxfusion). Ids `commonoj/<id>`.
"""

from __future__ import annotations

import json
from typing import Any

from codereward.tasks._validate import json_type
from codereward.tasks.contests._common import (
    SKIP_NO_TESTS,
    ContestTasks,
    _stdio_task,
    contest_language,
    load_rows,
)
from codereward.tasks.loaders import _Row
from codereward.tasks.model import Task
from codereward.tasks.samples import PathLike

# SandboxFusion's run_timeout defaults for CommonOJ (sandbox/utils/testing.py check_stdio_test_case): 10 s for
# its compile_languages (cpp, go, java), 20 s for the others.
COMMONOJ_CASE_TIME = {"python": 20.0, "javascript": 20.0}
COMMONOJ_COMPILED_CASE_TIME = 10.0
SKIP_COMMONOJ_FORMAT = "problems in a format other than Standard (SandboxFusion judges Standard only)"
SKIP_COMMONOJ_FILES = "problems whose tests use several files, or a file and the standard stream both"


def _json_value(row: _Row, key: str, kind: type, what: str) -> Any:
    """row[key], decoded when it is JSON text (SandboxFusion's ensure_json: json.loads(strict=False))."""
    value = row.obj.get(key)
    if isinstance(value, str):
        try:
            value = json.loads(value, strict=False)
        except json.JSONDecodeError as e:
            raise row.error(f"'{key}' is not valid JSON: {e.msg} at column {e.colno}", key) from None
    if value is not None and not isinstance(value, kind):
        raise row.error(f"'{key}' must be {what}, got {json_type(value)}", key)
    return value


def _plain_file(name: str) -> bool:
    return bool(name) and "/" not in name and "\0" not in name and name not in (".", "..")


def _commonoj_cases(row: _Row, tests: list[Any]) -> tuple[list[dict[str, Any]], dict[str, str]] | None:
    """The cases, and the input_file / output_file the tests use; None when they use files the stdio model
    cannot give (several, one beside the stream with other content, names that are not plain)."""
    cases: list[dict[str, Any]] = []
    in_files: set[str] = set()
    out_files: set[str] = set()
    out_stream = False
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            raise row.error(f"each test must be an object {{input, output}}, got {json_type(test)}", f"test.{i}")
        parts = []
        for part in ("input", "output"):
            value = test.get(part)
            if not isinstance(value, dict):
                raise row.error(f"'{part}' must be an object (stream or file name -> text), got {json_type(value)}",
                                f"test.{i}.{part}")
            for name, text in value.items():
                if not isinstance(text, str):
                    raise row.error(f"must be a string, got {json_type(text)}", f"test.{i}.{part}.{name}")
            parts.append(value)
        given, wanted = parts
        files_in = [n for n in given if n != "stdin"]
        files_out = [n for n in wanted if n != "stdout"]
        if not wanted:
            raise row.error("the test gives no expected output", f"test.{i}.output")
        if len(files_in) > 1 or len(files_out) > 1 or (files_out and "stdout" in wanted):
            return None
        if files_in and "stdin" in given and given["stdin"] != given[files_in[0]]:
            return None
        in_files.update(files_in)
        out_files.update(files_out)
        out_stream = out_stream or "stdout" in wanted
        stdin = given["stdin"] if "stdin" in given else given[files_in[0]] if files_in else ""
        cases.append({"stdin": stdin, "stdout": wanted["stdout"] if "stdout" in wanted else wanted[files_out[0]]})
    if len(in_files) > 1 or len(out_files) > 1 or (out_files and out_stream):
        return None
    if not all(_plain_file(n) for n in in_files | out_files) or (in_files and in_files == out_files):
        return None
    files = {key: names.pop() for key, names in (("input_file", in_files), ("output_file", out_files)) if names}
    return cases, files


def load_commonoj(path: PathLike, language: str = "python", *, case_time: float | None = None,
                  comparator: str = "sandboxfusion") -> ContestTasks:
    """SandboxFusion CommonOJ rows (bytedance/SandboxFusion sandbox/datasets/common_oj.py, its docs'
    dataset-detail/common-oj.md) as stdio tasks in `language`: `id`, `content` (the statement: the prompt,
    not used here), `labels` {problem_format: "Standard" by default}, `test` [{input: {stdin | <file>: text},
    output: {stdout | <file>: text}}] (`labels` and `test` may be JSON text, as SandboxFusion stores them),
    `canonical_solution` (not used: a reference in another language would mislead). All cases visible.

    Outputs compare with `comparator`, by default `sandboxfusion`: SandboxFusion's check_stdio_test_case as
    CommonOJ calls it (stripped lines, lower-cased, floats within 1e-5 relative). Each case's CPU limit is
    `case_time`, else SandboxFusion's run_timeout defaults: 10 s for compiled languages, 20 s for python and
    javascript (its cases are wall-clock: here CPU, times the language's factor); memory the default.

    Files: SandboxFusion runs stdin/stdout only; a problem whose tests name one input file (beside or instead
    of stdin, with the same text) and/or one output file (instead of stdout) gets model.StdioSuite's
    input_file / output_file. Skipped, and counted: formats other than Standard (Testlib, Code Interface: not
    implemented by SandboxFusion either), problems whose tests use other files, and problems without tests.
    Ids `commonoj/<id>`."""
    language = contest_language(language)
    seconds = case_time or COMMONOJ_CASE_TIME.get(language, COMMONOJ_COMPILED_CASE_TIME)

    def task(row: _Row, _index: int) -> Task | str:
        rid = row.get("id", (str, int), "a string or a number")
        labels = _json_value(row, "labels", dict, "an object") or {}
        problem_format = labels.get("problem_format")
        if problem_format is not None and not isinstance(problem_format, str):
            raise row.error(f"'problem_format' must be a string, got {json_type(problem_format)}",
                            "labels.problem_format")
        tests = _json_value(row, "test", list, "a list of tests")
        if (problem_format or "Standard").strip().lower() != "standard":
            return SKIP_COMMONOJ_FORMAT
        if not tests:
            return SKIP_NO_TESTS
        parsed = _commonoj_cases(row, tests)
        if parsed is None:
            return SKIP_COMMONOJ_FILES
        cases, files = parsed
        return _stdio_task(row, f"commonoj/{rid}", language, cases, seconds, None, files, comparator=comparator)

    return load_rows(path, "id", task)
