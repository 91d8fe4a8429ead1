"""Golden numbers on real data (issue 22): HumanEval's own tests scored by mutation, with HumanEval+'s inputs
(/work/shared/data/humanevalplus, beside the repository) as the strong suite that tells real misses from
likely-equivalent mutants.

Slow tier: 6,463 mutants of the 164 references against HumanEval's tests (~100 s on two cores), then the 732
survivors against HumanEval+ (its tasks' preparation, the reference's outputs and calibration on ~1,000 inputs
each, is most of the ~9 minutes). The counts of mutants are cosmic-ray 8.7.0's default operators.

What it shows: the issue expected HumanEval+'s plus inputs to raise the score "on most tasks". They raise it on
58 of the 154 tasks that have mutants — 58 of the 109 where a mutant survives HumanEval's tests. On 45 tasks
HumanEval's tests already kill every mutant, and on the 51 listed in NOTHING_MORE every survivor also survives
the plus inputs (likely equivalent). 10 references offer cosmic-ray no mutation at all (NO_MUTANTS); the 48
mutants of HumanEval/50's `encode_shift`, which its entry point never calls, are unreachable.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from codereward import Engine, load_humaneval
from codereward.suites import mutation_scores
from codereward.tasks import load_dataset

HEPLUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "humanevalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz"
NO_MUTANTS = {7, 16, 22, 23, 27, 28, 29, 34, 51, 86}
NOTHING_MORE = {1, 6, 11, 12, 25, 26, 36, 37, 39, 44, 48, 55, 56, 57, 61, 66, 69, 82, 83, 85, 89, 104, 106, 107,
                109, 110, 113, 116, 117, 119, 120, 121, 123, 125, 128, 130, 131, 132, 138, 139, 141, 142, 143, 144,
                145, 149, 151, 153, 155, 158, 161}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_humaneval_plus_inputs_kill_what_humanevals_tests_miss() -> None:
    if not HEPLUS.exists():
        pytest.skip(f"{HEPLUS} not present")
    tasks, plus = load_humaneval(), load_dataset("humanevalplus", HEPLUS)
    with Engine(workers=2, time_limit="auto") as engine:
        reports = mutation_scores(engine, list(tasks.values()), strong=plus)
    assert len(reports) == 164 and all(r.complete for r in reports)
    assert sum(len(r.mutants) for r in reports) == 6463
    assert sum(r.count("error") for r in reports) == 0 and sum(r.count("invalid") for r in reports) == 9
    assert {r.task_id: r.count("unreachable") for r in reports if r.count("unreachable")} == {"HumanEval/50": 48}
    assert all(not r.reference_failed for r in reports)  # HumanEval's references pass their own tests
    number = {r.task_id: int(r.task_id.split("/")[1]) for r in reports}
    assert {number[r.task_id] for r in reports if r.score is None} == NO_MUTANTS
    scored = [r for r in reports if r.score is not None]
    survived = sum(r.count("survived") for r in scored)
    equivalent = sum(r.equivalent for r in scored)
    strong = Counter(m.strong for r in scored for m in r.mutants if m.status == "survived")
    assert survived == pytest.approx(732, abs=8)
    # HumanEval+ kills 272 survivors by a wrong answer; ~50 more only time out on its large inputs (slow but
    # right), and how many of those make it in time moves with the machine's load (28-49 seen): likely
    # equivalent, then, are 411-432.
    assert strong["killed"] == pytest.approx(272, abs=8)
    assert strong["timed_out"] + equivalent == pytest.approx(survived - 272, abs=8)
    assert 395 <= equivalent <= 450
    base = float(np.mean([r.score for r in scored]))
    with_plus = float(np.mean([r.score_with_strong for r in scored]))
    assert base == pytest.approx(0.907, abs=0.005) and with_plus == pytest.approx(0.942, abs=0.01)
    assert all(r.score_with_strong is not None and r.score is not None and r.score_with_strong >= r.score
               for r in scored)
    more = {number[r.task_id] for r in scored if r.score_with_strong != r.score}
    nothing_more = {number[r.task_id] for r in scored if r.score_with_strong == r.score and r.count("survived")}
    assert len(more) == pytest.approx(58, abs=5)
    assert len(nothing_more ^ NOTHING_MORE) <= 6, sorted(nothing_more ^ NOTHING_MORE)
