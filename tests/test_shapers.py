"""Reward shapers over groups and around the tests, with hand-computed values: groups where every rollout
passes, where none does, and with infrastructure errors mixed in (never scored, never counted)."""

from __future__ import annotations

import pytest

from codereward.errors import UsageError
from codereward.results import Outcome, Result, Status, TestResult
from codereward.rewards import get_shaper, score
from codereward.rewards.checks import OPEN_R1, THINK_ANSWER_CODE, Checked, PaVeRL, Threshold, WeightedSum
from codereward.rewards.group import DifficultyWeighted, Gated, gate

P, F = Outcome.PASSED, Outcome.WRONG_ANSWER


def result(*outcomes: Outcome, task: str = "t", error: bool = False) -> Result:
    if error:
        return Result(task, Status.ERROR, reason="sandbox broke")
    tests = [TestResult(f"test{k}", o, id=f"{k}:{k:012x}") for k, o in enumerate(outcomes)]
    counted = [o for o in outcomes if o is not Outcome.INVALID]
    status = Status.PASSED if counted and all(o is P for o in counted) else Status.FAILED
    return Result(task, status, tests)


# (rollouts of one group, expected rewards). Weights w_j = 1 - (s_j + 1) / (n_j + 2), over non-error rollouts.
VERPO_CASES = {
    # n = 3 counted; a: s=3 -> w=0.2; b: s=2 -> w=0.4; c: s=1 -> w=0.6; total 1.2
    "mixed, with an infra error": ([result(P, P, P), result(P, P, F), result(P, F, F), result(error=True)],
                                   [1.0, 0.5 * 0.6 / 1.2, 0.5 * 0.2 / 1.2, None]),
    # n = 2; a: s=1 -> w=0.5; b, c: s=0 -> w=0.75; total 2.0
    "none passes": ([result(F, F, F), result(P, F, F)], [0.0, 0.5 * 0.5 / 2.0]),
    "all pass": ([result(P, P), result(P, P), result(P, P)], [1.0, 1.0, 1.0]),
    "only errors": ([result(error=True), result(error=True)], [None, None]),
    # an invalid test counts for no one: the same as the group without it
    "invalid test": ([result(P, Outcome.INVALID, F), result(P, Outcome.INVALID, P)],
                     [0.5 * (1 - 3 / 4) / ((1 - 3 / 4) + (1 - 2 / 4)), 1.0]),
}


@pytest.mark.parametrize("case", VERPO_CASES)
def test_difficulty_weighted_partial_credit(case: str) -> None:
    rollouts, expected = VERPO_CASES[case]
    assert score(rollouts, DifficultyWeighted(), groups=["p"] * len(rollouts)) == pytest.approx(expected)


def test_full_correctness_dominates_partial_credit_at_any_setting() -> None:
    for partial in (0.0, 0.5, 1.0):
        rollouts = [result(P, P, P, P), *[result(*([P] * 3 + [F])) for _ in range(7)]]
        rewards = score(rollouts, DifficultyWeighted(partial=partial), groups=[0] * 8)
        assert rewards[0] == 1.0 and max(rewards[1:]) < 1.0


def test_without_group_keys_a_tasks_rollouts_are_its_group() -> None:
    rollouts = [result(P, F, task="x"), result(F, F, task="y"), result(P, F, task="x"), result(P, P, task="y")]
    assert score(rollouts, DifficultyWeighted()) == score(rollouts, DifficultyWeighted(), groups=[1, 2, 1, 2])


def test_groups_are_weighted_separately() -> None:
    rollouts = [result(P, F), result(F, F), result(P, F), result(P, P)]
    together = score(rollouts, DifficultyWeighted(), groups=["x", "y", "x", "y"])
    # x: a s=2/2 -> w=.25, b s=0 -> w=.75: 0.5*.25/1 ; y: a s=1/2 -> .5, b s=1/2 -> .5
    assert together == pytest.approx([0.5 * 0.25, 0.0, 0.5 * 0.25, 1.0])


def test_a_window_carries_difficulty_across_calls_and_single_rollouts() -> None:
    shaper = DifficultyWeighted(window=2)
    # One rollout per call, as verl's per-sample reward calls: the window gives it its peers of the last call.
    assert score([result(P, F)], shaper) == pytest.approx([0.5 * (1 - 2 / 3) / ((1 - 2 / 3) + (1 - 1 / 3))])
    # Counts of both calls: a s=2 n=2 -> w=.25, b s=0 n=2 -> w=.75
    assert score([result(P, F)], shaper) == pytest.approx([0.5 * 0.25])
    # Calls 2 and 3: a s=1 n=2 -> w=.5, b s=1 -> w=.5
    assert score([result(F, P)], shaper) == pytest.approx([0.5 * 0.5])
    # Calls 3 and 4 (the first two fell out of the window): a s=0 -> w=.75 is now the hard one, b s=2 -> .25
    assert score([result(F, P)], shaper) == pytest.approx([0.5 * 0.25])
    assert shaper.weights([result(P, P, task="other")]) == pytest.approx({"0:000000000000": 1 / 3,
                                                                         "1:000000000001": 1 / 3})


