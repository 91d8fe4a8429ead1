"""Penalties for audit flags: reward = correctness - penalty, for training against reward hacking.

    from codereward import Engine
    from codereward.rewards.shaping import penalized
    engine = Engine(reward=penalized("binary", {"hardcoding": 0.5}))

The penalty of a result is, per flagged category, that category's penalty times the weight of the most
severe flag in it (high 1.0, medium 0.5, low 0 by default), summed over categories and capped at
`max_penalty`. A sample that hacks and fails scores -1 instead of 0, so a policy sees a gradient away
from the attempt, not just the absence of reward. Results with status `error` keep reward None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..audit.taxonomy import Category, Flag, Severity
from ..results import Result
from . import RewardFn, get_reward

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
    """Defaults overridden by `spec` ({"hardcoding": 0.5, ...}); an unknown category is a ValueError."""
    out = dict(DEFAULT_PENALTIES)
    for name, value in (spec or {}).items():
        try:
            cat = Category(name)
        except ValueError:
            raise ValueError(f"unknown audit category {name!r}; choose from "
                             f"{', '.join(c.value for c in Category)}") from None
        out[cat] = float(value)
    return out


def penalized(base: str | RewardFn = "binary", penalties: Mapping[str, float] | None = None, *,
              weights: Mapping[Severity, float] = DEFAULT_WEIGHTS, max_penalty: float = 1.0) -> RewardFn:
    """A reward function: `base` (a reward name or function) minus the flags' penalty.

    Needs results with flags (Engine(audit=True), the default); without flags the penalty is 0.
    """
    base_fn = get_reward(base) if isinstance(base, str) else base
    table = parse_penalties(penalties)

    def reward(result: Result) -> float:
        return base_fn(result) - penalty(result.flags or (), table, weights, max_penalty)

    reward.__name__ = reward.__qualname__ = f"penalized_{getattr(base_fn, '__name__', 'reward')}"
    return reward
