"""Whether a query's rows are the gold query's rows: the comparison modes of the text-to-SQL benchmarks.

Runs in the judge (standard library only): an SQL suite's checker is this file's source plus one line naming
the mode (judge/prepare.py), so it needs no import inside the sandbox. The host imports it too (tests, docs).

    strict    rows equal as lists: same row order, same column order, duplicates count
    ordered   Spider's test-suite accuracy when the gold query has ORDER BY: same row order, duplicates count,
              columns may come in any order (taoyds/test-suite-sql-eval, exec_eval.py result_eq)
    bag       the same without ORDER BY: rows in any order, as a multiset, columns in any order
    set       BIRD's EX: set(pred) == set(gold), so row order and duplicates are ignored but column order is
              not (bird-bench mini_dev, evaluation_ex.py)
    soft_f1   BIRD's Soft-F1 (mini_dev, evaluation_f1.py) as partial credit: duplicate rows dropped, rows paired
              by position, a pair's values matched as sets; the test passes only at 1.0
    paverl    PaVeRL-SQL's matched-cell accuracy (PaVeRL-SQL/PaVeRL-SQL, accuracy_reward.py) as partial credit:
              row counts within 5, rows aligned on a key column, then the share of gold columns whose sorted
              values a distinct query column has (names and column order ignored); see `paverl`

Values compare as Python compares them (1 == 1.0, as in both references); NULL is None.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import permutations
from typing import Any

MODES = ("strict", "ordered", "bag", "set", "soft_f1", "paverl")
PARTIAL = ("soft_f1", "paverl")  # modes whose checker returns a float: partial credit

Row = tuple[Any, ...]


def rows_match(gold: Sequence[Sequence[Any]], pred: Sequence[Sequence[Any]], mode: str) -> bool:
    """Whether `pred`'s rows match `gold`'s under `mode` (MODES)."""
    g, p = [tuple(r) for r in gold], [tuple(r) for r in pred]
    if mode == "strict":
        return g == p
    if mode == "set":
        return set(g) == set(p)
    if mode == "soft_f1":
        return soft_f1(g, p) >= 1.0
    if mode == "paverl":
        return paverl(g, p) >= 1.0
    if mode not in ("ordered", "bag"):
        raise ValueError(f"unknown SQL comparison {mode!r}; one of {', '.join(MODES)}")
    return _same_denotation(g, p, order_matters=mode == "ordered")


def soft_f1(gold: Sequence[Sequence[Any]], pred: Sequence[Sequence[Any]]) -> float:
    """BIRD's Soft-F1 of `pred` against `gold`. Both empty: 1. Each side's duplicate rows dropped (first kept,
    in order); row i of each paired. In a pair, a pred value found in the gold row is a true positive, one not
    found a false positive, a gold value not in the pred row a false negative, each counted as a share of the
    gold row's width; an unpaired gold row is one false negative, an unpaired pred row one false positive."""
    if not gold and not pred:
        return 1.0
    g, p = list(dict.fromkeys(tuple(r) for r in gold)), list(dict.fromkeys(tuple(r) for r in pred))
    tp = fp = fn = 0.0
    for i, gold_row in enumerate(g):
        if i >= len(p):
            fn += 1
            continue
        width = len(gold_row)
        if not width:
            continue
        tp += sum(v in gold_row for v in p[i]) / width
        fp += sum(v not in gold_row for v in p[i]) / width
        fn += sum(v not in p[i] for v in gold_row) / width
    fp += max(0, len(p) - len(g))
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _same_denotation(gold: list[Row], pred: list[Row], order_matters: bool) -> bool:
    """Spider's result_eq: a column permutation of `pred` equal to `gold` as a list (ordered) or as a multiset.

    Spider prunes the permutations by sampling 20 random rows when there are more than 3 columns; here a
    column of `pred` may stand for a column of `gold` only if each of its values occurs in that gold column,
    checked on every row: it keeps every permutation that can match (so the verdict is Spider's) and is
    deterministic."""
    if not gold and not pred:
        return True
    if len(gold) != len(pred) or len(gold[0]) != len(pred[0]):
        return False
    if gold == pred or (not order_matters and Counter(gold) == Counter(pred)):
        return True  # the columns in the gold's order: the usual right answer, without the search below
    if not _unordered_rows_match(gold, pred, order_matters):
        return False
    width = len(gold[0])
    if width == 1:
        return gold == pred if order_matters else Counter(gold) == Counter(pred)
    columns = [{row[i] for row in gold} for i in range(width)]
    fits = [[j for j in range(width) if all(row[j] in columns[i] for row in pred)] for i in range(width)]
    gold_bag = None if order_matters else Counter(gold)
    for perm in _permutations(fits):
        moved = [tuple(row[j] for j in perm) for row in pred]
        if moved == gold if order_matters else Counter(moved) == gold_bag:
            return True
    return False


