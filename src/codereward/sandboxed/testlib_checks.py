"""testlib's standard checkers, reproduced (inside the sandbox; standard library only): the comparators wcmp,
lcmp, fcmp, ncmp, uncmp, icmp, hcmp, acmp, rcmp, dcmp, rncmp, rcmp4, rcmp6, rcmp9, yesno, nyesno, caseicmp,
casencmp and casewcmp of compare.stdout_equal. Each gives the exit status its namesake in
MikeMirzayanov/testlib checkers/<name>.cpp gives (`verdict`), reading both files as testlib.h's `InStream`
reads them; stdout_equal passes only OK. (pointscmp.cpp and pointsinfo.cpp are examples of scored checkers,
not comparisons, and are left out.)

Naming: plain words, as the compatibility presets are (`codecontests`, `apps`), not `testlib:lcmp`. The names
are testlib's own, which is how problem packages name them (Polygon's `std::lcmp.cpp`), none of them collides
with another comparator, and a comparator name is a Literal word everywhere else (tasks/model.py). `wcmp` is
the same function as `tokens`; `acmp` is the same program as `rcmp` in testlib.

Verdicts are testlib's exit statuses: OK 0, WA 1, PE 2 ("wrong output format": a malformed token, an early end
of the output, and "Extra information in the output file", testlib's _dirt), FAIL 3 (the *answer* is malformed:
testlib.h InStream::quit turns every error of the `ans` stream into _fail). codereward has no PE verdict: WA and
PE are both `wrong_answer` (output_mismatch), as a checker program's exit statuses 1 and 2 are (suites.py
`_checked`). FAIL is the task's fault, not the candidate's: the judge (suites.py) reads `verdict` and makes it
the task's error; stdout_equal, which answers a bool, gives False.

What the reading reproduces (testlib.h, the revision of 2026-02-06, 1e4e8a2), the sources of most surprises:
  * Both outputs are read as the checker reads them, in order, so an error in the output before the one in the
    answer is PE, not FAIL. After an OK the output must hold nothing but blanks (InStream::quit's dirt check).
  * Blanks are LF, CR, space and tab only (isBlanks); tokens are the runs between them (readWordTo). A UTF-8
    byte order mark at the very start of the output, not of the answer, is skipped (registerTestlibCmd calls
    ouf.skipBom()).
  * Integers (stringToLongLong): an optional "-" then ASCII digits, at most 20 characters, within int64 (std::
    stoll), no leading zero: "+5", "-0", "007", "1e5", "1.0" are all PE. readInt then wants int32.
  * Doubles (stringToDouble): only digits . e E + - (so no "nan", "inf", "0x1p3", "1_0"), at least one digit, at
    most one point and one e, two "-" and two "+"; then `sscanf("%lf%s")` must convert a prefix and leave nothing.
    glibc's scanf consumes "1e", "1e+" and "1.5e-" whole and converts them as if the exponent were absent
    (glibc bug 1765): they read as 1 and 1.5, and "1e+-5" is PE. That is the behaviour of testlib compiled on
    Linux, which this follows; MSVC's CRT may differ. An overflow ("1e400") is infinity, and doubleCompare
    treats any |x| > 1e300 as infinite.
  * Lines (readString, for lcmp and fcmp): up to LF; CR LF ends a line too, but a CR not followed by LF is
    dropped and the character after it is kept unexamined ("a\\rb" reads "ab", "a\\r\\rb" reads "a\\rb"), and a CR
    at the very end of the file makes testlib append byte 255 (EOFC) to the line: "1\\r" with no newline is
    never the line "1". That byte is `_EOFC` here, U+DCFF (surrogateescape's spelling of byte 0xFF), which no
    decoded output contains, so it matches only itself.
  * Not reproduced: the 128 MB file and 32 MB token limits (outputs are capped far below them), and bytes: the
    judge sees the output decoded as UTF-8 (invalid bytes as U+FFFD), testlib sees bytes; upper-casing (yesno,
    nyesno) is ASCII-only in both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

OK, WA, PE, FAIL = 0, 1, 2, 3  # testlib.h OK_EXIT_CODE, WA_EXIT_CODE, PE_EXIT_CODE, FAIL_EXIT_CODE

_BLANKS = str.maketrans("\t\n\r", "   ")  # isBlanks: LF, CR, space, tab
_BOM = "\ufeff"  # InStream::skipBom, on the output only
_EOFC = "\udcff"  # char(EOFC): what readStringTo appends after a CR that ends the file
_NOT_BLANK = re.compile("[^ \t\r\n]")
_CR_PAIR = re.compile("\r(.)", re.DOTALL)  # readStringTo: a CR not before LF is dropped, the next char kept
# stringToLongLong's accepted tokens: "-" and digits, at most 20 characters, no leading zero, no "-0" (in range:
# checked apart). The digits are then the value's canonical spelling: two such tokens are equal as int64s exactly
# when they are equal strings.
_LONG = re.compile("0|-?[1-9][0-9]{0,18}")
# stringToDouble's accepted tokens. Its filter (only digits . e E + -, a digit, at most one point and one e, two
# "-" and two "+") then what glibc's scanf("%lf") consumes whole and converts: digits with an optional point (or
# a point then digits), then an "e" with an optional sign and any number of digits, none included (glibc bug
# 1765). Every token this matches passes the filter, so it alone decides.
_SCANF_DOUBLE = re.compile(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:[eE]([+-]?[0-9]*))?")
_HUGE = re.compile("0|-?[1-9][0-9]*")  # hcmp.cpp pnum
_INT64 = 1 << 63
_INT32 = 1 << 31


class _Quit(Exception):
    """InStream::quit: the checker stops with this exit status."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _tokens(text: str) -> list[str]:
    return [t for t in text.translate(_BLANKS).split(" ") if t]


