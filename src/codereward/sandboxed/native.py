"""A compiled program's run, one process per stdio case (inside the sandbox; standard library only).

The candidate process of a native execution stays trusted code (ours): it writes the artifact the host
sent (languages/native.py) into the execution's working directory and, per case, forks a child that
  - takes the case's input on stdin and capped files for stdout/stderr (memfds: RLIMIT_FSIZE holds them),
  - sets its rlimits: memory (RLIMIT_AS, or RLIMIT_DATA for runtimes that reserve address space), stack,
    CPU (a backstop: the parent measures CPU itself), output, open files, no core,
  - loads the candidate seccomp filter that still permits execve (no fork, no process, no signal to
    anything but itself), then Landlock, which leaves it nothing to execute but the artifact, its runtime
    and the dynamic loader (landlock.py),
  - and execs the artifact. From then on it is the candidate: it holds the input, nothing else.
The parent times it by CPU, not by the wall: the case's limit is CPU seconds, checked as the child runs
(/proc/<pid>/stat) and at its end (its rusage), and the wall clock only stops a program that sleeps or
waits, at WALL_FACTOR x the limit + 1 s (wall_cap). Time it spent ready to run but waiting for a CPU (the
machine busy: its threads' run-queue wait, /proc/<pid>/task/*/schedstat) does not count against that cap,
up to LOAD_ALLOWANCE x the cap in all (wall_ceiling). So a loaded machine slows a program down without
failing it, even one that needs most of its limit.

Memory limit: a program that failed (non-zero exit, or a signal) is out of memory when its peak resident
size reached MEMORY_FULL of the limit, or its last words are a runtime's allocation failure (std::bad_alloc,
java.lang.OutOfMemoryError, Node's heap limit, malloc's ENOMEM): an allocation refused under an rlimit
usually fails before the memory is touched.

What surrounds the process (its stdin and stdout, file I/O, an interactor, a checker) is caseio.py's.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import landlock, seccomp

if TYPE_CHECKING:
    from .caseio import CaseSetup

PROGRAM_NATIVE = b"n"
WALL_FACTOR = 2.0
WALL_EXTRA = 1.0
LOAD_ALLOWANCE = 3.0  # at most this many wall caps, whatever the load: the ceiling of a case's wall time
MEMORY_FULL = 0.95
STACK_MB = 256  # Codeforces's --stack=268435456: recursive solutions need it
# Last words of a program that ran out of memory under its rlimit (stderr's tail), by runtime.
OUT_OF_MEMORY = (b"std::bad_alloc", b"OutOfMemoryError", b"JavaScript heap out of memory",
                 b"Cannot allocate memory", b"out of memory", b"MemoryError", b"Allocation failed",
                 b"insufficient memory for the Java Runtime", b"(errno=12)")
# The dynamic loader a runtime (java, node) needs to start; static C/C++ artifacts need none.
LOADERS = ("/lib64/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2",
           "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def wall_cap(cpu: float) -> float:
    """The wall clock a process with `cpu` CPU seconds may take, less the time it waited for a CPU: past it,
    it is waiting, not computing."""
    return WALL_FACTOR * cpu + WALL_EXTRA


def wall_ceiling(cpu: float) -> float:
    """The most wall clock a process with `cpu` CPU seconds may take, however long it waited for a CPU."""
    return LOAD_ALLOWANCE * wall_cap(cpu)


class NativeProgram:
    """A decoded native payload: the header (argv, memory mode, ...) and the artifact's bytes."""

    def __init__(self, payload: bytes) -> None:
        n = int.from_bytes(payload[1:5], "big")
        self.header: dict[str, Any] = json.loads(payload[5 : 5 + n])
        self.artifact = memoryview(payload)[5 + n :]
        self.compile_error: str | None = self.header.get("compile_error")
        self.argv: list[str] = []
        self.exec_paths: list[str] = []

    def install(self, workdir: str) -> None:
        """Write the artifact into the execution's working directory (wiped after it), executable and read-only."""
        path = os.path.join(workdir, self.header["artifact"])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o500)
        try:
            view = self.artifact
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self.argv = [a.replace("{artifact}", path) for a in self.header["argv"]]
        self.exec_paths = [*self.header.get("executable", []), *([path] if self.argv[0] == path else []),
                           *(p for p in LOADERS if os.path.exists(p))]


