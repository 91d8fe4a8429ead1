"""SandboxFusion-compatible POST /run_code: run a program with stdin, return its stdout and stderr.

Languages: python, and SandboxFusion's cpp, java, nodejs (also c, cpp20, js, javascript): a compiled program
is built once in the compile sandbox (languages/artifacts.py) and run as any native stdio case; a compile
error answers status Failed with its `compile_result` (return code 1, the compiler's message on stderr).
`files` and `fetch_files` are Python's only.

This is a plain code runner, not a judge: it exists so that SandboxFusion clients (the `sandbox-fusion`
package, verl's sandbox_fusion reward, which compares the stdout itself) can point at codereward unchanged.
The program runs in the same sandbox with the same limits as any candidate: a fresh process forked from a
warm zygote, seccomp, rlimits, no network, a private /tmp.

How: as a stdio case (the path every stdin/stdout task takes), in collect mode with its whole run reported
(sandboxed/suites.py): the program is its own process, with real file descriptors 0, 1 and 2 — `input()`,
`open(0).read()`, `os.read(0, n)`, `sys.__stdout__` and `os.write(1, ...)` all behave as under `python
main.py` — and however it ends (time limit, a signal, the memory limit, os._exit) its output so far and its
exit status or signal come back. A few lines before the program put the request's stdin on fd 0 and its
files in the working directory; with `fetch_files`, a few after it append the files to stdout behind a marker
line, which is cut off here. The task is the same for every request (one per memory limit), so nothing per
request accumulates in the engine. stderr comes back as its last 64 KB.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from fastapi import APIRouter

from ..engine import Engine
from ..results import Outcome, Status
from ..sandboxed.suites import RUN_MARGIN
from ..tasks.model import Limits, StdioCase, StdioSuite, Task
from ._routes import Service
from ._schemas import CommandRunResult, RunCodeRequest, RunCodeResponse

log = logging.getLogger("codereward.server")
router = APIRouter()

OUTPUT_CAP = 1 << 20  # bytes of stdout (and of stderr) returned; SandboxFusion truncates too
MEMORY_MB = (64, 16384)  # clamp of memory_limit_MB; -1 (SandboxFusion: unlimited) gets our default limit
SIGNAL_RC = 128  # a program killed by signal N reports return code 128 + N, as a shell does

# The request's stdin on fd 0 (a file in the private working directory, unlinked once open), its files
# written, then the program as __main__ in a namespace of its own.
_PROLOGUE = """\
import builtins as _b, os as _os, sys as _sys
_ARGS = {args!r}
_fd = _os.open("._stdin", _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC, 0o600)
_os.write(_fd, _ARGS[0].encode("utf-8", "surrogateescape"))
_os.lseek(_fd, 0, 0)
_os.dup2(_fd, 0)
_os.close(_fd)
_os.unlink("._stdin")
_sys.stdin = open(0, encoding="utf-8", errors="replace", closefd=False)
_sys.__stdin__, _sys.__stdout__, _sys.__stderr__ = _sys.stdin, _sys.stdout, _sys.stderr  # flushed at the end
for _path, _content in _ARGS[1].items():
    _os.makedirs(_os.path.dirname(_os.path.abspath(_path)), exist_ok=True)
    with open(_path, "wb") as _f:
        _f.write(__import__("base64").b64decode(_content or ""))
_sys.argv = [_os.path.abspath("main.py")]
_main = {{"__name__": "__main__", "__builtins__": _b, "__file__": _sys.argv[0]}}
"""
_RUN = "exec(compile(_ARGS[2], _sys.argv[0], 'exec', dont_inherit=True, optimize=0), _main)\n"
# With fetch_files: after the program, however it exits (SystemExit included), its files behind the marker.
_FETCH = """\
try:
    {run}finally:
    _sys.stdout.flush()
    _out = {{}}
    for _path in _ARGS[3]:
        try:
            with open(_path, "rb") as _f:
                _out[_path] = __import__("base64").b64encode(_f.read(_ARGS[4])).decode()
        except OSError:
            pass
    _os.write(1, ("\\n" + {marker!r} + __import__("json").dumps(_out)).encode())
