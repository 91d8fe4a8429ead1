"""Mutation score of a test suite: mutants of the task's reference (mutants.py) run in the sandbox against the
suite, each one killed, timed out, survived, invalid, an infrastructure error, or not run (budget).

    reports = mutation_scores(engine, [task], strong={task.id: plus_task}, budget=600)
    reports[0].score, reports[0].survivors()

Decisions, each for a reason:
* A test the unmutated reference fails kills nothing (it would "kill" every mutant): it is listed in
  `reference_failed` and ignored. UTRL instead scores such a suite 0 (its cosmic-ray baseline fails). With
  `time_limit="auto"`, give the engine `validate_tests=True` too when the suite may hold such tests (generated
  ones do): calibration otherwise refuses a task whose reference fails a test.
* A mutant that does not load (it raises at import, or no longer compiles) is `invalid` and left out of the
  score: any suite, even an empty one, "kills" it. cosmic-ray counts it killed.
* A mutant in a function that neither the entry point nor the module's own code can reach is `unreachable`
  (mutants.unreachable_lines), not run and left out of the score: tests reach a program only through its entry
  point, so no suite could kill it (HumanEval/50's `encode_shift`: the tests use the dataset's own copy).
  Under cosmic-ray, whose tests import the mutated module's helpers, such a mutant can be killed.
* A mutant that fails only by running out of time is `timed_out` and counts as killed (the suite, run with a
  limit, does reject it), shown apart so a score made of hangs can be seen. Run the engine with
  `time_limit="auto"` so a hang costs a small multiple of the reference's time, not the task's whole limit.
* An execution the sandbox could not finish is `error`: not a verdict, out of the score, counted.
* With a `strong` suite (HumanEval+'s plus inputs, say), the survivors run against it too, stopping at their
  first failure (whether it kills them is all that matters): those it kills are the suite's real misses;
  those it does not kill either are reported as likely equivalent (no strong test tells them from the
  reference) and `score_nonequivalent` leaves them out.
* A time budget stops handing out mutants when it runs out: the report says `complete: false` and how many
  were not run, and the score covers the mutants that ran. There is no score without a mutant: None, never
  a silent 1.0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..engine import Engine
from ..results import Outcome, Result, Status
from ..sandboxed.records import Cause
from ..tasks.model import Task
from .mutants import Mutant, mutants, unreachable_lines

MutantStatus = Literal["killed", "timed_out", "survived", "invalid", "unreachable", "error", "not_run"]
_NOT_LOADED = {Cause.LOAD_RAISED.value, Cause.COMPILE_ERROR.value}
_NOT_FAILED = {Outcome.PASSED, Outcome.SKIPPED, Outcome.INVALID}
CHUNK = 64  # pairs handed to the engine at a time: the budget is checked between chunks


@dataclass
class MutantResult:
    mutant: Mutant
    status: MutantStatus = "not_run"
    killed_by: list[int] = field(default_factory=list)  # the suite's tests it fails (the reference passes them)
    strong: MutantStatus | None = None  # a survivor's status against the strong suite, when one was given
    detail: str = ""  # why invalid or error

    @property
    def equivalent(self) -> bool:
        """Likely equivalent: it survived the strong suite too."""
        return self.strong == "survived"


@dataclass
class MutationReport:
    task_id: str
    tests: list[str]  # the suite's test names, in order (killed_by indexes them)
    mutants: list[MutantResult]
    reference_failed: list[int] = field(default_factory=list)  # tests the reference fails: they kill nothing
    complete: bool = True
    reason: str = ""  # why the report is partial, or why there is no score at all
    strong: bool = False  # the survivors ran against a strong suite too

    def count(self, status: MutantStatus) -> int:
        return sum(m.status == status for m in self.mutants)

    @property
    def killed(self) -> int:
        """Mutants the suite rejects (timeouts included)."""
        return self.count("killed") + self.count("timed_out")

    @property
    def scored(self) -> int:
        """Mutants that count: killed, timed out or survived."""
        return self.killed + self.count("survived")

    @property
    def score(self) -> float | None:
        """killed / (killed + survived); None when no mutant counted."""
        return self.killed / self.scored if self.scored else None

    @property
    def equivalent(self) -> int:
        return sum(m.equivalent for m in self.mutants)

    @property
    def score_nonequivalent(self) -> float | None:
        """The score with the likely-equivalent mutants left out (needs a strong suite)."""
        n = self.scored - self.equivalent
        return self.killed / n if n else None

    @property
    def score_with_strong(self) -> float | None:
        """The score of the suite together with the strong one: mutants either kills, over those that count."""
        missed = sum(m.strong in ("killed", "timed_out") for m in self.mutants)
        return (self.killed + missed) / self.scored if self.scored else None

    def survivors(self) -> list[MutantResult]:
        return [m for m in self.mutants if m.status == "survived"]

    def to_dict(self, reference: str | None = None, diffs: bool = True) -> dict[str, Any]:
        """A JSON-ready summary; with the `reference` program, the survivors' diffs."""
        statuses: tuple[MutantStatus, ...] = ("killed", "timed_out", "survived", "invalid", "unreachable", "error",
                                              "not_run")
        out: dict[str, Any] = {
            "task_id": self.task_id, "mutants": len(self.mutants), **{s: self.count(s) for s in statuses},
            "score": self.score, "complete": self.complete, "reason": self.reason,
            "reference_failed_tests": self.reference_failed, "tests": len(self.tests),
        }
        if self.strong:
            out.update(equivalent=self.equivalent, score_nonequivalent=self.score_nonequivalent,
                       score_with_strong=self.score_with_strong)
        out["mutant_results"] = [
            {"index": m.mutant.index, "operator": m.mutant.operator, "line": m.mutant.line, "status": m.status,
             "killed_by": m.killed_by, **({"strong": m.strong} if m.strong is not None else {}),
             **({"detail": m.detail} if m.detail else {}),
             **({"diff": m.mutant.diff(reference)} if diffs and reference is not None and m.status == "survived"
                else {})}
            for m in self.mutants]
        return out


