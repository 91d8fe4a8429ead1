"""Everything known about each task's suite, in one pass: precision, mutation score, coverage, pool rates.

    scores = score_suites(engine, tasks, tests=generated, strong=plus_tasks, pools=pools)
    summarize(scores)

The suite of a task is its own tests, or, given `tests`, those generated tests made into one
(inputs.generated_suite). Each part runs only where it can: mutation and coverage need the task's reference,
pool rates need a pool (a pools file's programs, or samples labelled by the task's own tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Engine
from ..results import Result, Status
from ..tasks.model import AssertSuite, SqlSuite, Task
from ..tasks.samples import Sample
from .covering import Coverage, coverage_of
from .inputs import Pool, generated_suite
from .mutation import MutationReport, failed_tests, mutation_scores
from .pools import PoolScore, pool_score, pool_summary

Progress = Callable[[int], None] | None


@dataclass
class SuiteScore:
    task_id: str
    tests: int
    reference_passed: int | None = None  # tests the reference passes (None: no reference, or it could not run)
    mutation: MutationReport | None = None
    coverage: Coverage | None = None
    pool: PoolScore | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        """The share of the suite's tests the reference passes (CodeT's generated tests: often well below 1)."""
        return self.reference_passed / self.tests if self.reference_passed is not None and self.tests else None

    def to_dict(self, reference: str | None = None, diffs: bool = True) -> dict[str, Any]:
        return {"task_id": self.task_id, "tests": self.tests, "precision": self.precision,
                "mutation": self.mutation.to_dict(reference, diffs) if self.mutation else None,
                "coverage": self.coverage.to_dict() if self.coverage else None,
                "pool": self.pool.to_dict() if self.pool else None, "notes": self.notes}


def _passed(results: Sequence[Result], n_tests: int) -> tuple[np.ndarray, np.ndarray]:
    """[programs x tests] passed, and [programs] executed, from run results (a test the program never reached,
    after a hang, fails: the suite rejected it)."""
    passed = np.zeros((len(results), n_tests), dtype=np.bool_)
    for i, r in enumerate(results):
        if r.status is Status.PASSED:
            passed[i] = True
        elif r.status is Status.FAILED:
            ok = [t.outcome.value == "passed" for t in r.tests]
            passed[i, :len(ok)] = ok[:n_tests]
    return passed, np.array([r.status is not Status.ERROR for r in results], dtype=np.bool_)


def score_suites(engine: Engine, tasks: Sequence[Task], *, tests: Mapping[str, Sequence[str]] | None = None,
                 strong: Mapping[str, Task] | None = None, pools: Mapping[str, Pool] | None = None,
                 mutation: bool = True, coverage: bool = True, keep_invalid: bool = False,
                 operators: Sequence[str] | None = None, max_mutants: int | None = None, budget: float | None = None,
                 on_progress: Progress = None, on_planned: Progress = None,
                 coverage_engine: Engine | None = None) -> list[SuiteScore]:
    """Score each task's suite (see the module's docstring). `keep_invalid`: count tests the reference fails
    when judging pools (by default they are left out: a wrong test rejects every program); `budget`: seconds
    for the mutation runs (mutation.mutation_scores); `coverage_engine`: the engine that measures coverage (its
    sandboxes must import `coverage`; default `engine`); `on_progress(n)`: n more executions done;
    `on_planned(n)`: n more are coming, on top of `work(...)` (the mutants, once made)."""
    started = time.monotonic()
    suites = [generated_suite(t, tests.get(t.id, [])) if tests is not None else t for t in tasks]
    with_ref = [s for s in suites if s.reference]
    ref_results = dict(zip([s.id for s in with_ref], engine.run_many([(s, s.reference or "") for s in with_ref])))
    scores: list[SuiteScore] = []
    for s in suites:
        r = ref_results.get(s.id)
        score = SuiteScore(s.id, len(r.tests) if r is not None else _count_tests(s))
        if r is None:
            score.notes.append("no reference solution: no precision, mutation score or coverage")
        elif r.status is Status.ERROR:
            score.notes.append(f"the reference could not be run: {r.reason}")
        else:
            score.reference_passed = score.tests - len(failed_tests(r))
        scores.append(score)
        if on_progress is not None:
            on_progress(1)
    by_id = {s.task_id: s for s in scores}
    if mutation and with_ref:
        left = None if budget is None else max(0.0, budget - (time.monotonic() - started))
        for report in mutation_scores(engine, with_ref, strong=strong, operators=operators, limit=max_mutants,
                                      budget=left, on_progress=on_progress, on_planned=on_planned,
                                      references=ref_results):
            by_id[report.task_id].mutation = report
    if coverage:
        for s in with_ref:
            if s.tests.kind == "stdio":
                by_id[s.id].notes.append("coverage is measured for assert and call suites only")
                continue
            by_id[s.id].coverage = coverage_of(coverage_engine or engine, s)
            if on_progress is not None:
                on_progress(1)
    if pools:
        for s in suites:
            pool = pools.get(s.id)
            if pool is None:
                continue
            programs = pool.correct + pool.incorrect
            # Each test's own verdict, under the task's own limit: an engine that validates tests would make
            # the ones the reference fails `invalid` for all, and --keep-invalid-tests needs what they said.
            with engine.sibling(fixed_limit=True) as plain:
                results = plain.run_many([(s, p) for p in programs])
            if on_progress is not None:
                on_progress(len(programs))
            score = by_id[s.id]
            passed, executed = _passed(results, score.tests)
            usable = None
            r = ref_results.get(s.id)
            if not keep_invalid and r is not None and r.status is not Status.ERROR:
                usable = np.ones(score.tests, dtype=np.bool_)
                usable[failed_tests(r)] = False
            score.pool = pool_score(s.id, passed, [True] * len(pool.correct) + [False] * len(pool.incorrect),
                                    executed=executed, usable=usable)
            if pool.other_languages:
                score.notes.append(f"{pool.other_languages} pool programs in other languages left out")
            if pool.unlabelled:
                score.notes.append(f"{pool.unlabelled} samples left out: their ground-truth run did not finish")
    return scores


def labelled_pools(engine: Engine, tasks: Mapping[str, Task], samples: Sequence[Sample],
                   on_progress: Progress = None) -> dict[str, Pool]:
    """Pools from samples, each labelled by the task's own tests: correct when it passes them all. A sample
    whose run could not finish is in neither list (Pool.unlabelled)."""
    pools: dict[str, Pool] = {}
    results = engine.evaluate(tasks, samples, on_result=None if on_progress is None else lambda _i, _r: on_progress(1))
    for sample, r in zip(samples, results):
        pool = pools.setdefault(sample.task_id, Pool([], []))
        program = sample.program(tasks[sample.task_id])
        if r.status is Status.ERROR:
            pool.unlabelled += 1
        else:
            (pool.correct if r.status is Status.PASSED else pool.incorrect).append(program)
    return pools


def _count_tests(task: Task) -> int:
    tests = task.tests
    return 0 if isinstance(tests, AssertSuite) else tests.count if isinstance(tests, SqlSuite) else len(tests.cases)


def work(tasks: Sequence[Task], *, mutation: bool, coverage: bool, pools: Mapping[str, Pool] | None) -> int:
    """Progress steps before the mutants are known (one per reference run, coverage run, pool program);
    the mutation runs add theirs to the total as they are made (the CLI's bar grows)."""
    n = len(tasks) + (len(tasks) if coverage else 0)
    return n + sum(len(p.correct) + len(p.incorrect) for p in (pools or {}).values())


def summarize(scores: Sequence[SuiteScore], seconds: float | None = None) -> dict[str, Any]:
    """Means over tasks (each over the tasks where it is defined) and the pools' macro rates."""
    def mean(xs: list[float]) -> float | None:
        return float(np.mean(xs)) if xs else None

    muts = [s.mutation for s in scores if s.mutation is not None]
    covs = [s.coverage for s in scores if s.coverage is not None and not s.coverage.error]
    out: dict[str, Any] = {
        "tasks": len(scores), "tests": sum(s.tests for s in scores),
        "precision": mean([p for s in scores if (p := s.precision) is not None]),
        "mutation_score": mean([x for m in muts if (x := m.score) is not None]),
        "mutants": sum(len(m.mutants) for m in muts),
        **{k: sum(m.count(k) for m in muts) for k in ("killed", "timed_out", "survived", "invalid", "unreachable",
                                                     "error", "not_run")},
        "incomplete_tasks": [m.task_id for m in muts if not m.complete],
        "line_coverage": mean([c.line_percent for c in covs if c.line_percent is not None]),
        "branch_coverage": mean([c.branch_percent for c in covs if c.branch_percent is not None]),
        "coverage_errors": sum(1 for s in scores if s.coverage is not None and s.coverage.error),
        "seconds": seconds,
    }
    if any(m.strong for m in muts):
        out["equivalent"] = sum(m.equivalent for m in muts)
        out["mutation_score_nonequivalent"] = mean([x for m in muts if (x := m.score_nonequivalent) is not None])
        out["mutation_score_with_strong"] = mean([x for m in muts if (x := m.score_with_strong) is not None])
        out["strong_kills_nothing_more"] = [m.task_id for m in muts if m.score is not None
                                            and m.score_with_strong == m.score]
    pools = [s.pool for s in scores if s.pool is not None]
    out["pools"] = pool_summary(pools) if pools else None
    return out
