"""Pass matrices and selectors: codereward vs CodeT's own code, on CodeT's data, in the same run.

    .venv/bin/python bench/pass_matrix.py --codet /path/to/CodeT/CodeT        # the full comparison (~12 min)
    .venv/bin/python bench/pass_matrix.py --codet ... --tasks 20               # the first 20 tasks
    .venv/bin/python bench/pass_matrix.py                                      # codereward alone (no anchor)
    .venv/bin/python bench/pass_matrix.py --json figures.json

Anchor: microsoft/CodeT's own execution code (its `CodeT/` folder: `main.py`, `src/`; fetch it, commit none
of it), run by bench/_codet_run.py on CodeT's released HumanEval data: `evaluate_with_test_code` (the ground
truth: one process per program, 0.1 s) and `evaluate_with_test_cases` (the dual execution: one process per
program, a 0.1 s alarm per assert, 5 asserts per generation), then its DataManager and DualAgreement and
its ranked pass@k. Us: `select.build` with the same protocol (test_time 0.1, truth_time 0.1) on
Engine(workers=2), full isolation: every distinct program x distinct test plus the ground truth.

Prints: the wall times and their ratio; cell agreement with CodeT's execution, every disagreement counted by
kind; CodeT's published numbers, CodeT's code's numbers this run, ours, and ours on CodeT's own cells; every
selector over our matrices with its time; the B4 constructions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from copy import deepcopy
from pathlib import Path

import numpy as np
from _report import dump_json

from codereward import Engine, Outcome, load_humaneval
from codereward.sandboxed.records import Cause
from codereward.select.build import MatrixOptions, build
from codereward.select.codet import codet_inputs
from codereward.select.evaluate import random_pass_at_k, ranked_pass_at_k, test_precision
from codereward.select.matrix import OUTCOME_CODES, MatrixSet
from codereward.select.rankers import SELECTORS, b4, codet

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "codet"
PROTOCOL = MatrixOptions(test_time=0.1, truth_time=0.1)
GOLDEN = {"codet": {"pass@1": 36.77, "pass@2": 44.73, "pass@10": 59.37},
          "random": {"pass@1": 22.12, "pass@10": 50.38, "pass@100": 73.78},
          "b4": {"pass@1": 42.56}, "b4_unique": {"pass@1": 40.69}}
CAUSES = list(Cause)


def pct(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(v * 100, 2) for k, v in scores.items()}


def run_ours(task_ids: list[str] | None, workers: int) -> tuple[MatrixSet, float]:
    inputs = codet_inputs(DATA, load_humaneval(), task_ids=task_ids)
    with Engine(workers=workers) as engine:
        engine.start()  # sandboxes up before the clock starts, as CodeT's pool needs no start-up
        t0 = time.perf_counter()
        matrices = build(engine, inputs, PROTOCOL)
        return matrices, time.perf_counter() - t0


def run_codet(codet_dir: Path, n_tasks: int, out: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).with_name("_codet_run.py")), "--codet", str(codet_dir),
           "--data", str(DATA), "--out", str(out)] + (["--tasks", str(n_tasks)] if n_tasks < 164 else [])
    done = subprocess.run(cmd, cwd=tempfile.gettempdir(), capture_output=True, text=True)  # CodeT logs a lot
    if done.returncode:
        raise SystemExit(f"CodeT's run failed:\n{done.stderr[-3000:]}")
    return json.loads(out.read_text())


def cell_agreement(matrices: MatrixSet, anchor: dict) -> dict:
    """Each (program, test) cell CodeT judged, ours beside it; CodeT's `passed: false` programs (its whole
    execution failed: a load error, or over its 0.1 s x tests budget) have no cells there."""
    tasks = load_humaneval()
    by_task = matrices.by_task()
    passed = OUTCOME_CODES[Outcome.PASSED]
    agree, kinds, examples, excluded, excluded_passing = 0, Counter(), {}, 0, 0
    for r in anchor["dual"]:
        m = by_task.get(r["task_id"])
        if m is None:
            continue
        i = m.programs.index(tasks[r["task_id"]].prompt + r["completion"])
        if not r["passed"]:
            excluded += 1
            excluded_passing += bool(m.valid()[i].any())
            continue
        for test, theirs in zip(r["test_cases"], r["result"]):
            j = m.tests.index(test)
            ours = m.outcomes[i, j] == passed
            if ours == bool(theirs):
                agree += 1
                continue
            cause = CAUSES[m.causes[i, j]].value if m.causes is not None and m.causes[i, j] >= 0 else "?"
            key = f"CodeT {'pass' if theirs else 'fail'} / ours {cause}"
            kinds[key] += 1
            examples.setdefault(key, f"{r['task_id']} program {i}: {test[:70]}")
    total = agree + sum(kinds.values())
    return {"cells": total, "agree": agree, "rate": agree / total if total else 1.0, "kinds": dict(kinds),
            "examples": examples, "codet_excluded_programs": excluded,
            "of_which_pass_a_test_here": excluded_passing}


def on_codet_cells(matrices: MatrixSet, anchor: dict) -> MatrixSet:
    """Our matrices with CodeT's cells and ground truth in place of ours (its excluded programs: no cell
    passed), to show the evaluation alone reproduces CodeT's code."""
    tasks = load_humaneval()
    theirs = deepcopy(matrices)
    by_task = theirs.by_task()
    truth = {(r["task_id"], r["completion"]): r["passed"] for r in anchor["ground_truth"]}
    passed, wrong = OUTCOME_CODES[Outcome.PASSED], OUTCOME_CODES[Outcome.WRONG_ANSWER]
    for m in theirs:
        m.outcomes[:] = wrong
        m.invalid[:] = False
        prompt = tasks[m.task_id].prompt
        m.correct = np.array([truth[(m.task_id, p[len(prompt):])] for p in m.programs])
    for r in anchor["dual"]:
        m = by_task[r["task_id"]]
        if r["passed"]:
            i = m.programs.index(tasks[r["task_id"]].prompt + r["completion"])
            for test, ok in zip(r["test_cases"], r["result"]):
                m.outcomes[i, m.tests.index(test)] = passed if ok else wrong
    return theirs


