"""Every command and code block of README.md runs (or is checked) here, so a documented feature cannot break
silently: a README example that no longer works fails this file.

* bash: one test per command, run as written (`bash -o pipefail -c`) in a temporary directory holding the
  files the commands name; `codereward` on PATH is this tree's CLI. Servers are started in the background,
  checked over HTTP (the README's curl example runs against the first one) and stopped with SIGTERM, which
  must end them with status 0. The multi-node Ray block runs on this machine (SUBSTITUTIONS, RaySession);
  the fast-tier pytest command only collects (COLLECT_ONLY).
* python: each block runs in a subprocess with this tree's src/ first on PYTHONPATH, and prints what its
  comments promise (PYTHON_CHECKS).
* json: each block is data a reader copies, checked against the code: the sample lines read with
  read_samples, the result line and the flags are what the engine returns, the task file loads and runs.

Nothing goes unaccounted for: a block of another language, a json block no check recognises, a command
exempted or checked by an entry that no longer matches the README, all fail test_every_block_is_accounted_for.
EXEMPT lists what cannot run here, with the reason. The slow ones (servers, Ray, the demo, HumanEval+) are
marked slow; CI runs every tier.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import readme_blocks as rb

from codereward import Engine, load_humaneval, load_task_file, read_samples, score

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DATA = ROOT.parent / "shared" / "data"  # beside the repo, as tests/test_humaneval.py finds it
HEPLUS = DATA / "humanevalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz"
CODET = DATA / "codet"  # CodeT's released CodeGen-16B HumanEval samples and generated tests
CODET_RUN = "codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300"
CODET_SELECT = (f"codereward select --samples {CODET_RUN}_code_solution.jsonl --tests {CODET_RUN}_test_case.jsonl"
                " --test-time 0.1 --truth-time 0.1")

BLOCKS = rb.blocks(README)
COMMANDS = [c for b in BLOCKS if b.lang == "bash" for c in rb.commands(b)]

# Commands that cannot run from this file, by their text without the comment.
EXEMPT = {
    "scripts/test.sh": "it is the test run itself (CI's .ci/run calls exactly it, and it runs this file)",
}
# The only words changed before a command runs. The multi-node block runs on one machine: the head node is
# this machine and "each other node" a second raylet on it, joined through the loopback address.
SUBSTITUTIONS = {"HEAD_IP": "127.0.0.1"}
# `.venv/bin/pytest -q -m "not slow"` runs the fast tier, this file's fast tests included: here it only
# collects (the command line, its marker expression and the venv are what is checked); scripts/test.sh runs
# every tier for real.
COLLECT_ONLY = "--collect-only"

# -- the files the commands name -------------------------------------------------------------------------------

GCD_BODY = "    while b:\n        a, b = b, a % b\n    return a\n"
HAS_CLOSE = ("    return any(abs(x - y) < threshold\n"
             "               for i, x in enumerate(numbers) for y in numbers[i + 1:])\n")
# Passes HumanEval/13's four visible tests by rote; HumanEval+'s held-out inputs catch it.
GCD_HARDCODED = ("    if (a, b) == (3, 7):\n        return 1\n    if (a, b) == (10, 15):\n        return 5\n"
                 "    if (a, b) == (49, 14):\n        return 7\n    return 12\n")
HUMANEVAL_SAMPLES = [
    {"task_id": "HumanEval/0", "completion": HAS_CLOSE},
    {"task_id": "HumanEval/0", "completion": "    return False\n"},
    {"task_id": "HumanEval/0", "completion": "    import sys\n    sys.exit(0)\n"},
    {"task_id": "HumanEval/0", "completion": HAS_CLOSE},  # an exact copy of the first: duplicate_of 0
    {"task_id": "HumanEval/13", "completion": GCD_BODY},
    {"task_id": "HumanEval/13", "completion": GCD_HARDCODED},
]
# samples.jsonl beside the README's own task file (commands with --tasks my_tasks.jsonl).
TASK_FILE_SAMPLES = [
    {"task_id": "demo/add", "completion": "    return a + b\n"},
    {"task_id": "demo/sq", "solution": "def sq(x):\n    return x * x\n"},
    {"task_id": "demo/sq", "solution": "def sq(x):\n    return 9\n"},  # passes the visible case only
    {"task_id": "demo/echo", "solution": "a, b = map(int, input().split())\nprint(a + b)\n"},
]
# f.py of the README's trace commands.
MAX_OF = ("def f(xs):\n    best = None\n    for x in xs:\n        if best is None or x > best:\n"
          "            best = x\n    return best\n")
# The program behind the README's "flags" example.
ALWAYS_EQUAL = ("class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n\n\n"
                "def has_close_elements(numbers, threshold):\n    return AlwaysEqual()\n")


def json_block(predicate: Callable[[rb.Block], bool]) -> rb.Block:
    found = [b for b in BLOCKS if b.lang == "json" and predicate(b)]
    assert len(found) == 1, f"expected one such json block in README.md, found {[str(b) for b in found]}"
    return found[0]


def json_lines(b: rb.Block) -> list[dict]:
    """The block's JSON objects, or none when it is not a sequence of them (an elided example, a fragment)."""
    try:
        values = rb.json_values(b.text)
    except ValueError:
        return []
    return values if all(isinstance(v, dict) for v in values) else []


def is_task_file(b: rb.Block) -> bool:
    values = json_lines(b)
    return bool(values) and all("tests" in v for v in values)


def is_sample_file(b: rb.Block) -> bool:
    values = json_lines(b)
    return bool(values) and all("task_id" in v and "completion_id" not in v and ("completion" in v or "solution" in v)
                                for v in values)


TEST_LINE_KEYS = ("test", "tests", "input", "args", "generation")


def is_tests_file(b: rb.Block) -> bool:
    values = json_lines(b)
    return bool(values) and all("task_id" in v and any(k in v for k in TEST_LINE_KEYS) for v in values) \
        and not is_stress_file(b)


def is_result_line(b: rb.Block) -> bool:
    return b.text.startswith("{") and '"completion_id"' in b.text


def is_stress_file(b: rb.Block) -> bool:
    values = json_lines(b)
    return bool(values) and all("task_id" in v and ("generator" in v or set(v) == {"task_id", "args"})
                                for v in values) and any("generator" in v for v in values)


