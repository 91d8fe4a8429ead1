"""The candidate process: loads the untrusted program and answers the judge's calls (inside the sandbox).

It holds the candidate's code, the arguments of the calls it is asked to make, and nothing else: no test
code, no expected value, no verdict (DESIGN.md rule 1). Everything here before the program loads is
trusted; after that, the candidate may rewrite any of it — which gains nothing, since all it can do is send
plain data to the judge, the same as returning a value.

Requests (judge -> candidate) and replies, as wire values (top-level lists: no tag decoding on the hot path):
    ["load"]                      -> ["ok", None, maxrss_kb] | ["exc", type, msg, kb] | ["compile", msg] | ["oom"]
    ["call", args, kwargs]        -> ["ok", value, maxrss_kb] | ["exc", type, msg, kb] | ["oom"]
    ["calls", [[args, kwargs], ...]] -> one reply as above per call, in order
    ["call_named", name, args, kwargs] -> as "call", of the program's function `name`; ["undefined", name] if it
                                     defines no such function (assert tests calling other functions by name)
    ["value_of", name]            -> ["value", plain value] | ["function", name] | ["module", module name] |
                                     ["undefined", name] (a global the tests read)
    ["run", stdin, timeout(, err_cap)] -> ["ran", out, err, exit, sig, timed_out, seconds, maxrss_kb, cpu_seconds]
                                     (stdio tasks: one fresh process per case)
    ["cost"]                      -> ["cost", lines | None, cpu_seconds, why untrusted] (header "cost": "lines",
                                     "cpu" or "trace": costing.py)
    ["trace"]                     -> ["trace", events, truncated, why untrusted] (header "cost": "trace")

With a per-test time limit (the header's "test_time"), each call runs under a real-time timer of that
length: when it fires, the call raises TestTimeLimit and the candidate answers ["exc", "TestTimeLimit", ..]
and goes on with the next request, its module state as the interrupted call left it (as CodeT's in-process
alarms do). This only saves a restart: the judge decides a test's time limit by its own clock, and a
program that blocks or catches the interruption is killed when the judge's grace runs out.
"""

from __future__ import annotations

import builtins
import json
import marshal
import os
import resource
import signal
import sys
import time
import traceback
import types
from collections.abc import Callable
from typing import Any, cast

# Module names here are globals of every candidate's frames: none is named like test data (the red team's
# introspection probes look for "cases", "tests", "expected"...; tests/test_redteam.py).
from . import auditing, caseio, costing, native, plan, seccomp, wire
from .records import BUILTIN, FUNCTION, PROGRAM, TEST_TIME_LIMIT, cpu_limit

_UNDEFINED = object()

MAX_DETAIL = 300


def close_fds_except(keep: set[int]) -> None:
    """Close every fd above 2 not in `keep` (close_range(2) underneath: one syscall per gap)."""
    lo = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(lo, fd)
        lo = fd + 1
    os.closerange(lo, 1 << 20)


def _redirect_std(out_path: str) -> None:
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)


def _set_limits(limits: dict[str, Any], cpu_seconds: float) -> None:
    mem = int(limits["memory_mb"]) * 1024 * 1024
    out = int(limits["output_kb"]) * 1024
    cpu = cpu_limit(cpu_seconds)
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(limits["open_files"]),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _lock_down() -> None:
    """The part of the lock-down that does not depend on the execution, done by a spare before its header
    arrives: the seccomp filter (kernel JIT and first-touch faults) leaves the check's latency.

    stdout/stderr already point to the capped output file. The environment and SIGXFSZ's disposition are
    not touched here: the zygote set them once (editing them in every child costs page faults).
    """
    seccomp.install(os.getpid())


def _exc_info(e: BaseException) -> list[str]:
    t = type(e)
    name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    try:
        msg = str(e)[:MAX_DETAIL]
    except BaseException:  # a candidate's exception may have a hostile __str__
        msg = "<unprintable>"
    return [name, msg]


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


_audit: auditing.RuntimeAudit | None = None  # set when the execution asks for a runtime audit


