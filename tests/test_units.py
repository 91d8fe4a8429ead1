"""Unit tests of the pure layers: the wire codec, comparisons, pass@k, verdict decisions."""

from __future__ import annotations

import math

import pytest

from codereward import ErrorCause, Execution, Outcome, Status, Task, pass_at_k, summarize
from codereward.judge.verdict import decide
from codereward.results import Result, TestResult
from codereward.sandboxed import compare, records, wire


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 10**5000, 1.5, float("inf"), "", "ünï\ud800", b"\x00\xff",
    [1, [2, (3, 4)]], (1,), (), {"a": 1, 2: [3], (1, 2): {4}}, {1, 2}, frozenset({(1, 2)}), [[[[]]]],
])
def test_wire_round_trips_plain_values_with_their_exact_types(value):
    back = wire.loads(wire.dumps(value))
    assert back == value and type(back) is type(value)


def test_wire_keeps_nan():
    assert math.isnan(wire.loads(wire.dumps(float("nan"))))


class Sneaky(int):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [
    Sneaky(1), [Sneaky(1)], [1] * 100 + [Sneaky(1)], {"k": Sneaky(2)}, object(), (x for x in ()),
    type("L", (list,), {})(), print,
])
def test_wire_rejects_anything_not_exactly_plain(value):
    with pytest.raises(wire.WireError):
        wire.dumps(value)


def test_wire_caps_depth_and_size():
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.dumps(deep)
    with pytest.raises(wire.WireError):
        wire.dumps([0] * (wire.MAX_ITEMS + 1))


@pytest.mark.parametrize("data", [
    b"", b"{", b'{"x": 1}', b'{"t": 1}', b'{"s": [[1]]}', b'{"d": [[1]]}', b'{"b": "zz"}', b"[" * 100_000,
    b'"\xff"', "[1]".encode("utf-16"),  # not UTF-8 (the encoder writes ASCII)
])
def test_wire_rejects_malformed_bytes(data):
    with pytest.raises(wire.WireError):
        wire.loads(data)


@pytest.mark.parametrize("got,exp,atol,rtol,ok", [
    (1, 1, 0, 0, True), (True, 1, 0, 0, True), (1.0, 1, 0, 0, True),
    (0.1 + 0.2, 0.3, 0, 0, True),          # floats get atol 1e-6 (evalplus)
    (0.30001, 0.3, 0, 0, False),
    ([1.0, (2.0000001,)], [1.0, (2.0,)], 0, 0, True),
    ([1.0, [2.0]], [1.0, (2.0,)], 0, 0, False),  # list is not tuple
    ({"a": 1.0000001}, {"a": 1.0}, 0, 0, True),
    (float("nan"), float("nan"), 0, 0, True),
    (float("inf"), float("inf"), 0, 0, True), (1e308, float("inf"), 1e-6, 0, False),
    ("1", 1, 0, 0, False), (None, 0, 0, 0, False),
    (1.05, 1.0, 0.1, 0, True), (1.2, 1.0, 0.1, 0, False),
])
def test_values_equal(got, exp, atol, rtol, ok):
    assert compare.values_equal(got, exp, atol, rtol) is ok


