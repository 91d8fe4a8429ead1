"""The Ray backend's overhead: Engine(RayPool) vs Engine(LocalPool) on the same workload in the same run.

    .venv/bin/python bench/ray_backend.py                    # 164 canonical solutions x3, 2 workers, ~1 min
    .venv/bin/python bench/ray_backend.py --repeat 5 --workers 2 --json ray.json

Both sides run full isolation (bubblewrap) with the same number of sandboxes. On one machine Ray cannot be
faster (same CPUs, plus the raylet, the GCS and an actor process competing for them); the ratio measures
what dispatching through Ray costs, i.e. what a node must win back by adding its sandboxes to a cluster.

Timed: `evaluate` only, each engine started beforehand (its start-up is printed as a note), twice per engine:
the first Ray pass also ships the tasks to the node (once per task), the second is the steady state of an RL
loop. The local Ray cluster is started here with `--workers` CPUs (`ray.init(address="local")`).
Also timed: `run()` latency (one sample per call, one call at a time: what the server's per-sample path pays).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

from _report import dump_json

from codereward import Engine, Result, Sample, load_humaneval


def canonical_samples(tasks: dict, repeat: int) -> list[Sample]:
    return [Sample(task_id=tid, completion=t.reference[len(t.prompt):], completion_id=k)
            for k in range(repeat) for tid, t in tasks.items()]


def timed_passes(engine, tasks: dict, samples: list[Sample], passes: int) -> tuple[float, list[float], list[Result]]:
    """(start-up seconds, evaluate seconds per pass, results of the last pass)."""
    t0 = time.perf_counter()
    engine.start()
    startup = time.perf_counter() - t0
    seconds, results = [], []
    for _ in range(passes):
        t0 = time.perf_counter()
        results = engine.evaluate(tasks, samples)
        seconds.append(time.perf_counter() - t0)
    return startup, seconds, results


def run_latency(engine, tasks: dict, n: int) -> tuple[float, float]:
    """p50 / p99 milliseconds of one warm `run` at a time, cycling over a few tasks."""
    ids = ["HumanEval/0", "HumanEval/2", "HumanEval/13", "HumanEval/53", "HumanEval/100"]
    for tid in ids:  # warm: each node's engine holds the task
        engine.run(tasks[tid], tasks[tid].reference)
    ms = []
    for k in range(n):
        task = tasks[ids[k % len(ids)]]
        t0 = time.perf_counter()
        engine.run(task, task.reference)
        ms.append(1000 * (time.perf_counter() - t0))
    ms.sort()
    return statistics.median(ms), ms[min(len(ms) - 1, int(0.99 * len(ms)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="copies of the 164 canonical solutions (default 3)")
    ap.add_argument("--workers", type=int, default=2, help="sandboxes, both backends (default 2)")
    ap.add_argument("--passes", type=int, default=2, help="timed evaluate passes per engine (default 2)")
    ap.add_argument("--latency-runs", type=int, default=200, help="timed single runs per engine (default 200)")
    ap.add_argument("--batch-size", type=int, default=None, help="RayPool batch_size (default: its own)")
    ap.add_argument("--json", metavar="FILE", default=None, help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args(argv)
    import ray

    from codereward.backends.ray import RayPool

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    tasks = load_humaneval()
    samples = canonical_samples(tasks, args.repeat)
    n = len(samples)
    rows: list[dict] = []

    log(f"local Engine(workers={args.workers}): {n} samples x{args.passes} ...")
    engine = Engine(workers=args.workers)
    try:
        startup, secs, local_results = timed_passes(engine, tasks, samples, args.passes)
        local_lat = run_latency(engine, tasks, args.latency_runs)
    finally:
        engine.close()
    rows.append({"backend": "local", "startup_s": round(startup, 2), "seconds": [round(s, 2) for s in secs],
                 "samples_per_s": [round(n / s, 1) for s in secs], "run_p50_ms": round(local_lat[0], 2),
                 "run_p99_ms": round(local_lat[1], 2)})

    log(f"Ray: local cluster with {args.workers} CPUs, RayPool(workers={args.workers}) ...")
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=args.workers, include_dashboard=False, logging_level=logging.WARNING)
    ray_up = time.perf_counter() - t0
    try:
        rengine = Engine(RayPool(workers=args.workers, batch_size=args.batch_size))
        try:
            startup, secs, ray_results = timed_passes(rengine, tasks, samples, args.passes)
            ray_lat = run_latency(rengine, tasks, args.latency_runs)
            stats = dict(rengine.stats)
        finally:
            rengine.close()
    finally:
        ray.shutdown()
    rows.append({"backend": "ray", "startup_s": round(startup, 2), "ray_init_s": round(ray_up, 2),
                 "seconds": [round(s, 2) for s in secs], "samples_per_s": [round(n / s, 1) for s in secs],
                 "run_p50_ms": round(ray_lat[0], 2), "run_p99_ms": round(ray_lat[1], 2), "stats": stats})

    same = [(a.status, [t.outcome for t in a.tests]) for a in local_results] == \
        [(b.status, [t.outcome for t in b.tests]) for b in ray_results]
    passed = sum(r.passed for r in ray_results)
    local, ray_row = rows
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {n} samples "
          f"(164 canonical x{args.repeat}), {args.workers} sandboxes per backend, full isolation")
    print(f"{'backend':8}  {'start-up':>8}  {'pass':>4}  {'seconds':>7}  {'samples/s':>9}  {'vs local':>8}")
    for k in range(args.passes):
        for r in rows:
            ratio = r["samples_per_s"][k] / local["samples_per_s"][k]
            print(f"{r['backend']:8}  {r['startup_s']:>7.2f}s  {k + 1:>4}  {r['seconds'][k]:>7.2f}  "
                  f"{r['samples_per_s'][k]:>9.1f}  {ratio:>7.2f}x")
    print(f"run() one at a time: local p50 {local['run_p50_ms']:.2f} ms / p99 {local['run_p99_ms']:.2f} ms; "
          f"ray p50 {ray_row['run_p50_ms']:.2f} ms / p99 {ray_row['run_p99_ms']:.2f} ms")
    print(f"ray.init (local cluster): {ray_up:.2f} s; Ray batches: {ray_row['stats']['batches']}; "
          f"verdicts identical to local: {same}; passed {passed}/{n}")
    if args.json:
        dump_json({"cpus": os.cpu_count(), "samples": n, "workers": args.workers, "rows": rows,
                   "identical": same}, args.json)
    return 0 if same and passed == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