def _unordered_rows_match(gold: list[Row], pred: list[Row], order_matters: bool) -> bool:
    """Spider's quick rejection: each row's values sorted must agree (as a list, or as a set of rows)."""
    def unorder(row: Row) -> Row:
        return tuple(sorted(row, key=lambda x: str(x) + str(type(x))))

    g, p = [unorder(r) for r in gold], [unorder(r) for r in pred]
    return g == p if order_matters else set(g) == set(p)


def _permutations(fits: list[list[int]]) -> Iterator[tuple[int, ...]]:
    """Each assignment of a distinct pred column to every gold column, among the columns that fit it."""
    width = len(fits)
    if all(len(f) == width for f in fits):
        yield from permutations(range(width))
        return

    def extend(i: int, used: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if i == width:
            yield used
            return
        for j in fits[i]:
            if j not in used:
                yield from extend(i + 1, (*used, j))

    yield from extend(0, ())


# -- PaVeRL-SQL ---------------------------------------------------------------------------------------------
# accuracy_reward.py of PaVeRL-SQL/PaVeRL-SQL (commit 5ce9a48d373ebf47dc6991f0423d1018773e444a), without pandas:
# a column is (kind, values), kind the dtype pandas gives it ("int" int64, "float" float64, "object"), values
# the Python scalars that iterating the Series yields. Names below follow theirs: df_normalization is
# _paverl_align, check_dataframe _paverl_matched.

_GAP = 5  # df_cutoff: more rows apart than this, nothing matches
_TOL = 0.005  # pre_float, and check_dataframe's tolerance between rounded floats
_NULL_NUMBER = -10000000000.0  # fillna(-10000000000.0): NULL in a numeric column
_NULL_TEXT = "-10000000000"  # fillna(str(-10000000000)): NULL in a text column
_INT64 = (-(1 << 63), (1 << 63) - 1)
_PLAIN = (type(None), int, float, str, bytes)
# what pd.to_numeric parses in a text value (pandas' floatify): ASCII digits, ASCII blanks around a number but
# not around inf, 'inf'/'infinity' in any case; '' is NULL; 'nan', '1_000', '0x10', '1e500' are not numbers
_INT_TEXT = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+[ \t\n\v\f\r]*")
_FLOAT_TEXT = re.compile(r"[ \t\n\v\f\r]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\n\v\f\r]*")
_INF_TEXT = re.compile(r"[+-]?inf(?:inity)?", re.IGNORECASE)

_Column = tuple[str, list[Any]]


def paverl(gold: Sequence[Sequence[Any]], pred: Sequence[Sequence[Any]]) -> float:
    """PaVeRL-SQL's accuracy of `pred` against `gold` (arXiv 2509.07159; accuracy_reward.py's
    _compare_results_outcomes and the `acc` computed from it), in [0, 1]. Their reward is 10·acc, or 0.5 when
    the query ran but acc is 0, and 0 when it failed: that belongs to the reward, not to this comparison.

    Each side is the table pandas builds from its rows, NULLs filled as theirs: -1e10 in a numeric column (a
    text column that pd.to_numeric reads as numbers is numeric), else the text '-10000000000'. With g gold
    rows, p query rows and c gold columns:

    - more than 5 rows apart (df_cutoff): 0.
    - p == g: acc = (gold columns matched) / c.
    - p > g: the query's rows are filtered on a key, the gold's first text column (else its first float one,
      else its first integer one): the first query column of the same dtype with at least as many values
      among the key's as the key has distinct values (floats: pairs within 0.005) keeps the rows whose value
      is one of those. Unless exactly g rows remain, 0; else acc = (gold columns matched) / c. So up to 5
      extra rows whose key value is not the gold's cost nothing.
    - p < g: the same with the sides swapped (the query's key filters the gold rows), and
      acc = p · (gold columns matched) / (g · c) when exactly p gold rows remain, else 0.

    A gold column is matched by the first query column not yet taken whose sorted values equal its own
    (floats rounded to 3 decimals as numpy rounds, then equal within 0.005; an integer column and a float
    one compare exactly). Column names and order play no part, and neither do rows: each column is compared
    as a sorted list, so (1, 'a'), (2, 'b') matches (1, 'b'), (2, 'a').

    Reproduced with their quirks: with a one-column gold and fewer query rows, query key values all among
    the gold's make the query its own aligned table, so acc = p · (query columns) / g, which can exceed 1
    (clamped to 1 here: such a query passes); a float key matched only across several columns (too few
    values in each) keeps rows by the last column; with a one-column gold, float values kept that are not
    the key's exactly (as lists) make the filtered side its matching column's distinct values (with several
    columns pandas raises: 0).

    Not reproduced: gold rows come as rows, not through their CSV file (pd.read_csv reads '' and 'NA' as
    NULL and retypes text that looks numeric). Without rows no width is known here (their CSV has a
    header): both sides empty is 1, one empty is 0 as theirs. Where sorting a column that mixes text and
    numbers (or text and blobs) raises in pandas, which makes their whole reward 0 even for the gold query
    itself, the column is sorted by kind (numbers, text, blobs) and matched like any other. JSON true/false
    in given rows are 1/0, lists and dicts their repr; integers beyond 64-bit signed are text (pandas:
    uint64); numbers in text are parsed by Python's float, correctly rounded, where pandas' parser is one
    unit in the last place off for some long decimals (and integers past 2**53 in a column with NULLs):
    that shows only where such text meets the same number stored as a REAL, or beyond about 10**13.

    Cost, n rows and c columns a side: O(c·n log n) to sort and align (a float key is matched by binary
    search, not their O(n²) double loop), O(c²·n) to compare sorted columns: about 0.1 s for 10,000 rows of
    10 columns.
    """
    if not isinstance(gold, list | tuple) or not isinstance(pred, list | tuple):
        return 0.0
    if not gold or not pred:
        return 1.0 if not gold and not pred else 0.0  # their empty cases: a gold or query without rows is 0
    g, p = len(gold), len(pred)
    if abs(g - p) > _GAP:
        return 0.0
    gold_table, pred_table = _paverl_table(gold), _paverl_table(pred)
    width = len(gold_table)
    if not width:
        return 0.0  # a zero-width gold: their acc divides by zero, and the reward is 0
    if p < g:
        part = _paverl_align(pred_table, gold_table, width, predicted=True)
        if part is None or _height(part) != p:
            return 0.0
        acc = p * _paverl_matched(part, pred_table) / (g * width)
    elif p > g:
        part = _paverl_align(gold_table, pred_table, width, predicted=False)
        if part is None or _height(part) != g:
            return 0.0
        acc = _paverl_matched(gold_table, part) / width
    else:
        acc = _paverl_matched(gold_table, pred_table) / width
    return min(1.0, acc)


def _height(table: list[_Column]) -> int:
    return len(table[0][1]) if table else 0


def _paverl_table(rows: Sequence[Any]) -> list[_Column]:
    """pd.DataFrame(rows) with their NULL filling, as columns (a short row is padded with NULLs, as pandas
    does)."""
    rows = [r if isinstance(r, list | tuple) else (r,) for r in rows]
    width = max(map(len, rows))
    if any(len(r) != width for r in rows):
        rows = [(*r, *[None] * (width - len(r))) for r in rows]
    return [_paverl_column([v if type(v) in _PLAIN else _plain(v) for v in values]) for values in zip(*rows)]


def _plain(value: Any) -> Any:
    """A value that is none of NULL, int, float, str, bytes (only in given gold rows): bool (a subclass of
    int, as any other subclass) its plain value, so true is 1; anything else its repr."""
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value)
    return repr(value)


