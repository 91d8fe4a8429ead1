"""Shapers that read a group of rollouts: difficulty-weighted partial credit and gating.

    score(results, DifficultyWeighted(), groups=prompt_ids)        # VeRPO-style partial credit
    score(results, Gated(aux=my_style_score), groups=prompt_ids)   # Posterior-GRPO-style gating

A group is the rollouts of one prompt (GRPO's G); `score(..., groups=...)` gives each result its group key,
and without keys a task's rollouts in one call form its group.
Results with status `error` get None and are left out of every statistic of their group: an infrastructure
failure is never a rollout that "failed the test".
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from ..errors import UsageError
from ..results import Outcome, Result, Status
from . import RewardFn, ShapeContext, Shaper, get_shaper


def _groups(results: Sequence[Result], context: ShapeContext) -> dict[Hashable, list[int]]:
    """Indices by group; without group keys, the rollouts of one task in this call are its group (a task
    built from a label is named by the label's content: the same prompt's rollouts share it)."""
    keys: Sequence[Hashable] = context.groups if context.groups is not None else [r.task_id for r in results]
    out: dict[Hashable, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        out[(key, results[i].task_id)].append(i)  # a group is one prompt: never mix tasks' test ids
    return out


def _counted(result: Result) -> list[tuple[str, bool]]:
    """(test id, passed) of each test that counts (invalid tests do not)."""
    return [(t.id or f"{k}:{t.name}", t.outcome is Outcome.PASSED)
            for k, t in enumerate(result.tests) if t.outcome is not Outcome.INVALID]


@dataclass
class DifficultyWeighted:
    """VeRPO-style dense reward: partial credit for the tests passed, each weighted by how hard it is for the
    policy right now. VeRPO's exact weights are not published; ours, for a result that did not pass every test:

        rho_j  = (s_j + 1) / (n_j + 2)       test j's pass rate in the group (Laplace-smoothed), s_j passes
                                              among n_j rollouts that ran (or the last `window` groups of
                                              the task, when window > 0)
        w_j    = 1 - rho_j                    harder tests weigh more; never 0, never 1
        reward = partial * sum_{j passed} w_j / sum_j w_j

    and 1.0 for a result that passed every test. Since a failed test always has w_j > 0, the sum is < 1:
    every rollout that passes outscores every one that does not, for any `partial` in [0, 1] (full
    correctness dominates). A test every rollout passes still gives a little credit (w_j = 1/(n+2)), so a
    group where none passes everything is still ranked by how much it passes.

    `window` > 0 keeps, per task, the per-test counts of the last `window` groups (this call's included):
    the weights then move with the policy across steps, and a shaper called one rollout at a time (verl's
    per-sample reward) still weights tests by difficulty. The state is per instance and thread-safe."""

    partial: float = 0.5
    window: int = 0
    name: str = "verpo"
    _history: dict[str, deque[dict[str, tuple[int, int]]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.partial <= 1.0:
            raise UsageError(f"partial must be in [0, 1], not {self.partial}")
        if self.window < 0:
            raise UsageError(f"window must be >= 0, not {self.window}")

    def weights(self, results: Sequence[Result]) -> dict[str, float]:
        """w_j of each test id of these results (one group), with the window's history when kept."""
        counts: dict[str, tuple[int, int]] = {}
        for r in results:
            if r.status is Status.ERROR:
                continue
            for test_id, passed in _counted(r):
                s, n = counts.get(test_id, (0, 0))
                counts[test_id] = (s + passed, n + 1)
        if self.window:
            task = results[0].task_id if results else ""
            with self._lock:
                history = self._history.setdefault(task, deque(maxlen=self.window))
                history.append(counts)
                merged: dict[str, tuple[int, int]] = {}
                for step in history:
                    for test_id, (s, n) in step.items():
                        ms, mn = merged.get(test_id, (0, 0))
                        merged[test_id] = (ms + s, mn + n)
            counts = merged
        return {test_id: 1.0 - (s + 1) / (n + 2) for test_id, (s, n) in counts.items()}

    def __call__(self, results: Sequence[Result], context: ShapeContext) -> list[float | None]:
        out: list[float | None] = [None] * len(results)
        for indices in _groups(results, context).values():
            weights = self.weights([results[i] for i in indices])
            for i in indices:
                r = results[i]
                if r.status is Status.ERROR:
                    continue
                if r.status is Status.PASSED:
                    out[i] = 1.0
                    continue
                tests = _counted(r)
                total = sum(weights[t] for t, _ in tests)
                out[i] = self.partial * sum(weights[t] for t, ok in tests if ok) / total if total else 0.0
        return out


def _gated(results: Sequence[Result], base: Sequence[float | None], aux: Sequence[float | None],
           weight: float) -> list[float | None]:
    return [None if b is None or r.status is Status.ERROR else
            b + (weight * a if r.status is Status.PASSED and a is not None else 0.0)
            for r, b, a in zip(results, base, aux, strict=True)]


@dataclass(frozen=True)
class Gated:
    """Posterior-GRPO's gating: an auxiliary reward counts only for rollouts that pass.

        reward = base + weight * aux    if the result passed every test
                 base                    otherwise

    `aux` is any shaper or function of a Result (an efficiency bonus, a style score): a rollout cannot farm
    it without being correct. For scores computed outside codereward (a reasoning reward model's, one per
    completion), `gate()` applies the same rule to a list of values."""

    aux: Shaper | RewardFn
    base: Shaper | RewardFn | str = "binary"
    weight: float = 1.0
    name: str = "gated"

    def __call__(self, results: Sequence[Result], context: ShapeContext) -> list[float | None]:
        return _gated(results, get_shaper(self.base)(results, context), get_shaper(self.aux)(results, context),
                      self.weight)


def gate(results: Sequence[Result], aux: Sequence[float | None], weight: float = 1.0,
         base: Shaper | RewardFn | str = "binary", groups: Sequence[Hashable] | None = None) -> list[float | None]:
    """Gated rewards for auxiliary scores given as values (one per result, in order): see Gated. Sets no
    result's .reward (score() does that for shapers)."""
    if len(aux) != len(results):
        raise UsageError(f"{len(aux)} auxiliary scores for {len(results)} results")
    return _gated(results, get_shaper(base)(results, ShapeContext(groups)), aux, weight)
