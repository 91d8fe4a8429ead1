"""Other judges' stdout comparisons, reproduced (inside the sandbox; standard library only): the
compatibility presets of compare.stdout_equal. Each accepts exactly what the judge its docstring names
accepts, transcribed from that source: sandboxfusion, codecontests, livecodebench, apps, open_r1,
open_r1_codeforces. Only the comparison is reproduced: how those harnesses run the program (time limits,
exit statuses, in-process capture) is ours. A preset may raise on input that made the original raise;
stdout_equal turns that into a failed comparison.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

# --- sandboxfusion ------------------------------------------------------------------------------------------


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def sandboxfusion(got: str, exp: str) -> bool:
    """SandboxFusion's stdout check: bytedance/SandboxFusion sandbox/utils/testing.py `check_stdio_test_case`
    with its default `lower_cmp=True` (common_oj.py calls it without the argument), transcribed.

    Both sides `strip()`ped whole and split on "\\n"; line counts equal (its "drop one trailing empty line"
    adjustments are kept, though after strip() they can never apply); per line, lower-cased then `strip()`ped,
    equal; else, if both lines parse with Python's `float()` (the whole line: "1 2" does not; "nan", "inf",
    "1_000" do), `abs(a - b) / max(abs(b), 1e-10) < 1e-5` (`float_equal`, relative to the expected `b`).
    So "YES" matches "yes", "1.0" matches "1", a blank line in the middle counts, extra output lines fail."""
    result_lines = got.strip().split("\n")
    expected_lines = exp.strip().split("\n")
    if len(result_lines) - len(expected_lines) == 1 and result_lines[-1] == "":
        result_lines = result_lines[:-1]
    if len(expected_lines) - len(result_lines) == 1 and expected_lines[-1] == "":
        expected_lines = expected_lines[:-1]
    if len(result_lines) != len(expected_lines):
        return False
    for rl, el in zip(result_lines, expected_lines):
        rl = rl.lower()
        el = el.lower()
        if rl.strip() != el.strip():
            if _is_float(el) and _is_float(rl):
                a, b = float(rl), float(el)
                if abs(a - b) / max(abs(b), 1e-10) < 1e-5:
                    continue
            return False
    return True


# --- codecontests -------------------------------------------------------------------------------------------

_CC_SEPARATORS = re.compile("[ \n\t\r\v]+")  # absl::ByAnyChar(" \n\t\r\v"): not \f
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # absl::AsciiStrToLower
_ABSL_SPACE = " \t\n\v\f\r"  # absl::ascii_isspace, what StripAsciiWhitespace strips
_DEC_BODY = re.compile(r"([0-9]*)(?:\.([0-9]*))?(?:[eE][+-]?[0-9]+)?")
_HEX_BODY = re.compile(r"([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP][+-]?[0-9]+)?")
_INF_NAN = re.compile(r"inf|infinity|nan(?:\([0-9A-Za-z_]*\))?", re.IGNORECASE | re.ASCII)
# A plain decimal without whitespace, sign pairs or digit runs near the limits: SimpleAtod reads it as float() does.
_PLAIN_DEC = re.compile(r"[+-]?[0-9]{1,300}(?:\.[0-9]{0,300})?(?:[eE][+-]?[0-9]{1,300})?")
# Equal parts that match this are equal for ValuesMatch: a word, or a finite number (under 1e300).
_PLAIN_FINITE = re.compile(r"[+-]?[0-9.]{0,300}")
_DEC_DIGIT_LIMIT = 50_000_000  # charconv_parse.cc kDecimalDigitLimit
_HEX_DIGIT_LIMIT = _DEC_DIGIT_LIMIT // 4  # kHexadecimalDigitLimit


def _absl_mantissa_ok(m: re.Match[str], limit: int) -> bool:
    """ParseFloat's mantissa checks: some digit (a bare "." is no number) and its refusal of runs of `limit`
    digits or more (leading zeros not counted before the point; zeros right after the point only while the
    mantissa is still zero)."""
    whole, frac = m.group(1), m.group(2)
    if not whole and not frac:
        return False
    pre = len(whole.lstrip("0"))
    if pre >= limit:
        return False
    if frac:
        if pre == 0:
            significant = frac.lstrip("0")
            return len(frac) - len(significant) < limit and len(significant) < limit
        return len(frac) < limit
    return True


def _absl_simple_atod(token: str) -> float | None:
    """absl::SimpleAtod (abseil-cpp 20211102.0, the tag code_contests' WORKSPACE pins; strings/numbers.cc and
    strings/charconv.cc, charconv_parse.cc): None where it returns false, else the double it stores.

    Strip ASCII whitespace; one optional "+" (not followed by "-"), then from_chars: one optional "-", then a
    hexadecimal float if "0x"/"0X" follows (from_chars accepts one whenever chars_format::hex is not requested),
    else inf, infinity, nan, nan(chars) (any case) or a decimal float ("1", "1.", ".5", "1e5"); the whole
    string must be consumed. Values are correctly rounded, as Python's float() and float.fromhex() round;
    overflow is infinity."""
    if _PLAIN_DEC.fullmatch(token):
        return float(token)
    s = token.strip(_ABSL_SPACE)
    if s[:1] == "+":
        s = s[1:]
        if s[:1] == "-":
            return None
    negative = s[:1] == "-"
    body = s[1:] if negative else s
    if len(body) >= 2 and body[0] == "0" and body[1] in "xX":
        m = _HEX_BODY.fullmatch(body, 2)
        if m is None or not _absl_mantissa_ok(m, _HEX_DIGIT_LIMIT):
            return None  # from_chars then matches just the "0": not all of it consumed
        try:
            value = float.fromhex(body)
        except OverflowError:
            value = math.inf
        return -value if negative else value
    if _INF_NAN.fullmatch(body):
        value = math.nan if body[:1] in "nN" else math.inf
        return -value if negative else value
    m = _DEC_BODY.fullmatch(body)
    if m is None or not _absl_mantissa_ok(m, _DEC_DIGIT_LIMIT):
        return None
    value = float(body)
    return -value if negative else value


def _cc_tokens(text: str) -> list[str]:
    return [t for t in _CC_SEPARATORS.split(text.translate(_ASCII_LOWER)) if t]


def _cc_values_match(a: str, b: str) -> bool:
    if a == b and _PLAIN_FINITE.fullmatch(a):
        return True
    ad, bd = _absl_simple_atod(a), _absl_simple_atod(b)
    if ad is None or bd is None:  # a_is_string || b_is_string
        return a == b
    return abs(ad - bd) < 1e-5  # kDoublePrecision; NaN or inf - inf compare false


def codecontests(got: str, exp: str) -> bool:
    """CodeContests' `OutputsMatch`: google-deepmind/code_contests execution/tester_sandboxer.cc
    (`SplitAndLowercase`, `ValuesMatch`, `OutputsMatch`), transcribed.

    Both outputs split on " \\n\\t\\r\\v" (not \\f), empty parts skipped, ASCII lower-cased; equal lists pass;
    else the counts must be equal and every pair match: two parts of which one is not a number compare as
    strings; two numbers pass when `|a - b| < 1e-5` as doubles, an absolute tolerance.

    `ValuesMatch` also parses each part with `SimpleAtoi` into a 32-bit int and compares two ints exactly, but
    that branch is unreachable: `SimpleAtod` accepts every string `SimpleAtoi` does, and its double branch is
    tested first. So every number, however large, is a double: 10**18 and 10**18 + 1 match (one double), as
    do "1e2" and "100", "0x10" and "16" (a hex float), "123" and "123.000001"; while "nan" matches nothing,
    nor "inf" or an integer too big for a double ("1e400") itself, once the fast equal-lists path has failed."""
    output_parts, expected_parts = _cc_tokens(got), _cc_tokens(exp)
    if output_parts == expected_parts:
        return True
    if len(output_parts) != len(expected_parts):
        return False
    return all(_cc_values_match(a, b) for a, b in zip(output_parts, expected_parts))


# --- livecodebench ------------------------------------------------------------------------------------------

_decimal: Any = None  # the decimal module, imported on first use (the zygote does not preimport it)


def _lcb_stripped_lines(val: str) -> list[str]:
    return [line.strip() for line in val.strip().split("\n")]


def livecodebench(got: str, exp: str) -> bool:
    """LiveCodeBench's stdio grading: LiveCodeBench/LiveCodeBench lcb_runner/evaluation/testing_util.py
    `grade_stdio` with `get_stripped_lines` and `convert_line_to_decimals`, transcribed.

    Both sides `strip()`ped, split on "\\n", each line `strip()`ped; line counts equal; each line pair equal as
    strings, else both lines' `split()` tokens converted with `Decimal()` and the two lists equal: "1.0"
    matches "1" and "1e2" matches "100", but there is no tolerance ("0.3333333" is not "0.33333333"), a line
    with a word fails unless the lines are equal, and case matters. A signalling NaN ("sNaN"), whose
    comparison raises out of LCB's grader (failing the problem), gives False."""
    global _decimal
    if _decimal is None:
        import decimal

        _decimal = decimal
    prediction_lines, gt_lines = _lcb_stripped_lines(got), _lcb_stripped_lines(exp)
    if len(prediction_lines) != len(gt_lines):
        return False
    for pl, gl in zip(prediction_lines, gt_lines):
        if pl == gl:
            continue
        try:  # LCB's bare `except:` returns (False, []) for either line
            decimal_prediction = [_decimal.Decimal(e) for e in pl.split()]
            decimal_gt = [_decimal.Decimal(e) for e in gl.split()]
            if decimal_prediction == decimal_gt:
                continue
        except ArithmeticError:  # decimal.InvalidOperation: a malformed token, or comparing a signalling NaN
            pass
        return False
    return True