def _output(got: str) -> str:
    return got[1:] if got.startswith(_BOM) else got


class _Tokens:
    """An InStream read only with readWord/readLong/readInt/readDouble/seekEof: skipping blanks and reading the
    next run of non-blanks is walking the list of tokens. `answer`: errors are FAIL (mode _answer), not PE."""

    def __init__(self, text: str, answer: bool) -> None:
        self.items = _tokens(text)
        self.at = 0
        self.answer = answer
        self.preread_case = False  # casencmp/casewcmp: a "Case" token already read

    def quit(self, code: int) -> _Quit:
        return _Quit(FAIL if self.answer else code)

    def seek_eof(self) -> bool:
        return self.at >= len(self.items)

    def read_token(self) -> str:
        if self.at >= len(self.items):  # readWordTo: "Unexpected end of file - token expected" (_unexpected_eof)
            raise self.quit(PE)
        self.at += 1
        return self.items[self.at - 1]

    def read_long(self) -> int:
        return self.to_long(self.read_token())

    def to_long(self, token: str) -> int:
        """stringToLongLong."""
        if not _LONG.fullmatch(token):
            raise self.quit(PE)
        value = int(token)
        if not -_INT64 <= value < _INT64:  # std::stoll throws out_of_range
            raise self.quit(PE)
        return value

    def all_longs(self) -> bool:
        """Every token is an int64 stringToLongLong accepts (the fast path of ncmp and uncmp)."""
        return (all(map(_LONG.fullmatch, self.items))
                and all(-_INT64 <= int(t) < _INT64 for t in self.items if len(t) >= 19))

    def all_doubles(self) -> list[float] | None:
        """Every token as stringToDouble reads it, or None if one is no double (the fast path of rcmp4...)."""
        if not all(map(_SCANF_DOUBLE.fullmatch, self.items)):
            return None
        try:
            return list(map(float, self.items))
        except ValueError:  # "1e", "1e+": float() wants the exponent's digits
            return [_scanf_double(t) for t in self.items]

    def read_int(self) -> int:
        value = self.read_long()
        if not -_INT32 <= value < _INT32:  # readInteger: "Expected int32"
            raise self.quit(PE)
        return value

    def read_double(self) -> float:
        """readDouble: stringToDouble on the next token."""
        token = self.read_token()
        if not _SCANF_DOUBLE.fullmatch(token):
            raise self.quit(PE)
        return _scanf_double(token)


