"""`codereward select` as a user runs it: a real process, real sandboxes, HumanEval tasks.

What users rely on: every tests-file shape they have is read, a bad line is named (file, line, field) before
any sandbox work starts, --json prints one object, a built matrix is saved and can be ranked again without
samples or sandboxes, the cache answers a rebuild, and exit statuses say what went wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_cli import one_json, run

from codereward.select import MatrixSet

HAS_CLOSE = ("    return any(abs(x - y) < threshold\n"
             "               for i, x in enumerate(numbers) for y in numbers[i + 1:])\n")
GCD = "    while b:\n        a, b = b, a % b\n    return a\n"
SAMPLES = [
    {"task_id": "HumanEval/0", "completion": HAS_CLOSE},
    {"task_id": "HumanEval/0", "completion": "    return False\n"},
    {"task_id": "HumanEval/0", "completion": HAS_CLOSE},
    {"task_id": "HumanEval/13", "completion": "    return 1\n"},
    {"task_id": "HumanEval/13", "completion": GCD},
    {"task_id": "HumanEval/13", "completion": GCD},
]
TESTS = [
    {"task_id": "HumanEval/0", "test": "assert has_close_elements([1.0, 1.05], 0.1) == True"},
    {"task_id": "HumanEval/0", "args": [[1.0, 3.0], 0.5], "expected": False},
    {"task_id": "HumanEval/13", "input": "12, 18", "output": "6"},
    {"task_id": "HumanEval/13", "tests": ["assert greatest_common_divisor(7, 7) == 7",
                                          "assert greatest_common_divisor(1, 9) == 1"]},
    # A raw generation, CodeT's way: the part not naming the entry point and the one that does not compile go.
    {"task_id": "HumanEval/13", "generation": "greatest_common_divisor(9, 3) == 3\nassert print(1)\n"
                                              "assert greatest_common_divisor(2, 4) == (\n"},
]


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "samples.jsonl", SAMPLES), write(tmp_path / "tests.jsonl", TESTS)


def test_select_ranks_saves_and_summarises(files: tuple[Path, Path]) -> None:
    samples, tests = files
    p = run("select", "--samples", samples, "--tests", tests, "--json", timeout=120)
    assert p.returncode == 0, p.stderr
    summary = one_json(p.stdout)
    assert (summary["tasks"], summary["samples"], summary["programs"], summary["tests"]) == (2, 6, 4, 6)
    assert summary["selectors"]["codet"] == {"pass@1": 1.0, "pass@2": 1.0, "pass@10": 1.0}
    assert summary["random"]["pass@1"] == pytest.approx((2 / 3 + 2 / 3) / 2)
    lines = {r["task_id"]: r for r in map(json.loads, Path(summary["out"]).read_text().splitlines())}
    pick = lines["HumanEval/13"]["selectors"]["codet"]
    assert pick["sample_indices"] == [1, 2] and pick["correct"] is True  # the task's 2nd and 3rd samples
    assert pick["program"].endswith(GCD)
    saved = MatrixSet.load(summary["matrix"])
    [m13] = [m for m in saved if m.task_id == "HumanEval/13"]
    assert m13.tests == ["assert greatest_common_divisor(12, 18) == 6", "assert greatest_common_divisor(7, 7) == 7",
                         "assert greatest_common_divisor(1, 9) == 1", "assert greatest_common_divisor(9, 3) == 3"]
    assert np.array_equal(m13.passed.sum(axis=1), [1, 4])  # return 1 passes (1, 9) only


def test_a_saved_matrix_ranks_again_without_samples_or_sandbox(files: tuple[Path, Path], tmp_path: Path) -> None:
    samples, tests = files
    matrix = tmp_path / "m.npz"
    assert run("select", "--samples", samples, "--tests", tests, "--save-matrix", matrix, "--json",
               timeout=120).returncode == 0
    p = run("select", "--matrix", matrix, "--selector", "maxpass,random", "--k", "1", "--isolation", "none",
            "--json")
    assert p.returncode == 0, p.stderr
    summary = one_json(p.stdout)
    assert list(summary["selectors"]) == ["maxpass", "random"] and summary["selectors"]["maxpass"]["pass@1"] == 1.0
    assert summary["out"] == f"{matrix}_selected.jsonl"


def test_the_cache_answers_a_second_build(files: tuple[Path, Path], tmp_path: Path) -> None:
    samples, tests = files
    args = ["select", "--samples", samples, "--tests", tests, "--cache-dir", tmp_path / "cache", "--json"]
    first, second = (one_json(run(*args, timeout=120).stdout) for _ in range(2))
    assert (first["cached"], second["cached"]) == (False, True)
    assert first["selectors"] == second["selectors"]


def test_report_and_adap(files: tuple[Path, Path], tmp_path: Path) -> None:
    samples, tests = files
    p = run("select", "--samples", samples, "--tests", tests, "--adap", "1,10", "--report", tmp_path / "r.html",
            "--json", timeout=120)
    assert p.returncode == 0, p.stderr
    adap = one_json(p.stdout)["adap"]
    strategies = {s["strategy"]: s for s in adap["strategies"]}
    assert list(strategies)[0] == "adap" and "fixed-all" in strategies
    # Verifying every sample in rank order always finds a correct one here: each task has one.
    assert strategies["fixed-all"]["success"] == 1.0 and strategies["adap"]["success"] == 1.0
    page = (tmp_path / "r.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and "HumanEval/13" in page


@pytest.mark.parametrize(("line", "says"), [
    ({"task_id": "HumanEval/13"}, "field 'test'"),
    ({"task_id": "HumanEval/999", "test": "assert True"}, "HumanEval/999"),
    ({"task_id": "HumanEval/13", "tests": "assert True"}, "'tests' must be a list of strings"),
    ({"task_id": "HumanEval/13", "args": [1], "output": "1"}, "'args' must be a list"),
    ({"prompt": "def f():\n    pass\n", "samples": ["f() == 1"]}, "names no task"),
])
def test_a_bad_tests_line_is_named_before_any_work(files: tuple[Path, Path], line: dict, says: str) -> None:
    samples, tests = files
    write(tests, [*TESTS, line])
    p = run("select", "--samples", samples, "--tests", tests, "--json")
    assert p.returncode == 2, p.stderr
    assert f"{tests}:{len(TESTS) + 1}:" in p.stderr and says in p.stderr, p.stderr
    assert not Path(f"{samples}_matrix.npz").exists()  # nothing was built, nothing half-written


@pytest.mark.parametrize(("args", "says"), [
    (["--selector", "codet,oracle"], "oracle"),
    (["--adap", "cheap"], "SAMPLE_COST,VERIFY_COST"),
    (["--no-truth", "--adap", "1,10"], "--truth"),
])
def test_usage_errors_exit_2(files: tuple[Path, Path], args: list[str], says: str) -> None:
    samples, tests = files
    p = run("select", "--samples", samples, "--tests", tests, *args, timeout=120)
    assert p.returncode == 2 and says in p.stderr, p.stderr


def test_select_needs_samples_and_tests_or_a_matrix() -> None:
    p = run("select")
    assert p.returncode == 2 and "--samples" in p.stderr


def test_help_reads_like_a_man_page() -> None:
    p = run("select", "--help")
    assert p.returncode == 0
    for word in ("--samples", "--tests", "--matrix", "--test-time", "--selector", "--adap", "--report", "invalid"):
        assert word in p.stdout, word