@pytest.mark.parametrize("n,c,k,expected", [
    (10, 0, 1, 0.0), (10, 10, 1, 1.0), (10, 5, 1, 0.5), (4, 2, 2, 1 - 1 / 6), (100, 1, 100, 1.0),
])
def test_pass_at_k(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_summarize_excludes_errors_from_pass_at_k():
    rs = [Result("a", Status.PASSED), Result("a", Status.FAILED), Result("a", Status.ERROR, reason="x"),
          Result("b", Status.FAILED), Result("b", Status.FAILED)]
    s = summarize(rs, ks=(1, 2, 3))
    assert s["pass_at_k"] == {"pass@1": pytest.approx(0.25), "pass@2": pytest.approx(0.5)}
    assert s["status"] == {"passed": 1, "failed": 3, "error": 1}


PLAN = {"plan": ["t0", "t1", "t2"]}
OK_STATUS = {"wall": 0.01, "c_maxrss": 1000, "c_sig": None, "killed": False}


def rec(i, c="passed", d="", **facts):
    return {"i": i, "c": c, "t": 0.001, "m": 10, "d": d, **facts}


def ex(records, status):
    return Execution(records, status)


@pytest.mark.parametrize("records,status,want_status,want_outcomes", [
    ([PLAN, rec(0), rec(1), rec(2), {"end": 1}], OK_STATUS, Status.PASSED, ["passed"] * 3),
    # silence is failure: a missing record never passes, even if every record that came says passed
    ([PLAN, rec(0), rec(1)], OK_STATUS, Status.FAILED, ["passed", "passed", "runtime_error"]),
    ([PLAN, rec(0), rec(1), rec(2)], OK_STATUS, Status.FAILED, ["passed"] * 3),  # no end record
    ([PLAN, rec(0)], {**OK_STATUS, "killed": True}, Status.FAILED, ["passed", "time_limit", "skipped"]),
    # the candidate died mid-test: the zygote's account of how decides the outcome
    ([PLAN, rec(0), rec(1, "candidate_gone", "candidate process exited"), rec(2, "not_run"), {"end": 1}],
     {**OK_STATUS, "c_sig": 25}, Status.FAILED, ["passed", "output_limit", "skipped"]),
    ([PLAN, rec(0), rec(1, "candidate_gone"), rec(2, "not_run"), {"end": 1}],
     {**OK_STATUS, "c_sig": 11}, Status.FAILED, ["passed", "runtime_error", "skipped"]),
    ([PLAN, rec(0), rec(1, "candidate_gone"), rec(2, "not_run"), {"end": 1}],
     {**OK_STATUS, "c_sig": 9, "c_cpu": 2.5}, Status.FAILED, ["passed", "time_limit", "skipped"]),
    ([PLAN, rec(0), rec(1, "bogus"), rec(2, ["not", "a", "cause"]), {"end": 1}], OK_STATUS, Status.FAILED,
     ["passed", "runtime_error", "runtime_error"]),
    ([PLAN, rec(0, "killed", s=25), rec(1, "killed", s=9, cpu=0.0), rec(2, "killed", s=24), {"end": 1}], OK_STATUS,
     Status.FAILED, ["output_limit", "runtime_error", "time_limit"]),
])
def test_decide(records, status, want_status, want_outcomes):
    r = decide("t", None, ex(records, status))
    assert r.status is want_status
    assert [t.outcome.value for t in r.tests] == want_outcomes


@pytest.mark.parametrize("records,status,cause,reason", [
    ([{"suite": "test code failed to load: NameError"}], OK_STATUS, ErrorCause.TASK, "test code failed"),
    ([{"infra": "judge failed: OSError"}], OK_STATUS, ErrorCause.SANDBOX, "judge failed"),
    ([], OK_STATUS, ErrorCause.SANDBOX, "judge stopped"),
    ([], {**OK_STATUS, "killed": True}, ErrorCause.SANDBOX, "did not start"),
    ([{"plan": []}, {"end": 1}], OK_STATUS, ErrorCause.TASK, "no tests"),
])
def test_broken_suites_and_sandboxes_are_errors_not_failures(records, status, cause, reason):
    r = decide("t", None, ex(records, status))
    assert r.status is Status.ERROR and r.cause is cause and reason in r.reason and r.reward is None


def test_result_serialises_outcomes_as_strings():
    r = Result("t", Status.FAILED, tests=[TestResult("x", Outcome.WRONG_ANSWER, detail="d")])
    d = r.to_dict()
    assert d["status"] == "failed" and d["tests"][0]["outcome"] == "wrong_answer" and d["total"] == 1


def test_test_result_dict_has_every_field_and_round_trips():
    import dataclasses

    t = TestResult("x", Outcome.WRONG_ANSWER, time=1.5, memory_kb=7, detail="d", visible=False, score=0.25)
    d = t.to_dict()
    assert set(d) == {f.name for f in dataclasses.fields(TestResult)}  # a new field must be serialised too
    assert TestResult.from_dict(d) == t
    plain = TestResult("x", Outcome.TIME_LIMIT)  # no partial credit: the line holds no score, as before it existed
    assert "score" not in plain.to_dict() and TestResult.from_dict(plain.to_dict()) == plain


def test_per_task_memo_is_bounded() -> None:
    from codereward.memo import PerTask
    from codereward.tasks.model import Task

    memo: PerTask[int] = PerTask()
    memo.MAX_TASKS = 4
    tasks = [Task.model_validate({"id": f"t{i}", "tests": {"kind": "stdio", "cases": []}}) for i in range(10)]
    for i, t in enumerate(tasks):
        assert memo.get(t, lambda i=i: i) == i
    assert len(memo._values) == 4
    assert memo.get(tasks[-1], lambda: -1) == 9  # recent ones stay
    assert memo.get(tasks[0], lambda: -1) == -1  # old ones are recomputed


def test_summary_counts_high_flags_without_infra_errors() -> None:
    from codereward.audit import Category, Flag, Severity
    from codereward.metrics import summarize
    from codereward.results import Result, Status

    hard = Flag(Category.HARDCODING, Severity.HIGH, "static", "r", "m")
    rs = [Result("a", Status.PASSED, flags=[hard]), Result("a", Status.FAILED, flags=[]),
          Result("a", Status.ERROR, flags=[hard]), Result("a", Status.ERROR, flags=[])]
    audit = summarize(rs)["audit"]
    assert audit["flagged_high"] == 1 and audit["flag_rate"] == 0.5


# --- which assert statements the judge may send ahead (sandboxed/plan.py) ----------------------------

def _ahead(body: str, setup: str = "", entry: str | None = "f") -> list:
    from codereward.sandboxed import plan

    code = "def check(candidate):\n" + "".join(f"    {line}\n" for line in body.strip().splitlines())
    _, units = plan.plan_assert(code, "check", entry, setup)
    return [u.ahead for u in units if u.is_test]


@pytest.mark.parametrize("statement,ahead", [
    ("assert candidate([1, 2], 'x') == 3", [[[1, 2], "x"], {}]),
    ("assert candidate(-1.5, k=(1, None)) == 3", [[-1.5], {"k": (1, None)}]),
    ("assert abs(candidate({1}) - 2) < 1e-6", [[{1}], {}]),
    ("assert f(b'x') == 3", [[b"x"], {}]),  # the entry point, called by name
    ("assert candidate(1) and x", [[1], {}]),  # first operand: always evaluated
    ("assert x and candidate(1)", None),  # may be skipped
    ("assert candidate(1) if x else 0", None),
    ("assert 0 < 1 < candidate(1)", None),  # a later link of a chain may be skipped
    ("assert candidate(1) == 2, str(candidate(1))", None),  # a second call, on failure only
    ("assert candidate(x) == 3", None),  # not a literal
    ("assert candidate([0] * 3) == 3", None),
    ("assert candidate(*[1]) == 3", None),
    ("assert candidate(**{'a': 1}) == 3", None),
    ("assert all(candidate(i) for i in [1])", None),
    ("assert (lambda: candidate(1))()", None),
    ("assert candidate(1)(2) == 3", [[1], {}]),
])
def test_plan_sends_ahead_only_calls_an_assert_is_sure_to_make(statement, ahead) -> None:
    assert _ahead(statement) == [ahead]


@pytest.mark.parametrize("body,setup", [
    ("g = candidate\nassert candidate(1) == g(2)", ""),  # an alias would call it out of the planned order
    ("assert candidate(1) == h(2)", "def h(x):\n    return f(x)\n"),  # a set-up helper calling the entry
    ("global f\nassert candidate(1) == 2", ""),
    ("candidate = max\nassert candidate(1, 2) == 2", ""),
])
def test_plan_sends_nothing_ahead_when_the_candidate_can_be_reached_otherwise(body, setup) -> None:
    assert all(a is None for a in _ahead(body, setup))


def test_the_hosts_precompiled_plan_is_the_judges_own() -> None:
    """The payload carries the suite compiled and planned by the host (plan.prepare, plan.dump); what the
    judge loads from it must be exactly what it would have planned itself, and another interpreter's blob is
    refused. A suite the host cannot plan is sent as source (the judge then says why it fails)."""
    import marshal

    from codereward import load_dataset
    from codereward.judge.prepare import build_suite
    from codereward.sandboxed import plan

    for task in list(load_dataset("humaneval").values())[::16]:
        suite, test_plan = build_suite(task)
        p = wire.loads(suite.data)
        (setup, tests), arg, units = plan.load(p["compiled"])
        want_arg, want = plan.plan_assert(p["code"], p["entry_check"], p["entry"], p["setup"])
        assert arg == want_arg and len(units) == len(want)
        for u, w in zip(units, want):
            assert (u.is_test, u.name, u.ahead, u.key, u.source) == (w.is_test, w.name, w.ahead, w.key, w.source)
            assert u.code.co_code == w.code.co_code and u.code.co_consts == w.code.co_consts
        assert tests.co_code == compile(p["code"], "<tests>", "exec").co_code
        assert test_plan is not None and test_plan.names == tuple(u.name for u in units if u.is_test)
    blob = marshal.loads(p["compiled"])
    assert plan.load(marshal.dumps((("otherpython", 0), *blob[1:]))) is None
    broken = task.model_copy(update={"tests": task.tests.model_copy(
        update={"code": "def not_check(candidate):\n    pass\n"})})
    suite, test_plan = build_suite(broken)
    assert "compiled" not in wire.loads(suite.data) and test_plan is None


@pytest.mark.parametrize("program,compiles,syntax_error", [
    ("def f(x):\n    assert x\n    return x + 1\n", True, False),
    ("from __future__ import annotations\ndef f(x: Undefined): pass\n", True, False),
    ("def f(:\n", False, True),  # the candidate meets the SyntaxError itself and reports it
    ("x = '\udcff'\n", False, False),  # a lone surrogate: not encodable as UTF-8 (not a SyntaxError)
    ("x = (" * 300 + ")" * 300 + "\n", False, True),  # too deeply nested for the parser
])
def test_a_program_crosses_as_code_unless_it_does_not_compile(program, compiles, syntax_error) -> None:
    """The host compiles each candidate program (languages/python.py) exactly as the candidate would have,
    asserts kept; what does not compile crosses as source, and the candidate then reports the error (the
    host names a SyntaxError itself, in the same words: the same interpreter, the same flags)."""
    from codereward.languages import PYTHON
    from codereward.sandboxed import plan

    prepared = PYTHON.prepare(program)
    got = plan.decode_program(prepared.payload)
    assert (prepared.compile_error is not None) == syntax_error
    if compiles:
        want = compile(program, "<candidate>", "exec", dont_inherit=True, optimize=0)
        assert got.co_code == want.co_code and got.co_filename == "<candidate>"
        assert [c.co_code for c in got.co_consts if hasattr(c, "co_code")] == \
               [c.co_code for c in want.co_consts if hasattr(c, "co_code")]
    else:
        assert isinstance(got, str)
        assert got == program.encode("utf-8", "surrogatepass").decode("utf-8", "surrogateescape")



def test_auto_time_limit_is_factor_times_the_reference_within_floor_and_ceiling() -> None:
    from codereward import AutoTimeLimit

    auto = AutoTimeLimit()  # the documented defaults: 10x, floor 0.25 s, ceiling 60 s
    assert auto.limit(0.001) == 0.25
    assert auto.limit(0.1) == pytest.approx(1.0)
    assert auto.limit(30.0) == 60.0
    assert AutoTimeLimit(factor=4, floor=1.0).limit(0.5) == 2.0


def test_a_call_suites_payload_is_what_wire_would_encode():
    """build_suite composes a call suite's payload from each case's arguments encoded once per task."""
    from codereward.judge.prepare import build_suite
    from codereward.sandboxed import wire

    task = Task.model_validate({"id": "x", "entry_point": "f", "tests": {"kind": "call", "atol": 0.5, "cases": [
        {"args": [[1, 2], (3, 4), 2 ** 80], "kwargs": {"a": {1, 2}}, "expected": (1,)}, {"args": [], "expected": None},
        {"args": ["é\u2028", b"\x00"], "expected": {"k": frozenset({1})}}]}})
    for expected, times in ((None, None), ([7, 8, 9], [1.0, 2.0, 0.5])):
        payload, _ = build_suite(task, expected, times)
        exp = expected or [c.expected for c in task.tests.cases]
        body = {"cases": [[c.args, c.kwargs, e] for c, e in zip(task.tests.cases, exp)], "atol": 0.5, "rtol": 0.0,
                "checker": None, **({"test_times": times} if times else {})}
        assert wire.loads(payload.data) == body


@pytest.mark.parametrize("value", [
    None, True, -5, 1.5, "a'b\"c", "x" * 500, b"\x00" * 400, [1, [2, (3,)], {"a": {1, 2}}], (), (1,), set(),
    frozenset(), frozenset({1}), {}, {1: 2}, [10**50] * 100, list(range(1000)), [[[]]], ("x",), 10**2999,
])
def test_bounded_repr_is_the_cut_repr_of_plain_values(value) -> None:
    assert records.bounded_repr(value) == records.short(repr(value))


def test_bounded_repr_never_prints_a_huge_int_whole() -> None:
    # Python's own 4,300-digit cap stays on: printing any of these whole would raise ValueError (and take
    # ~14 s for the million-digit one, HumanEval+ /83's expected output).
    assert records.bounded_repr(18 * 10**999998) == "1.800000000e+999999 (an int of 1000000 digits)"
    assert records.bounded_repr(10**5000 - 1) == "9.999999999e+4999 (an int of 5000 digits)"
    assert records.bounded_repr(-(10**5000)) == "-1.000000000e+5000 (an int of 5001 digits)"
    text = records.bounded_repr({"k": [7, 3**20000, "s"]})
    assert text == "{'k': [7, 2.661303427e+9542 (an int of 9543 digits), 's']}"
    assert records.bounded_repr(list(range(10**6)), limit=20) == "[0, 1, 2, 3, 4, 5..."
