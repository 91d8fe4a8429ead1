"""The seam below the engine: one execution in (`Job`), what the sandbox said out (`Execution`).

    class Executor(Protocol): start, close, execute(job) -> Execution, n_workers, capacity, fingerprint

An executor runs raw executions and knows nothing of verdicts, rewards, caches or tasks: it takes a
prepared test suite (named by a content hash, so a sandbox prepares each suite's judge once), a program's
payload and the limits, and returns the judge's records and the sandbox's account of the processes. Two
implementations: `backends.local.LocalPool` (warm sandboxes on this machine) and `backends.ray.RayPool`
(sandbox pools on the nodes of a Ray cluster). The Engine (engine.py) drives either the same way.

An executor raises InfraError when the sandbox broke (after its own retries); whatever the candidate or
the tests did is in the records, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypedDict

from .sandboxed.records import Record
from .tasks.model import Limits

Mode = Literal["judge", "collect"]


@dataclass(frozen=True, slots=True)
class SuitePayload:
    """A task's tests as its judge receives them, once per sandbox."""

    kind: str  # "assert" | "call" | "stdio"
    data: bytes  # the wire-encoded suite (judge/prepare.py builds it)
    key: str  # content hash: equal tests share one prepared judge in each sandbox


@dataclass(frozen=True, slots=True)
class Job:
    """One execution: a program against a prepared suite, under limits."""

    suite: SuitePayload
    program: bytes  # the program as its language prepared it (languages/): what the candidate process loads
    time: float  # wall-clock seconds for the whole execution (every test of the program)
    limits: dict[str, Any]  # the task's Limits, as a dict: memory_mb, output_kb, open_files
    entry: str = ""  # the function the tests call ("" for stdio programs)
    mode: Mode = "judge"  # "collect": the judge returns each case's output instead of comparing it
    fail_fast: bool = False  # stop at the first failing test (the rest are recorded as not run)
    audit: bool = True  # the candidate writes runtime audit events (audit/)
    profile: str = "python"  # the sandbox profile that runs it (sandbox/bwrap.py PROFILES)
    test_time: float = 0.0  # seconds each test may take (0: only the execution's limit); past it the test fails
    #                         `time_limit` and the tests after it are not run (the caller runs them again)
    only: tuple[int, ...] | None = None  # run just these tests, by index (the others are `not_run`)
    values: bool = False  # record what each test's call returned, when it returned (Execution records "v")
    cost: str = ""  # measure the program's cost while it loads and answers calls: "lines" (line events,
    #                 deterministic), "cpu" (CPU seconds) or "trace" (lines, and its trace); sandboxed/costing.py
    trace_watch: tuple[int, ...] | None = None  # with cost="trace": lines whose locals are recorded (None: all)


_LIMITS: dict[int, tuple[Limits, dict[str, Any]]] = {}


def limits_of(limits: Limits) -> dict[str, Any]:
    """A task's limits as a Job carries them: made once per Limits object, not per execution (keyed by the
    object, which the entry keeps alive: hashing and comparing pydantic models costs ~8 µs a lookup)."""
    hit = _LIMITS.get(id(limits))
    if hit is None or hit[0] is not limits:
        if len(_LIMITS) > 8192:
            _LIMITS.clear()
        hit = _LIMITS[id(limits)] = (limits, limits.model_dump())
    return hit[1]


class ProcessStatus(TypedDict, total=False):
    """The zygote's account of one execution (sandboxed/zygote.py)."""

    id: int
    wall: float  # seconds from hand-out to the judge's answer
    killed: bool  # the judge did not answer by the deadline (time limit + grace): it was stopped
    lost: bool  # the task's judge is gone (killed, or it died)
    c_exit: int | None  # the candidate's exit status, when it exited by itself
    c_sig: int | None  # the signal that ended the candidate, when it died during the execution
    c_maxrss: int  # the candidate's peak resident memory, kB
    c_cpu: float  # the candidate's CPU seconds, when it died during the execution


@dataclass(slots=True)
class Execution:
    """What came back from one execution: the judge's records and the zygote's account of the processes."""

    records: list[Record]
    status: ProcessStatus
    truncated: bool = False  # the record stream ended mid-frame (the judge was killed while writing)
    events: bytes = b""  # runtime audit events the candidate wrote (untrusted: parsed into flags only)


class Executor(Protocol):
    """Where executions run. Thread-safe: the engine calls `execute` from `capacity` threads at once."""

    @property
    def n_workers(self) -> int:
        """Sandboxes this executor runs (over every node, for a cluster)."""
        ...

    @property
    def capacity(self) -> int:
        """How many executions to keep in flight to keep every sandbox busy."""
        ...

    @property
    def fingerprint(self) -> str:
        """Every setting of the executor that can change a verdict (isolation, importable packages,
        sandbox profile...): part of the result cache's key."""
        ...

    @property
    def stats(self) -> dict[str, int]:
        """Counters (executions, infra_retries, workers_restarted...), read by the engine."""
        ...

    def start(self) -> None: ...

    def close(self) -> None: ...

    def execute(self, job: Job, *, meanwhile: Callable[[], None] | None = None,
                program: Callable[[], bytes] | None = None) -> Execution:
        """Run one job; raise InfraError if the sandbox broke (after retries).

        `meanwhile`: host work to do once the sandbox has the job, while it runs (called once, even if the
        job is retried). `program`: makes the program's payload when `job.program` is empty, once the job is
        on its way (a local pool overlaps making it with the sandbox's hand-out)."""
        ...
