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
  TL   MikeMirzayanov/testlib (1e4e8a2) checkers/<name>.cpp and testlib.h, for the checkers named after them:
       their tables hold testlib's exit status, OK 0, WA 1, PE 2, FAIL 3, each checked against the compiled
       checker (sandboxed/testlib_checks.py; the checkers themselves are not needed here)
"""

from __future__ import annotations

import itertools
import typing

import pytest

from codereward import Engine, Status, Task
from codereward.sandboxed.compare import CHECKERS, PRESETS, stdout_equal
from codereward.sandboxed.testlib_checks import FAIL, NAMES, OK, PE, WA, verdict
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

# --- testlib's standard checkers: (got, expected, exit status) -------------------------------------------------

Coded = tuple[str, str, int]
MAX_INT64 = "9223372036854775807"

TESTLIB: dict[str, list[Coded]] = {
    "wcmp": [
        ("\ufeff1 2", "1 2", OK),  # testlib.h registerTestlibCmd: ouf.skipBom(), the output's BOM only...
        ("1 2", "\ufeff1 2", WA),  # ...not the answer's
        ("\ufeff1", "\ufeff1", WA),  # so even an identical output fails
        ("1 2 3", "1 2", WA),  # wcmp.cpp "Participant output contains extra tokens"
        ("1", "1 2", WA),  # "Unexpected EOF in the participants output": WA, not PE
    ],
    "lcmp": [
        ("1  2\n3\n", "1 2\n3", OK),  # lcmp.cpp compareWords: each line's words
        ("1\n2\n", "1 2\n", WA),  # lines matter (tokens passes)
        ("1\v2\n", "1 2\n", OK),  # `stringstream >> string` splits at \v and \f (wcmp does not)
        ("1 2\r\n3\r\n", "1 2\n3\n", OK),  # testlib.h readStringTo: CR LF ends a line
        ("1\r", "1", WA),  # ...but a CR ending the file makes readStringTo append char(EOFC): "1\xff"
        ("1\n\n \n", "1", OK),  # after the last line only blanks: InStream::quit's dirt check passes
        ("1\n2", "1", PE),  # "Extra information in the output file"
        ("1\n\n2\n", "1\n2\n", WA),  # a blank line in the middle counts
        ("1", "1\n\n", OK),  # the answer's empty last line at EOF ends the loop (`j.empty() && ans.eof()`)
        ("", "", OK),
    ],
    "fcmp": [
        ("1  2\n", "1 2\n", WA),  # fcmp.cpp `j != p`: the lines exactly...
        ("1 2 \n", "1 2\n", WA),  # ...trailing spaces too (`lines` strips them)
        ("1 2\r\n", "1 2\n", OK),  # readStringTo: CR LF is a line break
        ("a\rb\n", "ab\n", OK),  # readStringTo: a CR not before LF is dropped
        ("1\n \n", "1\n", OK),  # dirt check: blanks after the last line
        ("1\n\n", "1\n\n\n", OK),  # the answer's lines "1", "": past its end the output reads ""
        ("1\nx", "1\n", PE),
    ],
    "ncmp": [
        ("1 2\n3", "1\n2 3\n", OK),
        ("+5", "5", PE),  # testlib.h stringToLongLong: an optional "-" and digits only...
        ("-0", "0", PE),  # ...no "-0"...
        ("007", "7", PE),  # ...no leading zero
        ("5.0", "5", PE),
        (MAX_INT64, MAX_INT64, OK),
        ("9223372036854775808", "1", PE),  # std::stoll out of range
        ("10000000000000000000", "10000000000000000000", FAIL),  # the answer itself is no int64: FAIL
        ("1e18", "1000000000000000000", PE),
        ("1 2", "1 2 3", WA),  # ncmp.cpp "Answer contains longer sequence"
        ("1 2 3", "1 2", WA),  # "Output contains longer sequence": WA, not PE
        ("1 2 x", "1 2", PE),  # the extra tokens are read as numbers too
        ("2 1", "1 2", WA),
        ("", "", OK),
    ],
    "uncmp": [
        ("2 1 1", "1 2 1", OK),  # uncmp.cpp: sorted, then equal
        ("2 1", "1 1 2", WA),
        ("1 +2", "1 2", PE),
    ],
    "icmp": [
        ("2147483647", "2147483647", OK),
        ("2147483648", "2147483648", FAIL),  # testlib.h readInteger: "Expected int32" in the answer
        ("-2147483649", "5", PE),
        ("5 6", "5", PE),  # dirt check
        ("5", "5 6", OK),  # the answer's rest is never read
        ("05", "5", PE),
    ],
    "hcmp": [
        ("123456789012345678901234567890", "123456789012345678901234567890", OK),  # any size
        ("-0", "0", PE),  # hcmp.cpp pnum "0|-?[1-9][0-9]*"
        ("+1", "1", PE),
        ("01", "1", PE),
        ("1 2", "1", PE),  # dirt check
        ("1", "1 2", FAIL),  # "expected exactly one token in the answer file"
        ("", "1", PE),  # testlib.h readWordTo: unexpected EOF is PE
    ],
    "rcmp": [
        ("1.0000015", "1", OK),  # rcmp.cpp: |a - b| > 1.5e-6 + 1e-15 fails
        ("1.000002", "1", WA),
        ("1000000.000001", "1000000", OK),
        ("1 2", "1", PE),  # dirt check
        ("nan", "nan", FAIL),  # testlib.h stringToDouble: digits . e E + - only
        ("1e400", "1e500", OK),  # both overflow to inf: inf - inf is NaN, and NaN > eps is false
        ("1e400", "1", WA),
    ],
    "rncmp": [
        ("1.00001 2", "1 2", OK),  # rncmp.cpp: 1.5e-5 absolute, a sequence
        ("1.00002 2", "1 2", WA),
        ("1", "1 2", PE),
        ("1 2 3", "1 2", PE),
    ],
    "dcmp": [
        ("1000000.9", "1000000", OK),  # testlib.h doubleCompare: 1e-6 relative
        ("1.0000011", "1", WA),
        ("1 2", "1 2", PE),  # one double, then the dirt check
    ],
    "rcmp4": [
        ("1.0001 2", "1 2", OK),  # doubleCompare, EPS 1e-4
        ("1.0002 2", "1 2", WA),
    ],
    "rcmp6": [
        ("1.0001", "1", WA),
        ("1000001", "1000000", OK),  # relative: 1e6 * (1 + 1e-6 + 1e-15)
        ("1.000001 1.0000011", "1 1", WA),
        ("1e", "1", OK),  # glibc's sscanf("%lf%s") takes "1e" whole as 1 (glibc bug 1765)
        ("1e+-5", "1", PE),  # ...but leaves "-5": not all of it is a double
        ("+.5", "0.5", OK),
        ("0x10", "16", PE),
        ("1,5", "1.5", PE),
        ("inf", "inf", FAIL),
        ("1e305", "2e301", OK),  # doubleCompare: beyond 1e300 is infinite, any same-signed infinite matches
        ("1.5", "1.5 2.5", PE),  # testlib.h readReal: unexpected EOF
        ("1.5 2.5", "1.5", PE),
    ],
    "rcmp9": [
        ("1.000000001", "1", OK),
        ("1.00000001", "1", WA),
    ],
    "yesno": [
        ("yes", "YES", OK),  # yesno.cpp upperCase on both
        ("Yes\n", "yes", OK),
        ("YES YES", "YES", PE),  # dirt check
        ("YES", "YES NO", OK),  # the answer's rest is never read
        ("Y", "YES", PE),
        ("NO", "YES", WA),
        ("yes", "maybe", FAIL),
        ("\uff59es", "YES", PE),  # testlib.h upperCase: ASCII only
    ],
    "nyesno": [
        ("yes no\nYES", "YES NO YES", OK),
        ("yes", "YES NO", WA),  # nyesno.cpp "Answer contains longer sequence"
        ("yes no maybe", "YES NO", WA),  # extra tokens are counted, not checked: WA, not PE
        ("yes maybe", "YES NO", PE),
        ("", "", OK),
    ],
    "caseicmp": [
        ("Case 1: 5\nCase 2: 7", "Case 1: 5 Case 2: 7", OK),
        ("Case 1: 5", "Case 1: 5\nCase 2: 7", PE),  # caseicmp.cpp: a case count differs is PE
        ("case 1: 5", "Case 1: 5", PE),
        ("Case 1: 6", "Case 1: 5", WA),
        ("Case 1: 5 6", "Case 1: 5", PE),
        ("Case 1:5", "Case 1: 5", PE),
    ],
    "casencmp": [
        ("Case 1: 1 2\nCase 2:", "Case 1: 1 2 Case 2:", OK),
        ("Case 1: 1 2 Case", "Case 1: 1 2", OK),  # casencmp.cpp: a trailing "Case" is read as the next case's
        ("Case 1: 1 2 Case 2: 3", "Case 1: 1 2", PE),  # dirt check
        ("Case 1: 2 1", "Case 1: 1 2", WA),
        ("Case 1: 01", "Case 1: 1", PE),
        ("Case 1: 1\0x", "Case 1: 1", OK),  # stringToLongLong(in, token.c_str()): up to the NUL (ncmp: PE)
    ],
    "casewcmp": [
        ("Case 1: a b\nCase 2: c", "Case 1: a b Case 2: c", OK),
        ("Case 1: 01", "Case 1: 01", OK),
        ("Case 1: A", "Case 1: a", WA),
    ],
}
TESTLIB["acmp"] = TESTLIB["rcmp"]  # acmp.cpp is rcmp.cpp
ALIASES = {"wcmp": "tokens", "acmp": "rcmp"}  # the same function: no case can tell them apart

TABLES: dict[str, list[Case]] = {
    "tokens": TOKENS, "sandboxfusion": SANDBOXFUSION, "codecontests": CODECONTESTS, "livecodebench": LIVECODEBENCH,
    "apps": APPS, "open_r1": OPEN_R1, "open_r1_codeforces": OPEN_R1_CODEFORCES,
    **{name: [(g, e, code == OK) for g, e, code in cases] for name, cases in TESTLIB.items()},
}
ALL_CASES = [(g, e) for table in TABLES.values() for g, e, _ in table]


@pytest.mark.parametrize(("comparator", "got", "expected", "verdict"),
                         [(name, *case) for name, table in TABLES.items() for case in table])
def test_verdicts(comparator: str, got: str, expected: str, verdict: bool) -> None:
    assert stdout_equal(got, expected, comparator) is verdict


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations([n for n in [*TABLES, "lines"] if n not in ALIASES],
                                                                  2)))
def test_tables_tell_every_two_comparators_apart(a: str, b: str) -> None:
    """The cases are chosen where the comparators differ: every two disagree on at least one of them."""
    assert any(stdout_equal(g, e, a) != stdout_equal(g, e, b) for g, e in ALL_CASES)


@pytest.mark.parametrize(("name", "same"), sorted(ALIASES.items()))
def test_aliases_agree_everywhere(name: str, same: str) -> None:
    assert all(stdout_equal(g, e, name) == stdout_equal(g, e, same) for g, e in ALL_CASES)


def test_every_comparator_has_a_table_and_a_model_name() -> None:
    names = set(typing.get_args(Comparator))
    assert set(PRESETS) | set(CHECKERS) <= names
    assert set(PRESETS) | set(CHECKERS) | {"exact", "lines", "tokens", "float"} == names
    assert set(PRESETS) | set(CHECKERS) <= set(TABLES)
    assert set(CHECKERS) == set(NAMES) and not set(CHECKERS) & set(PRESETS)


@pytest.mark.parametrize(("name", "got", "expected", "code"),
                         [(name, *case) for name, table in TESTLIB.items() for case in table])
def test_testlib_exit_statuses(name: str, got: str, expected: str, code: int) -> None:
    """Each checker's exit status, as the compiled checker gives it: a PE and a FAIL are also just False."""
    assert verdict(name, got, expected) == code
    assert stdout_equal(got, expected, name) is (code == OK)


