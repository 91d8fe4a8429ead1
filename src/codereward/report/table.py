"""Rich renderings of results for the terminal: a check's tests, a run's summary, the demo's samples.

Pure functions from library data (Result, `metrics.summarize` output) to rich renderables; the CLI decides
where they are printed. Nothing here reads candidate output: only Result fields are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..results import Outcome, Result, Status, TestResult
from .numbers import percent

OUTCOME_STYLE = {
    Outcome.PASSED: "green",
    Outcome.WRONG_ANSWER: "red",
    Outcome.RUNTIME_ERROR: "magenta",
    Outcome.TIME_LIMIT: "yellow",
    Outcome.MEMORY_LIMIT: "yellow",
    Outcome.OUTPUT_LIMIT: "yellow",
    Outcome.COMPILE_ERROR: "bright_red",
    Outcome.SKIPPED: "dim",
    Outcome.INVALID: "dim italic",
}
MAX_BROKEN = 10  # broken tasks named in the summary table (each once, however many samples it has)
STATUS_STYLE = {Status.PASSED: "bold green", Status.FAILED: "bold red", Status.ERROR: "bold yellow on red"}


def _outcome(outcome: Outcome | str) -> Text:
    outcome = Outcome(outcome)
    return Text(outcome.value, style=OUTCOME_STYLE[outcome])


def _seconds(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def first_failure(result: Result) -> TestResult | None:
    """The first test that did not pass (what a reader looks at first), or None."""
    return next((t for t in result.tests if t.outcome is not Outcome.PASSED), None)


def tests_table(result: Result) -> Table:
    """One row per test of one execution: name, coloured outcome, time, detail."""
    table = Table(title=f"{escape(result.task_id)}: {result.n_passed}/{result.n_tests} tests passed",
                  title_justify="left", expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("test", overflow="fold")
    table.add_column("outcome", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for i, t in enumerate(result.tests, 1):
        name = Text(t.name)
        if not t.visible:
            name.append(" (hidden)", style="dim")
        table.add_row(str(i), name, _outcome(t.outcome), _seconds(t.time), Text(t.detail))
    return table


def status_line(result: Result) -> Text:
    """`status: failed  reward 0.0  3/4 tests  12.3 ms  14 MB` (plus the reason of an infra error)."""
    line = Text("status: ")
    line.append(result.status.value, style=STATUS_STYLE[result.status])
    reward = "None" if result.reward is None else f"{result.reward:g}"
    line.append(f"  reward {reward}  {result.n_passed}/{result.n_tests} tests  {_seconds(result.time)}"
                f"  {result.memory_kb / 1024:.0f} MB peak")
    if result.reason:
        line.append(f"\nreason: {result.reason}", style="yellow")
    return line


def summary_table(summary: dict[str, Any], out: str | None = None) -> Table:
    """pass@k, status counts, outcome counts and throughput of a `metrics.summarize(...)` dict."""
    table = Table(title="Summary", title_justify="left", show_header=False, expand=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    table.add_row("samples", str(summary["samples"]))
    table.add_row("tasks", str(summary["tasks"]))
    table.add_section()
    if summary["pass_at_k"]:
        for name, value in summary["pass_at_k"].items():
            table.add_row(name, Text(f"{value:.4f}", style="bold cyan"))
    else:
        table.add_row("pass@k", Text("n/a (no k <= samples per task)", style="dim"))
    table.add_section()
    for status in Status:
        n = summary["status"].get(status.value, 0)
        table.add_row(Text(status.value, style=STATUS_STYLE[status] if n else "dim"), str(n))
    for cause, n in sorted(summary.get("errors", {}).items()):
        table.add_row(Text(f"  error: {cause}", style="yellow"), str(n))
    for task_id, why in list(summary.get("broken_tasks", {}).items())[:MAX_BROKEN]:
        table.add_row(Text(f"  broken task {task_id}", style="yellow"), Text(why, overflow="fold"))
    if len(summary.get("broken_tasks", {})) > MAX_BROKEN:
        table.add_row(Text(f"  ... {len(summary['broken_tasks']) - MAX_BROKEN} more broken tasks", style="yellow"),
                      "(--json lists them all)")
    if summary["outcomes"]:
        table.add_section()
        for outcome in Outcome:
            if outcome.value in summary["outcomes"]:
                table.add_row(Text(f"tests {outcome.value}", style=OUTCOME_STYLE[outcome]),
                              str(summary["outcomes"][outcome.value]))
    if "reward" in summary:
        table.add_section()
        w = summary["reward"]
        table.add_row("reward mean", f"{w['mean']:.4f}")
        table.add_row("  min / max", f"{w['min']:g} / {w['max']:g}")
        table.add_row("  partial / negative", f"{w['partial']} / {w['negative']} of {w['scored']}")
    if "audit" in summary:
        table.add_section()
        a = summary["audit"]
        table.add_row(Text("audit: high-severity flags", style="bold red" if a["flagged_high"] else "dim"),
                      f"{a['flagged_high']} ({percent(a['flag_rate'])})")
    if "elapsed_s" in summary:
        table.add_section()
        table.add_row("elapsed", f"{summary['elapsed_s']:.2f} s")
        rate = summary.get("samples_per_s")
        table.add_row("throughput", "n/a" if rate is None else f"{rate:.1f} samples/s")
    if summary.get("duplicates"):
        table.add_row(Text("duplicates (verdict shared)", style="dim"), str(summary["duplicates"]))
    if out is not None:
        table.add_section()
        table.add_row("results", Text(out, overflow="fold"))
    return table


def demo_table(rows: Sequence[tuple[str, Result]]) -> Table:
    """The bundled bad samples: label, task, status, the first failing test, and the audit's high flags."""
    table = Table(title="Bundled wrong and hacking samples", title_justify="left", expand=False)
    table.add_column("sample", overflow="fold")
    table.add_column("task", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("first failing test", overflow="fold")
    table.add_column("audit (high)", overflow="fold", style="red")
    for label, result in rows:
        bad = first_failure(result)
        if bad is None:
            why = Text(result.reason or "-", style="yellow" if result.reason else "")
        else:
            why = Text.assemble(_outcome(bad.outcome), " ", Text(" ".join(bad.detail.split())))
        high = sorted({f.category.value for f in result.flags or [] if f.severity.value == "high"})
        table.add_row(escape(label), escape(result.task_id),
                      Text(result.status.value, style=STATUS_STYLE[result.status]), why,
                      Text(", ".join(high) or ("-" if result.flags is not None else "off"),
                           style="" if high else "dim"))
    return table


def demo_report(summary: dict[str, Any], rows: Sequence[tuple[str, Result]], canonical: tuple[int, int],
                out: str | None = None) -> Group:
    """What `codereward demo` prints: the summary, the canonical pass count, then the bad samples."""
    passed, total = canonical
    style = "bold green" if passed == total else "bold red"
    line = Text.assemble("canonical solutions passed: ", Text(f"{passed}/{total}", style=style))
    caught = sum(not r.passed for _, r in rows)
    style = "bold green" if caught == len(rows) else "bold red"
    line2 = Text.assemble("bundled bad samples rejected: ", Text(f"{caught}/{len(rows)}", style=style))
    return Group(summary_table(summary, out), line, line2, Text(""), demo_table(rows))


def demo_json(summary: dict[str, Any], rows: Sequence[tuple[str, Result]], canonical: tuple[int, int],
              out: str | None = None) -> dict[str, Any]:
    """`codereward demo --json`: the same report as one JSON-ready dict."""
    bundled = []
    for label, r in rows:
        bad = first_failure(r)
        first = {"name": bad.name, "outcome": bad.outcome.value, "detail": bad.detail} if bad else None
        bundled.append({"label": label, "task_id": r.task_id, "status": r.status.value, "reward": r.reward,
                        "reason": r.reason, "first_failure": first})
    passed, total = canonical
    return {"summary": summary, "canonical": {"samples": total, "passed": passed}, "bundled": bundled, "out": out}


@contextmanager
def progress_bar(total: int, console: Console, show: bool = True,
                 label: str = "evaluating") -> Iterator[Callable[[], None]]:
    """A transient progress bar on `console` when `show` and it is a terminal; yields `advance()`.

    `advance` is safe to call from worker threads (rich's Progress locks its state).
    """
    if not (show and console.is_terminal):
        yield lambda: None
        return
    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
