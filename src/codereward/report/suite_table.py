"""The terminal summary of `codereward suite`: the suites' mean scores and what stands behind them. Pure:
summary dict (suites.summarize) -> renderable."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text


def _pct(value: float | None, scale: float = 100.0) -> str:
    return "-" if value is None else f"{value * scale:.1f}%"


def suite_table(summary: dict[str, Any], out: str | None) -> Group:
    table = Table(title="test-suite quality (means over tasks)", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("over", style="dim")
    table.add_row("precision", _pct(summary["precision"]), "share of tests the reference passes")
    if summary["mutants"]:
        killed = summary["killed"] + summary["timed_out"]
        table.add_row("mutation score", _pct(summary["mutation_score"]),
                      f"{killed:,} killed ({summary['timed_out']:,} by timeout) of "
                      f"{killed + summary['survived']:,} scored mutants")
        if "equivalent" in summary:
            table.add_row("  without likely equivalents", _pct(summary["mutation_score_nonequivalent"]),
                          f"{summary['equivalent']:,} survivors the strong suite cannot kill either")
            table.add_row("  with the strong suite", _pct(summary["mutation_score_with_strong"]),
                          f"{len(summary['strong_kills_nothing_more'])} tasks where it kills nothing more")
    if summary["line_coverage"] is not None:
        table.add_row("line coverage", _pct(summary["line_coverage"], 1.0), "of the reference's statements")
        table.add_row("branch coverage", _pct(summary["branch_coverage"], 1.0), "of its branch destinations")
    pools = summary.get("pools")
    if pools:
        table.add_row("TPR", _pct(pools["tpr"]), f"{pools['tpr_problems']} problems with correct programs")
        table.add_row("TNR (SAGA's DR)", _pct(pools["tnr"]), f"{pools['tnr_problems']} problems with incorrect ones")
        table.add_row("verifier accuracy", _pct(pools["verifier_accuracy"]),
                      "problems whose suite rejects every incorrect and accepts every correct program")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    facts.add_row("tasks", f"{summary['tasks']:,} ({summary['tests']:,} tests)")
    if summary["mutants"]:
        facts.add_row("mutants", f"{summary['mutants']:,}: {summary['invalid']:,} invalid (do not load), "
                                 f"{summary['unreachable']:,} unreachable from the entry point, "
                                 f"{summary['error']:,} sandbox errors, {summary['not_run']:,} not run")
    if summary["incomplete_tasks"]:
        facts.add_row(Text("partial", style="bold yellow"),
                      f"{len(summary['incomplete_tasks'])} tasks: the budget ran out (their scores cover what ran)")
    if summary["coverage_errors"]:
        facts.add_row(Text("coverage", style="bold yellow"), f"not measured on {summary['coverage_errors']} tasks")
    if pools and pools["errors"]:
        facts.add_row(Text("pools", style="bold yellow"), f"{pools['errors']} programs could not run (left out)")
    if summary.get("seconds") is not None:
        facts.add_row("time", f"{summary['seconds']:.1f} s")
    if out:
        facts.add_row("scores", escape(out))
    return Group(table, facts)
