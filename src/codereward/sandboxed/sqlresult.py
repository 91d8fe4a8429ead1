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

Values compare as Python compares them (1 == 1.0, as in both references); NULL is None.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import permutations
from typing import Any

MODES = ("strict", "ordered", "bag", "set", "soft_f1")

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


def checker(mode: str) -> Any:
    """The call suite's check_output for `mode`: the candidate's output is its rows (a list of tuples). For
    soft_f1 it returns the score, a float: the judge takes a float as partial credit."""
    if mode not in MODES:
        raise ValueError(f"unknown SQL comparison {mode!r}; one of {', '.join(MODES)}")
    if mode == "soft_f1":
        def check_f1(args: list[Any], kwargs: dict[str, Any], output: Any, expected: Any) -> float:
            return float(soft_f1(expected, output))

        return check_f1

    def check_output(args: list[Any], kwargs: dict[str, Any], output: Any, expected: Any) -> bool:
        return rows_match(expected, output, mode)

    return check_output