def test_testlib_readers_on_odd_input() -> None:
    """What testlib.h's readers refuse, whichever checker reads it; CR, NUL and a BOM anywhere."""
    for token in ["nan", "inf", "-inf", "NaN", "0x1p3", "1_0", ".", "-", "e5", ".e5", "1..2", "1e5e5", "--1", "1-"]:
        assert verdict("rcmp6", token, "1") == PE, token
        assert verdict("rcmp6", "1", token) == FAIL, token
    for token in ["1e", "1e+", "1E-", "1.e", ".5e", "5.", "-.5", "+1", "1e0000000000000000000001"]:
        assert verdict("rcmp6", token, token) == OK, token
    for token in ["+1", "-0", "00", "-01", "\u0661", "1\0", "-9223372036854775809", "123456789012345678901"]:
        assert verdict("ncmp", token, "1") == PE, token
    assert verdict("ncmp", "-9223372036854775808", "-9223372036854775808") == OK
    assert verdict("ncmp", "1\x00", "1") == PE  # the std::string overload refuses a NUL
    assert verdict("fcmp", "a\r\rb", "a\rb") == WA  # "a\r\rb" reads "a\rb", "a\rb" reads "ab"
    assert verdict("fcmp", "a\r", "a\r") == OK  # both lines "a" + char(EOFC)
    assert verdict("lcmp", "\ufeff1 2", "1  2") == OK
    assert verdict("lcmp", "1\r\n", "1") == OK


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_checkers_never_raise(name: str) -> None:
    odd = ["", "\0", "\ud800", "nan", "1e999999999", "\r", "\r\r\n", "Case", "Case 1:", "Case 1: x", "\ufeff",
           "-", "YES", "9" * 5000, "\u0661", "1\f2"]
    for got, exp in itertools.product(odd, repeat=2):
        assert verdict(name, got, exp) in (OK, WA, PE, FAIL)
        assert stdout_equal(got, exp, name) in (True, False)


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


