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
waits at WALL_FACTOR x the limit + 1 s. So a loaded machine slows a program down without failing it.

Memory limit: a program that failed (non-zero exit, or a signal) is out of memory when its peak resident
size reached MEMORY_FULL of the limit, or its last words are a runtime's allocation failure (std::bad_alloc,
java.lang.OutOfMemoryError, Node's heap limit, malloc's ENOMEM): an allocation refused under an rlimit
usually fails before the memory is touched.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import select
import signal
import stat
import time
from collections.abc import Callable
from typing import Any

from . import landlock, seccomp

PROGRAM_NATIVE = b"n"
WALL_FACTOR = 2.0
WALL_EXTRA = 1.0
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


def wait_timed(pid: int, t0: float, cpu: float, wall: float,
               before_kill: Callable[[], None] | None = None) -> tuple[bool, int, Any]:
    """Wait for child `pid` (started at `t0`), killing it once past `cpu` CPU seconds (0: no CPU limit) or
    `wall` seconds of wall clock (`before_kill` is called first): (timed_out, wait status, rusage). A Python
    program's stdio run takes the same path (candidate.py)."""
    pidfd = os.pidfd_open(pid)
    timed_out = False
    try:
        while True:
            left_wall = wall - (time.monotonic() - t0)
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


def _limits(header: dict[str, Any], limits: dict[str, Any], cpu: float) -> None:
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

    case = Case(setup or CaseSetup(), stdin, answer)
    ferr = os.memfd_create("stderr")
    report_r, report_w = os.pipe2(os.O_CLOEXEC)  # exec closes it: anything read from it is a failure to exec
    cap_wall = min(wall, WALL_FACTOR * cpu + WALL_EXTRA) if cpu > 0 else wall
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            case.enter(ferr)
            # Python ignores SIGPIPE, and an ignored signal stays ignored across execve: a program writing to an
            # interactor that has exited must die of it, as it would anywhere else.
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            close_fds_except({report_w})
            _limits(program.header, limits, cpu if cpu > 0 else wall)
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


class Case:
    """One case's input and output around its program's process, for either runner (this module's and the
    Python programs' in candidate.py): its stdin and stdout (memfds, or the pipes to an interactor), the
    files of a file-I/O problem, the interactor beside it, and the checker after it.

        case = Case(setup, stdin, answer)       # then fork; the child calls case.enter(stderr_fd) first
        case.started()                          # in the parent, once the child is forked
        timed_out, status, ru = case.wait(pid, t0, cpu, wall)
        status, timed_out, out, checked = case.settle(status, timed_out, cap)
    """

    def __init__(self, setup: CaseSetup, stdin: str, answer: str | None) -> None:
        self.setup, self.stdin, self.answer = setup, stdin, answer
        setup.before(stdin)
        self.fin = _memfd("stdin", stdin)
        os.lseek(self.fin, 0, os.SEEK_SET)
        self.fout = os.memfd_create("stdout")
        # An interactive problem: the program talks with the interactor through two pipes instead of files.
        self.pipes = (*os.pipe(), *os.pipe()) if setup.interactor is not None else None  # to program, to it
        self.program_in, self.program_out = (self.pipes[0], self.pipes[3]) if self.pipes else (self.fin, self.fout)
        self.talk: _Interaction | None = None
        self.judged = setup.checker is not None or setup.interactor is not None  # a `checked` verdict follows

    def enter(self, stderr: int) -> None:
        """In the forked child, before anything else: die with the runner, take the case's stdin and stdout."""
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the runner
        os.dup2(self.program_in, 0)
        os.dup2(self.program_out, 1)
        os.dup2(stderr, 2)

    def started(self) -> None:
        if self.setup.interactor is not None and self.pipes is not None:
            self.talk = _Interaction(self.setup.interactor, self.fin, self.answer or "", self.pipes)
        os.close(self.fin)

    def wait(self, pid: int, t0: float, cpu: float, wall: float) -> tuple[bool, int, Any]:
        # Whether the interactor had ended when the program was stopped at its time (after it, the
        # interactor soon reads the end of file and ends too: too late to tell who went quiet first).
        talk, ended = self.talk, []
        timed_out, status, ru = wait_timed(pid, t0, cpu, wall,
                                           (lambda: ended.append(talk.done())) if talk is not None else None)
        self.decided_first = bool(ended and ended[0])
        self.verdict = talk.end() if talk is not None else None
        return timed_out, status, ru

    def settle(self, status: int, timed_out: bool, cap: int) -> tuple[int, bool, str, list[object] | None]:
        """(status, timed_out, output, checked) once the program is gone: the interactor's verdict where it
        decided first, the output (stdout, the output file, or what the interactor wrote), the checker's."""
        setup, talk, verdict = self.setup, self.talk, self.verdict
        fout = self.fout
        if talk is not None and verdict is not None:
            if type(verdict[0]) is int and verdict[0] > 0 and verdict[0] != 3 and (self.decided_first or not timed_out):
                # The interactor decided against the program and stopped talking: its verdict, not what the
                # program did next (a broken pipe, or waiting for an answer until its time ran out). FAIL (3) is
                # its own. A program stopped at its time while the interactor still waited (neither spoke:
                # Codeforces's idleness) keeps its time_limit.
                status, timed_out = 0, False
            os.close(fout)
            fout = talk.tout  # what the interactor wrote for the checker: the case's output
        else:
            fout = setup.answer_fd(fout, cap)
        ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and not timed_out
        checked: list[object] | None = None
        if talk is not None:
            checked = verdict if not ok or verdict is None or verdict[0] != 0 or setup.checker is None \
                else check(setup.checker, self.stdin, fout, self.answer or "")
        elif setup.checker is not None and self.answer is not None and ok:
            checked = check(setup.checker, self.stdin, fout, self.answer)
        setup.after()
        os.lseek(fout, 0, os.SEEK_SET)
        out = os.read(fout, cap).decode("utf-8", errors="replace")
        os.close(fout)
        return status, timed_out, out, checked


