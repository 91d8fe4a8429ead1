"""TACO (BAAI/TACO, `load_taco`) and APPS (codeparrot/apps, `load_apps`): stdio tasks in any contest language,
and Python call tasks for their function-style problems.

Rows: `input_output`, JSON text of {inputs, outputs, fn_name?}; TACO's free-text `time_limit` ("2 seconds")
and `memory_limit` ("256 megabytes"). All cases visible: the datasets have no split. `case_time` from
time_limit (else 4 s, the per-test timeout of both datasets' harness); `memory_mb` from memory_limit (else the
default: their harness caps none). Ids `taco/<row index>` (0-based, in file order: TACO has no ids) and
`apps/<problem_id>` (else the row index).

TACO's harness ignores the statement's limit (4 s per test for all); give `case_time=4` to reproduce it. Rows
with `fn_name` become call tasks, parsed as the training labels parse them (labels/_apps.py: an input is the
argument list); in any other language than Python they are skipped.
"""

from __future__ import annotations

import json
from typing import Any

from codereward.tasks._validate import json_type
from codereward.tasks.contests._common import (
    SKIP_CALL,
    SKIP_NO_TESTS,
    ContestTasks,
    _call_task,
    _located,
    _megabytes_text,
    _seconds_text,
    _stdio_task,
    contest_language,
    load_rows,
)
from codereward.tasks.labels._apps import _call_cases
from codereward.tasks.labels._build import stdio_text
from codereward.tasks.loaders import _Row
from codereward.tasks.model import Task
from codereward.tasks.samples import PathLike

TACO_CASE_TIME = 4.0  # APPS's and TACO's testing_util: `timeout = 4` per test


def _input_output(row: _Row) -> dict[str, Any] | None:
    """The row's `input_output` object; None when the row has no tests (APPS leaves some empty)."""
    value = row.obj.get("input_output")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise row.error(f"'input_output' is not valid JSON: {e.msg}", "input_output") from None
    if not isinstance(value, dict):
        raise row.error(f"'input_output' must be an object, got {json_type(value)}", "input_output")
    return value


def _apps_task(row: _Row, tid: str, language: str, case_time: float | None) -> Task | str:
    """The row's task, or why it is skipped (SKIP_*)."""
    io_ = _input_output(row)
    inputs, outputs = (io_.get("inputs"), io_.get("outputs")) if io_ is not None else (None, None)
    if not inputs and not outputs:
        return SKIP_NO_TESTS
    for key, value in (("inputs", inputs), ("outputs", outputs)):
        if not isinstance(value, list):
            raise row.error(f"'{key}' must be a list, got {json_type(value)}", f"input_output.{key}")
    assert isinstance(inputs, list) and isinstance(outputs, list)
    if len(inputs) != len(outputs):
        raise row.error(f"{len(inputs)} inputs but {len(outputs)} outputs", "input_output.outputs")
    assert io_ is not None
    fn_name = io_.get("fn_name")
    if fn_name is not None and not (isinstance(fn_name, str) and fn_name.strip()):
        raise row.error(f"'fn_name' must be a function name, got {fn_name!r:.40}", "input_output.fn_name")
    time_text, memory_text = row.obj.get("time_limit"), row.obj.get("memory_limit")
    seconds = case_time or (_seconds_text(time_text) if isinstance(time_text, str) else None) or TACO_CASE_TIME
    memory = _megabytes_text(memory_text) if isinstance(memory_text, str) else None
    if fn_name:
        if language != "python":
            return SKIP_CALL
        cases = _located(row, lambda: _call_cases(inputs, outputs, lambda i, k: f"input_output.{k}s.{i}"))
        return _call_task(row, tid, fn_name.strip(), cases, seconds, memory)
    cases = _located(row, lambda: [
        {"stdin": stdio_text(i, f"input_output.inputs.{n}", "an input"),
         "stdout": stdio_text(o, f"input_output.outputs.{n}", "an output")}
        for n, (i, o) in enumerate(zip(inputs, outputs))])
    return _stdio_task(row, tid, language, cases, seconds, memory)


def load_taco(path: PathLike, language: str = "python", *, case_time: float | None = None,
              dataset: str = "taco") -> ContestTasks:
    """TACO (or APPS: `load_apps`) problems: stdio tasks in `language`; with `fn_name`, Python call tasks
    (skipped, and counted, for other languages). Each case's CPU limit is the row's free-text time_limit
    (else 4 s) unless `case_time` is given; memory its memory_limit, if any. Ids `taco/<row index>`, or
    `<dataset>/<problem_id>` when rows have one (APPS)."""
    language = contest_language(language)

    def task(row: _Row, index: int) -> Task | str:
        problem_id = row.obj.get("problem_id")
        key = problem_id if isinstance(problem_id, int | str) and not isinstance(problem_id, bool) else index
        return _apps_task(row, f"{dataset}/{key}", language, case_time)

    return load_rows(path, "problem_id", task)


def load_apps(path: PathLike, language: str = "python", *, case_time: float | None = None) -> ContestTasks:
    """APPS problems (codeparrot/apps rows: `problem_id`, `input_output`): TACO's format (`load_taco`)."""
    return load_taco(path, language, case_time=case_time, dataset="apps")


