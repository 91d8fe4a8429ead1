"""What a stdio case is around its program's process (inside the sandbox; standard library only): its input
and output, the files of a file-I/O problem, the interactor that talks with it, the checker that judges it.

Both runners use it, the Python programs' (candidate.py) and the compiled ones' (native.run_case): the
checker and the interactor are the task's own programs in testlib's protocol (model.CheckerProgram),
compiled on the host and run here from the runner's memory, never from a file the program could rewrite.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import time
from typing import Any

from . import seccomp
from .native import NativeProgram, set_limits, wait_timed, wall_ceiling


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

    def __init__(self, payload: bytes, seconds: float, cms: bool = False) -> None:
        program = NativeProgram(payload)
        self.cms = cms  # CMS's protocol (model.CheckerProgram.protocol), not testlib's
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
            set_limits({"memory": "as"}, {"memory_mb": CHECKER_MEMORY_MB, "output_kb": CHECKER_OUTPUT // 1024,
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
    timed_out, status, _ = wait_timed(pid, t0, program.seconds, wall_ceiling(program.seconds))
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
    its time), its message]. Called only after the program's process is gone: nothing of it still runs.
    A CMS checker (checker.cms) is run as CMS runs one and its verdict told in testlib's terms (_cms_verdict)."""
    fin, fans, fmsg = _memfd("input", stdin), _memfd("answer", answer), os.memfd_create("message")
    t0 = time.monotonic()
    if not checker.cms:
        pid = _spawn(checker, (fin, out_fd, fans), None, fmsg, fmsg)
        for fd in (fin, fans):
            os.close(fd)
        return _verdict(pid, t0, checker, fmsg, "checker")
    fscore = os.memfd_create("score")
    pid = _spawn(checker, (fin, fans, out_fd), None, fscore, fmsg)
    for fd in (fin, fans):
        os.close(fd)
    return _cms_verdict(_verdict(pid, t0, checker, fmsg, "checker"), fscore)


def _cms_verdict(verdict: list[object], fscore: int) -> list[object]:
    """A CMS checker's outcome (`checker <input> <answer> <output>`: its score in [0, 1] on stdout, its message
    on stderr, CMS's "translate:" keys shortened) as testlib's exit statuses: 1 is 0 (wrong answer), 0 is 1
    (accepted), points between (7, "points <score>"); no score, a score outside [0, 1] or an exit status but 0
    is the checker's failure (3)."""
    os.lseek(fscore, 0, os.SEEK_SET)
    printed = os.read(fscore, CHECKER_OUTPUT).decode("utf-8", errors="replace").split()
    os.close(fscore)
    code, message = verdict
    message = str(message).replace("translate:", "")
    if code != 0:  # CMS reads a checker's exit status as its own failure, never a verdict (1 is not WA here)
        return [code if type(code) is int and code < 0 else 3, f"the CMS checker exited with {code}: {message}"]
    try:
        score = float(printed[0])
    except (IndexError, ValueError):
        return [3, f"the CMS checker printed no score: {message}"]
    if not 0.0 <= score <= 1.0:
        return [3, f"the CMS checker printed a score outside [0, 1]: {printed[0]}"]
    if score == 1.0:
        return [0, message]
    if score == 0.0:
        return [1, message]
    return [7, f"points {score!r} {message}".strip()]


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