def is_pools_file(b: rb.Block) -> bool:
    values = json_lines(b)
    return bool(values) and all("task_id" in v and ("solutions" in v or "incorrect_solutions" in v) for v in values)


def is_flags(b: rb.Block) -> bool:
    return b.text.startswith('"flags"')


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def sql_layouts(directory: Path) -> None:
    """Spider's and BIRD's file layouts, with one database, and predictions for both (tests/test_sql.py's)."""
    from test_sql import bird_layout, spider_layout

    spider_layout(directory / "spider")
    bird_layout(directory / "bird")
    write_jsonl(directory / "spider" / "preds.jsonl",
                [{"task_id": "spider/0", "completion": "SELECT name FROM singer ORDER BY age"},
                 {"task_id": "spider/1", "completion": "SELECT count(name) FROM singer WHERE age > 30"}])
    write_jsonl(directory / "bird" / "preds.jsonl",
                [{"task_id": "bird/7", "completion": "SELECT DISTINCT country FROM singer"}])


def contest_layouts(directory: Path) -> None:
    """A CodeContests file and a LiveCodeBench file with samples for both (tests/test_contests.py's problems)."""
    from test_contests import ADD_CPP, CC_SUM, LCB_FUNCTIONAL, LCB_STDIN, PRODUCT_PY, SCALE_PY

    (directory / "code_contests").mkdir()
    write_jsonl(directory / "code_contests" / "test.jsonl", [CC_SUM])
    write_jsonl(directory / "cc_samples.jsonl", [
        {"task_id": "codecontests/1000_A. Sum", "solution": ADD_CPP},
        {"task_id": "codecontests/1000_A. Sum", "solution": ADD_CPP.replace("long long", "int")},  # overflows
        {"task_id": "codecontests/1000_A. Sum", "solution": "a, b = map(int, input().split())\nprint(a + b)\n",
         "language": "python"}])
    (directory / "lcb").mkdir()
    write_jsonl(directory / "lcb" / "test6.jsonl", [LCB_STDIN, LCB_FUNCTIONAL])
    write_jsonl(directory / "lcb_samples.jsonl", [{"task_id": "lcb/abc999_a", "solution": PRODUCT_PY},
                                                  {"task_id": "lcb/2999", "solution": SCALE_PY}])


