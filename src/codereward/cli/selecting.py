"""`codereward select`: samples + generated tests -> pass matrices -> each selector's pick per task, with
ranked pass@k when the ground truth is known."""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError, UsageError
from ..report import progress_bar
from ..report.select_table import selection_table
from ..select.adaptive import ranked_pool, replay_many
from ..select.build import MatrixOptions, build, build_cached, matrix_inputs, work
from ..select.evaluate import summarize
from ..select.extract import CODET_LIMIT
from ..select.inputs import read_any_samples, read_tests
from ..select.matrix import MatrixSet, PassMatrix
from ..select.rankers import SELECTORS, Ranking, chosen, rank_all
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
    parse_ks,
)
from ._running import edge, load_tasks, make_engine, print_json

SELECT_EXAMPLES = """[b]Examples[/]

  codereward select --samples samples.jsonl --tests tests.jsonl
  codereward select --samples samples.jsonl --tests generations.jsonl --limit 5 --selector codet,b4 --json
  codereward select --samples codet/..._code_solution.jsonl --tests codet/..._test_case.jsonl \\
      --test-time 0.1 --truth-time 0.1 --report select.html      [dim]# CodeT's protocol on its data[/]
  codereward select --matrix samples.jsonl_matrix.npz --selector srank --k 1,5
  codereward select --matrix samples.jsonl_matrix.npz --selector codet --adap 1,10"""

MATRIX = "Pass matrix"
DEFAULT_SELECTORS = ",".join(SELECTORS)


def _selectors(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in SELECTORS]
    if unknown or not names:
        raise typer.BadParameter(f"{', '.join(unknown) or 'none given'}: choose from {', '.join(SELECTORS)}")
    return names


