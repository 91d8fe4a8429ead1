"""Stdout comparators: testlib's wcmp (`tokens`) and the compatibility presets that reproduce other judges.

Each preset's table holds (got, expected, verdict) cases where it parts from the others or from tokens/lines;
a comment cites the source line behind each surprising verdict. The sources (the revisions read):
  SF   bytedance/SandboxFusion sandbox/utils/testing.py (469de08), check_stdio_test_case
  CC   google-deepmind/code_contests execution/tester_sandboxer.cc (fa7a4f8) on abseil-cpp 20211102.0
  LCB  LiveCodeBench/LiveCodeBench lcb_runner/evaluation/testing_util.py (28fef95), grade_stdio
  APPS hendrycks/apps eval/testing_util.py (362aedc), run_test's standard_input branch
  OR1  huggingface/open-r1 src/open_r1/rewards.py (1416fa0), code_reward's evaluation_script_template
  CF   guipenedo/piston packages/codeforces/1.0.0/run (7a38da2), normalize_output + diff -bq
  WCMP MikeMirzayanov/testlib checkers/wcmp.cpp, testlib.h isBlanks
"""

from __future__ import annotations

import itertools
import typing

import pytest

from codereward import Engine, Status, Task
from codereward.sandboxed.compare import PRESETS, stdout_equal
from codereward.tasks.model import Comparator

Case = tuple[str, str, bool]

TOKENS: list[Case] = [
    ("1 2\n", "1 2", True),
    (" 1\r\n2\t\n\n", "1 2", True),  # WCMP: isBlanks is LF, CR, space, tab
    ("1\v2", "1 2", False),  # ...not \v: "1\v2" is one token (str.split() would say equal)
    ("1\f2", "1 2", False),
    ("1\u00a02", "1 2", False),  # NBSP is no blank either
    ("1\u00a02", "1\u00a02", True),
    ("1 2 3", "1 2", False),  # "Participant output contains extra tokens"
    ("yes", "YES", False),
    ("1.0", "1", False),
]

SANDBOXFUSION: list[Case] = [
    ("YES\n", "yes\n", True),  # SF l.53 lower_cmp=True by default, l.80-81 rl.lower(), el.lower()
    ("  Hello World  \n\n\n", "hello world", True),  # l.70-71 strip() whole, l.82 strip() each line
    ("1.0\n", "1\n", True),  # l.83 both lines parse as float, l.50 relative error 0 < 1e-5
    ("1000000.5\n", "1000000\n", True),  # l.50 |a-b|/max(|b|,1e-10) = 5e-7 < 1e-5: relative, not absolute
    ("0.000015\n", "0.00001\n", False),  # l.50 relative error 0.5 (CodeContests' absolute 1e-5 accepts it)
    ("1 2\n", "1  2\n", False),  # lines compared as strings: inner spacing matters (tokens accepts)
    ("1.0 2\n", "1 2\n", False),  # l.83 float() of the whole line "1 2" fails: no per-token numbers
    ("1\n\n2\n", "1\n2\n", False),  # l.76 line counts differ: a blank line in the middle counts
    ("1\n2\n", "1\n", False),  # l.76: an extra line fails
    ("nan\n", "NaN\n", True),  # l.80-82 lower-cased, then equal strings
    ("1_000\n", "1000\n", True),  # l.83 Python's float() takes underscores
    ("x\r\ny\r\n", "x\ny\n", True),  # l.82 strip() drops the \r
]

CODECONTESTS: list[Case] = [
    ("YES", "yes", True),  # CC l.141 absl::AsciiStrToLower on every part
    ("1\n2\n", "1 2", True),  # l.137 split on any of " \n\t\r\v", SkipEmpty: lines do not matter
    ("1\v2", "1 2", True),  # l.137 \v separates...
    ("1\f2", "1 2", False),  # ...\f does not: "1\f2" is one part and no number
    ("123", "123.000001", True),  # l.161 |a-b| < 1e-5 (CC's own test CloseFloatsAccepted)
    ("0.000015", "0.00001", True),  # l.161 absolute: 5e-6 apart passes (SandboxFusion's relative fails)
    ("0.00002", "0.00001", False),  # l.161 strictly less than 1e-5: 2e-5 - 1e-5 is not
    ("1000000.5", "1000000", False),  # l.161 absolute: 0.5 apart fails (SandboxFusion's relative passes)
    ("1000000000000000000", "1000000000000000001", True),  # l.152-153 SimpleAtod: doubles, the same one
    ("4294967296", "4294967297", False),  # beyond 2^31 but 1 apart as doubles
    ("2147483647", "2147483647.000001", True),  # l.160: a 32-bit int is a double too, tolerance applies
    ("1e2", "100", True),  # SimpleAtod reads exponents
    ("0x10", "16", True),  # absl from_chars (charconv.cc FromCharsImpl) reads a hex float without chars_format::hex
    ("+5", "5", True),  # SimpleAtod skips one "+"
    ("1.0 a", "1 a", True),
    ("abc 1", "abd 1", False),  # l.156-157: a word compares as a string
    ("nan", "nan", True),  # l.259 equal part lists pass before ValuesMatch...
    ("nan 1", "nan 1.0", False),  # ...but l.161 NaN - NaN is no number below 1e-5
    ("1e400 1", "1e400 1.0", False),  # overflow is infinity, inf - inf is NaN
    ("1 2", "1 2 3", False),  # l.260 counts must be equal
]

