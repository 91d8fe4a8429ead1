"""ADAP: adaptive generate–rank–verify (Dughmi et al. 2026, arXiv 2605.17609; the paper has no public code).

Each sample comes with a cheap score (a reward model, a ranker); the verifier (hidden-test execution) is
expensive. The goal is the first verified-positive candidate at minimum expected cost

    cost = sample_cost * samples drawn + verify_cost * verifier calls.

ADAP works in shells, growing both the number of samples drawn and the number of top-ranked samples verified,
and stops at the first pass; the paper proves its expected cost within a constant factor of the
distribution-aware optimum when the pass probability does not decrease with the score. The paper's constants are
not known to us: the schedule below is OUR choice (every constant is a parameter).

    shell k = 0, 1, ...:  N_k = max(ceil(n0 * g**k), N_{k-1} + 1)   samples drawn in total
                          V_k = max(ceil(v0 * g**k), V_{k-1} + 1)   verifier calls made in total
      1. draw N_k - N_{k-1} new samples;
      2. verify the best-scored samples not verified yet, one at a time, until V_k calls in total, a pass, or
         none is left.
    defaults: g = 2, v0 = 1, n0 = max(1, ceil(v0 * verify_cost / sample_cost))  (v0 when sampling is free)

The default n0 makes each shell spend about as much on generation as on verification. With n0 = v0 every
sample drawn gets verified, the ranking is almost unused, and the cost ratio to the optimum grows with
verify_cost / sample_cost instead of staying constant (replay of 64 samples, the 6 correct ones scored highest,
verify_cost = 10 * sample_cost: expected cost 30.5 with the default n0, 88.8 with n0 = 1).

Ties in score: the sample drawn earlier ranks first. Equal candidates (== and hash; identity when unhashable)
are verified once: a copy of a verified candidate has a known verdict. Sampling is charged per sample returned.
Budget: no action takes the cost over `budget`. A draw is cut to leave room for one verification; the search
stops when the next verification, or a draw that leaves that room, does not fit ("budget"), at the first pass
("passed"), or when the sampler returned fewer samples than asked and every candidate is verified ("exhausted").
The budget must cover the first shell's draw and one verification (n0 * sample_cost + verify_cost). With
budget=inf and a sampler that never runs dry, the search runs until a pass.

Replay (no model needed): recorded (score, correct) pools; each trial draws uniformly without replacement (one
seeded permutation), and ADAP and the fixed-N baselines ("draw N, verify in score order until the first pass",
N capped at the pool's size, `None` = all) run on the same permutations.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import astuple, dataclass
from typing import Generic, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from .evaluate import truth
from .matrix import PassMatrix
from .rankers import Ranking

T = TypeVar("T")
Stop = Literal["passed", "budget", "exhausted"]
FIXED_N: tuple[int | None, ...] = (1, 2, 4, 8, 16, 32, None)  # None: the whole pool


@dataclass(frozen=True)
class Shell:
    """Totals at the end of one shell."""

    samples: int
    verifications: int
    cost: float


@dataclass(frozen=True)
class SearchResult(Generic[T]):
    """What adaptive_search did and why it stopped."""

    chosen: T | None  # the candidate the verifier passed, None when none did
    passed: bool
    cost: float  # sample_cost * samples + verify_cost * verifications
    samples: int  # samples drawn, repeats included
    verifications: int  # verifier calls
    shells: int  # shells in which something was drawn or verified
    log: tuple[Shell, ...]  # one entry per such shell
    stop: Stop


@dataclass(frozen=True)
class StrategyStats:
    """One table row: means over trials (and over tasks in replay_many)."""

    strategy: str  # "adap", "fixed-8", "fixed-all"
    cost: float
    success: float  # fraction of trials that found a verified pass
    samples: float
    verifications: float

    @property
    def cost_per_success(self) -> float:
        """cost / success: what one verified pass costs when the strategy is repeated until it finds one."""
        return self.cost / self.success if self.success else math.inf


@dataclass(frozen=True)
class ReplayResult:
    adaptive: StrategyStats
    fixed: tuple[StrategyStats, ...]

    def rows(self) -> list[StrategyStats]:
        return [self.adaptive, *self.fixed]


def schedule(initial_samples: int, initial_verifications: int, growth: float) -> Iterator[tuple[int, int]]:
    """(N_k, V_k) for k = 0, 1, ...: N_k = max(ceil(n0 * g**k), N_{k-1} + 1), V_k likewise from v0."""
    n = v = k = 0
    while True:
        n = max(math.ceil(initial_samples * growth**k), n + 1)
        v = max(math.ceil(initial_verifications * growth**k), v + 1)
        yield n, v
        k += 1


def affordable(want: int, unit: float, room: float) -> int:
    """The largest m <= want with m * unit <= room (0 when room < 0)."""
    if room < 0:
        return 0
    if unit == 0 or math.isinf(room):
        return want
    m = min(want, math.floor(room / unit))
    while m > 0 and m * unit > room:  # floor of a rounded quotient can be one too many
        m -= 1
    return m


def _validate(sample_cost: float, verify_cost: float, budget: float, initial_samples: int | None,
              initial_verifications: int, growth: float, pool: int | None = None) -> int:
    """Raise UsageError naming the bad parameter; return n0 (resolved when None)."""
    for name, value in (("sample_cost", sample_cost), ("verify_cost", verify_cost)):
        if not (value >= 0 and math.isfinite(value)):  # NaN fails too
            raise UsageError(f"{name} must be a finite number >= 0, got {value!r}")
    for name, count in (("initial_samples", initial_samples), ("initial_verifications", initial_verifications)):
        if count is not None and count < 1:
            raise UsageError(f"{name} must be >= 1, got {count!r}")
    if not (growth > 1 and math.isfinite(growth)):
        raise UsageError(f"growth must be a finite number > 1, got {growth!r}")
    n0 = initial_samples
    if n0 is None:
        ratio = verify_cost / sample_cost if sample_cost else 1.0
        n0 = max(1, math.ceil(initial_verifications * ratio))
    first = sample_cost * (n0 if pool is None else min(n0, pool)) + verify_cost
    if not budget >= first:
        raise UsageError(f"budget must cover the first shell's draw and one verification ({first}), got {budget!r}")
    return n0


def _key(candidate: object) -> Hashable:
    try:
        hash(candidate)
    except TypeError:
        return (False, id(candidate))
    return (True, candidate)


def _next_unverified(heap: list[tuple[float, int]], pool: list[T], known: dict[Hashable, bool]) -> int | None:
    while heap and _key(pool[heap[0][1]]) in known:
        heapq.heappop(heap)  # a copy of a candidate already verified
    return heap[0][1] if heap else None


def adaptive_search(sample: Callable[[int], Sequence[tuple[T, float]]], verify: Callable[[T], bool], *,
                    sample_cost: float, verify_cost: float, budget: float, initial_samples: int | None = None,
                    initial_verifications: int = 1, growth: float = 2.0) -> SearchResult[T]:
    """Run ADAP live: `sample(n)` returns n new (candidate, score) pairs (fewer when it runs dry), `verify`
    the verdict. The schedule, tie and budget rules are the module docstring's."""
    n0 = _validate(sample_cost, verify_cost, budget, initial_samples, initial_verifications, growth)
    pool: list[T] = []
    heap: list[tuple[float, int]] = []  # (-score, draw index): best score first, the earlier draw on ties
    known: dict[Hashable, bool] = {}
    log: list[Shell] = []
    verified, dry = 0, False
    chosen: T | None = None
    stop: Stop | None = None

    def spent() -> float:
        return sample_cost * len(pool) + verify_cost * verified

    for target_n, target_v in schedule(n0, initial_verifications, growth):
        before = (len(pool), verified)
        # 1. Draw, leaving room for one verification.
        m = 0 if dry else affordable(target_n - len(pool), sample_cost, budget - spent() - verify_cost)
        if m > 0:
            batch = list(sample(m))
            if len(batch) > m:
                raise UsageError(f"sample({m}) returned {len(batch)} candidates")
            dry = len(batch) < m
            for candidate, score in batch:
                if math.isnan(score):
                    raise UsageError(f"sample returned a NaN score for candidate {len(pool)}")
                heapq.heappush(heap, (-float(score), len(pool)))
                pool.append(candidate)
        # 2. Verify the best unverified candidates, up to V_k calls in total.
        while verified < target_v and (i := _next_unverified(heap, pool, known)) is not None:
            if spent() + verify_cost > budget:
                stop = "budget"
                break
            heapq.heappop(heap)
            verdict = bool(verify(pool[i]))
            verified += 1
            known[_key(pool[i])] = verdict
            if verdict:
                chosen, stop = pool[i], "passed"
                break
        progressed = (len(pool), verified) != before
        if progressed:
            log.append(Shell(len(pool), verified, spent()))
        if stop is None and dry and _next_unverified(heap, pool, known) is None:
            stop = "exhausted"
        elif stop is None and not progressed:
            stop = "budget"  # nothing drawn (no room) and nothing verifiable within the budget
        if stop is not None:
            return SearchResult(chosen, stop == "passed", spent(), len(pool), verified, len(log), tuple(log), stop)
    raise AssertionError("unreachable: the schedule never ends")


