"""Test-generator rewards: UTRL's discrimination reward and CURE's unit-test reward, exact on hand-computed
matrices and against transcriptions of the authors' code (dgjun32/UTRL reward.py at d4d7305, Gen-Verse/CURE
optimization/reward.py at 69fe174), then from real sandbox executions and through the TRL reward object."""

from __future__ import annotations

import doctest
import pickle
from collections.abc import Iterator

import numpy as np
import pytest

import codereward.integrations.testgen as testgen_integration
import codereward.rewards.testgen as testgen_rewards_module
from codereward import AssertSuite, Engine, InfraError, Task, UsageError
from codereward.integrations.testgen import (
    CURE,
    UTRL,
    UnitTesterReward,
    generated_tests,
    score_testgen,
    shaper_of,
)
from codereward.rewards.testgen import (
    cure_code_rewards,
    cure_test_rewards,
    utrl_code_format,
    utrl_code_reward,
    utrl_format,
    utrl_reward,
)


@pytest.mark.parametrize("module", [testgen_rewards_module, testgen_integration], ids=["rewards", "integration"])
def test_docstring_examples_hold(module) -> None:
    assert doctest.testmod(module).failed == 0


# -- UTRL, by hand ------------------------------------------------------------------------------------------

# 4 candidates; unique cases 0, 1, 3 valid. Candidate 0 fails case 0 (caught), 1 fails only the invalid case 2
# (not caught), 2 fails case 3 (caught), 3 fails nothing. 5 cases were extracted, one a duplicate.
VALID = [True, True, False, True]
FAILS = [[True, False, False, False], [False, False, True, False], [False, False, False, True],
         [False, False, False, False]]


def test_utrl_hand_example() -> None:
    s = utrl_reward(VALID, FAILS, format_ok=True, n_cases=5)
    assert s.discrimination == 2 / 4 and s.clipped_validity == 3 / 12 and s.format == 1.0
    assert s.score == 0.1 * 1.0 + 0.85 * 0.5 + 0.05 * 0.25  # UTRL's expression, in its order
    assert s.score == pytest.approx(0.5375, abs=1e-15)
    assert (s.validity_ratio, s.validity_ratio_all) == (3 / 4, 3 / 5)  # iteration 1's log, iteration 2's
    assert (s.n_cases, s.n_unique, s.n_valid) == (5, 4, 3)
    assert utrl_reward(VALID, FAILS, format_ok=False).score == 0.1 * 0.0 + 0.85 * 0.5 + 0.05 * 0.25


def test_utrl_counts_duplicate_candidates_and_clips_validity_past_twelve_cases() -> None:
    # 15 unique cases, 13 valid: the clip's denominator is 15. Candidate rows: the caught program sampled
    # twice, an uncaught one once: 2 of 3 sampled programs caught.
    valid = [True] * 13 + [False, False]
    caught = [False] * 12 + [True, False, False]
    missed = [False] * 13 + [True, True]  # fails only the invalid cases
    s = utrl_reward(valid, [caught, caught, missed], format_ok=True)
    assert s.clipped_validity == 13 / 15 and s.discrimination == 2 / 3
    assert s.score == 0.1 * 1.0 + 0.85 * (2 / 3) + 0.05 * (13 / 15)


def test_utrl_edge_cases() -> None:
    no_valid = utrl_reward([False, False], [[True, True]], format_ok=True)
    assert (no_valid.discrimination, no_valid.clipped_validity, no_valid.score) == (0.0, 0.0, 0.1)
    empty = utrl_reward([], np.zeros((3, 0), dtype=bool), format_ok=True, n_cases=0)
    assert empty.score == 0.1 and empty.n_unique == 0
    assert utrl_reward([], np.zeros((3, 0), dtype=bool), format_ok=False).score == 0.0
    weighted = utrl_reward(VALID, FAILS, format_ok=True, format_weight=0.0, discrimination_weight=1.0,
                           validity_weight=0.0, clip=4)
    assert weighted.score == 0.5 and weighted.clipped_validity == 3 / 4
    with pytest.raises(UsageError, match="candidate"):
        utrl_reward(VALID, np.zeros((0, 4), dtype=bool), format_ok=True)
    with pytest.raises(UsageError, match="columns"):
        utrl_reward(VALID, [[True]], format_ok=True)
    with pytest.raises(UsageError, match="duplicates"):
        utrl_reward(VALID, FAILS, format_ok=True, n_cases=3)