LIVECODEBENCH: list[Case] = [
    ("1.0\n", "1\n", True),  # LCB l.216 Decimal("1.0") == Decimal("1")
    ("1e2 5\n", "100 5.00\n", True),  # l.407-418 token lists equal as Decimals
    ("0.3333333\n", "0.33333333\n", False),  # no tolerance (l.404: the np.isclose "gotcha" comment)
    ("YES\n", "yes\n", False),  # l.398 strings differ and l.216 Decimal("YES") fails: case matters
    ("  3  4 \n\n", "3 4", True),  # l.224-226 strip() whole and per line; l.216 split() per line
    ("1\n\n2\n", "1\n2\n", False),  # l.384 line counts: a blank line in the middle counts
    ("1\n2\n", "1\n", False),  # l.384: an extra line fails
    ("1 2\n3\n", "1 2 3\n", False),  # lines matter
    ("1\u00a02\n", "1 2\n", True),  # l.216 str.split() splits at NBSP (wcmp does not)
    ("sNaN\n", "1\n", False),  # Decimal("sNaN") == 1 raises InvalidOperation out of grade_stdio: failure
    ("1_000\n", "1000\n", True),  # Decimal takes underscores
]

APPS: list[Case] = [
    ("3\n1 2 2\n", "2 1\n3\n", True),  # APPS l.441: sets of sets of tokens: line order, token order, repeats ignored
    ("Hello world\n", "hello world\n", False),  # case matters in every step
    ("1\n\n2\n", "1\n2\n", True),  # l.372 empty output lines are filtered before l.385-388
    ("1\n2\n", "1\n\n2\n", True),  # l.354-356 empty expected lines too
    ("1.000001\n", "1\n", True),  # l.394-396 np.allclose: |a-b| <= 1e-8 + 1e-5*|b|
    ("1.0004\n", "1\n", True),  # outside allclose, but l.448 round(float(t), 3) makes both 1.0
    ("1.0004 2\n", "2 1\n", True),  # l.448 also per token, as sets
    ("1.01\n", "1\n", False),
    ("1 2 3\n", "1 2\n", False),  # l.441 the token sets {1,2,3} and {1,2} differ
    ("1 1 2\n", "2 1\n", True),  # l.441 repeated tokens vanish in a set
    ("a\r\nb\r\n", "a\nb\n", True),  # l.51 splitlines() drops \r on the output side; step 1 compares
    ("  x  \n", "x", True),  # l.476-478 each output line stripped, joined
    ("x\n", "x\n\n\n", True),  # l.484-486 stripped_string_compare
    ("1\n2\n", "1 2\n", False),  # lines still matter: {frozenset({1}), frozenset({2})} != {frozenset({1, 2})}
]

OPEN_R1: list[Case] = [
    ("1\n", "1\n2\n3\n", True),  # OR1 l.554 zip() stops at the shorter side: missing trailing lines pass
    ("1\n2\n3\n", "1", True),  # ...and so do extra output lines
    ("1\n2\n3\n", "1\n", False),  # ...unless the expected output ends in "\n": its last line "" meets "2"
    ("", "\n2\n", True),  # an empty output is one "" line, which the blank first expected line equals
    ("", "1\n", False),
    ("  1  \n 2\n", "1\n2\n", True),  # l.555 line1.strip() == line2.strip()
    ("1\n2\n", "1\n\n2\n", False),  # a blank line in the middle shifts the zip
    ("YES\n", "yes\n", False),
    ("1.0\n", "1\n", False),  # plain strings, no numbers
    ("1 2\n", "1  2\n", False),  # inner spacing matters
    ("a\rb\n", "a\nb\n", True),  # l.542 text=True: universal newlines turn the output's \r into \n
    ("a\nb\n", "a\rb\n", False),  # ...not the expected output's
]

