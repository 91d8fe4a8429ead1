"""The judge's side of the candidate: a callable that sends plain arguments and receives plain values.

Runs in the judge process (inside the sandbox; standard library only). The candidate is reachable only
through `Proxy`, over a socket, with wire.py's plain data: a rigged object can never arrive here, only
builtin values. What the candidate did wrong surfaces as an exception carrying its `Cause`.
"""

from __future__ import annotations

import builtins
import collections
import importlib
import marshal
import os
import select
import sys
import time
import types
from typing import cast

from . import wire
from .records import (
    BUILTIN,
    EXIT_EXCEPTIONS,
    FUNCTION,
    PROGRAM,
    TEST_TIME_LIMIT,
    UNSERIALIZABLE_RETURN,
    Cause,
    bounded_repr,
    short,
)


class Stopped(BaseException):
    """The candidate can no longer answer (it died, timed out, or broke the protocol). A BaseException, so
    that test code's `except Exception` cannot hide it."""

    def __init__(self, cause: Cause, detail: str) -> None:
        super().__init__(detail)
        self.cause, self.detail = cause, detail


class Late(Stopped):
    """The current test ran past its own time limit, but the candidate answered within the grace after it
    (its per-test timer interrupted the call): the test fails with a time limit, the candidate goes on."""


class OutOfMemory(BaseException):
    """The candidate ran out of memory answering a call."""


class TestFault(BaseException):
    """The test code cannot make the call it asked for (an argument that is not plain data, a lambda say):
    the test's fault, not the candidate's."""

    __test__ = False  # not a pytest class


class CandidateError(Exception):
    """Base of the exceptions re-raised in the judge when the candidate raised; `cause` says which kind."""

    name = "Exception"
    cause = Cause.CANDIDATE_RAISED


_exc_types: dict[str, type[CandidateError]] = {}


def candidate_exception(name: str, msg: str) -> CandidateError:
    """Re-create the candidate's exception, so that tests expecting e.g. ValueError still work."""
    cls = _exc_types.get(name)
    if cls is None:
        base = getattr(builtins, name, None)
        cause = (Cause.CANDIDATE_EXIT if name in EXIT_EXCEPTIONS else
                 Cause.UNSERIALIZABLE if name == UNSERIALIZABLE_RETURN else Cause.CANDIDATE_RAISED)
        bases: tuple[type, ...] = (CandidateError,)
        if isinstance(base, type) and issubclass(base, Exception) and base is not Exception:
            bases = (base, CandidateError)
        # A custom or unknown exception is catchable as Exception, never as a specific builtin.
        cls = _exc_types[name] = type(name, bases, {"name": name, "cause": cause})
    return cls(msg)


GRACE = 0.05  # seconds (plus half the per-test limit) a test past its limit waits for the interrupted call


def safe_repr(value: object) -> str:
    return bounded_repr(value)


