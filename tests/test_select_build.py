"""Pass matrices built in real sandboxes: what each cell says, the invalid tests, the hangs, the ground truth,
and the programs that try to pass tests without answering them."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import numpy as np
import pytest

from codereward import Engine, load_humaneval
from codereward.errors import InfraError
from codereward.results import Outcome
from codereward.select import MatrixInput, MatrixOptions, build, codet, ranked_pass_at_k
from codereward.select.matrix import OUTCOME_CODES

TASK = load_humaneval()["HumanEval/13"]
HEAD = "def greatest_common_divisor(a: int, b: int) -> int:\n"
ONE = HEAD + "    return 1\n"
EUCLID = "    while b:\n        a, b = b, a % b\n    return a\n"
GCD = HEAD + EUCLID
HANGS_ON_4 = HEAD + "    if a == 4:\n        while True:\n            pass\n" + EUCLID
# Catches the interruption of its hang and hangs again: the judge kills it, its other tests run in a new process.
STUBBORN = (HEAD + "    if a == 4:\n        while True:\n            try:\n                while True:\n"
            "                    pass\n            except BaseException:\n                pass\n" + EUCLID)
EXITS_ON_4 = HEAD + "    if a == 4:\n        import os\n        os._exit(0)\n" + EUCLID
ALWAYS_EQUAL = ("class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n\n\n"
                + HEAD + "    return AlwaysEqual()\n")
# Makes every assert in its own module a no-op and replaces builtins the test might use.
PATCHES = ("import builtins\nbuiltins.AssertionError = type('Nothing', (Exception,), {})\n"
           "builtins.isinstance = lambda *a: True\n" + HEAD + "    return -1\n")
COUNTER = "calls = 0\n\n\n" + HEAD + "    global calls\n    calls += 1\n    return calls\n"

TESTS = [
    "assert greatest_common_divisor(3, 7) == 1",
    "assert greatest_common_divisor(10, 15) == 5",
    "assert greatest_common_divisor(4, 6) == 2",
    "assert greatest_common_divisor(25, 5) == 5",
    "assert greatest_common_divisor(3, 7) == 1",  # proposed twice: counted twice
    "assert undefined_name == 1",  # raises on its own for everyone: invalid
    "from os import *",  # not a statement of a function body: invalid, never run
]


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(workers=2) as e:
        yield e


@pytest.fixture(scope="module")
def matrix(engine: Engine):
    programs = [GCD, ONE, HANGS_ON_4, STUBBORN, EXITS_ON_4, ALWAYS_EQUAL, PATCHES, GCD]
    [m] = build(engine, [MatrixInput(TASK, programs, TESTS)], MatrixOptions(test_time=0.2))
    return m


def row(m, program: str) -> list[str]:
    names = {code: outcome.value for outcome, code in OUTCOME_CODES.items()}
    return [names.get(int(c), "-") for c in m.outcomes[m.programs.index(program)]]


def test_programs_and_tests_are_counted_once_with_their_multiplicities(matrix) -> None:
    assert len(matrix.programs) == 7 and matrix.program_counts[matrix.programs.index(GCD)] == 2
    assert len(matrix.tests) == 6 and matrix.test_counts.tolist() == [2, 1, 1, 1, 1, 1]


def test_invalid_tests_count_for_no_one(matrix) -> None:
    assert matrix.invalid.tolist() == [False, False, False, False, True, True]
    assert matrix.extra["not_statements"] == 1
    assert not matrix.valid()[:, 4:].any()


def test_cells_of_correct_and_wrong_programs(matrix) -> None:
    assert row(matrix, GCD)[:4] == ["passed"] * 4
    assert row(matrix, ONE)[:4] == ["passed", "wrong_answer", "wrong_answer", "wrong_answer"]
    assert matrix.reference is not None and (matrix.reference[:4] == OUTCOME_CODES[Outcome.PASSED]).all()


@pytest.mark.parametrize("program", [HANGS_ON_4, STUBBORN], ids=["interrupted", "swallows-the-interruption"])
def test_a_hang_fails_its_cell_and_the_tests_after_it_still_run(matrix, program: str) -> None:
    assert row(matrix, program)[:4] == ["passed", "passed", "time_limit", "passed"]


def test_a_program_that_exits_mid_suite_fails_that_test_only(matrix) -> None:
    cells = row(matrix, EXITS_ON_4)
    assert cells[2] != "passed" and [cells[0], cells[1], cells[3]] == ["passed"] * 3


@pytest.mark.parametrize("program", [ALWAYS_EQUAL, PATCHES], ids=["always-equal", "patched-builtins"])
def test_gaming_objects_and_patched_builtins_pass_nothing(matrix, program: str) -> None:
    assert "passed" not in row(matrix, program)[:4]
    assert not matrix.correct[matrix.programs.index(program)]


def test_ground_truth_is_the_tasks_own_tests(matrix) -> None:
    correct = dict(zip(matrix.programs, matrix.correct.tolist(), strict=True))
    assert correct[GCD] and not correct[ONE]
    assert correct[HANGS_ON_4] and correct[EXITS_ON_4]  # HumanEval/13's own tests never call it with a == 4


def test_outputs_are_what_each_call_returned(matrix) -> None:
    outputs = matrix.outputs[matrix.programs.index(ONE)]
    assert [ast.literal_eval(o) for o in outputs[:4]] == [1, 1, 1, 1]
    assert matrix.inputs[:4] == ["greatest_common_divisor(3, 7)", "greatest_common_divisor(10, 15)",
                                 "greatest_common_divisor(4, 6)", "greatest_common_divisor(25, 5)"]


def test_module_state_carries_from_test_to_test_unless_fresh(engine: Engine) -> None:
    tests = ["assert greatest_common_divisor(1, 1) == 1", "assert greatest_common_divisor(1, 1) == 2"]
    [shared] = build(engine, [MatrixInput(TASK, [COUNTER], tests)], MatrixOptions(ground_truth=False))
    [fresh] = build(engine, [MatrixInput(TASK, [COUNTER], tests)], MatrixOptions(ground_truth=False, fresh=True))
    assert shared.passed[0].tolist() == [True, True]  # as in CodeT's harness: one process per program
    assert fresh.passed[0].tolist() == [True, False]


def test_codet_ranks_the_program_passing_every_valid_test_first(matrix) -> None:
    ranking = codet(matrix)
    [best], score = ranking[0]
    assert matrix.programs[best] == GCD
    assert score == pytest.approx(5 * np.sqrt(2))  # 5 valid tests counted with multiplicity x sqrt(2 samples)
    assert ranked_pass_at_k([matrix], {matrix.task_id: ranking}, ks=(1,)) == {"pass@1": 1.0}


def test_a_ground_truth_the_sandbox_could_not_give_is_never_scored(matrix) -> None:
    broken = matrix.__class__(**{**matrix.__dict__, "extra": {**matrix.extra, "truth_errors": [1]}})
    with pytest.raises(InfraError, match="ground truth"):
        ranked_pass_at_k([broken], {broken.task_id: codet(broken)}, ks=(1,))

