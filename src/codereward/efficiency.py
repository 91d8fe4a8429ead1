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

**Stress inputs** (WEDGE / PerfCodeGen-style slowdown): a task's own tests are often too small for cost to
show. `stress_task(task, inputs)` is the task with its tests replaced by calls on the given inputs, expected
values computed by the reference; `efficiency` on it is the slowdown on large inputs. `read_stress` reads them
per task, given as argument lists or made by an input generator the file provides (run in the sandbox).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine import Engine
from .errors import InputError, TaskError, UsageError
from .results import Status
from .tasks.model import CallCase, CallSuite, Limits, Task
from .tasks.samples import PathLike, read_jsonl

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


def stress_task(task: Task, inputs: Sequence[Sequence[Any]], time_limit: float | None = None) -> Task:
    """`task` judged on calls with `inputs` (one argument list each): expected values come from its reference,
    so a program that is correct on them and measured there shows its cost where cost shows."""
    if not task.entry_point or task.reference is None:
        raise UsageError(f"task {task.id!r} needs an entry point and a reference to be stressed")
    if not inputs:
        raise UsageError(f"no stress inputs for task {task.id!r}")
    limits = task.limits if time_limit is None else task.limits.model_copy(update={"time": time_limit})
    return Task(id=f"{task.id}#stress", prompt=task.prompt, entry_point=task.entry_point, reference=task.reference,
                limits=limits, tests=CallSuite(cases=[CallCase(args=list(a)) for a in inputs]))


def generated_inputs(engine: Engine, generator: str, count: int, limits: Limits | None = None) -> list[list[Any]]:
    """Argument lists made by `generator` (Python source defining `generate(i) -> list of arguments`), called
    for i = 0..count-1 in the sandbox like any program."""
    gen = Task(id="stress-generator", entry_point="generate", limits=limits or Limits(time=30.0),
               tests=CallSuite(cases=[CallCase(args=[i], expected=None) for i in range(count)]))
    out = engine.outputs(gen, generator)
    if out.result.status is Status.ERROR:
        raise TaskError(f"the stress input generator could not run: {out.result.reason}")
    made = []
    for i, (value, test) in enumerate(zip(out.values, out.tests, strict=True)):
        if not isinstance(value, list):
            got = type(value).__name__ if test.outcome.value == "passed" else f"no value ({test.detail})"
            raise TaskError(f"generate({i}) gave {got}: it must return a list of arguments")
        made.append(value)
    return made


def read_stress(path: PathLike, tasks: Mapping[str, Task], engine: Engine) -> dict[str, list[list[Any]]]:
    """Stress inputs per task from a JSON-lines file: {"task_id", "args": [...]} (one call), or {"task_id",
    "generator": "def generate(i): ...", "count": N} (N calls, made in the sandbox)."""
    by_task: dict[str, list[list[Any]]] = {}
    for lineno, obj in read_jsonl(path):
        def bad(why: str, name: str, line: int = lineno) -> InputError:
            return InputError(why, source=str(path), line=line, field=name)

        task_id = obj.get("task_id")
        if not isinstance(task_id, str) or task_id not in tasks:
            raise bad(f"unknown or missing task_id {task_id!r}", "task_id")
        if "args" in obj:
            if not isinstance(obj["args"], list):
                raise bad("'args' must be the list of the call's arguments", "args")
            by_task.setdefault(task_id, []).append(obj["args"])
        elif "generator" in obj:
            count = obj.get("count", 5)
            if not isinstance(obj["generator"], str) or not isinstance(count, int) or not 0 < count <= 1000:
                raise bad("'generator' must be Python source and 'count' an integer in 1..1000", "generator")
            try:
                by_task.setdefault(task_id, []).extend(generated_inputs(engine, obj["generator"], count))
            except TaskError as e:
                raise bad(str(e), "generator") from None
        else:
            raise bad("a stress line needs 'args' or 'generator'", "args")
    return by_task