def _scanf_double(token: str) -> float:
    """The value of a token _SCANF_DOUBLE matches: an exponent without digits is no exponent. Python's float()
    rounds correctly, as glibc's strtod does; an overflow is infinity in both."""
    m = _SCANF_DOUBLE.fullmatch(token)
    assert m is not None
    mantissa, exponent = m.group(1), m.group(2)
    if exponent and exponent[-1].isdigit():
        return float(f"{mantissa}e{exponent}")
    return float(mantissa)


class _Lines:
    """An InStream read with readString/eof/seekEof (lcmp.cpp, fcmp.cpp)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def eof(self) -> bool:
        return self.at >= len(self.text)

    def seek_eof(self) -> bool:
        return _NOT_BLANK.search(self.text, self.at) is None

    def read_string(self) -> str:
        """readStringTo then eoln(): the line up to LF (or CR LF, or the end), its line break consumed."""
        text, n = self.text, len(self.text)
        lf = text.find("\n", self.at)
        end = n if lf < 0 else lf
        line = text[self.at:end]
        self.at = end if lf < 0 else end + 1
        if "\r" in line:
            crs = len(line) - len(line.rstrip("\r"))
            if crs % 2:  # the last CR pairs with nothing on its line: a line break (CR LF) or the end of file
                line = _CR_PAIR.sub(r"\1", line[:-1]) + ("" if lf >= 0 else _EOFC)
            else:
                line = _CR_PAIR.sub(r"\1", line)
        return line


def _ok(ouf: _Tokens | _Lines) -> int:
    """quitf(_ok, ...): InStream::quit's dirt check, "Extra information in the output file"."""
    return OK if ouf.seek_eof() else PE


def _double_compare(expected: float, result: float, max_error: float) -> bool:
    """testlib.h doubleCompare: within max_error absolutely or relatively (plus 1e-15); |x| > 1e300 is
    infinite (__testlib_isInfinite), and then only a same-signed infinite result matches."""
    max_error += 1e-15
    if math.isnan(expected):
        return math.isnan(result)
    if abs(expected) > 1e300:
        return result > 1e300 if expected > 0 else result < -1e300
    if math.isnan(result) or abs(result) > 1e300:
        return False
    if abs(result - expected) <= max_error:
        return True
    a, b = expected * (1.0 - max_error), expected * (1.0 + max_error)
    return min(a, b) <= result <= max(a, b)


# --- the checkers: each one transcribes checkers/<name>.cpp ------------------------------------------------


def _wcmp(ouf: _Tokens, ans: _Tokens) -> int:
    while not ans.seek_eof() and not ouf.seek_eof():
        if ans.read_token() != ouf.read_token():
            return WA
    return OK if ans.seek_eof() and ouf.seek_eof() else WA  # extra tokens, or "Unexpected EOF"


def _fcmp(ouf: _Lines, ans: _Lines) -> int:
    while not ans.eof():
        j = ans.read_string()
        if not j and ans.eof():
            break
        if j != ouf.read_string():  # past the end of the output, readString gives ""
            return WA
    return _ok(ouf)


_CXX_SPACE = re.compile("[ \t\n\v\f\r]+")  # `stringstream >> string` in the C locale: isspace


def _lcmp(ouf: _Lines, ans: _Lines) -> int:
    while not ans.eof():
        j = ans.read_string()
        if not j and ans.eof():
            break
        p = ouf.read_string()
        if [w for w in _CXX_SPACE.split(j) if w] != [w for w in _CXX_SPACE.split(p) if w]:  # compareWords
            return WA
    return _ok(ouf)


def _ncmp(ouf: _Tokens, ans: _Tokens) -> int:
    if ouf.all_longs() and ans.all_longs():  # nothing to refuse: canonical spellings, equal as strings
        return OK if ouf.items == ans.items else WA
    while not ans.seek_eof() and not ouf.seek_eof():
        if ans.read_long() != ouf.read_long():
            return WA
    extra_ans = extra_ouf = 0
    while not ans.seek_eof():  # the rest is read too: a malformed number is still FAIL / PE
        ans.read_long()
        extra_ans += 1
    while not ouf.seek_eof():
        ouf.read_long()
        extra_ouf += 1
    return WA if extra_ans or extra_ouf else OK


