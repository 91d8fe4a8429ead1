"""What the competitive-programming loaders share: reading a dataset's rows (JSONL, .parquet, .arrow), the
per-row loading loop with its skip counts and duplicate-id errors (`ContestTasks`, `load_rows`), the
language check, the limits every loader gives (`case_time` per case, output room, call tests' time) and the
stdio and call task builders, and the free-text time and memory limits of TACO-style rows."""

from __future__ import annotations

import importlib
import logging
import math
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import ValidationError

from codereward.errors import InputError
from codereward.tasks._validate import validation_error
from codereward.tasks.labels._apps import _APPS_CALL_CHECKER
from codereward.tasks.loaders import _Row
from codereward.tasks.model import LANGUAGE_ALIASES, NATIVE_LANGUAGES, Limits, Task
from codereward.tasks.samples import PathLike, read_jsonl

_log = logging.getLogger("codereward.tasks.contests")  # the package's: one logger for every loader

CONTEST_LANGUAGES = ("python", *NATIVE_LANGUAGES)

CODECONTESTS_CASE_TIME, CODECONTESTS_MEMORY_MB = 2.0, 256  # the research notes' fallbacks (CF's usual limits)
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
        self._lines: dict[str, int] = {}  # task id -> the line of the row that made it

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, task: Task, row: _Row, field: str) -> None:
        """Keep `task`; InputError naming the row's id `field` when an earlier row has its id."""
        if task.id in self:
            raise row.error(f"duplicate task id {task.id!r} (first on line {self._lines[task.id]})", field)
        self[task.id], self._lines[task.id] = task, row.line

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


# -- the loading loop -----------------------------------------------------------------------------------------


def file_rows(path: PathLike) -> Iterator[_Row]:
    """The file's rows (`read_rows`), each with its file and line (or row) number for errors."""
    source = os.fspath(path)
    for number, obj in read_rows(path):
        yield _Row(obj, source, number)


def load_rows(path: PathLike, id_field: str, make: Callable[[_Row, int], Task | str]) -> ContestTasks:
    """The tasks `make(row, index)` makes of the file's rows (`index`: 0-based, in file order), one a row, or
    the reasons it returns instead (SKIP_*), counted as skipped and logged; InputError naming `id_field` when
    two rows make one task id."""
    tasks, rows = ContestTasks(), 0
    for row in file_rows(path):
        index, rows = rows, rows + 1
        made = make(row, index)
        if isinstance(made, str):
            tasks.skip(made)
        else:
            tasks.add(made, row, id_field)
    return tasks.report(os.fspath(path), rows)


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


def _number(row: _Row, key: str) -> float | None:
    """A non-negative number field (time_limit, memory_limit); None when it is missing or 0."""
    value = row.obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0 or math.isinf(value):
        raise row.error(f"'{key}' must be a non-negative number, got {value!r:.40}", key)
    return float(value) or None


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