def _paverl_column(values: list[Any]) -> _Column:
    """A column's dtype as the DataFrame constructor infers it, then their fillna step (float: NULL → -1e10;
    object: pd.to_numeric, else NULL → '-10000000000' and astype('int64') if every value allows it)."""
    kinds = set(map(type, values))
    big = int in kinds and any(type(v) is int and not _INT64[0] <= v <= _INT64[1] for v in values)
    if not (kinds & {str, bytes} or kinds <= {type(None)} or big):
        if float in kinds or type(None) in kinds:
            return "float", [_NULL_NUMBER if v is None or v != v else float(v) for v in values]
        return "int", values
    numbers = _to_numeric(values)
    if numbers is not None:
        return numbers
    values = [_NULL_TEXT if v is None or v != v else v for v in values]
    ints = _as_int64(values)
    return ("int", ints) if ints is not None else ("object", values)


def _to_numeric(values: list[Any]) -> _Column | None:
    """pd.to_numeric(column, errors='raise') then fillna(-1e10), or None where it raises."""
    out: list[Any] = []
    floating = False
    for v in values:
        t = type(v)
        if v is None or (t is float and v != v):
            floating = True
            out.append(_NULL_NUMBER)
            continue
        if t is int:
            if not _INT64[0] <= v <= _INT64[1]:
                return None
            out.append(v)
            continue
        if t is float:
            floating = True
            out.append(v)
            continue
        if t is bytes:  # else text: the column's values are plain (_plain)
            try:
                v = v.decode("ascii")
            except UnicodeDecodeError:
                return None
        if not v:
            floating = True
            out.append(_NULL_NUMBER)
        elif _INT_TEXT.fullmatch(v):
            n = int(v)
            if not _INT64[0] <= n <= _INT64[1]:
                return None
            out.append(n)
        elif _FLOAT_TEXT.fullmatch(v) or _INF_TEXT.fullmatch(v):
            x = float(v)
            if x - x != 0.0 and not _INF_TEXT.fullmatch(v):
                return None  # '1e500': pandas refuses what overflows
            floating = True
            out.append(x)
        else:
            return None
    return ("float", [float(x) for x in out]) if floating else ("int", out)


