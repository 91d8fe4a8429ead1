"""Rewards for a unit-test generator, from who passes its tests: UTRL's discrimination reward and CURE's
unit-test reward, plus each method's companion reward for the code generator it trains alongside.

    utrl_reward(valid, fails, format_ok=True).score      # one generated suite (one rollout)
    cure_test_rewards(passed, correct)                   # one reward per generated test of a task
    cure_code_rewards(gt_passed)                         # one reward per sampled program of a task

Pure functions on boolean pass matrices, transcribed from the authors' code (the papers' prose differs in
places; each function says where):

* UTRL, dgjun32/UTRL `reward.py` at d4d7305: `discrimination_reward_stdio_iter_1` / `_iter_2` and
  `solution_generation_reward_stdio`.
* CURE, Gen-Verse/CURE `optimization/reward.py` at 69fe174 (its `enable_efficient` length regularisation
  for long-CoT models is not reproduced: it needs response lengths, not pass matrices).

integrations/testgen.py runs generated tests in the sandbox, builds these matrices (select.build) and turns
a trainer's batch into one reward per rollout. A reward of NaN here means the method skips the task (CURE's
z-normalisation of a constant group); an infrastructure failure never reaches these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import UsageError

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def _bools(x: Any, ndim: int, what: str) -> BoolArray:
    a = np.asarray(x, dtype=np.bool_)
    if a.ndim != ndim:
        raise UsageError(f"{what} must be a {ndim}-d boolean array, got shape {a.shape}")
    return a


# -- UTRL ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UtrlScore:
    """UTRL's reward of one generated suite, with the terms UTRL logs beside it."""

    score: float  # format_weight * format + discrimination_weight * discrimination + validity_weight * clipped
    format: float  # 1.0 when the generation has UTRL's format, else 0.0
    discrimination: float  # share of the candidate programs that some valid case catches
    clipped_validity: float  # n_valid / max(clip, n_unique)
    validity_ratio: float  # iteration 1's log: n_valid / n_unique (not in the score)
    validity_ratio_all: float  # iteration 2's log: n_valid / n_cases, duplicates counted (not in the score)
    n_cases: int  # cases extracted, duplicates included
    n_unique: int
    n_valid: int


def utrl_format(text: str, n_cases: int) -> bool:
    """UTRL's format flag of a test-generation response: one `<reasoning>` tag per extracted case (duplicates
    counted) and the response ends with a closing fence (it did not degenerate mid-case).

    >>> utrl_format("<reasoning>edge</reasoning>\\n```\\nassert f(0) == 0\\n```", 1)
    True
    >>> utrl_format("```\\nassert f(0) == 0\\n```", 1)
    False
    """
    return text.count("<reasoning>") == n_cases and text.strip().endswith("```")


def utrl_reward(valid: Any, fails: Any, *, format_ok: bool, n_cases: int | None = None,
                format_weight: float = 0.1, discrimination_weight: float = 0.85, validity_weight: float = 0.05,
                clip: float = 12.0) -> UtrlScore:
    """UTRL's reward of one generated test suite against K candidate programs of the current code policy.

    valid[j]: the reference solution passes unique case j (UTRL's validity filter: only such cases count).
    fails[k, j]: candidate program k fails unique case j; K rows, duplicates of a program kept (UTRL divides
        by the number of sampled programs).
    format_ok: the response's format flag (`utrl_format` is UTRL's own rule).
    n_cases: cases extracted before de-duplication (default: as many as unique cases); only the logged
        `validity_ratio_all` reads it.

        discrimination   = |{k : fails[k, j] for some valid j}| / K      (0 when no case is valid)
        clipped_validity = sum(valid) / max(clip, #unique)
        score = 0.1 * format + 0.85 * discrimination + 0.05 * clipped_validity

    computed in that order, as UTRL does (its default weights and clip). A suite with no case scores
    0.1 * format. The clip denominator keeps a suite from earning validity by writing few cases, and does
    not reward more than `clip` of them. UTRL's iteration 1 and 2 differ only in the logged validity ratio
    (over unique cases, resp. over all cases): both are returned, neither is in the score.

    Worked example: 4 candidates, cases 0, 1, 3 valid (case 2 fails the reference); candidate 0 fails case
    0, candidate 1 fails only the invalid case 2, candidate 2 fails case 3, candidate 3 passes everything.
    Two of four are caught: discrimination 0.5, clipped validity 3/12, score 0.1 + 0.425 + 0.0125.

    >>> s = utrl_reward([True, True, False, True],
    ...                 [[True, False, False, False], [False, False, True, False],
    ...                  [False, False, False, True], [False, False, False, False]], format_ok=True, n_cases=5)
    >>> s.discrimination, s.clipped_validity, round(s.score, 6), s.validity_ratio, s.validity_ratio_all
    (0.5, 0.25, 0.5375, 0.75, 0.6)
    """
    valid = _bools(valid, 1, "valid")
    fails = _bools(fails, 2, "fails")
    n_unique = len(valid)
    if fails.shape[1] != n_unique:
        raise UsageError(f"fails has {fails.shape[1]} columns for {n_unique} cases")
    if fails.shape[0] == 0:
        raise UsageError("UTRL's discrimination needs at least one candidate program")
    n_cases = n_unique if n_cases is None else n_cases
    if n_cases < n_unique:
        raise UsageError(f"n_cases ({n_cases}) counts duplicates: it cannot be below the {n_unique} unique cases")
    fmt = float(format_ok)
    if n_unique == 0:
        score = format_weight * fmt + discrimination_weight * 0.0 + validity_weight * 0.0
        return UtrlScore(score, fmt, 0.0, 0.0, 0.0, 0.0, n_cases, 0, 0)
    n_valid = int(valid.sum())
    clipped = n_valid / max(clip, n_unique)
    # UTRL: "if validity_reward == 0.0: entire_discrimination_reward = 0.0"; else the candidates failing any
    # GT-passing case, over all candidates. (Its harness counts a candidate whose run raised as not caught;
    # here such a run is an infrastructure failure and never reaches this function.)
    caught = int(fails[:, valid].any(axis=1).sum()) if n_valid else 0
    discrimination = caught / fails.shape[0]
    score = format_weight * fmt + discrimination_weight * discrimination + validity_weight * clipped
    return UtrlScore(score, fmt, discrimination, clipped, n_valid / n_unique, n_valid / n_cases, n_cases,
                     n_unique, n_valid)


