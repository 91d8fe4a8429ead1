"""What an execution produces: per-test outcomes, a sample status and a reward.

A candidate's failure is data (an Outcome); an infrastructure failure is Status.ERROR with a reason and a
reward of None, so it can never quietly become a 0 (DESIGN.md rule 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .audit.taxonomy import Flag


class Outcome(StrEnum):
    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    COMPILE_ERROR = "compile_error"
    SKIPPED = "skipped"
    # A test known to be broken (it fails on the task's reference solution: Engine(validate_tests=True)):
    # it counts neither for nor against the program.
    INVALID = "invalid"


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


class ErrorCause(StrEnum):
    """Why a result has status `error` (it has no verdict, so no reward)."""

    SANDBOX = "sandbox"  # the sandbox or the engine broke: retrying may succeed
    TASK = "task"  # the task's tests (or its reference solution) are broken: every sample of it gets this


@dataclass(slots=True)
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    name: str
    outcome: Outcome
    time: float = 0.0  # seconds spent in this test
    memory_kb: int = 0  # peak resident memory of the candidate process after this test
    detail: str = ""  # exception type and message, or expected vs got, truncated
    visible: bool = True
    # "<index>:<12 hex digits of the test's source or case>": the same test has the same id in every run,
    # whatever its display name (judge/prepare.py).
    id: str = ""
    # What happened, as the judge saw it (sandboxed/records.py Cause: assertion_failed, candidate_raised,
    # test_error, ...); the outcome is decided from it (judge/verdict.py).
    cause: str = ""
    # Partial credit in [0, 1], when the test's checker gives one (an SQL suite's soft_f1): the `fraction`
    # reward counts it; the test passed only with 1.0. None: all or nothing, by the outcome.
    score: float | None = None

    @property
    def credit(self) -> float:
        """What the test is worth to a partial reward: 1 passed, its score if it has one, else 0."""
        if self.outcome is Outcome.PASSED:
            return 1.0
        return self.score if self.score is not None else 0.0

    def to_dict(self) -> dict[str, Any]:
        # Spelled out, not dataclasses.asdict: that deep-copies field by field, ~15 µs a test, and every
        # result line of an eval pays it once per test.
        d = {"name": self.name, "outcome": self.outcome.value, "time": self.time, "memory_kb": self.memory_kb,
             "detail": self.detail, "visible": self.visible, "id": self.id, "cause": self.cause}
        if self.score is not None:  # only where a checker gave one: other result lines are unchanged
            d["score"] = self.score
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TestResult:
        return cls(name=d["name"], outcome=Outcome(d["outcome"]), time=d.get("time", 0.0),
                   memory_kb=d.get("memory_kb", 0), detail=d.get("detail", ""), visible=d.get("visible", True),
                   id=d.get("id", ""), cause=d.get("cause", ""), score=d.get("score"))


@dataclass(frozen=True, slots=True)
class SubtaskResult:
    """An IOI-style subtask's outcome: `score` in [0, 1] is the least credit of its tests (a subtask counts
    only when every one of its tests does), worth `points`."""

    name: str
    points: float
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "points": self.points, "score": self.score}


Detail = Literal["full", "failures", "summary"]
DETAILS: tuple[str, ...] = ("full", "failures", "summary")


@dataclass(slots=True)
class Result:
    task_id: str
    status: Status
    tests: list[TestResult] = field(default_factory=list)
    reward: float | None = None  # set by a shaper (rewards.score), never by the engine; None for `error`
    reason: str = ""  # why status is error, in words; empty otherwise
    cause: ErrorCause | None = None  # why status is error, for programs; None otherwise
    time: float = 0.0  # wall seconds of the execution
    memory_kb: int = 0  # peak resident memory of the candidate process
    completion_id: int | None = None  # position of the sample among the task's samples
    flags: list[Flag] | None = None  # reward-hacking audit flags (audit/); None when the audit is off
    # Input index of the identical earlier sample (same task, same program) whose execution this result
    # shares (Engine(dedupe=True), scheduling.Duplicates); None when this sample ran itself.
    duplicate_of: int | None = None
    subtasks: list[SubtaskResult] | None = None  # the task's subtasks, when it has them (StdioSuite.subtasks)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def n_passed(self) -> int:
        return sum(t.outcome is Outcome.PASSED for t in self.tests)

    @property
    def credit(self) -> float:
        """The tests' credit summed (TestResult.credit), tests known invalid left out: n_passed, plus the
        partial credit of failed tests whose checker gave one."""
        return sum(t.credit for t in self.tests if t.outcome is not Outcome.INVALID)

    @property
    def n_tests(self) -> int:
        """Tests that count: every test but those known to be invalid."""
        return sum(t.outcome is not Outcome.INVALID for t in self.tests)

    def to_dict(self, detail: Detail = "full") -> dict[str, Any]:
        """The result as JSON data. `detail`: "full", one record per test; "failures", only the tests that
        neither passed nor were skipped, each with its `index`, and `outcomes` (count per outcome); "summary",
        `outcomes` and `first_failure` (that record, or null) and no per-test records. With hundreds of tests
        a sample (HumanEval+, CodeContests), "full" is ~100 bytes a test; the other two stay small."""
        if detail == "full":
            tests: dict[str, Any] = {"tests": [t.to_dict() for t in self.tests]}
        else:
            bad = [{**t.to_dict(), "index": i} for i, t in enumerate(self.tests)
                   if t.outcome is not Outcome.PASSED and t.outcome is not Outcome.SKIPPED]
            counts: dict[str, int] = {}
            for t in self.tests:
                counts[t.outcome.value] = counts.get(t.outcome.value, 0) + 1
            tests = {"outcomes": counts}
            if detail == "failures":
                tests["tests"] = bad
            elif detail == "summary":
                tests["first_failure"] = bad[0] if bad else None
            else:
                raise ValueError(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")
        return {
            "task_id": self.task_id,
            "completion_id": self.completion_id,
            "status": self.status.value,
            "reward": self.reward,
            "passed": self.n_passed,
            "total": self.n_tests,
            "reason": self.reason,
            **({"cause": self.cause.value} if self.cause is not None else {}),
            "time": round(self.time, 6),
            "memory_kb": self.memory_kb,
            **tests,
            **({"flags": [f.to_dict() for f in self.flags]} if self.flags is not None else {}),
            **({"duplicate_of": self.duplicate_of} if self.duplicate_of is not None else {}),
            **({"subtasks": [s.to_dict() for s in self.subtasks]} if self.subtasks is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        """Inverse of to_dict (result lines, cache rows); `passed`/`total` are derived, not read."""
        return cls(task_id=d["task_id"], status=Status(d["status"]),
                   tests=[TestResult.from_dict(t) for t in d.get("tests", [])], reward=d.get("reward"),
                   reason=d.get("reason", ""), cause=ErrorCause(d["cause"]) if d.get("cause") else None,
                   time=d.get("time", 0.0), memory_kb=d.get("memory_kb", 0),
                   completion_id=d.get("completion_id"),
                   flags=[_flag(f) for f in d["flags"]] if d.get("flags") is not None else None,
                   duplicate_of=d.get("duplicate_of"),
                   subtasks=[SubtaskResult(s["name"], float(s["points"]), float(s["score"])) for s in d["subtasks"]]
                   if d.get("subtasks") is not None else None)


def _flag(d: dict[str, Any]) -> Flag:
    from .audit.taxonomy import Flag  # here, not at the top: audit/ imports this module

    return Flag.from_dict(d)


@dataclass(frozen=True, slots=True)
class Outputs:
    """An execution's result and, per test, the value it gave: in collect mode (Engine.outputs) what a call
    case returned or a stdio case printed; with Engine.execute(values=True) what each test's call returned.
    None where there is none."""

    result: Result
    values: list[Any]
    # With Engine.execute(cost=...): the program's line events ("lines") or CPU seconds ("cpu") over its
    # load and its calls; None with `cost_note` saying why (not measured, untrusted: sandboxed/costing.py).
    lines: int | None = None
    cpu: float | None = None
    cost_note: str = ""
    # With cost="trace": (events, truncated) as judge/prepare.trace_of reads them; codereward.tracing.Trace
    # is the typed view.
    trace: Any = None

    @property
    def tests(self) -> list[TestResult]:
        return self.result.tests
