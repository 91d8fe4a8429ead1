"""Selection over pass matrices, pure parts: extraction rules, every selector's formula on small matrices,
ranked pass@k, and the matrix file format."""

from __future__ import annotations

import math

import numpy as np
import pytest

from codereward.results import Outcome
from codereward.select.evaluate import picks, random_pass_at_k, ranked_pass_at_k, task_pass_at_k, test_precision
from codereward.select.extract import assert_io, codet_pool, codet_tests, counts
from codereward.select.matrix import OUTCOME_CODES, MatrixSet, PassMatrix
from codereward.select.rankers import b4, codet, consensus, maxpass, mbr_exec, pagerank, random_ranking, srank

P, F = OUTCOME_CODES[Outcome.PASSED], OUTCOME_CODES[Outcome.WRONG_ANSWER]


def matrix(rows: list[list[int]], program_counts: list[int] | None = None, test_counts: list[int] | None = None,
           correct: list[bool] | None = None, outputs: list[list[object]] | None = None) -> PassMatrix:
    from codereward.sandboxed import wire

    n, m = len(rows), len(rows[0]) if rows else 0
    return PassMatrix(
        task_id="t", programs=[f"p{i}" for i in range(n)],
        program_counts=np.array(program_counts or [1] * n), tests=[f"t{j}" for j in range(m)],
        test_counts=np.array(test_counts or [1] * m),
        outcomes=np.array([[P if c else F for c in r] for r in rows], dtype=np.int8).reshape(n, m),
        executed=np.ones(n, dtype=bool), invalid=np.zeros(m, dtype=bool),
        outputs=[["" if v is None else wire.dumps(v).decode() for v in r] for r in outputs] if outputs else None,
        correct=np.array(correct) if correct is not None else None)


# -- extraction ------------------------------------------------------------------------------------------


def test_codet_extraction_rules():
    sample = "f(1) == 2\nassert f(2) == 3\nassert g(1) == 1\nassert f(\nassert f(4) == 4\n# more\nassert f(5) == 5"
    # "assert f(" does not compile; "# more" cuts its part; the assert after it is a part of its own
    assert codet_tests(sample, "f") == ["assert f(1) == 2", "assert f(2) == 3", "assert f(4) == 4",
                                        "assert f(5) == 5"]
    assert codet_tests("x == 1", "f") == []  # does not name the entry point
    pool = codet_pool(["f(1) == 1\nassert f(2) == 2", "f(1) == 1"], "f", limit=1)
    assert pool == ["assert f(1) == 1", "assert f(1) == 1"]
    assert counts(pool) == (["assert f(1) == 1"], [2])


@pytest.mark.parametrize("test,want", [
    ("assert add(1, 2) == 3", ("add(1, 2)", "3")),
    ("assert 3 == add(1, 2)", ("add(1, 2)", "3")),
    ("assert add(1, 2) == 3, 'it adds'", ("add(1, 2)", "3")),
    ("assert (add(1, 2) == 3)", ("add(1, 2)", "3")),
    ("assert is_ok(2) is True", ("is_ok(2)", "True")),
    ("assert add(1, 2) > 2", None),
    ("assert other(1) == 2", None),
])
def test_srank_assert_parsing(test, want):
    entry = "add" if "add" in test else ("is_ok" if "is_ok" in test else "add")
    assert assert_io(test, entry, f"def {entry}(*args):") == want


# -- selectors -------------------------------------------------------------------------------------------


def test_codet_scores_consensus_sets_with_multiplicities():
    # p0 and p1 agree (tests 0,1); p2 passes test 2 alone, proposed 5 times; p3 passes nothing.
    m = matrix([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0]], program_counts=[1, 3, 2, 1], test_counts=[1, 1, 5])
    ranking = codet(m)
    assert [g for g, _ in ranking] == [[2], [0, 1]]  # 5 * sqrt(2) > 2 * sqrt(4)
    assert ranking[0][1] == pytest.approx(5 * math.sqrt(2)) and ranking[1][1] == pytest.approx(2 * 2)
    assert [g for g, _ in codet(m, "product")] == [[2], [0, 1]] and codet(m, "product")[1][1] == 8


def _b4_expanded(e: np.ndarray, alpha: float, beta0: float) -> list[tuple[list[int], float]]:
    """B4's posterior computed on an explicitly expanded 0/1 matrix, from the formula (no weights)."""
    def betaln(a, b):
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    out = []
    for layout in dict.fromkeys(tuple(r) for r in e.tolist()):
        y = np.array(layout, dtype=bool)
        x = np.array([tuple(r) == layout for r in e.tolist()])
        e1, e0 = e[~x][:, y], e[~x][:, ~y]
        s = (betaln(y.sum() + alpha, len(y) - y.sum() + 1) + betaln(x.sum() + alpha, len(x) - x.sum() + 1)
             + betaln(e1.sum() + 1, e1.size - e1.sum() + 1) + betaln(e0.sum() + 1, e0.size - e0.sum() + beta0))
        out.append((list(np.flatnonzero(x)), s))
    return sorted(out, key=lambda g: g[1], reverse=True)