_REASONING = re.compile(r"<reasoning>\s*(.+?)\s*</reasoning>", re.DOTALL)
_PYTHON_BLOCK = re.compile(r"```python\s*\n(.+?)\n```", re.DOTALL)


def utrl_code_format(text: str) -> bool:
    """UTRL's format flag of a code-generation response (`codegen_formatting_reward`): a non-empty
    `<reasoning>...</reasoning>`, then a non-empty ```python block after it.

    >>> utrl_code_format("<reasoning>add them</reasoning>\\n```python\\ndef f(a, b):\\n    return a + b\\n```")
    True
    """
    reasoning = _REASONING.search(text)
    if reasoning is None or not reasoning.group(1).strip():
        return False
    block = _PYTHON_BLOCK.search(text[reasoning.end():])
    return block is not None and bool(block.group(1).strip())


def utrl_code_reward(valid: Any, passed: Any, *, format_ok: bool, pass_weight: float = 0.9,
                     format_weight: float = 0.1) -> float:
    """UTRL's reward of one program of the code generator, from generated tests
    (`solution_generation_reward_stdio`): the generated cases the reference fails are dropped, then

        pass_rate = passed kept cases / (#kept cases + 1e-6)
        score     = 0.9 * pass_rate + 0.1 * format

    valid[j]: the reference passes generated case j; passed[j]: the program passes it. Duplicates are kept
    (UTRL does not de-duplicate here). The 1e-6 is UTRL's: a program passing all kept cases gets a pass rate
    just under 1, and no kept case gives 0 rather than a division by zero.

    >>> round(utrl_code_reward([True, True, False], [True, False, False], format_ok=True), 6)
    0.55
    """
    valid, passed = _bools(valid, 1, "valid"), _bools(passed, 1, "passed")
    if valid.shape != passed.shape:
        raise UsageError(f"valid has {len(valid)} cases, passed {len(passed)}")
    n_kept = int(valid.sum())
    pass_rate = int(passed[valid].sum()) / (n_kept + 1e-6)
    return pass_weight * pass_rate + format_weight * float(format_ok)


# -- CURE ------------------------------------------------------------------------------------------------


def _znorm(x: FloatArray) -> FloatArray:
    """CURE's `normalize_reward`: (x - mean) / std, population std; a group whose std is 0 is skipped (all
    NaN). Deviation: the group is skipped whenever its values are all equal. CURE tests `std == 0`, which
    rounding can miss (three rewards of 0.1 have a std of 1.4e-17), and then hands every member an advantage
    of exactly +1 or -1 from noise."""
    if x.size == 0:
        return x
    if np.all(x == x[0]):
        return np.full(x.shape, np.nan)
    out: FloatArray = (x - np.mean(x)) / np.std(x)
    return out


