"""`/get_reward` for OpenRLHF 0.11's remote reward client: labels it sends without --data.label_key, a full
queue waited for (--compat-wait) instead of a 429 it cannot use, and queries ending in chat special tokens.

A real uvicorn on 127.0.0.1 with real sandboxes, as in tests/test_server.py. OpenRLHF's own HTTP client is
driven against this endpoint in tests/test_openrlhf_real.py.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from test_server import running

ADD_TASK = {"id": "demo/add", "entry_point": "add",
            "tests": {"kind": "assert", "code": "def check(candidate):\n    assert candidate(1, 2) == 3\n"}}
GOOD = "def add(a, b):\n    return a + b\n"
SLOW = "import time\ntime.sleep({s})\ndef add(a, b):\n    return a + b\n"
LABEL = json.dumps(["assert add(1, 2) == 3", "assert add(2, 2) == 4"])
QWEN_PROMPT = "<|im_start|>user\nWrite add(a, b).<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def srv():
    with running(workers=1, max_queue=1) as server:
        yield server


def get_reward(base: str, query: str, label, prompt: str | None = QWEN_PROMPT) -> httpx.Response:
    """OpenRLHF 0.11's payload: lists of one sample."""
    body = {"query": [query], "prompts": [prompt] if prompt is not None else None, "labels": [label]}
    return httpx.post(f"{base}/get_reward", json=body, timeout=120)


@pytest.mark.parametrize("labels", [[""], ["  "], [None], None], ids=["empty", "blank", "null-item", "null"])
def test_missing_labels_name_the_openrlhf_flag(srv, labels):
    # OpenRLHF 0.11 without --data.label_key sends "" for every label (datasets/prompts_dataset.py); older: null.
    base, _ = srv
    body = {"query": [QWEN_PROMPT + GOOD], "prompts": [QWEN_PROMPT], "labels": labels}
    r = httpx.post(f"{base}/get_reward", json=body, timeout=60)
    assert r.status_code == 422, r.text
    assert "--data.label_key" in r.json()["detail"] and r.json()["field"].startswith("labels")


@pytest.mark.parametrize("response", [
    GOOD + "<|im_end|>",  # bare code: the EOS token would be a SyntaxError
    "Here:\n```python\n" + GOOD + "<|im_end|><|endoftext|>",  # a fence left open at the end
    "```python\n" + GOOD + "```<|im_end|>",
], ids=["bare", "open-fence", "fenced"])
def test_queries_ending_in_special_tokens_score_like_their_answer(srv, response):
    base, _ = srv
    r = get_reward(base, "<|endoftext|>" + QWEN_PROMPT + response, LABEL)
    assert r.status_code == 200, r.text
    assert r.json() == {"rewards": [1.0], "scores": [1.0], "extra_logs": {"pass_rate": [1.0], "all_passed": [1.0]}}
    wrong = get_reward(base, QWEN_PROMPT + response.replace("a + b", "a - b"), LABEL).json()
    assert wrong["rewards"] == [0.0] and wrong["extra_logs"]["pass_rate"] == [0.0]


def _fill_queue(base: str, service, seconds: float):
    """Occupies the whole queue (max_queue=1) with one slow /v1/evaluate sample; returns its future."""
    pool = ThreadPoolExecutor(1)
    slow = {"task": ADD_TASK, "solution": SLOW.format(s=seconds) + f"# {time.monotonic()}\n"}
    pending = pool.submit(httpx.post, f"{base}/v1/evaluate", json={"samples": [slow]}, timeout=120)
    pool.shutdown(wait=False)
    deadline = time.monotonic() + 10
    while service.queue_depth < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert service.queue_depth == 1
    return pending


def test_a_full_queue_is_waited_for_not_answered_429(srv):
    # The native API refuses at once (429 + Retry-After); OpenRLHF's client ignores Retry-After and retries
    # 5 times 1 s apart, so /get_reward waits for room instead.
    base, service = srv
    pending = _fill_queue(base, service, 1.5)
    assert httpx.post(f"{base}/v1/evaluate", json={"samples": [{"task": ADD_TASK, "solution": GOOD}]},
                      timeout=60).status_code == 429
    t0 = time.monotonic()
    r = get_reward(base, QWEN_PROMPT + GOOD + "<|im_end|>", LABEL)
    assert r.status_code == 200 and r.json()["rewards"] == [1.0], r.text
    assert time.monotonic() - t0 > 0.5  # it waited for the slow sample
    assert pending.result().status_code == 200


def test_the_wait_for_queue_room_is_bounded():
    with running(workers=1, max_queue=1, compat_wait=0.3) as (base, service):
        pending = _fill_queue(base, service, 1.5)
        t0 = time.monotonic()
        r = get_reward(base, QWEN_PROMPT + GOOD, LABEL)
        assert r.status_code == 429 and "Retry-After" in r.headers
        assert 0.2 < time.monotonic() - t0 < 1.2
        assert pending.result().status_code == 200


def test_a_broken_task_is_still_503_never_a_score(srv):
    # No verdict: OpenRLHF retries (a sandbox failure then runs on a fresh sandbox), then leaves the sample
    # without a reward. Never a 0.
    base, _ = srv
    broken = {"id": "demo/broken", "entry_point": "add",
              "tests": {"kind": "assert", "code": "def check(candidate):\n    assert (\n"}}
    r = get_reward(base, QWEN_PROMPT + GOOD, json.dumps(broken))
    assert r.status_code == 503 and "Retry-After" in r.headers and "infrastructure" in r.json()["detail"]
