"""What a judge reports to the host: the one record schema both sides share (inside the sandbox and on the
host; standard library only).

A judge reports *what happened* in each test, as a `Cause`; which outcome that is, and the status of the
whole execution, is decided on the host in one place (judge/verdict.py). Records are plain JSON objects; a
frame holds a JSON list of them (`Recorder`):

    {"plan": [name, ...]}                 the tests, in order, before any runs
    {"i": n, "c": cause, "t": seconds, "m": peak_kb, "d": detail}
                                          what happened in test n; optional facts beside it:
                                            "v": the value the candidate returned (collect mode, wire-encoded)
                                            "s": the signal that killed the program (cause KILLED)
                                            "cpu": the CPU seconds it had used when killed
                                            "p": the partial credit in [0, 1] a call suite's checker gave
                                                 (it returned a float; the test passed only with 1.0)
    {"suite": reason}                     the tests themselves cannot run (test code that does not load, a
                                          set-up statement that fails before the candidate answered anything,
                                          a checker that does not load): the task's fault, not the sandbox's
    {"infra": reason}                     the judge broke (a bug, a resource failure): the sandbox's fault
    {"end": 1}                            nothing is missing

A test without a record is a failed test (DESIGN.md rule 3): the host never infers success.
"""

from __future__ import annotations

import json
import math
import os
from enum import StrEnum
from typing import Any, TypedDict

from . import wire

MAX_DETAIL = 300  # characters of a detail (an exception message, expected vs got)


class Cause(StrEnum):
    """What happened in one test, as the judge saw it (the host maps each to an Outcome)."""

    PASSED = "passed"
    ASSERTION_FAILED = "assertion_failed"  # an assert of the test was false
    OUTPUT_MISMATCH = "output_mismatch"  # the output differs from the expected one (or the checker said no)
    CHECKER_RAISED = "checker_raised"  # the task's checker raised on this output
    # The test code raised (not an AssertionError) after the candidate answered a call of this test: e.g. a
    # TypeError comparing a value of the wrong type. Charged to the candidate's value.
    TEST_RAISED = "test_raised"
    # The test code raised before the candidate answered any call of this test, or could not send it its
    # arguments: the test failed on its own. Still the candidate's failure unless the caller knows the test
    # is invalid (the same test failing on the reference solution, say): one execution cannot tell.
    TEST_ERROR = "test_error"
    CANDIDATE_RAISED = "candidate_raised"  # the candidate's code raised an exception
    CANDIDATE_EXIT = "candidate_exit"  # SystemExit / KeyboardInterrupt / GeneratorExit escaped the candidate
    UNSERIALIZABLE = "unserializable"  # the candidate returned a value that is not plain data (rule 2)
    CANDIDATE_GONE = "candidate_gone"  # the candidate process stopped answering: it died (how: the zygote says)
    MALFORMED_REPLY = "malformed_reply"  # the candidate process answered something that is not the protocol
    LOAD_RAISED = "load_raised"  # the program raised while loading (module-level code)
    COMPILE_ERROR = "compile_error"  # the program does not compile
    TIME_LIMIT = "time_limit"  # the time limit ran out while the test waited for the candidate
    MEMORY_LIMIT = "memory_limit"  # the candidate ran out of memory
    KILLED = "killed"  # (stdio) the program's process was killed by signal "s"
    EXIT_STATUS = "exit_status"  # (stdio) the program exited with a non-zero status
    NOT_RUN = "not_run"  # not run: the candidate stopped answering, or the time ran out before it
    FAIL_FAST = "fail_fast"  # not run: stopped at the first failure
    NO_RECORD = "no_record"  # (host only) the judge never reported this test


# Exceptions that end a program rather than report an error: escaping a call, they are the audit's
# "early exit" evidence (CANDIDATE_EXIT), still the candidate's runtime error.
EXIT_EXCEPTIONS = frozenset({"SystemExit", "KeyboardInterrupt", "GeneratorExit"})
# A test's function crossing to the candidate (proxy.portable -> candidate._revive): one-key plain dicts whose
# keys no test's data would hold.
FUNCTION, BUILTIN, PROGRAM = "\x00codereward:function", "\x00codereward:builtin", "\x00codereward:program"
UNSERIALIZABLE_RETURN = "UnserializableReturn"  # the exception name a candidate reports for a refused value
# The exception name a candidate reports for a call its own per-test timer interrupted (candidate.py); a
# program raising one itself only turns its failure into a time-limit one.
TEST_TIME_LIMIT = "TestTimeLimit"


class PlanRecord(TypedDict):
    plan: list[str]


class TestRecord(TypedDict, total=False):
    i: int
    c: str
    t: float
    m: int
    d: str
    v: str
    s: int
    cpu: float


Record = dict[str, Any]  # any of the above; read defensively on the host (a judge may be killed mid-write)


def cpu_limit(seconds: float) -> int:
    """RLIMIT_CPU's soft limit for an execution of `seconds` wall time (the hard limit is one more): the
    candidate sets it, the host reads a SIGKILL past it as the time limit's doing."""
    return int(seconds) + 1