def test_utrl_format_flags() -> None:
    ok = "<reasoning>a</reasoning>\n```\nassert f(1) == 1\n```\n<reasoning>b</reasoning>\n```\nassert f(2) == 2\n```"
    assert utrl_format(ok, 2) and not utrl_format(ok, 3)
    assert not utrl_format(ok + "\nmore text", 2)  # degenerated after the last case
    assert utrl_code_format("<reasoning>x</reasoning>\n```python\ndef f():\n    pass\n```")
    assert not utrl_code_format("<reasoning> </reasoning>\n```python\ndef f():\n    pass\n```")  # empty reasoning
    assert not utrl_code_format("```python\ndef f():\n    pass\n```\n<reasoning>x</reasoning>")  # code first


def test_utrl_code_reward_drops_invalid_cases_and_keeps_utrls_epsilon() -> None:
    assert utrl_code_reward([True, True, False], [True, False, True], format_ok=True) == 0.9 * (1 / (2 + 1e-6)) + 0.1
    assert utrl_code_reward([True, True], [True, True], format_ok=False) == 0.9 * (2 / (2 + 1e-6)) < 0.9
    assert utrl_code_reward([False, False], [True, True], format_ok=True) == 0.1  # no kept case: pass rate 0
    assert utrl_code_reward([], [], format_ok=False) == 0.0


def utrl_oracle(gt_results: list[bool], candidate_fails: list[list[bool]], formatting_reward: float) -> float:
    """discrimination_reward_stdio_iter_1's arithmetic, transcribed (executions replaced by the matrix)."""
    gt_results_arr = np.array(gt_results)
    if len(gt_results) == 0:
        return 0.1 * formatting_reward + 0.85 * 0.0 + 0.05 * 0.0
    validity_reward = gt_results_arr.mean()
    clipped_validity = gt_results_arr.sum() / max(12.0, len(gt_results))
    if validity_reward == 0.0:
        entire_discrimination_reward = 0.0
    else:
        idx_passed = np.where(gt_results_arr == 1)[0]
        failed_candidate_indices = set()
        for i in idx_passed:
            for j in range(len(candidate_fails)):
                if candidate_fails[j][i]:
                    failed_candidate_indices.add(j)
        entire_discrimination_reward = len(failed_candidate_indices) / len(candidate_fails)
    return float(0.1 * formatting_reward + 0.85 * entire_discrimination_reward + 0.05 * clipped_validity)


def test_utrl_matches_its_code_on_random_matrices() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        k, j = int(rng.integers(1, 9)), int(rng.integers(0, 20))
        valid = rng.random(j) < rng.random()
        fails = rng.random((k, j)) < rng.random()
        fmt = bool(rng.integers(2))
        ours = utrl_reward(valid, fails, format_ok=fmt).score
        assert ours == utrl_oracle(valid.tolist(), fails.tolist(), float(fmt))


# -- CURE, by hand ------------------------------------------------------------------------------------------

# Programs 0, 1 correct, 2, 3 wrong (rows); tests: +1 (rejects program 3), +2 (rejects both wrong ones),
# -2 (fails correct program 0, lets both wrong ones through), 0 (passes everyone).
PASSED = np.array([[1, 1, 0, 1], [1, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 1]], dtype=bool)
CORRECT = np.array([1, 1, 0, 0], dtype=bool)


def test_cure_worked_example_paper_and_code_forms() -> None:
    assert cure_test_rewards(PASSED, CORRECT, form="paper", normalize=False).tolist() == [1.0, 2.0, -2.0, 0.0]
    raw = cure_test_rewards(PASSED, CORRECT, normalize=False)
    assert raw.tolist() == [0.5, 1.0, -1.0, 0.0]  # the paper form over the 2 wrong programs
    z = cure_test_rewards(PASSED, CORRECT)
    mean, std = 0.125, np.sqrt(((0.375 ** 2) + (0.875 ** 2) + (1.125 ** 2) + (0.125 ** 2)) / 4)
    assert z.tolist() == pytest.approx([(v - mean) / std for v in raw.tolist()], abs=1e-15)
    assert z.tolist() == ((raw - raw.mean()) / raw.std()).tolist()  # CURE's normalize_reward, exactly
    # Normalised, both forms agree (the paper form is the code form times the number of wrong programs).
    assert cure_test_rewards(PASSED, CORRECT, form="paper").tolist() == pytest.approx(z.tolist(), abs=1e-15)


