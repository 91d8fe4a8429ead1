"""Aggregates over many results: unbiased pass@k and the counts a summary table shows."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from .results import ErrorCause, Result, Status


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task: 1 - comb(n - c, k) / comb(n, k) (Chen et al., 2021).

    n samples of which c are correct. Computed as a product to stay exact for large n.
    """
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def summarize(results: Iterable[Result], ks: Sequence[int] = (1, 10, 100),
              elapsed: float | None = None) -> dict[str, Any]:
    """pass@k over tasks (only k <= every task's sample count), status and outcome counts, throughput.

    Infra errors are excluded from pass@k's n and c (they say nothing about the sample) and counted apart.
    """
    per_task: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    status: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    n_results = 0
    n_copies = 0
    errors: Counter[str] = Counter()  # by cause: sandbox | task
    broken: dict[str, str] = {}  # task id -> why its tests cannot judge (reported once per task)
    audited: list[Result] = []
    flag_counts: Counter[str] = Counter()
    rewards: list[float] = []  # of scored results (an error's reward is None: no reward, not 0)
    for r in results:
        n_results += 1
        if r.reward is not None:
            rewards.append(r.reward)
        n_copies += r.duplicate_of is not None
        if r.flags is not None:
            audited.append(r)
            flag_counts.update({f"{f.category.value}/{f.severity.value}" for f in r.flags})
        status[r.status.value] += 1
        for t in r.tests:
            outcomes[t.outcome.value] += 1
        if r.status is Status.ERROR:
            errors[r.cause.value if r.cause is not None else ErrorCause.SANDBOX.value] += 1
            if r.cause is ErrorCause.TASK:
                broken.setdefault(r.task_id, r.reason)
            continue
        per_task[r.task_id][0] += 1
        per_task[r.task_id][1] += r.passed
    pass_k: dict[str, float] = {}
    if per_task:
        min_n = min(n for n, _ in per_task.values())
        for k in ks:
            if k <= min_n:
                pass_k[f"pass@{k}"] = statistics.fmean(pass_at_k(n, c, k) for n, c in per_task.values())
    out = {
        "samples": n_results,
        "tasks": len(per_task),
        "pass_at_k": pass_k,
        "status": dict(status),
        "outcomes": dict(outcomes),
        "duplicates": n_copies,  # results shared from an identical earlier sample, not run themselves
    }
    if rewards:  # what a shaped reward looks like: how much is partial credit, how much penalty
        out["reward"] = {"mean": statistics.fmean(rewards), "min": min(rewards), "max": max(rewards),
                         "scored": len(rewards), "partial": sum(0 < v < 1 for v in rewards),
                         "negative": sum(v < 0 for v in rewards)}
    if errors:
        out["errors"] = dict(errors)  # by cause; they are in no pass@k
        out["broken_tasks"] = broken  # once per task, with the reason
    if audited:
        rate = flag_rate(audited, "high")["flag_rate"]
        scored = sum(r.status is not Status.ERROR for r in audited)  # flag_rate's denominator
        out["audit"] = {"flagged_high": round(rate * scored), "flag_rate": rate, "categories": dict(flag_counts)}
    if elapsed is not None:
        out["elapsed_s"] = round(elapsed, 3)
        out["samples_per_s"] = round(n_results / elapsed, 1) if elapsed > 0 else None
    return out


def flag_rate(results: Iterable[Result], min_severity: str = "high") -> dict[str, float]:
    """Share of audited results with a flag at `min_severity` or above, overall and per category.

    Keys are ready for a training logger: {"flag_rate": 0.02, "flag_rate/early_exit": 0.01, ...}.
    Results without an audit (flags None) and infra errors are not counted.
    """
    from .audit.taxonomy import Category, Severity

    floor = Severity(min_severity).rank
    n = flagged = 0
    per: Counter[str] = Counter()
    for r in results:
        if r.flags is None or r.status is Status.ERROR:
            continue
        n += 1
        cats = {f.category.value for f in r.flags if f.severity.rank >= floor}
        flagged += bool(cats)
        per.update(cats)
    out = {"flag_rate": flagged / n if n else 0.0}
    out.update({f"flag_rate/{c.value}": per[c.value] / n if n else 0.0 for c in Category})
    return out
