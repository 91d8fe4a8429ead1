"""Mutation scores of HumanEval's own suites: codereward vs cosmic-ray's command line as UTRL runs it.

    .venv/bin/python bench/suite_mutation.py                 # 164 tasks + a sample of 6 on both (~6 min)
    .venv/bin/python bench/suite_mutation.py --no-all --sample 12
    .venv/bin/python bench/suite_mutation.py --json figures.json

Us: `suites.mutation_scores(Engine(workers=2, time_limit="auto"), tasks)` (cosmic-ray's default operators
driven as a library, identical mutants kept once, each mutant run against the suite in the sandbox), timed
from Engine() on, sandbox start-up included. Anchor, on a sample of tasks spread over the dataset and in the
same run: UTRL's `evaluate_test_mutation_score` (utils/testing_utils.py) with its command lines as they are,
per task in a temp dir: solution.py (UTRL's import header + the reference), test_solution.py (`from solution
import *`, `candidate = <entry_point>`, one `test_solution()`: here HumanEval's `check(candidate)`), UTRL's
config (timeout 10, `pytest test_solution.py`, local distributor), then `cosmic-ray init`, `baseline`, `exec`,
`cr-report --show-pending`, UTRL's score = 1 - surviving% parsed from the report. UTRL's os.chdir makes its
function one task at a time per process; here `--workers` sessions run side by side (subprocess cwd), so
both sides have the same cores. UTRL caps exec at 120 s (`--exec-timeout 120`); by default it runs to the end.

Per sample task: both tools' counts and scores, then every cosmic-ray job beside our verdict on the same
(operator, occurrence), and every disagreement with its mutated line.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _report import dump_json
from cosmic_ray.ast import ast_nodes, get_ast
from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator
from cosmic_ray.work_db import WorkDB, use_db

from codereward import Engine
from codereward.suites import MutationReport, mutation_scores, operator_names
from codereward.tasks import Task, load_dataset

BIN = Path(sys.executable).parent  # cosmic-ray, cr-report and pytest live beside the interpreter
UTRL_HEADER = "".join(f"import {m}\n" for m in ("random", "functools", "itertools", "collections", "heapq",
                                                 "bisect", "operator", "re", "string", "sys", "time", "math",
                                                 "datetime")) + \
    "".join(f"from {m} import *\n" for m in ("typing", "functools", "collections", "itertools", "heapq", "string",
                                             "operator", "math", "bisect", "re")) + "\n"
CONFIG = """[cosmic-ray]
module-path = "solution.py"
timeout = 10.0
excluded-modules = []
test-command = "pytest test_solution.py"

[cosmic-ray.distributor]
name = "local"
"""
KILLS = ("killed", "timed_out")


def run_codereward(tasks: list[Task], workers: int) -> tuple[list[MutationReport], float, float]:
    """(reports, wall seconds from Engine() to the last verdict, of which sandbox start-up)."""
    t0 = time.perf_counter()
    with Engine(workers=workers, time_limit="auto") as engine:
        up = time.perf_counter() - t0
        reports = mutation_scores(engine, tasks)
        return reports, time.perf_counter() - t0, up


def summary(reports: list[MutationReport]) -> dict:
    statuses = ("killed", "timed_out", "survived", "invalid", "error", "not_run")
    scores = [r.score for r in reports if r.score is not None]
    return {"tasks": len(reports), "mutants": sum(len(r.mutants) for r in reports),
            **{s: sum(r.count(s) for r in reports) for s in statuses},
            "mean_score": sum(scores) / len(scores) if scores else None, "no_score": len(reports) - len(scores)}


def run_cosmic_ray(task: Task, root: Path, exec_timeout: float | None) -> dict:
    """One task through UTRL's four command lines; the per-job outcomes read from cosmic-ray's session db."""
    d = root / task.id.replace("/", "_")
    d.mkdir()
    (d / "solution.py").write_text(UTRL_HEADER + (task.reference or "") + "\n")
    (d / "test_solution.py").write_text(f"from solution import *\n\ncandidate = {task.entry_point}\n\n"
                                        f"{task.tests.code}\n\ndef test_solution():\n    check(candidate)\n\n"
                                        "if __name__ == \"__main__\":\n    test_solution()\n")
    (d / "config.toml").write_text(CONFIG)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}

    def cli(*argv: str, timeout: float | None = 120) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=d, env=env, capture_output=True, text=True,
                              timeout=timeout)

    t0 = time.perf_counter()
    cli("cosmic-ray", "init", "config.toml", "result.sqlite")
    out: dict = {"baseline_failed": cli("cosmic-ray", "baseline", "config.toml").returncode != 0, "cut": False}
    if not out["baseline_failed"]:
        try:
            cli("cosmic-ray", "exec", "config.toml", "result.sqlite", timeout=exec_timeout)
        except subprocess.TimeoutExpired:
            out["cut"] = True
        report = cli("cr-report", "result.sqlite", "--show-pending").stdout
        found = re.search(r"surviving mutants: \d+ \((\d+\.?\d*)%\)", report)  # UTRL's extract_mutation_score
        out["utrl_score"] = (100.0 - (float(found.group(1)) if found else 0.0)) / 100.0
    out["seconds"] = time.perf_counter() - t0
    jobs = []
    with use_db(str(d / "result.sqlite"), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            spec = item.mutations[0]
            outcome = "timeout" if result.output == "timeout" else (result.test_outcome or result.worker_outcome).value
            jobs.append((spec.operator_name, spec.occurrence, outcome, spec.definition_name))
        out["pending"] = len(list(db.pending_work_items))
    out["jobs"] = jobs
    return out


def positions(program: str) -> int:
    """How many (operator, occurrence) cosmic-ray's default session enumerates in `program`."""
    tree = get_ast(program)
    return sum(1 for n in operator_names() for node in ast_nodes(tree)
               for _ in get_operator(n)().mutation_positions(node))