def _pool(scores: Sequence[float], correct: Sequence[bool]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    s, c = np.asarray(scores, dtype=float), np.asarray(correct, dtype=bool)
    if s.ndim != 1 or len(s) == 0:
        raise UsageError("scores must be a non-empty 1-d sequence")
    if c.shape != s.shape:
        raise UsageError(f"correct has {len(c)} entries, scores {len(s)}: they must match")
    if np.isnan(s).any():
        raise UsageError("scores must not contain NaN")
    return s, c


def _sampler(scores: npt.NDArray[np.float64], order: npt.NDArray[np.int64]) -> Callable[[int], list[tuple[int, float]]]:
    """sample(k): the next k recorded samples of this draw order (fewer at the pool's end)."""
    drawn = iter(order.tolist())
    return lambda k: [(i, float(scores[i])) for _, i in zip(range(k), drawn)]


def _stats(name: str, cost: npt.ArrayLike, success: npt.ArrayLike, samples: npt.ArrayLike,
           verifications: npt.ArrayLike) -> StrategyStats:
    means = (float(np.asarray(a, dtype=float).mean()) for a in (cost, success, samples, verifications))
    return StrategyStats(name, *means)


def fixed_n(scores: npt.NDArray[np.float64], correct: npt.NDArray[np.bool_], orders: npt.NDArray[np.int64],
            n: int | None, *, sample_cost: float, verify_cost: float, budget: float) -> StrategyStats:
    """Fixed-N over trials (one draw order per row of `orders`): draw N = min(n, pool) (cut, as ADAP's draws,
    to leave room for one verification), verify in descending score (earlier draw on ties) until the first pass
    or the budget. cost = sample_cost * N + verify_cost * verifications."""
    size = affordable(min(n or len(scores), len(scores)), sample_cost, budget - verify_cost)
    drawn = orders[:, :size]
    ranked = np.take_along_axis(drawn, np.argsort(-scores[drawn], axis=1, kind="stable"), axis=1)
    hits = correct[ranked]
    needed = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, size + 1)  # size + 1: no pass to find
    calls = np.minimum(needed, affordable(size, verify_cost, budget - sample_cost * size))
    name = "fixed-all" if n is None else f"fixed-{n}"
    return _stats(name, sample_cost * size + verify_cost * calls, needed <= calls, np.full(len(orders), size), calls)