def cure_test_rewards(passed: Any, correct: Any, *, post_stage: bool = False, normalize: bool = True,
                      form: Literal["code", "paper"] = "code") -> FloatArray:
    """CURE's reward of each generated unit test of one task.

    passed[i, k]: sampled program i passes generated test k (programs as sampled, duplicates kept).
    correct[i]: program i passes all the task's ground-truth tests.

    form="code" (CURE's `optimization/reward.py`, what it trains with):
        sign_k  = +1 if every correct program passes test k, else -1
        scale_k = for a +1 test, the share of wrong programs it rejects (post_stage: 1 if it rejects them all)
                  for a -1 test, the share of wrong programs it lets through (post_stage: 1 if any)
        r_k     = sign_k * scale_k, or sign_k alone when no program is wrong
    form="paper" (the paper's count form, eq. for R_{u_k}): r_k = the number of wrong programs test k rejects
        if every correct program passes it, else minus the number of wrong programs it lets through. It is
        the code form times the number of wrong programs (the same after normalisation), except when no
        program is wrong: the paper then gives 0 to every test, the code +1 or -1.

    normalize: z-normalise over the task's tests (CURE uses the rewards directly as advantages); a constant
        group is skipped. A task without a correct program is skipped too (the sign is undefined). Skipped:
        every reward NaN.

    Worked example (after a third-party illustration of CURE's matrix, gitlostmurali.com's "CURE pipeline"):
    programs 0 and 1 are correct, 2 and 3 wrong. Test 0 passes both correct and rejects program 3 only (+1);
    test 1 rejects both wrong ones (+2); test 2 fails correct program 0 and lets both wrong ones through (-2);
    test 3 passes everyone (0).

    >>> passed = [[1, 1, 0, 1], [1, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 1]]
    >>> cure_test_rewards(passed, [1, 1, 0, 0], form="paper", normalize=False).tolist()
    [1.0, 2.0, -2.0, 0.0]
    >>> cure_test_rewards(passed, [1, 1, 0, 0], normalize=False).tolist()
    [0.5, 1.0, -1.0, 0.0]
    >>> [round(r, 4) for r in cure_test_rewards(passed, [1, 1, 0, 0]).tolist()]
    [0.5071, 1.1832, -1.5213, -0.169]
    """
    passed, correct = _bools(passed, 2, "passed"), _bools(correct, 1, "correct")
    if passed.shape[0] != len(correct):
        raise UsageError(f"passed has {passed.shape[0]} programs, correct {len(correct)}")
    if form not in ("code", "paper"):
        raise UsageError(f"form must be 'code' or 'paper', not {form!r}")
    if form == "paper" and post_stage:
        raise UsageError("post_stage is a setting of CURE's code form; the paper form has none")
    m = passed.shape[1]
    if not correct.any():  # CURE: "if len(correct_code_list) > 0", else no reward for the task's tests
        return np.full(m, np.nan)
    agrees = passed[correct].all(axis=0)  # the test passes every correct program: sign +1
    sign = np.where(agrees, 1.0, -1.0)
    wrong = passed[~correct]  # rows: wrong programs
    if form == "paper":
        reward = np.where(agrees, (~wrong).sum(axis=0), -wrong.sum(axis=0)).astype(np.float64)
    elif len(wrong) == 0:
        reward = sign
    else:
        if post_stage:  # CURE's late-training variant: all-or-nothing scales
            rejects, lets_through = (~wrong.any(axis=0)).astype(np.float64), wrong.any(axis=0).astype(np.float64)
        else:  # CURE's p01 (wrong program fails a +1 test) and p00 (wrong program passes a -1 test)
            rejects, lets_through = np.mean(~wrong, axis=0), np.mean(wrong, axis=0)
        reward = sign * np.where(agrees, rejects, lets_through)
    return _znorm(reward) if normalize else reward


def cure_code_rewards(gt_passed: Any, *, normalize: bool = True) -> FloatArray:
    """CURE's reward of each sampled program of one task: the share of the task's ground-truth tests it
    passes (`np.mean(all_test_table_i, 1)`), z-normalised over the task's programs (a constant group is
    skipped: NaN). A task without ground-truth tests is skipped too (CURE would divide by zero).

    >>> cure_code_rewards([[1, 1], [1, 0], [0, 0], [1, 1]]).tolist()
    [0.9045340337332909, -0.30151134457776363, -1.507556722888818, 0.9045340337332909]
    """
    gt_passed = _bools(gt_passed, 2, "gt_passed")
    if gt_passed.shape[1] == 0:
        return np.full(gt_passed.shape[0], np.nan)
    reward = gt_passed.mean(axis=1).astype(np.float64)
    return _znorm(reward) if normalize else reward


__all__ = ["UtrlScore", "cure_code_rewards", "cure_test_rewards", "utrl_code_format", "utrl_code_reward",
           "utrl_format", "utrl_reward"]
