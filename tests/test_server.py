"""The HTTP server: a real uvicorn on 127.0.0.1 with real sandboxes.

In-process servers (uvicorn in a thread, so the test can reach the engine's sandboxes) for the API, load and
fault tests; `codereward serve` subprocesses for SIGTERM draining and restarts with a persistent cache.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from codereward import Task
from codereward.integrations import _shared
from codereward.integrations.openrlhf import reward_func
from codereward.server import ServerSettings, build_server
from codereward.server._app import BodyLimit  # the body guard's bounds, shortened for the test

ADD_TASK = {"id": "demo/add", "entry_point": "add",
            "tests": {"kind": "assert", "code": "def check(candidate):\n    assert candidate(1, 2) == 3\n"
                                                "    assert candidate(2, 2) == 4\n"}}
GOOD = "def add(a, b):\n    return a + b\n"
BAD = "def add(a, b):\n    return 3\n"
SLOW = "import time\ntime.sleep({s})\ndef add(a, b):\n    return a + b\n"
TOKEN = "s3cret"


@contextmanager
def running(**settings) -> Iterator[tuple[str, object]]:
    """An in-process uvicorn server on an ephemeral port; yields (base URL, its EvalService)."""
    server = build_server(ServerSettings(**settings), port=0, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server.service
    finally:
        server.should_exit = True
        thread.join(60)
        assert not thread.is_alive()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tasks = {"demo/add": Task.model_validate(ADD_TASK)}
    with running(workers=2, tasks=tasks, max_body_mb=1, max_queue=256,
                 cache_path=str(tmp_path_factory.mktemp("cache") / "c.sqlite")) as (base, service):
        yield base, service


def _children(pid: int) -> set[int]:
    kids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                kids.add(int(entry))
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def evaluate(base: str, samples: list[dict], **kw) -> httpx.Response:
    return httpx.post(f"{base}/v1/evaluate", json={"samples": samples}, timeout=120, **kw)


# -- native API ------------------------------------------------------------------------------------------


def test_evaluate_returns_per_test_verdicts_in_input_order(srv):
    base, _ = srv
    r = evaluate(base, [{"task": ADD_TASK, "solution": BAD}, {"task_id": "demo/add", "solution": GOOD},
                        {"task": ADD_TASK, "solution": "def add(a, b):\n    return a * b\n"}])
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["failed", "passed", "failed"]
    assert [x["reward"] for x in res] == [0.0, 1.0, 0.0]
    assert [t["outcome"] for t in res[2]["tests"]] == ["wrong_answer", "passed"]
    assert r.json()["summary"] == {"passed": 1, "failed": 2, "error": 0}


def test_evaluate_labels_responses_and_reward_override(srv):
    base, _ = srv
    label = {"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10\n"]}
    response = "<think>easy</think>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    r = httpx.post(f"{base}/v1/evaluate", timeout=60, json={"reward": "fraction", "samples": [
        {"ground_truth": json.dumps(label), "response": response},
        {"ground_truth": ["assert add(1, 2) == 3", "assert add(0, 0) == 1"], "solution": GOOD}]})
    assert r.status_code == 200, r.text
    assert [x["reward"] for x in r.json()["results"]] == [1.0, 0.5]


def test_evaluate_reward_specs_with_groups_and_responses(srv):
    base, _ = srv
    tests = ["assert add(1, 2) == 3", "assert add(0, 0) == 1"]  # the second is wrong: a correct add fails it
    samples = [{"ground_truth": tests, "solution": GOOD}, {"ground_truth": tests, "solution": GOOD},
               {"ground_truth": tests, "response": "Sorry, no code."},
               {"ground_truth": tests, "response": "```text\nnot python\n```"}]
    r = httpx.post(f"{base}/v1/evaluate", timeout=60, json={"reward": "verpo", "groups": [1, 1],
                                                             "samples": samples[:2]})
    assert r.status_code == 200, r.text
    # Both pass the first test (2 of 2: w = 1/4) and fail the second (0 of 2: w = 3/4).
    assert [x["reward"] for x in r.json()["results"]] == pytest.approx([0.5 * 0.25, 0.5 * 0.25])
    r = httpx.post(f"{base}/v1/evaluate", timeout=60, json={"reward": "checked:base=fraction", "samples": samples})
    assert r.status_code == 200, r.text
    # "Sorry, no code." is bare text, taken whole as code: it does not compile. A fence without Python: no code.
    assert [x["reward"] for x in r.json()["results"]] == [0.5, 0.5, -0.5, -1.0]
    r = httpx.post(f"{base}/v1/evaluate", timeout=60, json={"groups": [1], "samples": samples[:2]})
    assert r.status_code == 422 and "1 group keys for 2 samples" in r.json()["detail"]


def test_evaluate_judges_competitive_programming_tasks(srv):
    """The richer judge endpoint on the issue's kinds of task: a C++ IOI-style task with subtasks (reward
    `subtasks`), a task judged by a testlib checker name, a Rust answer in a chat response, all in one call."""
    base, _ = srv
    cases = [{"stdin": f"{n}\n", "stdout": f"{n * (n + 1) // 2}\n"} for n in (3, 1000, 3000000000)]
    ioi = {"id": "t/ioi", "language": "cpp", "limits": {"case_time": 1.0}, "tests": {
        "kind": "stdio", "cases": cases, "comparator": "ncmp",
        "subtasks": [{"name": "small", "points": 40, "tests": [0, 1]}, {"name": "big", "points": 60, "tests": [2]}]}}
    int_sum = ("#include <cstdio>\nint main(){int n;scanf(\"%d\",&n);int s=0;for(int i=1;i<=n;i++)s+=i;"
               "printf(\"%d\",s);}")
    rust = ("```rust\nfn main() { let mut s = String::new(); std::io::stdin().read_line(&mut s).unwrap();\n"
            "    let n: i64 = s.trim().parse().unwrap(); println!(\"{}\", n * (n + 1) / 2); }\n```")
    r = httpx.post(f"{base}/v1/evaluate", timeout=300, json={"reward": "subtasks", "samples": [
        {"task": ioi, "solution": int_sum}, {"task": {**ioi, "language": "rust"}, "response": rust}]})
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["reward"] for x in res] == [0.4, 1.0]
    assert res[0]["subtasks"] == [{"name": "small", "points": 40.0, "score": 1.0},
                                  {"name": "big", "points": 60.0, "score": 0.0}]


def test_efficiency_and_trace_endpoints(srv):
    base, _ = srv
    task = {**ADD_TASK, "id": "demo/add-ref", "reference": GOOD}
    slow = ("def add(a, b):\n    n = 0\n    for _ in range(a):\n        n += 1\n    for _ in range(b):\n"
            "        n += 1\n    return n\n")
    r = httpx.post(f"{base}/v1/efficiency", timeout=120, json={"repeats": 2, "samples": [
        {"task": task, "solution": GOOD}, {"task": task, "solution": slow}, {"task": task, "solution": BAD}]})
    assert r.status_code == 200, r.text
    same, costly, wrong = r.json()["results"]
    assert same["lines_ratio"] == 1.0 and same["reward"] == 1.0 and len(same["cpu"]) == 3  # min, median, max
    assert costly["lines_ratio"] > 1.5 and costly["reward"] == pytest.approx(1 + 0.5 * (1 - costly["lines_ratio"]))
    assert wrong["status"] == "failed" and wrong["lines_ratio"] is None and wrong["reward"] == 0.0
    r = httpx.post(f"{base}/v1/efficiency", timeout=60,
                   json={"samples": [{"task_id": "demo/add", "solution": GOOD}]})
    assert 400 <= r.status_code < 500 and "reference" in r.json()["detail"]
    r = httpx.post(f"{base}/v1/trace", timeout=60,
                   json={"program": slow, "entry": "add", "args": [1, 1], "watch": [7]})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["output"] == 2 and not t["untrusted"]
    assert [s["locals"] for s in t["steps"] if s["line"] == 7 and not s["return"]] == [
        {"a": {"value": 1, "type": "int"}, "b": {"value": 1, "type": "int"}, "n": {"value": 2, "type": "int"},
         "_": {"value": 0, "type": "int"}}]


@pytest.mark.parametrize("body, code, field", [
    (b'{"samples": [', 400, None),
    (b'[1, 2]', 422, None),
    (b'{"samples": []}', 422, "samples"),
    (b'{"samples": [{"task_id": "demo/add"}]}', 422, "samples.0"),
    (b'{"samples": [{"task_id": "demo/add", "solution": "x", "colour": 1}]}', 422, "samples.0.colour"),
    (b'{"samples": [{"task_id": "nope", "solution": "x"}]}', 422, "samples.0.task_id"),
    (b'{"samples": [{"task": {"id": "t", "tests": {"kind": "nope"}}, "solution": "x"}]}', 422, "samples.0.task"),
    (b'{"samples": [{"ground_truth": {"weird": 1}, "solution": "x"}]}', 422, "samples.0.ground_truth"),
    (b'{"samples": [{"task_id": "demo/add", "solution": "x"}], "reward": "gold"}', 422, "reward"),
])
def test_malformed_requests_get_a_clear_4xx(srv, body, code, field):
    base, _ = srv
    r = httpx.post(f"{base}/v1/evaluate", content=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == code, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail
    if field is not None:
        assert field in detail, detail


def test_oversized_request_gets_413(srv):
    base, _ = srv
    r = evaluate(base, [{"task_id": "demo/add", "solution": "#" * (2 << 20)}])
    assert r.status_code == 413 and "MiB" in r.json()["detail"]


def _pieces(body: bytes, size: int = 1 << 16) -> Iterator[bytes]:
    return (body[i:i + size] for i in range(0, len(body), size))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_large_body_gets_413_not_a_connection_reset(srv, chunked):
    # urllib sends Connection: close. A server that answers before reading the body then closes with bytes
    # unread, the kernel answers the client's next segment with a RST, and urllib reports "connection reset"
    # or "broken pipe", never the 413.
    base, _ = srv
    body = b"x" * (50 << 20)
    req = urllib.request.Request(f"{base}/run_code", data=_pieces(body) if chunked else body,
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, timeout=60)
    assert caught.value.code == 413
    assert "larger than 1 MiB" in json.loads(caught.value.read())["detail"]
    # A keep-alive client gets the 413 too, and its connection stays usable for the next request.
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post("/run_code", content=_pieces(body) if chunked else body)
        assert r.status_code == 413 and "MiB" in r.json()["detail"]
        assert http.get("/health").status_code == 200


def _raw_post(base: str, headers: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)), timeout=30)
    s.sendall(f"POST /run_code HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{headers}\r\n"
              .encode())
    return s


def _response_until_closed(s: socket.socket) -> bytes:
    got = b""
    while True:
        try:
            chunk = s.recv(1 << 16)
        except ConnectionResetError:  # the server closed with our bytes unread: what it sent is already here
            return got
        if not chunk:
            return got
        got += chunk


@pytest.mark.parametrize("sender", ["endless", "stalled", "trickle", "huge", "expect-100"])
def test_a_body_over_the_limit_is_drained_within_bounds_then_closed(srv, monkeypatch, sender):
    """Past the limit the server reads and discards, but not forever: a sender that never stops, stalls or
    trickles, or declares more than the server will ever read, gets the 413 and a closed connection."""
    monkeypatch.setattr(BodyLimit, "drain_bytes", 8 << 20)
    monkeypatch.setattr(BodyLimit, "drain_seconds", 2.0)
    monkeypatch.setattr(BodyLimit, "drain_idle", 0.5)
    base, _ = srv
    head = {"endless": "Transfer-Encoding: chunked\r\n", "stalled": f"Content-Length: {3 << 20}\r\n",
            "trickle": "Transfer-Encoding: chunked\r\n", "huge": f"Content-Length: {1 << 40}\r\n",
            "expect-100": f"Content-Length: {3 << 20}\r\nExpect: 100-continue\r\n"}[sender]
    s = _raw_post(base, head)
    stop = threading.Event()

    def send() -> None:
        piece = b"x" * (1 << 16)
        frame = b"%x\r\n%s\r\n" % (len(piece), piece) if "chunked" in head else piece
        sent = 0
        try:
            while not stop.is_set():
                if sender == "expect-100" or (sender == "stalled" and sent >= 2 << 20):
                    time.sleep(0.05)  # waits for a 100 Continue / stops sending, the connection held open
                    continue
                if sender == "trickle" and sent > 2 << 20:
                    frame, piece = b"1\r\nx\r\n", b"x"
                    time.sleep(0.05)
                s.sendall(frame)
                sent += len(piece)
        except OSError:
            pass

    sender_thread = threading.Thread(target=send, daemon=True)
    t0 = time.monotonic()
    sender_thread.start()
    try:
        got = _response_until_closed(s)
    finally:
        stop.set()
        sender_thread.join(10)
        s.close()
    assert time.monotonic() - t0 < 10, "the server kept the connection"
    assert got.startswith(b"HTTP/1.1 413"), got[:200]
    assert b"connection: close" in got.lower() and b"larger than 1 MiB" in got
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200


def test_health_and_metrics(srv):
    base, _ = srv
    assert httpx.get(f"{base}/health").json()["status"] == "ok"
    text = httpx.get(f"{base}/metrics").text
    for name in ("codereward_queue_depth", "codereward_executions_total", "codereward_executions_per_second",
                 'codereward_results_total{status="error"}', "codereward_infra_errors_total",
                 "codereward_cache_hits_total", "codereward_cache_misses_total",
                 'codereward_test_outcomes_total{outcome="passed"}'):
        assert name in text


# -- compatible endpoints -----------------------------------------------------------------------------


def test_openrlhf_get_reward(srv):
    base, _ = srv
    prompt = "<|user|>add two numbers<|assistant|>"
    label = json.dumps(["assert add(1, 2) == 3", "assert add(2, 2) == 4"])
    body = {"query": [prompt + "```python\n" + GOOD + "```", prompt + "```python\n" + BAD + "```"],
            "prompts": [prompt, prompt], "labels": [label, label]}
    r = httpx.post(f"{base}/get_reward", json=body, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["rewards"] == [1.0, 0.0] and out["scores"] == [1.0, 0.0]
    assert out["extra_logs"]["pass_rate"] == [1.0, 0.5]
    r = httpx.post(f"{base}/get_reward", json={"query": ["x"], "labels": None}, timeout=60)
    assert r.status_code == 422 and "labels" in r.json()["detail"]



# OpenRLHF decodes prompt + response with special tokens kept: a BOS before the prompt, EOS after the answer.
QWEN_PROMPT = "<|im_start|>user\nWrite add(a, b).<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize("response", [
    GOOD + "<|im_end|>",  # bare code
    "Here:\n```python\n" + GOOD + "<|im_end|><|endoftext|>",  # a fence left open at the end
    "```python\n" + GOOD + "```<|im_end|>",
], ids=["bare", "open-fence", "fenced"])
def test_get_reward_cuts_an_openrlhf_query_as_the_reward_file_does(srv, monkeypatch, response):
    base, _ = srv
    query = "<|endoftext|>" + QWEN_PROMPT + response
    label = json.dumps(["assert add(1, 2) == 3", "assert add(2, 2) == 4"])
    r = httpx.post(f"{base}/get_reward", json={"query": [query], "prompts": [QWEN_PROMPT], "labels": [label]},
                   timeout=60)
    assert r.status_code == 200, r.text
    for var in ("CODEREWARD_REWARD", "CODEREWARD_ON_ERROR", "CODEREWARD_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CODEREWARD_WORKERS", "1")
    _shared.close_shared_engine()
    try:
        from_file = reward_func([query], [QWEN_PROMPT], [label])
    finally:
        _shared.close_shared_engine()
    assert r.json()["rewards"] == [float(x) for x in from_file["rewards"]] == [1.0]

def test_open_instruct_test_program_and_stdio(srv):
    base, _ = srv
    r = httpx.post(f"{base}/test_program", timeout=60, json={
        "program": GOOD, "tests": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0", "assert add(0, 0) == 1"],
        "max_execution_time": 1.0})
    assert r.status_code == 200, r.text
    assert r.json()["results"] == [1, 1, 0]
    assert r.json()["runtimes"][2] == -1.0 and r.json()["runtimes"][0] >= 0
    program = "import sys\nfor line in sys.stdin.read().splitlines():\n    print(int(line.strip()) + 1)"
    r = httpx.post(f"{base}/test_program_stdio", timeout=60, json={
        "program": program,
        "tests": json.dumps([{"input": "1\n", "output": "2\n"}, {"input": "100\n", "output": "7\n"}]),
        "max_execution_time": 1.0})
    assert r.status_code == 200, r.text
    assert r.json()["results"] == [1, 0]


def test_open_instruct_compressed_tests_never_unpickle_objects(srv):
    import base64
    import pickle
    import zlib

    base, _ = srv
    plain = base64.b64encode(zlib.compress(pickle.dumps(["assert add(1, 2) == 3"]))).decode()
    r = httpx.post(f"{base}/test_program", json={"program": GOOD, "tests": plain}, timeout=60)
    assert r.json()["results"] == [1]
    evil = base64.b64encode(zlib.compress(pickle.dumps(os.getcwd.__self__.getcwd))).decode()  # a function ref
    r = httpx.post(f"{base}/test_program", json={"program": GOOD, "tests": evil}, timeout=60)
    assert r.status_code == 422 and "refusing" in r.json()["detail"]


def test_sandbox_fusion_client_runs_python(srv):
    from sandbox_fusion import RunCodeRequest, RunStatus, run_code

    base, _ = srv
    code = "import sys\nname = input()\nprint('hello', name)\nprint('warn', file=sys.stderr)\n"
    resp = run_code(RunCodeRequest(code=code, stdin="codereward\n", language="python"), endpoint=base,
                    max_attempts=1)
    assert resp.status == RunStatus.Success
    assert resp.run_result.stdout == "hello codereward\n" and resp.run_result.stderr == "warn\n"
    assert resp.run_result.return_code == 0
    failed = run_code(RunCodeRequest(code="raise SystemExit(3)", language="python"), endpoint=base, max_attempts=1)
    assert failed.status == RunStatus.Failed and failed.run_result.return_code == 3
    slow = run_code(RunCodeRequest(code="while True: pass", language="python", run_timeout=0.5), endpoint=base,
                    max_attempts=1)
    assert slow.run_result.status.value == "TimeLimitExceeded"


def test_verl_sandbox_fusion_payload(srv):
    """verl's sandbox_fusion reward posts this exact payload to <url>/run_code and compares stdout itself."""
    base, _ = srv
    payload = {"compile_timeout": 10, "run_timeout": 10, "memory_limit_MB": 1024, "language": "python",
               "code": "print(sum(map(int, input().split())))", "stdin": "2 3\n", "files": {}, "fetch_files": []}
    r = httpx.post(f"{base}/run_code", content=json.dumps(payload), timeout=60,
                   headers={"Content-Type": "application/json", "Accept": "application/json"})
    assert r.status_code == 200
    assert r.json()["status"] == "Success" and r.json()["run_result"]["stdout"].rstrip("\n") == "5"
    cpp = "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<std::endl;}\n"
    native = httpx.post(f"{base}/run_code", json={**payload, "language": "cpp", "code": cpp}, timeout=120).json()
    assert native["status"] == "Success" and native["run_result"]["stdout"] == "5\n", native
    other = httpx.post(f"{base}/run_code", json={**payload, "language": "cobol"}, timeout=60).json()
    assert other["status"] == "SandboxError" and "cpp" in other["message"]