def test_cure_post_stage_is_all_or_nothing() -> None:
    assert cure_test_rewards(PASSED, CORRECT, post_stage=True, normalize=False).tolist() == [0.0, 1.0, -1.0, -0.0]


def test_cure_skips_a_task_without_a_correct_program_and_a_constant_group() -> None:
    assert np.isnan(cure_test_rewards(PASSED, [False] * 4)).all()
    assert np.isnan(cure_test_rewards([[True, True], [False, False]], [True, False])).all()  # both +1: std 0
    assert cure_test_rewards(np.zeros((2, 0), dtype=bool), [True, False]).shape == (0,)


def test_cure_without_wrong_programs_code_signs_paper_zeros() -> None:
    passed = [[True, False], [True, True]]
    assert cure_test_rewards(passed, [True, True], normalize=False).tolist() == [1.0, -1.0]
    assert cure_test_rewards(passed, [True, True], form="paper", normalize=False).tolist() == [0.0, 0.0]
    assert np.isnan(cure_test_rewards(passed, [True, True], form="paper")).all()
    with pytest.raises(UsageError, match="post_stage"):
        cure_test_rewards(passed, [True, True], form="paper", post_stage=True)


def test_cure_code_rewards() -> None:
    raw = cure_code_rewards([[1, 1], [1, 0], [0, 0], [1, 1]], normalize=False)
    assert raw.tolist() == [1.0, 0.5, 0.0, 1.0]
    assert cure_code_rewards([[1, 1], [1, 0], [0, 0], [1, 1]]).tolist() == ((raw - 0.625) / raw.std()).tolist()
    assert np.isnan(cure_code_rewards([[1, 0], [0, 1]])).all()  # std 0
    assert np.isnan(cure_code_rewards(np.zeros((3, 0), dtype=bool))).all()  # no ground-truth test


def test_cure_skips_ties_that_rounding_hides_from_its_std_check() -> None:
    # Three programs passing 1 of 10 ground-truth tests: np.std([0.1] * 3) is 1.4e-17, not 0, and CURE's code
    # would hand each of them an advantage of exactly -1.
    table = np.zeros((3, 10), dtype=bool)
    table[:, 0] = True
    rewards = np.mean(table, 1)
    assert np.std(rewards).item() != 0 and ((rewards - rewards.mean()) / rewards.std()).tolist() == [-1.0] * 3
    assert np.isnan(cure_code_rewards(table)).all()


def cure_oracle(all_case_bool_table: np.ndarray, t: int, post_stage: bool) -> np.ndarray | None:
    """optimization/reward.py's case-reward block, transcribed (enable_efficient off): the first t columns
    are the ground-truth tests, the rest the generated ones."""
    all_test_table_i = np.array(all_case_bool_table)[:, :t].copy()
    all_case_table_i = np.array(all_case_bool_table)[:, t:].copy()
    correct_code_list = np.where(all_test_table_i.all(axis=1))[0].tolist()
    if len(correct_code_list) > 0:
        correct_code_table = all_case_table_i[correct_code_list, :].copy()
        index_list = np.where(np.all(correct_code_table, axis=0))[0].tolist()
        reward_sign = -np.ones(correct_code_table.shape[1], dtype=float)
        reward_sign[index_list] = 1
        case_reward = reward_sign.copy()
        wrong_code_list = [j for j in range(all_case_table_i.shape[0]) if j not in correct_code_list]
        if len(wrong_code_list) > 0:
            reward_scale = np.ones(correct_code_table.shape[1], dtype=float)
            correct_case_list = np.where(correct_code_table.all(axis=0))[0].tolist()
            wrong_case_list = [j for j in range(all_case_table_i.shape[1]) if j not in correct_case_list]
            if len(correct_case_list):
                wrong_code_correct_case_table = all_case_table_i[wrong_code_list, :][:, correct_case_list].copy()
                if post_stage is False:
                    mean_p01 = np.mean(~wrong_code_correct_case_table, 0)
                else:
                    mean_p01 = (~np.any(wrong_code_correct_case_table, axis=0)).astype(float)
                reward_scale[correct_case_list] = reward_scale[correct_case_list] * mean_p01
            if len(wrong_case_list):
                wrong_code_wrong_case_table = all_case_table_i[wrong_code_list, :][:, wrong_case_list].copy()
                if post_stage is False:
                    mean_p00 = np.mean(wrong_code_wrong_case_table, 0)
                else:
                    mean_p00 = (np.any(wrong_code_wrong_case_table, axis=0)).astype(float)
                reward_scale[wrong_case_list] = reward_scale[wrong_case_list] * mean_p00
            case_reward = case_reward * reward_scale
        # normalize_reward (enable_efficient off)
        mean, std = np.mean(case_reward), np.std(case_reward)
        if std.item() == 0:
            return None
        return (case_reward - mean) / std
    return None


