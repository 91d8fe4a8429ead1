"""/run_code behaves as `python main.py` does under SandboxFusion (issue 19): a real stdin on fd 0 (the
competitive-programming idioms open(0) and os.read(0, ...)), real fds 1 and 2, and a program's output and
return code kept however it ends — at the time limit, by a signal, by os._exit or out of memory."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from codereward import Engine
from codereward.server._runcode import MARKER, run_code_blocking
from codereward.server._schemas import RunCodeRequest


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(workers=2) as e:
        yield e


def run(engine: Engine, code: str, stdin: str = "", **kw: Any) -> dict[str, Any]:
    return run_code_blocking(engine, RunCodeRequest(language="python", code=code, stdin=stdin, **kw))


@pytest.mark.parametrize("code, stdin, stdout", [
    ("print(sum(map(int, open(0).read().split())))", "1 2 3\n4\n", "10\n"),  # Codeforces' open(0)
    ("import os\nprint(os.read(0, os.fstat(0).st_size).decode().upper())", "abc", "ABC\n"),  # AtCoder's
    ("import sys\nprint(sys.stdin.buffer.read().decode()[::-1])", "xyz", "zyx\n"),
    ("a = input()\nb = input()\nprint(int(a) * int(b))", "6\n7\n", "42\n"),
    ("import os, sys\nos.write(1, b'raw\\n')\nprint('dunder', file=sys.__stdout__)", "", "raw\ndunder\n"),
])
def test_the_program_reads_a_real_stdin_and_writes_real_stdout(engine: Engine, code: str, stdin: str,
                                                                stdout: str) -> None:
    r = run(engine, code, stdin)
    assert (r["status"], r["run_result"]["status"], r["run_result"]["return_code"]) == ("Success", "Finished", 0)
    assert r["run_result"]["stdout"] == stdout


@pytest.mark.parametrize("code, rc, stdout, stderr", [
    ("import sys\nprint('before')\nsys.exit(3)", 3, "before\n", ""),
    ("import os\nprint('partial', flush=True)\nos._exit(5)", 5, "partial\n", ""),
    ("import os, signal\nprint('x', flush=True)\nos.kill(os.getpid(), signal.SIGTERM)", 128 + 15, "x\n", ""),
    ("print('up to here')\nraise ValueError('boom')", 1, "up to here\n", "ValueError: boom"),
])
def test_a_failing_program_keeps_its_output_and_return_code(engine: Engine, code: str, rc: int, stdout: str,
                                                             stderr: str) -> None:
    r = run(engine, code)
    assert (r["status"], r["run_result"]["status"], r["run_result"]["return_code"]) == ("Failed", "Finished", rc)
    assert r["run_result"]["stdout"] == stdout and stderr in r["run_result"]["stderr"]


def test_at_the_time_limit_the_output_so_far_comes_back(engine: Engine) -> None:
    r = run(engine, "print('started', flush=True)\nwhile True:\n    pass\n", run_timeout=1)
    assert (r["status"], r["run_result"]["status"]) == ("Failed", "TimeLimitExceeded")
    assert r["run_result"]["stdout"] == "started\n"
    assert 1.0 <= r["run_result"]["execution_time"] < 5


def test_out_of_memory_is_a_failed_run_not_a_sandbox_error(engine: Engine) -> None:
    r = run(engine, "print('alloc', flush=True)\nx = bytearray(3 * 1024 ** 3)\n", memory_limit_MB=256)
    assert (r["status"], r["run_result"]["status"]) == ("Failed", "Finished")
    assert r["run_result"]["stdout"] == "alloc\n" and "MemoryError" in r["run_result"]["stderr"]


def test_files_in_and_out(engine: Engine) -> None:
    r = run(engine, "print(open('data/in.txt').read())\nopen('out.txt', 'w').write('result')\nraise SystemExit(2)",
            files={"data/in.txt": base64.b64encode(b"hello").decode()}, fetch_files=["out.txt", "missing.txt"])
    assert r["run_result"]["return_code"] == 2 and r["run_result"]["stdout"] == "hello\n"
    assert r["files"] == {"out.txt": base64.b64encode(b"result").decode()}  # fetched even after SystemExit
    assert MARKER not in r["run_result"]["stdout"]


def test_the_runner_adds_nothing_a_program_can_see_in_its_directory(engine: Engine) -> None:
    r = run(engine, "import os\nprint(sorted(os.listdir('.')))", "data")
    assert "_stdin" not in r["run_result"]["stdout"]  # the stdin file is unlinked once it is on fd 0
