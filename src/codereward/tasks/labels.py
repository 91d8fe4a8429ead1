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
Parsed tasks are cached by the label's content: rollouts score the same label many times, and returning the
same Task object lets the engine reuse its prepared judge payload.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from codereward import pyast
from codereward.errors import InputError
from codereward.tasks._validate import json_type, need, optional, unknown_task_error, validation_error
from codereward.tasks.loaders import load_dataset
from codereward.tasks.model import AssertSuite, Limits, Task
from codereward.tasks.programs import label_program

__all__ = ["Label", "clear_label_cache", "label_program", "task_from_label"]

Label = str | dict | list

_CACHE_SIZE = 8192  # distinct labels kept parsed; one GRPO step rarely holds more than a few thousand
_BASE_TIME, _TIME_PER_CASE, _MAX_TIME = 3.0, 0.1, 30.0

# APPS's reader (and verl's prime_code) compares a call's result with `==` after turning a tuple into a
# list, and also accepts a result equal to the first element of a one-element expected list ([[1, 2]]
# vs [1, 2]). This checker applies that rule in the judge process, on plain values only.
_APPS_CALL_CHECKER = '''\
"""APPS call-based comparison: tuples compare as lists; [x] as the expectation also accepts x."""


def _norm(v):
    if isinstance(v, (tuple, list)):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def check_output(args, kwargs, output, expected):
    got = _norm(output)
    if got == expected:
        return True
    return isinstance(expected, list) and len(expected) == 1 and got == expected[0]
'''


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
        inner = value["input_output"]
        if isinstance(inner, str):
            try:
                inner = json.loads(inner)
            except json.JSONDecodeError as e:
                raise InputError(f"'input_output' is not valid JSON: {e.msg}", field="input_output") from None
        if not isinstance(inner, dict):
            raise InputError(f"'input_output' must be an object, got {json_type(inner)}", field="input_output")
        merged = {**value, **inner}
        merged.pop("input_output")
        return _from_apps(merged, tid, prefix="input_output."), True
    if "inputs" in value or "outputs" in value:
        return _from_apps(value, tid), True
    if "test_cases" in value:
        return _from_verification_info(value, tid), True
    if "test_list" in value:
        return _from_mbpp(value, tid), True
    if "test" in value and "entry_point" in value:
        return _from_humaneval_row(value, tid), True
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


def _limits(obj: dict, n_cases: int) -> Limits:
    """The label's `limits`, else 3 s + 0.1 s per case (at most 30 s) for the whole execution."""
    raw = obj.get("limits")
    default_time = min(_MAX_TIME, _BASE_TIME + _TIME_PER_CASE * n_cases)
    if raw is None:
        return Limits(time=default_time)
    if not isinstance(raw, dict):
        raise InputError(f"'limits' must be an object, got {json_type(raw)}", field="limits")
    try:
        return Limits.model_validate({"time": default_time, **raw})
    except ValidationError as e:
        raise validation_error(e, what="limits", prefix="limits") from None


def _build(**fields: Any) -> Task:
    try:
        return Task.model_validate(fields)
    except ValidationError as e:
        raise validation_error(e) from None


# -- formats ----------------------------------------------------------------------------------------------


def _from_task_json(obj: dict, tid: str) -> Task:
    # Other keys are ignored, so a dataset row that embeds a task can be passed whole.
    return _build(**{**{k: v for k, v in obj.items() if k in Task.model_fields}, "id": tid})


def _from_dataset(obj: dict, tasks: Mapping[str, Task] | None) -> Task:
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


