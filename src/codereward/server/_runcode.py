"""SandboxFusion-compatible POST /run_code: run a Python program with stdin, return its stdout and stderr.

This is a plain code runner, not a judge: it exists so that SandboxFusion clients (the `sandbox-fusion`
package, verl's sandbox_fusion reward, which compares the stdout itself) can point at codereward unchanged.
The program runs in the same sandbox with the same limits as any candidate: a fresh process forked from a
warm zygote, seccomp, rlimits, no network, a private /tmp.

How: the program text, its stdin and files travel inside a fixed runner program as literals; the runner
`exec`s it with sys.stdin/stdout/stderr redirected to memory, catches SystemExit for the return code, and
returns [stdout, stderr, return code, seconds, fetched files] as plain data through a one-case `call` task
run in collect mode (`Engine.outputs`: the judge records the returned value instead of comparing it), on
whichever backend the server runs. The task is the same for every request (one per memory limit), so
nothing per request accumulates in the engine.
Differences from a real `python main.py`: output written to file descriptor 1 directly (os.write) is not
captured, and a program that ends its own process (os._exit, a fatal signal) loses its output.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from fastapi import APIRouter

from ..engine import Engine
from ..results import Outcome, Status
from ..tasks.model import CallCase, CallSuite, Limits, Task
from ._routes import Service
from ._schemas import CommandRunResult, RunCodeRequest, RunCodeResponse

log = logging.getLogger("codereward.server")
router = APIRouter()

ENTRY = "__codereward_run_code__"
OUTPUT_CAP = 1 << 20  # bytes of stdout (and of stderr) returned; SandboxFusion truncates too
MEMORY_MB = (64, 16384)  # clamp of memory_limit_MB; -1 (SandboxFusion: unlimited) gets our default limit

_RUNNER = '''
def __codereward_run_code__():
    import base64, builtins, io, os, sys, tempfile, time, traceback
    code, stdin, files, fetch, cap = _ARGS
    work = tempfile.mkdtemp(prefix="run-")
    os.chdir(work)
    for path, content in files.items():
        full = os.path.join(work, path)
        os.makedirs(os.path.dirname(full) or work, exist_ok=True)
        with open(full, "wb") as f:
            f.write(base64.b64decode(content or ""))
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr, sys.argv
    # Held in locals: a wrapper that is garbage-collected closes the buffer under it.
    win = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogateescape")), encoding="utf-8")
    wout = io.TextIOWrapper(out, encoding="utf-8", errors="replace", write_through=True)
    werr = io.TextIOWrapper(err, encoding="utf-8", errors="replace", write_through=True)
    sys.stdin, sys.stdout, sys.stderr = win, wout, werr
    sys.argv = [os.path.join(work, "main.py")]
    rc = 0
    t0 = time.perf_counter()
    try:
        compiled = compile(code, sys.argv[0], "exec", dont_inherit=True, optimize=0)
        exec(compiled, {"__name__": "__main__", "__builtins__": builtins, "__file__": sys.argv[0]})
    except SystemExit as e:
        if e.code is None:
            rc = 0
        elif type(e.code) is int:
            rc = e.code & 0xFF
        else:
            print(e.code, file=sys.stderr)
            rc = 1
    except BaseException:
        traceback.print_exc()
        rc = 1
    finally:
        for stream in (wout, werr):
            try:
                stream.flush()
            except BaseException:
                pass
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved
    seconds = time.perf_counter() - t0
    stdout, stderr = out.getvalue(), err.getvalue()
    fetched = {}
    for path in fetch:
        try:
            with open(os.path.join(work, path), "rb") as f:
                fetched[path] = base64.b64encode(f.read(cap)).decode()
        except OSError:
            pass
    return [stdout[:cap].decode("utf-8", "replace"), stderr[-cap:].decode("utf-8", "replace"), rc, seconds,
            fetched]
'''


class _Tasks:
    """The one-case call task for each memory limit, built once (the engine prepares it once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_memory: dict[int, Task] = {}

    def get(self, memory_mb: int) -> Task:
        with self._lock:
            hit = self._by_memory.get(memory_mb)
            if hit is None:
                hit = self._by_memory[memory_mb] = Task(
                    id="run_code", entry_point=ENTRY, limits=Limits(memory_mb=memory_mb),
                    tests=CallSuite(cases=[CallCase(args=[], expected=None)]))
            return hit


_TASKS = _Tasks()


def _program(req: RunCodeRequest) -> str:
    args = [req.code, req.stdin or "", {k: v or "" for k, v in req.files.items()}, list(req.fetch_files), OUTPUT_CAP]
    # repr of str/dict/list/int is a Python literal that reads back equal (json.dumps would split astral
    # characters into surrogate escapes, which Python reads as two code points).
    return f"_ARGS = {args!r}\n{_RUNNER}"


def _sandbox_error(message: str) -> dict[str, Any]:
    return RunCodeResponse(status="SandboxError", message=message).model_dump()


def run_code_blocking(engine: Engine, req: RunCodeRequest) -> dict[str, Any]:
    """Run one program (on a server pool thread) and shape SandboxFusion's RunCodeResponse."""
    default_mb = Limits().memory_mb
    memory = default_mb if req.memory_limit_MB <= 0 else min(max(req.memory_limit_MB, MEMORY_MB[0]), MEMORY_MB[1])
    t0 = time.perf_counter()
    out = engine.outputs(_TASKS.get(memory), _program(req), time_limit=float(req.run_timeout))
    result = out.result
    wall = time.perf_counter() - t0
    if result.status is Status.ERROR or not result.tests:
        return _sandbox_error(result.reason or "no result from the sandbox")
    test = result.tests[0]
    if test.outcome is Outcome.TIME_LIMIT:
        run_result = CommandRunResult(status="TimeLimitExceeded", execution_time=wall, stdout="", stderr="")
        return RunCodeResponse(status="Failed", run_result=run_result).model_dump()
    if test.outcome is not Outcome.PASSED:
        # The runner itself did not return: the program ended or blew up its process (os._exit, a signal,
        # the memory or output limit). Its output went with it.
        stderr = f"{test.outcome.value}: {test.detail}"
        run_result = CommandRunResult(status="Finished", execution_time=wall, return_code=1, stdout="", stderr=stderr)
        return RunCodeResponse(status="Failed", run_result=run_result).model_dump()
    value: Any = out.values[0] if out.values else None
    if not (isinstance(value, list) and len(value) == 5):
        return _sandbox_error("malformed result from the runner")
    stdout, stderr, rc, seconds, fetched = value
    run_result = CommandRunResult(status="Finished", execution_time=float(seconds), return_code=int(rc),
                                  stdout=str(stdout), stderr=str(stderr))
    files = {str(k): str(v) for k, v in fetched.items()} if isinstance(fetched, dict) else {}
    return RunCodeResponse(status="Success" if rc == 0 else "Failed", run_result=run_result,
                           files=files).model_dump()


@router.post("/run_code", response_model=RunCodeResponse, tags=["sandboxfusion"])
async def run_code(body: RunCodeRequest, service: Service) -> dict[str, Any]:
    """SandboxFusion's /run_code for `language: python`; other languages get a SandboxError answer."""
    if body.language not in ("python", "python3"):
        return _sandbox_error(f"language {body.language!r} is not supported: codereward runs python only")
    engine = service.engine
    assert engine is not None
    (response,) = await service.run_jobs([lambda: run_code_blocking(engine, body)])
    return response
