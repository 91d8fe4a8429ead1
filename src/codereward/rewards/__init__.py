"""Rewards, at the edges: a shaper turns a group of results into rewards. The engine returns verdicts only;
the CLI, the server and every training adapter apply a shaper with `score`.

    rewards = score(results, "binary")                        # also sets each result's .reward
    rewards = score(results, "fraction", groups=prompt_ids)   # group keys: GRPO's rollouts of one prompt
    rewards = score(results, penalized("binary", {"hardcoding": 0.5}))   # rewards/shaping.py

A shaper is any object with a `name` and `__call__(results, context) -> list[float | None]`, so a group
shaper (normalising within a GRPO group, weighting tests by how hard they were for the group) is as easy
to write as a per-result one (`per_result`). Whatever a shaper says, a result with status `error` gets
None: an infrastructure failure, or a broken task, is never scored (TRL's nan-aware aggregation skips it).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..errors import UsageError
from ..results import Result, Status

RewardFn = Callable[[Result], float]  # a reward of one result: per_result() makes it a shaper


@dataclass(frozen=True)
class ShapeContext:
    """What a shaper may know besides the results."""

    groups: Sequence[Hashable] | None = None  # per result, the key of its group (None: each its own group)


@runtime_checkable
class Shaper(Protocol):
    @property
    def name(self) -> str: ...  # read-only: a frozen dataclass (PerResult) implements it with a field

    def __call__(self, results: Sequence[Result], context: ShapeContext) -> Sequence[float | None]: ...


@dataclass(frozen=True)
class PerResult:
    """A shaper that rewards each result on its own, with `fn(result)`."""

    fn: RewardFn
    name: str

    def __call__(self, results: Sequence[Result], context: ShapeContext) -> list[float | None]:
        return [None if r.status is Status.ERROR else float(self.fn(r)) for r in results]


def per_result(fn: RewardFn, name: str | None = None) -> PerResult:
    fn_name: str = getattr(fn, "__name__", "custom")  # a callable object may have none
    return PerResult(fn, name or fn_name)


def _binary(result: Result) -> float:
    """1.0 if every test passed, else 0.0."""
    return 1.0 if result.status is Status.PASSED else 0.0


def _fraction(result: Result) -> float:
    """Share of tests passed: n_passed / n_tests (tests known invalid do not count)."""
    return result.n_passed / result.n_tests if result.n_tests else 0.0


binary = PerResult(_binary, "binary")
fraction = PerResult(_fraction, "fraction")
SHAPERS: dict[str, Shaper] = {"binary": binary, "fraction": fraction}


def get_shaper(spec: str | Shaper | RewardFn) -> Shaper:
    """A shaper by name ("binary", "fraction"), a shaper itself, or a function Result -> float."""
    if type(spec) is PerResult:  # the usual case, without a Protocol check (~10 µs, per result in the CLI)
        return spec
    if isinstance(spec, str):
        try:
            return SHAPERS[spec]
        except KeyError:
            raise UsageError(f"unknown reward {spec!r}; choose one of {', '.join(SHAPERS)}") from None
    if isinstance(spec, Shaper):
        return spec
    if callable(spec):
        return per_result(spec)
    raise UsageError(f"a reward is a name, a shaper or a function of a Result, not {type(spec).__name__}")


def score(results: Sequence[Result], shaper: str | Shaper | RewardFn = "binary", *,
          groups: Sequence[Hashable] | None = None) -> list[float | None]:
    """Apply a shaper to results: set each result's `reward` and return the rewards, in order.

    `groups`: one key per result (e.g. its prompt); results with equal keys form a group for group shapers.
    A result with status `error` gets None whatever the shaper says."""
    s = get_shaper(shaper)
    if groups is not None and len(groups) != len(results):
        raise UsageError(f"{len(groups)} group keys for {len(results)} results")
    rewards = list(s(results, ShapeContext(groups)))
    if len(rewards) != len(results):
        raise UsageError(f"shaper {s.name!r} returned {len(rewards)} rewards for {len(results)} results")
    for r, v in zip(results, rewards):
        r.reward = None if r.status is Status.ERROR or v is None else float(v)
    return [r.reward for r in results]


__all__ = ["SHAPERS", "PerResult", "RewardFn", "ShapeContext", "Shaper", "binary", "fraction", "get_shaper",
           "per_result", "score"]