def _as_int64(values: list[Any]) -> list[int] | None:
    """astype('int64') of an object column: int() of each value (numpy's conversion: '12', ' 12 ', b'12',
    '1_000' and 1.7 convert, '1.5' and 'abc' do not) within 64 bits, or None where it raises."""
    out = []
    for v in values:
        try:
            n = int(v)
        except (TypeError, ValueError, OverflowError):
            return None
        if not _INT64[0] <= n <= _INT64[1]:
            return None
        out.append(n)
    return out


def _round3(x: float) -> float:
    """numpy's round(x, 3): rint(x·1000)/1000, halves to even (not Python's round(x, 3), which differs)."""
    y = x * 1000.0
    return (float(round(y)) if y - y == 0.0 else y) / 1000.0


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0 if type(value) in (int, float) else 1 if type(value) is str else 2), value


def _sorted(column: _Column) -> list[Any]:
    """check_dataframe's sorted values of a column."""
    kind, values = column
    if kind == "float":
        return sorted(map(_round3, values))
    if kind == "object":
        ints = _as_int64(values)  # a subset of rows may now convert, as in theirs
        if ints is not None:
            return sorted(ints)
        try:
            return sorted(values)
        except TypeError:  # text and numbers (or blobs): pandas raises here; we order by kind instead
            return sorted(values, key=_sort_key)
    return sorted(values)


def _paverl_matched(gold: list[_Column], pred: list[_Column]) -> int:
    """check_dataframe(gold, pred)'s count: the `gold` columns each matched by the first `pred` column not
    taken yet with the same sorted values (two float columns: within 0.005 after rounding)."""
    keys: dict[int, list[Any]] = {}
    taken: set[int] = set()
    count = 0
    for kind, values in gold:
        mine = _sorted((kind, values))
        for j, other in enumerate(pred):
            if j in taken:
                continue
            theirs = keys.get(j)
            if theirs is None:
                theirs = keys[j] = _sorted(other)
            if kind == "float" and other[0] == "float":
                same = not any(abs(a - b) > _TOL for a, b in zip(mine, theirs))
            else:
                same = mine == theirs
            if same:
                taken.add(j)
                count += 1
                break
    return count