def classify(result: Result, reference_failed: Sequence[int] = ()) -> tuple[MutantStatus, list[int], str]:
    """A mutant's status from its result on the suite: (status, the tests that killed it, detail)."""
    if result.status is Status.ERROR:
        return "error", [], result.reason
    if any(t.cause in _NOT_LOADED for t in result.tests):
        first = next(t for t in result.tests if t.cause in _NOT_LOADED)
        return "invalid", [], first.detail
    ignore = set(reference_failed)
    failing = [j for j, t in enumerate(result.tests) if t.outcome not in _NOT_FAILED and j not in ignore]
    if not failing:
        return "survived", [], ""
    if all(result.tests[j].outcome is Outcome.TIME_LIMIT for j in failing):
        return "timed_out", failing, ""
    return "killed", failing, ""


def failed_tests(result: Result) -> list[int]:
    """The tests the reference does not pass (an engine with validate_tests marks them `invalid`)."""
    return [j for j, t in enumerate(result.tests) if t.outcome is not Outcome.PASSED]


def mutation_scores(engine: Engine, tasks: Sequence[Task], *, strong: Mapping[str, Task] | None = None,
                    operators: Sequence[str] | None = None, limit: int | None = None, budget: float | None = None,
                    on_progress: Callable[[int], None] | None = None,
                    on_planned: Callable[[int], None] | None = None,
                    references: Mapping[str, Result] | None = None) -> list[MutationReport]:
    """The mutation score of each task's own test suite against its reference (in order). `strong`: per task
    id, a stronger suite (a Task with the same entry point) the survivors also run against; `operators`,
    `limit`: which mutants (mutants.mutants); `budget`: seconds after which no more mutants start;
    `on_progress(1)` per execution finished; `on_planned(n)` when n more executions are known to come (the
    mutants of all tasks, then the survivors' runs against the strong suite); `references`: per task id, the
    reference's result on that task's suite when the caller has it already (score.py), so it is not run twice."""
    deadline = None if budget is None else time.monotonic() + budget
    strong = strong or {}
    reports: list[MutationReport] = []
    known = references or {}
    keys: list[str] = []
    refs: list[tuple[Task, str]] = []
    for task in tasks:
        if not task.reference:
            raise ValueError(f"task {task.id} has no reference solution to mutate")
        if task.id not in known:
            keys.append(task.id)
            refs.append((task, task.reference))
        if task.id in strong:
            keys.append("strong:" + task.id)
            refs.append((strong[task.id], task.reference))
    base: dict[str, Result] = {**known, **dict(zip(keys, engine.run_many(refs)))}
    pairs: list[tuple[int, MutantResult]] = []  # (report index, mutant)
    for k, task in enumerate(tasks):
        ref = base[task.id]
        report = MutationReport(task.id, [t.name for t in ref.tests], [], failed_tests(ref),
                                strong=task.id in strong)
        reports.append(report)
        if ref.status is Status.ERROR:
            report.complete, report.reason = False, f"the reference could not be run: {ref.reason}"
            continue
        if report.reference_failed and len(report.reference_failed) == len(ref.tests):
            report.reason = "the reference fails every test of the suite: no test can kill a mutant"
        report.mutants = [MutantResult(m) for m in mutants(task.reference or "", operators, limit)]
        dead = unreachable_lines(task.reference or "", task.entry_point if task.tests.kind != "stdio" else None)
        for m in report.mutants:
            if m.mutant.line in dead:
                m.status = "unreachable"
        pairs += [(k, m) for m in report.mutants if m.status != "unreachable"]
    if on_planned is not None:
        on_planned(len(pairs))
    _run(engine, [(tasks[k], k, m) for k, m in pairs],
         lambda k, m, r: _set(m, r, reports[k].reference_failed), deadline, on_progress)
    survivors = [(k, m) for k, m in pairs if m.status == "survived" and tasks[k].id in strong]
    if on_planned is not None and survivors:
        on_planned(len(survivors))
    # Against the strong suite the question is only whether any test kills the survivor: stop at its first
    # failure, unless the reference fails some strong test (that first failure might be one the reference
    # shares, and a later test the real kill).
    clean = {k for k, _ in survivors if not failed_tests(base["strong:" + tasks[k].id])}
    with engine.sibling(fail_fast=True) as fast:
        for runner, group in ((fast, [(k, m) for k, m in survivors if k in clean]),
                              (engine, [(k, m) for k, m in survivors if k not in clean])):
            _run(runner, [(strong[tasks[k].id], k, m) for k, m in group],
                 lambda k, m, r: _set_strong(m, r, failed_tests(base["strong:" + tasks[k].id])), deadline,
                 on_progress)
    for _k, m in survivors:
        if m.strong is None:
            m.strong = "not_run"
    for report in reports:
        if any(m.status == "not_run" or m.strong == "not_run" for m in report.mutants):
            report.complete = False
            report.reason = report.reason or "the time budget ran out: the score covers the mutants that ran"
    return reports


def _set(m: MutantResult, r: Result, reference_failed: Sequence[int]) -> None:
    m.status, m.killed_by, m.detail = classify(r, reference_failed)


def _set_strong(m: MutantResult, r: Result, reference_failed: Sequence[int]) -> None:
    m.strong = classify(r, reference_failed)[0]


def _run(engine: Engine, work: Sequence[tuple[Task, int, MutantResult]],
         record: Callable[[int, MutantResult, Result], None], deadline: float | None,
         on_progress: Callable[[int], None] | None) -> None:
    for start in range(0, len(work), CHUNK):
        if deadline is not None and time.monotonic() >= deadline:
            return
        chunk = work[start:start + CHUNK]

        def done(i: int, r: Result, chunk: Sequence[tuple[Task, int, MutantResult]] = chunk) -> None:
            record(chunk[i][1], chunk[i][2], r)
            if on_progress is not None:
                on_progress(1)

        engine.run_many([(task, m.mutant.program) for task, _k, m in chunk], on_result=done)
