"""The compatible routes' clients as they are (issue 19): they send no Authorization header, and they do not
retry a 429 (Open-Instruct, verl's sandbox client) or retry it blindly (OpenRLHF). So with a token set, the
compatible routes answer clients on loopback or a private network without one (`--compat-without-token`),
and a full queue makes their requests wait for room (`--compat-wait`) instead of refusing them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.requests import Request
from test_server import ADD_TASK, GOOD, SLOW, TOKEN, evaluate, running

from codereward.server._app import _compat_allowed

PROGRAM = {"program": GOOD, "tests": ["assert add(1, 2) == 3"], "max_execution_time": 1.0}


def test_compatible_routes_answer_local_clients_without_the_token_and_nothing_else_does() -> None:
    with running(workers=1, token=TOKEN) as (base, _):
        assert httpx.post(f"{base}/test_program", json=PROGRAM, timeout=60).json()["results"] == [1]
        r = httpx.post(f"{base}/run_code", json={"code": "print(1)", "language": "python"}, timeout=60)
        assert r.status_code == 200 and r.json()["run_result"]["stdout"] == "1\n"
        # a wrong token is never let through, even here; the native routes always need the right one
        assert httpx.post(f"{base}/test_program", json=PROGRAM, headers={"Authorization": "Bearer wrong"},
                          timeout=60).status_code == 401
        assert evaluate(base, [{"task": ADD_TASK, "solution": GOOD}]).status_code == 401
        assert httpx.get(f"{base}/metrics").status_code == 401
    with running(workers=1, token=TOKEN, compat_without_token="none") as (base, _):
        assert httpx.post(f"{base}/test_program", json=PROGRAM, timeout=60).status_code == 401


def test_the_sandbox_fusion_sdk_works_against_a_server_with_a_token() -> None:
    from sandbox_fusion import RunCodeRequest, RunStatus, run_code

    with running(workers=1, token=TOKEN) as (base, _):
        resp = run_code(RunCodeRequest(code="print(input()[::-1])", stdin="abc\n", language="python"),
                        endpoint=base, max_attempts=1)
        assert resp.status == RunStatus.Success and resp.run_result.stdout == "cba\n"


def _request(host: str) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/test_program", "headers": [],
                    "client": (host, 5000)})


@pytest.mark.parametrize("host, private", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.7", True), ("172.16.5.5", True), ("::1", True),
    ("fd00::1", True), ("8.8.8.8", False), ("2001:4860::8888", False), ("not-an-address", False),
])
def test_which_clients_count_as_private(host: str, private: bool) -> None:
    assert _compat_allowed("private", _request(host)) is private
    assert _compat_allowed("any", _request(host)) is True
    assert _compat_allowed("none", _request(host)) is False


def test_a_full_queue_makes_compatible_requests_wait_not_fail() -> None:
    with running(workers=1, max_queue=2, compat_wait=30) as (base, service):
        slow = [{"task": ADD_TASK, "solution": SLOW.format(s=1.5) + f"# {i}\n"} for i in range(2)]
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(evaluate, base, slow)
            deadline = time.monotonic() + 10
            while service.queue_depth < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert evaluate(base, [{"task": ADD_TASK, "solution": GOOD}]).status_code == 429  # native: at once
            t0 = time.monotonic()
            r = httpx.post(f"{base}/test_program", json=PROGRAM, timeout=60)
            assert r.status_code == 200 and r.json()["results"] == [1]  # waited for room
            assert time.monotonic() - t0 > 0.5 and first.result().status_code == 200
    with running(workers=1, max_queue=2, compat_wait=0.3) as (base, service):
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(evaluate, base, [{"task": ADD_TASK, "solution": SLOW.format(s=2) + f"# {i}\n"}
                                                 for i in range(2)])
            deadline = time.monotonic() + 10
            while service.queue_depth < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            r = httpx.post(f"{base}/test_program", json=PROGRAM, timeout=60)
            assert r.status_code == 429  # bounded: past --compat-wait it is refused after all
            assert first.result().status_code == 200
