"""Competitive-programming benchmarks from the files users have: CodeContests, TACO / APPS, LiveCodeBench,
open-r1's Codeforces and IOI sets and SandboxFusion's CommonOJ, as stdin/stdout tasks in any language
(tasks/model.py: python, c, cpp17, cpp20, java, go, javascript), plus Python call tasks for their
function-style problems. Nothing is downloaded.

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
    open-r1-codeforces  open-r1/codeforces rows (`load_open_r1_codeforces`): official tests, then the generated
                   ones of open-r1's CF_TESTS_FOLDER; `generated_checker` run as open-r1's Piston package
                   runs it (`cf_checker`), else that package's comparison (comparator open_r1_codeforces).
    open-r1-ioi    open-r1/ioi rows, one per subtask (`load_open_r1_ioi`): one task per problem with IOI
                   `subtasks`; only problems without a grader or checker (none of the release's: see there).
    commonoj       SandboxFusion CommonOJ rows (`load_commonoj`): `test` [{input: {stdin}, output: {stdout}}],
                   compared as SandboxFusion does (comparator sandboxfusion).

Task ids are `codecontests/<name>`, `taco/<row index>` (0-based, in file order: TACO has no ids),
`apps/<problem_id>` (else the row index), `lcb/<question_id>`, `cf/<contest>/<index>`, `ioi/<year>/<id>` and
`commonoj/<id>`. Tasks have no prompt: the candidate is the whole program. The problem statement stays in the
user's file (it is the model's prompt, not the program's).

Files: JSON Lines, plain or .gz; `.parquet` (the Hub's CodeContests and LiveCodeBench releases) and `.arrow`
(a `datasets` cache or TACO's release files) when pyarrow is importable, their row numbers (1-based) standing
in for line numbers in errors.

Decisions (and where they differ from each dataset's own evaluator):

* Output comparison is by whitespace-separated tokens (`comparator: tokens`, testlib's wcmp) for the first
  four datasets. CodeContests' OutputsMatch also lower-cases tokens and accepts numbers within 1e-5
  (absolute); LiveCodeBench compares line by line, numbers as Decimals ("1.0" == "1"); APPS/TACO's harness
  has a chain of lenient fallbacks. Problems with several correct answers fail correct programs under all of
  these. The last three reproduce their own judge (its checker, or the comparison of the harness the dataset
  was made for: sandboxed/compare.py's presets), since a dataset's labels mean "right as that judge says".
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
_CF_BACKSTOP = Limits.model_fields["time"].default

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
                memory_mb: int | None, files: dict[str, str] | None = None, time: float | None = None,
                **suite: Any) -> Task:
    """A stdio task comparing by tokens; `suite`: more of the StdioSuite's fields (comparator, checker...);
    `time`: the execution's backstop at least this (Limits.time)."""
    limits = _stdio_limits(case_time, memory_mb, [c["stdout"] for c in cases])
    if time is not None:
        limits["time"] = time
    return _task(row, {
        "id": tid, "language": language, "limits": limits,
        "tests": {"kind": "stdio", "cases": cases, "comparator": "tokens", **(files or {}), **suite},
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


# -- open-r1/codeforces -----------------------------------------------------------------------------------------

CF_TESTS_ENV = "CF_TESTS_FOLDER"  # open-r1's own variable for the generated tests' folder (cf_scoring.py)
CF_CHECKER_TIME = 10.0  # the Piston codeforces run script: `run_with_timeout 10 python3 checker.py ...`
SKIP_INTERACTIVE = "interactive problems (the dataset has no interactor)"
SKIP_CF_CHECKER = "problems whose generated_checker does not compile"
_CF_FILES = {"input_file": "input.txt", "output_file": "output.txt"}  # input_mode "file"
_CR_AT_LINE_END = re.compile(r"\r(?=\n|\Z)")  # sed 's/\r$//'

# A generated_checker as a StdioSuite checker (run in the judge: standard library only). The Piston
# `codeforces` package (guipenedo/piston packages/codeforces/1.0.0/run), which open-r1's cf_scoring.py calls,
# writes the files and runs `python3 checker.py <input> correct_output.txt <solution output>` with a 10 s
# timeout; open-r1 counts the test passed when the script exits 0 having printed "1", which it does when the
# checker exited 0 and its stdout, every whitespace character removed, is "1" or "100". Here the checker's
# code runs in the judge's process: fresh files in a temporary directory, sys.argv set, stdout captured, exit
# statuses as `python3` gives them. The files hold what the run script leaves in them: the input with "\r"
# at line ends removed (the case's stdin already is: the program reads the same), the expected output through
# bash's `$(cat)` and `echo` and then without "\r" at line ends or empty lines, the program's output without
# empty lines. A checker that raises fails the test with its exception in the detail (python3 would exit 1).
_CF_CHECKER = r'''
import builtins
import contextlib
import io
import os
import re
import shutil
import signal
import sys
import tempfile

CODE = compile(SOURCE, "checker.py", "exec")
TIME = {time!r}
_CR_AT_LINE_END = re.compile(r"\r(?=\n|\Z)")
_ECHO_OPTIONS = re.compile("-[neE]+")
_BLANKS = re.compile("[ \t\n\v\f\r]")


class CheckerTimeout(Exception):
    pass


class _Kept(io.BytesIO):
    def close(self):  # a checker closing sys.stdout keeps what it printed
        pass


def _answer(text):
    text = text.replace("\0", "").rstrip("\n")
    text = "" if _ECHO_OPTIONS.fullmatch(text) else _CR_AT_LINE_END.sub("", text + "\n")
    return "".join(line + "\n" for line in text.split("\n")[:-1] if line)


def _output(text):
    *lines, last = text.split("\n")
    return "".join(line + "\n" for line in lines if line) + last


def _write(path, text):
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    with open(path, "wb") as f:
        f.write(data)


def _status(code):
    if code is None:
        return 0
    return code & 0xFF if isinstance(code, int) else 1


def _alarm(signum, frame):
    raise CheckerTimeout(f"the checker ran past {TIME:g} s")


def _exit(code):
    raise SystemExit(code)


def _run(argv):
    raw = _Kept()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)
    ns = {"__name__": "__main__", "__file__": "checker.py", "__builtins__": builtins}
    if not hasattr(builtins, "exit"):  # the site module's exit() and quit()
        ns["exit"] = ns["quit"] = sys.exit
    saved = sys.argv, os._exit
    sys.argv, os._exit = argv, _exit  # os._exit would end the judge: it ends the checker instead
    try:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, TIME)
        timed = True
    except ValueError:  # not the main thread: no timer
        timed = False
    try:
        with contextlib.redirect_stdout(out):
            try:
                exec(CODE, ns)
                status = 0
            except SystemExit as e:
                status = _status(e.code)
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        sys.argv, os._exit = saved
    return status, raw.getvalue().decode("utf-8", "replace")


def check_output(stdin, output, expected):
    folder = tempfile.mkdtemp(prefix="checker-")
    try:
        paths = [os.path.join(folder, name) for name in ("input.txt", "correct_output.txt", "output.txt")]
        for path, text in zip(paths, (stdin, _answer(expected), _output(output))):
            _write(path, text)
        status, printed = _run(["checker.py", *paths])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return status == 0 and _BLANKS.sub("", printed) in ("1", "100")
'''


def cf_checker(source: str) -> str:
    """The StdioSuite checker running an open-r1/codeforces `generated_checker` as Piston's codeforces
    package runs it (see _CF_CHECKER)."""
    return (f'"""open-r1/codeforces generated_checker, run as guipenedo/piston packages/codeforces/1.0.0/run runs '
            f'it."""\n\nSOURCE = {source!r}\n' + _CF_CHECKER.replace("{time!r}", repr(CF_CHECKER_TIME)))


def _cf_input(text: str) -> str:
    """A case's input as the run script feeds it: `sed -i 's/\\r$//'`, one "\\r" at each line's end removed."""
    return _CR_AT_LINE_END.sub("", text)


def _cf_test_list(row: _Row, key: str) -> list[tuple[str, str]]:
    """`examples` / `official_tests`: [{input, output}] (null: none)."""
    value = row.obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise row.error(f"'{key}' must be a list of tests {{input, output}}, got {json_type(value)}", key)
    tests = []
    for i, test in enumerate(value):
        if not isinstance(test, dict):
            raise row.error(f"each test must be an object {{input, output}}, got {json_type(test)}", f"{key}.{i}")
        for part in ("input", "output"):
            if not isinstance(test.get(part), str):
                raise row.error(f"'{part}' must be a string, got {json_type(test.get(part))}", f"{key}.{i}.{part}")
        tests.append((test["input"], test["output"]))
    return tests


def _cf_number(row: _Row, key: str) -> float | None:
    value = row.obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0 or math.isinf(value):
        raise row.error(f"'{key}' must be a non-negative number, got {value!r:.40}", key)
    return float(value) or None


def _cf_text(row: _Row, key: str) -> str | None:
    value = row.obj.get(key)
    if value is not None and not isinstance(value, str):
        raise row.error(f"'{key}' must be a string or null, got {json_type(value)}", key)
    return value or None


def _cf_generated_tests(folder: str, contest: str, wanted: set[str]) -> dict[str, list[tuple[str, str]]]:
    """open-r1's generated tests of one contest, for the problems in `wanted`: the rows {problem_id, input,
    output} of `test_cases_<contest:04d>.parquet` in `folder`, in file order (cf_scoring.py
    get_generated_contest_tests); none when the contest has no file there."""
    path = os.path.join(folder, f"test_cases_{int(contest):04d}.parquet")
    if not os.path.exists(path):
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for number, obj in read_rows(path):
        row = _Row(obj, path, number)
        pid = row.text("problem_id")
        if pid in wanted:
            found.setdefault(pid, []).append((row.text("input"), row.text("output")))
    return found


def load_open_r1_codeforces(path: PathLike, language: str = "cpp17", tests_folder: PathLike | None = None, *,
                            case_time: float | None = None, comparator: str = "open_r1_codeforces") -> ContestTasks:
    """open-r1/codeforces problems as stdio tasks in `language`, judged as open-r1's `cf_code_reward` judges
    them (huggingface/open-r1 cf_scoring.py, through the Piston `codeforces` package).

    Rows (JSONL, .gz or .parquet): `id` ("<contest>/<index>"), `time_limit` (s), `memory_limit` (MB),
    `input_mode` (stdio | file: the program reads input.txt and writes output.txt), `official_tests` and
    `examples` ([{input, output}]), `generated_checker` (Python source or null), `interaction_format`.
    Cases: the official tests, then the generated ones in `tests_folder` (default: $CF_TESTS_FOLDER, open-r1's
    own variable): `test_cases_<contest:04d>.parquet`, rows {problem_id, input, output}, needing pyarrow; as
    open-r1 runs them; an official test whose input is one of the `examples` is visible, the others held out. The
    examples are not run on their own (open-r1 does not run them). `official_tests_complete` false (Codeforces
    showed some tests truncated, so the dataset lacks them) changes nothing: open-r1 judges on what it has.
    Inputs lose a "\\r" at each line's end, as the Piston package strips them.

    With a `generated_checker`, it judges each case (`cf_checker`: its arguments, output and 10 s as the
    package gives them); without one, outputs compare with `comparator`, by default `open_r1_codeforces`, the
    package's own comparison (yes/no in any case, whitespace collapsed). `case_time`: each case's CPU limit,
    by default the row's time_limit (else 2 s); memory its memory_limit (else 256 MB).

    Skipped, and counted: interactive problems (`interaction_format` set: the dataset ships no interactor),
    problems without official or generated tests (open-r1 gives them no reward), and those whose
    generated_checker does not compile. Ids: `cf/<id>`."""
    language = contest_language(language)
    source = os.fspath(path)
    if tests_folder is None:
        tests_folder = os.environ.get(CF_TESTS_ENV) or None
    if tests_folder is not None and not os.path.isdir(tests_folder):
        raise InputError(f"the generated tests folder {os.fspath(tests_folder)!r} is not a directory",
                         field="tests_folder")
    tasks, rows = ContestTasks(), 0
    lines: dict[str, int] = {}
    pending: list[tuple[_Row, str, list[dict[str, Any]], dict[str, Any], float, int]] = []
    for lineno, obj in read_rows(path):
        rows += 1
        row = _Row(obj, source, lineno)
        pid = row.text("id")
        if not re.fullmatch(r"[^/\s]+/[^/\s]+", pid):
            raise row.error(f"'id' must be '<contest>/<index>', got {pid!r:.60}", "id")
        official, examples = _cf_test_list(row, "official_tests"), _cf_test_list(row, "examples")
        mode = _cf_text(row, "input_mode") or "stdio"
        if mode not in ("stdio", "file"):
            raise row.error(f"'input_mode' must be 'stdio' or 'file', got {mode!r:.40}", "input_mode")
        checker = _cf_text(row, "generated_checker")
        seconds = case_time or _cf_number(row, "time_limit") or CODECONTESTS_CASE_TIME
        memory = _cf_number(row, "memory_limit")
        if _cf_text(row, "interaction_format"):
            tasks.skip(SKIP_INTERACTIVE)
            continue
        suite: dict[str, Any] = dict(_CF_FILES) if mode == "file" else {}
        if checker is not None:
            try:
                compile(checker, "checker.py", "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                tasks.skip(SKIP_CF_CHECKER)
                continue
            suite["checker"] = cf_checker(checker)
        else:
            suite["comparator"] = comparator
        shown = {_cf_input(i).strip() for i, _ in examples}
        cases = [{"stdin": _cf_input(i), "stdout": o, "visible": _cf_input(i).strip() in shown} for i, o in official]
        pending.append((row, pid, cases, suite, seconds, math.ceil(memory) if memory else CODECONTESTS_MEMORY_MB))
    generated: dict[str, list[tuple[str, str]]] = {}
    if tests_folder is not None:
        contests: dict[str, set[str]] = {}
        for _, pid, *_rest in pending:
            contest = pid.split("/")[0]
            if contest.isdigit():  # cf_scoring.py: int(contest_id)
                contests.setdefault(contest, set()).add(pid)
        for contest, wanted in contests.items():
            generated.update(_cf_generated_tests(os.fspath(tests_folder), contest, wanted))
    for row, pid, cases, suite, seconds, memory_mb in pending:
        cases += [{"stdin": _cf_input(i), "stdout": o, "visible": False} for i, o in generated.get(pid, ())]
        if not cases:
            tasks.skip(SKIP_NO_TESTS)
            continue
        # A checker may take its 10 s once without the execution's backstop stopping it first (the backstop
        # covers the cases' own wall caps, and a checker's time is the judge's, outside them).
        time = _CF_BACKSTOP + CF_CHECKER_TIME if "checker" in suite else None
        task = _stdio_task(row, f"cf/{pid}", language, cases, seconds, memory_mb, time=time, **suite)
        tasks.add(lines, task, row, "id")
    return tasks.report(source, rows)


# -- open-r1/ioi ------------------------------------------------------------------------------------------------

SKIP_IOI_GRADER = "function-interface problems (the solution is compiled with the dataset's grader)"
SKIP_IOI_CHECKER = "problems judged by a CMS checker program"
SKIP_IOI_TYPE = "problems of a task type other than Batch (Communication, OutputOnly)"
SKIP_IOI_TESTS = "problems whose test cases are not given (open-r1/ioi-test-cases: the `tests` file)"
_IOI_CONFIG = "graders/grader_config.json"

# The Piston `cms_ioi` package's comparison of a Batch problem without a checker (guipenedo/piston
# packages/cms_ioi/1.0.0/run): `diff -bq <(echo "$CORRECT_OUTPUT") "$SOLUTION_OUTPUT"`.
_IOI_DIFF_CHECKER = r'''"""A Batch problem without a checker, compared as the Piston cms_ioi package compares it:
`diff -bq <(echo "$CORRECT_OUTPUT") output`. bash's `$(cat ...)` drops NUL characters and trailing newlines
and `echo` adds one (or prints a lone option such as "-n" as nothing); GNU diff's --ignore-space-change then
compares line by line, runs of white space (space, \t, \v, \f, \r) equal to one and white space at a line's
end ignored; blank lines count, and a last line without its newline equals one with it."""
import re

_ECHO_OPTIONS = re.compile("-[neE]+")
_SPACE = re.compile("[ \t\v\f\r]+")


def _lines(text):
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [_SPACE.sub(" ", line).rstrip(" ") for line in lines]


def check_output(stdin, output, expected):
    expected = expected.replace("\0", "").rstrip("\n")
    if _ECHO_OPTIONS.fullmatch(expected):
        expected = "" if "n" in expected else "\n"
    else:
        expected += "\n"
    return _lines(output) == _lines(expected)
'''


class _IoiProblem:
    """The rows (subtasks) of one open-r1/ioi problem."""

    def __init__(self, row: _Row, year: str | None, pid: str) -> None:
        self.row, self.year, self.pid = row, year, pid
        self.subtasks: list[tuple[str, float, list[str]]] = []  # (name, points, test names)
        self.tests: dict[str, tuple[str, str]] = {}  # from the rows' own test_cases
        self.lines: dict[str, int] = {}

    @property
    def names(self) -> list[str]:
        """Every test name, in order of first appearance (a test shared by subtasks is one case)."""
        return list(dict.fromkeys(n for _, _, names in self.subtasks for n in names))


def _ioi_year(row: _Row) -> str | None:
    """`year` as text (2024 and "2024" are one year), None without one."""
    value = row.obj.get("year")
    if value is not None and (not isinstance(value, int | str) or isinstance(value, bool)):
        raise row.error(f"'year' must be a number or a string, got {json_type(value)}", "year")
    return None if value is None else str(value)


def _ioi_test_names(row: _Row) -> list[str]:
    names: list[str] = row.get("test_names", list, "a list of test names")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise row.error(f"each test name must be a string, got {json_type(name)}", f"test_names.{i}")
    return names


def _ioi_pair(row: _Row, value: Any, field: str) -> tuple[str, str]:
    """One test as ioi_scoring.py reads it: (input, output); also {input, output}."""
    if isinstance(value, dict):
        value = [value.get("input"), value.get("output")]
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise row.error("a test case must be [input, output] (two strings) or {input, output}", field)
    return value[0], value[1]


def _ioi_row_tests(row: _Row, names: list[str]) -> dict[str, tuple[str, str]]:
    """The row's `test_cases` (ioi_scoring.py: a mapping test name -> (input, output), or a list in
    test_names' order); empty when the row has none (they are in open-r1/ioi-test-cases)."""
    value = row.obj.get("test_cases")
    if value is None:
        return {}
    if isinstance(value, list):
        if len(value) != len(names):
            raise row.error(f"{len(value)} test cases for {len(names)} test names", "test_cases")
        return {n: _ioi_pair(row, v, f"test_cases.{i}") for i, (n, v) in enumerate(zip(names, value))}
    if isinstance(value, dict):
        return {str(n): _ioi_pair(row, v, f"test_cases.{n}") for n, v in value.items()}
    raise row.error(f"'test_cases' must be an object (test name -> [input, output]) or a list, got "
                    f"{json_type(value)}", "test_cases")


def _ioi_grader_files(row: _Row) -> dict[str, str]:
    """`grader_files` [[name, content]] as a mapping, without empty files (ioi_scoring.py skips them)."""
    value = row.obj.get("grader_files")
    if value is None:
        return {}
    if not isinstance(value, list):
        raise row.error(f"'grader_files' must be a list of [name, content], got {json_type(value)}", "grader_files")
    files = {}
    for i, item in enumerate(value):
        if not (isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], str | None)):
            raise row.error("each grader file must be [name, content] (strings)", f"grader_files.{i}")
        if item[1]:
            files[item[0]] = item[1]
    return files


def _ioi_task_type(row: _Row, files: dict[str, str]) -> str:
    """The row's `task_type`, else grader_config.json's (what the cms_ioi run script reads), else Batch."""
    value = row.obj.get("task_type")
    if value is None and _IOI_CONFIG in files:
        try:
            config = json.loads(files[_IOI_CONFIG])
        except json.JSONDecodeError as e:
            raise row.error(f"{_IOI_CONFIG} is not valid JSON: {e.msg}", "grader_files") from None
        value = config.get("task_type") if isinstance(config, dict) else None
    if value is not None and not isinstance(value, str):
        raise row.error(f"'task_type' must be a string, got {json_type(value)}", "task_type")
    return value or "Batch"


def _ioi_skip(row: _Row) -> str | None:
    """Why the problem cannot be judged faithfully on stdin/stdout (None: it can)."""
    files = _ioi_grader_files(row)
    if _ioi_task_type(row, files).strip().lower() != "batch":
        return SKIP_IOI_TYPE
    if any(name.startswith("graders/") and name != _IOI_CONFIG for name in files):
        return SKIP_IOI_GRADER
    if any(name.startswith("checker/") for name in files):
        return SKIP_IOI_CHECKER
    return None


def _ioi_memory(row: _Row) -> int | None:
    """`memory_limit`: bytes as Piston takes it (`run_memory_limit`, grader_config.json's), or MB when it is
    too small to be bytes."""
    value = row.obj.get("memory_limit")
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0 or math.isinf(value):
        raise row.error(f"'memory_limit' must be a non-negative number, got {value!r:.40}", "memory_limit")
    if not value:
        return None
    return _bytes_to_mb(int(value)) if value >= 1 << 20 else math.ceil(value)


def _ioi_file_tests(path: PathLike, wanted: set[str]) -> dict[str, dict[str | None, dict[str, tuple[str, str]]]]:
    """open-r1/ioi-test-cases rows {year, problem_id, test_name, test_input, test_output} of the problems in
    `wanted`, by problem id, then year, then test name (a later row of one name wins, as ioi_utils.py's)."""
    source = os.fspath(path)
    found: dict[str, dict[str | None, dict[str, tuple[str, str]]]] = {}
    for number, obj in read_rows(path):
        row = _Row(obj, source, number)
        pid = row.text("problem_id")
        if pid not in wanted:
            continue
        year, name = _ioi_year(row), row.text("test_name")
        found.setdefault(pid, {}).setdefault(year, {})[name] = (row.text("test_input"), row.text("test_output"))
    return found


def load_open_r1_ioi(path: PathLike, language: str = "cpp17", tests: PathLike | None = None, *,
                     case_time: float | None = None) -> ContestTasks:
    """open-r1/ioi-format problems as stdio tasks with IOI subtasks: those that can be judged faithfully on
    stdin/stdout. The open-r1/ioi release itself (IOI 2020-2024) has none: every problem of it is skipped,
    see below; problems of other sources written in its format are judged.

    Rows are subtasks (huggingface/open-r1 ioi_scoring.py): `id`, `year`, `subtask`, `score` (its points),
    `score_precision`, `test_names`, `time_limit` (s), `memory_limit` (bytes, as Piston's run_memory_limit;
    a value under 1 MiB is taken as MB), `task_type`, `grader_files` ([name, content]) and optionally
    `test_cases` (test name -> [input, output], or a list in test_names' order). The rows of one problem
    (`year`, `id`) make one task: its cases every test once, in order of first appearance; `subtasks` the
    subtasks with points, each its tests (the `subtasks` reward: Σ points x the least credit of its tests /
    Σ points, IOI's score as a share). Tests of subtasks worth 0 points (the statement's examples) are
    visible, the others held out. Test cases not in the rows come from `tests`, rows of open-r1/ioi-test-cases
    (`year`, `problem_id`, `test_name`, `test_input`, `test_output`; JSONL or parquet). Each case's CPU limit
    is `case_time`, else the row's time_limit; memory its memory_limit. Ids `ioi/<year>/<id>` (`ioi/<id>`
    without a year).

    Judged: Batch problems whose `grader_files` hold no grader (nothing under graders/ but
    grader_config.json) and no checker: a program reading stdin, its output compared as the Piston cms_ioi
    package compares it (`diff -b` with the expected output). Every test scores 0 or 1, so score_precision
    changes nothing.

    Skipped, and counted, rather than judged some other way than IOI judges them:
    * function-interface problems (IOI's kind for over a decade): the solution implements functions and is
      compiled with the dataset's graders/grader.cpp and <problem>.h (the cms_ioi package: `g++ -DEVAL ...
      graders/<problem>.cpp graders/grader.cpp`, which needs that header, so every problem open-r1 runs is
      one), the grader reading the test input and writing the output the tests expect (after a secret first
      line). codereward compiles one source file per program, and the grader pasted into the solution's file
      would not be the same program (one translation unit: its globals and static helpers clash with the
      solution's; `-DEVAL` and the header missing), so these are not faked;
    * problems with a checker program (checker/checker.cpp): CMS's protocol (the score printed on stdout,
      arguments input, expected, output) is not testlib's, which model.CheckerProgram runs;
    * Communication problems (a manager process talking to the program through FIFOs) and other task types;
    * problems whose test cases are neither in the rows nor in `tests`."""
    language = contest_language(language)
    source = os.fspath(path)
    tasks = ContestTasks()
    problems: dict[tuple[str | None, str], _IoiProblem] = {}
    for lineno, obj in read_rows(path):
        row = _Row(obj, source, lineno)
        pid, year = row.text("id"), _ioi_year(row)
        name = row.get("subtask", (str, int), "a string")
        points = row.get("score", (int, float), "a number")
        if not points >= 0 or math.isinf(points):
            raise row.error(f"'score' must be a non-negative number of points, got {points!r:.40}", "score")
        names = _ioi_test_names(row)
        if points and not names:
            raise row.error("a subtask worth points needs tests", "test_names")
        problem = problems.get((year, pid))
        if problem is None:
            problem = problems[(year, pid)] = _IoiProblem(row, year, pid)
        if str(name) in problem.lines:
            raise row.error(f"duplicate subtask {name!r} of problem {pid!r} (first on line "
                            f"{problem.lines[str(name)]})", "subtask")
        problem.lines[str(name)] = lineno
        problem.subtasks.append((str(name), float(points), names))
        for test, pair in _ioi_row_tests(row, names).items():
            problem.tests[test] = pair
        # every row's fields are checked, not only those of the problem's first row
        _ioi_skip(row)
        _ioi_memory(row)
        _cf_number(row, "time_limit")
    judged: list[_IoiProblem] = []
    for problem in problems.values():
        reason = _ioi_skip(problem.row)
        if reason is not None:
            tasks.skip(reason)
        else:
            judged.append(problem)
    missing = {p.pid for p in judged if any(n not in p.tests for n in p.names)}
    from_file = _ioi_file_tests(tests, missing) if tests is not None and missing else {}
    lines: dict[str, int] = {}
    for problem in judged:
        by_year = from_file.get(problem.pid, {})
        extra = by_year.get(problem.year) or by_year.get(None) or (
            next(iter(by_year.values())) if problem.year is None and len(by_year) == 1 else {})
        found = {**extra, **problem.tests}
        names = problem.names
        if any(n not in found for n in names):
            tasks.skip(SKIP_IOI_TESTS)
            continue
        index = {n: i for i, n in enumerate(names)}
        shown = {n for _, points, ns in problem.subtasks if not points for n in ns}
        cases = [{"stdin": found[n][0], "stdout": found[n][1], "visible": n in shown} for n in names]
        subtasks = [{"name": st, "points": points, "tests": [index[n] for n in ns]}
                    for st, points, ns in problem.subtasks if points]
        row = problem.row
        seconds = case_time or _cf_number(row, "time_limit") or CODECONTESTS_CASE_TIME
        tid = f"ioi/{problem.year}/{problem.pid}" if problem.year is not None else f"ioi/{problem.pid}"
        task = _stdio_task(row, tid, language, cases, seconds, _ioi_memory(row), checker=_IOI_DIFF_CHECKER,
                           subtasks=subtasks or None)
        tasks.add(lines, task, row, "id")
    return tasks.report(source, len(problems))


# -- SandboxFusion CommonOJ -------------------------------------------------------------------------------------

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
    source = os.fspath(path)
    tasks, rows = ContestTasks(), 0
    lines: dict[str, int] = {}
    for lineno, obj in read_rows(path):
        rows += 1
        row = _Row(obj, source, lineno)
        rid = row.get("id", (str, int), "a string or a number")
        labels = _json_value(row, "labels", dict, "an object") or {}
        problem_format = labels.get("problem_format")
        if problem_format is not None and not isinstance(problem_format, str):
            raise row.error(f"'problem_format' must be a string, got {json_type(problem_format)}",
                            "labels.problem_format")
        tests = _json_value(row, "test", list, "a list of tests")
        if (problem_format or "Standard").strip().lower() != "standard":
            tasks.skip(SKIP_COMMONOJ_FORMAT)
            continue
        if not tests:
            tasks.skip(SKIP_NO_TESTS)
            continue
        parsed = _commonoj_cases(row, tests)
        if parsed is None:
            tasks.skip(SKIP_COMMONOJ_FILES)
            continue
        cases, files = parsed
        task = _stdio_task(row, f"commonoj/{rid}", language, cases, seconds, None, files, comparator=comparator)
        tasks.add(lines, task, row, "id")
    return tasks.report(source, rows)


CONTEST_LOADERS: dict[str, Callable[..., ContestTasks]] = {
    "codecontests": load_codecontests,
    "taco": load_taco,
    "apps": load_apps,
    "livecodebench": load_livecodebench,
    "open-r1-codeforces": load_open_r1_codeforces,
    "open-r1-ioi": load_open_r1_ioi,
    "commonoj": load_commonoj,
}
