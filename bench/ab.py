"""A/B: two source trees of codereward on the same workloads, interleaved in one run.

    .venv/bin/python bench/ab.py --old /path/to/old/src                       # e.g. a worktree of a commit
    .venv/bin/python bench/ab.py --old ../old/src --rounds 5 --codet-limit 4100 --json ab.json

Each measurement is a fresh process whose `codereward` is imported from one tree (PYTHONPATH), so both trees
run with the same interpreter, the same packages and the same machine state; the order of old and new
alternates from round to round (ABBA...), so a drift of the machine's speed during the run falls on both.
The machine is shared and noisy: read the ratios (new / old samples per second) and their spread.

Workloads, each in process (`Engine(workers=2, ...).evaluate`, timed from `Engine(...)` to `close()`) and
from the CLI (`codereward eval --workers 2 --json`, timed from process start to exit):
  canonical  the 164 HumanEval canonical solutions x`--repeat`, every copy executed (dedupe off): what one
             execution costs.
  codet      CodeT's CodeGen-16B HumanEval samples (the first `--codet-limit`/164 of each task; 0: all 16,400)
             with `--time-limit auto`: new tasks calibrate, ~70 % of samples fail, some loop. As users run
             it: exact copies share a verdict.
Verdicts of the two trees are compared sample by sample; any difference is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CODET_FILE = "codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"

# Run in a child process with one tree on its path: only API both trees share (Engine's keyword arguments,
# evaluate, Result.passed) and plain file reading.
IN_PROCESS = r"""
import json, sys, time
from codereward import Engine, Sample, load_humaneval
spec = json.loads(sys.argv[1])
tasks = load_humaneval()
samples = [Sample(task_id=d["task_id"], completion=d.get("completion"), solution=d.get("solution"))
           for d in map(json.loads, open(spec["samples"]))]
t0 = time.perf_counter()
engine = Engine(workers=2, time_limit=spec["time_limit"], dedupe=spec["dedupe"])
try:
    results = engine.evaluate(tasks, samples)
finally:
    engine.close()
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "passed": [r.passed for r in results]}))
"""


def write_samples(path: Path, workload: str, repeat: int, codet_limit: int, data: Path) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from codereward import load_humaneval
    from codereward.tasks import load_codet_samples

    tasks = load_humaneval()
    if workload == "canonical":
        rows = [{"task_id": tid, "completion": t.reference[len(t.prompt):]}  # type: ignore[index,arg-type]
                for _ in range(repeat) for tid, t in tasks.items()]
    else:
        samples = load_codet_samples(data / CODET_FILE)
        if codet_limit:
            per_task = max(1, codet_limit // len(tasks))
            samples = [s for s in samples if (s.completion_id or 0) < per_task]
        rows = [{"task_id": s.task_id, "completion": s.completion} for s in samples]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return len(rows)


def run(tree: Path, mode: str, samples: Path, time_limit: str | None, dedupe: bool) -> tuple[float, list[bool]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if mode == "in-process":
        spec = {"samples": str(samples), "time_limit": time_limit, "dedupe": dedupe}
        p = subprocess.run([sys.executable, "-c", IN_PROCESS, json.dumps(spec)], env=env, capture_output=True,
                           text=True, timeout=3600)
        if p.returncode != 0:
            raise RuntimeError(f"{tree} in process failed: {p.stderr[-2000:]}")
        out = json.loads(p.stdout.strip().splitlines()[-1])
        return out["seconds"], out["passed"]
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        cmd = [sys.executable, "-m", "codereward.cli", "eval", "--dataset", "humaneval", "--samples", str(samples),
               "--workers", "2", "--json", "--out", str(results)]
        cmd += ["--time-limit", time_limit] if time_limit else []
        cmd += [] if dedupe else ["--no-dedupe"]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
        seconds = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{tree} CLI failed: {p.stderr[-2000:]}")
        return seconds, [json.loads(line)["status"] == "passed" for line in results.read_text().splitlines()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", type=Path, required=True, help="the other tree's src directory")
    ap.add_argument("--new", type=Path, default=ROOT / "src", help="this tree's src directory (default)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5, help="canonical: copies of the 164 solutions")
    ap.add_argument("--codet-limit", type=int, default=0, help="codet: samples in all (0: all 16,400)")
    ap.add_argument("--workload", choices=("canonical", "codet", "all"), default="all")
    ap.add_argument("--mode", choices=("in-process", "cli", "all"), default="all")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json", metavar="FILE", default=None)
    args = ap.parse_args(argv)
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    workloads = ["canonical", "codet"] if args.workload == "all" else [args.workload]
    modes = ["in-process", "cli"] if args.mode == "all" else [args.mode]
    figures: dict[str, dict[str, list[float]]] = {}
    disagreements: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workload in workloads:
            path = Path(tmp) / f"{workload}.jsonl"
            n = write_samples(path, workload, args.repeat, args.codet_limit, args.data)
            limit, dedupe = ("auto", True) if workload == "codet" else (None, False)
            for mode in modes:
                key = f"{workload} x{n} {mode}"
                rates: dict[str, list[float]] = {"old": [], "new": []}
                verdicts: dict[str, list[bool]] = {}
                for k in range(args.rounds):
                    order = ("old", "new") if k % 2 == 0 else ("new", "old")
                    for name in order:
                        seconds, passed = run(trees[name], mode, path, limit, dedupe)
                        rates[name].append(n / seconds)
                        verdicts.setdefault(name, passed)
                        print(f"{key:32}  round {k + 1}  {name}: {n / seconds:7.1f} samples/s "
                              f"({sum(passed)} passed)", file=sys.stderr, flush=True)
                figures[key] = rates
                disagreements[key] = sum(a != b for a, b in zip(verdicts["old"], verdicts["new"]))
    print(f"\n{'workload':32}  {'old /s (median)':>15}  {'new /s (median)':>15}  {'new/old':>8}  "
          f"{'per round':>24}  verdicts differ")
    for key, rates in figures.items():
        ratios = [b / a for a, b in zip(rates["old"], rates["new"])]
        print(f"{key:32}  {statistics.median(rates['old']):15.1f}  {statistics.median(rates['new']):15.1f}  "
              f"{statistics.median(ratios):8.3f}  {' '.join(f'{r:.2f}' for r in ratios):>24}  {disagreements[key]}")
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": figures, "disagreements": disagreements}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