def prepare(directory: Path, *, task_file_samples: bool = False) -> Path:
    """The working directory of a README command: every file the README's commands name."""
    write_jsonl(directory / "my_tasks.jsonl", rb.json_values(json_block(is_task_file).text))
    write_jsonl(directory / "samples.jsonl", TASK_FILE_SAMPLES if task_file_samples else HUMANEVAL_SAMPLES)
    (directory / "sol.py").write_text("def greatest_common_divisor(a: int, b: int) -> int:\n" + GCD_BODY)
    (directory / "body.py").write_text(GCD_BODY)
    (directory / "f.py").write_text(MAX_OF)
    write_jsonl(directory / "tests.jsonl", rb.json_values(json_block(is_tests_file).text))
    write_jsonl(directory / "stress.jsonl", rb.json_values(json_block(is_stress_file).text))
    write_jsonl(directory / "pools.jsonl", rb.json_values(json_block(is_pools_file).text))
    (directory / "examples").symlink_to(ROOT / "examples")
    sql_layouts(directory)
    contest_layouts(directory)
    if HEPLUS.exists():
        (directory / HEPLUS.name).symlink_to(HEPLUS)
    if CODET.exists():  # its files, not the folder: select writes its output beside the samples
        (directory / "codet").mkdir()
        for path in CODET.iterdir():
            (directory / "codet" / path.name).symlink_to(path)
    return directory


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment commands run in: `codereward` is this tree's CLI, `ray` the venv's."""
    bin_dir = tmp_path_factory.mktemp("bin")
    wrapper = bin_dir / "codereward"
    # `-c`, not `-m codereward.cli`: runpy would load the CLI module twice (as __main__ and by name).
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -c '
                       f'"from codereward.cli import main; main()" "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    env["RAY_USAGE_STATS_ENABLED"] = "0"  # a `ray start` would otherwise try to report to the internet
    return env


def sh(source: str, env: dict[str, str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-o", "pipefail", "-c", source], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def results(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def assert_ran(p: subprocess.CompletedProcess[str]) -> None:
    assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout[-3000:]}\nstderr:\n{p.stderr[-3000:]}"


# -- what each command promises -------------------------------------------------------------------------------


def check_eval_humaneval(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "pass@1" in p.stdout
    rows = results(cwd / "samples.jsonl_results.jsonl")  # the default --out, beside the samples
    assert [r["task_id"] for r in rows] == [s["task_id"] for s in HUMANEVAL_SAMPLES]  # input order
    assert [r["status"] for r in rows] == ["passed", "failed", "failed", "passed", "passed", "passed"]
    assert [r.get("duplicate_of") for r in rows] == [None, None, None, 0, None, None]


def check_eval_sql_example(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "sql_results.jsonl")
    assert [r["status"] for r in rows] == ["passed", "failed"] * 4
    assert [t["outcome"] for t in rows[7]["tests"]] == ["runtime_error"]  # SELEC: SQLite's syntax error


def check_eval_more_languages(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "more_results.jsonl")  # C, C++20, Go, Rust, Rust with i32, PyPy
    assert [r["status"] for r in rows] == ["passed", "passed", "passed", "passed", "failed", "passed"]
    assert [t["outcome"] for t in rows[4]["tests"]][-2:] == ["wrong_answer", "wrong_answer"]


def check_eval_native_example(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "native_results.jsonl")  # scripts/demo.sh writes the same file name
    assert [r["status"] for r in rows] == ["passed", "failed", "passed", "passed", "passed",
                                           "passed", "passed", "failed", "failed", "passed", "failed", "failed",
                                           "passed", "passed", "failed", "failed", "failed", "passed"]
    outcomes = [[t["outcome"] for t in r["tests"]] for r in rows]
    assert outcomes[1][-1] == "wrong_answer"  # int overflow on the 3000 x 10^9 case
    assert outcomes[7] == ["passed", "passed", "time_limit"]  # quadratic Python on 15,000 numbers
    assert set(outcomes[8]) == {"memory_limit"}  # the 8 GB table
    assert outcomes[10] == ["passed", "wrong_answer", "passed", "passed"]  # the checker: 97 is prime
    assert set(outcomes[11]) == {"compile_error"}
    assert outcomes[14] == ["passed", "wrong_answer", "wrong_answer"]  # the interactor: more than 30 questions
    scores = [[s["score"] for s in rows[i]["subtasks"]] for i in (15, 16, 17)]  # IOI-style subtasks
    assert scores == [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]  # int overflow; a 3e9 loop; the formula


def check_eval_codecontests(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "cc_samples.jsonl_results.jsonl")
    assert [r["status"] for r in rows] == ["passed", "failed", "passed"]  # C++, int overflow, Python (its line's)
    assert [t["outcome"] for t in rows[1]["tests"]] == ["passed", "passed", "wrong_answer", "passed"]


def check_eval_livecodebench(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "lcb_samples.jsonl_results.jsonl")
    assert [r["status"] for r in rows] == ["passed", "passed"]  # stdin, and a LeetCode class Solution


def check_eval_spider(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "spider" / "preds.jsonl_results.jsonl")
    assert [r["status"] for r in rows] == ["passed", "failed"]  # the count of singers over 30 is not the count
    # each runs on the test suite's two databases
    assert [t["name"] for t in rows[0]["tests"]] == ["database concert.sqlite", "database concert_2.sqlite"]


def check_eval_bird(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "bird" / "preds.jsonl_results.jsonl")
    assert [r["status"] for r in rows] == ["passed"]  # set semantics: DISTINCT changes nothing


def check_eval_humanevalplus(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "samples.jsonl_results.jsonl")
    assert [r["status"] for r in rows] == ["passed", "failed", "failed", "passed", "passed", "failed"]
    hardcoded = rows[5]["tests"]
    assert all(t["outcome"] == "passed" for t in hardcoded if t["visible"])  # base inputs: visible
    assert any(t["outcome"] != "passed" for t in hardcoded if not t["visible"])  # plus inputs: held out


def check_eval_humanevalplus_summary(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "samples.jsonl_results.jsonl")
    assert [r["status"] for r in rows] == ["passed", "failed", "failed", "passed", "passed", "failed"]
    assert all("tests" not in r and sum(r["outcomes"].values()) == r["total"] for r in rows)
    assert rows[0]["first_failure"] is None and rows[5]["first_failure"]["visible"] is False  # a plus input


def check_eval_humanevalplus_fail_fast(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "samples.jsonl_results.jsonl")
    assert [r["status"] for r in rows] == ["passed", "failed", "failed", "passed", "passed", "failed"]
    outcomes = [t["outcome"] for t in rows[5]["tests"]]  # the hard-coded gcd: stopped at its first plus input
    first = next(i for i, o in enumerate(outcomes) if o != "passed")
    assert outcomes[first + 1:] and set(outcomes[first + 1:]) == {"skipped"}


def check_eval_per_test(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "samples.jsonl_results.jsonl")
    assert [r["status"] for r in rows] == ["passed", "failed", "failed", "passed", "passed", "passed"]


def check_eval_task_file(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert p.stdout == ""  # the summary went to summary.json
    summary = json.loads((cwd / "summary.json").read_text())
    assert (summary["samples"], summary["tasks"], summary["status"]) == (4, 3, {"passed": 3, "failed": 1})
    rows = results(cwd / summary["out"])
    assert [r["status"] for r in rows] == ["passed", "passed", "failed", "passed"]
    assert [t["visible"] for t in rows[2]["tests"]] == [True, False]


def check_check_json(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    [line] = p.stdout.splitlines()  # exactly one JSON object
    result = json.loads(line)
    assert (result["task_id"], result["status"], result["reward"]) == ("HumanEval/13", "passed", 1.0)


def check_check_table(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "status: passed" in p.stdout


def check_audit_humanevalplus(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "Visible vs held-out" in p.stdout
    assert re.search(r"pass visible, fail held-out\s*│\s*1\s*│", p.stdout), p.stdout  # the hardcoded gcd
    assert (cwd / "samples.jsonl_audit.html").stat().st_size > 0  # the default --html
    assert len(results(cwd / "samples.jsonl_results.jsonl")) == len(HUMANEVAL_SAMPLES)


def check_audit_gap(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert p.stdout.strip() == "null"  # HumanEval declares no held-out split: no gap was measured (not 0)
    assert (cwd / "audit.html").read_text().lstrip().lower().startswith("<!doctype html")


def check_penalty(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "samples.jsonl_results.jsonl")
    # reward = correctness - penalty: sys.exit is early_exit (high, default penalty 1), the hardcoded gcd
    # passes but is hardcoding (high, 0.5).
    assert [r["reward"] for r in rows] == [1.0, 0.0, -1.0, 1.0, 1.0, 0.5]


def selected(cwd: Path, name: str = "samples.jsonl_selected.jsonl") -> dict[str, dict]:
    return {r["task_id"]: r for r in results(cwd / name)}


def check_select(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "ranked pass@k" in p.stdout and "random" in p.stdout
    lines = selected(cwd)  # the default --out: one line per task
    assert sorted(lines) == ["HumanEval/0", "HumanEval/13"]
    pick = lines["HumanEval/0"]["selectors"]["codet"]
    # has_close_elements, sampled twice (lines 0 and 3 of the task), passes every test; `return False` two.
    assert (pick["sample_indices"], pick["correct"]) == ([0, 3], True)
    assert lines["HumanEval/13"]["tests"] == 4 and lines["HumanEval/0"]["tests"] == 3  # the tests block's lines
    assert (cwd / "samples.jsonl_matrix.npz").stat().st_size > 0  # the default --save-matrix


def check_select_json(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    summary = json.loads(p.stdout)
    assert list(summary["selectors"]) == ["codet", "b4"]
    assert summary["selectors"]["codet"]["pass@1"] == 1.0
    assert summary["random"]["pass@1"] == pytest.approx(0.75)  # 3 of 4 samples correct, and 2 of 2
    assert (summary["tasks"], summary["samples"], summary["programs"]) == (2, 6, 5)


def check_select_adap(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "ADAP replay" in p.stdout and "fixed-all" in p.stdout
    assert (cwd / "select.html").read_text().lstrip().lower().startswith("<!doctype html")


def check_select_matrix(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "srank" in p.stdout and "pass@2" not in p.stdout
    lines = selected(cwd, "samples.jsonl_matrix.npz_selected.jsonl")  # beside the matrix: no samples given
    assert list(lines["HumanEval/0"]["selectors"]) == ["srank"]
    assert lines["HumanEval/0"]["selectors"]["srank"]["correct"] is True


def check_select_codet(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    table = re.search(r"codet\s*│\s*([\d.]+)\s*│\s*([\d.]+)\s*│\s*([\d.]+)", p.stdout)
    assert table, p.stdout
    # CodeT's published 36.77 / 44.73 / 59.37; README.md explains the +0.47 at pass@1.
    assert [float(x) for x in table.groups()] == pytest.approx([37.24, 44.85, 59.49], abs=0.5)
    assert len(results(cwd / f"{CODET_RUN}_code_solution.jsonl_selected.jsonl")) == 164


def rewards_of(cwd: Path) -> list[float | None]:
    return [r["reward"] for r in results(cwd / "samples.jsonl_results.jsonl")]


def check_reward_verpo(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    # HumanEval/0's group of four: `return False` passes 3 of 7 tests, the 3 that its two correct peers and
    # it pass (w = 1 - 4/6 each), failing the 4 only the correct ones pass (w = 1 - 3/6 each).
    assert rewards_of(cwd) == pytest.approx([1.0, 0.5 * (3 / 3) / (3 / 3 + 4 / 2), 0.0, 1.0, 1.0, 1.0])


def check_reward_threshold(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert rewards_of(cwd) == [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]  # 3 of 7 is under 0.75


def check_reward_checked(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert json.loads(p.stdout)["samples"] == len(HUMANEVAL_SAMPLES)
    assert rewards_of(cwd) == pytest.approx([1.0, 3 / 7, 0.0, 1.0, 1.0, 1.0])  # bare code is code: no penalty


def check_efficiency(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "samples.jsonl_efficiency.jsonl")
    assert [r["status"] for r in rows] == ["passed", "failed", "failed", "passed", "passed", "passed"]
    assert all(r["lines_ratio"] > 0 for r in rows if r["status"] == "passed")
    assert all(r["lines_ratio"] is None and r["reward"] == 0.0 for r in rows if r["status"] == "failed")
    assert "Efficiency" in p.stdout


def check_efficiency_json(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    summary = json.loads(p.stdout)
    assert (summary["samples"], summary["correct"], summary["measured"]) == (6, 4, 4)
    assert summary["cpu_ratio_median"] is None  # --no-cpu
    assert all(r["cpu"] is None for r in results(cwd / summary["out"]))


def check_efficiency_stress(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    rows = results(cwd / "samples.jsonl_efficiency.jsonl")
    assert [r["stress"] for r in rows] == [False] * 4 + [True] * 2  # HumanEval/13's samples ran the stress inputs
    # The hardcoded gcd passes HumanEval/13's own tests but not the large inputs.
    assert [r["status"] for r in rows[4:]] == ["passed", "failed"]
    assert (cwd / "efficiency.html").read_text().lstrip().lower().startswith("<!doctype html")


def check_trace_table(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "best = x" in p.stdout and "returned 4" in p.stdout


def check_trace_json(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    out = json.loads(p.stdout)
    assert out["output"] == 4 and not out["untrusted"]
    assert [s["locals"] is not None for s in out["steps"] if not s["return"]] == [
        s["line"] == 5 for s in out["steps"] if not s["return"]]  # --watch 5: locals at line 5 only


def suite_lines(cwd: Path) -> dict[str, dict]:
    return {r["task_id"]: r for r in results(cwd / "suite_scores.jsonl")}  # the default --out


def check_suite_first(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "mutation score" in p.stdout and "line coverage" in p.stdout
    lines = suite_lines(cwd)
    assert list(lines) == [f"HumanEval/{i}" for i in range(10)]
    for line in lines.values():
        m = line["mutation"]
        assert m["complete"] and m["error"] == 0 and m["mutants"] == len(m["mutant_results"])
        assert line["precision"] == 1.0  # HumanEval's own tests all pass the reference
        # HumanEval/7's reference (a list comprehension with `in`) offers cosmic-ray nothing to mutate: no score
        assert (m["score"] is None) == (line["task_id"] == "HumanEval/7") and (m["score"] or 1) > 0
        assert line["coverage"]["line_coverage"] == 100.0 and "error" not in line["coverage"]
        assert all("diff" in r for r in m["mutant_results"] if r["status"] == "survived")
    assert lines["HumanEval/0"]["mutation"]["survived"] == 4  # test_suites.py's golden tier has every task


def check_suite_strong(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert "without likely equivalents" in p.stdout
    lines = suite_lines(cwd)
    assert len(lines) == 20
    for line in lines.values():
        m = line["mutation"]
        assert m["complete"] and (m["score"] is None or m["score_with_strong"] >= m["score"])
        assert all(r.get("strong") in ("killed", "timed_out", "survived") for r in m["mutant_results"]
                   if r["status"] == "survived")
    assert sum(line["mutation"]["equivalent"] for line in lines.values()) > 0


def check_suite_samples(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    lines = suite_lines(cwd)
    assert sorted(lines) == ["HumanEval/0", "HumanEval/13"]  # the tasks the tests file has tests for
    # HumanEval/13's tests block holds gcd(4, 6) == 3, which the reference fails: 3 of its 4 tests are right.
    assert lines["HumanEval/13"]["precision"] == 0.75 and lines["HumanEval/0"]["precision"] == 1.0
    pool = lines["HumanEval/0"]["pool"]  # its samples: has_close_elements twice; `return False`, sys.exit(0)
    assert (pool["correct"], pool["incorrect"], pool["tpr"], pool["tnr"]) == (2, 2, 1.0, 1.0)
    html = (cwd / "suite.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "HumanEval/13" in html


def check_suite_pools(p: subprocess.CompletedProcess[str], cwd: Path) -> None:
    summary = json.loads(p.stdout)
    assert summary["mutants"] == 0 and summary["line_coverage"] is None  # --no-mutation --no-coverage
    # The pools block: one correct gcd and two wrong ones, both caught by the tests the reference passes.
    assert summary["pools"]["problems"] == 1
    assert (summary["pools"]["tpr"], summary["pools"]["tnr"], summary["pools"]["verifier_accuracy"]) == (1, 1, 1)
    pool = suite_lines(cwd)["HumanEval/13"]["pool"]
    # Rows: the correct gcd, min(a, b), `return 1`. gcd(3, 7) == 1 catches min only; gcd(4, 6) == 3 is left out.
    assert pool["usable_tests"] == 3 and pool["catches"] == [[1], [1, 2], [], [1, 2]]


# A command that reads what another README command writes runs after it, in the same directory.
RUNS_AFTER = {
    "codereward select --matrix samples.jsonl_matrix.npz --selector srank --k 1":
        "codereward select --samples samples.jsonl --tests tests.jsonl",
}

COMMAND_CHECKS: dict[str, Callable[[subprocess.CompletedProcess[str], Path], None]] = {
    "codereward eval --dataset humaneval --samples samples.jsonl --workers 2 --k 1,10": check_eval_humaneval,
    "codereward eval --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz --samples samples.jsonl":
        check_eval_humanevalplus,
    "codereward eval --tasks examples/sql/tasks.jsonl --samples examples/sql/samples.jsonl --out sql_results.jsonl":
        check_eval_sql_example,
    "codereward eval --dataset spider --data-file spider/dev.json --samples spider/preds.jsonl": check_eval_spider,
    "codereward eval --tasks examples/native/tasks.jsonl --samples examples/native/samples.jsonl "
    "--out native_results.jsonl": check_eval_native_example,
    "codereward eval --tasks examples/native/tasks.jsonl --samples examples/native/more_languages.jsonl "
    "--out more_results.jsonl": check_eval_more_languages,
    "codereward eval --dataset codecontests --data-file code_contests/test.jsonl --language cpp "
    "--samples cc_samples.jsonl": check_eval_codecontests,
    "codereward eval --dataset livecodebench --data-file lcb/test6.jsonl --samples lcb_samples.jsonl":
        check_eval_livecodebench,
    "codereward eval --dataset bird --data-file bird/dev.json --samples bird/preds.jsonl": check_eval_bird,
    "codereward eval --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz --samples samples.jsonl "
    "--detail summary": check_eval_humanevalplus_summary,
    "codereward eval --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz --samples samples.jsonl "
    "--fail-fast": check_eval_humanevalplus_fail_fast,
    "codereward eval --samples samples.jsonl --per-test-limit 4,0.5": check_eval_per_test,
    "codereward eval --tasks my_tasks.jsonl --samples samples.jsonl --json > summary.json": check_eval_task_file,
    "codereward check --dataset humaneval --task HumanEval/13 --solution sol.py --json": check_check_json,
    "codereward check --dataset humaneval --task HumanEval/13 --completion body.py": check_check_table,
    "codereward audit --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz --samples samples.jsonl":
        check_audit_humanevalplus,
    "codereward audit --samples samples.jsonl --html audit.html --json | jq .gap.gap": check_audit_gap,
    "codereward eval --samples samples.jsonl --penalty default --penalty hardcoding=0.5": check_penalty,
    "codereward eval --samples samples.jsonl --reward verpo": check_reward_verpo,
    "codereward eval --samples samples.jsonl --reward threshold:at=0.75": check_reward_threshold,
    "codereward eval --samples samples.jsonl --reward checked:base=fraction --json": check_reward_checked,
    "codereward efficiency --samples samples.jsonl": check_efficiency,
    "codereward efficiency --samples samples.jsonl --no-cpu --json": check_efficiency_json,
    "codereward efficiency --samples samples.jsonl --stress stress.jsonl --report efficiency.html":
        check_efficiency_stress,
    'codereward trace --program f.py --call "f([3, 1, 4])"': check_trace_table,
    'codereward trace --program f.py --call "f([3, 1, 4])" --watch 5 --json': check_trace_json,
    "codereward select --samples samples.jsonl --tests tests.jsonl": check_select,
    "codereward select --samples samples.jsonl --tests tests.jsonl --selector codet,b4 --json": check_select_json,
    "codereward select --samples samples.jsonl --tests tests.jsonl --adap 1,10 --report select.html":
        check_select_adap,
    "codereward select --matrix samples.jsonl_matrix.npz --selector srank --k 1": check_select_matrix,
    CODET_SELECT: check_select_codet,
    "codereward suite --first 10": check_suite_first,
    "codereward suite --first 20 --strong-dataset humanevalplus --strong-data-file HumanEvalPlus-v0.1.10.jsonl.gz":
        check_suite_strong,
    "codereward suite --tests tests.jsonl --samples samples.jsonl --report suite.html": check_suite_samples,
    "codereward suite --tests tests.jsonl --pools pools.jsonl --no-mutation --no-coverage --json": check_suite_pools,
}

# -- servers ----------------------------------------------------------------------------------------------------

ADD_LABEL = {"ground_truth": ["assert add(1, 2) == 3"], "solution": "def add(a, b):\n    return a + b\n"}


def argv_of(source: str) -> tuple[dict[str, str], list[str]]:
    """A simple command's leading NAME=value assignments and its argv."""
    words = shlex.split(source, comments=True)
    assignments: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        assignments[name] = value
    return assignments, words