OPEN_R1_CODEFORCES: list[Case] = [
    ("Yes\n", "YES\n", True),  # CF l.135 sed -E 's/\b(yes)\b/YES/ig; s/\b(no)\b/NO/ig'
    ("nO\n", "NO\n", True),
    ("Yess\n", "YESS\n", False),  # whole words only
    ("no_way\n", "NO_way\n", False),  # "_" is a word character: \bno\b does not match
    ("no-way\n", "NO-way\n", True),
    ("Hello\n", "hello\n", False),  # other words keep their case
    ("1\n2\n", "1 2", True),  # l.135 tr '\n' ' ' | tr -s '[:space:]' ' ': lines do not matter
    ("1\f2\v3", "1 2 3", True),  # [:space:] includes \f and \v (CodeContests' split has no \f)
    ("1\u00a02", "1 2", False),  # ...not NBSP (C locale)
    ("1.0\n", "1\n", False),  # no numbers
    ("", "-n\n", True),  # l.53 $(cat) then l.173 echo "$CORRECT_OUTPUT": echo -n prints nothing
    ("-n\n", "-n\n", False),  # ...so an output "-n" never matches an expected "-n"
    ("ab", "a\0b", True),  # l.53 bash drops NUL characters from the command substitution
]

TABLES: dict[str, list[Case]] = {
    "tokens": TOKENS, "sandboxfusion": SANDBOXFUSION, "codecontests": CODECONTESTS, "livecodebench": LIVECODEBENCH,
    "apps": APPS, "open_r1": OPEN_R1, "open_r1_codeforces": OPEN_R1_CODEFORCES,
}
ALL_CASES = [(g, e) for table in TABLES.values() for g, e, _ in table]


@pytest.mark.parametrize(("comparator", "got", "expected", "verdict"),
                         [(name, *case) for name, table in TABLES.items() for case in table])
def test_verdicts(comparator: str, got: str, expected: str, verdict: bool) -> None:
    assert stdout_equal(got, expected, comparator) is verdict


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations([*TABLES, "lines"], 2)))
def test_tables_tell_every_two_comparators_apart(a: str, b: str) -> None:
    """The cases are chosen where the comparators differ: every two disagree on at least one of them."""
    assert any(stdout_equal(g, e, a) != stdout_equal(g, e, b) for g, e in ALL_CASES)


def test_every_comparator_has_a_table_and_a_model_name() -> None:
    names = set(typing.get_args(Comparator))
    assert set(PRESETS) <= names
    assert set(PRESETS) | {"exact", "lines", "tokens", "float"} == names
    assert set(PRESETS) <= set(TABLES)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_never_raise(name: str) -> None:
    odd = ["", "\0", "\ud800", "nan", "sNaN", "1e999999999", "0x", "1" * 5000, "\u0661", "-", "+-1", "\f", "é\u2028x"]
    for got, exp in itertools.product(odd, repeat=2):
        assert stdout_equal(got, exp, name) in (True, False)


def test_identical_outputs_pass_except_where_the_source_says_no() -> None:
    for name in PRESETS:
        assert stdout_equal("1 2\nYES\n", "1 2\nYES\n", name)
    assert not stdout_equal("a\rb", "a\rb", "open_r1")  # only the output's \r becomes a line break
    assert not stdout_equal("-n", "-n", "open_r1_codeforces")  # echo -n


def test_unknown_comparator_raises() -> None:
    with pytest.raises(ValueError, match="unknown comparator"):
        stdout_equal("1", "1", "nope")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_task_model_accepts_each_preset(name: str) -> None:
    task = Task(id="t", tests={"kind": "stdio", "cases": [{"stdin": "", "stdout": "1\n"}], "comparator": name})
    assert task.tests.comparator == name
    assert Task.model_validate(task.model_dump()).tests.comparator == name


def test_task_model_rejects_other_names() -> None:
    with pytest.raises(ValueError, match="comparator"):
        Task(id="t", tests={"kind": "stdio", "cases": [{"stdin": "", "stdout": "1\n"}], "comparator": "SandboxFusion"})


# --- end to end, in a real sandbox: the judge process runs the comparison -------------------------------------


@pytest.fixture(scope="module")
def engine():
    with Engine(workers=1) as e:
        yield e


def _stdio(comparator: str, expected: str) -> Task:
    return Task(id=f"t/{comparator}", tests={"kind": "stdio", "cases": [{"stdin": "", "stdout": expected}],
                                             "comparator": comparator})


def test_sandboxfusion_lower_cases_in_the_sandbox(engine: Engine) -> None:
    program = 'print("YES")\n'
    assert engine.run(_stdio("sandboxfusion", "yes\n"), program).status is Status.PASSED
    r = engine.run(_stdio("tokens", "yes\n"), program)
    assert r.status is Status.FAILED and "expected" in r.tests[0].detail


def test_livecodebench_decimals_in_the_sandbox(engine: Engine) -> None:
    """The judge imports decimal on first use, after its seccomp filter is in place."""
    program = 'print("1.0 2")\n'
    assert engine.run(_stdio("livecodebench", "1 2.00\n"), program).status is Status.PASSED
    assert engine.run(_stdio("tokens", "1 2.00\n"), program).status is Status.FAILED
    assert engine.run(_stdio("livecodebench", "1 2.01\n"), program).status is Status.FAILED
