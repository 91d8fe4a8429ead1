"""Rewards, at the edges: a shaper turns a group of results into rewards. The engine returns verdicts only;
the CLI, the server and every training adapter apply a shaper with `score`.

    rewards = score(results, "binary")                        # also sets each result's .reward
    rewards = score(results, "fraction", groups=prompt_ids)   # group keys: GRPO's rollouts of one prompt
    rewards = score(results, penalized("binary", {"hardcoding": 0.5}))   # rewards/shaping.py
    rewards = score(results, "verpo:window=8", groups=prompt_ids)        # rewards/group.py, by its spec
    rewards = score(results, "checked:base=fraction", completions=texts) # rewards/checks.py

A shaper is named in configs by a spec, `NAME` or `NAME:key=value,...` (get_shaper, SPECS): `binary`,
`fraction`, `verpo` (difficulty-weighted partial credit), `threshold` (relaxed pass), `checked` (no-code,
compile-error and format penalties around a base), `open_r1` (open-r1's code recipe). A value is a number,
true/false, or another shaper's name (`checked:base=verpo`).

A shaper is any object with a `name` and `__call__(results, context) -> list[float | None]`, so a group
shaper (normalising within a GRPO group, weighting tests by how hard they were for the group) is as easy
to write as a per-result one (`per_result`). Whatever a shaper says, a result with status `error` gets
None: an infrastructure failure, or a broken task, is never scored (TRL's nan-aware aggregation skips it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..errors import UsageError
from ..results import Outcome, Result, Status

RewardFn = Callable[[Result], float]  # a reward of one result: per_result() makes it a shaper


@dataclass(frozen=True)
class ShapeContext:
    """What a shaper may know besides the results."""

    groups: Sequence[Hashable] | None = None  # per result, the key of its group (None: each its own group)
    # per result, the model's completion it came from (text or chat messages), for shapers that check the
    # answer's format or whether it holds code at all (rewards/checks.py); None when not known
    completions: Sequence[Any] | None = None


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
    """Share of tests passed: n_passed / n_tests (tests known invalid do not count), a failed test counting
    its partial credit where its checker gave one (TestResult.score: an SQL suite's soft_f1)."""
    return result.credit / result.n_tests if result.n_tests else 0.0


def _subtasks(result: Result) -> float:
    """IOI's score as a share: Σ points x subtask score / Σ points (Result.subtasks: each subtask scores the
    least credit among its tests). A task without subtasks is one subtask of all its tests (binary, with
    partial credit)."""
    if not result.subtasks:
        return min((t.credit for t in result.tests if t.outcome is not Outcome.INVALID), default=0.0)
    total = sum(s.points for s in result.subtasks)
    return sum(s.points * s.score for s in result.subtasks) / total if total else 0.0


binary = PerResult(_binary, "binary")
fraction = PerResult(_fraction, "fraction")
subtasks = PerResult(_subtasks, "subtasks")
SHAPERS: dict[str, Shaper] = {"binary": binary, "fraction": fraction, "subtasks": subtasks}


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(low)
        except ValueError:
            pass
    return text.strip()  # a shaper's name (base=fraction)


def _factories() -> dict[str, Callable[..., Shaper]]:
    from .checks import OPEN_R1, Checked, PaVeRL, Threshold, WeightedSum
    from .group import DifficultyWeighted

    def fixed(shaper: Shaper) -> Callable[[], Shaper]:
        return lambda: shaper

    return {"binary": fixed(binary), "fraction": fixed(fraction), "subtasks": fixed(subtasks),
            "verpo": DifficultyWeighted,
            "threshold": Threshold, "checked": Checked, "open_r1": fixed(OPEN_R1), "weighted_sum": WeightedSum,
            "paverl": PaVeRL}


SPECS = ("binary", "fraction", "subtasks", "verpo", "threshold", "checked", "open_r1", "weighted_sum", "paverl")
_built: dict[str, Shaper] = {}
_built_lock = threading.Lock()


def _from_spec(spec: str) -> Shaper:
    """The shaper a spec names. One instance per spec in a process: a stateful shaper (verpo's window) keeps
    its state across the server's requests and the adapters' calls."""
    with _built_lock:
        if spec in _built:
            return _built[spec]
    name, _, args = spec.partition(":")
    factories = _factories()
    if name.strip() not in factories:
        raise UsageError(f"unknown reward {name.strip()!r}; choose one of {', '.join(SPECS)} "
                         "(NAME or NAME:key=value,...)")
    kwargs: dict[str, Any] = {}
    for part in filter(None, (x.strip() for x in args.split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"reward {spec!r}: {part!r} is not key=value")
        kwargs[key.strip()] = _value(value)
    factory = factories[name.strip()]
    fields: dict[str, Any] = getattr(factory, "__dataclass_fields__", {})  # presets take no settings
    settings = [n for n in fields if not n.startswith("_") and n != "name"]
    unknown = [k for k in kwargs if k not in settings]
    if unknown:
        raise UsageError(f"reward {spec!r}: unknown setting {unknown[0]!r}; {name.strip()} takes "
                         f"{', '.join(settings) or 'none'}")
    shaper = factory(**kwargs)
    with _built_lock:
        return _built.setdefault(spec, shaper)


def get_shaper(spec: str | Shaper | RewardFn) -> Shaper:
    """A shaper by spec ("binary", "verpo:window=8", ...: SPECS), a shaper itself, or a function
    Result -> float."""
    if type(spec) is PerResult:  # the usual case, without a Protocol check (~10 µs, per result in the CLI)
        return spec
    if isinstance(spec, str):
        return SHAPERS[spec] if spec in SHAPERS else _from_spec(spec)
    if isinstance(spec, Shaper):
        return spec
    if callable(spec):
        return per_result(spec)
    raise UsageError(f"a reward is a name, a shaper or a function of a Result, not {type(spec).__name__}")


def score(results: Sequence[Result], shaper: str | Shaper | RewardFn = "binary", *,
          groups: Sequence[Hashable] | None = None, completions: Sequence[Any] | None = None) -> list[float | None]:
    """Apply a shaper to results: set each result's `reward` and return the rewards, in order.

    `groups`: one key per result (e.g. its prompt); results with equal keys form a group for group shapers.
    `completions`: one per result, the completion its program came from (format and no-code checks).
    A result with status `error` gets None whatever the shaper says."""
    s = get_shaper(shaper)
    for what, values in (("group keys", groups), ("completions", completions)):
        if values is not None and len(values) != len(results):
            raise UsageError(f"{len(values)} {what} for {len(results)} results")
    rewards = list(s(results, ShapeContext(groups, completions)))
    if len(rewards) != len(results):
        raise UsageError(f"shaper {s.name!r} returned {len(rewards)} rewards for {len(results)} results")
    for r, v in zip(results, rewards):
        r.reward = None if r.status is Status.ERROR or v is None else float(v)
    return [r.reward for r in results]


__all__ = ["SHAPERS", "SPECS", "PerResult", "RewardFn", "ShapeContext", "Shaper", "binary", "fraction",
           "get_shaper", "per_result", "score"]