class Proxy:
    """Callable handed to the tests in place of the candidate's function."""

    def __init__(self, sock: int, deadline: float, fail_fast: bool = False, test_time: float = 0.0,
                 test_times: list[float] | None = None) -> None:
        # Per-test time limits: the execution's one `test_time` for every test (a caller's), else the suite's own
        # per test (`test_times`, calibrated by the host from the reference), else none.
        self.sock, self.fail_fast, self.test_time = sock, fail_fast, test_time
        self.fixed_test_time, self.test_times = test_time, None if test_time else test_times
        self.end = self.deadline = deadline  # the execution's deadline, and the current test's
        self.broken: Stopped | None = None
        # Calls sent ahead whose replies are not taken yet, by their keys (plan.Unit.key).
        self.ahead: collections.deque[bytes | None] = collections.deque()
        self.last: object = None
        self.returned = False  # a call of the current test returned a value (`last`)
        self.heard = False  # the candidate answered something: it had read its program off the pipe
        self.answered = 0  # call replies taken: a test that fails before this grows failed on its own
        self.maxrss = 0
        # stdio suites: the peer is the runner (our code, which runs each case's program in a child), so an
        # "infra" reply is believed: the sandbox's fault, not the candidate's
        self.trusted_peer = False
        self._buf = bytearray()  # bytes read from the candidate, not yet taken as frames

    def start_test(self, i: int = -1) -> None:
        """Test `i` begins: nothing returned yet, and with a per-test time limit, its own deadline. A test past
        it fails alone: if the candidate's own timer interrupts the call within the grace after it (`Late`),
        the next test goes on in the same candidate; if not, the candidate is stopped and the host runs the
        tests after it again, in a fresh one."""
        self.last, self.returned = None, False
        if self.test_times is not None:
            self.test_time = self.test_times[i] if 0 <= i < len(self.test_times) else 0.0
        self.deadline = min(self.end, time.monotonic() + self.test_time) if self.test_time else self.end

    def _next_frame(self, until: float) -> bytes | None | bool:
        """The candidate's next frame; None when it closed the socket; False if `until` passed first.

        Read in chunks: a candidate answering a batch of calls runs ahead of the judge (SCHED_BATCH), so one
        read usually brings many replies, each then taken without a syscall (a HumanEval+ sample is ~1,000
        of them). The judge still takes them one at a time, timing each test by its own clock."""
        buf = self._buf
        while True:
            if len(buf) >= 4:
                n = int.from_bytes(buf[:4], "big")
                if n > wire.MAX_FRAME:
                    raise wire.WireError(f"frame of {n} bytes exceeds the {wire.MAX_FRAME}-byte limit")
                if len(buf) >= 4 + n:
                    frame = bytes(buf[4 : 4 + n])
                    del buf[: 4 + n]
                    return frame
                want = max(65536, 4 + n - len(buf))
            else:
                want = 65536
            if not select.select([self.sock], [], [], max(0.0, until - time.monotonic()))[0]:
                return False
            chunk = os.read(self.sock, want)
            if not chunk:
                return None
            buf += chunk

    def send(self, msg: list[object]) -> None:
        try:
            data = wire.dumps(msg)
        except wire.WireError as e:
            raise TestFault(f"the test passes a value the candidate cannot receive: {e}") from None
        self.send_encoded(data)

    def send_encoded(self, data: bytes) -> None:
        if self.broken is not None:
            raise self.broken
        try:
            wire.write_frame(self.sock, data)
        except (BrokenPipeError, ConnectionResetError):
            self.broken = Stopped(Cause.CANDIDATE_GONE, "candidate process exited")
            raise self.broken from None

    def receive(self) -> list[object]:
        if self.broken is not None:
            raise self.broken
        try:
            late = False
            raw = self._next_frame(self.deadline)
            if raw is False:
                # Past a test's own deadline: wait out the grace for the candidate's interrupted call to answer.
                if not self.test_time or self.deadline >= self.end:
                    raise Stopped(Cause.TIME_LIMIT, "time limit exceeded")
                raw = self._next_frame(min(self.end, self.deadline + GRACE + self.test_time / 2))
                if raw is False:
                    raise Stopped(Cause.TIME_LIMIT, "time limit exceeded")
                late = True
            if raw is None or raw is True:
                raise Stopped(Cause.CANDIDATE_GONE, "candidate process exited")
            self.heard = True
            reply = wire.loads(raw)
            if type(reply) is not list or not reply or type(reply[0]) is not str:
                raise wire.WireError("reply is not a tagged list")
            if late:
                raise Late(Cause.TIME_LIMIT, f"time limit exceeded ({self.test_time:g} s per test)")
        except (BrokenPipeError, ConnectionResetError):
            self.broken = Stopped(Cause.CANDIDATE_GONE, "candidate process exited")
            raise self.broken from None
        except wire.WireError as e:
            self.broken = Stopped(Cause.MALFORMED_REPLY, f"malformed reply from candidate: {e}")
            raise self.broken from None
        except Late:
            raise
        except Stopped as e:
            self.broken = e
            raise
        m = reply[-1]
        if type(m) is int and reply[0] in ("ok", "exc"):
            self.maxrss = max(self.maxrss, m)
        return reply

    def request(self, msg: list[object]) -> list[object]:
        self.send(msg)
        return self.receive()

    def result(self, reply: list[object]) -> object:
        """The value a call reply carries, or the candidate's exception raised here."""
        tag = reply[0]
        self.answered += 1
        if tag == "ok" and len(reply) == 3:
            self.last, self.returned = reply[1], True
            return reply[1]
        if tag == "oom":
            raise OutOfMemory()
        if tag == "exc" and len(reply) == 4 and type(reply[1]) is str and type(reply[2]) is str:
            if reply[1] == TEST_TIME_LIMIT and self.test_time:  # uncatchable by the test, as a hang is
                raise Late(Cause.TIME_LIMIT, f"time limit exceeded ({self.test_time:g} s per test)")
            raise candidate_exception(reply[1], reply[2])
        self.broken = Stopped(Cause.MALFORMED_REPLY, "malformed reply from candidate")
        raise self.broken

    def __call__(self, *args: object, **kwargs: object) -> object:
        if self.ahead:
            try:
                key = wire.dumps([list(args), kwargs])
            except wire.WireError:
                key = b""
            if key == self.ahead[0]:
                self.ahead.popleft()
                return self.result(self.receive())
            # Not the call the plan expected (plan.py rules this out for the statements it plans): take
            # the replies still due, so that the next reply read is this call's.
            self._drain()
        try:
            # The test's own limit rides along with the call, for the candidate's timer (its header's otherwise).
            data = wire.dumps(["call", list(args), kwargs, self.test_time] if self.test_times is not None
                              else ["call", list(args), kwargs])
        except wire.WireError:  # a function among the arguments, say: the call that makes them portable
            return self.call_named(None, args, kwargs)
        self.send_encoded(data)
        return self.result(self.receive())

    def call_named(self, name: str | None, args: tuple[object, ...], kwargs: dict[str, object]) -> object:
        """Call the program's function `name` (None: the entry point), the arguments made portable: a test may
        call other functions the program defines (Open-Instruct's tests do), and pass it functions of its own
        (`apply(lambda x: x + 1, 1)`), which cross as code (`portable`). A name the program does not define
        raises NameError here, in the test, as an unbound name would."""
        self._drain()
        reply = self.request(["call_named", name, portable(list(args)), portable(kwargs)])
        if reply[0] == "undefined":
            raise NameError(f"name {name!r} is not defined")
        return self.result(reply)

    def _drain(self) -> None:
        """Take the replies still due to calls sent ahead: the next reply read must be the next request's."""
        while self.ahead:
            self.ahead.popleft()
            self.receive()

    def value_of(self, name: str) -> object:
        """The program's global `name` as plain data; NameError when it defines none, or none that can cross."""
        self._drain()
        reply = self.request(["value_of", name])
        if reply[0] == "value" and len(reply) == 2:
            return reply[1]
        if reply[0] == "function":  # passed on by the test (`apply(helper, 1)`), or called later
            return Named(self, name)
        if reply[0] == "module" and len(reply) == 2 and reply[1] in sys.stdlib_module_names:
            # the judge's own copy of a standard module the program imported (`math.isclose(...)` in a test)
            return importlib.import_module(str(reply[1]))
        if reply[0] == "undefined":
            raise NameError(f"name {name!r} is not defined")
        self.broken = Stopped(Cause.MALFORMED_REPLY, "malformed reply from candidate")
        raise self.broken

    def named(self, name: str) -> Named:
        return Named(self, name)

    def send_ahead(self, message: bytes, keys: list[bytes | None]) -> None:
        """Send calls the tests are about to make (`message`: a wire-encoded "calls" request; `keys`: each
        call's encoding, see plan.py) in one go; __call__ takes their replies in turn."""
        self.send_encoded(message)
        self.ahead.extend(keys)

    def load(self, *extra: object) -> tuple[Cause, str] | None:
        """Ask the candidate to run its module; None if it loaded, else (cause, detail) for every test.
        `extra`: more for a stdio runner (a checker program and its time)."""
        try:
            reply = self.request(["load", *extra])
        except Stopped as e:
            return e.cause, f"while loading the program: {e.detail}"
        tag = reply[0]
        if tag == "ok":
            return None
        if tag == "compile":
            return Cause.COMPILE_ERROR, short(str(reply[1]) if len(reply) > 1 else "SyntaxError")
        if tag == "oom":
            return Cause.MEMORY_LIMIT, "memory limit exceeded while loading the program"
        if tag == "infra" and self.trusted_peer:  # a native program's runner (ours) could not install it
            raise RuntimeError(str(reply[1]) if len(reply) > 1 else "the program could not be installed")
        if tag == "exc" and len(reply) == 4:
            cause = Cause.CANDIDATE_EXIT if reply[1] in EXIT_EXCEPTIONS else Cause.LOAD_RAISED
            return cause, short(f"while loading the program: {reply[1]}: {reply[2]}")
        return Cause.MALFORMED_REPLY, "malformed reply from candidate"


