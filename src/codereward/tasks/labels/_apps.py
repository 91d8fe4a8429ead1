"""APPS-family labels: APPS / TACO `input_output` rows, PRIME / DeepCoder `inputs` + `outputs`, and
DeepCoder's LiveCodeBench / PrimeIntellect case lists; plus the checker that compares call results as
APPS's reader does. The rules are in the `codereward.tasks.labels` docstring.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from codereward.errors import InputError
from codereward.tasks._validate import json_type, need, optional
from codereward.tasks.labels._build import build_task, label_limits, stdio_suite, stdio_text
from codereward.tasks.model import Task

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


def _call_cases(inputs: list[Any], outputs: list[Any], where: Callable[[int, str], str]) -> list[dict[str, Any]]:
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


def from_input_output(obj: dict[str, Any], tid: str) -> Task:
    """APPS / TACO rows: `input_output` holds (as JSON text, or decoded) the `inputs` + `outputs` object."""
    inner = obj["input_output"]
    if isinstance(inner, str):
        try:
            inner = json.loads(inner)
        except json.JSONDecodeError as e:
            raise InputError(f"'input_output' is not valid JSON: {e.msg}", field="input_output") from None
    if not isinstance(inner, dict):
        raise InputError(f"'input_output' must be an object, got {json_type(inner)}", field="input_output")
    merged = {**obj, **inner}
    merged.pop("input_output")
    return from_apps(merged, tid, prefix="input_output.")


def from_apps(obj: dict[str, Any], tid: str, prefix: str = "") -> Task:
    """`inputs` + `outputs` (+ `fn_name` for call tests); `prefix` names fields found inside `input_output`."""
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
        return build_task(id=tid, entry_point=fn_name, tests=suite, limits=label_limits(obj, len(cases)))
    cases = [{"stdin": stdio_text(i, f"{prefix}inputs.{n}", "an input"),
              "stdout": stdio_text(o, f"{prefix}outputs.{n}", "an output")}
             for n, (i, o) in enumerate(zip(inputs, outputs))]
    return build_task(id=tid, tests=stdio_suite(obj, cases), limits=label_limits(obj, len(cases)))


def from_case_list(items: list[Any], tid: str) -> Task:
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
        return build_task(id=tid, entry_point=fn_name, tests=suite, limits=label_limits({}, len(cases)))
    cases = [{"stdin": stdio_text(c["input"], f"{n}.input", "an input"),
              "stdout": stdio_text(c["output"], f"{n}.output", "an output")} for n, c in enumerate(items)]
    return build_task(id=tid, tests=stdio_suite({}, cases), limits=label_limits({}, len(cases)))
