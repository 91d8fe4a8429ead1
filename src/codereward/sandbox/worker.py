"""Host side of one sandbox: start the zygote, feed it executions, collect the judge's records.

One Worker runs one execution at a time. Its pipes (host view):
    ctrl, cand, judge   written by us   -> read by the zygote, the candidate and the judge respectively
    status, records     read by us      <- written by the zygote and the judge
    events              read by us      <- written by the candidate: runtime audit events, flags only
All I/O of an execution goes through one selector loop with non-blocking fds, so a child that dies before
reading its payload, or a judge that writes many records, can never deadlock the host.
"""

from __future__ import annotations

import fcntl
import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from ..errors import InfraError, IsolationError
from ..executor import Execution, ProcessStatus
from ..sandboxed import wire
from ..sandboxed.records import Record
from .bwrap import ZYGOTE_ENV, SandboxSpec, check_bwrap, zygote_command

START_TIMEOUT = 60.0
TEMPLATES_PER_WORKER = 256  # judge templates (prepared test suites) kept warm in each sandbox
F_SETPIPE_SZ = 1031
EVENTS_CAP = 256 * 1024  # bytes of runtime audit events kept per execution


def _pipe(big: bool = False) -> tuple[int, int]:
    r, w = os.pipe()
    if big:
        try:
            fcntl.fcntl(w, F_SETPIPE_SZ, 1 << 20)
        except OSError:
            pass
    return r, w