def _uncmp(ouf: _Tokens, ans: _Tokens) -> int:
    for stream in (ans, ouf):  # read in full, the answer first: its first malformed number is FAIL
        if not stream.all_longs():
            while not stream.seek_eof():
                stream.read_long()
    # canonical spellings: equal multisets of strings are equal multisets of int64s
    return OK if len(ouf.items) == len(ans.items) and sorted(ouf.items) == sorted(ans.items) else WA


def _icmp(ouf: _Tokens, ans: _Tokens) -> int:
    ja = ans.read_int()
    return _ok(ouf) if ja == ouf.read_int() else WA


def _hcmp(ouf: _Tokens, ans: _Tokens) -> int:
    ja, pa = ans.read_token(), ouf.read_token()
    if not _HUGE.fullmatch(ja) or not ans.seek_eof():
        return FAIL
    if not _HUGE.fullmatch(pa):
        return PE
    return _ok(ouf) if ja == pa else WA


def _absolute(eps: float) -> Callable[[_Tokens, _Tokens], int]:
    def check(ouf: _Tokens, ans: _Tokens) -> int:  # rcmp.cpp, acmp.cpp: one double
        ja, pa = ans.read_double(), ouf.read_double()
        return WA if abs(ja - pa) > eps + 1e-15 else _ok(ouf)  # inf - inf is NaN: not greater, so OK

    return check


def _dcmp(ouf: _Tokens, ans: _Tokens) -> int:
    ja, pa = ans.read_double(), ouf.read_double()
    return _ok(ouf) if _double_compare(ja, pa, 1e-6) else WA


def _doubles(ouf: _Tokens, ans: _Tokens, equal: Callable[[float, float], bool]) -> int:
    """rncmp.cpp, rcmp4.cpp, rcmp6.cpp, rcmp9.cpp: `while (!ans.seekEof())` a double of each, `equal`, then
    the dirt check."""
    js, ps = ans.all_doubles(), ouf.all_doubles()
    if js is not None and ps is not None:  # nothing to refuse: the first pair not equal, else the lengths
        if not all(map(equal, js, ps)):
            return WA
        return OK if len(ps) == len(js) else PE  # unexpected end of the output, or its extra information
    while not ans.seek_eof():
        if not equal(ans.read_double(), ouf.read_double()):
            return WA
    return _ok(ouf)


def _rncmp(ouf: _Tokens, ans: _Tokens) -> int:
    return _doubles(ouf, ans, lambda j, p: not abs(j - p) > 1.5e-5 + 1e-15)


def _relative(eps: float) -> Callable[[_Tokens, _Tokens], int]:
    def check(ouf: _Tokens, ans: _Tokens) -> int:  # rcmp4.cpp, rcmp6.cpp, rcmp9.cpp
        return _doubles(ouf, ans, lambda j, p: _double_compare(j, p, eps))

    return check


_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # testlib's upperCase


def _yesno(ouf: _Tokens, ans: _Tokens) -> int:
    ja, pa = ans.read_token().translate(_UPPER), ouf.read_token().translate(_UPPER)
    if ja not in ("YES", "NO"):
        return FAIL
    if pa not in ("YES", "NO"):
        return PE
    return _ok(ouf) if ja == pa else WA


def _nyesno(ouf: _Tokens, ans: _Tokens) -> int:
    while not ans.seek_eof() and not ouf.seek_eof():
        ja, pa = ans.read_token().translate(_UPPER), ouf.read_token().translate(_UPPER)
        if ja not in ("YES", "NO"):
            return FAIL
        if pa not in ("YES", "NO"):
            return PE
        if ja != pa:
            return WA
    return OK if ans.seek_eof() and ouf.seek_eof() else WA  # either has a longer sequence (read unchecked)