def _rigged(value: object) -> str:
    """Which comparison dunders a refused return value's class overrides (evidence for the audit)."""
    try:
        t = type(value)
        base = next((b for b in t.__mro__[1:] if b.__module__ == "builtins" and b is not object), object)
        overridden = [d for d in ("__eq__", "__ne__", "__hash__") if d in vars(t)]
        return f"{t.__qualname__}({base.__name__}) overrides {','.join(overridden) or 'nothing'}"
    except BaseException:  # noqa: BLE001 — a hostile metaclass
        return "?"


def _reply(sock: int, msg: list[object]) -> None:
    try:
        data = wire.dumps(msg)
    except wire.WireError as e:
        if _audit is not None and len(msg) > 1:
            _audit.emit("unserializable", _rigged(msg[1]), "direct")
        data = wire.dumps(["exc", "UnserializableReturn", str(e)[:MAX_DETAIL], _maxrss()])
    except MemoryError:
        data = wire.dumps(["oom"])
    wire.write_frame(sock, data)


class TestTimeLimit(BaseException):
    """Raised in the candidate's call when its per-test timer fires."""

    __test__ = False  # not a pytest class


TestTimeLimit.__name__ = TEST_TIME_LIMIT  # the name the judge knows it by (records.py)
TestTimeLimit.__module__ = "builtins"  # reported by that bare name (_exc_info)
_test_time = 0.0  # seconds per call under a per-test time limit (0: no timer)
_meter: costing.CostMeter | None = None  # the header asked for the program's deterministic cost
_armed = False  # the timer may fire: the handler raises only then, and at most once per arming


def _on_timer(signum: int, frame: object) -> None:
    global _armed
    if _armed:
        _armed = False
        raise TestTimeLimit(f"call interrupted after {_test_time:g} s")


def _call(fn: Callable[..., object], args: list[object], kwargs: dict[str, object],
          seconds: float = 0.0) -> list[object]:
    """Call fn; with `seconds`, under the per-test timer."""
    global _armed
    try:
        if seconds:
            _armed = True
            signal.setitimer(signal.ITIMER_REAL, seconds)
        if _meter is not None:
            _meter.on()
        value = fn(*args, **kwargs)
        if _meter is not None:
            _meter.off()
        if seconds:
            _armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        return ["ok", value, _maxrss()]  # a non-plain value fails in _reply's encoding: "unserializable"
    except MemoryError:
        if _meter is not None:
            _meter.off()
        return ["oom"]
    except BaseException as e:  # SystemExit, KeyboardInterrupt included: they are the candidate's errors
        if _meter is not None:
            _meter.off()
        _armed = False
        if seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return ["exc", *_exc_info(e), _maxrss()]


def _revive(value: Any, namespace: dict[str, Any]) -> Any:
    """The test's functions rebuilt from their portable forms (proxy.portable: from the judge, trusted)."""
    t = type(value)
    if t is dict:
        if len(value) <= 2 and FUNCTION in value:
            code = marshal.loads(value[FUNCTION])
            return types.FunctionType(code, namespace, code.co_name, tuple(value.get("defaults") or ()))
        if len(value) == 1 and BUILTIN in value:
            return getattr(builtins, value[BUILTIN])
        if len(value) == 1 and PROGRAM in value:
            return namespace.get(value[PROGRAM])
        return {k: _revive(v, namespace) for k, v in value.items()}
    if t is list:
        return [_revive(v, namespace) for v in value]
    if t is tuple:
        return tuple(_revive(v, namespace) for v in value)
    return value


def _timed_call(fn: Callable[..., object], args: list[object], kwargs: dict[str, object],
                seconds: float) -> list[object]:
    """A test's call: _call under the per-test timer of `seconds` (0: none), and the timer's exception if it
    fired in _call's own lines (it fires at most once per call)."""
    try:
        return _call(fn, args, kwargs, seconds)
    except TestTimeLimit as e:
        return ["exc", *_exc_info(e), _maxrss()]


