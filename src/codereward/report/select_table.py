"""The terminal summary of a selection run (`codereward select`): each selector's ranked pass@k beside the
random pick's, and what the pass matrices held. Pure: summary dict (select.evaluate.summarize) -> renderable."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .numbers import percent


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}"


def selection_table(summary: dict[str, Any], out: str | None, matrix: str | None) -> Group:
    ks = sorted({k for r in [summary["random"] or {}, *(s or {} for s in summary["selectors"].values())] for k in r},
                key=lambda k: int(k.split("@")[1]))
    known = summary["random"] is not None
    table = Table(title="ranked pass@k (CodeT's estimator), %" if known else "selectors (no ground truth)",
                  title_justify="left")
    table.add_column("selector")
    for k in ks:
        table.add_column(k, justify="right")
    best = {k: max((s[k] for s in summary["selectors"].values() if s and k in s), default=None) for k in ks}
    for name, scores in summary["selectors"].items():
        cells = [Text(_pct(scores.get(k)) if scores else "-", style="bold green" if scores and best[k] is not None
                      and scores.get(k) == best[k] else "") for k in ks]
        table.add_row(escape(name), *cells)
    if known:
        table.add_row(Text("random (unbiased)", style="dim"),
                      *[Text(_pct(summary["random"].get(k)), style="dim") for k in ks])
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    facts.add_row("tasks", str(summary["tasks"]))
    facts.add_row("programs", f"{summary['programs']:,} distinct of {summary['samples']:,} samples")
    facts.add_row("tests", f"{summary['tests']:,} distinct of {summary['pool']:,} proposed, "
                           f"{summary['invalid_tests']:,} invalid")
    facts.add_row("cells", f"{summary['cells']:,}")
    if summary["test_precision"] is not None:
        facts.add_row("test precision", f"{percent(summary['test_precision'])} (share the reference passes)")
    if summary["not_executed"]:
        facts.add_row(Text("not executed", style="bold yellow"),
                      f"{summary['not_executed']} programs (sandbox errors: no verdict, left out)")
    if summary.get("seconds") is not None:
        facts.add_row("time", f"{summary['seconds']:.1f} s" + (" (matrix from the cache)" if summary.get("cached")
                                                                else ""))
    if matrix:
        facts.add_row("matrix", escape(matrix))
    if out:
        facts.add_row("rankings", escape(out))
    parts: list[Any] = [table, facts]
    if summary.get("adap"):
        parts.append(adap_table(summary["adap"]))
    return Group(*parts)


def adap_table(replay: dict[str, Any]) -> Table:
    """ADAP against fixed N in the replay: mean cost, success rate, cost per success, per task."""
    table = Table(title=f"ADAP replay: cheap score = {escape(replay['selector'])}'s ranking, verifier = ground "
                        f"truth, costs {replay['sample_cost']:g} per sample, {replay['verify_cost']:g} per check",
                  title_justify="left")
    for column in ("strategy", "cost", "success", "cost / success", "samples", "checks"):
        table.add_column(column, justify="left" if column == "strategy" else "right")
    best = min((r["cost_per_success"] for r in replay["strategies"] if r["cost_per_success"] is not None),
               default=None)
    for r in replay["strategies"]:
        per = r["cost_per_success"]
        table.add_row(r["strategy"], f"{r['cost']:.1f}", percent(r["success"]),
                      Text("-" if per is None else f"{per:.1f}", style="bold green" if per == best else ""),
                      f"{r['samples']:.1f}", f"{r['verifications']:.2f}")
    return table
