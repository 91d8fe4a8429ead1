"""How costly a correct program is against its task's reference, measured in the same sandbox, so it can be
trusted on a loaded machine.

    with Engine(workers=2) as engine:
        e = efficiency(engine, task, program)      # e.lines_ratio: 0.5 = half the reference's work
        reward = acecode_reward(e)                 # 1 + bonus * (1 - ratio) when correct, else 0

Two measures (sandboxed/costing.py):
* **lines** — line events the program's Python executes while it loads and answers the tests' calls. Machine
  load cannot move it: the same program on the same inputs gives the same count, run after run. It does not
  see work done in C (`sorted()` costs the line that calls it), nor time spent sleeping.
* **cpu** — CPU seconds of the same, over `repeats` runs of the program and of the reference, interleaved;
  the median and the spread (min, max) of each. Sleeping costs no CPU; spinning does.

A program that tries to stop the meter (trace functions, frames, the heap, threads: costing.py) gets no cost,
never a lower one. Only a correct program has a ratio: a wrong one was not doing the task's work.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from .engine import Engine
from .errors import UsageError
from .results import Status
from .tasks.model import Task

# Tracing costs the program ~5-20x its own time: the lines run gets this many times the task's limit.
TRACE_TIME_FACTOR = 10.0


@dataclass(frozen=True)
class Efficiency:
    task_id: str
    status: Status  # the program's verdict in the measured run
    lines: int | None = None  # its line events (None: not measured, see `note`)
    reference_lines: int | None = None
    cpu: list[float] = field(default_factory=list)  # CPU seconds of each repeat
    reference_cpu: list[float] = field(default_factory=list)
    note: str = ""  # why a figure is missing

    @property
    def lines_ratio(self) -> float | None:
        """Program / reference line events: below 1, less work than the reference."""
        if self.lines is None or not self.reference_lines:
            return None
        return self.lines / self.reference_lines

    @property
    def cpu_ratio(self) -> float | None:
        """Median CPU time of the program / of the reference (None without a measurable reference time)."""
        if not self.cpu or not self.reference_cpu or statistics.median(self.reference_cpu) <= 0:
            return None
        return statistics.median(self.cpu) / statistics.median(self.reference_cpu)

    def to_dict(self) -> dict[str, object]:
        def spread(xs: list[float]) -> list[float] | None:
            return [min(xs), statistics.median(xs), max(xs)] if xs else None

        return {"task_id": self.task_id, "status": self.status.value, "lines": self.lines,
                "reference_lines": self.reference_lines, "lines_ratio": self.lines_ratio,
                "cpu": spread(self.cpu), "reference_cpu": spread(self.reference_cpu), "cpu_ratio": self.cpu_ratio,
                "note": self.note}


def efficiency(engine: Engine, task: Task, program: str, *, repeats: int = 5, cpu: bool = True) -> Efficiency:
    """The program's cost against the task's reference: line events once (they do not vary), CPU time over
    `repeats` interleaved runs of each (with `cpu`)."""
    if task.reference is None:
        raise UsageError(f"task {task.id!r} has no reference solution to measure against")
    if repeats < 1:
        raise UsageError(f"repeats must be at least 1, not {repeats}")
    limit = task.limits.time * TRACE_TIME_FACTOR
    mine = engine.execute(task, program, cost="lines", time_limit=limit)
    status = mine.result.status
    if status is Status.ERROR:
        return Efficiency(task.id, status, note=f"no verdict: {mine.result.reason}")
    if status is not Status.PASSED:
        return Efficiency(task.id, status, note="not correct: a wrong program is not doing the task's work")
    ref = engine.execute(task, task.reference, cost="lines", time_limit=limit)
    if ref.lines is None:
        return Efficiency(task.id, status, mine.lines, note=f"the reference: {ref.cost_note}")
    cpu_mine: list[float] = []
    cpu_ref: list[float] = []
    notes = [mine.cost_note] if mine.cost_note else []
    for _ in range(repeats if cpu else 0):
        for code, into in ((program, cpu_mine), (task.reference, cpu_ref)):
            out = engine.execute(task, code, cost="cpu")
            if out.cpu is None:
                notes.append(f"cpu: {out.cost_note}")
                break
            into.append(out.cpu)
    if len(cpu_mine) != len(cpu_ref):  # a repeat failed: pairs only
        cpu_mine, cpu_ref = cpu_mine[:len(cpu_ref)], cpu_ref[:len(cpu_mine)]
    return Efficiency(task.id, status, mine.lines, ref.lines, cpu_mine, cpu_ref, "; ".join(dict.fromkeys(notes)))


def acecode_reward(e: Efficiency, *, bonus: float = 0.5, measure: str = "lines") -> float:
    """ACECode's rule — efficiency counts only for correct code, relative to the reference:

        0                                        not correct
        1 + bonus * (1 - min(ratio, 2))          correct, ratio = program / reference cost
        1                                        correct, cost unmeasured or untrusted

    so a correct program scores in [1 - bonus, 1 + bonus] and, with bonus < 1, always above a wrong one.
    ACECode's own constants are not published; these are ours."""
    if not 0 <= bonus < 1:
        raise UsageError(f"bonus must be in [0, 1): correct code must always outscore wrong code, not {bonus}")
    if e.status is not Status.PASSED:
        return 0.0
    ratio = e.lines_ratio if measure == "lines" else e.cpu_ratio
    return 1.0 if ratio is None else 1.0 + bonus * (1.0 - min(ratio, 2.0))
