"""LiveCodeBench code_generation problems (`load_livecodebench`): stdin problems as stdio tasks in any contest
language, LeetCode (functional) ones as Python call tasks.

Rows: `question_id`, `public_test_cases` (JSON text of [{input, output, testtype}]), `private_test_cases` (the
same, or base64 of zlib of a pickled JSON string), `metadata` (JSON text; `func_name` for LeetCode problems).
Cases: public (visible), then private (held out). `case_time` 6 s: LCB's `--timeout` (its wall-clock
`signal.alarm`). Ids `lcb/<question_id>`.

LCB compares stdout line by line, numbers as Decimals ("1.0" == "1"); here by tokens. A functional problem's
input is one JSON value per line, one line per argument (labels/_apps.py); LCB compares results with plain ==
after tuple -> list, so only the unwrapping of an expected [x] is more lenient here.

Reading LCB's compressed tests unpickles data from the file: with an unpickler that loads no class or function
at all, so a crafted file can only fail to load, never run code.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import zlib
from typing import Any

from codereward.tasks._validate import json_type
from codereward.tasks.contests._common import (
    SKIP_CALL,
    SKIP_NO_TESTS,
    ContestTasks,
    _call_task,
    _located,
    _stdio_task,
    contest_language,
    load_rows,
)
from codereward.tasks.labels._apps import _call_cases
from codereward.tasks.loaders import _Row
from codereward.tasks.model import Task
from codereward.tasks.samples import PathLike

LCB_CASE_TIME = 6.0  # LiveCodeBench's --timeout default (lcb_runner/runner/parser.py)


class _StringUnpickler(pickle.Unpickler):
    """Loads plain data only (LCB pickles one str): any class or function a pickle names is refused, and
    naming one is the only way a pickle runs code."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _lcb_decompress(text: str) -> Any:
    """LCB's compressed form: base64 of zlib of a pickled JSON string (lcb_runner/benchmarks/code_generation.py)."""
    data = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    value = _StringUnpickler(io.BytesIO(data)).load()
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        raise ValueError(f"the pickle holds {type(value).__name__}, not a JSON string")
    return json.loads(value)


def _lcb_tests(row: _Row, key: str) -> list[dict[str, Any]]:
    value = row.obj.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            if value.lstrip()[:1] in ("[", "{"):
                raise row.error(f"not valid JSON: {e.msg} at column {e.colno}", key) from None
            try:
                value = _lcb_decompress(value.strip())
            except (ValueError, binascii.Error, zlib.error, pickle.UnpicklingError, EOFError, UnicodeError,
                    json.JSONDecodeError, IndexError, KeyError, TypeError, MemoryError) as e2:
                raise row.error(f"neither JSON nor LiveCodeBench's compressed tests (base64 of zlib of a pickled "
                                f"JSON string): {e2}", key) from None
    if not isinstance(value, list):
        raise row.error(f"'{key}' must be a list of tests, got {json_type(value)}", key)
    for i, test in enumerate(value):
        if not isinstance(test, dict):
            raise row.error(f"each test must be an object {{input, output, testtype}}, got {json_type(test)}",
                            f"{key}.{i}")
        for part in ("input", "output"):
            if not isinstance(test.get(part), str):
                raise row.error(f"'{part}' must be a string, got {json_type(test.get(part))}", f"{key}.{i}.{part}")
    return value


def _lcb_func_name(row: _Row) -> str | None:
    metadata = row.obj.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else {}
        except json.JSONDecodeError as e:
            raise row.error(f"'metadata' is not valid JSON: {e.msg}", "metadata") from None
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise row.error(f"'metadata' must be an object, got {json_type(metadata)}", "metadata")
    name = metadata.get("func_name")
    if name is not None and not (isinstance(name, str) and name.isidentifier()):
        raise row.error(f"'func_name' must be a function name, got {name!r:.40}", "metadata.func_name")
    return name


def _lcb_calls(row: _Row, key: str, tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Functional tests as call cases: each input line one JSON argument, the output JSON (labels/_apps.py)."""
    inputs, outputs = [t["input"] for t in tests], [t["output"] for t in tests]
    cases: list[dict[str, Any]] = _located(row, lambda: _call_cases(inputs, outputs, lambda i, k: f"{key}.{i}.{k}"))
    return cases


def load_livecodebench(path: PathLike, language: str = "python", *,
                       case_time: float | None = None) -> ContestTasks:
    """LiveCodeBench code_generation problems: stdin problems as stdio tasks in `language`, LeetCode
    (functional) ones as Python call tasks (skipped, and counted, for other languages); public tests visible,
    private held out. Each case gets LCB's 6 s unless `case_time` is given."""
    language = contest_language(language)
    seconds = case_time or LCB_CASE_TIME

    def task(row: _Row, _index: int) -> Task | str:
        qid = row.get("question_id", (str, int), "a string")
        tid = f"lcb/{qid}"
        splits = [(key, visible, _lcb_tests(row, key))
                  for key, visible in (("public_test_cases", True), ("private_test_cases", False))]
        fn_name = _lcb_func_name(row)
        if not any(tests for _, _, tests in splits):
            return SKIP_NO_TESTS
        if fn_name is None:
            functional = [f"{key}.{i}" for key, _, tests in splits for i, t in enumerate(tests)
                          if t.get("testtype") == "functional"]
            if functional:
                raise row.error("a functional test needs 'func_name' in the metadata", functional[0])
            cases = [{"stdin": t["input"], "stdout": t["output"], "visible": visible}
                     for _, visible, tests in splits for t in tests]
            return _stdio_task(row, tid, language, cases, seconds, None)
        if language != "python":
            return SKIP_CALL
        cases = [{**c, "visible": visible} for key, visible, tests in splits for c in _lcb_calls(row, key, tests)]
        return _call_task(row, tid, fn_name, cases, seconds, None)

    return load_rows(path, "question_id", task)


