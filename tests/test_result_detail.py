"""Results that stay usable with hundreds of tests: `detail` full | failures | summary, in the API, the
CLI's result lines and the server's /v1/evaluate."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from test_server import running

from codereward import Result, Status, Task
from codereward.results import Outcome, TestResult

MANY = {"id": "demo/many", "entry_point": "f",
        "tests": {"kind": "call", "cases": [{"args": [i], "expected": i} for i in range(300)]}}
WRONG_AT_7 = "def f(x):\n    return -1 if x == 7 else x\n"


def result_with(outcomes: list[Outcome]) -> Result:
    return Result(task_id="t", status=Status.FAILED,
                  tests=[TestResult(f"case {i}", o, 0.001, 10, "" if o is Outcome.PASSED else f"why {i}")
                         for i, o in enumerate(outcomes)])


def test_the_three_levels_carry_what_they_promise():
    r = result_with([Outcome.PASSED, Outcome.WRONG_ANSWER, Outcome.PASSED, Outcome.TIME_LIMIT] + [Outcome.SKIPPED] * 96)
    full = r.to_dict()
    assert len(full["tests"]) == 100 and "outcomes" not in full
    failures = r.to_dict("failures")
    assert [(t["index"], t["outcome"]) for t in failures["tests"]] == [(1, "wrong_answer"), (3, "time_limit")]
    assert failures["outcomes"] == {"passed": 2, "wrong_answer": 1, "time_limit": 1, "skipped": 96}
    summary = r.to_dict("summary")
    assert "tests" not in summary and summary["first_failure"]["index"] == 1
    assert summary["first_failure"]["detail"] == "why 1"
    assert (summary["passed"], summary["total"], summary["status"]) == (2, 100, "failed")
    assert len(json.dumps(summary)) < len(json.dumps(full)) / 10
    assert result_with([Outcome.PASSED] * 3).to_dict("summary")["first_failure"] is None
    with pytest.raises(ValueError):
        r.to_dict("brief")  # type: ignore[arg-type]


def test_eval_writes_compact_lines(tmp_path):
    (tmp_path / "tasks.jsonl").write_text(json.dumps(MANY) + "\n")
    (tmp_path / "s.jsonl").write_text(json.dumps({"task_id": "demo/many", "solution": WRONG_AT_7}) + "\n")
    sizes = {}
    for detail in ("full", "failures", "summary"):
        out = tmp_path / f"{detail}.jsonl"
        p = subprocess.run([sys.executable, "-m", "codereward.cli", "eval", "--tasks", str(tmp_path / "tasks.jsonl"),
                            "--samples", str(tmp_path / "s.jsonl"), "--workers", "1", "--json", "--out", str(out),
                            "--detail", detail], capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["status"] == {"failed": 1}  # the summary is the same at every level
        line = json.loads(out.read_text())
        sizes[detail] = len(out.read_text())
        if detail == "failures":
            assert [t["index"] for t in line["tests"]] == [7] and line["outcomes"]["passed"] == 299
        if detail == "summary":
            assert line["first_failure"]["index"] == 7 and "tests" not in line
    assert max(sizes["summary"], sizes["failures"]) < sizes["full"] / 20


def test_the_server_answers_at_the_level_asked():
    with running(workers=1, tasks={"demo/many": Task.model_validate(MANY)}) as (base, _):
        sample = {"task_id": "demo/many", "solution": WRONG_AT_7}
        full = httpx.post(f"{base}/v1/evaluate", json={"samples": [sample]}, timeout=120).json()
        assert len(full["results"][0]["tests"]) == 300 and "index" not in full["results"][0]["tests"][0]
        brief = httpx.post(f"{base}/v1/evaluate", json={"samples": [sample], "detail": "summary"}, timeout=120).json()
        (r,) = brief["results"]
        assert "tests" not in r and r["first_failure"]["index"] == 7 and r["outcomes"]["wrong_answer"] == 1
        bad = httpx.post(f"{base}/v1/evaluate", json={"samples": [sample], "detail": "brief"}, timeout=120)
        assert bad.status_code == 422 and "detail" in bad.text