def test_b4_on_weights_equals_b4_on_the_expanded_matrix():
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 2, size=(6, 5)).tolist()
    rows[0] = rows[3]  # a shared layout
    pc, tc = [3, 1, 2, 1, 1, 2], [1, 4, 1, 2, 1]
    m = matrix(rows, program_counts=pc, test_counts=tc)
    got = b4(m, alpha=10, beta0=100)
    keep_rows = [i for i in range(6) if any(rows[i])]
    keep_cols = [j for j in range(5) if any(rows[i][j] for i in range(6))]
    row_ids = [i for i in keep_rows for _ in range(pc[i])]
    col_ids = [j for j in keep_cols for _ in range(tc[j])]
    e = np.array([[rows[i][j] for j in col_ids] for i in row_ids])
    want = _b4_expanded(e, 10, 100)
    assert [s for _, s in got] == pytest.approx([s for _, s in want])
    assert [sorted(g) for g, _ in got] == [sorted({row_ids[r] for r in g}) for g, _ in want]


def test_maxpass_mbr_pagerank_consensus_random():
    outs = [[1, 2], [1, 2], [1, 3], [0, 0]]
    m = matrix([[1, 1], [1, 1], [1, 0], [0, 0]], program_counts=[1, 1, 3, 1], outputs=outs)
    assert [(g, s) for g, s in maxpass(m)] == [([0, 1], 2.0), ([2], 1.0), ([3], 0.0)]
    assert mbr_exec(m)[0] == ([2], 3.0)  # three samples agree on p2's outputs
    assert [g for g, _ in mbr_exec(m, logprobs=[-1.0, -0.5, -2.0, -0.1])][:3] == [[2], [1], [0]]
    ranks = pagerank(m)
    assert ranks[0][0] == [0, 1] and ranks[-1][0] == [3]
    assert [g for g, _ in consensus(m)][:2] == [[0, 1], [2]]
    assert random_ranking(m) == [([0, 1, 2, 3], 0.0)]


def test_srank_clusters_by_outputs_and_interacts():
    # p0, p1 same outputs; p2 agrees with them on input 0 only; p3 constant (invalid).
    outs = [[1, 2], [1, 2], [1, 5], [7, 7]]
    m = matrix([[1, 1], [1, 1], [1, 0], [0, 0]], outputs=outs)
    ranking = srank(m)
    assert ranking[0][0] == [0, 1] and ranking[-1] == ([3], 0.0)
    v = np.array([2 / 3 * 1.0, 1 / 3 * 0.5])  # n_i / Σn * p_i
    w = np.array([[1, 0.5], [0.5, 1]])
    assert [s for _, s in ranking[:2]] == pytest.approx(list(w @ v))


# -- evaluation ------------------------------------------------------------------------------------------


def test_picks_are_spread_round_robin():
    assert picks(3, 10) == [4, 3, 3] and picks(5, 2) == [1, 1, 0, 0, 0] and picks(1, 1) == [1]


def test_ranked_pass_at_k_merges_ties_and_draws_with_replacement():
    m = matrix([[1], [1], [0]], program_counts=[2, 2, 1], correct=[True, False, False])
    tied = [([0], 2.0), ([1], 2.0), ([2], 1.0)]
    assert task_pass_at_k(m, tied, 1) == pytest.approx(0.5)  # one group of 4 samples, 2 correct
    assert task_pass_at_k(m, tied, 2) == pytest.approx(1 - 0.5 * 1.0)  # second pick: the wrong group
    assert task_pass_at_k(m, [], 1) == pytest.approx(2 / 5)  # no ranking: random over all samples
    assert task_pass_at_k(m, tied, 1, unique=True) == pytest.approx(0.5)
    assert ranked_pass_at_k([m], {"t": tied}, ks=(1,)) == {"pass@1": pytest.approx(0.5)}
    assert random_pass_at_k([m], ks=(1, 2))["pass@2"] == pytest.approx(1 - (3 * 2) / (5 * 4))
    assert test_precision(m) == 1.0


def test_matrix_files_round_trip(tmp_path):
    m = matrix([[1, 0], [0, 1]], program_counts=[2, 1], test_counts=[1, 3], correct=[True, False],
               outputs=[[1, None], [(2, 3), {"a": {1}}]])
    m.extra = {"not_statements": 0}
    path = tmp_path / "m.npz"
    MatrixSet([m], {"test_time": 0.1}).save(path)
    back = MatrixSet.load(path)
    got = back.matrices[0]
    assert back.meta["test_time"] == 0.1 and got.extra == {"not_statements": 0}
    assert got.programs == m.programs and got.tests == m.tests
    assert (got.outcomes == m.outcomes).all() and (got.correct == m.correct).all()
    assert got.output(1, 0) == (2, 3) and got.output(1, 1) == {"a": {1}} and got.output(0, 1) is None
    arrays = np.load(path, allow_pickle=False)  # plain numpy, no pickle
    assert arrays["0/outcomes"].shape == (2, 2)
    assert len(back.to_frame()) == 4
