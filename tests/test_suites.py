"""Scoring test suites (codereward.suites): mutants, their verdicts in real sandboxes, likely-equivalent mutants,
the budget, coverage measured in the sandbox, and TPR/TNR against pools of known programs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from codereward import Engine
from codereward.errors import InputError, UsageError
from codereward.results import Outcome, Result, Status, TestResult
from codereward.suites import (
    PACKAGES,
    Pool,
    classify,
    coverage_of,
    generated_suite,
    mutants,
    mutation_scores,
    operator_names,
    pool_score,
    pool_summary,
    read_pools,
    score_suites,
    summarize,
)
from codereward.suites.covering import analyse
from codereward.suites.mutation import MutationReport
from codereward.tasks.model import AssertSuite, Task

CLIP = ("def clip(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n        return hi\n"
        "    return x\n")
ONE_TEST = "def check(candidate):\n    assert candidate(5, 0, 10) == 5\n"
FIVE_TESTS = ("def check(candidate):\n    assert candidate(5, 0, 10) == 5\n    assert candidate(-1, 0, 10) == 0\n"
              "    assert candidate(11, 0, 10) == 10\n    assert candidate(0, 0, 10) == 0\n"
              "    assert candidate(10, 0, 10) == 10\n")
WEAK = Task(id="clip", entry_point="clip", reference=CLIP, tests=AssertSuite(code=ONE_TEST))
STRONG = Task(id="clip", entry_point="clip", reference=CLIP, tests=AssertSuite(code=FIVE_TESTS))
# `i += 1` becomes `i += 0` (NumberReplacer): a mutant that never ends.
TOTAL = ("def total(n):\n    i = 0\n    s = 0\n    while i < n:\n        s += i\n        i += 1\n    return s\n")
LOOP = Task(id="total", entry_point="total", reference=TOTAL,
            tests=AssertSuite(code="def check(candidate):\n    assert candidate(4) == 6\n"))
# `2 - 1` made `1 - 1` (NumberReplacer), `2 % 1`...: divides by zero while the module loads, never loads.
SCALED = "STEP = 10 // (2 - 1)\n\n\ndef scaled(x):\n    return x * STEP\n"
LOADS = Task(id="scaled", entry_point="scaled", reference=SCALED,
             tests=AssertSuite(code="def check(candidate):\n    assert candidate(3) == 30\n"))


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(workers=2, time_limit="auto", validate_tests=True, packages=PACKAGES) as e:
        yield e


# -- mutants (no sandbox) ----------------------------------------------------------------------------------

def test_mutants_are_cosmic_rays_default_operators_in_its_order() -> None:
    ms = mutants(CLIP)
    assert {m.operator for m in ms} <= set(operator_names())
    assert "core/VariableReplacer" not in operator_names()  # it needs arguments: not in a default session
    assert len({m.program for m in ms}) == len(ms) and all(m.program != CLIP for m in ms)
    first = next(m for m in ms if m.operator == "core/ReplaceComparisonOperator_Lt_LtE")
    assert first.line == 2 and "if x <= lo:" in first.program
    assert "-    if x < lo:\n+    if x <= lo:\n" in first.diff(CLIP)
    assert [m.index for m in ms] == list(range(len(ms)))
    assert mutants(CLIP) == ms  # deterministic


def test_mutants_can_be_limited_and_chosen_by_operator() -> None:
    only = mutants(CLIP, operators=["ReplaceComparisonOperator_Lt_LtE", "core/ReplaceComparisonOperator_Gt_GtE"])
    assert [m.line for m in only] == [2, 4]
    assert len(mutants(CLIP, limit=3)) == 3
    with pytest.raises(UsageError, match="unknown mutation operator"):
        mutants(CLIP, operators=["NoSuchOperator"])
    with pytest.raises(UsageError, match="does not parse"):
        mutants("def f(:\n")


def _result(outcomes: list[Outcome], status: Status = Status.FAILED, cause: str = "") -> Result:
    return Result("t", status, [TestResult(f"test {i}", o, cause=cause) for i, o in enumerate(outcomes)])


def test_classify_decides_each_mutants_status() -> None:
    P, W, T = Outcome.PASSED, Outcome.WRONG_ANSWER, Outcome.TIME_LIMIT
    assert classify(_result([P, P], Status.PASSED)) == ("survived", [], "")
    assert classify(_result([W, P, W])) == ("killed", [0, 2], "")
    assert classify(_result([P, T, Outcome.SKIPPED])) == ("timed_out", [1], "")
    assert classify(_result([W, T])) == ("killed", [0, 1], "")
    assert classify(_result([W, P]), reference_failed=[0]) == ("survived", [], "")  # the reference fails test 0 too
    assert classify(_result([Outcome.RUNTIME_ERROR], cause="load_raised"))[0] == "invalid"
    assert classify(Result("t", Status.ERROR, reason="sandbox failure")) == ("error", [], "sandbox failure")


def test_a_report_without_mutants_has_no_score_never_one() -> None:
    report = MutationReport("t", ["test 0"], [])
    assert report.score is None and report.score_nonequivalent is None
    assert report.to_dict()["score"] is None


# -- pools (no sandbox) -----------------------------------------------------------------------------------

def test_pool_rates_as_codecontests_o_and_saga_define_them() -> None:
    # Programs: 0, 1 correct; 2, 3, 4 incorrect. Test 1 fails correct program 1 (a false alarm).
    passed = [[1, 1, 1],
              [1, 0, 1],
              [0, 1, 1],
              [1, 1, 1],
              [1, 1, 0]]
    s = pool_score("t", passed, [True, True, False, False, False], counts=[1, 2, 1, 3, 1])
    assert (s.correct, s.correct_accepted, s.incorrect, s.incorrect_rejected) == (3, 1, 5, 2)
    assert s.tpr == pytest.approx(1 / 3) and s.tnr == pytest.approx(2 / 5)
    assert s.catches == [[2], [], [4]] and s.false_alarms == [0, 2, 0]
    assert s.verified is False
    # Leave test 1 out (the reference fails it, say): both correct programs are accepted.
    u = pool_score("t", passed, [True, True, False, False, False], counts=[1, 2, 1, 3, 1], usable=[1, 0, 1])
    assert u.tpr == 1.0 and u.catches[1] == []
    # A program the sandbox could not run is in neither count.
    e = pool_score("t", passed, [True, True, False, False, False], executed=[1, 1, 1, 0, 1])
    assert (e.incorrect, e.errors) == (2, 1)


def test_pool_summary_macro_averages_total_and_intersection() -> None:
    a = pool_score("a", [[1], [0]], [True, False])  # TPR 1, TNR 1: verified
    b = pool_score("b", [[1], [1]], [True, False])  # TPR 1, TNR 0
    c = pool_score("c", [[0]], [True])  # TPR 0, no incorrect program: TNR undefined
    summary = pool_summary([a, b, c])
    assert summary["tpr"] == pytest.approx(2 / 3) and summary["tnr"] == pytest.approx(0.5)
    assert summary["tpr_intersection"] == 1.0 and summary["intersection_problems"] == 2
    assert summary["detection_rate"] == summary["tnr"]
    assert summary["verifier_accuracy"] == 0.5  # a verified, b not; c has no incorrect program


def test_read_pools_reads_both_shapes_and_names_bad_lines(tmp_path: Path) -> None:
    tasks = {"clip": WEAK}
    path = tmp_path / "pools.jsonl"
    path.write_text(json.dumps({"task_id": "clip", "solutions": [CLIP], "incorrect_solutions": ["x"]}) + "\n"
                    + json.dumps({"task_id": "clip", "incorrect_solutions": {"language": [3, 2, "PYTHON3"],
                                                                             "solution": ["a", "b", "c"]}}) + "\n")
    pools = read_pools(path, tasks)
    assert pools["clip"].correct == [CLIP] and pools["clip"].incorrect == ["x", "a", "c"]
    assert pools["clip"].other_languages == 1
    path.write_text(json.dumps({"task_id": "clip", "solutions": "not a list"}) + "\n")
    with pytest.raises(InputError, match=r"pools.jsonl:1: .*\(field 'solutions'\)"):
        read_pools(path, tasks)
    path.write_text("\n" + json.dumps({"task_id": "clap", "solutions": []}) + "\n")
    with pytest.raises(InputError, match=r"pools.jsonl:2: unknown task id 'clap' \(field 'task_id'\)"):
        read_pools(path, tasks)


def test_coverage_analysis_is_coverage_pys() -> None:
    # Arcs of clip(5, 0, 10) alone: both ifs false.
    cov = analyse("clip", CLIP, [(-1, 1), (1, -1), (-1, 2), (2, 4), (4, 6), (6, -1)])
    assert cov.statements == 6 and cov.missing_lines == [3, 5]
    assert cov.line_percent == pytest.approx(100 * 4 / 6)
    assert sorted(cov.missing_branches) == [(2, 3), (4, 5)] and cov.branch_percent == 50.0


# -- in the sandbox ---------------------------------------------------------------------------------------

def test_a_weak_suite_lets_mutants_through_that_a_strong_one_kills(engine: Engine) -> None:
    weak, = mutation_scores(engine, [WEAK], strong={"clip": STRONG})
    strong, = mutation_scores(engine, [STRONG])
    assert weak.complete and strong.complete and weak.count("error") == 0
    assert weak.score is not None and strong.score is not None and weak.score < strong.score
    # x <= lo and x >= hi return the same values as the reference: no test can kill them.
    equivalent = {m.mutant.operator for m in weak.mutants if m.equivalent}
    assert {"core/ReplaceComparisonOperator_Lt_LtE", "core/ReplaceComparisonOperator_Gt_GtE"} <= equivalent
    assert weak.score_with_strong == strong.score  # the strong suite kills exactly what it kills on its own
    assert {m.mutant.index for m in strong.survivors()} == {m.mutant.index for m in weak.mutants if m.equivalent}
    assert weak.score_nonequivalent is not None and weak.score_nonequivalent > weak.score
    d = weak.to_dict(CLIP)
    survivor = next(m for m in d["mutant_results"] if m["status"] == "survived")
    assert survivor["diff"].startswith("--- reference") and "strong" in survivor


def test_a_hanging_mutant_times_out_and_one_that_cannot_load_is_invalid(engine: Engine) -> None:
    loop, scaled = mutation_scores(engine, [LOOP, LOADS])
    hangs = [m for m in loop.mutants if m.status == "timed_out"]
    assert hangs and all("i += 0" in m.mutant.program for m in hangs)
    assert loop.killed == loop.count("killed") + len(hangs)
    broken = [m for m in scaled.mutants if m.status == "invalid"]
    # 2 - 1 made 2 % 1, 2 & 1 (= 0), 1 - 1, 2 - 2, ...: each divides by zero at import
    assert broken and all(eval(m.mutant.program.splitlines()[0].split("//")[1]) == 0 for m in broken)
    assert all("ZeroDivisionError" in m.detail for m in broken)
    assert scaled.scored == len(scaled.mutants) - len(broken)  # invalid mutants are out of the score


def test_a_test_the_reference_fails_kills_nothing(engine: Engine) -> None:
    suite = generated_suite(WEAK, ["assert False", "assert clip(5, 0, 10) == 5", "assert clip(-1, 0, 10) == 7"])
    report, = mutation_scores(engine, [suite])
    assert report.reference_failed == [0, 2]
    assert all(0 not in m.killed_by and 2 not in m.killed_by for m in report.mutants)
    assert report.score is not None and 0 < report.score < 1


def test_the_budget_leaves_a_partial_report_that_says_so(engine: Engine) -> None:
    report, = mutation_scores(engine, [STRONG], budget=0)
    assert not report.complete and "budget" in report.reason
    assert report.count("not_run") == len(report.mutants) > 0 and report.score is None


def test_coverage_is_measured_in_the_sandbox(engine: Engine) -> None:
    weak, strong = coverage_of(engine, WEAK), coverage_of(engine, STRONG)
    assert not weak.error and weak.missing_lines == [3, 5] and weak.branch_percent == 50.0
    assert strong.line_percent == 100.0 and strong.branch_percent == 100.0 and strong.missing_branches == []


def test_coverage_without_coverage_in_the_sandbox_says_why() -> None:
    with Engine(workers=1) as plain:  # packages: numpy only
        cov = coverage_of(plain, WEAK)
    assert cov.line_percent is None and "importing coverage" in cov.error


def test_generated_tests_against_a_pool(engine: Engine) -> None:
    tests = ["assert clip(5, 0, 10) == 5", "assert clip(-3, 0, 10) == 0", "assert clip(5, 0, 10) == 6"]
    wrong_low = CLIP.replace("return lo", "return x")
    wrong_high = CLIP.replace("return hi", "return x")
    pool = Pool([CLIP, CLIP.replace("x < lo", "lo > x")], [wrong_low, wrong_high])
    score, = score_suites(engine, [WEAK], tests={"clip": tests}, pools={"clip": pool}, mutation=False,
                          coverage=False)
    assert score.tests == 3 and score.precision == pytest.approx(2 / 3)  # the last test is wrong
    assert score.pool is not None
    assert (score.pool.tpr, score.pool.tnr) == (1.0, 0.5)  # the wrong test is left out: correct ones pass
    assert score.pool.catches == [[], [2], []]  # test 1 catches wrong_low (row 2); nothing catches wrong_high
    kept, = score_suites(engine, [WEAK], tests={"clip": tests}, pools={"clip": pool}, mutation=False,
                         coverage=False, keep_invalid=True)
    assert kept.pool is not None and kept.pool.tpr == 0.0 and kept.pool.tnr == 1.0
    summary = summarize([score])
    assert summary["pools"]["verifier_accuracy"] == 0.0 and summary["precision"] == pytest.approx(2 / 3)


def test_humaneval_plus_tasks_score_as_call_suites(engine: Engine) -> None:
    data = Path(__file__).resolve().parents[2] / "shared" / "data" / "humanevalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz"
    if not data.exists():
        pytest.skip(f"{data} not present")
    from codereward.tasks import load_dataset

    task = load_dataset("humanevalplus", data)["HumanEval/2"]
    cov = coverage_of(engine, task)
    assert cov.line_percent == 100.0, cov
    report, = mutation_scores(engine, [task])
    assert report.complete and report.score == 1.0


# -- a test generator gaming the score ---------------------------------------------------------------------

GAMING_TESTS = [
    "assert False",  # kills every mutant, and the reference: kills nothing
    "import inspect\nassert 'x < lo' in inspect.getsource(clip)",  # the source is not in the judge's process
    "assert clip.__code__.co_consts == (None,)",  # nor the code object: the candidate is behind a proxy
    "assert clip.__name__ == 'clip'",  # true of every mutant too
    "import os\nassert 'x < lo' in open('/proc/%d/cmdline' % os.getppid()).read()",  # nor another process's
    "assert clip(5, 0, 10) == 5",  # the one honest test
]


def test_a_test_that_looks_at_the_program_instead_of_running_it_kills_nothing(engine: Engine) -> None:
    suite = generated_suite(WEAK, GAMING_TESTS)
    report, = mutation_scores(engine, [suite])
    honest, = mutation_scores(engine, [generated_suite(WEAK, GAMING_TESTS[-1:])])
    # Whatever the reference fails is ignored, and what it passes every mutant passes too: the score is the
    # honest test's alone.
    killers = {j for m in report.mutants for j in m.killed_by}
    assert killers <= {len(GAMING_TESTS) - 1}, [report.tests[j] for j in killers]
    assert report.score == honest.score and report.killed == honest.killed


# -- what no test can reach ---------------------------------------------------------------------------------

def test_unreachable_lines_follow_names_from_the_entry_point_and_module_code() -> None:
    from codereward.suites.mutants import unreachable_lines

    program = ("import functools\n\n\ndef dead(x):\n    return x + 1\n\n\ndef helper(x):\n    return x * 2\n\n\n"
               "def by_name(x):\n    return x\n\n\n@functools.lru_cache\ndef f(x):\n    return helper(x) + "
               "globals()['by_name'](x)\n\n\nclass Unused:\n    def m(self):\n        return dead(1)\n\n\n"
               "TABLE = [helper(1)]\n")
    lines = program.splitlines()

    def span(first: str, n: int) -> set[int]:
        start = next(i for i, line in enumerate(lines, 1) if line.startswith(first))
        return set(range(start, start + n))

    dead, unused, by_name, f = span("def dead", 2), span("class Unused", 3), span("def by_name", 2), span("@func", 3)
    # dead() and Unused: nothing reached names them (Unused's own call of dead() does not count)
    assert unreachable_lines(program, "f") == dead | unused
    assert unreachable_lines(program, None) == dead | unused | by_name | f  # stdio: module-level code only


def test_a_mutant_no_test_can_reach_is_left_out(engine: Engine) -> None:
    from codereward import load_humaneval

    task = load_humaneval()["HumanEval/50"]  # decode_shift never calls the prompt's encode_shift
    reference = task.reference or ""
    report, = mutation_scores(engine, [task])
    unreachable = [m for m in report.mutants if m.status == "unreachable"]
    encode_lines = range(1, reference[:reference.index("def decode_shift")].count("\n") + 1)
    assert unreachable and all(m.mutant.line in encode_lines for m in unreachable)
    assert report.score is not None and report.score > 0.9  # 0.5 with them counted as survivors
    assert report.to_dict()["unreachable"] == len(unreachable)
