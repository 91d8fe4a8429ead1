"""A suite against pools of known programs: does it accept the correct ones and reject the incorrect ones?

    score = pool_score("t", passed, correct)          # passed[i, j]: program i passes test j
    summary = pool_summary([score, ...])               # macro TPR/TNR, SAGA's DR and VAcc

Definitions, from the papers' own code where there is code:
* A program is **accepted** when it passes every test of the suite (CodeContests-O's validator). Tests known
  to be wrong (the task's reference fails them) are left out first unless the caller keeps them
  (`usable`): a wrong test rejects every program and says nothing about the others.
* Per problem (CodeContests-O src/codecontests_o/analyze_results.py): **TPR** = correct programs accepted /
  correct programs, **TNR** = incorrect programs rejected / incorrect programs; a program the sandbox could
  not run (`executed` false) is in neither count, and is reported as `errors`. Programs count with their
  multiplicity (`counts`: the samples that are that program).
* Averages over problems (macro): "total" averages each rate over the problems where it is defined,
  "intersection" over the problems where both are (CodeContests-O reports both).
* SAGA (arXiv 2507.06920): **detection rate** DR = the mean over problems of incorrect programs rejected /
  incorrect programs (the macro TNR, by another name); **verifier accuracy** VAcc = the share of problems
  whose suite rejects every incorrect program and accepts every correct one, over the problems with at least
  one incorrect program.
* Per test: which incorrect programs it catches (fails), and how many correct programs it fails (false
  alarms): its discrimination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..results import Outcome
from ..select.matrix import OUTCOME_CODES, PassMatrix


@dataclass
class PoolScore:
    task_id: str
    correct: int  # correct programs that ran (with multiplicity)
    incorrect: int
    correct_accepted: int
    incorrect_rejected: int
    errors: int = 0  # programs the sandbox could not run: no verdict, in no count
    catches: list[list[int]] = field(default_factory=list)  # per test: incorrect programs (row indices) it fails
    false_alarms: list[int] = field(default_factory=list)  # per test: correct programs (with multiplicity) it fails
    usable_tests: int = 0

    @property
    def tpr(self) -> float | None:
        return self.correct_accepted / self.correct if self.correct else None

    @property
    def tnr(self) -> float | None:
        return self.incorrect_rejected / self.incorrect if self.incorrect else None

    @property
    def verified(self) -> bool | None:
        """SAGA's per-problem verifier success: every incorrect program rejected, every correct one accepted."""
        if not self.incorrect:
            return None
        return self.incorrect_rejected == self.incorrect and self.correct_accepted == self.correct

    def to_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "tpr": self.tpr, "tnr": self.tnr, "correct": self.correct,
                "incorrect": self.incorrect, "correct_accepted": self.correct_accepted,
                "incorrect_rejected": self.incorrect_rejected, "errors": self.errors, "verified": self.verified,
                "usable_tests": self.usable_tests, "catches": self.catches, "false_alarms": self.false_alarms}


def pool_score(task_id: str, passed: npt.ArrayLike, correct: npt.ArrayLike, *, counts: npt.ArrayLike | None = None,
               executed: npt.ArrayLike | None = None, usable: npt.ArrayLike | None = None) -> PoolScore:
    """TPR/TNR and per-test discrimination of one problem's suite.

    passed: [programs x tests] bool; correct: [programs] bool labels; counts: samples per program (default 1);
    executed: [programs] false where the sandbox could not run the program; usable: [tests] the tests that
    count (default all).

    >>> s = pool_score("t", [[1, 1], [1, 0], [0, 1]], [True, False, False])
    >>> s.tpr, s.tnr, s.catches
    (1.0, 1.0, [[2], [1]])
    """
    p = np.asarray(passed, dtype=np.bool_).reshape(len(np.asarray(correct)), -1)
    ok = np.asarray(correct, dtype=np.bool_)
    n = np.ones(len(ok), dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
    ran = np.ones(len(ok), dtype=np.bool_) if executed is None else np.asarray(executed, dtype=np.bool_)
    cols = np.ones(p.shape[1], dtype=np.bool_) if usable is None else np.asarray(usable, dtype=np.bool_)
    accepted = p[:, cols].all(axis=1)
    good, bad = ok & ran, ~ok & ran
    return PoolScore(
        task_id, correct=int(n[good].sum()), incorrect=int(n[bad].sum()),
        correct_accepted=int(n[good & accepted].sum()), incorrect_rejected=int(n[bad & ~accepted].sum()),
        errors=int(n[~ran].sum()),
        catches=[np.flatnonzero(bad & ~p[:, j]).tolist() if cols[j] else [] for j in range(p.shape[1])],
        false_alarms=[int(n[good & ~p[:, j]].sum()) if cols[j] else 0 for j in range(p.shape[1])],
        usable_tests=int(cols.sum()))


def _mean(xs: Sequence[float]) -> float | None:
    return float(np.mean(xs)) if xs else None


def pool_summary(scores: Sequence[PoolScore]) -> dict[str, Any]:
    """Macro averages over problems: TPR and TNR ("total" and "intersection"), SAGA's DR and VAcc."""
    tprs = [s.tpr for s in scores if s.tpr is not None]
    tnrs = [s.tnr for s in scores if s.tnr is not None]
    both = [s for s in scores if s.tpr is not None and s.tnr is not None]
    verified = [s.verified for s in scores if s.verified is not None]
    return {
        "problems": len(scores), "tpr": _mean(tprs), "tnr": _mean(tnrs), "tpr_problems": len(tprs),
        "tnr_problems": len(tnrs),
        "tpr_intersection": _mean([s.tpr for s in both if s.tpr is not None]),
        "tnr_intersection": _mean([s.tnr for s in both if s.tnr is not None]), "intersection_problems": len(both),
        "detection_rate": _mean(tnrs), "verifier_accuracy": _mean([float(v) for v in verified]),
        "errors": sum(s.errors for s in scores),
    }


def matrix_pool_score(m: PassMatrix, keep_invalid: bool = False) -> PoolScore:
    """pool_score of a pass matrix built with the ground truth (select.build): its programs labelled by the
    task's own tests, counted with their multiplicity; the tests the reference fails (and those known
    invalid) left out unless `keep_invalid`."""
    if m.correct is None:
        raise UsageError(f"task {m.task_id}: the matrix has no ground truth (build it with ground_truth=True)")
    usable = None
    if not keep_invalid:
        usable = ~m.invalid
        if m.reference is not None:
            usable &= m.reference == OUTCOME_CODES[Outcome.PASSED]
    return pool_score(m.task_id, m.passed, m.correct, counts=m.program_counts, executed=m.executed, usable=usable)