def _score(score: float | tuple[float, ...]) -> Any:
    def one(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return [one(x) for x in score] if isinstance(score, tuple) else one(score)


def _task_line(m: PassMatrix, rankings: dict[str, dict[str, Ranking]], sample_programs: list[str] | None,
               ) -> dict[str, Any]:
    """One output line: the task, and for each selector its pick and its ranking (programs given by the
    indices of the task's samples that are that program, in file order, when the samples are known; else by
    the program's index in the matrix)."""
    at: dict[int, list[int]] = {}
    if sample_programs is not None:
        index = {p: i for i, p in enumerate(m.programs)}
        for k, program in enumerate(sample_programs):
            at.setdefault(index[program], []).append(k)

    def ids(i: int) -> list[int]:
        return at.get(i, []) if sample_programs is not None else [i]

    line: dict[str, Any] = {"task_id": m.task_id, "programs": len(m.programs), "samples": int(m.program_counts.sum()),
                            "tests": len(m.tests), "invalid_tests": int(m.invalid.sum()), "selectors": {}}
    for name, by_task in rankings.items():
        ranking = by_task[m.task_id]
        pick = chosen(m, ranking)
        line["selectors"][name] = {
            "program": m.programs[pick] if pick is not None else None,
            "sample_indices": ids(pick) if pick is not None else [],
            "score": _score(ranking[0][1]) if ranking else None,
            "correct": bool(m.correct[pick]) if pick is not None and m.correct is not None else None,
            "ranking": [{"sample_indices": sorted(k for i in group for k in ids(i)), "score": _score(score)}
                        for group, score in ranking],
        }
    return line


def _replay(matrices: MatrixSet, rankings: dict[str, Ranking], costs: str, selector: str) -> dict[str, Any]:
    try:
        sample_cost, verify_cost = (float(x) for x in costs.split(","))
    except ValueError:
        raise typer.BadParameter(f"{costs!r}: expected SAMPLE_COST,VERIFY_COST, e.g. 1,10",
                                 param_hint="'--adap'") from None
    if any(m.correct is None for m in matrices):
        raise typer.BadParameter("the replay's verifier is the ground truth: build with --truth",
                                 param_hint="'--adap'")
    try:
        rows = replay_many([ranked_pool(m, rankings[m.task_id]) for m in matrices], sample_cost=sample_cost,
                           verify_cost=verify_cost)
    except UsageError as e:
        raise typer.BadParameter(str(e), param_hint="'--adap'") from None
    return {"selector": selector, "sample_cost": sample_cost, "verify_cost": verify_cost,
            "strategies": [{**asdict(r), "cost_per_success": r.cost_per_success if r.success else None}
                           for r in rows]}


@app.command("select", epilog=SELECT_EXAMPLES)
def select_(
    samples_file: Annotated[Path | None, typer.Option(
        "--samples", "-s", metavar="FILE.jsonl", dir_okay=False, show_default="none", rich_help_panel=TASKS,
        help="Candidate programs: human-eval samples (task_id + completion or solution) or CodeT's "
             "*_code_solution.jsonl (prompt + samples). Needed unless --matrix.")] = None,
    tests_file: Annotated[Path | None, typer.Option(
        "--tests", metavar="FILE.jsonl", dir_okay=False, show_default="none", rich_help_panel=TASKS,
        help="Generated tests, one JSON object per line: task_id with [b]test[/] (an assert), [b]tests[/] (a "
             "list), [b]input[/]+[b]output[/] (Python source), [b]args[/]+[b]expected[/] (JSON values) or "
             "[b]generation[/] (raw model output continuing \"assert \": CodeT's extraction); or CodeT's "
             "*_test_case.jsonl lines (prompt + samples). Needed unless --matrix.")] = None,
    matrix_file: Annotated[Path | None, typer.Option(
        "--matrix", metavar="FILE.npz", dir_okay=False, show_default="none", rich_help_panel=MATRIX,
        help="Rank a saved pass-matrix file instead of building one (no samples, tests or sandbox needed).")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=0, rich_help_panel=MATRIX,
        help="Asserts kept per test generation (CodeT's test_case_limit; 0: all).")] = CODET_LIMIT,
    test_time: Annotated[float, typer.Option(
        "--test-time", min=0.001, metavar="SECONDS", rich_help_panel=MATRIX,
        help="Time limit of each program on each test (CodeT: 0.1). A test past it fails that cell; the "
             "program's other tests still run.")] = 0.1,
    truth: Annotated[bool, typer.Option(
        "--truth/--no-truth", rich_help_panel=MATRIX,
        help="Also run every program against the task's own tests, for ranked pass@k.")] = True,
    truth_time: Annotated[float | None, typer.Option(
        "--truth-time", min=0.001, metavar="SECONDS", rich_help_panel=MATRIX, show_default="the task's own limit",
        help="Time limit of that run per program (CodeT's protocol: 0.1).")] = None,
    fresh: Annotated[bool, typer.Option(
        "--fresh", rich_help_panel=MATRIX,
        help="Run every test in a fresh process (no program state carries from one test to the next; "
             "one execution per cell, much slower).")] = False,
    no_outputs: Annotated[bool, typer.Option(
        "--no-outputs", rich_help_panel=MATRIX,
        help="Do not record what each test's call returned (mbr_exec, srank and consensus need it).")] = False,
    save_matrix: Annotated[Path | None, typer.Option(
        "--save-matrix", metavar="FILE.npz", dir_okay=False, rich_help_panel=MATRIX,
        show_default="SAMPLES_matrix.npz beside the samples file",
        help="Where to write the pass matrices (numpy .npz: see the README for its fields).")] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", metavar="DIR", file_okay=False, rich_help_panel=MATRIX, show_default="no cache",
        help="Keep built matrices here by their content (programs, tests, options, version) and reuse them.")] = None,
    selector: Annotated[str, typer.Option(
        "--selector", metavar="NAME,...", rich_help_panel=OUTPUT,
        help=f"Selectors to run, comma-separated: {', '.join(SELECTORS)}.")] = DEFAULT_SELECTORS,
    k: Annotated[str, typer.Option(
        "--k", metavar="K,K,...", callback=parse_ks, rich_help_panel=OUTPUT,
        help="Ranked pass@k to report.")] = "1,2,10",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="PATH", dir_okay=False, rich_help_panel=OUTPUT,
        show_default="SAMPLES_selected.jsonl (or MATRIX_selected.jsonl)",
        help="One JSON line per task: each selector's chosen program, its samples, score, correctness and "
             "ranking.")] = None,
    adap: Annotated[str | None, typer.Option(
        "--adap", metavar="SAMPLE_COST,VERIFY_COST", rich_help_panel=OUTPUT, show_default="none",
        help="Replay ADAP (adaptive generate-rank-verify) over the recorded samples, the first selector's "
             "ranking as the cheap score and the ground truth as the verifier, against drawing a fixed N "
             "and verifying in rank order: expected cost and success rate of each (needs --truth).")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", metavar="FILE.html", dir_okay=False, rich_help_panel=OUTPUT, show_default="none",
        help="An HTML report: selectors compared, a table per task and pass-matrix heatmaps.")] = None,
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    workers: WorkersOpt = None, isolation: IsolationOpt = Isolation.bwrap, json_out: JsonOpt = False,
) -> None:
    """Pick one program per task from many samples, using tests the model generated itself.

    Builds the [b]pass matrix[/] of each task: every distinct program against every distinct generated
    test, in the sandbox, one execution per program, a time limit per test (a test that hangs fails that
    cell and the program's other tests still run; a program's module state carries from one test to the
    next, as in CodeT's harness, unless [b]--fresh[/]). A generated test that raises on its own or hangs for
    every program and the task's reference is [i]invalid[/] and counts for no one. Each selector then ranks
    the programs: [b]codet[/] (dual agreement), [b]b4[/], [b]maxpass[/], [b]mbr_exec[/], [b]srank[/],
    [b]pagerank[/], [b]consensus[/], [b]random[/] (README: formulas and defaults). With the ground truth
    ([b]--truth[/], on by default) the summary gives each selector's ranked pass@k (CodeT's estimator)
    beside the random pick's. Exit status 0 when the run completed, 1 when the sandbox cannot start, 2 on a
    usage or input error (naming file, line and field).
    """
    names = _selectors(selector)
    started = time.perf_counter()
    cached = False
    sample_programs: dict[str, list[str]] = {}  # each task's samples' programs, in file order
    with edge():
        if matrix_file is not None:
            if samples_file is not None or tests_file is not None:
                raise typer.BadParameter("rank a saved matrix or build one, not both",
                                         param_hint="'--matrix' / '--samples'")
            matrices = MatrixSet.load(matrix_file)
            matrix_path: Path = matrix_file
            out = out or Path(f"{matrix_file}_selected.jsonl")
        else:
            if samples_file is None or tests_file is None:
                raise typer.BadParameter("give --samples and --tests (or a saved --matrix)",
                                         param_hint="'--samples' / '--tests'")
            tasks = load_tasks(dataset, data_file, tasks_file)
            samples = read_any_samples(samples_file, tasks)
            if not samples:
                raise InputError("no samples in the file", source=str(samples_file))
            pools = read_tests(tests_file, tasks, limit or None)
            inputs = matrix_inputs(tasks, samples, pools)
            for s in samples:
                sample_programs.setdefault(s.task_id, []).append(s.program(tasks[s.task_id]))
            opts = MatrixOptions(test_time=test_time, values=not no_outputs, fresh=fresh, ground_truth=truth,
                                 truth_time=truth_time)
            out = out or Path(f"{samples_file}_selected.jsonl")
            matrix_path = save_matrix or Path(f"{samples_file}_matrix.npz")
            engine = make_engine(workers, isolation, audit=False, dedupe=False)
            with engine, progress_bar(work(inputs, opts), err, show=sys.stdout.isatty(), label="pass matrix") as step:
                if cache_dir is not None:
                    matrices, _, cached = build_cached(engine, inputs, opts, cache_dir, lambda _n: step())
                else:
                    matrices = build(engine, inputs, opts, lambda _n: step())
            matrices.save(matrix_path)
        try:
            rankings = rank_all(matrices.matrices, names)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="'--selector'") from None
        summary = summarize(matrices.matrices, rankings, k)  # type: ignore[arg-type]  # parse_ks gives a tuple
        if adap is not None:
            summary["adap"] = _replay(matrices, rankings[names[0]], adap, names[0])
        summary.update(seconds=time.perf_counter() - started, cached=cached)
        try:
            with out.open("w", encoding="utf-8") as f:
                for m in matrices:
                    f.write(json.dumps(_task_line(m, rankings, sample_programs.get(m.task_id))) + "\n")
        except OSError as e:
            raise InputError(f"cannot write rankings: {e.strerror or e}", source=str(out)) from None
        if report is not None:
            from ..report.select_html import render

            report.write_text(render(matrices.matrices, summary["selectors"], rankings=rankings,
                                     title=f"codereward select: {matrix_path.name}"), encoding="utf-8")
    if json_out:
        print_json({**summary, "out": str(out), "matrix": str(matrix_path),
                    "report": str(report) if report else None})
    else:
        console.print(selection_table(summary, str(out), str(matrix_path)))