def compare(task: Task, report: MutationReport, cr: dict) -> dict:
    """Each cosmic-ray job beside our verdict on the same mutant (ours keeps one of identical mutants)."""
    ref = task.reference or ""
    ours = {(m.mutant.operator, m.mutant.occurrence): m for m in report.mutants}
    by_program = {m.mutant.program: m for m in report.mutants}
    pairs, dropped, diffs = Counter(), Counter(), []
    for op, occ, outcome, where in cr["jobs"]:
        m = ours.get((op, occ))
        if m is None:  # dropped by us: a no-op or a copy of an earlier mutant; judged by that mutant's verdict
            twin = by_program.get(mutate_code(ref, get_operator(op)(), occ) or ref)
            dropped["no-op" if twin is None else f"copy ({outcome} / {twin.status})"] += 1
            continue
        pairs[(outcome, m.status)] += 1
        if (outcome != "survived") != (m.status in KILLS) or m.status == "invalid":
            line = next((x[1:].strip() for x in m.mutant.diff(ref).splitlines()
                         if x.startswith("+") and not x.startswith("+++")), "")
            diffs.append(f"{op.split('/')[-1]} #{occ} line {m.mutant.line} in {where}: cosmic-ray {outcome}, "
                         f"codereward {m.status}{' (' + m.detail[:60] + ')' if m.detail else ''}: {line[:70]}")
    return {"pairs": {f"{a} / {b}": n for (a, b), n in sorted(pairs.items())}, "dropped": dict(dropped),
            "disagreements": diffs, "positions_match": positions(ref) == len(cr["jobs"]) + cr.get("pending", 0)}