"""
MARKER = "\x00codereward-fetched-files\x00"


class _Tasks:
    """The one-case stdio task for each language and memory limit, built once (the engine prepares it once).
    A native program's stdin is the case's own (its runner writes it to fd 0): one task per distinct stdin
    would grow without bound, so the input travels in the task only for them, and the task is not kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_memory: dict[tuple[str, int], Task] = {}

    def get(self, memory_mb: int, language: str = "python", stdin: str = "") -> Task:
        if language != "python":
            return Task(id="run_code", language=language,  # type: ignore[arg-type] # checked by the caller
                        limits=Limits(memory_mb=memory_mb, output_kb=OUTPUT_CAP // 1024 + 64),
                        tests=StdioSuite(cases=[StdioCase(stdin=stdin)]))
        with self._lock:
            hit = self._by_memory.get((language, memory_mb))
            if hit is None:
                hit = self._by_memory[(language, memory_mb)] = Task(
                    id="run_code", limits=Limits(memory_mb=memory_mb, output_kb=OUTPUT_CAP // 1024 + 64),
                    tests=StdioSuite(cases=[StdioCase(stdin="")]))
            return hit


_TASKS = _Tasks()


def _program(req: RunCodeRequest) -> str:
    args = [req.stdin or "", {k: v or "" for k, v in req.files.items()}, req.code, list(req.fetch_files), OUTPUT_CAP]
    # repr of str/dict/list/int is a Python literal that reads back equal (json.dumps would split astral
    # characters into surrogate escapes, which Python reads as two code points).
    prologue = _PROLOGUE.format(args=args)
    if not req.fetch_files:
        return prologue + _RUN
    return prologue + _FETCH.format(run=_RUN, marker=MARKER)


def _sandbox_error(message: str) -> dict[str, Any]:
    return RunCodeResponse(status="SandboxError", message=message).model_dump()


# SandboxFusion's language keys (and ours) -> codereward's languages.
LANGUAGES = {"python": "python", "python3": "python", "cpp": "cpp17", "cpp17": "cpp17", "cpp20": "cpp20",
             "c": "c", "java": "java", "go": "go", "rust": "rust",
             "pypy": "pypy", "nodejs": "javascript", "js": "javascript",
             "javascript": "javascript"}


def run_code_blocking(engine: Engine, req: RunCodeRequest) -> dict[str, Any]:
    """Run one program (on a server pool thread) and shape SandboxFusion's RunCodeResponse."""
    default_mb = Limits().memory_mb
    memory = default_mb if req.memory_limit_MB <= 0 else min(max(req.memory_limit_MB, MEMORY_MB[0]), MEMORY_MB[1])
    language = LANGUAGES[req.language]
    t0 = time.perf_counter()
    # The run's own timer is RUN_MARGIN inside the execution's: the program gets its whole run_timeout.
    task = _TASKS.get(memory, language, req.stdin or "")
    out = engine.execute(task, _program(req) if language == "python" else req.code, mode="collect", values=True,
                         time_limit=float(req.run_timeout) + RUN_MARGIN)
    result = out.result
    wall = time.perf_counter() - t0
    value: Any = out.values[0] if out.values else None
    if result.status is Status.ERROR:
        return _sandbox_error(result.reason or "no result from the sandbox")
    if result.tests and result.tests[0].outcome is Outcome.COMPILE_ERROR:
        compiled = CommandRunResult(status="Finished", return_code=1, stderr=result.tests[0].detail or "")
        return RunCodeResponse(status="Failed", compile_result=compiled).model_dump()
    if not (isinstance(value, list) and len(value) == 6):
        # No report: the runner never got to run the program (the sandbox's own process failed)
        detail = result.tests[0].detail if result.tests else ""
        return _sandbox_error(f"no result from the sandbox{': ' + detail if detail else ''}")
    stdout, stderr, exit_status, sig, timed_out, seconds = value
    stdout, files = _split_fetched(str(stdout)) if req.fetch_files else (str(stdout), {})
    rc = exit_status if isinstance(exit_status, int) else SIGNAL_RC + (sig if isinstance(sig, int) else 0)
    if timed_out:
        run_result = CommandRunResult(status="TimeLimitExceeded", execution_time=wall, stdout=stdout[:OUTPUT_CAP],
                                      stderr=str(stderr), return_code=None)
        return RunCodeResponse(status="Failed", run_result=run_result, files=files).model_dump()
    run_result = CommandRunResult(status="Finished", execution_time=float(seconds), return_code=int(rc),
                                  stdout=stdout[:OUTPUT_CAP], stderr=str(stderr))
    return RunCodeResponse(status="Success" if rc == 0 else "Failed", run_result=run_result,
                           files=files).model_dump()


def _split_fetched(stdout: str) -> tuple[str, dict[str, str]]:
    """The program's stdout and the files the epilogue appended behind the marker (none if it never ran)."""
    at = stdout.rfind("\n" + MARKER)
    if at < 0:
        return stdout, {}
    try:
        files = json.loads(stdout[at + 1 + len(MARKER):])
    except ValueError:
        return stdout, {}
    ok = isinstance(files, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
    return stdout[:at], (files if ok else {})


@router.post("/run_code", response_model=RunCodeResponse, tags=["sandboxfusion"])
async def run_code(body: RunCodeRequest, service: Service) -> dict[str, Any]:
    """SandboxFusion's /run_code (LANGUAGES); other languages get a SandboxError answer."""
    if body.language not in LANGUAGES:
        return _sandbox_error(f"language {body.language!r} is not supported: codereward runs "
                              f"{', '.join(LANGUAGES)}")
    if LANGUAGES[body.language] != "python" and (body.files or body.fetch_files):
        return _sandbox_error("files and fetch_files are supported for python programs only")
    engine = service.engine
    assert engine is not None
    (response,) = await service.run_jobs([lambda: run_code_blocking(engine, body)],
                                         wait=service.settings.compat_wait)
    return response