def _serve_calls(sock: int, code: str | types.CodeType, entry: str, module_name: str) -> None:
    namespace: dict[str, Any] = {"__name__": module_name, "__builtins__": builtins}
    fn = None
    loaded = False
    audit = _audit
    while True:
        raw = wire.read_frame(sock)
        if raw is None:
            if audit is not None:
                audit.diff()
            os._exit(0)
        req = cast("list[Any]", wire.loads(raw))  # from the judge (trusted): always a list
        op = req[0]
        if op == "call" and fn is not None:
            res = _timed_call(fn, req[1], req[2], req[3] if len(req) > 3 else _test_time)
            if audit is not None:  # before replying: the patch may have broken our own reply path
                audit.diff(quick=True)
            _reply(sock, res)
        elif op == "calls" and fn is not None:  # a batch: one reply per call, each as soon as it returns
            seconds = req[2] if len(req) > 2 else None  # each call's own limit, or the header's for all
            for n, (args, kwargs) in enumerate(req[1]):
                res = _timed_call(fn, args, kwargs, seconds[n] if seconds is not None else _test_time)
                if audit is not None:
                    audit.diff(quick=True)
                _reply(sock, res)
        elif op == "call_named" and loaded:  # by name (None: the entry point), its arguments made portable
            target = fn if req[1] is None else namespace.get(req[1])
            if not callable(target):
                _reply(sock, ["undefined", req[1]])
                continue
            res = _timed_call(target, _revive(req[2], namespace), _revive(req[3], namespace), _test_time)
            if audit is not None:
                audit.diff(quick=True)
            _reply(sock, res)
        elif op == "value_of" and loaded:  # a global the tests read (`assert LIMIT == 10`)
            value = namespace.get(req[1], _UNDEFINED)
            if value is not _UNDEFINED and callable(value):  # a function the tests pass on: it stays here
                _reply(sock, ["function", req[1]])
                continue
            if type(value) is types.ModuleType:  # `import math` in the program, `math.isclose` in a test
                _reply(sock, ["module", str(getattr(value, "__name__", ""))])
                continue
            try:
                wire.dumps(value)
            except wire.WireError:
                value = _UNDEFINED
            _reply(sock, ["undefined", req[1]] if value is _UNDEFINED else ["value", value])
        elif op == "load":
            try:
                compiled = code if not isinstance(code, str) else plan.compile_exec(code, "<candidate>")
            except BaseException as e:  # noqa: BLE001 — any failure to compile is the program's
                _reply(sock, ["compile", plan.compile_failure(e)])
                continue
            res = _call(exec, [compiled, namespace], {})
            if res[0] == "ok":
                loaded = True
                fn = namespace.get(entry) if entry else None
                if entry and not callable(fn):
                    res = ["exc", "NameError", f"entry point {entry!r} is not defined as a function", res[2]]
                else:
                    res = ["ok", None, res[2]]
            if audit is not None:
                audit.diff()
            _reply(sock, res)
        elif op == "cost":
            _reply(sock, _meter.reply() if _meter is not None else ["cost", None, 0.0, "not measured"])
        elif op == "trace":
            _reply(sock, _meter.trace_reply() if _meter is not None else ["trace", [], False, "not traced"])
        else:
            _reply(sock, ["exc", "ProtocolError", f"unexpected request {op!r}", 0])


