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
heap (gc.get_objects / get_referrers / get_referents: the meter is on it), asking for the trace function
(sys.gettrace, which would hand over the meter through its closure), and starting a thread (a thread runs
untraced). The count lives in the trace function's closure: a program that reaches no frame, no heap walk
and not the trace function cannot reach it.
"""

from __future__ import annotations

import _thread
import sys
import threading
import time
from typing import Any

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

    def __init__(self, trace: bool = True) -> None:
        self.lines = 0
        self.cpu = 0.0
        self.untrusted = ""
        self.trace = trace
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
            return local

        def tracer(frame: Any, event: str, arg: Any) -> Any:
            meter.lines += 1  # the call itself (a def line, a lambda, a comprehension)
            return local

        self._tracer = tracer
        sys.addaudithook(self._hook)
        self._guard_threads()
        self._guard_gettrace()

    def _guard_gettrace(self) -> None:
        """sys.gettrace (which raises no audit event) would hand the program our trace function, and through
        its closure this meter: asking for it marks the count."""
        gettrace = sys.gettrace

        def watched() -> Any:
            self._mark("the program called sys.gettrace")
            return gettrace()

        sys.gettrace = watched

    def _guard_threads(self) -> None:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            self._mark("the program started a thread (threads run untraced)")
            return start(*args, **kwargs)

        start = _thread.start_new_thread
        _thread.start_new_thread = refuse
        threading._start_new_thread = refuse  # type: ignore[attr-defined]  # threading's own alias

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

    def reply(self) -> list[object]:
        """What the judge is told: ["cost", lines (None when not traced), CPU seconds (0.0 when traced),
        why the figures are untrusted ("" when they stand)]."""
        return ["cost", self.lines if self.trace else None, self.cpu, self.untrusted]