def _near(ordered: list[float], e: float) -> int:
    """How many of `ordered` (sorted floats) are within _TOL of `e` (abs(e - f) < 0.005, as computed): on each
    side of `e` that holds on a contiguous run next to it, so two binary searches find it."""
    i = bisect_left(ordered, e)
    lo, hi = 0, i
    while lo < hi:
        mid = (lo + hi) // 2
        if abs(e - ordered[mid]) < _TOL:
            hi = mid
        else:
            lo = mid + 1
    first, lo, hi = lo, i, len(ordered)
    while lo < hi:
        mid = (lo + hi) // 2
        if abs(e - ordered[mid]) < _TOL:
            lo = mid + 1
        else:
            hi = mid
    return lo - first


def _paverl_align(keyed: list[_Column], other: list[_Column], width: int, predicted: bool) -> list[_Column] | None:
    """df_normalization(keyed, other, width, 'predicted' if predicted else 'ground'): `other`'s rows whose
    value in the matching column is one of `keyed`'s key values (or their quirks), None for an empty table."""
    if not keyed or not keyed[0][1]:
        return None
    kind, key_values = next(c for kind in ("object", "float", "int") for c in keyed if c[0] == kind)
    target = set(key_values)
    chosen = len(other) - 1  # without a match, pandas' loop variable is left on the last column
    kept: set[Any] = set()  # new_target_col, as the values it keeps
    as_key = False  # new_target_col == list(target_col)
    if kind == "float":
        ordered = sorted(target)
        pairs: list[tuple[float, int]] = []  # each value of `other` near some key value, and how many: new_target_col
        for j, (kind2, values) in enumerate(other):  # holds each such value that many times, across columns
            if kind2 != kind:
                continue
            found = 0
            for e in values:
                n = _near(ordered, e)
                if n:
                    found += n
                    pairs.append((e, n))
            if found >= len(target):
                chosen, kept = j, set(e for e, _ in pairs)
                as_key = list(kept) == list(target)  # set iteration orders, as in theirs
                break
        else:
            kept = set(e for e, _ in pairs)
            as_key = (sum(n for _, n in pairs) == len(target)
                      and [e for e, n in pairs for _ in range(n)] == list(target))
    else:
        for j, (kind2, values) in enumerate(other):
            if kind2 == kind and sum(e in target for e in values) >= len(target):
                chosen, kept, as_key = j, target, True
                break
    if not kept:
        return None
    if width == 1:
        if predicted:
            have = Counter(other[chosen][1])
            if all(n <= have[v] for v, n in Counter(key_values).items()):
                return keyed
        if not as_key:
            if len(other) > 1:
                return None  # pd.DataFrame(unique values, columns=every column) raises: acc 0
            kind2, values = other[chosen]
            return [(kind2, list(dict.fromkeys(values)))]
    rows = [i for i, v in enumerate(other[chosen][1]) if v in kept]
    return [(k, [values[i] for i in rows]) for k, values in other]


def checker(mode: str) -> Any:
    """The call suite's check_output for `mode`: the candidate's output is its rows (a list of tuples). For
    soft_f1 and paverl it returns the score, a float: the judge takes a float as partial credit."""
    if mode not in MODES:
        raise ValueError(f"unknown SQL comparison {mode!r}; one of {', '.join(MODES)}")
    if mode in PARTIAL:
        credit = soft_f1 if mode == "soft_f1" else paverl

        def check_credit(args: list[Any], kwargs: dict[str, Any], output: Any, expected: Any) -> float:
            return float(credit(_gold(expected), output))

        return check_credit

    def check_output(args: list[Any], kwargs: dict[str, Any], output: Any, expected: Any) -> bool:
        return rows_match(_gold(expected), output, mode)

    return check_output


def _gold(rows: Any) -> Any:
    """Gold rows as a task gives them in JSON, where a DuckDB LIST value can only be a list: as the tuple the
    query runner makes of it (languages/sql.py), so that rows hash and compare; rows without one as they are."""
    if not isinstance(rows, list) or not any(type(v) is list for r in rows if isinstance(r, list) for v in r):
        return rows
    return [[_tuple(v) for v in r] if isinstance(r, list) else r for r in rows]


def _tuple(value: Any) -> Any:
    return tuple(map(_tuple, value)) if type(value) is list else value
