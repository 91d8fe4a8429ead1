"""Assert-style labels: MBPP rows (`test_list`), HumanEval-style rows (`test` + `entry_point`) and plain lists
of assert strings (MBPP, KodCode, AceCode). Each becomes an `assert` suite."""

from __future__ import annotations

import ast
import builtins
import textwrap
from typing import Any

from codereward import pyast
from codereward.errors import InputError
from codereward.tasks._validate import json_type, need, optional
from codereward.tasks.labels._build import build_task, label_limits
from codereward.tasks.model import AssertSuite, Task

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
                 prompt: str | None = None, limits_from: dict[str, Any] | None = None,
                 program_names: bool = True) -> Task:
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
    return build_task(id=tid, entry_point=entry, prompt=prompt,
                      tests={"kind": "assert", "code": code, "setup": setup, "program_names": program_names},
                      limits=label_limits(limits_from or {}, len(asserts)))


def from_assert_list(items: list[Any], tid: str) -> Task:
    """MBPP / KodCode / AceCode assert lists: one test per string."""
    for n, x in enumerate(items):
        if not isinstance(x, str):
            raise InputError(f"a label list holds assert strings or test-case objects, got {json_type(x)}",
                             field=str(n))
    return _assert_task(items, tid, setup="", entry_point=None, field="")


def from_mbpp(obj: dict[str, Any], tid: str) -> Task:
    """An MBPP row: `test_list` asserts, with `test_imports` and `test_setup_code` as the judge's set-up."""
    tests = need(obj, "test_list", list, "a list of assert strings")
    for n, t in enumerate(tests):
        if not isinstance(t, str):
            raise InputError(f"an assert must be a string, got {json_type(t)}", field=f"test_list.{n}")
    setup_parts: list[str] = []
    imports = optional(obj, "test_imports", list, "a list of import lines")
    if imports:
        setup_parts.extend(str(x) for x in imports)
    setup_code = optional(obj, "test_setup_code", str, "a string")
    if setup_code:
        setup_parts.append(setup_code)
    entry = optional(obj, "entry_point", str, "a string")
    return _assert_task(tests, tid, setup="\n".join(setup_parts), entry_point=entry, field="test_list",
                        limits_from=obj)


def from_humaneval_row(obj: dict[str, Any], tid: str) -> Task:
    """A HumanEval-style row: `test` defines `check(candidate)`, `prompt` is the judge's set-up."""
    test = need(obj, "test", str, "a string")
    entry = need(obj, "entry_point", str, "a string")
    prompt = optional(obj, "prompt", str, "a string")
    # The prompt is set-up in the judge (helpers such as `poly` come from the dataset), as the HumanEval
    # loader does. It is not prepended to answers: a trainer's completion is a whole program.
    suite = AssertSuite(code=test, setup=prompt or "")
    return build_task(id=tid, entry_point=entry, tests=suite.model_dump(), limits=label_limits(obj, 1))