def is_serve(command: rb.Command) -> bool:
    return argv_of(command.code)[1][:2] == ["codereward", "serve"]


@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    log: Path

    def stop(self) -> int:
        """SIGTERM, as a supervisor stops it: in-flight work finishes, sandboxes close."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(90)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def serving(source: str, env: dict[str, str], cwd: Path, start_timeout: float = 120) -> Iterator[Server]:
    assignments, argv = argv_of(source)
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 8000
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            pytest.fail(f"port {port} is taken by another process; the README's server commands use it")
    env = {**env, **assignments}
    log = cwd / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([shutil.which(argv[0], path=env["PATH"]) or argv[0], *argv[1:]], cwd=cwd, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            assert proc.poll() is None, f"the server exited with {proc.returncode}:\n{server.output()}"
            try:
                if httpx.get(f"{server.base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server did not come up:\n{server.output()}"
            time.sleep(0.2)
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def evaluate(server: Server, samples: list[dict], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{server.base}/v1/evaluate", json={"samples": samples}, headers=headers, timeout=120)


def check_serve_dataset(server: Server, cwd: Path) -> None:
    health = httpx.get(f"{server.base}/health").json()
    assert (health["status"], health["tasks"]) == ("ok", 164)
    r = evaluate(server, [{"task_id": "HumanEval/13", "completion": GCD_BODY}])
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "passed"
    assert httpx.get(f"{server.base}/metrics").status_code == 200
    assert (cwd / "results.sqlite").exists()  # --cache


def check_serve_token(server: Server, cwd: Path) -> None:
    assert httpx.get(f"{server.base}/health").status_code == 200  # /health never needs the token
    assert evaluate(server, [ADD_LABEL]).status_code == 401
    r = evaluate(server, [ADD_LABEL], headers={"Authorization": "Bearer secret"})
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "passed"


def check_serve_ray(server: Server, cwd: Path) -> None:
    assert httpx.get(f"{server.base}/health").json()["backend"] == "ray"
    r = evaluate(server, [ADD_LABEL, {**ADD_LABEL, "solution": "def add(a, b):\n    return a - b\n"}])
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["passed", "failed"]


SERVER_CHECKS: dict[str, Callable[[Server, Path], None]] = {
    "codereward serve --port 8000 --workers 8 --cache results.sqlite --dataset humaneval": check_serve_dataset,
    "CODEREWARD_TOKEN=secret codereward serve --host 0.0.0.0": check_serve_token,
    "RAY_ADDRESS=HEAD_IP:6379 codereward serve --backend ray --workers 16": check_serve_ray,
}


def check_curl(p: subprocess.CompletedProcess[str]) -> None:
    body = json.loads(p.stdout)
    assert [r["status"] for r in body["results"]] == ["failed", "passed"], body  # return False; the extracted add


# -- the multi-node Ray block, on this machine ----------------------------------------------------------------


def ray_block() -> rb.Block | None:
    found = [b for b in BLOCKS if b.lang == "bash" and any(argv_of(c.code)[1][:2] == ["ray", "start"]
                                                            for c in rb.commands(b))]
    assert len(found) <= 1, [str(b) for b in found]
    return found[0] if found else None


def substitute(source: str) -> str:
    for word, value in SUBSTITUTIONS.items():
        source = source.replace(word, value)
    return source


@dataclass
class RaySession:
    """The Ray block's commands run in order, each once, with what the `export` lines before it set.

    Its own HOME, holding a Ray token as on any machine where a local `ray.init()` has run (tests/test_ray.py
    leaves one): Ray then authenticates, and the block must work there. Its own RAY_TMPDIR (short: Ray's
    socket paths must fit in 107 bytes). Each `ray start` runs in a new process group, which its daemons stay
    in: closing the session ends those groups, and nothing else (`ray stop` would end every Ray process of
    the machine).
    """
    commands: list[rb.Command]
    env: dict[str, str]
    cwd: Path
    done: dict[int, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    groups: list[int] = field(default_factory=list)

    def run_through(self, index: int) -> subprocess.CompletedProcess[str] | None:
        """Run the commands before `index` that set the stage (not servers), then `index` itself unless it
        is a server; return that command's outcome."""
        for i in range(index + 1):
            if i in self.done or is_serve(self.commands[i]):
                continue
            self.done[i] = self._run(substitute(self.commands[i].source))
            if i < index:
                assert_ran(self.done[i])
        return self.done.get(index)

    def _run(self, source: str) -> subprocess.CompletedProcess[str]:
        argv = argv_of(source)[1]
        if argv[:1] == ["export"]:
            p = sh(source, self.env, self.cwd)  # bash accepts it; the session keeps what it sets
            for word in argv[1:]:
                name, _, value = word.partition("=")
                self.env[name] = value
            return p
        log = self.cwd / f"step{len(self.done)}.log"
        with log.open("w") as out:  # a file, not a pipe: daemons keep their inherited stdout open
            proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", source], cwd=self.cwd, env=self.env,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.groups.append(proc.pid)
        proc.wait(180)
        return subprocess.CompletedProcess(source, proc.returncode, log.read_text(errors="replace"), "")

    def assert_nodes(self, expected: int, timeout: float = 60) -> None:
        """`ray status` reports `expected` active nodes within the time (the autoscaler's view lags a node's
        start by a few seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            p = sh("ray status --address 127.0.0.1:6379", self.env, self.cwd, timeout=60)
            active = p.stdout.split("Active:", 1)[-1].split("Pending:", 1)[0] if "Active:" in p.stdout else ""
            if active.count("node_") == expected:
                return
            assert time.monotonic() < deadline, f"not {expected} active nodes:\n{p.stdout}{p.stderr[-2000:]}"
            time.sleep(1)

    def close(self) -> None:
        for group in self.groups:
            _end_group(group, signal.SIGTERM)
        deadline = time.monotonic() + 5  # then as `ray stop` does after its grace period
        while any(_group_alive(g) for g in self.groups) and time.monotonic() < deadline:
            time.sleep(0.2)
        for group in self.groups:
            _end_group(group, signal.SIGKILL)


def _end_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        pass


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture(scope="module")
def ray_session(cli_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RaySession]:
    pytest.importorskip("ray", reason="ray is not installed: pip install 'codereward[ray]'")
    block = ray_block()
    assert block is not None
    home = tmp_path_factory.mktemp("ray-home")
    # The token a local ray.init() leaves behind (ray/_private/authentication: ~/.ray/auth_token).
    token = subprocess.run(["ray", "get-auth-token", "--generate"], env={**cli_env, "HOME": str(home)},
                           capture_output=True, text=True, timeout=120)
    assert_ran(token)
    ray_tmp = tempfile.mkdtemp(prefix="cr-ray-", dir="/tmp")
    session = RaySession(rb.commands(block), {**cli_env, "HOME": str(home), "RAY_TMPDIR": ray_tmp},
                         prepare(tmp_path_factory.mktemp("ray-cwd")))
    try:
        yield session
    finally:
        session.close()
        shutil.rmtree(ray_tmp, ignore_errors=True)


# -- the commands ---------------------------------------------------------------------------------------------


def is_slow(command: rb.Command) -> bool:
    argv = argv_of(command.code)[1]
    return (is_serve(command) or argv[:1] in (["curl"], ["scripts/demo.sh"], [".venv/bin/pytest"], [".venv/bin/mypy"])
            or command.block == ray_block() or "HumanEvalPlus" in command.code or "codet/" in command.code)


def needs_venv() -> None:
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip(f"no .venv in {ROOT}: scripts/setup.sh makes it (scripts/test.sh does, before pytest)")


@pytest.mark.parametrize("command", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if is_slow(c) else [])
                                     for c in COMMANDS])
def test_readme_command(command: rb.Command, cli_env: dict[str, str], tmp_path: Path,
                        request: pytest.FixtureRequest) -> None:
    code = command.code
    argv = argv_of(code)[1]
    if code in EXEMPT:
        pytest.skip(f"exempt: {EXEMPT[code]}")
    if "HumanEvalPlus" in code and not HEPLUS.exists():
        pytest.skip(f"reference data missing: {HEPLUS}")
    if "codet/" in code and not CODET.exists():
        pytest.skip(f"reference data missing: {CODET}")

    if command.block == ray_block():
        session: RaySession = request.getfixturevalue("ray_session")
        index = session.commands.index(command)
        outcome = session.run_through(index)
        if outcome is not None:
            assert_ran(outcome)
            if argv[:2] == ["ray", "get-auth-token"]:
                assert (Path(session.env["HOME"]) / ".ray" / "auth_token").stat().st_size > 0
            if argv[:2] == ["ray", "start"]:  # the nodes started so far all joined the head's cluster
                started = sum(argv_of(c.code)[1][:2] == ["ray", "start"] for c in session.commands[:index + 1])
                session.assert_nodes(started)
            return
        with serving(substitute(command.source), session.env, session.cwd, start_timeout=300) as server:
            SERVER_CHECKS[code](server, session.cwd)
            assert server.stop() == 0, server.output()
        return

    if is_serve(command):
        cwd = prepare(tmp_path)
        with serving(command.source, cli_env, cwd) as server:
            SERVER_CHECKS[code](server, cwd)
            assert server.stop() == 0, server.output()
        return

    if argv[:1] == ["curl"]:  # against the README's first server, the one that loads a dataset
        first = next(c for c in COMMANDS if is_serve(c))
        cwd = prepare(tmp_path)
        with serving(first.source, cli_env, cwd) as server:
            p = sh(command.source, cli_env, cwd, timeout=120)
            assert_ran(p)
            check_curl(p)
            assert server.stop() == 0, server.output()
        return

    if argv[:1] == ["scripts/demo.sh"]:
        needs_venv()
        p = sh(command.source, cli_env, ROOT, timeout=600)
        assert_ran(p)
        assert "canonical solutions passed: 164/164" in p.stdout, p.stdout
        rejected = re.search(r"bundled bad samples rejected: (\d+)/(\d+)", p.stdout)
        assert rejected and rejected[1] == rejected[2], p.stdout
        native = re.search(r"Compiled languages: examples/native \(results in (\S+)\)", p.stdout)
        assert native, p.stdout
        check_eval_native_example(p, Path(native[1]).parent)  # the same verdicts as the README's own command
        return

    if argv[:1] == [".venv/bin/mypy"]:  # the type checker, over this tree, as scripts/test.sh runs it
        needs_venv()
        assert_ran(sh(command.source, cli_env, ROOT, timeout=600))
        return

    if argv[:1] == [".venv/bin/pytest"]:
        needs_venv()
        p = sh(f"{command.code} {COLLECT_ONLY}", cli_env, ROOT, timeout=300)
        assert_ran(p)
        counts = re.search(r"(\d+)/(\d+) tests collected \((\d+) deselected\)", p.stdout)
        assert counts and int(counts[1]) > 0 and int(counts[3]) > 0, p.stdout[-2000:]  # slow ones left out
        return

    cwd = prepare(tmp_path, task_file_samples="--tasks my_tasks.jsonl" in code)
    if code in RUNS_AFTER:
        assert_ran(sh(RUNS_AFTER[code], cli_env, cwd))
    p = sh(command.source, cli_env, cwd, timeout=900 if "codet/" in code else 300)
    assert_ran(p)
    if code in COMMAND_CHECKS:
        COMMAND_CHECKS[code](p, cwd)


# -- python blocks -------------------------------------------------------------------------------------------

# A python block (found by a line it contains) -> the lines its stdout must hold, one list per run; the block
# runs that many times in the same directory. Blocks not listed run once and must exit 0.
PYTHON_CHECKS: dict[str, list[list[str]]] = {
    "results = engine.evaluate(tasks, samples": [["[0.0]", "[None, 0, 0, 0]"]],
    "reward_fn = codereward_reward(": [["[1.0, 0.0]"]],
    'cache=ResultCache("results.sqlite")': [["0 1"], ["1 0"]],  # the second run is answered from the file
    "ranking = codet(m)": [["[2, 1, 1] [3, 1, 0]", "0 True", "{'pass@1': 1.0}"]],
    'score(results, "verpo")': [["[1.0, 0.25, 0.5]", "[1.0, 0.06, 0.17]", "[1.3, 0.0, 0.0]"]],
    "e = efficiency(engine, task, brute": [["141 61 2.31", "0.5"], ["141 61 2.31"]],  # twice: deterministic
    "t = trace_call(engine, program": [["4 [1, 2, 3, 4, 5, 3, 4, 3, 4, 5, 3, 6]", "1.0 0.55", "2.0"]],
    "s, = score_suites(engine": [["0.67 27 4 0.87", "100.0 [] [14, 14, 14, 16]"]],
    "score_testgen(engine, task, programs, rollouts)": [["[0.4333, 0.0042]", "[1.0, -1.0]"]],
    'queries = ["SELECT id FROM item WHERE price >= 7"': [["['passed', 'failed', 'failed', 'passed']"]],
    'loop = "int main() { for (;;); }"': [["['passed', 'time_limit']"]],
    'dialect="duckdb"': [["['passed', 'failed']"]],
}
PYTHON_BLOCKS = [b for b in BLOCKS if b.lang == "python"]


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[f"README.md:{b.line}" for b in PYTHON_BLOCKS])
def test_readme_python_block(block: rb.Block, cli_env: dict[str, str], tmp_path: Path) -> None:
    cwd = prepare(tmp_path)
    (cwd / "block.py").write_text(block.text)
    runs = next((runs for marker, runs in PYTHON_CHECKS.items() if marker in block.text), [[]])
    for expected in runs:
        p = subprocess.run([sys.executable, "block.py"], cwd=cwd, env=cli_env, capture_output=True, text=True,
                           timeout=300)
        assert_ran(p)
        lines = [line.strip() for line in p.stdout.splitlines()]
        for line in expected:
            assert line in lines, f"{block}: expected a line {line!r} in its output:\n{p.stdout}"


# -- json blocks ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(workers=1) as e:
        yield e


def test_sample_lines_read_with_read_samples(tmp_path: Path) -> None:
    values = rb.json_values(json_block(is_sample_file).text)
    samples = read_samples(write_jsonl(tmp_path / "s.jsonl", values), load_humaneval())
    assert [(s.task_id, s.completion, s.solution) for s in samples] == [
        (v["task_id"], v.get("completion"), v.get("solution")) for v in values]


def test_result_line_is_what_the_first_sample_line_gives(tmp_path: Path, engine: Engine) -> None:
    """The README's result line: the same keys as a real one, and the same values but times and memory."""
    shown = json.loads(json_block(is_result_line).text.replace(", ...]", "]"))  # "...": further tests elided
    tasks = load_humaneval()
    sample = read_samples(write_jsonl(tmp_path / "s.jsonl", json_lines(json_block(is_sample_file))), tasks)[0]
    [result] = engine.evaluate(tasks, [sample])
    score([result], "binary")  # eval's default reward
    real = result.to_dict()
    measured = {"time", "memory_kb"}
    assert shown.keys() == real.keys()
    assert {k: v for k, v in shown.items() if k not in measured | {"tests"}} == {
        k: v for k, v in real.items() if k not in measured | {"tests"}}
    for shown_test, real_test in zip(shown["tests"], real["tests"], strict=False):
        assert shown_test.keys() == real_test.keys()
        assert {k: v for k, v in shown_test.items() if k not in measured} == {
            k: v for k, v in real_test.items() if k not in measured}


