"""ADAP (select/adaptive.py): the shell schedule, verification bookkeeping, the budget, and replay over recorded
pools against the fixed-N baselines."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from codereward.errors import UsageError
from codereward.select.adaptive import (
    ReplayResult,
    Shell,
    StrategyStats,
    adaptive_search,
    replay,
    replay_many,
    schedule,
)


class Source:
    """A sampler over a fixed list of (candidate, score), or endless (candidate i, score 0) when none given."""

    def __init__(self, items: Sequence[tuple[Any, float]] | None = None) -> None:
        self.items, self.drawn = items, 0
        self.asked: list[int] = []

    def __call__(self, n: int) -> list[tuple[Any, float]]:
        self.asked.append(n)
        batch = [(f"c{self.drawn + j}", 0.0) for j in range(n)] if self.items is None else \
            list(self.items[self.drawn:self.drawn + n])
        self.drawn += len(batch)
        return batch


class Verifier:
    def __init__(self, passing: Callable[[Any], bool] = lambda c: False) -> None:
        self.passing = passing
        self.calls: list[Any] = []

    def __call__(self, candidate: Any) -> bool:
        self.calls.append(candidate)
        return self.passing(candidate)


def test_schedule_doubles_and_always_grows() -> None:
    it = schedule(3, 1, 2.0)
    assert [next(it) for _ in range(4)] == [(3, 1), (6, 2), (12, 4), (24, 8)]
    it = schedule(1, 1, 1.1)  # ceil(1.1**k) stalls at 2: every shell still adds one
    assert [next(it) for _ in range(4)] == [(1, 1), (2, 2), (3, 3), (4, 4)]


def test_doubling_visible_in_the_shell_log() -> None:
    source, verifier = Source(), Verifier()
    r = adaptive_search(source, verifier, sample_cost=1, verify_cost=1, budget=39, initial_samples=2)
    assert [(s.samples, s.verifications, s.cost) for s in r.log[:4]] == [(2, 1, 3), (4, 2, 6), (8, 4, 12), (16, 8, 24)]
    assert source.asked[:4] == [2, 2, 4, 8]
    # shell 4 wants 16 more; 39 - 24 leaves room for 14 and one verification
    assert r.log[-1] == Shell(samples=30, verifications=9, cost=39)
    assert (r.shells, r.stop, r.passed, r.chosen, r.cost) == (5, "budget", False, None, 39)


def test_default_split_balances_generation_and_verification() -> None:
    r = adaptive_search(Source(), Verifier(), sample_cost=2, verify_cost=7, budget=100)
    assert r.log[0].samples == 4  # ceil(7 / 2)


def test_verifies_best_score_first_ties_by_draw_order() -> None:
    items = [("a", 0.5), ("b", 0.9), ("c", 0.5), ("d", 0.9), ("e", 0.1)]
    verifier = Verifier()
    r = adaptive_search(Source(items), verifier, sample_cost=0, verify_cost=1, budget=100, initial_samples=5,
                        initial_verifications=5)
    assert verifier.calls == ["b", "d", "a", "c", "e"]
    assert (r.stop, r.shells, r.samples, r.verifications) == ("exhausted", 1, 5, 5)


def test_never_verifies_a_candidate_twice() -> None:
    shared = [1, 2]  # unhashable: the same object is one candidate, an equal copy is another
    items = [("x", 0.9), ("x", 0.8), (shared, 0.7), ("y", 0.6), (shared, 0.5), ([1, 2], 0.4), ("x", 0.3),
             ("y", 0.2)]
    verifier = Verifier()
    r = adaptive_search(Source(items), verifier, sample_cost=1, verify_cost=1, budget=math.inf,
                        initial_samples=1)
    assert verifier.calls == ["x", shared, "y", [1, 2]]
    assert verifier.calls[1] is shared and verifier.calls[3] is not shared
    assert (r.stop, r.samples, r.verifications, r.cost) == ("exhausted", 8, 4, 12)


def test_stops_at_the_first_pass() -> None:
    items = [(f"c{i}", float(i % 5)) for i in range(40)]
    source, verifier = Source(items), Verifier(lambda c: c in ("c2", "c4", "c9"))
    r = adaptive_search(source, verifier, sample_cost=1, verify_cost=2, budget=1000, initial_samples=2)
    # shells: {c0,c1} verify c1; +{c2,c3} verify c3 (c2 scores lower: not reached); +{c4..c7} verify c4: pass
    assert verifier.calls == ["c1", "c3", "c4"]
    assert (r.chosen, r.passed, r.stop, r.samples, r.verifications, r.cost, r.shells) == \
        ("c4", True, "passed", 8, 3, 14, 3)
    assert source.drawn == 8


def budget_case(rng: random.Random) -> None:
    """One random configuration; sample and verify check the spending as it happens."""
    sc, vc = rng.choice([0, 0.3, 1, 2.5]), rng.choice([0.7, 1, 4, 10])
    n0, v0, g = rng.randint(1, 5), rng.randint(1, 3), rng.choice([1.5, 2.0, 3.0])
    budget = n0 * sc + vc + rng.uniform(0, 80)
    items = [(i, rng.random()) for i in range(rng.randint(1, 60))]
    spent = [0.0]

    def sample(n: int) -> list[tuple[int, float]]:
        batch = [items.pop(0) for _ in range(min(n, len(items)))]
        spent[0] += sc * len(batch)
        assert spent[0] <= budget
        return batch

    def verify(c: int) -> bool:
        spent[0] += vc
        assert spent[0] <= budget
        return rng.random() < 0.05

    r = adaptive_search(sample, verify, sample_cost=sc, verify_cost=vc, budget=budget, initial_samples=n0,
                        initial_verifications=v0, growth=g)
    assert r.cost == pytest.approx(spent[0]) and r.cost <= budget
    assert [s.cost for s in r.log] == sorted(s.cost for s in r.log)
    if r.stop == "budget":  # not even one more draw and verification fit
        assert r.cost + sc + vc > budget


def test_budget_is_never_exceeded() -> None:
    rng = random.Random(7)
    for _ in range(300):
        budget_case(rng)


def test_exhausted_sampler() -> None:
    source, verifier = Source([(i, float(i)) for i in range(5)]), Verifier()
    r = adaptive_search(source, verifier, sample_cost=1, verify_cost=1, budget=math.inf, initial_samples=4)
    assert (r.stop, r.passed, r.chosen, r.samples, r.verifications) == ("exhausted", False, None, 5, 5)
    assert source.asked == [4, 4] and sorted(verifier.calls) == [0, 1, 2, 3, 4]
    empty = adaptive_search(Source([]), verifier, sample_cost=1, verify_cost=1, budget=10)
    assert (empty.stop, empty.samples, empty.shells, empty.log) == ("exhausted", 0, 0, ())


def test_replay_all_correct_costs_one_shell() -> None:
    r = replay([0.1, 0.5, 0.3, 0.9], [True] * 4, sample_cost=1.5, verify_cost=4, initial_samples=3, trials=50)
    assert (r.adaptive.cost, r.adaptive.success, r.adaptive.samples, r.adaptive.verifications) == (8.5, 1, 3, 1)
    assert [(f.strategy, f.cost) for f in r.fixed] == [("fixed-1", 5.5), ("fixed-2", 7), ("fixed-4", 10),
                                                       ("fixed-8", 10), ("fixed-16", 10), ("fixed-32", 10),
                                                       ("fixed-all", 10)]
    assert replay([0.1] * 9, [True] * 9, sample_cost=1, verify_cost=4, trials=5).adaptive.cost == 4 + 4


def test_replay_with_no_correct_program() -> None:
    scores, wrong = [0.1 * i for i in range(20)], [False] * 20
    full = replay(scores, wrong, sample_cost=1, verify_cost=1, initial_samples=1, trials=20)
    assert all(row.success == 0 for row in full.rows())
    assert full.adaptive.cost == 40 and full.fixed[-1].cost == 40
    capped = replay(scores, wrong, sample_cost=1, verify_cost=1, budget=25, initial_samples=1, trials=20)
    assert capped.adaptive.cost == 25 and capped.adaptive.success == 0
    assert all(row.cost <= 25 for row in capped.rows())


def test_informative_scores_adap_close_to_best_fixed_n() -> None:
    # 64 samples, the 6 correct ones score highest; verification costs 10 samples
    scores, correct = list(range(64)), [i >= 58 for i in range(64)]
    r = replay(scores, correct, sample_cost=1, verify_cost=10, trials=400, seed=3)
    assert r.adaptive.success == 1
    best = min(f.cost_per_success for f in r.fixed)
    worst = max(f.cost_per_success for f in r.fixed)
    assert r.adaptive.cost_per_success <= 1.5 * best
    assert r.adaptive.cost_per_success * 2.5 <= worst
    assert r.fixed[-1] == StrategyStats("fixed-all", 64 + 10, 1, 64, 1)  # the top-scored sample passes
    assert r.adaptive.cost <= 0.5 * r.fixed[-1].cost


def test_replay_is_deterministic_in_the_seed() -> None:
    scores, correct = [random.Random(1).random() for _ in range(30)], [i % 7 == 0 for i in range(30)]

    def run(seed: int) -> ReplayResult:
        return replay(scores, correct, sample_cost=1, verify_cost=3, trials=100, seed=seed)

    assert run(5) == run(5)
    assert run(5).adaptive != run(6).adaptive


def test_replay_many_averages_tasks() -> None:
    tasks = [([0.2, 0.4], [True, True]), ([0.2, 0.4, 0.6], [False, False, False])]
    rows = replay_many(tasks, sample_cost=1, verify_cost=1, initial_samples=1, fixed=(1, None), trials=10)
    assert [r.strategy for r in rows] == ["adap", "fixed-1", "fixed-all"]
    assert dataclasses.astuple(rows[0]) == ("adap", (2 + 6) / 2, 0.5, (1 + 3) / 2, (1 + 3) / 2)
    assert dataclasses.astuple(rows[2]) == ("fixed-all", (3 + 6) / 2, 0.5, (2 + 3) / 2, (1 + 3) / 2)


LIVE: dict[str, Any] = {"sample_cost": 1, "verify_cost": 1, "budget": 10}
POOL: dict[str, Any] = {"scores": [0.1, 0.2], "correct": [True, False], "sample_cost": 1, "verify_cost": 1}


@pytest.mark.parametrize(("changes", "name"), [
    ({"sample_cost": -1}, "sample_cost"), ({"verify_cost": math.nan}, "verify_cost"),
    ({"verify_cost": math.inf}, "verify_cost"), ({"budget": 1.5}, "budget"), ({"budget": -1}, "budget"),
    ({"initial_samples": 0}, "initial_samples"), ({"initial_verifications": 0}, "initial_verifications"),
    ({"growth": 1.0}, "growth"),
])
def test_live_bad_input(changes: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        adaptive_search(Source(), Verifier(), **{**LIVE, **changes})


def test_live_bad_sampler() -> None:
    with pytest.raises(UsageError, match="sample"):
        adaptive_search(lambda n: [("a", 0.0)] * (n + 1), Verifier(), **LIVE)
    with pytest.raises(UsageError, match="sample"):
        adaptive_search(lambda n: [("a", math.nan)] * n, Verifier(), **LIVE)


@pytest.mark.parametrize(("changes", "name"), [
    ({"scores": [], "correct": []}, "scores"), ({"correct": [True]}, "correct"),
    ({"scores": [0.1, math.nan]}, "scores"), ({"sample_cost": -0.5}, "sample_cost"),
    ({"budget": 1.9}, "budget"), ({"trials": 0}, "trials"), ({"fixed": (0, 4)}, "fixed"),
])
def test_replay_bad_input(changes: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        replay(**{**POOL, **changes})


def test_replay_many_bad_input() -> None:
    with pytest.raises(ValueError, match="tasks"):
        replay_many([], sample_cost=1, verify_cost=1)
    with pytest.raises(ValueError, match="correct"):
        replay_many([([0.1], [True]), ([0.1, 0.2], [True])], sample_cost=1, verify_cost=1, trials=5)
