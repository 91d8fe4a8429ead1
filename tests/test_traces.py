"""Execution traces from the sandbox and the rewards scored against them: what a trace holds, its bounds
against a hostile program, tampering (no trace to score), and ExecVerify's and CodeRL+'s rewards with
hand-computed values."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from codereward import Engine
from codereward.rewards.traces import Question, coderl_plus_reward, execverify_reward, output_reward, same_value
from codereward.tracing import Trace, io_passed, trace_call

MAX_OF = ("def f(xs):\n"                          # 1
          "    best = None\n"                     # 2
          "    for x in xs:\n"                    # 3
          "        if best is None or x > best:\n"  # 4
          "            best = x\n"                # 5
          "    return best\n")                    # 6


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(workers=2) as e:
        yield e


@pytest.fixture(scope="module")
def max_of(engine: Engine) -> Trace:
    return trace_call(engine, MAX_OF, "f", [[3, 1, 4]])


def test_a_trace_holds_the_lines_run_and_the_locals(max_of: Trace) -> None:
    t = max_of
    assert (t.output, t.raised, t.untrusted, t.truncated) == (4, "", "", False)
    assert t.executed() == [1, 2, 3, 4, 5, 3, 4, 3, 4, 5, 3, 6]  # line 1: `def f` as the module loads
    assert t.next_statement(4, 0) == "best = x" and t.next_statement(4, 1) == "for x in xs:"
    assert t.state_before(5, 1) == {"xs": [3, 1, 4], "best": 3, "x": 4}
    assert t.types_before(2) == {"xs": "list"}
    assert t.final_state() == {"xs": [3, 1, 4], "best": 4, "x": 4}


def test_watched_lines_only_and_values_that_are_not_data(engine: Engine) -> None:
    t = trace_call(engine, "def f(n):\n    o = object()\n    big = list(range(5000))\n    return n\n", "f", [7],
                   watch=[4])
    assert [s.state is not None for s in t.steps if not s.returning] == [False, False, False, True]
    assert t.types_before(4) == {"n": "int", "o": "object", "big": "list[5000]"}  # type only, no value
    assert t.state_before(4) == {"n": 7}


def test_a_call_that_raises_is_traced_to_the_raise(engine: Engine) -> None:
    t = trace_call(engine, "def f(d):\n    k = 'x'\n    return d[k]\n", "f", [{}])
    assert t.raised.startswith("KeyError") and t.output is None and t.executed()[-1] == 3


def test_a_trace_is_bounded(engine: Engine) -> None:
    events = trace_call(engine, "def f(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n",
                        "f", [200_000])
    assert events.output == sum(range(200_000)) and events.truncated and len(events.steps) == 10_000
    bulky = trace_call(engine, "def f(n):\n    xs = list(range(900))\n    for i in range(n):\n        pass\n",
                       "f", [5_000])
    assert bulky.truncated and len(bulky.steps) < 1_000  # ~1 MB of values, then it stops


def test_a_hang_leaves_no_trace_rather_than_a_partial_one(engine: Engine) -> None:
    t = trace_call(engine, "def f():\n    while True:\n        pass\n", "f", [], time_limit=0.5)
    assert t.steps == [] and t.untrusted


TAMPERING = {
    "settrace": "import sys\ndef f():\n    sys.settrace(None)\n    return 1\n",
    "frame": "import sys\ndef f():\n    sys._getframe().f_trace = None\n    return 1\n",
    "generator frame": "def f():\n    g = (i for i in [1])\n    g.gi_frame\n    return 1\n",
    "heap": "import gc\ndef f():\n    gc.get_referrers(f)\n    return 1\n",
}


@pytest.mark.parametrize("name", TAMPERING)
def test_a_program_that_tampers_with_the_tracer_gets_an_untrusted_trace(engine: Engine, name: str) -> None:
    t = trace_call(engine, TAMPERING[name], "f")
    assert t.untrusted.startswith("untrusted"), t
    assert output_reward("1", t) == 0.0  # an untrusted trace scores nothing, even for the right answer
    assert coderl_plus_reward('{"final_output": 1, "variables": {}}', t) == 0.0


SAME = [(None, "null", True), (True, "true", True), (True, 1, True), (False, "0", True), (1, 1.0000000001, True),
        (1, 1.001, False), ([1, [2.0]], (1, [2]), True), ({"a": 1}, {"a": 1.0}, True), ({"a": 1}, {"b": 1}, False),
        ("x", "x", True), (3, "3", True), (3, "three", False)]


@pytest.mark.parametrize(("a", "b", "equal"), SAME)
def test_same_value_is_coderl_plus_tolerant_equality(a: object, b: object, equal: bool) -> None:
    assert same_value(a, b) is equal and same_value(b, a) is equal


def test_output_prediction(max_of: Trace) -> None:
    assert [output_reward(p, max_of) for p in ("4", " 4 ", "4.0", "3", "'4'", "max")] == [1, 1, 1, 0, 1, 0]


def test_coderl_plus_reward(max_of: Trace) -> None:
    # Final locals xs, best, x: 3 variables, so a perfect answer is 0.1 + 0.9 * 4/4.
    perfect = 'thinking...\n{"final_output": 4, "variables": {"xs": [3, 1, 4], "best": 4, "x": 4}}'
    assert coderl_plus_reward(perfect, max_of) == pytest.approx(1.0)
    half = '{"final_output": 4, "variables": {"xs": [3, 1, 4], "best": 3}}'
    assert coderl_plus_reward(half, max_of) == pytest.approx(0.1 + 0.9 * 2 / 4)
    assert coderl_plus_reward('{"final_output": 0, "variables": {}}', max_of) == pytest.approx(0.1)
    assert coderl_plus_reward("the answer is 4", max_of) == 0.0  # no JSON last line: no format reward
    assert coderl_plus_reward('{"final_output": 4}', max_of) == 0.0


QUESTIONS = [Question("path", 4, nth=0), Question("path", 4, nth=1), Question("state", 5, "best", nth=1),
             Question("state", 4, "x", nth=2)]


@pytest.mark.parametrize(("answers", "io", "reward"), [
    (["best = x", "for x in xs:", "3;int", "4;int"], True, 2.0),           # all right: 2 * (0.5 + 0.5)
    (["best = x", "return best", "3;int", "4;str"], True, 2 * (0.5 + 0.5 * 2 / 4)),
    (["best  =  x", "for x in xs:", "3.0;int", "4;int"], True, 2.0),       # whitespace and 3.0 == 3 forgiven
    (["best = x"], True, 1.0),                                              # answers do not match questions
    (["best = x", "for x in xs:", "3;int", "4;int"], False, 0.0),          # the io assert failed
])
def test_execverify_reward(max_of: Trace, answers: list[str], io: bool, reward: float) -> None:
    assert execverify_reward(answers, QUESTIONS, max_of, io_passed=io) == pytest.approx(reward)
    assert execverify_reward(answers, [], max_of, io_passed=True) == 2.0


def test_io_assert_runs_in_the_sandbox(engine: Engine) -> None:
    assert io_passed(engine, MAX_OF, "f", "assert f([3, 1, 4]) == 4", call_args="[3, 1, 4]")
    assert not io_passed(engine, MAX_OF, "f", "assert f([3, 1, 4]) == 3")
    assert not io_passed(engine, MAX_OF, "f", "assert f([1]) == 1", call_args="[3, 1, 4]")  # not the asked input
    assert not io_passed(engine, MAX_OF, "f", "f([3, 1, 4]) == 4")  # not an assert


def test_trace_cli(tmp_path) -> None:
    from test_cli import one_json, run

    program = tmp_path / "f.py"
    program.write_text(MAX_OF)
    p = run("trace", "--program", program, "--call", "f([3, 1, 4])", "--watch", "5", "--json", timeout=60)
    assert p.returncode == 0, p.stderr
    out = one_json(p.stdout)
    assert out["output"] == 4 and [s["line"] for s in out["steps"] if not s["return"]][:3] == [1, 2, 3]
    watched = [s["locals"] for s in out["steps"] if s["line"] == 5 and not s["return"]]
    assert watched[0] == {"xs": {"value": [3, 1, 4], "type": "list"}, "best": {"value": None, "type": "NoneType"},
                          "x": {"value": 3, "type": "int"}}
    table = run("trace", "--program", program, "--call", "f([3, 1, 4])", timeout=60)
    assert table.returncode == 0 and "best = x" in table.stdout and "returned 4" in table.stdout
    bad = run("trace", "--program", program, "--call", "f(open('x'))")
    assert bad.returncode == 2 and "--call" in bad.stderr
    (tmp_path / "t.py").write_text(TAMPERING["settrace"])
    assert run("trace", "--program", tmp_path / "t.py", "--call", "f()", timeout=60).returncode == 1
    assert json.loads(run("trace", "--program", tmp_path / "t.py", "--call", "f()", "--json",
                          timeout=60).stdout)["untrusted"]