def test_sandbox_fusion_client_runs_compiled_languages(srv):
    """The sandbox-fusion client's cpp, java, nodejs and rust requests: compile errors in compile_result, as its
    server answers them."""
    from sandbox_fusion import RunCodeRequest, RunStatus, run_code

    base, _ = srv
    java = "public class Main { public static void main(String[] a) { System.out.println(\"hi \" + " \
           "new java.util.Scanner(System.in).next()); } }"
    rust = 'fn main() { let mut s = String::new(); std::io::stdin().read_line(&mut s).unwrap(); println!("hi {}", s); }'
    for language, code in [("java", java), ("nodejs", "console.log('hi ' + require('fs').readFileSync(0, 'utf8'))"),
                           ("rust", rust)]:
        resp = run_code(RunCodeRequest(code=code, stdin="there", language=language), endpoint=base, max_attempts=1)
        assert resp.status == RunStatus.Success and resp.run_result.stdout.strip() == "hi there", resp
    broken = run_code(RunCodeRequest(code="int main() { return x; }", language="cpp"), endpoint=base, max_attempts=1)
    assert broken.status == RunStatus.Failed and broken.run_result is None
    assert "not declared" in broken.compile_result.stderr


# -- auth, backpressure, load, faults -------------------------------------------------------------------