def replay(scores: Sequence[float], correct: Sequence[bool], *, sample_cost: float, verify_cost: float,
           budget: float = math.inf, initial_samples: int | None = None, initial_verifications: int = 1,
           growth: float = 2.0, fixed: Sequence[int | None] = FIXED_N, trials: int = 1000,
           seed: int = 0) -> ReplayResult:
    """ADAP and fixed-N on one recorded pool, averaged over `trials` seeded permutations of it (the same
    permutations for every strategy)."""
    s, c = _pool(scores, correct)
    _validate(sample_cost, verify_cost, budget, initial_samples, initial_verifications, growth, len(s))
    if trials < 1:
        raise UsageError(f"trials must be >= 1, got {trials!r}")
    if any(n is not None and n < 1 for n in fixed):
        raise UsageError(f"fixed sizes must be >= 1 (or None for all), got {list(fixed)!r}")
    orders = np.random.default_rng(seed).permuted(np.tile(np.arange(len(s)), (trials, 1)), axis=1)
    runs = [adaptive_search(_sampler(s, order), lambda i: bool(c[i]), sample_cost=sample_cost,
                            verify_cost=verify_cost, budget=budget, initial_samples=initial_samples,
                            initial_verifications=initial_verifications, growth=growth) for order in orders]
    adap = _stats("adap", [r.cost for r in runs], [r.passed for r in runs], [r.samples for r in runs],
                  [r.verifications for r in runs])
    return ReplayResult(adap, tuple(fixed_n(s, c, orders, n, sample_cost=sample_cost, verify_cost=verify_cost,
                                            budget=budget) for n in fixed))


def replay_many(tasks: Sequence[tuple[Sequence[float], Sequence[bool]]], *, sample_cost: float, verify_cost: float,
                budget: float = math.inf, initial_samples: int | None = None, initial_verifications: int = 1,
                growth: float = 2.0, fixed: Sequence[int | None] = FIXED_N, trials: int = 1000,
                seed: int = 0) -> list[StrategyStats]:
    """replay() per task (task i seeded with seed + i), then the unweighted mean over tasks of every column:
    one row per strategy, ADAP first (`dataclasses.astuple(row)` for a plain tuple)."""
    if not tasks:
        raise UsageError("tasks must not be empty")
    per_task = [replay(s, c, sample_cost=sample_cost, verify_cost=verify_cost, budget=budget,
                       initial_samples=initial_samples, initial_verifications=initial_verifications, growth=growth,
                       fixed=fixed, trials=trials, seed=seed + i).rows() for i, (s, c) in enumerate(tasks)]
    return [_stats(rows[0].strategy, *np.mean([astuple(r)[1:] for r in rows], axis=0))
            for rows in zip(*per_task)]


def ranked_pool(m: PassMatrix, ranking: Ranking) -> tuple[list[float], list[bool]]:
    """A task's recorded pool for replay: one entry per sample, its program's standing in a selector's
    ranking as the cheap score (the best group highest; programs the ranking leaves out lowest) and its
    ground truth. The ranking saw every sample at once, which a live search would not: replay tells what
    ADAP spends given such scores, not how the scores form."""
    correct = truth(m)
    standing = np.full(len(m.programs), -float(len(ranking)))
    for place, (members, _score) in enumerate(ranking):
        standing[members] = -float(place)
    scores, labels = [], []
    for i, n in enumerate(m.program_counts):
        scores += [float(standing[i])] * int(n)
        labels += [bool(correct[i])] * int(n)
    return scores, labels
