"""`codereward suite` from the command line: its help, its errors (exit 2, naming the file, line and field)
and what it writes. The README's own `suite` commands run in test_readme.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codereward.cli import app

runner = CliRunner()


def test_help_reads_like_a_man_page() -> None:
    result = runner.invoke(app, ["suite", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for words in ("Mutation score", "--strong-dataset", "--budget", "--pools", "--keep-invalid-tests",
                  "Exit status 0", "Examples"):
        assert words in result.output


def test_a_bad_pools_line_is_named(tmp_path: Path) -> None:
    pools = tmp_path / "pools.jsonl"
    pools.write_text(json.dumps({"task_id": "HumanEval/0", "solutions": ["x"]}) + "\n"
                     + json.dumps({"task_id": "HumanEval/0", "incorrect_solutions": 3}) + "\n")
    result = runner.invoke(app, ["suite", "--first", "1", "--pools", str(pools), "--no-mutation", "--no-coverage",
                                 "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 2
    assert "pools.jsonl:2:" in result.output and "(field 'incorrect_solutions')" in result.output
    assert not (tmp_path / "out.jsonl").exists()  # nothing ran, nothing half-written


@pytest.mark.parametrize("args, words", [
    (["--task", "HumanEval/999"], "unknown task id(s) HumanEval/999"),
    (["--first", "1", "--operators", "NoSuchOperator"], "unknown mutation operator(s) NoSuchOperator"),
])
def test_usage_errors_exit_2(args: list[str], words: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["suite", "--no-coverage", "-o", str(tmp_path / "o.jsonl"), *args],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert words in result.output


def test_tests_without_the_chosen_tasks_are_an_input_error(tmp_path: Path) -> None:
    tests = tmp_path / "tests.jsonl"
    tests.write_text(json.dumps({"task_id": "HumanEval/1", "test": "assert separate_paren_groups('') == []"}) + "\n")
    result = runner.invoke(app, ["suite", "--tests", str(tests), "--task", "HumanEval/0", "-o",
                                 str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "no tests for the chosen tasks" in result.output


def test_a_budget_run_writes_partial_scores_that_say_so(tmp_path: Path) -> None:
    out = tmp_path / "scores.jsonl"
    result = runner.invoke(app, ["suite", "--task", "HumanEval/2", "--budget", "1", "--max-mutants", "400",
                                 "--no-coverage", "--operators", "NumberReplacer", "--json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    line = json.loads(out.read_text())
    m = line["mutation"]
    assert m["mutants"] == m["killed"] + m["timed_out"] + m["survived"] + m["invalid"] + m["error"] + m["not_run"]
    assert {r["operator"] for r in m["mutant_results"]} == {"core/NumberReplacer"}
    # one second is enough for HumanEval/2's two NumberReplacer mutants (1.0 made 2.0, 0.0): complete, or
    # partial and saying so
    assert m["complete"] == (m["not_run"] == 0) and (m["complete"] or "budget" in m["reason"])
    assert summary["incomplete_tasks"] == ([] if m["complete"] else ["HumanEval/2"])