# --- apps ---------------------------------------------------------------------------------------------------


def _np_isclose(x: float, y: float) -> bool:
    """numpy.isclose(x, y) at its defaults (rtol 1e-5, atol 1e-8, equal_nan False) on two float64s, as numpy 1.x
    and 2.x compute it: equal (so two same-signed infinities), or both finite and within the tolerance."""
    return x == y or (math.isfinite(x) and math.isfinite(y) and abs(x - y) <= 1e-08 + 1e-05 * abs(y))


def apps(got: str, exp: str) -> bool:
    """APPS's stdio acceptance: hendrycks/apps eval/testing_util.py `run_test`, the `CODE_TYPE.standard_input`
    branch after the program ran (lines ~324-456), with `custom_compare_` and `stripped_string_compare`: the
    chain of checks, any passing accepts. The output is what `Capturing` keeps, `got.splitlines()` (every line
    break Python knows, "\\r" included); the expected output is split on "\\n" only.

    1. The output's lines joined by "\\n", or those lines each stripped and joined, equal `exp` once both are
       stripped; or the output is the one line `exp`.
    2. The expected lines: non-empty ones (before stripping) stripped. The output's lines as they are, then
       without its empty ones (whitespace-only lines stay), equal them.
    3. Every such output line and expected line is a number (`float()`), as many of each, and `np.allclose` at
       its defaults holds (|a - b| <= 1e-8 + 1e-5 * |b|; an empty list of each passes).
    4. Lines as sets of `split()` tokens, non-blank output lines only (a whitespace-only expected line stays
       as an empty set): the two sets of those sets equal; or, all tokens being numbers, the same with each
       number `round(float(t), 3)`. Line order, repeated lines, token order within a line and repeated tokens
       are all ignored here: "2 1\\n3" matches "3\\n1 2 2".

    Left out, being the harness rather than the comparison: the in-process run (stdin mocked, output captured
    only from `sys.stdout`, SystemExit swallowed, a raised exception or SIGALRM timeout giving -1); expected
    outputs stored as a list of strings (APPS joins them with "\\n" first: pass the joined string); call-based
    problems (`fn_name`); numpy itself (`np.allclose` is computed in Python floats, the same float64
    arithmetic). Everything here is deterministic."""
    output = got.splitlines()
    stripped_exp = exp.strip()
    if "\n".join(output).strip() == stripped_exp:  # custom_compare_: stripped_string_compare
        return True
    if "\n".join([o.strip() for o in output]).strip() == stripped_exp:
        return True
    if output == [exp]:
        return True
    expected = [x.strip() for x in exp.split("\n") if len(x)]  # list(map(strip, filter(len, split("\n"))))
    if output == expected:  # `output == [expected]` is never true: a list of str against a list holding a list
        return True
    output = [o for o in output if len(o)]  # filter(len, output)
    if output == expected:
        return True
    try:
        output_float = [float(e) for e in output]
        gt_float = [float(e) for e in expected]
        if len(output_float) == len(gt_float) and all(_np_isclose(a, b) for a, b in zip(output_float, gt_float)):
            return True
    except ValueError:
        pass
    expected_sets = [set(x.split()) for x in expected]
    if not output and not expected_sets:  # `output == in_outs["outputs"][index]`: only two empty lists
        return True
    output_sets = [set(t) for t in (o.split() for o in output) if len(t)]
    if {frozenset(s) for s in output_sets} == {frozenset(s) for s in expected_sets}:
        return True
    try:
        return ({frozenset(round(float(t), 3) for t in s) for s in output_sets}
                == {frozenset(round(float(t), 3) for t in s) for s in expected_sets})
    except ValueError:
        return False


