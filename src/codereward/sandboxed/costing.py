"""A deterministic cost of a Python program, inside the candidate process (stdlib only): the line events its
Python code executes while it loads and while it answers the tests' calls.

Why line events: machine load cannot move them. The same program on the same inputs executes the same lines
however busy the machine is, so two programs compare without repeats or noise (CPU time, measured beside
it, is what load moves). What it cannot see is work done in C: `sorted()` costs the one line that calls it.
That is a real difference in cost too, but not one lines measure: use CPU time for it.

The meter runs under the same untrusted program it measures, so the program may try to stop it. Anything
that could make the count lower than the work done marks the count **untrusted** (the host then reports no
cost, never a cheaper one): changing the trace or profile function (sys.settrace / setprofile: our own
calls are expected), reaching a frame object from the candidate's code (sys._getframe, inspect, a
traceback's tb_frame, a generator's gi_frame, ...: with a frame, f_trace can be unset unseen), walking the
heap (gc.get_objects / get_referrers / get_referents: the meter is on it). Two routes are closed rather
than watched: sys.gettrace answers None while measuring, and a thread cannot start (it would run untraced).
sys.monitoring (Python 3.12+) does not exist on the 3.11 this project runs; on a newer Python it would need
watching too. Our modules leave sys.modules (and the zygote's __main__ is
replaced) before the program loads, so the meter is reachable only through the trace function's closure,
which only a frame, a heap walk or sys.gettrace would hand over. What in-process measurement cannot rule
out is a path to the meter we have not thought of; the host therefore uses the count only as a bounded
bonus on code that already passed (efficiency.acecode_reward), never as a verdict.
"""

from __future__ import annotations

import _thread
import sys
import time
import types
from typing import Any

from . import wire

# Events that let a program stop or bypass the meter, by who raises them (auditing.py's notion of "who":
# the candidate's own code, or a stdlib function it called directly; a library reading frames on its own
# behalf, as collections.namedtuple does, takes nothing from the count).
_ALWAYS = frozenset({"sys.settrace", "sys.setprofile"})
_FROM_CANDIDATE = frozenset({"sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
                             "gc.get_referents"})
_FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
_FRAME_GIVERS = frozenset({"inspect", "traceback", "logging", "sys", "gc"})  # stdlib that returns frames/objects
CANDIDATE_FILE = "<candidate>"


class CostMeter:
    """Between on() and off(): counts line events (`trace`), or adds up the process's CPU time (not both: the
    tracer's own CPU would swamp the program's); `untrusted` says why the count cannot be believed."""

    def __init__(self, trace: bool = True, log: TraceLog | None = None) -> None:
        self.lines = 0
        self.cpu = 0.0
        self.untrusted = ""
        self.trace = trace or log is not None
        self.log = log
        self._own = False  # our own settrace calls are expected, not tampering
        self._getframe = sys._getframe
        self._settrace = sys.settrace
        # The thread's own CPU clock: precise to the microsecond here, where the process clock reads 0 for calls
        # under a scheduler tick; threads are untrusted anyway. Bound now: the program may rebind time.thread_time.
        self._clock = time.thread_time
        self._started = 0.0
        meter = self

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                meter.lines += 1
            if log is not None and (event == "line" or event == "return") and \
                    frame.f_code.co_filename == CANDIDATE_FILE:
                meter._own = True  # reading locals runs no program code, but encoding them is ours
                try:
                    log.event(event, frame)
                finally:
                    meter._own = False
            return local

        def tracer(frame: Any, event: str, arg: Any) -> Any:
            meter.lines += 1  # the call itself (a def line, a lambda, a comprehension)
            return local

        self._tracer = tracer
        sys.addaudithook(self._hook)
        self._guard_threads()
        self._guard_gettrace()
        self._hide()

    def _guard_gettrace(self) -> None:
        """sys.gettrace raises no audit event and would hand the program our trace function, and through
        its closure this meter: while measuring it answers None, from a function that holds nothing."""
        sys.gettrace = _isolated("def gettrace():\n    return None\n")

    def _guard_threads(self) -> None:
        """No threads while measuring (a thread runs untraced): starting one raises in the program."""
        refuse = _isolated("def start_new_thread(*args, **kwargs):\n"
                           "    raise RuntimeError('threads are not available while the cost is measured')\n")
        _thread.start_new_thread = refuse
        # threading binds its own alias when imported: patched here if it already is, else it binds ours.
        # (Not imported for this: threading in every candidate would add its at-fork hook to every fork.)
        loaded = sys.modules.get("threading")
        if loaded is not None:
            loaded._start_new_thread = refuse  # type: ignore[attr-defined]

    @staticmethod
    def _hide() -> None:
        """Take our modules out of the program's reach: through sys.modules (or the zygote's __main__) it
        could reach this meter and rewrite the count. Our functions keep their globals; a program that
        imports one of these names again gets a fresh copy, with no meter in it."""
        package = __name__.rpartition(".")[0]
        for name in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[name]
        sys.modules["__main__"] = types.ModuleType("__main__")

    def _mark(self, why: str) -> None:
        if not self.untrusted:
            self.untrusted = why

    def _from_candidate(self) -> bool:
        """Whether the event hands the candidate a frame or the heap: raised by its own code, or by a stdlib
        function it called that returns frames (inspect.currentframe, traceback.walk_stack, ...). A library
        reading a frame for itself (collections.namedtuple reads its caller's module name) does not."""
        f = self._getframe(2)  # 0 here, 1 _hook, 2 the frame that raised the event (hooks run from C)
        if f.f_code.co_filename == CANDIDATE_FILE:
            return True
        g = f.f_back
        module = f.f_globals.get("__name__")
        return module in _FRAME_GIVERS and g is not None and g.f_code.co_filename == CANDIDATE_FILE

    def _hook(self, event: str, args: tuple[object, ...]) -> None:
        if self._own:
            return
        if event in _ALWAYS:
            self._mark(f"the program called {event}")
        elif event in _FROM_CANDIDATE:
            self._own = True  # our own sys._getframe below raises the event again
            try:
                if self._from_candidate():
                    self._mark(f"the program called {event}")
            finally:
                self._own = False
        elif event == "object.__getattr__" and len(args) == 2 and args[1] in _FRAME_ATTRS:
            self._own = True
            try:
                if self._from_candidate():
                    self._mark(f"the program read a frame ({args[1]})")
            finally:
                self._own = False

    def on(self) -> None:
        if not self.trace:
            self._started = self._clock()
            return
        self._own = True
        try:
            self._settrace(self._tracer)
        finally:
            self._own = False

    def off(self) -> None:
        if not self.trace:
            self.cpu += self._clock() - self._started
            return
        self._own = True
        try:
            self._settrace(None)
        finally:
            self._own = False

    def trace_reply(self) -> list[object]:
        """["trace", events, truncated, why untrusted]: see TraceLog."""
        log = self.log if self.log is not None else TraceLog()
        return ["trace", log.events, log.truncated, self.untrusted]

    def reply(self) -> list[object]:
        """What the judge is told: ["cost", lines (None when not traced), CPU seconds (0.0 when traced),
        why the figures are untrusted ("" when they stand)]."""
        return ["cost", self.lines if self.trace else None, self.cpu, self.untrusted]