def _proc_cpu(pid: int) -> float:
    """CPU seconds of process `pid` so far, all its threads (utime + stime of /proc/<pid>/stat)."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            text = os.read(fd, 4096)
        finally:
            os.close(fd)
        fields = text[text.rindex(b")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK
    except (OSError, ValueError, IndexError):
        return 0.0


def _queued(pid: int) -> float:
    """Seconds the busiest thread of process `pid` has waited on a run queue, ready to run while no CPU was
    free (the second field of /proc/<pid>/task/<tid>/schedstat, in ns); 0 where the kernel does not say."""
    most = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tids:
        try:
            fd = os.open(f"/proc/{pid}/task/{tid}/schedstat", os.O_RDONLY)
            try:
                most = max(most, int(os.read(fd, 128).split()[1]))
            finally:
                os.close(fd)
        except (OSError, ValueError, IndexError):  # a thread that just ended
            continue
    return most / 1e9


def wait_timed(pid: int, t0: float, cpu: float, wall: float,
               before_kill: Callable[[], None] | None = None) -> tuple[bool, int, Any]:
    """Wait for child `pid` (started at `t0`), killing it once past `cpu` CPU seconds (0: no CPU limit) or
    `wall` seconds of wall clock (`before_kill` is called first): (timed_out, wait status, rusage). With a CPU
    limit it is also killed past wall_cap(cpu) of wall clock less the time it waited for a CPU (_queued):
    then it is sleeping or waiting, not computing. A Python program's stdio run takes the same path
    (candidate.py)."""
    pidfd = os.pidfd_open(pid)
    timed_out = False
    cap = wall_cap(cpu) if cpu > 0 else wall
    try:
        while True:
            elapsed = time.monotonic() - t0
            left_wall = wall - elapsed
            if cpu > 0 and elapsed >= cap:  # only then is its run-queue wait worth reading
                left_wall = min(left_wall, cap - (elapsed - _queued(pid)))
            if cpu > 0:
                used = _proc_cpu(pid)
                if used >= cpu:
                    timed_out = True
                    break
                # Sleep until the earliest moment it could be over its CPU limit (its threads aside, it cannot
                # use CPU faster than the clock runs: hence the 50 ms ceiling), or its wall cap.
                wait = min(left_wall, max(cpu - used, 0.005), 0.05)
            else:
                wait = left_wall
            if wait <= 0:
                timed_out = True
                break
            if select.select([pidfd], [], [], wait)[0]:
                break
        if timed_out:
            if before_kill is not None:
                before_kill()
            os.kill(pid, signal.SIGKILL)
        _, status, ru = os.wait4(pid, 0)
    finally:
        os.close(pidfd)
    if cpu > 0 and ru.ru_utime + ru.ru_stime > cpu:
        timed_out = True  # it finished, but past its CPU time
    return timed_out, status, ru


def set_limits(header: dict[str, Any], limits: dict[str, Any], cpu: float) -> None:
    """The rlimits of a program's process (memory by the header's "memory" mode, stack, CPU backstop, output,
    open files, no core), set in the child before exec."""
    mem = int(limits["memory_mb"]) * 1024 * 1024
    if header["memory"] == "data":
        data = mem + int(header.get("slack_mb", 0)) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (data, data))
    else:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    stack = min(int(header.get("stack_mb", STACK_MB)), int(limits["memory_mb"])) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))
    soft = int(cpu) + 1  # the parent stops it at `cpu`; this is only the backstop if the parent cannot
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    out = int(limits["output_kb"]) * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(limits["open_files"]),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_case(program: NativeProgram, stdin: str, cpu: float, wall: float, limits: dict[str, Any],
             err_cap: int, setup: CaseSetup | None = None, answer: str | None = None) -> list[object]:
    """One case: ["ran", out, err, exit, sig, timed_out, seconds, maxrss_kb, cpu_seconds, out_of_memory
    (, checked)], or ["infra", reason] when the artifact could not be executed at all (the sandbox's fault).

    `cpu`: the case's CPU-time limit (0: none but `wall`); `wall`: the most wall time it may take. With a
    checker in `setup` and the case's `answer`, `checked` is check()'s verdict when the program ended
    normally, else None."""
    from .candidate import close_fds_except
    from .caseio import Case, CaseSetup

    case = Case(setup or CaseSetup(), stdin, answer)
    ferr = os.memfd_create("stderr")
    report_r, report_w = os.pipe2(os.O_CLOEXEC)  # exec closes it: anything read from it is a failure to exec
    cap_wall = min(wall, wall_ceiling(cpu)) if cpu > 0 else wall
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            case.enter(ferr)
            # Python ignores SIGPIPE, and an ignored signal stays ignored across execve: a program writing to an
            # interactor that has exited must die of it, as it would anywhere else.
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            close_fds_except({report_w})
            set_limits(program.header, limits, cpu if cpu > 0 else wall)
            seccomp.install(os.getpid(), exec_artifact=True)
            landlock.restrict_execution(program.exec_paths)
            env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": os.getcwd(), "TMPDIR": os.getcwd(),
                   **program.header.get("env", {})}
            argv = [a.replace("{memory_mb}", str(limits["memory_mb"])) for a in program.argv]
            os.execve(argv[0], argv, env)
        except BaseException as e:  # noqa: BLE001
            try:
                os.write(report_w, f"{type(e).__name__}: {e}".encode()[:500])
            finally:
                os._exit(127)
        os._exit(127)
    os.close(report_w)
    case.started()
    timed_out, status, ru = case.wait(pid, t0, cpu, cap_wall)
    seconds = time.monotonic() - t0
    failure = os.read(report_r, 1000)
    os.close(report_r)
    if failure:
        os.close(ferr)
        case.settle(status, timed_out, 0)
        return ["infra", f"could not execute the program: {failure.decode(errors='replace')}"]
    cpu_used = ru.ru_utime + ru.ru_stime
    status, timed_out, out, checked = case.settle(status, timed_out, int(limits["output_kb"]) * 1024)
    exit_status = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    size = os.lseek(ferr, 0, os.SEEK_END)
    os.lseek(ferr, max(0, size - max(err_cap, 4096)), os.SEEK_SET)
    err = os.read(ferr, max(err_cap, 4096))
    os.close(ferr)
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    failed = exit_status != 0 and not timed_out and sig != signal.SIGXFSZ
    oom = failed and (ru.ru_maxrss >= MEMORY_FULL * int(limits["memory_mb"]) * 1024
                      or any(mark in err[-1000:] for mark in OUT_OF_MEMORY))
    reply: list[object] = ["ran", out, err.decode("utf-8", errors="replace")[-err_cap:], exit_status, sig, timed_out,
                           seconds, ru.ru_maxrss, cpu_used, oom]
    return reply if not case.judged else [*reply, checked]