def _kill_and_reap(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGKILL the sandbox and wait (at most `timeout`) for it to be reaped.

    Our child is bubblewrap (the zygote itself under isolation "none"). Killing bubblewrap takes the whole
    sandbox with it: --die-with-parent makes the kernel SIGKILL the zygote when bubblewrap dies, and the
    zygote is the init of the sandbox's pid namespace, whose death kills every process left in it.
    """
    proc.kill()  # a no-op once the process has been reaped
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass  # stuck in the kernel (uninterruptible sleep): no signal can do more


class Worker:
    """A warm sandbox (bubblewrap + zygote) and the pipes to it."""

    def __init__(self, spec: SandboxSpec, cpu: int | None = None) -> None:
        if spec.isolation == "bwrap":
            check_bwrap()
        elif spec.isolation != "none":
            raise IsolationError(f"unknown isolation {spec.isolation!r}: use 'bwrap' or 'none'")
        self.spec = spec
        self._closed = False
        # Two stacks, as trio's open_process has: `always` holds the zygote's ends of the pipes, which we
        # close as soon as it has its copies, started or not; `on_fail` holds everything the Worker keeps,
        # undone (newest first: the sandbox is killed and reaped before its pipes close) if anything raises,
        # KeyboardInterrupt included, before the zygote reports ready.
        with ExitStack() as always, ExitStack() as on_fail:
            self._tmp_root = tempfile.mkdtemp(prefix="codereward-") if spec.isolation == "none" else None
            if self._tmp_root:
                on_fail.callback(shutil.rmtree, self._tmp_root, ignore_errors=True)

            def pipe(we_write: bool, big: bool = False) -> tuple[int, int]:
                """(our end, the zygote's end) of a new pipe."""
                r, w = _pipe(big)
                ours, theirs = (w, r) if we_write else (r, w)
                always.callback(os.close, theirs)
                on_fail.callback(os.close, ours)
                return ours, theirs

            self.ctrl, ctrl_r = pipe(we_write=True)
            self.status, status_w = pipe(we_write=False)
            self.cand, cand_r = pipe(we_write=True, big=True)
            self.judge, judge_r = pipe(we_write=True, big=True)
            self.records, records_w = pipe(we_write=False, big=True)
            self.events, events_w = pipe(we_write=False, big=True)
            self.errlog = tempfile.TemporaryFile()
            on_fail.callback(self.errlog.close)
            child_fds = [ctrl_r, status_w, cand_r, judge_r, records_w, events_w]
            argv = zygote_command(spec, child_fds, self._tmp_root or "/tmp", cpu)
            # The sandbox gets none of the host's environment (API keys, paths, PYTHON* settings): only what
            # bwrap needs, and the zygote's own (which bwrap sets again inside).
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **ZYGOTE_ENV}
            self.proc = subprocess.Popen(argv, pass_fds=child_fds, stdin=subprocess.DEVNULL, env=env,
                                         stdout=self.errlog, stderr=self.errlog, close_fds=True)
            on_fail.callback(_kill_and_reap, self.proc)
            # Now, not at the end: while we hold a copy of the zygote's write ends, its death is no EOF to us
            # and a sandbox that dies at start would be waited for until START_TIMEOUT.
            always.close()
            for fd in (self.ctrl, self.cand, self.judge, self.status, self.records, self.events):
                os.set_blocking(fd, False)
            self._status_buf = bytearray()
            self._next_id = 0
            self._templates: OrderedDict[str, None] = OrderedDict()
            self._sel = selectors.DefaultSelector()
            on_fail.callback(self._sel.close)
            self._sel.register(self.status, selectors.EVENT_READ)
            self._sel.register(self.records, selectors.EVENT_READ)
            try:
                ready: object = self._read_status(time.monotonic() + START_TIMEOUT)
            except ValueError as e:  # not JSON: whatever wrote it is no working zygote
                ready = f"not JSON ({e})"
            if not isinstance(ready, dict) or "ready" not in ready:
                said = self.stderr_tail() or ("no output" if ready is None else f"its first status: {ready!s:.200}")
                raise IsolationError(f"the sandbox did not start: {said}")
            self.pid = ready["ready"]
            on_fail.pop_all()  # started: from here on, close() releases it all

    # -- plumbing ---------------------------------------------------------------------------------

    def stderr_tail(self, n: int = 2000) -> str:
        self.errlog.seek(0)
        return self.errlog.read()[-n:].decode(errors="replace").strip()

    @staticmethod
    def _take_frame(buf: bytearray) -> bytes | None:
        if len(buf) < 4:
            return None
        n = int.from_bytes(buf[:4], "big")
        if len(buf) < 4 + n:
            return None
        payload = bytes(buf[4 : 4 + n])
        del buf[: 4 + n]
        return payload

    def _read_status(self, deadline: float) -> dict[str, Any] | None:
        sel = selectors.DefaultSelector()
        sel.register(self.status, selectors.EVENT_READ)
        try:
            while True:
                frame = self._take_frame(self._status_buf)
                if frame is not None:
                    status: dict[str, Any] = json.loads(frame)
                    return status
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(self.status, 65536)
                if not chunk:
                    return None
                self._status_buf += chunk
        finally:
            sel.close()

    def holds(self, judge_key: str) -> bool:
        """Whether this sandbox has the judge for `judge_key` prepared (see scheduling.py)."""
        return judge_key in self._templates

    # -- one execution ------------------------------------------------------------------------------

    def run(self, header: dict[str, Any], cand_payload: bytes | Callable[[], bytes], judge_key: str,
            judge_payload: bytes, meanwhile: Callable[[], None] | None = None) -> Execution:
        """Run one execution; raise InfraError if the sandbox broke (the caller restarts the worker).

        `judge_key` names the prepared test suite (a content hash of the tests in `judge_payload`): the sandbox keeps
        a judge template per key, so the payload crosses and is parsed only the first time. `meanwhile`
        is called once the sandbox has the execution, before waiting for it (host work that overlaps the
        sandbox's); what it raises is raised after the execution is read, so the worker stays usable.
        `cand_payload` may be a function that makes it: it is called once the header is on its way, so
        making it overlaps the sandbox's hand-out (the candidate reads it only after the header).
        """
        self._next_id += 1
        new = judge_key not in self._templates
        evict: list[str] = []
        if new:
            self._templates[judge_key] = None
            while len(self._templates) > TEMPLATES_PER_WORKER:
                evict.append(self._templates.popitem(last=False)[0])
        else:
            self._templates.move_to_end(judge_key)
        header = {**header, "id": self._next_id, "task": judge_key, "new": new, "evict": evict}
        pending = [(self.ctrl, memoryview(wire.frame(json.dumps(header).encode()))),
                   (self.cand, cand_payload)]
        if new:
            pending.append((self.judge, memoryview(wire.frame(judge_payload))))
        records = bytearray()
        status: ProcessStatus | None = None
        limit = time.monotonic() + float(header["time"]) + float(header.get("grace", 1.0)) + 10.0
        sel = self._sel
        out: dict[int, memoryview] = {}
        for fd, data in pending:  # small payloads go straight into the pipe: no selector round
            if callable(data):
                data = memoryview(wire.frame(data()))
            elif not isinstance(data, memoryview):
                data = memoryview(wire.frame(data))
            try:
                n = os.write(fd, data)
            except BlockingIOError:
                n = 0
            except BrokenPipeError:
                raise InfraError("sandbox worker exited") from None
            if n < len(data):
                out[fd] = data[n:]
                sel.register(fd, selectors.EVENT_WRITE)
        deferred: BaseException | None = None
        if meanwhile is not None:
            try:
                meanwhile()
            except BaseException as e:  # noqa: BLE001 — re-raised below, once the sandbox is in step again
                deferred = e
        try:
            while status is None:
                left = limit - time.monotonic()
                if left <= 0:
                    raise InfraError("sandbox worker stopped responding")
                for key, _ in sel.select(left):
                    fd = key.fd
                    if fd in out:
                        try:
                            n = os.write(fd, out[fd])
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            # The reader died before taking its payload; the zygote's status will say so.
                            n = len(out[fd])
                        out[fd] = out[fd][n:]
                        if not out[fd]:
                            sel.unregister(fd)
                            del out[fd]
                    elif fd == self.records:
                        chunk = os.read(fd, 1 << 20)
                        if not chunk:
                            raise InfraError(f"sandbox worker exited: {self.stderr_tail(500) or 'no output'}")
                        records += chunk
                    else:
                        chunk = os.read(fd, 65536)
                        if not chunk:
                            raise InfraError(f"sandbox worker exited: {self.stderr_tail(500) or 'no output'}")
                        self._status_buf += chunk
                        frame = self._take_frame(self._status_buf)
                        if frame is not None:
                            status = json.loads(frame)
            if out:
                # A payload was never fully taken: its reader died early. The pipe now holds a partial
                # frame that would poison the next execution, so this worker cannot be reused.
                raise InfraError("a sandbox process died before reading its input")
            while True:  # the judge is done: everything it wrote is in the pipe now
                try:
                    chunk = os.read(self.records, 1 << 20)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                records += chunk
        finally:
            for fd in out:
                sel.unregister(fd)
        if deferred is not None:
            raise deferred
        if status.get("id") != header["id"]:
            raise InfraError("sandbox worker answered for another execution")
        events = self._drain_events()
        if status.get("lost"):
            self._templates.pop(judge_key, None)
        parsed: list[Record] = []
        while True:
            frame = self._take_frame(records)
            if frame is None:
                break
            try:
                recs = json.loads(frame)  # a list of records (judge.py's _Recorder)
            except ValueError:
                break
            if type(recs) is list:
                parsed.extend(r for r in recs if type(r) is dict)
        return Execution(parsed, status, truncated=bool(records), events=events)

    def _drain_events(self) -> bytes:
        """Everything the finished candidate wrote to the events pipe (it is dead: nothing more comes).

        Read even when the execution did not ask for an audit, so a stray write can never reach the next
        execution's flags. Capped: what lies beyond the cap is dropped, not buffered.
        """
        chunks, size = [], 0
        while True:
            try:
                chunk = os.read(self.events, 1 << 16)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            if size < EVENTS_CAP:
                chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)[:EVENTS_CAP]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Kill the sandbox and release its pipes, log and directory. Once only: by a second call the fd
        numbers may belong to someone else."""
        if self._closed:
            return
        self._closed = True
        self._sel.close()
        for fd in (self.ctrl, self.cand, self.judge, self.status, self.records, self.events):
            try:
                os.close(fd)
            except OSError:
                pass
        _kill_and_reap(self.proc)
        self.errlog.close()
        if self._tmp_root:
            shutil.rmtree(self._tmp_root, ignore_errors=True)
