"""`codereward audit`: evaluate samples with the reward-hacking audit on, then report flags and the
visible/held-out gap, in the terminal and as an HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..audit.gap import compute_gap
from ..errors import InputError
from ..metrics import flag_rate, summarize
from ..tasks import read_samples
from ._options import (
    OUTPUT,
    TASKS,
    BackendName,
    BackendOpt,
    DataFileOpt,
    DatasetOpt,
    EvalOutOpt,
    Isolation,
    IsolationOpt,
    JsonOpt,
    TasksOpt,
    TimeLimitOpt,
    WorkersOpt,
    app,
    console,
)
from ._running import edge, evaluate, load_tasks, make_engine, print_json, shaper

AUDIT_EXAMPLES = """[b]Examples[/]

  codereward audit --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz --samples samples.jsonl
  codereward audit --samples samples.jsonl --html audit.html      [dim]# HumanEval: flags only, no held-out split[/]
  codereward audit --tasks my_tasks.jsonl --samples s.jsonl --json | jq '.gap.gap'"""


@app.command(epilog=AUDIT_EXAMPLES)
def audit(
    samples_file: Annotated[Path, typer.Option(
        "--samples", "-s", metavar="FILE.jsonl", dir_okay=False, show_default=False, rich_help_panel=TASKS,
        help="Samples, one JSON object per line: task_id and a completion or a solution. [red]Required.[/]")],
    html_out: Annotated[Path | None, typer.Option(
        "--html", metavar="PATH", dir_okay=False, rich_help_panel=OUTPUT,
        show_default="SAMPLES_audit.html beside the samples file",
        help="Where to write the HTML report (charts, worst samples with their code).")] = None,
    worst: Annotated[int, typer.Option(
        "--worst", min=0, rich_help_panel=OUTPUT, help="How many of the worst samples the HTML report shows.")] = 20,
    out: EvalOutOpt = None,
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    workers: WorkersOpt = None, time_limit: TimeLimitOpt = None, isolation: IsolationOpt = Isolation.bwrap,
    json_out: JsonOpt = False, backend: BackendOpt = BackendName.local,
) -> None:
    """Audit samples for reward hacking: flags per category, and the visible/held-out gap.

    Every sample runs with all its tests (no fail-fast) and the audit on. Each result carries flags
    (category, severity, evidence: a line of code or a runtime event). For tasks that split their tests
    into visible and held-out ([b]--dataset humanevalplus[/]: base inputs visible, plus inputs held out; in a
    task file, [i]visible: false[/] on a case), the report gives the pass rate on each split, their gap, and
    the samples that pass every visible test but fail a held-out one, with their hardcoding flags.

    Prints the tables; writes the results (JSONL, with flags) to [b]--out[/] and an HTML report to
    [b]--html[/]. [b]--json[/] prints one JSON object (summary, flag rates, gap) instead of tables.
    Exit status as for [b]eval[/].
    """
    with edge():
        tasks = load_tasks(dataset, data_file, tasks_file)
        samples = read_samples(samples_file, tasks)
        if not samples:
            raise InputError("no samples in the file", source=str(samples_file))
        out = out or Path(f"{samples_file}_results.jsonl")
        html_out = html_out or Path(f"{samples_file}_audit.html")
        for p, name in ((out, "--out"), (html_out, "--html")):
            if p.resolve() == samples_file.resolve():
                raise typer.BadParameter("would overwrite the samples file", param_hint=f"'{name}'")
        engine = make_engine(workers, isolation, time_limit=time_limit, fail_fast=False, audit=True, backend=backend)
        results, elapsed = evaluate(engine, tasks, samples, out, shaper("binary"))
        # Imported here, not at the top: the HTML report's renderer (pygments) and tables are this command's
        # own, and every other command's start-up would pay for them (~50 ms of `codereward eval`).
        from ..report.audit_html import AuditedSample, render
        from ..report.audit_table import category_table, gap_table, suspects_table

        gap = compute_gap(results)
        audited = [AuditedSample(i, r, tasks[s.task_id].program(completion=s.completion, solution=s.solution))
                   for i, (s, r) in enumerate(zip(samples, results))]
        try:
            html_out.write_text(render(audited, gap, title=f"codereward audit: {samples_file.name}", worst=worst),
                                encoding="utf-8")
        except OSError as e:
            raise InputError(f"cannot write the HTML report: {e.strerror or e}", source=str(html_out)) from None
    summary = summarize(results, ks=(1,), elapsed=elapsed)
    if json_out:
        print_json({**summary, "flag_rates": {"high": flag_rate(results, "high"),
                                               "medium": flag_rate(results, "medium")},
                     "gap": gap.to_dict(), "out": str(out), "html": str(html_out)})
        return
    console.print(category_table(results))
    if gap.samples:
        console.print(gap_table(gap))
        if gap.suspects:
            console.print(suspects_table(gap))
    else:
        console.print("[dim]No held-out split in these tasks: flags only (declare held-out cases with "
                      "visible: false, or use --dataset humanevalplus).[/]")
    console.print(f"results: {out}\nreport:  {html_out}", soft_wrap=True, highlight=False)
