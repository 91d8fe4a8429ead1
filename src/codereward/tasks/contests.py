"""Competitive-programming benchmarks from the files users have: CodeContests, TACO / APPS and LiveCodeBench,
as stdin/stdout tasks in any language (tasks/model.py: python, c, cpp17, cpp20, java, javascript), plus Python
call tasks for their function-style problems. Nothing is downloaded.

    codecontests   DeepMind's CodeContests rows (the Hugging Face export): `name`, `public_tests`,
                   `private_tests`, `generated_tests` ({input: [...], output: [...]}), `time_limit`
                   ({seconds, nanos}, a number of seconds, or null), `memory_limit_bytes`, `input_file` /
                   `output_file`. Cases: public (visible), then private and generated (held out).
                   `case_time` from time_limit (else 2 s), `memory_mb` from memory_limit_bytes (else 256).
    taco / apps    TACO (BAAI/TACO) and APPS (codeparrot/apps) rows: `input_output`, JSON text of
                   {inputs, outputs, fn_name?}; TACO's free-text `time_limit` ("2 seconds") and
                   `memory_limit` ("256 megabytes"). All cases visible: the datasets have no split.
                   `case_time` from time_limit (else 4 s, the per-test timeout of both datasets' harness);
                   `memory_mb` from memory_limit (else the default: their harness caps none).
    livecodebench  LiveCodeBench code_generation rows: `question_id`, `public_test_cases` (JSON text of
                   [{input, output, testtype}]), `private_test_cases` (the same, or base64 of zlib of a
                   pickled JSON string), `metadata` (JSON text; `func_name` for LeetCode problems).
                   Cases: public (visible), then private (held out). `case_time` 6 s: LCB's `--timeout`.

Task ids are `codecontests/<name>`, `taco/<row index>` (0-based, in file order: TACO has no ids),
`apps/<problem_id>` (else the row index) and `lcb/<question_id>`. Tasks have no prompt: the candidate is the
whole program. The problem statement stays in the user's file (it is the model's prompt, not the program's).

Files: JSON Lines, plain or .gz; `.parquet` (the Hub's CodeContests and LiveCodeBench releases) and `.arrow`
(a `datasets` cache or TACO's release files) when pyarrow is importable, their row numbers (1-based) standing
in for line numbers in errors.

Decisions (and where they differ from each dataset's own evaluator):

* Output comparison is by whitespace-separated tokens (`comparator: tokens`, testlib's wcmp), for every
  dataset. CodeContests' OutputsMatch also lower-cases tokens and accepts numbers within 1e-5 (absolute);
  LiveCodeBench compares line by line, numbers as Decimals ("1.0" == "1"); APPS/TACO's harness has a chain
  of lenient fallbacks. Problems with several correct answers fail correct programs under all of these.
* Limits: `case_time` is CPU seconds per case, times the language's factor (languages/native.py), the same
  for every language, as Codeforces does. TACO's harness ignores the statement's limit (4 s per test for
  all); give `case_time=4` to reproduce it. LCB's 6 s is its wall-clock `signal.alarm`. Every loader takes
  `case_time=` to override all its tasks' limit. Each case may write 4 MB, or twice its expected output
  plus 1 MB when that is more.
* Function-style problems (APPS/TACO rows with `fn_name`, LiveCodeBench's LeetCode problems) become Python
  `call` tasks, parsed as the training labels parse them (labels/_apps.py): an APPS input is the argument
  list, an LCB input one JSON value per line, one line per argument; results compare as APPS's reader does
  (a returned tuple as a list; an expected [x] also accepts x). LCB compares with plain == after tuple ->
  list, so only that unwrapping is more lenient here. A `class Solution` answer (LeetCode's starter code) is
  called through `Solution().<fn_name>` once `codereward.label_program(task, code)` has made the program.
  Call tests run in one process with no per-test limit, so the execution gets `case_time` + 0.5 s a test
  (at most 60 s). In any other language these problems cannot be judged and are skipped.
* Also skipped: problems without tests. CodeContests' file-I/O problems (`input_file` / `output_file` set)
  get those files (model.StdioSuite input_file/output_file): the input in input.txt as well as on stdin, the
  answer read from output.txt.
  Skips are counted by reason in the returned mapping's `skipped` and logged as one warning.
* The datasets' solutions are not used as a `reference`: a task may be judged in another language
  (Task.in_language), and a reference in the wrong language would only mislead.
* Reading LCB's compressed tests unpickles data from the file: with an unpickler that loads no class or
  function at all, so a crafted file can only fail to load, never run code.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import io
import json
import logging
import math
import os
import pickle
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import ValidationError

from codereward.errors import InputError
from codereward.tasks._validate import json_type, validation_error
from codereward.tasks.labels._apps import _APPS_CALL_CHECKER, _call_cases
from codereward.tasks.labels._build import stdio_text
from codereward.tasks.loaders import _Row
from codereward.tasks.model import LANGUAGE_ALIASES, NATIVE_LANGUAGES, Limits, Task
from codereward.tasks.samples import PathLike, read_jsonl

_log = logging.getLogger(__name__)

CONTEST_LANGUAGES = ("python", *NATIVE_LANGUAGES)

CODECONTESTS_CASE_TIME, CODECONTESTS_MEMORY_MB = 2.0, 256  # the research notes' fallbacks (CF's usual limits)
TACO_CASE_TIME = 4.0  # APPS's and TACO's testing_util: `timeout = 4` per test
LCB_CASE_TIME = 6.0  # LiveCodeBench's --timeout default (lcb_runner/runner/parser.py)
_CALL_TIME_PER_TEST, _CALL_MAX_TIME = 0.5, 60.0
_OUTPUT_KB = Limits.model_fields["output_kb"].default

# Why rows were skipped (the keys of ContestTasks.skipped).
SKIP_CALL = "function-call problems (judged in Python only)"
SKIP_NO_TESTS = "problems without tests"


class ContestTasks(dict[str, Task]):
    """The tasks by id, and `skipped`: how many rows were left out, by reason (SKIP_* above)."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped: dict[str, int] = {}

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, lines: dict[str, int], task: Task, row: _Row, field: str) -> None:
        """Keep `task`; InputError naming the row's id `field` when an earlier row has its id."""
        if task.id in self:
            raise row.error(f"duplicate task id {task.id!r} (first on line {lines[task.id]})", field)
        self[task.id], lines[task.id] = task, row.line

    def report(self, source: str, rows: int) -> ContestTasks:
        if self.skipped:
            why = ", ".join(f"{n} {reason}" for reason, n in self.skipped.items())
            _log.warning("%s: skipped %d of %d problems: %s", source, sum(self.skipped.values()), rows, why)
        return self