def short(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


# CPython 3.11 prints an int in time quadratic in its digits: a 1,000,000-digit int takes ~14 s (HumanEval+'s
# /83 expects 18 * 10**999998), so a detail must never print one whole.
_PRINTABLE_INT_BITS = 10_000  # ~3,000 digits, well under a millisecond
_OPEN: dict[type, tuple[str, str]] = {list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"),
                                      frozenset: ("frozenset({", "})"), dict: ("{", "}")}
_EMPTY: dict[type, str] = {set: "set()", frozenset: "frozenset()"}


def bounded_repr(value: object, limit: int = MAX_DETAIL) -> str:
    """repr(value) cut to `limit` characters, in time bounded by the limit rather than by the value: a
    container is walked only as far as the text needs, a long string is cut before it is quoted, and an int
    too big to print fast shows its first 10 significant digits and its number of digits. Equal to
    short(repr(value)) for the plain values a judge compares that hold no int of more than ~3,000 digits."""
    parts: list[str] = []
    _emit(value, parts, [limit + 1], 0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _emit(value: object, parts: list[str], room: list[int], depth: int) -> None:
    if room[0] <= 0:
        return
    t = type(value)
    brackets = _OPEN.get(t)
    if brackets is not None and depth < 50:
        items: Any = value
        if not items:
            text = _EMPTY.get(t) or brackets[0] + brackets[1]
        else:
            parts.append(brackets[0])
            room[0] -= len(brackets[0])
            for n, item in enumerate(items.items() if t is dict else items):
                if room[0] <= 0:
                    return
                if n:
                    parts.append(", ")
                    room[0] -= 2
                if t is dict:
                    _emit(item[0], parts, room, depth + 1)
                    parts.append(": ")
                    room[0] -= 2
                    _emit(item[1], parts, room, depth + 1)
                else:
                    _emit(item, parts, room, depth + 1)
            text = ",)" if t is tuple and len(items) == 1 else brackets[1]
    elif type(value) is int and value.bit_length() > _PRINTABLE_INT_BITS:
        text = _big_int(value)
    elif (type(value) is str or type(value) is bytes) and len(value) > room[0]:
        text = repr(value[: room[0]])[:-1]  # the cut string, its closing quote dropped
    else:
        text = repr(value)
    parts.append(text)
    room[0] -= len(text)


def _big_int(n: int) -> str:
    """`1.800000000e+999999 (an int of 1000000 digits)`: from the logarithm of the top 200 bits (a shift, linear
    time) and the bits below; 10 significant digits, which float precision keeps exact up to ~10**15 digits."""
    sign, n = ("-", -n) if n < 0 else ("", n)
    shift = n.bit_length() - 200
    log = math.log10(n >> shift) + shift * math.log10(2)
    exponent = round(log)
    if abs(log - exponent) > 1e-6:
        exponent = math.floor(log)
    elif n < 10**exponent:  # next to a power of ten the float cannot tell: one exact comparison decides
        exponent -= 1
    mantissa = min(max(10 ** (log - exponent), 1.0), 9.999999999)
    return f"{sign}{mantissa:.9f}e+{exponent} (an int of {exponent + 1} digits)"


class Recorder:
    """Records to the host, as plain JSON: the plan at once, the rest as one frame holding a JSON list of
    them, written in one go when the execution ends (one encode here, one decode on the host).

    Buffering is safe: a record that never arrives is a failed test, so a judge killed mid-way can only
    lose passes, never invent them.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf: list[Record] = []

    def test(self, i: int, cause: str, seconds: float, peak_kb: int, detail: str = "", **facts: Any) -> None:
        self.buf.append({"i": i, "c": cause, "t": seconds, "m": peak_kb, "d": short(detail), **facts})

    def collected(self, i: int, value: object, seconds: float, peak_kb: int) -> None:
        # Only wire's tagged form keeps tuples, sets and bytes apart from lists and str.
        self.buf.append({"i": i, "c": Cause.PASSED, "t": seconds, "m": peak_kb, "d": "",
                         "v": wire.dumps(value).decode()})

    def plan(self, names: list[str]) -> None:
        # The plan goes out at once: if this judge is stopped later, the host still knows which tests
        # never reported (time_limit / skipped, not "no tests").
        self.buf.append({"plan": names})
        self.flush()

    def cost(self, lines: int | None, cpu: float, untrusted: str) -> None:
        """The program's cost (costing.py): line events or CPU seconds, and why not to believe them if so."""
        self.buf.append({"cost": lines, "cpu": cpu, "untrusted": short(untrusted)})

    def end(self) -> None:
        self.buf.append({"end": 1})

    def broken(self, kind: str, reason: str) -> None:
        """The execution has no verdict: "suite" (the tests are broken) or "infra" (the judge is)."""
        self.buf = [{kind: short(reason)}]

    def flush(self) -> None:
        if self.buf:
            data, self.buf = wire.frame(json.dumps(self.buf).encode()), []
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]