@pytest.mark.parametrize("post_stage", [False, True])
def test_cure_matches_its_code_on_random_matrices(post_stage: bool) -> None:
    rng = np.random.default_rng(1)
    compared = 0
    for _ in range(400):
        n, t, m = int(rng.integers(1, 10)), int(rng.integers(1, 4)), int(rng.integers(1, 10))
        table = rng.random((n, t + m)) < rng.random()
        expected = cure_oracle(table, t, post_stage)
        correct = table[:, :t].all(axis=1)
        ours = cure_test_rewards(table[:, t:], correct, post_stage=post_stage)
        raw = cure_test_rewards(table[:, t:], correct, post_stage=post_stage, normalize=False)
        if expected is None:
            assert np.isnan(ours).all()
        elif np.all(raw == raw[0]):  # our one deviation: a tie that rounding hid from CURE's std check
            assert np.isnan(ours).all()
        else:
            assert ours.tolist() == expected.tolist()
            compared += 1
    assert compared > 100


# -- extraction and specs ------------------------------------------------------------------------------------


def test_generated_tests_from_blocks_plain_text_and_chat() -> None:
    blocks = ("<think>add(9, 9)?</think>First:\n```python\nassert add(1, 2) == 3\n```\nSecond:\n```py\n"
              "assert add(2, 2) == 4\nassert add(1, 2) == 3\n```\n```text\nassert add(0, 0) == 5\n```")
    assert generated_tests(blocks, "add") == ["assert add(1, 2) == 3", "assert add(2, 2) == 4",
                                              "assert add(1, 2) == 3"]
    assert generated_tests("assert add(1, 1) == 2\n# edge\nassert add(0, 0) == 0", "add") == [
        "assert add(1, 1) == 2", "assert add(0, 0) == 0"]
    assert generated_tests([{"role": "assistant", "content": "assert add(5, 5) == 10"}], "add") == [
        "assert add(5, 5) == 10"]
    assert generated_tests("No tests, sorry: add is hard.", "add") == []


def test_specs() -> None:
    assert shaper_of("utrl") == UTRL()
    assert shaper_of("utrl:clip=8,format_weight=0") == UTRL(clip=8.0, format_weight=0.0)
    assert shaper_of("cure:post_stage=true,form=paper") == CURE(post_stage=True, form="paper")
    with pytest.raises(UsageError, match="utrl or cure"):
        shaper_of("codet")
    with pytest.raises(UsageError, match="post_stage"):
        shaper_of("cure:post_sage=true")


# -- in the sandbox ------------------------------------------------------------------------------------------

CORRECT_ADD = "def add(a, b):\n    return a + b\n"
WRONG_ADD = "def add(a, b):\n    return a + b if a < 10 else 0\n"  # wrong from a = 10 on
TASK = Task(id="t/add", entry_point="add", reference=CORRECT_ADD,
            tests=AssertSuite(code="def check(candidate):\n    assert candidate(1, 2) == 3\n"
                                   "    assert candidate(30, 4) == 34\n"))
PROGRAMS = [CORRECT_ADD, WRONG_ADD, WRONG_ADD]  # 3 sampled programs, 2 of them the same wrong one
CATCHES = ("<reasoning>small</reasoning>\n```python\nassert add(1, 2) == 3\n```\n"
           "<reasoning>a large first term</reasoning>\n```python\nassert add(20, 1) == 21\n```")  # UTRL's format