# -- what every case of a suite shares: a checker, file I/O ----------------------------------------------------


class CaseSetup:
    """A stdio suite's settings the runner applies to each case: its checker program, and the files a
    file-I/O problem reads and writes in the working directory (model.StdioSuite input_file/output_file)."""

    def __init__(self, checker: Checker | None = None, input_file: str | None = None,
                 output_file: str | None = None, interactor: Checker | None = None) -> None:
        self.checker = checker
        self.interactor = interactor
        self.input_file = input_file if _plain(input_file) else None
        self.output_file = output_file if _plain(output_file) else None

    def before(self, stdin: str) -> None:
        """The case's input in its file (the working directory is the process's own), no stale answer."""
        self.after()
        if self.input_file is not None:
            fd = os.open(self.input_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, stdin.encode())
            finally:
                os.close(fd)

    def answer_fd(self, stdout_fd: int, cap: int) -> int:
        """The fd holding the program's answer: its stdout's, or a memfd with its output file (at most `cap`
        bytes; not a regular file, a link or missing: empty). Called once its process is gone."""
        if self.output_file is None:
            return stdout_fd
        os.close(stdout_fd)
        answer = os.memfd_create("answer-file")
        try:
            fd = os.open(self.output_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return answer
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.write(answer, os.read(fd, cap))
        finally:
            os.close(fd)
        return answer

    def after(self) -> None:
        for name in (self.input_file, self.output_file):
            if name is not None:
                try:
                    os.unlink(name)
                except OSError:
                    pass


def _plain(name: object) -> bool:
    return isinstance(name, str) and bool(name) and "/" not in name and name not in (".", "..") and "\0" not in name


# -- a testlib checker -------------------------------------------------------------------------------------

CHECKER_MEMORY_MB = 1024
CHECKER_OUTPUT = 64 * 1024  # bytes of the checker's own stdout+stderr kept (its message)


class Checker:
    """A task's checker program (model.CheckerProgram), held in a memfd by the runner: not a file in the
    working directory, which the candidate's process could rewrite before the checker runs."""

    def __init__(self, payload: bytes, seconds: float) -> None:
        program = NativeProgram(payload)
        self.fd = os.memfd_create("checker", 0)  # no MFD_CLOEXEC: the checker's child execs it by fd
        view = program.artifact
        while view:
            view = view[os.write(self.fd, view) :]
        self.seconds = seconds
        self.header = program.header


def _spawn(program: Checker, files: tuple[int, int, int], stdin: int | None, stdout: int, stderr: int) -> int:
    """Fork and exec a task's own program (a checker or an interactor: Checker) as testlib runs them,
    `program /proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5` on the three `files`, with `stdin` (None:
    /dev/null), `stdout` and `stderr`; its pid. Its limits: CPU `program.seconds`, 1 GB of address space,
    no process of its own."""
    pid = os.fork()
    if pid == 0:
        try:
            import ctypes

            from .candidate import close_fds_except

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if stdin is None:
                stdin = os.open("/dev/null", os.O_RDONLY)
            # Each source out of the way first: any of them may itself be numbered 0 to 6.
            sources = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (*files, program.fd, stdout, stderr, stdin)]
            for fd, target in zip(sources, (3, 4, 5, 6, 1, 2, 0)):
                os.dup2(fd, target)
            close_fds_except({3, 4, 5, 6})
            for fd in (3, 4, 5):
                os.lseek(fd, 0, os.SEEK_SET)
            _limits({"memory": "as"}, {"memory_mb": CHECKER_MEMORY_MB, "output_kb": CHECKER_OUTPUT // 1024,
                                       "open_files": 32}, program.seconds)
            seccomp.install(os.getpid(), exec_artifact=True)
            os.execve("/proc/self/fd/6", ["checker", "/proc/self/fd/3", "/proc/self/fd/4", "/proc/self/fd/5"],
                      {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        except BaseException as e:  # noqa: BLE001 — said on its message channel: the task's error
            os.write(2, f"the task's program could not start: {type(e).__name__}: {e}".encode())
        finally:
            os._exit(127)
    return pid


def _verdict(pid: int, t0: float, program: Checker, fmsg: int, what: str) -> list[object]:
    """Wait for a checker or interactor (`pid`) within its time: [exit status (-signal, -1 past its time),
    its message (what it wrote, stdout and stderr)]."""
    timed_out, status, _ = wait_timed(pid, t0, program.seconds, WALL_FACTOR * program.seconds + WALL_EXTRA)
    os.lseek(fmsg, 0, os.SEEK_SET)
    message = os.read(fmsg, CHECKER_OUTPUT).decode("utf-8", errors="replace").strip()
    os.close(fmsg)
    if timed_out:
        return [-1, f"the {what} ran out of its {program.seconds:g} s"]
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
    return [code, message[-2000:]]


def _memfd(name: str, text: str) -> int:
    fd = os.memfd_create(name)
    os.write(fd, text.encode())
    return fd


def check(checker: Checker, stdin: str, out_fd: int, answer: str) -> list[object]:
    """Run the checker as testlib does, `checker <input> <output> <answer>`, on the case's input, the
    program's output (its memfd, `out_fd`) and the jury's answer: [exit status (-signal when killed, -1 past
    its time), its message]. Called only after the program's process is gone: nothing of it still runs."""
    fin, fans, fmsg = _memfd("input", stdin), _memfd("answer", answer), os.memfd_create("message")
    t0 = time.monotonic()
    pid = _spawn(checker, (fin, out_fd, fans), None, fmsg, fmsg)
    for fd in (fin, fans):
        os.close(fd)
    return _verdict(pid, t0, checker, fmsg, "checker")


class _Interaction:
    """An interactive problem's interactor, started beside the program, as testlib runs one:
    `interactor <input> <output> <answer>`, its stdin the program's stdout and its stdout the program's stdin
    (the two pipes); what it writes to <output> is the case's output (a checker, if any, judges it)."""

    def __init__(self, interactor: Checker, fin: int, answer: str, pipes: tuple[int, int, int, int]) -> None:
        to_program_r, to_program_w, to_interactor_r, to_interactor_w = pipes
        self.interactor = interactor
        self.tout, fans, self.fmsg = os.memfd_create("tout"), _memfd("answer", answer), os.memfd_create("message")
        self.t0 = time.monotonic()
        self.pid = _spawn(interactor, (fin, self.tout, fans), to_interactor_r, to_program_w, self.fmsg)
        os.close(fans)
        for fd in pipes:  # ours are closed, so each side sees the end of file when the other exits
            os.close(fd)

    def done(self) -> bool:
        """Whether it has ended (not reaped yet)."""
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def end(self) -> list[object]:
        """Its verdict, once the program is done (it then reads the end of file, or is stopped at its time)."""
        return _verdict(self.pid, self.t0, self.interactor, self.fmsg, "interactor")
