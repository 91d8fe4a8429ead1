"""Input checks shared by every reader of user data: task files, labels and the server's request bodies.

A bad value becomes an InputError that names the field as the user wrote it (`tests.cases.3`,
`limits.time`), plus the file and line when there is one, so it reads the same whichever door it came in by:

    json_type(value)                   the JSON name of a decoded value's type ("array", "null")
    need(obj, key, kind, what)         obj[key] checked against a Python type; optional(...) allows null
    validation_error(e)                a pydantic ValidationError as one InputError
    unknown_task_error(task_id, ids)   "unknown task id 'x'", with the closest id when one is close
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

from codereward.errors import InputError
from codereward.tasks.model import AssertSuite, CallSuite, StdioSuite, Task

_JSON_TYPE = {dict: "object", list: "array", str: "string", int: "number", float: "number",
              bool: "boolean", type(None): "null"}

# The values of TestSuite's discriminator, `kind`. Pydantic puts the chosen one in an error's location
# (tests.stdio.cases.3), where the user wrote tests.cases.3.
_SUITE_KINDS = tuple(m.model_fields["kind"].default for m in (AssertSuite, CallSuite, StdioSuite))

_MAX_IDS_TO_SUGGEST_FROM = 10_000  # difflib scores every id; past this many the hint is not worth the time


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages users can map back to their file."""
    return _JSON_TYPE.get(type(value), type(value).__name__)


def need(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str, *, prefix: str = "",
         source: str | None = None, line: int | None = None) -> Any:
    """`obj[key]`, which must be present and an instance of `kind`; `what` names the type in the error
    (`'inputs' must be a list, got string`). The error's field is `prefix + key`."""
    if key not in obj:
        raise InputError(f"missing '{key}'", source=source, line=line, field=prefix + key)
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int subclass in Python but not a number in JSON: `true` is no atol.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise InputError(f"'{key}' must be {what}, got {json_type(value)}", source=source, line=line,
                         field=prefix + key)
    return value


def optional(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str, *, prefix: str = "",
             source: str | None = None, line: int | None = None) -> Any:
    """Like `need`, but None when the key is absent or null."""
    if obj.get(key) is None:
        return None
    return need(obj, key, kind, what, prefix=prefix, source=source, line=line)


def validation_error(e: ValidationError, *, what: str = "task", prefix: str = "",
                     source: str | None = None, line: int | None = None) -> InputError:
    """The first problem of a pydantic ValidationError as `invalid <what>: <message>`.

    The field is `prefix` followed by pydantic's location, without the test suite's `kind` tag. Pydantic's
    "Value error, " prefix is dropped, a scalar input is quoted (`, got -1`) and further problems are
    counted (`(and 2 more problems)`), so one message stays one line.
    """
    errors = e.errors(include_url=False)
    err = errors[0]
    loc = [str(p) for p in err["loc"]]
    if len(loc) > 1 and loc[0] == "tests" and loc[1] in _SUITE_KINDS:
        del loc[1]
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] in ("union_tag_not_found", "union_tag_invalid"):
        loc.append("kind")
        message = "'kind' must be one of " + ", ".join(repr(k) for k in _SUITE_KINDS)
    elif not loc and e.title == Task.__name__:
        # Task-level checks (a missing entry_point or reference) have no loc; name the field they mention.
        loc = [name for name in Task.model_fields if name in message][:1]
    value = err.get("input")
    if err["type"] != "missing" and isinstance(value, str | int | float | bool | None):
        message += f", got {value!r:.80}"
    if len(errors) > 1:
        more = len(errors) - 1
        message += f" (and {more} more problem{'s' if more > 1 else ''}{' on this line' if line else ''})"
    field = ".".join(p for p in (prefix, *loc) if p)
    return InputError(f"invalid {what}: {message}", source=source, line=line, field=field or None)


def unknown_task_error(task_id: str, task_ids: Collection[str], *, field: str, source: str | None = None,
                       line: int | None = None) -> InputError:
    """`unknown task id 'x'`, plus `(did you mean 'y'?)` when a known id is close: that catches the usual
    slips ("HumanEval_0", "humaneval/0") without listing 164 ids. `task_ids` may be the tasks mapping."""
    message = f"unknown task id {task_id!r}"
    if len(task_ids) <= _MAX_IDS_TO_SUGGEST_FROM:
        close = difflib.get_close_matches(task_id, list(task_ids), n=1, cutoff=0.8)
        if close:
            message += f" (did you mean {close[0]!r}?)"
    return InputError(message, source=source, line=line, field=field)