def test_testlib_checkers_in_the_sandbox(engine: Engine) -> None:
    """lcmp and rcmp6 by name through a real StdioSuite: the judge process imports testlib_checks."""
    program = 'print("1  2")\nprint("3.0000001")\n'
    assert engine.run(_stdio("lcmp", "1 2\n3.0000001\n"), program).status is Status.PASSED
    assert engine.run(_stdio("lcmp", "1 2 3.0000001\n"), program).status is Status.FAILED  # lines matter
    assert engine.run(_stdio("fcmp", "1 2\n3.0000001\n"), program).status is Status.FAILED  # and spaces here
    assert engine.run(_stdio("rcmp6", "1 2 3\n"), program).status is Status.PASSED
    r = engine.run(_stdio("rcmp6", "1 2\n"), program)  # "Extra information in the output file"
    assert r.status is Status.FAILED and "expected" in r.tests[0].detail


def test_a_malformed_expected_output_is_the_tasks_error_not_the_programs(engine: Engine) -> None:
    """testlib's FAIL: ncmp cannot read "twelve" as the jury's answer. The task is broken, so it is the task's
    error (every later sample told at once), never the candidate's wrong answer."""
    from codereward.results import ErrorCause

    r = engine.run(_stdio("ncmp", "twelve\n"), 'print(12)\n')
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "ncmp" in r.reason, r


def test_livecodebench_decimals_in_the_sandbox(engine: Engine) -> None:
    """The judge imports decimal on first use, after its seccomp filter is in place."""
    program = 'print("1.0 2")\n'
    assert engine.run(_stdio("livecodebench", "1 2.00\n"), program).status is Status.PASSED
    assert engine.run(_stdio("tokens", "1 2.00\n"), program).status is Status.FAILED
    assert engine.run(_stdio("livecodebench", "1 2.01\n"), program).status is Status.FAILED