def test_bearer_token():
    with running(workers=1, token=TOKEN) as (base, _):
        sample = [{"task": ADD_TASK, "solution": GOOD}]
        assert evaluate(base, sample).status_code == 401
        assert evaluate(base, sample, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert evaluate(base, sample, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert httpx.get(f"{base}/metrics").status_code == 401
        assert httpx.get(f"{base}/health").status_code == 200  # for load balancers


def test_full_queue_answers_429_with_retry_after():
    with running(workers=1, max_queue=2) as (base, service):
        slow = [{"task": ADD_TASK, "solution": SLOW.format(s=1.5) + f"# {i}\n"} for i in range(2)]
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(evaluate, base, slow)
            deadline = time.monotonic() + 10
            while service.queue_depth < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            t0 = time.monotonic()
            r = evaluate(base, [{"task": ADD_TASK, "solution": GOOD}])
            assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
            assert time.monotonic() - t0 < 1.0  # refused at once, not queued
            assert first.result().status_code == 200
        too_big = evaluate(base, [{"task": ADD_TASK, "solution": GOOD}] * 3)
        assert too_big.status_code == 413 and "split" in too_big.json()["detail"]
        assert evaluate(base, [{"task": ADD_TASK, "solution": GOOD}]).status_code == 200  # room again


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_concurrent_clients_lose_and_duplicate_nothing_and_leak_nothing():
    clients, requests_each, batch = 6, 8, 4

    def client(c: int, rnd: int) -> int:
        checked = 0
        with httpx.Client(timeout=120) as http:
            for q in range(requests_each):
                ids = [f"hammer/{rnd}/{c}/{q}/{j}" for j in range(batch)]
                samples = [{"task": {**ADD_TASK, "id": tid}, "solution": GOOD if j % 2 == 0 else BAD}
                           for j, tid in enumerate(ids)]
                r = http.post(f"{base}/v1/evaluate", json={"samples": samples})
                assert r.status_code == 200, r.text
                res = r.json()["results"]
                assert [x["task_id"] for x in res] == ids  # none lost, none duplicated, input order
                assert [x["status"] for x in res] == ["passed" if j % 2 == 0 else "failed" for j in range(batch)]
                checked += len(res)
        return checked

    others = _children(os.getpid())  # e.g. the module server's sandboxes
    with running(workers=2, max_queue=clients * batch) as (base, service):
        assert evaluate(base, [{"task": ADD_TASK, "solution": GOOD}]).status_code == 200  # warm
        sandboxes = _children(os.getpid()) - others
        assert len(sandboxes) == 2
        counts = []
        for rnd in range(2):
            with ThreadPoolExecutor(clients) as pool:
                done = sum(pool.map(client, range(clients), [rnd] * clients))
            assert done == clients * requests_each * batch
            counts.append((_fds(), _children(os.getpid()) - others))
        assert service.queue_depth == 0
        # Steady state: the second round leaves exactly what the first did (fds, sandbox processes).
        assert counts[1][1] == counts[0][1] == sandboxes
        assert abs(counts[1][0] - counts[0][0]) <= 2, counts
        assert service.engine.stats["executions"] >= 2 * clients * requests_each * batch
    assert not any(_alive(p) for p in sandboxes), "sandboxes outlived the server"


def test_killed_sandbox_mid_batch_is_retried_or_error_never_zero():
    with running(workers=2) as (base, service):
        samples = [{"task": ADD_TASK, "solution": SLOW.format(s=0.8) + f"# {i}\n"} for i in range(4)]
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(evaluate, base, samples)
            time.sleep(0.4)  # both sandboxes busy with the first two samples
            victim = service.engine.executor.workers[0]  # the engine's own Worker object: its bubblewrap process
            os.kill(victim.proc.pid, signal.SIGKILL)
            r = pending.result()
        assert r.status_code == 200, r.text
        for res in r.json()["results"]:
            assert res["status"] in ("passed", "error"), res
            if res["status"] == "error":
                assert res["reward"] is None and res["reason"]
        assert service.engine.stats["workers_restarted"] >= 1
        # The pool healed: a new batch runs on a full set of sandboxes.
        again = evaluate(base, [{"task": ADD_TASK, "solution": GOOD + f"# after {i}\n"} for i in range(4)])
        assert [x["status"] for x in again.json()["results"]] == ["passed"] * 4


def test_infra_errors_are_never_scored_on_compatible_endpoints():
    # A test suite that cannot load is an infrastructure error: native -> status error, reward null;
    # OpenRLHF / Open-Instruct endpoints (numbers only) -> 503 + Retry-After, never a 0.
    broken = {"id": "demo/broken", "entry_point": "add",
              "tests": {"kind": "assert", "code": "def check(candidate):\n    assert (\n"}}
    with running(workers=1) as (base, _):
        native = evaluate(base, [{"task": broken, "solution": GOOD}]).json()["results"][0]
        assert native["status"] == "error" and native["reward"] is None
        r = httpx.post(f"{base}/get_reward", json={"query": [GOOD], "labels": [json.dumps(broken)]}, timeout=60)
        assert r.status_code == 503 and "Retry-After" in r.headers and "infrastructure" in r.json()["detail"]


def test_drain_fails_unfinished_work_with_503_and_refuses_new_work():
    with running(workers=1) as (base, service):
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(evaluate, base, [{"task": ADD_TASK, "solution": SLOW.format(s=4)}])
            time.sleep(0.3)
            service.begin_drain(grace=1.5)  # what SIGTERM does, with a short grace
            refused = evaluate(base, [{"task": ADD_TASK, "solution": GOOD}])
            assert refused.status_code == 503 and "Retry-After" in refused.headers
            assert httpx.get(f"{base}/health").status_code == 503
            t0 = time.monotonic()
            r = pending.result()
        assert r.status_code == 503 and "retry" in r.json()["detail"]  # answered, not dropped or scored
        assert time.monotonic() - t0 < 3.5


# -- processes: SIGTERM drain, restart with a persistent cache ---------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_process(*args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    port = _free_port()
    # `-c` rather than `-m codereward.cli`: runpy would load the CLI module twice (as __main__ and by name).
    cli = [sys.executable, "-c", "from codereward.cli import main; main()"]
    proc = subprocess.Popen([*cli, "serve", "--port", str(port), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        proc.stderr.close()


def _metric(base: str, name: str) -> float:
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_sigterm_finishes_in_flight_work_then_exits_cleanly():
    with serve_process("--workers", "1") as (base, proc):
        sandboxes = _children(proc.pid)
        assert sandboxes
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(evaluate, base, [{"task": ADD_TASK, "solution": SLOW.format(s=1.5)}])
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            r = pending.result()
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "passed"  # finished, not dropped
        assert proc.wait(60) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base}/health", timeout=2)
    assert not any(_alive(p) for p in sandboxes)


def test_cached_results_survive_a_restart(tmp_path):
    cache = str(tmp_path / "shared.sqlite")
    samples = [{"task": ADD_TASK, "solution": p} for p in (GOOD, BAD, GOOD + "# 2\n")]
    with serve_process("--workers", "1", "--cache", cache) as (base, proc):
        first = evaluate(base, samples).json()["results"]
        assert _metric(base, "codereward_cache_misses_total") == 3
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    with serve_process("--workers", "1", "--cache", cache) as (base, proc):
        again = evaluate(base, samples).json()["results"]
        assert _metric(base, "codereward_cache_hits_total") == 3
        assert _metric(base, "codereward_executions_total") == 0
    assert again == first


def test_a_batch_takes_the_cli_path_an_rl_group_runs_each_program_once():
    """/v1/evaluate runs its samples as one batch (Engine.run_many, as `codereward eval` does): the copies in
    an RL group share one execution, and a task sent inline in every sample is prepared once."""
    with running(workers=2) as (base, service):
        group = [{"task": ADD_TASK, "solution": p} for p in (GOOD, BAD, GOOD, GOOD, BAD, GOOD + "# 2\n")]
        r = evaluate(base, group)
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        stats = dict(service.engine.stats)
    assert [x["status"] for x in results] == ["passed", "failed", "passed", "passed", "failed", "passed"]
    assert [x.get("duplicate_of") for x in results] == [None, None, 0, 0, 1, None]
    assert stats["executions"] == 3 and stats["duplicates"] == 3


def test_an_engine_that_cannot_start_fails_serve_before_uvicorn(monkeypatch):
    """`codereward serve` starts the engine before the server: a sandbox or cluster that cannot start is the
    CLI's one-line error and exit status, not a traceback from uvicorn's start-up."""
    from codereward import IsolationError
    from codereward.server import _serve
    from codereward.server._service import EvalService

    def refuse(self):
        raise IsolationError("bubblewrap refused to start a sandbox")

    monkeypatch.setattr(EvalService, "start", refuse)
    ran = []
    monkeypatch.setattr(_serve._DrainingServer, "run", lambda self: ran.append(1))
    with pytest.raises(IsolationError, match="refused"):
        _serve.serve(ServerSettings(workers=1))
    assert not ran
