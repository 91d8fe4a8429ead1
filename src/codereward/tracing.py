"""A program's execution, traced inside the sandbox: the lines it runs, in order, and its local variables,
for rewards that score a model's predictions of what code does (rewards/traces.py: output, next statement,
variable values and types; ExecVerify, CodeRL+).

    with Engine() as engine:
        t = trace_call(engine, "def f(n):\\n    s = 0\\n    for i in range(n):\\n        s += i\\n    return s\\n",
                       "f", [3])
    t.output, t.executed(), t.final_state()   # 3, [1, 2, 3, 4, 3, 4, 3, 4, 3, 5], {'n': 3, 's': 3, 'i': 2}

The traced program is untrusted like any other. It runs in the sandbox under the same meter as the cost
(sandboxed/costing.py): whatever could stop or fake the tracer (trace functions, frames, the heap, threads)
marks the trace untrusted, and a trace that is untrusted scores nothing. The trace is bounded (events,
bytes of values, the time limit): a program can cut its own trace short, never make it larger. Locals are
kept as plain data (wire.py) or, when they are not, by type only; states are taken *before* each line runs,
as a debugger shows them, and at each return (a function's final locals). The module's own lines, run when
it loads (line 1, `def f`, above), are in the trace too. A program killed before it answers (a hang past the
time limit) leaves no trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine import Engine
from .errors import UsageError
from .judge.prepare import NO_VALUE
from .results import Outcome, Status
from .tasks.model import AssertSuite, CallCase, CallSuite, Limits, Task


@dataclass(frozen=True)
class Step:
    line: int  # 1-based line of the program
    returning: bool  # a return from a function (its final locals), not a line about to run
    state: dict[str, tuple[Any, str]] | None  # name -> (value or NO_VALUE, type name); None: not watched


@dataclass(frozen=True)
class Trace:
    program: str
    output: Any = None  # what the call returned (None if it raised: see `raised`)
    raised: str = ""  # "TypeError: ..." when the call raised
    steps: list[Step] = field(default_factory=list)
    truncated: bool = False  # the bound stopped the trace (or the program ended it early)
    untrusted: str = ""  # why this trace must not be scored ("" when it stands)
    lines: int | None = None  # line events counted (the deterministic cost)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each step's locals as {name: {"value", "type"}} (value null when not plain data)."""
        return {"output": None if self.raised else self.output, "raised": self.raised, "untrusted": self.untrusted,
                "truncated": self.truncated, "lines": self.lines,
                "steps": [{"line": s.line, "return": s.returning,
                           "locals": None if s.state is None else {
                               n: {"value": None if v is NO_VALUE else v, "type": kind}
                               for n, (v, kind) in s.state.items()}} for s in self.steps]}

    def executed(self) -> list[int]:
        """The lines run, in order (returns left out)."""
        return [s.line for s in self.steps if not s.returning]

    def source(self, line: int) -> str:
        rows = self.program.splitlines()
        return rows[line - 1].strip() if 0 < line <= len(rows) else ""

    def next_statement(self, line: int, nth: int = 0) -> str | None:
        """The source of the line run right after the nth run of `line` (None: it ran fewer times, or was
        the last)."""
        runs = self.executed()
        seen = -1
        for k, at in enumerate(runs):
            if at == line:
                seen += 1
                if seen == nth:
                    return self.source(runs[k + 1]) if k + 1 < len(runs) else None
        return None

    def state_before(self, line: int, nth: int = 0) -> dict[str, Any] | None:
        """The plain locals just before the nth run of `line` (watched lines only)."""
        state = self._watched(line, nth)
        return _plain(state) if state is not None else None

    def _watched(self, line: int, nth: int) -> dict[str, tuple[Any, str]] | None:
        steps = [s for s in self.steps if not s.returning and s.line == line]
        return steps[nth].state if nth < len(steps) else None

    def types_before(self, line: int, nth: int = 0) -> dict[str, str] | None:
        """The type names of the locals just before the nth run of `line` (watched lines only)."""
        state = self._watched(line, nth)
        return {k: t for k, (_, t) in state.items()} if state is not None else None

    def final_state(self) -> dict[str, Any] | None:
        """The called function's locals when it returned (the last return: the outermost call's)."""
        returns = [s for s in self.steps if s.returning]
        last = returns[-1].state if returns else None
        return _plain(last) if last is not None else None


def _plain(state: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    return {k: v for k, (v, _) in state.items() if v is not NO_VALUE}


def trace_call(engine: Engine, program: str, entry: str, args: Sequence[Any] = (),
               kwargs: dict[str, Any] | None = None, *, watch: Sequence[int] | None = None,
               time_limit: float = 10.0) -> Trace:
    """Run `entry(*args, **kwargs)` of `program` in the sandbox, traced (`watch`: the lines whose locals are
    kept, None for every line). An execution the sandbox could not finish raises nothing: its Trace says
    why in `untrusted`, and scores nothing."""
    if not entry.isidentifier():
        raise UsageError(f"{entry!r} is not a function name")
    task = Task(id="trace", entry_point=entry, limits=Limits(time=time_limit),
                tests=CallSuite(cases=[CallCase(args=list(args), kwargs=kwargs or {}, expected=None)]))
    out = engine.execute(task, program, mode="collect", cost="trace", trace_watch=watch)
    if out.result.status is Status.ERROR:
        return Trace(program, untrusted=f"no trace: {out.result.reason}")
    test = out.tests[0] if out.tests else None
    raised = "" if test is None or test.outcome is Outcome.PASSED else (test.detail or test.outcome.value)
    events, truncated = out.trace if out.trace is not None else ([], True)
    steps = [Step(abs(line), line < 0, state) for line, state in events]
    untrusted = out.cost_note if out.cost_note.startswith("untrusted") else ""
    if out.trace is None and not untrusted:
        untrusted = "no trace came back (the program did not finish)"
    return Trace(program, out.values[0] if out.values and not raised else None, raised, steps, truncated,
                 untrusted, out.lines)


def io_passed(engine: Engine, program: str, entry: str, assertion: str, call_args: str | None = None) -> bool:
    """Whether a predicted input/output assert (ExecVerify's first answer line) holds for `program`: it must
    start with `assert`, hold `call_args` when given (the input the question asked about), and pass when run
    in the sandbox after the program."""
    text = assertion.strip()
    if not text.startswith("assert") or (call_args is not None and call_args not in text) or "\n" in text:
        return False
    task = Task(id="trace-io", entry_point=entry, limits=Limits(time=10.0),
                tests=AssertSuite(code=f"def check(candidate):\n    {text}\n"))
    return engine.run(task, program).status is Status.PASSED