def test_task_file_loads_and_runs(tmp_path: Path, engine: Engine) -> None:
    values = rb.json_values(json_block(is_task_file).text)
    tasks = load_task_file(write_jsonl(tmp_path / "my_tasks.jsonl", values))
    assert list(tasks) == [v["id"] for v in values]
    assert [t.tests.kind for t in tasks.values()] == [v["tests"]["kind"] for v in values]
    samples = read_samples(write_jsonl(tmp_path / "s.jsonl", TASK_FILE_SAMPLES), tasks)
    got = engine.evaluate(tasks, samples)
    assert [r.status.value for r in got] == ["passed", "passed", "failed", "passed"]
    assert [t.visible for t in got[1].tests] == [True, False]  # "visible": false marks a held-out case


def test_flags_are_what_an_always_equal_object_gets(engine: Engine) -> None:
    shown = json.loads("{" + json_block(is_flags).text + "}")["flags"]
    result = engine.check(load_humaneval()["HumanEval/0"], solution=ALWAYS_EQUAL)
    assert result.status.value == "failed"

    def canonical(flags: list[dict]) -> list[str]:
        return sorted(json.dumps(f, sort_keys=True) for f in flags)

    assert canonical(shown) == canonical(result.to_dict()["flags"])


def test_tests_file_lines_read_as_documented(tmp_path: Path) -> None:
    """Each shape of the README's tests file gives the asserts the README says it does."""
    from codereward.select import read_tests

    values = rb.json_values(json_block(is_tests_file).text)
    pools = read_tests(write_jsonl(tmp_path / "tests.jsonl", values), load_humaneval())
    assert pools == {
        "HumanEval/13": ["assert greatest_common_divisor(3, 7) == 1", "assert greatest_common_divisor(10, 15) == 5",
                         "assert greatest_common_divisor(4, 6) == 3", "assert greatest_common_divisor(49, 14) == 7"],
        "HumanEval/0": ["assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False",
                        "assert has_close_elements([1.0, 2.8, 3.0], 0.3) == True",
                        "assert has_close_elements([], 1.0) == False"],
    }