def cr_score(cr: dict) -> float | None:
    """cosmic-ray's own count: killed (timeouts, incompetent included) / completed jobs."""
    done = cr["jobs"]
    return sum(j[2] != "survived" for j in done) / len(done) if done else None


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=6, help="tasks run through cosmic-ray's CLI (default 6)")
    ap.add_argument("--all", action=argparse.BooleanOptionalAction, default=True,
                    help="also score all 164 tasks with codereward (default on)")
    ap.add_argument("--tasks", nargs="+", metavar="ID", help="these tasks as the sample (e.g. HumanEval/50)")
    ap.add_argument("--show", type=int, default=10, help="disagreeing mutants listed per task (default 10)")
    ap.add_argument("--workers", type=int, default=2, help="codereward's sandboxes = cosmic-ray sessions at once")
    ap.add_argument("--exec-timeout", type=float, default=0, help="cap on `cosmic-ray exec` (UTRL: 120; 0: none)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args()
    tasks = list(load_dataset("humaneval").values())
    figures: dict = {}

    if args.all:
        reports, wall, up = run_codereward(tasks, args.workers)
        s = figures["all"] = {**summary(reports), "seconds": wall, "startup_seconds": up}
        print(f"codereward, all {s['tasks']} tasks: {wall:.1f} s wall (sandbox start-up {up:.1f} s), "
              f"{s['mutants']:,} mutants, {s['mutants'] / wall:.1f} mutants/s, mean score {s['mean_score']:.4f} "
              f"over {s['tasks'] - s['no_score']} tasks ({s['no_score']} have no mutant)\n  killed {s['killed']:,}, "
              f"survived {s['survived']:,}, timed out {s['timed_out']:,}, invalid {s['invalid']:,}, "
              f"error {s['error']}, not run {s['not_run']}")

    by_id = {t.id: t for t in tasks}
    sample = [by_id[i] for i in args.tasks] if args.tasks else \
        [tasks[i * len(tasks) // args.sample] for i in range(args.sample)]
    ours, ours_s, ours_up = run_codereward(sample, args.workers)
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.workers) as pool:
        t0 = time.perf_counter()
        crs = list(pool.map(lambda t: run_cosmic_ray(t, Path(tmp), args.exec_timeout or None), sample))
        cr_s = time.perf_counter() - t0
    n_ours, n_cr = sum(len(r.mutants) for r in ours), sum(len(c["jobs"]) for c in crs)
    print(f"\nsample: {', '.join(t.id for t in sample)}\n\n| task | cosmic-ray jobs | killed (timeout) | survived | "
          "UTRL score | cosmic-ray score | s | codereward mutants | killed | timed out | survived | invalid | score "
          "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for task, r, c in zip(sample, ours, crs):
        out = Counter(j[2] for j in c["jobs"])
        killed = len(c["jobs"]) - out["survived"]
        utrl = "0 (baseline failed)" if c["baseline_failed"] else fmt(c["utrl_score"]) + " (cut)" * c["cut"]
        print(f"| {task.id} | {len(c['jobs'])} | {killed} ({out['timeout']}) | {out['survived']} | {utrl} | "
              f"{fmt(cr_score(c))} | {c['seconds']:.1f} | {len(r.mutants)} | {r.count('killed')} | "
              f"{r.count('timed_out')} | {r.count('survived')} | {r.count('invalid')} | {fmt(r.score)} |")
        rows.append({"task": task.id, "cosmic_ray": {k: v for k, v in c.items() if k != "jobs"} |
                     {"outcomes": dict(out), "score": cr_score(c)}, "codereward": r.to_dict(diffs=False),
                     "comparison": compare(task, r, c)})
    ratio = (n_ours / ours_s) / (n_cr / cr_s) if n_cr and n_ours else None
    print(f"\ncosmic-ray CLI ({args.workers} sessions at once): {cr_s:.1f} s wall, {n_cr} jobs, {n_cr / cr_s:.2f} "
          f"mutants/s\ncodereward: {ours_s:.1f} s wall (start-up {ours_up:.1f} s), {n_ours} mutants, "
          f"{n_ours / ours_s:.2f} mutants/s\n  -> codereward {ratio or 0:.1f}x cosmic-ray's mutants/s; "
          f"wall time {cr_s / ours_s:.1f}x shorter on the same tasks")
    figures["sample"] = {"tasks": rows, "cosmic_ray_seconds": cr_s, "codereward_seconds": ours_s,
                         "codereward_startup_seconds": ours_up, "cosmic_ray_jobs": n_cr, "codereward_mutants": n_ours,
                         "mutants_per_s_ratio": ratio}

    print("\nper mutant (cosmic-ray outcome / codereward status), by task:")
    for row in rows:
        cmp = row["comparison"]
        print(f"  {row['task']}: " + ", ".join(f"{n} {k}" for k, n in cmp["pairs"].items()) +
              "".join(f"; dropped by codereward: {n} {k}" for k, n in cmp["dropped"].items()) +
              ("" if cmp["positions_match"] else "  [UTRL's header shifted the occurrences: pairs unreliable]"))
        for line in cmp["disagreements"][:args.show]:
            print(f"      {line}")
        if len(cmp["disagreements"]) > args.show:
            print(f"      ... {len(cmp['disagreements']) - args.show} more (--show, --json)")
    print("\nwhere verdicts differ: cosmic-ray counts a mutant that does not compile (its Is/IsNot operators write "
          "`a!=b` as `aisb`) killed, codereward invalid; a hang is killed on both sides (10 s there, the calibrated "
          "limit here), but a correct mutant slower than the limit is timed_out here and survives there; "
          "UTRL's tests take the prompt's helpers (encode_shift, poly) from the mutant, codereward's judge from "
          "the dataset; with no mutant, UTRL's regex misses cr-report's line and scores 1.0, codereward None.")
    if args.json:
        dump_json(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