class Named:
    """Callable handed to the tests for another function of the program, called by its own name."""

    __slots__ = ("_name", "_proxy")

    def __init__(self, proxy: Proxy, name: str) -> None:
        self._proxy, self._name = proxy, name

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self._proxy.call_named(self._name, args, kwargs)


# A test's own function crossing to the candidate, as one-key plain dicts (keys no test's data would hold): its
# code object, marshalled (a lambda or def of the test, without closures; the program's globals are its own in
# the candidate, as in Open-Instruct's shared namespace), a builtin by name, or one of the program's own
# functions by name. The candidate rebuilds them
# (candidate._revive); what the program then returns still crosses back as plain data only.


def portable(value: object) -> object:
    """`value` with the test's functions in it replaced by their portable forms; anything else as it is (a
    value wire cannot encode still fails the send: the test's fault)."""
    t = type(value)
    if t is Named:  # one of the program's own functions, handed back to it
        return {PROGRAM: cast("Named", value)._name}
    if t is types.FunctionType:
        fn = cast("types.FunctionType", value)
        if fn.__closure__ is None:
            return {FUNCTION: marshal.dumps(fn.__code__), "defaults": list(fn.__defaults__ or ())}
    elif t is types.BuiltinFunctionType or t is type:
        name = getattr(value, "__name__", "")
        if getattr(builtins, name, None) is value:
            return {BUILTIN: name}
    elif t is list or t is tuple:
        items = [portable(v) for v in cast("list[object]", value)]
        return items if t is list else tuple(items)
    elif t is dict:
        return {k: portable(v) for k, v in cast("dict[object, object]", value).items()}
    return value