class TraceLog:
    """The candidate's execution, line by line, bounded: each line event of its own code as [line, state]
    (the locals *before* the line runs, at watched lines; null elsewhere), and each return from one of its
    functions as [-line, state] (the frame's final locals). A state maps each local name to [JSON value or
    null, type name]; values that are not plain data (wire.py) keep their type only, containers over
    MAX_ITEMS items their type and size. Past `max_events` events or `max_bytes` of values the log stops and
    says it was truncated: a program cannot grow the trace past its bound, only cut its own trace short."""

    MAX_ITEMS = 1000

    def __init__(self, watch: list[int] | None = None, max_events: int = 10_000, max_bytes: int = 1 << 20) -> None:
        self.watch = set(watch) if watch is not None else None  # None: every line
        self.max_events, self.budget = max_events, max_bytes
        self.events: list[list[object]] = []
        self.truncated = False

    def event(self, kind: str, frame: Any) -> None:
        if self.truncated:
            return
        if len(self.events) >= self.max_events or self.budget <= 0:
            self.truncated = True
            return
        line = frame.f_lineno
        if kind == "return":
            self.events.append([-line, self._state(frame)])
        else:
            self.events.append([line, self._state(frame) if self.watch is None or line in self.watch else None])

    def _state(self, frame: Any) -> dict[str, list[object]]:
        state: dict[str, list[object]] = {}
        for name, value in dict(frame.f_locals).items():
            if name.startswith("__"):
                continue
            kind = type(value).__name__
            size = len(value) if type(value) in (list, dict, set, tuple, str, bytes, frozenset) else 0
            text: object = None
            if size <= self.MAX_ITEMS:
                try:
                    text = wire.dumps(value).decode()
                except Exception:  # noqa: BLE001 — not plain data: its type is what the trace keeps
                    text = None
            if isinstance(text, str):
                self.budget -= len(text)
            state[name] = [text, kind if size <= self.MAX_ITEMS else f"{kind}[{size}]"]
        return state


def _isolated(source: str) -> Any:
    """The one function `source` defines, with globals that hold nothing of ours (only the builtin it
    raises): a program that reads its __globals__ or __closure__ finds no way back to the meter."""
    namespace: dict[str, Any] = {"__builtins__": {"RuntimeError": RuntimeError}}
    exec(source, namespace)  # noqa: S102 — our own constant source
    return next(v for k, v in namespace.items() if k != "__builtins__")