# --- open-r1 ------------------------------------------------------------------------------------------------


def open_r1(got: str, exp: str) -> bool:
    """open-r1's `code_reward` per-test check: huggingface/open-r1 src/open_r1/rewards.py, the
    `evaluation_script_template` run in E2B/Morph, transcribed.

    Its `subprocess.run(..., text=True)` reads stdout with universal newlines ("\\r\\n" and "\\r" become "\\n";
    the expected output is not translated); then `output = stdout.strip()` and every pair of
    `zip(output.split("\\n"), expected.split("\\n"))` equal once `strip()`ped. `zip` stops at the shorter side,
    so, faithfully: an output missing trailing lines passes ("1" against "1\\n2\\n3"), and so do extra output
    lines while the expected output has no more ("1\\n2\\n3" against "1"; against "1\\n" the expected
    output's last line "" meets "2" and fails); an empty output passes only when the expected output's first
    line is blank. Case and blank lines in the middle matter. (A timeout raises out of its script, failing
    the whole completion; here that is our time limit.)"""
    output = got.replace("\r\n", "\n").replace("\r", "\n").strip()
    return all(line1.strip() == line2.strip() for line1, line2 in zip(output.split("\n"), exp.split("\n")))


_CF_YES = re.compile(r"\b(yes)\b", re.IGNORECASE | re.ASCII)  # sed -E \b in the C locale: [A-Za-z0-9_] words
_CF_NO = re.compile(r"\b(no)\b", re.IGNORECASE | re.ASCII)
_CF_SPACE = re.compile("[ \t\n\v\f\r]+")  # tr's [:space:] in the C locale
_BASH_ECHO_OPTIONS = re.compile("-[neE]+")