@pytest.mark.parametrize(("bad", "says"), [({"partial": 1.5}, "partial"), ({"window": -1}, "window")])
def test_difficulty_weighted_refuses_bad_settings(bad: dict, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        DifficultyWeighted(**bad)


def test_gating_counts_the_auxiliary_reward_only_for_passing_rollouts() -> None:
    rollouts = [result(P, P), result(P, F), result(error=True)]
    assert score(rollouts, Gated(aux=lambda r: 0.3, weight=2.0)) == pytest.approx([1.6, 0.0, None])
    assert gate(rollouts, [0.5, 0.9, 0.7]) == pytest.approx([1.5, 0.0, None])
    assert gate(rollouts, [None, 0.9, 0.7], base="fraction") == pytest.approx([1.0, 0.5, None])
    with pytest.raises(UsageError, match="2 auxiliary scores for 3"):
        gate(rollouts, [0.1, 0.2])


THRESHOLD_CASES = [  # (share of 10 tests passed, at, strict, reward)
    (10, 1.0, False, 1.0), (9, 1.0, False, 0.0), (9, 0.9, False, 1.0), (9, 0.9, True, 0.0), (8, 0.9, False, 0.0),
    (0, 0.0, False, 1.0), (0, 0.0, True, 0.0),
]


@pytest.mark.parametrize(("passed", "at", "strict", "reward"), THRESHOLD_CASES)
def test_relaxed_pass_threshold(passed: int, at: float, strict: bool, reward: float) -> None:
    r = result(*([P] * passed + [F] * (10 - passed)))
    assert score([r], Threshold(at, strict=strict)) == [reward]


def test_threshold_of_no_tests_is_not_a_pass() -> None:
    assert score([Result("t", Status.FAILED, [])], Threshold(0.0)) == [0.0]


CODE = "```python\ndef f():\n    return 1\n```"
FORMATTED = f"<think>\nplan\n</think>\n<answer>\n{CODE}\n</answer>"
COMPILE_ERROR = result(Outcome.COMPILE_ERROR, Outcome.COMPILE_ERROR)
CHECKED_CASES = [  # (shaper, result, completion, reward)
    (Checked(), result(P, P), CODE, 1.0),
    (Checked(), result(P, F), CODE, 0.0),
    (Checked(), COMPILE_ERROR, "```python\ndef f(:\n```", -0.5),
    (Checked(), result(F, F), "I cannot solve this.\n```text\nsorry\n```", -1.0),  # no Python block: no code
    (Checked(), result(F, F), "<think>\nstill thinking", -1.0),  # cut off while reasoning: no code
    (Checked("fraction", bad_format=0.2), result(P, F), CODE, 0.5 - 0.2),
    (Checked("fraction", bad_format=0.2), result(P, F), FORMATTED, 0.5),
    # Text without fences runs as it is (integrations/extract.py): code as far as no_code goes; the format
    # pattern that wants a ```python block is what catches it.
    (Checked(bad_format=0.2, pattern=THINK_ANSWER_CODE), result(P, P),
     "<think>\nplan\n</think>\n<answer>\nno code here\n</answer>", 1.0 - 0.2),
    (OPEN_R1, result(P, F), FORMATTED, 0.5 + 0.1),
    (OPEN_R1, result(P, F), CODE, 0.5),
    (OPEN_R1, COMPILE_ERROR, "```python\ndef f(:\n```", 0.0),  # open-r1 charges nothing for it
    (Checked(), result(error=True), CODE, None),
    (Checked(), result(F, F), "```cpp\nint main() { return 1; }\n```", 0.0),  # a C++ answer has code
    # open-r1's weighted_sum (cf_code_reward): pass + 0.1 x fraction, compile error -0.1, no code -1
    (WeightedSum(), result(P, P), CODE, 1.1),
    (WeightedSum(), result(P, F), CODE, 0.05),
    (WeightedSum(), result(Outcome.COMPILE_ERROR), "```cpp\nint main( {\n```", -0.1),
    (WeightedSum(), result(F), "no idea", 0.0),  # text without fences is code, as it runs
    (WeightedSum(), result(F), "```text\nno idea\n```", -1.0),
    (WeightedSum(compile_error=0.5), result(Outcome.COMPILE_ERROR), CODE, -0.5),
    # PaVeRL-SQL's accuracy_reward: 10 x acc, 0.5 when it ran and matched nothing, 0 when it failed or is short
    (PaVeRL(), result(P, P), "```sql\nSELECT name FROM singer\n```", 10.0),
    (PaVeRL(), result(P, F), "SELECT name, age FROM singer", 5.0),  # half the cells (one of two databases)
    (PaVeRL(), result(Outcome.WRONG_ANSWER), "```sql\nSELECT name FROM singer\n```", 0.5),
    (PaVeRL(), result(Outcome.RUNTIME_ERROR), "```sql\nSELECT nam FROM singer\n```", 0.0),
    (PaVeRL(), result(Outcome.TIME_LIMIT), "```sql\nSELECT * FROM a, b, c, d\n```", 0.0),
    (PaVeRL(), result(P), "```sql\nSELECT 1 ;\n```", 0.0),  # 10 characters: never run by PaVeRL
    (PaVeRL(), result(error=True), "```sql\nSELECT name FROM singer\n```", None),
]


@pytest.mark.parametrize(("shaper", "r", "completion", "reward"), CHECKED_CASES)
def test_checked_penalties_and_format(shaper: Checked, r: Result, completion: str, reward: float | None) -> None:
    assert score([r], shaper, completions=[completion]) == [pytest.approx(reward) if reward is not None else None]


def test_checks_read_chat_messages() -> None:
    messages = [{"role": "user", "content": "write f"}, {"role": "assistant", "content": FORMATTED}]
    assert score([result(P, P)], OPEN_R1, completions=[messages]) == [pytest.approx(1.1)]


def test_a_check_that_needs_the_completions_refuses_to_guess() -> None:
    with pytest.raises(UsageError, match="completions"):
        score([result(P, P)], Checked())
    assert score([COMPILE_ERROR], Checked(no_code=0.0)) == [-0.5]  # compile errors need no text


def test_checked_composes_with_a_group_shaper() -> None:
    rollouts = [result(P, P), result(P, F), COMPILE_ERROR]
    rewards = score(rollouts, "checked:base=verpo", groups=[0, 0, 0], completions=[CODE, CODE, "```python\n(\n```"])
    # a: s=2 of 3 -> w=.4, b: s=1 -> w=.6
    assert rewards == pytest.approx([1.0, 0.5 * 0.4 / 1.0, 0.0 - 0.5])


SPEC_CASES = {
    "verpo": DifficultyWeighted(),
    "verpo:partial=0.3,window=4": DifficultyWeighted(partial=0.3, window=4),
    "threshold:at=0.9, strict=true": Threshold(0.9, strict=True),
    "checked:base=fraction,compile_error=1": Checked("fraction", compile_error=1),
    "open_r1": OPEN_R1,
    "weighted_sum:compile_error=0.2": WeightedSum(compile_error=0.2),
    "paverl:ran=0.25": PaVeRL(ran=0.25),
}


@pytest.mark.parametrize("spec", SPEC_CASES)
def test_shapers_are_named_by_specs(spec: str) -> None:
    shaper = get_shaper(spec)
    assert type(shaper) is type(SPEC_CASES[spec])
    for attr in ("partial", "window", "at", "strict", "base", "compile_error", "format_bonus"):
        assert getattr(shaper, attr, None) == getattr(SPEC_CASES[spec], attr, None), attr
    assert get_shaper(spec) is shaper  # one instance per spec: a window's state outlives a call


@pytest.mark.parametrize(("spec", "says"), [
    ("verpo2", "unknown reward 'verpo2'"), ("verpo:partial", "not key=value"),
    ("verpo:depth=2", "unknown setting 'depth'; verpo takes partial, window"),
    ("open_r1:at=1", "open_r1 takes none"),
    ("threshold:at=2", "in \\[0, 1\\]"), ("checked:base=nope", "unknown reward 'nope'"),
])
def test_a_bad_spec_says_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        shaper = get_shaper(spec)
        score([result(P)], shaper, completions=[CODE])


def test_the_summary_describes_shaped_rewards_and_leaves_errors_out() -> None:
    from codereward.metrics import summarize

    rollouts = [result(P, P), result(P, F), result(F, F), result(error=True)]
    score(rollouts, Checked("fraction", no_code=0.0, compile_error=0.0, bad_format=0.25), completions=[CODE] * 4)
    assert summarize(rollouts)["reward"] == {"mean": pytest.approx((0.75 + 0.25 - 0.25) / 3), "min": -0.25,
                                             "max": 0.75, "scored": 3, "partial": 2, "negative": 1}
    assert "reward" not in summarize([result(error=True)])
