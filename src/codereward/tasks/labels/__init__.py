"""One dataset column that carries a task's tests into every trainer: the *label* (verl's `ground_truth`,
OpenRLHF's `label`, a TRL dataset column, the server's `label` field).

`task_from_label(label)` turns a label into a Task. A label is a JSON value, or a string holding one (verl
stores `ground_truth` as a string). The first rule that matches decides its format:

    label                                                      becomes
    ---------------------------------------------------------  ------------------------------------------------
    str that is not JSON                                       a task id, looked up in `tasks`
    {"tests": {...}, "id"?: ..., ...}                          codereward's own task JSON (a `--tasks` line)
    {"dataset": "humaneval", "task_id": "HumanEval/0",         a built-in dataset's task (from `tasks` when it
     "data_file"?: path}                                       holds that id, else `load_dataset`)
    {"task_id": "..."} (no other test-carrying key)            a task id, looked up in `tasks`
    {"input_output": "<json>"}                                 APPS/TACO rows: the JSON inside, as below
    {"inputs": [...], "outputs": [...], "fn_name"?: str}       APPS/TACO/PRIME/DeepCoder: `stdio` tests, or
                                                               `call` tests when fn_name is set
    {"language"?: "python", "test_cases": [{"input", "output", open-r1 `verification_info`: `stdio` tests
      "type"?: "stdin_stdout"}, ...]}
    {"test_list": [...], "test_setup_code"?, "test_imports"?,  MBPP rows: an `assert` suite
     "entry_point"?}
    {"test": "def check(candidate): ...", "entry_point": ...,   a HumanEval-style row: an `assert` suite whose
     "prompt"?: ...}                                           setup is the prompt
    ["assert f(1) == 2", ...]                                  MBPP/KodCode/AceCode assert lists: an `assert`
                                                               suite, one test per string
    [{"input": ..., "output": ..., "testtype"?, "fn_name"?,    DeepCoder (LiveCodeBench/PrimeIntellect) case
      "metadata"?: {"func_name"}}, ...]                        lists: `call` when functional, else `stdio`

APPS-style details (they follow verl's prime_code / sandbox_fusion readers, so one dataset scores the same):
* stdio: an input or output that is a list of lines is joined with newlines; outputs compare by
  whitespace-separated tokens (`comparator: tokens`; APPS's own reader strips lines and ignores blank ones).
* call: an input that is a string holds one JSON value per line, one line per argument, and its output is
  a JSON string (PRIME / LiveCodeBench); an input that is a list is the argument list itself, and its output
  the value (APPS). As in APPS's reader, a returned tuple compares as a list and an expected value wrapped
  in a one-element list also matches the unwrapped value.
* A `call` answer that defines `class Solution` instead of a function (LeetCode style) is called through
  `Solution().<fn_name>` when the program is built by `label_program`.
* Optional keys on any dict label: `id`, `limits` (codereward's Limits), `comparator`, `atol`, `rtol`
  (stdio). Unknown keys are ignored, so a whole dataset row can be passed as the label.
* Default time limit for the whole execution: 3 s + 0.1 s per test case, at most 30 s.

A label that fits no format, or a field of the wrong type, raises InputError naming the field.
Parsed tasks are cached by the label's content: rollouts score the same label many times, and a hit costs
~5 µs where parsing costs far more (the same Task object also keeps its digest, so the engine's per-task
memos, keyed by content, are found without hashing the task again).

This module detects the format, dispatches and caches. The formats are built in `_apps.py` (APPS, TACO,
PRIME, DeepCoder), `_asserts.py` (MBPP rows, HumanEval rows, assert lists) and `_open_r1.py`, with what they
share (default limits, validation, stdio rules) in `_build.py`; the program to run for an answer comes from
`codereward.tasks.programs.label_program`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

from codereward.errors import InputError
from codereward.tasks._validate import json_type, need, optional, unknown_task_error
from codereward.tasks.labels._apps import from_apps, from_case_list, from_input_output
from codereward.tasks.labels._asserts import from_assert_list, from_humaneval_row, from_mbpp
from codereward.tasks.labels._build import build_task
from codereward.tasks.labels._open_r1 import from_verification_info
from codereward.tasks.loaders import load_dataset
from codereward.tasks.model import Task
from codereward.tasks.programs import label_program

__all__ = ["Label", "clear_label_cache", "label_program", "task_from_label"]



class _ArrayLike(Protocol):
    """A numpy array or scalar: verl hands over parquet values so, lists included."""

    def tolist(self) -> Any: ...


Label = str | dict[str, Any] | list[Any] | _ArrayLike

_CACHE_SIZE = 8192  # distinct labels kept parsed; one GRPO step rarely holds more than a few thousand


class _LRU:
    """A small thread-safe LRU map: label content key -> Task."""

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[Any, Task] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Any) -> Task | None:
        with self._lock:
            task = self._data.get(key)
            if task is not None:
                self._data.move_to_end(key)
            return task

    def put(self, key: Any, task: Task) -> Task:
        with self._lock:
            task = self._data.setdefault(key, task)  # a racing thread's task wins: one object per label
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)
            return task

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_cache = _LRU(_CACHE_SIZE)
_datasets: dict[tuple[str, str | None], dict[str, Task]] = {}
_datasets_lock = threading.Lock()


def clear_label_cache() -> None:
    """Forget parsed labels and loaded built-in datasets (tests, or after editing a task file)."""
    _cache.clear()
    with _datasets_lock:
        _datasets.clear()


def task_from_label(label: Label, *, tasks: Mapping[str, Task] | None = None,
                    task_id: str | None = None) -> Task:
    """The Task a label describes (formats in the module docstring).

    tasks: tasks that id-only labels (`"HumanEval/0"`, `{"task_id": ...}`, `{"dataset", "task_id"}`) resolve
        against before the built-in datasets are tried.
    task_id: the id given to a task built from the label (default: the label's `id`, else
        `label/<12 hex digits of the label's hash>`); ignored for labels that name an existing task.
    Raises InputError naming the offending field.
    """
    # 1. Cheap cache key: the string itself, or a canonical dump of a decoded label. Only tasks built from a
    #    label's content are cached; labels that name a task are looked up every time (a dict lookup), so a
    #    changed or replaced `tasks` mapping is never answered from a stale entry.
    if isinstance(label, str):
        key: Any = ("s", label, task_id)
    elif isinstance(label, dict | list) or hasattr(label, "tolist"):
        # verl hands over parquet values: lists come back as numpy arrays, inside dicts too. The key dumps
        # them as lists; the label itself is converted only when it is parsed (a cache miss).
        try:
            key = ("j", json.dumps(label, sort_keys=True, default=_json_default), task_id)
        except (TypeError, ValueError) as e:
            raise InputError(f"label must be JSON data: {e}", field="label") from None
    else:
        raise InputError(f"label must be a JSON string, object or array, got {type(label).__name__}",
                         field="label")
    hit = _cache.get(key)
    if hit is not None:
        return hit
    # 2. Decode a JSON string (verl's ground_truth), then dispatch on shape.
    value: Any = label if isinstance(label, str) else _plain(label)
    if isinstance(label, str):
        text = label.strip()
        if text[:1] not in ("{", "[", '"'):
            return _lookup(text, tasks, "label")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"label is not valid JSON: {e.msg} at column {e.colno}", field="label") from None
        if isinstance(value, str):  # a JSON string holding a task id
            return _lookup(value, tasks, "label")
    # 3. Parse; cache what was built from the label's content.
    digest = hashlib.sha256(key[1].encode("utf-8", "surrogatepass")).hexdigest()[:12]
    task, built = _parse(value, tasks, task_id, f"label/{digest}")
    return _cache.put(key, task) if built else task


# -- dispatch ---------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Numpy arrays and scalars (from parquet rows) as lists and Python values; other values unchanged."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return _plain(value.tolist())
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _parse(value: Any, tasks: Mapping[str, Task] | None, task_id: str | None,
           default_id: str) -> tuple[Task, bool]:
    """(task, built): built is False when the label names an existing task (it is then not cached)."""
    if isinstance(value, list):
        return _from_list(value, task_id or default_id), True
    if not isinstance(value, dict):
        raise InputError(f"label must be a JSON object or array, got {json_type(value)}", field="label")
    own = value.get("task_id") if isinstance(value.get("task_id"), str) else None  # MBPP's ids are ints
    tid = task_id or optional(value, "id", str, "a string") or own or default_id
    if "tests" in value:
        return _from_task_json(value, tid), True
    if "dataset" in value:
        return _from_dataset(value, tasks), False
    if "input_output" in value:
        return from_input_output(value, tid), True
    if "inputs" in value or "outputs" in value:
        return from_apps(value, tid), True
    if "test_cases" in value:
        return from_verification_info(value, tid), True
    if "test_list" in value:
        return from_mbpp(value, tid), True
    if "test" in value and "entry_point" in value:
        return from_humaneval_row(value, tid), True
    if "task_id" in value:
        return _lookup(need(value, "task_id", str, "a string"), tasks, "task_id"), False
    raise InputError("label has no tests: expected one of 'tests', 'dataset', 'inputs'/'outputs', "
                     "'input_output', 'test_cases', 'test_list', 'test'+'entry_point' or 'task_id'",
                     field="label")


def _lookup(tid: str, tasks: Mapping[str, Task] | None, field: str) -> Task:
    if tasks is not None and tid in tasks:
        return tasks[tid]
    if tasks is None:
        raise InputError(f"label {tid!r} is a task id, but no tasks were given to resolve it", field=field)
    raise unknown_task_error(tid, tasks, field=field)


# -- formats resolved here; the others are built in _apps, _asserts and _open_r1 ---------------------------


def _from_task_json(obj: dict[str, Any], tid: str) -> Task:
    # Other keys are ignored, so a dataset row that embeds a task can be passed whole.
    return build_task(**{**{k: v for k, v in obj.items() if k in Task.model_fields}, "id": tid})


def _from_dataset(obj: dict[str, Any], tasks: Mapping[str, Task] | None) -> Task:
    name = need(obj, "dataset", str, "a string")
    tid = need(obj, "task_id", str, "a string")
    if tasks is not None and tid in tasks:
        return tasks[tid]
    data_file = optional(obj, "data_file", str, "a path")
    key = (name.strip().lower(), data_file)
    with _datasets_lock:  # one load per dataset per process, even when many threads score at once
        loaded = _datasets.get(key)
        if loaded is None:
            try:
                loaded = load_dataset(name, data_file)
            except InputError as e:
                raise InputError(str(e), field="dataset") from None
            _datasets[key] = loaded
    if tid not in loaded:
        raise InputError(f"dataset {name!r} has no task {tid!r}", field="task_id")
    return loaded[tid]


def _from_list(items: list[Any], tid: str) -> Task:
    if not items:
        raise InputError("label is an empty list: no tests", field="label")
    if all(isinstance(x, dict) for x in items):
        return from_case_list(items, tid)
    return from_assert_list(items, tid)