MISSES = "assert add(1, 2) == 3\nassert add(2, 2) == 4"
INVALID = "assert add(1, 1) == 3"  # the reference fails it: it counts for nothing
NOTHING = "I cannot write tests for this."
GENERATIONS = [CATCHES, MISSES, INVALID, NOTHING]


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(workers=2) as e:
        yield e


def test_utrl_in_the_sandbox_rewards_the_suite_that_catches_a_wrong_program(engine: Engine) -> None:
    rewards = score_testgen(engine, TASK, PROGRAMS, GENERATIONS)
    assert rewards == [0.1 * 1.0 + 0.85 * (2 / 3) + 0.05 * (2 / 12),  # catches both wrong samples, formatted
                       0.1 * 0.0 + 0.85 * 0.0 + 0.05 * (2 / 12),  # valid, catches nothing
                       0.0, 0.0]
    assert rewards[0] > rewards[1] > rewards[2]
    plain = score_testgen(engine, TASK, PROGRAMS, GENERATIONS, UTRL(format_check=None))
    assert plain[1] == 0.1 + 0.05 * (2 / 12) and plain[3] == 0.1


def test_cure_in_the_sandbox(engine: Engine) -> None:
    # Columns per rollout (a program passes a rollout when it passes all its tests): the catching suite passes
    # the correct program only; the missing one passes all; the invalid and the empty ones pass none.
    columns = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]], dtype=bool)
    expected = cure_test_rewards(columns, [True, False, False])
    assert score_testgen(engine, TASK, PROGRAMS, GENERATIONS, "cure") == expected.tolist()
    assert expected.tolist() == pytest.approx([np.sqrt(3), -1 / np.sqrt(3), -1 / np.sqrt(3), -1 / np.sqrt(3)])
    # No program correct: CURE skips the task.
    assert score_testgen(engine, TASK, [WRONG_ADD], GENERATIONS, "cure") == [None] * 4


def test_trl_reward_object_groups_rows_by_prompt_and_pickles(engine: Engine) -> None:
    label = TASK.model_dump_json()
    reward = UnitTesterReward("utrl", engine=engine)
    assert reward.__name__ == "codereward_utrl"
    programs = ["```python\n" + CORRECT_ADD + "```", WRONG_ADD, WRONG_ADD]  # completions or bare programs
    out = reward(prompts=["p1"] * 4 + ["p2"], completions=GENERATIONS + [CATCHES], ground_truth=[label] * 5,
                 programs=[programs] * 4 + [[CORRECT_ADD]], trainer_state=None)
    assert out[:4] == score_testgen(engine, TASK, PROGRAMS, GENERATIONS)
    assert out[4] == 0.1 * 1.0 + 0.85 * 0.0 + 0.05 * (2 / 12)  # p2's only program is correct: nothing to catch
    copy = pickle.loads(pickle.dumps(UnitTesterReward("cure:form=paper")))
    assert copy.shaper == CURE(form="paper") and copy.__name__ == "codereward_cure"
    with pytest.raises(Exception, match="programs"):
        reward(prompts=["p"], completions=[CATCHES], ground_truth=[label])


def test_tasks_without_what_the_reward_reads_are_usage_errors(engine: Engine) -> None:
    no_reference = TASK.model_copy(update={"reference": None})
    with pytest.raises(UsageError, match="reference"):
        score_testgen(engine, no_reference, PROGRAMS, GENERATIONS)
    with pytest.raises(UsageError, match="programs"):
        score_testgen(engine, TASK, [], GENERATIONS)


class BrokenExecutor:
    """An executor whose every execution breaks as a sandbox would."""

    n_workers = capacity = 1
    fingerprint = "broken"
    stats: dict[str, int] = {}

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def execute(self, job, **kw):
        raise InfraError("sandbox worker exited")


@pytest.mark.parametrize("reward", ["utrl", "cure"])
def test_a_sandbox_failure_is_none_never_zero(reward: str) -> None:
    with Engine(BrokenExecutor()) as broken:
        assert score_testgen(broken, TASK, PROGRAMS, GENERATIONS, reward) == [None] * 4