def _cf_normalize(text: str) -> str:
    text = _CF_NO.sub("NO", _CF_YES.sub("YES", text))
    return _CF_SPACE.sub(" ", text).strip(" ")


def open_r1_codeforces(got: str, exp: str) -> bool:
    """open-r1's `cf_code_reward` check for a problem without a generated checker: the Piston `codeforces`
    package, guipenedo/piston packages/codeforces/1.0.0/run (its `normalize_output` and `diff -bq`), which
    open-r1's utils/competitive_programming/cf_scoring.py runs.

    Both sides: whole-word (ASCII letters, digits, _) "yes" and "no" upper-cased in any case, then every run of
    ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r) one space, trimmed; equal. So "Yes" matches "YES",
    and line structure is ignored ("1\\n2" matches "1 2"). The expected side first goes through bash:
    `CORRECT_OUTPUT=$(cat correct_output.txt)` drops NUL characters and trailing newlines, and
    `echo "$CORRECT_OUTPUT"` prints nothing for an expected output that is just echo options ("-n", "-e",
    "-E", "-ne"...). The run script's other steps (removing "\\r" at line ends and empty lines) change
    nothing once whitespace is collapsed. Isolate starts it with an empty environment: the C locale, assumed
    here. Not reproduced: problems with a `checker.py` (use `checker`), and an expected output that is
    exactly the script's sentinel "__NO_CORRECT_OUTPUT__"."""
    expected = exp.replace("\0", "").rstrip("\n")
    if _BASH_ECHO_OPTIONS.fullmatch(expected):
        expected = ""
    return _cf_normalize(got) == _cf_normalize(expected)


PRESETS: dict[str, Callable[[str, str], bool]] = {
    "sandboxfusion": sandboxfusion,
    "codecontests": codecontests,
    "livecodebench": livecodebench,
    "apps": apps,
    "open_r1": open_r1,
    "open_r1_codeforces": open_r1_codeforces,
}