# -- reading rows ---------------------------------------------------------------------------------------------


def read_rows(path: PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """`(line or row number, row)` of a JSONL file (plain or .gz), or of a .parquet / .arrow file."""
    name = os.fspath(path)
    if name.endswith((".parquet", ".arrow")):
        yield from _arrow_rows(name)
    else:
        yield from read_jsonl(path)


def _arrow_rows(source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    kind = "parquet" if source.endswith(".parquet") else "arrow"
    try:
        pa = importlib.import_module("pyarrow")
        reader = importlib.import_module("pyarrow.parquet" if kind == "parquet" else "pyarrow.ipc")
    except ImportError:
        raise InputError(f"reading .{kind} files needs pyarrow (pip install pyarrow); or convert the file to "
                         "JSONL", source=source) from None
    try:
        if kind == "parquet":
            batches: Iterator[Any] = reader.ParquetFile(source).iter_batches(batch_size=256)
        else:
            batches = _ipc_batches(pa, reader, source)
        n = 0
        for batch in batches:
            for row in batch.to_pylist():
                n += 1
                yield n, row
    except (OSError, pa.ArrowException) as e:
        raise InputError(f"cannot read the {kind} file: {e}", source=source) from None


def _ipc_batches(pa: Any, ipc: Any, source: str) -> Iterator[Any]:
    """An Arrow IPC file's record batches: the stream format (what `datasets` writes), else the file format."""
    with open(source, "rb") as f:
        try:
            stream = ipc.open_stream(f)
        except pa.ArrowInvalid:  # not a stream: the random-access file format
            f.seek(0)
            file = ipc.open_file(f)
            for i in range(file.num_record_batches):
                yield file.get_batch(i)
            return
        yield from stream


# -- shared pieces --------------------------------------------------------------------------------------------


def contest_language(language: str) -> str:
    """`language` by its canonical name (aliases like "cpp" accepted); InputError if no contest task has it."""
    name = str(language).strip().lower()
    name = LANGUAGE_ALIASES.get(name, name)
    if name not in CONTEST_LANGUAGES:
        raise InputError(f"unknown language {language!r} for competitive-programming tasks; valid: "
                         f"{', '.join(CONTEST_LANGUAGES)} (or an alias: {', '.join(sorted(LANGUAGE_ALIASES))})",
                         field="language")
    return name


def _located(row: _Row, fn: Callable[[], Any]) -> Any:
    """fn(), with the file and line added to an InputError raised without them (labels/_apps.py's)."""
    try:
        return fn()
    except InputError as e:
        if e.source is not None:
            raise
        raise InputError(e.message, source=row.source, line=row.line, field=e.field) from None


def _task(row: _Row, fields: dict[str, Any]) -> Task:
    try:
        return Task.model_validate(fields)
    except ValidationError as e:
        raise validation_error(e, source=row.source, line=row.line) from None


def _stdio_limits(case_time: float, memory_mb: int | None, outputs: list[str]) -> dict[str, Any]:
    longest = max((len(o.encode("utf-8", "surrogatepass")) for o in outputs), default=0)
    limits: dict[str, Any] = {"case_time": case_time,
                              "output_kb": max(_OUTPUT_KB, math.ceil(2 * longest / 1024) + 1024)}
    if memory_mb is not None:
        limits["memory_mb"] = memory_mb
    return limits


def _call_limits(case_time: float, memory_mb: int | None, n_cases: int) -> dict[str, Any]:
    limits: dict[str, Any] = {"time": min(_CALL_MAX_TIME, case_time + _CALL_TIME_PER_TEST * n_cases)}
    if memory_mb is not None:
        limits["memory_mb"] = memory_mb
    return limits


def _stdio_task(row: _Row, tid: str, language: str, cases: list[dict[str, Any]], case_time: float,
                memory_mb: int | None, files: dict[str, str] | None = None) -> Task:
    return _task(row, {
        "id": tid, "language": language,
        "limits": _stdio_limits(case_time, memory_mb, [c["stdout"] for c in cases]),
        "tests": {"kind": "stdio", "cases": cases, "comparator": "tokens", **(files or {})},
    })


def _call_task(row: _Row, tid: str, fn_name: str, cases: list[dict[str, Any]], case_time: float,
               memory_mb: int | None) -> Task:
    return _task(row, {
        "id": tid, "language": "python", "entry_point": fn_name,
        "limits": _call_limits(case_time, memory_mb, len(cases)),
        "tests": {"kind": "call", "cases": cases, "checker": _APPS_CALL_CHECKER},
    })


_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_SECONDS = re.compile(_NUMBER + r"\s*(ms|milli\w*|s\b|sec\w*)?", re.IGNORECASE)
_MEMORY = re.compile(_NUMBER + r"\s*(k|m|g)?(?:i?b\b|\w*bytes?\b)?", re.IGNORECASE)


def _seconds_text(text: str) -> float | None:
    """"2 seconds", "1.5 s", "500 ms", "2" -> seconds; None when the text gives no positive time."""
    m = _SECONDS.search(text)
    if m is None:
        return None
    value = float(m.group(1))
    if (m.group(2) or "").lower().startswith("m"):
        value /= 1000
    return value if value > 0 else None


def _megabytes_text(text: str) -> int | None:
    """"256 megabytes", "64 MB", "1 GB", "262144 KB" -> MB; None when the text gives no positive size."""
    m = _MEMORY.search(text)
    if m is None:
        return None
    value = float(m.group(1)) * {"k": 1 / 1024, "g": 1024}.get((m.group(2) or "m").lower(), 1)
    return max(1, math.ceil(value)) if value > 0 else None


def _bytes_to_mb(n: int) -> int:
    """memory_limit_bytes as MB: whole MiB when it is a multiple of one (268435456), else decimal megabytes
    (CodeContests writes Codeforces' "256 megabytes" as 256000000), rounded up."""
    mib = 1024 * 1024
    return n // mib if n % mib == 0 else math.ceil(n / 1_000_000)


# -- CodeContests ---------------------------------------------------------------------------------------------

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
    source = os.fspath(path)
    tasks, rows = ContestTasks(), 0
    lines: dict[str, int] = {}
    for lineno, obj in read_rows(path):
        rows += 1
        row = _Row(obj, source, lineno)
        name = row.text("name")
        cases = _cc_cases(row)
        # File-I/O problems: the case's input is also in input_file, the answer read from output_file.
        files = {k: f.strip() for k in ("input_file", "output_file")
                 if isinstance(f := row.obj.get(k), str) and f.strip().lower() not in _STDIO_FILES}
        if not cases:
            tasks.skip(SKIP_NO_TESTS)
            continue
        seconds = case_time or _cc_seconds(row) or CODECONTESTS_CASE_TIME
        task = _stdio_task(row, f"codecontests/{name}", language, cases, seconds,
                           _cc_memory(row) or CODECONTESTS_MEMORY_MB, files)
        tasks.add(lines, task, row, "name")
    return tasks.report(source, rows)


# -- TACO and APPS --------------------------------------------------------------------------------------------


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


def _apps_task(row: _Row, tid: str, language: str, case_time: float | None, tasks: ContestTasks) -> Task | None:
    io_ = _input_output(row)
    inputs, outputs = (io_.get("inputs"), io_.get("outputs")) if io_ is not None else (None, None)
    if not inputs and not outputs:
        tasks.skip(SKIP_NO_TESTS)
        return None
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
            tasks.skip(SKIP_CALL)
            return None
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
    source = os.fspath(path)
    tasks, rows = ContestTasks(), 0
    lines: dict[str, int] = {}
    for lineno, obj in read_rows(path):
        index, rows = rows, rows + 1
        row = _Row(obj, source, lineno)
        problem_id = obj.get("problem_id")
        key = problem_id if isinstance(problem_id, int | str) and not isinstance(problem_id, bool) else index
        task = _apps_task(row, f"{dataset}/{key}", language, case_time, tasks)
        if task is not None:
            tasks.add(lines, task, row, "problem_id")
    return tasks.report(source, rows)


def load_apps(path: PathLike, language: str = "python", *, case_time: float | None = None) -> ContestTasks:
    """APPS problems (codeparrot/apps rows: `problem_id`, `input_output`): TACO's format (`load_taco`)."""
    return load_taco(path, language, case_time=case_time, dataset="apps")


# -- LiveCodeBench --------------------------------------------------------------------------------------------


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
    source = os.fspath(path)
    tasks, rows = ContestTasks(), 0
    lines: dict[str, int] = {}
    for lineno, obj in read_rows(path):
        rows += 1
        row = _Row(obj, source, lineno)
        qid = row.get("question_id", (str, int), "a string")
        tid = f"lcb/{qid}"
        splits = [(key, visible, _lcb_tests(row, key))
                  for key, visible in (("public_test_cases", True), ("private_test_cases", False))]
        fn_name = _lcb_func_name(row)
        if not any(tests for _, _, tests in splits):
            tasks.skip(SKIP_NO_TESTS)
            continue
        if fn_name is None:
            functional = [f"{key}.{i}" for key, _, tests in splits for i, t in enumerate(tests)
                          if t.get("testtype") == "functional"]
            if functional:
                raise row.error("a functional test needs 'func_name' in the metadata", functional[0])
            cases = [{"stdin": t["input"], "stdout": t["output"], "visible": visible}
                     for _, visible, tests in splits for t in tests]
            task = _stdio_task(row, tid, language, cases, seconds, None)
        elif language != "python":
            tasks.skip(SKIP_CALL)
            continue
        else:
            cases = [{**c, "visible": visible} for key, visible, tests in splits for c in _lcb_calls(row, key, tests)]
            task = _call_task(row, tid, fn_name, cases, seconds, None)
        tasks.add(lines, task, row, "question_id")
    return tasks.report(source, rows)


CONTEST_LOADERS: dict[str, Callable[..., ContestTasks]] = {
    "codecontests": load_codecontests,
    "taco": load_taco,
    "apps": load_apps,
    "livecodebench": load_livecodebench,
}
