"""What every label format does last: the default limits, and validation into a Task whose errors name
fields as the label wrote them. Also the stdio rules APPS-style formats share (verl's prime_code reader)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from codereward.errors import InputError
from codereward.tasks._validate import json_type, validation_error
from codereward.tasks.model import Limits, Task

_BASE_TIME, _TIME_PER_CASE, _MAX_TIME = 3.0, 0.1, 30.0


def label_limits(obj: dict[str, Any], n_cases: int) -> Limits:
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


def build_task(**fields: Any) -> Task:
    """The Task these fields make; InputError (no file or line: a label has none) when they make none."""
    try:
        return Task.model_validate(fields)
    except ValidationError as e:
        raise validation_error(e) from None


def stdio_text(value: Any, field: str, what: str) -> str:
    """A stdin or stdout: a string, or a list of lines joined with newlines (prime_code does the same)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "\n".join(value)
    raise InputError(f"{what} must be a string or a list of strings, got {json_type(value)}", field=field)


def stdio_suite(obj: dict[str, Any], cases: list[dict[str, Any]]) -> dict[str, Any]:
    """A stdio suite comparing by tokens unless the label gives its own `comparator`, `atol` or `rtol`."""
    suite: dict[str, Any] = {"kind": "stdio", "cases": cases, "comparator": "tokens"}
    for key in ("comparator", "atol", "rtol"):
        if obj.get(key) is not None:
            suite[key] = obj[key]
    return suite
