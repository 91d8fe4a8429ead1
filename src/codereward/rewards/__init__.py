"""Reward shaping: a named function from a Result to a float. `error` results get None, always."""

from __future__ import annotations

from collections.abc import Callable

from ..results import Result, Status

RewardFn = Callable[[Result], float]


def binary(result: Result) -> float:
    """1.0 if every test passed, else 0.0."""
    return 1.0 if result.status is Status.PASSED else 0.0


def fraction(result: Result) -> float:
    """Share of tests passed: n_passed / n_tests."""
    return result.n_passed / result.n_tests if result.n_tests else 0.0


REWARDS: dict[str, RewardFn] = {"binary": binary, "fraction": fraction}


def get_reward(name: str) -> RewardFn:
    try:
        return REWARDS[name]
    except KeyError:
        raise ValueError(f"unknown reward {name!r}; choose one of {', '.join(REWARDS)}") from None


def apply_reward(result: Result, fn: RewardFn) -> Result:
    """Set result.reward; an infra error keeps None so callers can skip it instead of scoring it 0."""
    result.reward = None if result.status is Status.ERROR else fn(result)
    return result