def _caseicmp(ouf: _Tokens, ans: _Tokens) -> int:
    def read_stream(s: _Tokens) -> list[int]:
        result = []
        case = 1
        while not s.seek_eof():
            if s.read_token() != "Case" or s.read_token() != f"{case}:":
                raise s.quit(PE)
            result.append(s.read_long())
            case += 1
        return result

    ja, pa = read_stream(ans), read_stream(ouf)
    if any(j != p for j, p in zip(ja, pa)):
        return WA
    return OK if len(ja) == len(pa) else PE


def _case_sequence(s: _Tokens, case: int, numbers: bool) -> list[int] | list[str]:
    """casencmp.cpp / casewcmp.cpp readStreamCase: "Case" (unless already read), "<case>:", then tokens up to the
    end or the next "Case", which stays read for the next case."""
    if not s.preread_case and s.read_token() != "Case":
        raise s.quit(PE)
    if s.read_token() != f"{case}:":
        raise s.quit(PE)
    tokens: list[str] = []
    while not s.seek_eof():
        token = s.read_token()
        if token == "Case":
            s.preread_case = True
            break
        tokens.append(token)
    if numbers:  # converted one by one as read, the first bad one quits; from `token.c_str()`, so up to a NUL
        return [s.to_long(t.partition("\0")[0]) for t in tokens]
    return tokens


def _case_cmp(numbers: bool) -> Callable[[_Tokens, _Tokens], int]:
    def check(ouf: _Tokens, ans: _Tokens) -> int:
        case = 0
        while not ans.seek_eof():
            case += 1
            if _case_sequence(ans, case, numbers) != _case_sequence(ouf, case, numbers):
                return WA
        return _ok(ouf)

    return check


_BY_TOKENS: dict[str, Callable[[_Tokens, _Tokens], int]] = {
    "wcmp": _wcmp, "ncmp": _ncmp, "uncmp": _uncmp, "icmp": _icmp, "hcmp": _hcmp,
    "acmp": _absolute(1.5e-6), "rcmp": _absolute(1.5e-6), "dcmp": _dcmp, "rncmp": _rncmp,
    "rcmp4": _relative(1e-4), "rcmp6": _relative(1e-6), "rcmp9": _relative(1e-9),
    "yesno": _yesno, "nyesno": _nyesno, "caseicmp": _caseicmp, "casencmp": _case_cmp(True),
    "casewcmp": _case_cmp(False),
}
_BY_LINES: dict[str, Callable[[_Lines, _Lines], int]] = {"lcmp": _lcmp, "fcmp": _fcmp}
NAMES = (*_BY_TOKENS, *_BY_LINES)


def verdict(name: str, got: str, exp: str) -> int:
    """The exit status testlib's checkers/<name>.cpp gives the output `got` against the answer `exp`: OK 0,
    WA 1, PE 2, FAIL 3 (the answer is malformed). KeyError for a name not in NAMES."""
    try:
        if name in _BY_LINES:
            return _BY_LINES[name](_Lines(_output(got)), _Lines(exp))
        return _BY_TOKENS[name](_Tokens(_output(got), False), _Tokens(exp, True))
    except _Quit as q:
        return q.code


def wcmp(got: str, exp: str) -> bool:
    """testlib's checkers/wcmp.cpp ("compare sequences of tokens"): both outputs read as tokens separated by
    testlib's blanks, exactly `isBlanks` in testlib.h: LF, CR, space and tab; tokens equal one by one and
    neither output has a token more; a UTF-8 byte order mark opening the output is skipped (ouf.skipBom()). A
    vertical tab, form feed or any non-ASCII space (NBSP, U+3000...) is part of a token, not a separator,
    unlike Python's `str.split()`."""
    got = _output(got)  # first: an answer opening with a BOM keeps it, so even an identical output fails
    return got == exp or _tokens(got) == _tokens(exp)


def _passes(name: str) -> Callable[[str, str], bool]:
    if name == "wcmp":
        return wcmp
    return lambda got, exp: verdict(name, got, exp) == OK


CHECKERS: dict[str, Callable[[str, str], bool]] = {name: _passes(name) for name in NAMES}