def _text(value: Any, field: str, what: str) -> str:
    """A stdin or stdout: a string, or a list of lines joined with newlines (prime_code does the same)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "\n".join(value)
    raise InputError(f"{what} must be a string or a list of strings, got {json_type(value)}", field=field)


def _json_lines(text: str, field: str) -> list[Any]:
    """PRIME / LiveCodeBench call inputs: one JSON value per line, one line per argument."""
    args = []
    for n, line in enumerate(text.strip("\n").split("\n"), 1):
        try:
            args.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise InputError(f"line {n} of a call input is not JSON ({e.msg}): {line[:60]!r}",
                             field=field) from None
    return args


def _call_cases(inputs: list, outputs: list, where: Callable[[int, str], str]) -> list[dict]:
    """`where(i, "input" | "output")` names the field of case i in errors."""
    cases = []
    for i, (arg, out) in enumerate(zip(inputs, outputs)):
        if isinstance(arg, str):
            args = _json_lines(arg, where(i, "input"))
            if not isinstance(out, str):
                raise InputError(f"output of a JSON-lines input must be a JSON string, got {json_type(out)}",
                                 field=where(i, "output"))
            try:
                expected = json.loads(out)
            except json.JSONDecodeError as e:
                raise InputError(f"call output is not JSON ({e.msg}): {out[:60]!r}",
                                 field=where(i, "output")) from None
        elif isinstance(arg, list):
            args, expected = arg, out
        else:
            raise InputError(f"call input must be an argument list or JSON lines, got {json_type(arg)}",
                             field=where(i, "input"))
        cases.append({"args": args, "expected": expected})
    return cases


def _stdio_suite(obj: dict, cases: list[dict]) -> dict:
    suite: dict[str, Any] = {"kind": "stdio", "cases": cases, "comparator": "tokens"}
    for key in ("comparator", "atol", "rtol"):
        if obj.get(key) is not None:
            suite[key] = obj[key]
    return suite


def _from_apps(obj: dict, tid: str, prefix: str = "") -> Task:
    inputs = need(obj, "inputs", list, "a list", prefix=prefix)
    outputs = need(obj, "outputs", list, "a list", prefix=prefix)
    if len(inputs) != len(outputs):
        raise InputError(f"{len(inputs)} inputs but {len(outputs)} outputs", field=prefix + "outputs")
    if not inputs:
        raise InputError("no test cases", field=prefix + "inputs")
    fn_name = optional(obj, "fn_name", str, "a string", prefix=prefix)
    if fn_name:
        cases = _call_cases(inputs, outputs, lambda i, k: f"{prefix}{k}s.{i}")
        suite: dict[str, Any] = {"kind": "call", "cases": cases, "checker": _APPS_CALL_CHECKER}
        return _build(id=tid, entry_point=fn_name, tests=suite, limits=_limits(obj, len(cases)))
    cases = [{"stdin": _text(i, f"{prefix}inputs.{n}", "an input"),
              "stdout": _text(o, f"{prefix}outputs.{n}", "an output")}
             for n, (i, o) in enumerate(zip(inputs, outputs))]
    return _build(id=tid, tests=_stdio_suite(obj, cases), limits=_limits(obj, len(cases)))


def _from_verification_info(obj: dict, tid: str) -> Task:
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
        cases.append({"stdin": _text(need(case, "input", (str, list), "a string", prefix=f"{where}."),
                                     f"{where}.input", "an input"),
                      "stdout": _text(need(case, "output", (str, list), "a string", prefix=f"{where}."),
                                      f"{where}.output", "an output")})
    return _build(id=tid, tests=_stdio_suite(obj, cases), limits=_limits(obj, len(cases)))


def _from_case_list(items: list, tid: str) -> Task:
    """DeepCoder's LiveCodeBench / PrimeIntellect rows: [{"input", "output", "testtype", ...}, ...]."""
    first = items[0]
    metadata = first.get("metadata") if isinstance(first.get("metadata"), dict) else {}
    fn_name = first.get("fn_name") or metadata.get("func_name")
    functional = first.get("testtype") == "functional" or bool(fn_name)
    for n, case in enumerate(items):
        for key in ("input", "output"):
            if key not in case:
                raise InputError(f"missing '{key}'", field=f"{n}.{key}")
    if functional:
        if not isinstance(fn_name, str) or not fn_name:
            raise InputError("functional tests need 'fn_name' or 'metadata.func_name'", field="0.metadata.func_name")
        cases = _call_cases([c["input"] for c in items], [c["output"] for c in items], lambda i, k: f"{i}.{k}")
        suite: dict[str, Any] = {"kind": "call", "cases": cases, "checker": _APPS_CALL_CHECKER}
        return _build(id=tid, entry_point=fn_name, tests=suite, limits=_limits({}, len(cases)))
    cases = [{"stdin": _text(c["input"], f"{n}.input", "an input"),
              "stdout": _text(c["output"], f"{n}.output", "an output")} for n, c in enumerate(items)]
    return _build(id=tid, tests=_stdio_suite({}, cases), limits=_limits({}, len(cases)))


