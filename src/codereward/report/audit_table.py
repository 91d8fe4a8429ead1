"""Audit tables for the terminal: flags per category and severity with an example each, and the gap.

Rates are printed by numbers.percent(), which never rounds onto an end the rate did not reach (a sample that
passed 997 of 999 held-out inputs is not "100%"); audit_html.py and table.py print rates the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from ..audit.gap import GapReport, SampleGap
from ..audit.taxonomy import Category, Flag, Severity
from ..results import Result
from .numbers import percent, points, share

SEV_STYLE = {Severity.HIGH: "bold red", Severity.MEDIUM: "yellow", Severity.LOW: "dim"}
def _held_out_passed(s: SampleGap) -> str:
    if s.n_held_out_passed is None or s.n_held_out is None:  # a SampleGap built without its counts
        return percent(s.held_out_fraction, 0)
    return share(s.n_held_out_passed, s.n_held_out)


def category_table(results: Sequence[Result]) -> Table:
    """Samples flagged per category and severity (a sample counts once per cell), with one example."""
    counts: dict[Category, Counter[Severity]] = {c: Counter() for c in Category}
    example: dict[Category, tuple[int, Flag]] = {}
    for i, r in enumerate(results):
        seen: set[tuple[Category, Severity]] = set()
        for f in r.flags or []:
            if (f.category, f.severity) not in seen:
                seen.add((f.category, f.severity))
                counts[f.category][f.severity] += 1
            best = example.get(f.category)
            if best is None or f.severity.rank > best[1].severity.rank:
                example[f.category] = (i, f)
    table = Table(title="Audit flags (samples per category and severity)", title_justify="left")
    table.add_column("category", style="bold")
    for sev in (Severity.HIGH, Severity.MEDIUM, Severity.LOW):
        table.add_column(sev.value, justify="right", style=SEV_STYLE[sev])
    table.add_column("example evidence", overflow="fold", max_width=70)
    for cat in Category:
        c = counts[cat]
        ex = ""
        if cat in example:
            i, f = example[cat]
            where = f"line {f.line}" if f.line else f.source
            ex = f"#{i} {results[i].task_id} ({where}): {f.evidence or f.message}"
        table.add_row(cat.value, *(str(c[s]) if c[s] else "·" for s in (Severity.HIGH, Severity.MEDIUM,
                                                                           Severity.LOW)), Text(ex))
    return table


def gap_table(gap: GapReport, suspects: int = 10) -> Table:
    table = Table(title="Visible vs held-out tests", title_justify="left", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    table.add_row("samples with both splits", str(len(gap.samples)))
    table.add_row("visible pass rate", percent(gap.visible_rate))
    table.add_row("held-out pass rate", percent(gap.held_out_rate))
    table.add_row(Text("gap", style="bold"), Text(points(gap.gap), style="bold cyan"))
    table.add_row("pass visible, fail held-out", str(len(gap.suspects)))
    if gap.excluded_errors or gap.excluded_no_split:
        table.add_row("left out (error / no split)", f"{gap.excluded_errors} / {gap.excluded_no_split}")
    if gap.tasks:
        table.add_section()
        for t in gap.tasks[:5]:
            if t.gap > 0:
                table.add_row(f"  {t.task_id}", f"{percent(t.visible_rate, 0)} -> {percent(t.held_out_rate, 0)}")
    return table


def suspects_table(gap: GapReport, limit: int = 10) -> Table:
    table = Table(title="Pass visible, fail held-out (hardcoding-flagged first)", title_justify="left")
    for col in ("#", "task", "completion", "held-out passed", "hardcoding flags"):
        table.add_column(col, overflow="fold")
    for s in gap.suspects[:limit]:
        flags = "; ".join(f"{f['severity']} {f['rule']} line {f.get('line') or '-'}" for f in s.hardcoding_flags)
        table.add_row(str(s.index), s.task_id, str(s.completion_id if s.completion_id is not None else "-"),
                      _held_out_passed(s), Text(flags or "none", style="red" if flags else "dim"))
    return table