def _run_program(compiled: types.CodeType, stdin: str, timeout: float, limits: dict[str, Any],
                 workdir: str, err_cap: int = MAX_DETAIL, cpu: float = 0.0, setup: caseio.CaseSetup | None = None,
                 answer: str | None = None) -> list[object]:
    """stdio tasks: one fresh process per case, forked from this (trusted) process; the last `err_cap`
    characters of its stderr come back. `cpu`: the case's CPU-time limit (Limits.case_time), timed as a
    native program's is (native.wait_timed), within a wall cap of twice that plus a second."""
    case = caseio.Case(setup or caseio.CaseSetup(), stdin, answer)
    ferr = os.memfd_create("stderr")
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            case.enter(ferr)
            close_fds_except({_audit.fd} if _audit is not None else set())
            _set_limits(limits, cpu or timeout)
            seccomp.install(os.getpid())
            sys.stdin = open(0, encoding="utf-8", errors="replace", closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
            if _audit is not None:  # after our own set-up, so only the program's doings are recorded
                _audit.snapshot()
                _audit.rebase("sys", ("stdin", "stdout", "stderr"))
                sys.addaudithook(_audit.hook)
            code = 0
            try:
                exec(compiled, {"__name__": "__main__", "__builtins__": builtins})
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:
                traceback.print_exc()
                code = 1
            if _audit is not None:
                _audit.diff()
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                code = code or 1
            os._exit(code)
        finally:
            os._exit(1)
    case.started()
    wall = min(timeout, native.wall_ceiling(cpu)) if cpu > 0 else timeout
    timed_out, status, ru = case.wait(pid, t0, cpu, max(wall, 0.0))
    elapsed = time.monotonic() - t0
    status, timed_out, out, checked = case.settle(status, timed_out, int(limits["output_kb"]) * 1024)
    os.lseek(ferr, 0, os.SEEK_SET)
    err = os.read(ferr, max(4096, err_cap)).decode("utf-8", errors="replace")
    os.close(ferr)
    reply: list[object] = ["ran", out, err[-err_cap:], os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                           os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                           timed_out, elapsed, ru.ru_maxrss, ru.ru_utime + ru.ru_stime]
    return reply if not case.judged else [*reply, False, checked]


def _serve_runs(sock: int, code: str | types.CodeType | native.NativeProgram, limits: dict[str, Any],
                workdir: str) -> None:
    """stdio tasks: this process stays ours and forks one process per case, a Python program's (_run_program)
    or a compiled one's (native.run_case)."""
    if isinstance(code, native.NativeProgram):
        program: native.NativeProgram | None = code
        code = ""
    else:
        program = None
    compiled: types.CodeType | None = None
    setup = caseio.CaseSetup()
    ready = False
    while True:
        raw = wire.read_frame(sock)
        if raw is None:
            os._exit(0)
        req = cast("list[Any]", wire.loads(raw))  # from the judge (trusted): always a list
        if req[0] == "load":
            reply: list[object] = ["ok", None, 0]
            if program is not None and program.compile_error is not None:
                reply = ["compile", program.compile_error]
            elif program is not None:
                try:
                    program.install(workdir)
                except OSError as e:
                    reply = ["infra", f"could not write the program's artifact: {e}"]
            else:
                try:
                    compiled = plan.compile_exec(code, "<candidate>") if isinstance(code, str) else code
                except BaseException as e:  # noqa: BLE001
                    reply = ["compile", plan.compile_failure(e)]
            if reply[0] == "ok":
                setup, ready = _case_setup(req), True
            _reply(sock, reply)
        elif req[0] == "run" and ready:
            cap = min(int(req[3]), 1 << 20) if len(req) > 3 else MAX_DETAIL  # a reported run keeps more stderr
            cpu = float(req[4]) if len(req) > 4 else 0.0
            answer = req[5] if len(req) > 5 else None
            if program is not None:
                _reply(sock, native.run_case(program, req[1], cpu, float(req[2]), limits, cap, setup, answer))
            elif compiled is not None:
                _reply(sock, _run_program(compiled, req[1], float(req[2]), limits, workdir, cap, cpu, setup, answer))
        else:
            _reply(sock, ["exc", "ProtocolError", "unexpected request", 0])


def _case_setup(load: list[Any]) -> caseio.CaseSetup:
    """What the judge's "load" says of every case: ["load", {checker_program, checker_program_time,
    checker_program_protocol, interactor, interactor_time, input_file, output_file}] (a stdio suite's own; all
    optional)."""
    setup = load[1] if len(load) > 1 and type(load[1]) is dict else {}
    programs = []
    for name in ("checker_program", "interactor"):
        payload = setup.get(name)
        seconds = float(setup.get(f"{name}_time") or 10.0)
        cms = setup.get(f"{name}_protocol") == "cms"
        programs.append(caseio.Checker(payload, seconds, cms) if type(payload) is bytes else None)
    return caseio.CaseSetup(programs[0], setup.get("input_file"), setup.get("output_file"), programs[1])


_WARM_UP_CODE = marshal.dumps(compile("def f(x):\n    return x\n", "<warm-up>", "exec", dont_inherit=True))
_WARM_UP_HEADER = json.dumps({"kind": "assert", "time": 3.0, "grace": 2.5, "fail_fast": False, "entry": "f",
                              "limits": {"time": 3.0, "memory_mb": 1024, "output_kb": 1024, "open_files": 64},
                              "module": "__candidate__", "audit": True, "id": 1, "task": "k", "new": False,
                              "evict": []}).encode()


def _warm_up() -> None:
    """Run the hot paths once while nobody waits: after a fork every page first written costs a
    copy-on-write fault (~4 µs on a VM); taking them here keeps them off the execution's latency."""
    wire.loads(wire.dumps(["ok", [1, 2.5, "x", (1, None), {"a": {1}}, b"b"], 0]))
    marshal.loads(_WARM_UP_CODE)
    json.loads(_WARM_UP_HEADER)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # as _set_limits will, soon
    _maxrss()


def spare_main(sock: int, header_fd: int, payload_fd: int, workdir: str, events_fd: int = -1,
               locked: bool = False, audited: bool = False) -> None:
    """A candidate process forked ahead of its execution (never returns).

    It does the set-up that does not depend on the execution — with `locked`, the seccomp filter too,
    which the zygote asks for unless the execution may be a stdio one (that process must fork), and with
    `audited` the runtime audit's state (both guesses from the previous execution) — then
    blocks until the zygote hands it a header; only then does it read the program (so it reads exactly
    one payload off the shared pipe).
    """
    global _audit, _test_time, _meter
    try:
        close_fds_except({sock, header_fd, payload_fd, events_fd})
        os.chdir(workdir)
        _redirect_std(os.path.join(workdir, ".out"))
        _warm_up()
        audit = auditing.RuntimeAudit(events_fd, workdir) if audited and events_fd >= 0 else None
        if locked:
            _lock_down()
            if audit is not None:
                # Early is as good as late: the diffs compare against the zygote's baseline, and the
                # snapshot only notes which dicts are unchanged so far (a dict changed later is compared).
                audit.snapshot()
        raw = wire.read_frame(header_fd)
        if raw is None:
            os._exit(0)
        os.close(header_fd)
        header = json.loads(raw)
        raw = wire.read_frame(payload_fd, wire.TRUSTED_FRAME)
        os.close(payload_fd)
        # The program: its code object, compiled by the host, or its source when it does not compile.
        # Entry point and module name travel in the header.
        code: str | types.CodeType | native.NativeProgram = (
            "" if raw is None else native.NativeProgram(raw) if raw[:1] == native.PROGRAM_NATIVE
            else plan.decode_program(raw))
        del raw
        if header.get("audit") and events_fd >= 0:
            _audit = audit or auditing.RuntimeAudit(events_fd, workdir)
        elif events_fd >= 0:
            os.close(events_fd)
        if header["kind"] == "stdio":
            # This process stays trusted and forks one locked-down child per case (each gets the hook).
            if locked:
                os._exit(0)  # the zygote never hands a stdio execution to a locked spare
            _serve_runs(sock, code, header["limits"], workdir)
        else:
            if isinstance(code, native.NativeProgram):  # judged on stdin/stdout only (tasks/model.py)
                os._exit(0)
            if not locked:
                _lock_down()
            # The execution's own limits, once known. Under the filter setrlimit still works, but only
            # downwards: the sandbox has no CAP_SYS_RESOURCE to raise a hard limit, so a program cannot undo it.
            _set_limits(header["limits"], header["time"])
            if _audit is not None:  # after the lock-down and limits, so our own set-up is not in the record
                if not (locked and _audit is audit):
                    _audit.snapshot()
                sys.addaudithook(_audit.hook)
            if header.get("cost"):  # after our own set-up: only the program's work counts
                log = costing.TraceLog(header.get("trace_watch")) if header["cost"] == "trace" else None
                _meter = costing.CostMeter(trace=header["cost"] == "lines", log=log)
            _test_time = float(header.get("test_time") or 0.0)
            # The timer's handler always: a call may bring its own limit (suites calibrated per test).
            signal.signal(signal.SIGALRM, _on_timer)
            _serve_calls(sock, code, header.get("entry") or "", header.get("module", "__candidate__"))
    except BaseException:
        pass
    os._exit(0)