def selectors_table(matrices: MatrixSet) -> dict:
    rows = {}
    for name, selector in SELECTORS.items():
        t0 = time.perf_counter()
        rankings = {m.task_id: selector(m) for m in matrices}
        rows[name] = {"seconds": time.perf_counter() - t0, **pct(ranked_pass_at_k(matrices.matrices, rankings))}
    rows["codet (product)"] = pct(ranked_pass_at_k(matrices.matrices, {m.task_id: codet(m, "product")
                                                                       for m in matrices}))
    rows["b4 (unique construction)"] = pct(ranked_pass_at_k(
        matrices.matrices, {m.task_id: b4(m, construction="unique") for m in matrices}, unique=True))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--codet", type=Path, help="CodeT's CodeT/ folder (main.py, src/); without it, ours alone")
    ap.add_argument("--tasks", type=int, default=164, help="the first N tasks (default all 164)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args()
    ids = list(load_humaneval())[:args.tasks]
    figures: dict = {"tasks": len(ids)}

    matrices, ours_s = run_ours(ids, args.workers)
    figures["ours_seconds"] = ours_s
    print(f"codereward: {len(ids)} tasks, {sum(len(m.programs) for m in matrices):,} programs x "
          f"{sum(len(m.tests) for m in matrices):,} tests, {sum(m.outcomes.size for m in matrices):,} cells "
          f"+ ground truth: {ours_s:.1f} s")
    # The floor both sides share: every hung cell costs its full 0.1 s, CPU-bound, whoever runs it.
    hung = int(sum((m.outcomes == OUTCOME_CODES[Outcome.TIME_LIMIT]).sum() for m in matrices))
    figures["time_limit_cells"] = hung
    print(f"  {hung:,} cells hit the 0.1 s limit: {hung * PROTOCOL.test_time / args.workers:.0f} s of wall time on "
          f"{args.workers} workers at least, before the ground truth's own hangs")
    anchor = None
    if args.codet is not None:
        with tempfile.TemporaryDirectory() as tmp:
            anchor = run_codet(args.codet, len(ids), Path(tmp) / "codet.json")
        codet_s = anchor["seconds"]["ground_truth"] + anchor["seconds"]["dual"]
        figures.update(codet_seconds=anchor["seconds"], ratio=codet_s / ours_s)
        print(f"CodeT's code: ground truth {anchor['seconds']['ground_truth']:.1f} s + dual execution "
              f"{anchor['seconds']['dual']:.1f} s = {codet_s:.1f} s   ->   codereward {codet_s / ours_s:.2f}x")
        agreement = cell_agreement(matrices, anchor)
        figures["agreement"] = agreement
        print(f"\ncell agreement: {agreement['agree']:,} of {agreement['cells']:,} = {agreement['rate']:.4%}; CodeT "
              f"excluded {agreement['codet_excluded_programs']} programs whole "
              f"({agreement['of_which_pass_a_test_here']} of them pass some test here)")
        for kind, n in sorted(agreement["kinds"].items(), key=lambda kv: -kv[1]):
            print(f"  {n:6d}  {kind:40s} e.g. {agreement['examples'][kind]}")

    ours = {"codet": pct(ranked_pass_at_k(matrices.matrices, {m.task_id: codet(m) for m in matrices})),
            "random": pct(random_pass_at_k(matrices.matrices)),
            "b4": pct(ranked_pass_at_k(matrices.matrices, {m.task_id: b4(m) for m in matrices}, ks=(1,)))}
    figures["ours"] = ours
    rows = [("codet", k) for k in ("pass@1", "pass@2", "pass@10")] + \
           [("random", k) for k in ("pass@1", "pass@10", "pass@100")] + [("b4", "pass@1")]
    theirs_cells: dict = {}
    if anchor is not None:
        cells = on_codet_cells(matrices, anchor)
        theirs_cells = {"codet": pct(ranked_pass_at_k(cells.matrices, {m.task_id: codet(m) for m in cells})),
                        "random": pct(random_pass_at_k(cells.matrices)),
                        "b4": pct(ranked_pass_at_k(cells.matrices, {m.task_id: b4(m) for m in cells}, ks=(1,)))}
        figures["ours_on_codet_cells"] = theirs_cells
    print("\n| metric | published (CodeT README / B4) | CodeT's code, this run | codereward | codereward on CodeT's "
          "cells |\n|---|---:|---:|---:|---:|")
    for method, k in rows:
        codet_run = "-"
        if anchor is not None and method in anchor["pass_at_k"]:
            codet_run = f"{anchor['pass_at_k'][method][k] * 100:.2f}"
        print(f"| {method} {k} | {GOLDEN[method][k]:.2f} | {codet_run} | {ours[method][k]:.2f} | "
              f"{theirs_cells.get(method, {}).get(k, '-')} |")

    table = selectors_table(matrices)
    figures["selectors"] = table
    print("\n| selector | pass@1 | pass@2 | pass@10 | seconds (all tasks) |\n|---|---:|---:|---:|---:|")
    for name, row in table.items():
        print(f"| {name} | {row['pass@1']:.2f} | {row['pass@2']:.2f} | {row['pass@10']:.2f} | "
              f"{row.get('seconds', float('nan')):.2f} |")
    precision = [p for p in map(test_precision, matrices) if p is not None]
    figures["test_precision"] = statistics.fmean(precision) if precision else None
    print(f"\ngenerated tests' precision (share the reference passes, task mean): {figures['test_precision']:.1%}")
    if args.json:
        dump_json(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
