"""Penalties for audit flags: reward = correctness - penalty, for training against reward hacking.

    from codereward import penalized, score
    score(results, penalized("binary", {"hardcoding": 0.5}))    # results of an audited Engine (the default)

The penalty of a result is, per flagged category, that category's penalty times the weight of the most
severe flag in it (high 1.0, medium 0.5, low 0 by default), summed over categories and capped at
`max_penalty`. A sample that hacks and fails scores -1 instead of 0, so a policy sees a gradient away
from the attempt, not just the absence of reward. Results with status `error` keep reward None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..audit.taxonomy import Category, Flag, Severity
from ..errors import UsageError
from ..results import Result
from . import PerResult, RewardFn, Shaper, get_shaper

DEFAULT_PENALTIES: dict[Category, float] = {c: 1.0 for c in Category}
DEFAULT_WEIGHTS: dict[Severity, float] = {Severity.HIGH: 1.0, Severity.MEDIUM: 0.5, Severity.LOW: 0.0}


def penalty(flags: Iterable[Flag], penalties: Mapping[Category, float] = DEFAULT_PENALTIES,
            weights: Mapping[Severity, float] = DEFAULT_WEIGHTS, max_penalty: float = 1.0) -> float:
    worst: dict[Category, float] = {}
    for f in flags:
        p = penalties.get(f.category, 0.0) * weights.get(f.severity, 0.0)
        worst[f.category] = max(worst.get(f.category, 0.0), p)
    return min(max_penalty, sum(worst.values()))


def parse_penalties(spec: Mapping[str, float] | None) -> dict[Category, float]:
    """Defaults overridden by `spec` ({"hardcoding": 0.5, ...}); an unknown category is a UsageError."""
    out = dict(DEFAULT_PENALTIES)
    for name, value in (spec or {}).items():
        try:
            cat = Category(name)
        except ValueError:
            raise UsageError(f"unknown audit category {name!r}; choose from "
                             f"{', '.join(c.value for c in Category)}") from None
        out[cat] = float(value)
    return out


def penalized(base: str | Shaper | RewardFn = "binary", penalties: Mapping[str, float] | None = None, *,
              weights: Mapping[Severity, float] = DEFAULT_WEIGHTS, max_penalty: float = 1.0) -> PerResult:
    """A shaper: `base`'s reward (a per-result shaper's name, or a function of a result) minus the flags'
    penalty.

    Needs results with flags (Engine(audit=True), the default); without flags the penalty is 0.
    """
    shaper = get_shaper(base)
    if not isinstance(shaper, PerResult):
        raise UsageError(f"penalized() takes a per-result reward, and {shaper.name!r} is a group shaper")
    base_fn = shaper.fn
    table = parse_penalties(penalties)

    def reward(result: Result) -> float:
        return base_fn(result) - penalty(result.flags or (), table, weights, max_penalty)

    return PerResult(reward, f"penalized_{shaper.name}")
