"""Output comparison, run in the judge (inside the sandbox; standard library only).

Both sides are plain values decoded by `wire`, so `==` here can only be the builtin types' equality; a
candidate's rigged `__eq__` never reaches this module.

Stdout (`stdout_equal`): our comparators exact | lines | tokens (testlib's wcmp) | float, compatibility
presets that accept exactly what another judge's stdout comparison accepts (presets.py), and testlib's
standard checkers by their own names, wcmp, lcmp, ncmp, rcmp6... (testlib_checks.py). A preset never raises
here: input that made the original raise, and so fail the test, gives False.
"""

from __future__ import annotations

import math
from typing import Any

from .presets import PRESETS
from .testlib_checks import CHECKERS as CHECKERS  # re-exported: the names stdout_equal knows
from .testlib_checks import wcmp as wcmp

# has_float and _close branch on a value's exact type (`type(v) is T`, as wire does), a narrowing mypy cannot
# follow through a variable: they take plain values as Any, and what == and <= say of two of them is a bool
# (pyproject.toml lets this module return those Any results).


def has_float(value: Any) -> bool:
    t = type(value)
    if t is float:
        return True
    if t in (list, tuple, set, frozenset):
        return any(has_float(v) for v in value)
    if t is dict:
        return any(has_float(v) for v in value.values())
    return False


def _close(got: Any, exp: Any, atol: float, rtol: float) -> bool:
    tg, te = type(got), type(exp)
    if te is float or tg is float:
        if tg not in (int, float) or te not in (int, float):
            return False
        if math.isnan(got) or math.isnan(exp):
            return math.isnan(got) and math.isnan(exp)
        if math.isinf(got) or math.isinf(exp):
            return got == exp
        return abs(got - exp) <= atol + rtol * abs(exp)  # np.allclose's formula
    if te in (list, tuple) and tg is te:
        return len(got) == len(exp) and all(_close(g, e, atol, rtol) for g, e in zip(got, exp))
    if te is dict and tg is dict:
        return got.keys() == exp.keys() and all(_close(got[k], exp[k], atol, rtol) for k in exp)
    return got == exp


def values_equal(got: object, exp: object, atol: float = 0.0, rtol: float = 0.0) -> bool:
    """Python equality, with float tolerance inside containers.

    evalplus's rule: an expectation holding floats with atol 0 gets atol 1e-6, and rtol is 1e-7
    (`np.allclose` defaults) whenever a tolerance applies.
    """
    if got == exp:
        return True
    if atol == 0 and has_float(exp):
        atol = 1e-6
    if atol == 0 and rtol == 0:
        return False
    return _close(got, exp, atol, max(rtol, 1e-7))


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _float_token_equal(g: str, e: str, atol: float, rtol: float) -> bool:
    if g == e:
        return True
    try:
        fg, fe = float(g), float(e)
    except ValueError:
        return False
    return _close(fg, fe, atol, rtol)


def stdout_equal(got: str, exp: str, comparator: str, atol: float = 1e-6, rtol: float = 1e-6) -> bool:
    """Named stdout comparators: exact | lines | tokens | float, a compatibility preset (PRESETS), or one of
    testlib's standard checkers (CHECKERS: passes where the checker exits OK; its FAIL, a malformed answer, is
    False too).

    exact: equal strings; lines: each line's trailing whitespace and trailing blank lines ignored; tokens:
    testlib's wcmp (`wcmp`); float: `str.split()` tokens equal, or both numbers within atol/rtol. A preset
    gives False rather than raise on odd input; an unknown name raises ValueError."""
    if comparator == "exact":
        return got == exp
    if comparator == "lines":
        return _lines(got) == _lines(exp)
    if comparator == "tokens":
        return wcmp(got, exp)
    if comparator == "float":
        gt, et = got.split(), exp.split()
        return len(gt) == len(et) and all(_float_token_equal(g, e, atol, rtol) for g, e in zip(gt, et))
    preset = PRESETS.get(comparator) or CHECKERS.get(comparator)
    if preset is None:
        raise ValueError(f"unknown comparator {comparator!r}")
    try:
        return preset(got, exp)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 — odd input never raises out of the judge's comparison
        return False