def _from_list(items: list, tid: str) -> Task:
    if not items:
        raise InputError("label is an empty list: no tests", field="label")
    if all(isinstance(x, dict) for x in items):
        return _from_case_list(items, tid)
    for n, x in enumerate(items):
        if not isinstance(x, str):
            raise InputError(f"a label list holds assert strings or test-case objects, got {json_type(x)}",
                             field=str(n))
    return _assert_task(items, tid, setup="", entry_point=None, field="")


# Builtins and common module names are never the function under test in `assert sorted(f(x)) == ...`.
_NOT_ENTRY = frozenset(dir(builtins)) | {"math", "np", "isclose"}


def _infer_entry_point(trees: list[ast.Module]) -> str | None:
    """The first called plain name in the asserts that is not a builtin: MBPP's `assert f(...) == ...`."""
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in _NOT_ENTRY:
                return node.func.id
    return None


def _assert_task(asserts: list[str], tid: str, *, setup: str, entry_point: str | None, field: str,
                 prompt: str | None = None, limits_from: dict | None = None) -> Task:
    """A `check(candidate)` whose top-level statements are the given asserts (one test each); the tests
    call the function by its own name, which the judge binds to the candidate proxy."""
    prefix = f"{field}." if field else ""
    trees = []
    for n, source in enumerate(asserts):
        try:
            trees.append(pyast.parse(textwrap.dedent(source)))
        except SyntaxError as e:
            raise InputError(f"test {n} is not valid Python: {e.msg} (line {e.lineno})",
                             field=f"{prefix}{n}") from None
        except (ValueError, RecursionError, MemoryError) as e:  # null bytes; nesting too deep to parse
            raise InputError(f"test {n} is not valid Python: {type(e).__name__}: {e}", field=f"{prefix}{n}") from None
    if not asserts:
        raise InputError("no tests", field=field or "label")
    entry = entry_point or _infer_entry_point(trees)
    if not entry:
        raise InputError("cannot tell which function the asserts test; give 'entry_point'",
                         field=f"{prefix}0" if field else "entry_point")
    body = "\n".join(textwrap.indent(textwrap.dedent(s).strip("\n"), "    ") for s in asserts)
    code = f"def check(candidate):\n{body}\n"
    return _build(id=tid, entry_point=entry, prompt=prompt, tests={"kind": "assert", "code": code, "setup": setup},
                  limits=_limits(limits_from or {}, len(asserts)))


def _from_mbpp(obj: dict, tid: str) -> Task:
    tests = need(obj, "test_list", list, "a list of assert strings")
    for n, t in enumerate(tests):
        if not isinstance(t, str):
            raise InputError(f"an assert must be a string, got {json_type(t)}", field=f"test_list.{n}")
    setup_parts = []
    imports = optional(obj, "test_imports", list, "a list of import lines")
    if imports:
        setup_parts.extend(str(x) for x in imports)
    setup_code = optional(obj, "test_setup_code", str, "a string")
    if setup_code:
        setup_parts.append(setup_code)
    entry = optional(obj, "entry_point", str, "a string")
    return _assert_task(tests, tid, setup="\n".join(setup_parts), entry_point=entry, field="test_list",
                        limits_from=obj)


def _from_humaneval_row(obj: dict, tid: str) -> Task:
    test = need(obj, "test", str, "a string")
    entry = need(obj, "entry_point", str, "a string")
    prompt = optional(obj, "prompt", str, "a string")
    # The prompt is set-up in the judge (helpers such as `poly` come from the dataset), as the HumanEval
    # loader does. It is not prepended to answers: a trainer's completion is a whole program.
    suite = AssertSuite(code=test, setup=prompt or "")
    return _build(id=tid, entry_point=entry, tests=suite.model_dump(), limits=_limits(obj, 1))