# -- nothing unaccounted for ---------------------------------------------------------------------------------

JSON_CHECKS = {"sample file": is_sample_file, "result line": is_result_line, "task file": is_task_file,
               "flags": is_flags, "tests file": is_tests_file, "stress file": is_stress_file,
               "pools file": is_pools_file}


def test_every_block_is_accounted_for() -> None:
    problems = []
    for block in BLOCKS:
        if block.lang not in ("bash", "python", "json"):
            problems.append(f"{block}: no runner for this language (add one to tests/test_readme.py)")
        if block.lang == "json":
            claimed = [name for name, predicate in JSON_CHECKS.items() if predicate(block)]
            if len(claimed) != 1:
                problems.append(f"{block}: claimed by {claimed or 'no'} json check (exactly one must)")
    codes = {c.code for c in COMMANDS}
    for table in (EXEMPT, COMMAND_CHECKS, SERVER_CHECKS, RUNS_AFTER):
        problems += [f"no README command {code!r} (a stale entry?)" for code in table if code not in codes]
    for marker in PYTHON_CHECKS:
        if sum(marker in b.text for b in PYTHON_BLOCKS) != 1:
            problems.append(f"PYTHON_CHECKS: {marker!r} must be in exactly one python block")
    problems += [f"{c.block}: {c.code!r} starts a server that SERVER_CHECKS does not check"
                 for c in COMMANDS if is_serve(c) and c.code not in SERVER_CHECKS]
    assert not problems, "\n".join(problems)
    assert any(c.code == "scripts/demo.sh" for c in COMMANDS)  # the parser still finds the README's first command
