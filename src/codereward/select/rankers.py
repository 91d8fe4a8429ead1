"""Selectors: rank a task's programs from its pass matrix alone (no ground truth).

Each is a small pure function `matrix -> Ranking`: groups of program indices, best first, each with a score.
Groups with equal scores are one tie group when evaluated (evaluate.py). Programs that did not execute, and
tests known invalid, are left out (PassMatrix.valid). Weights: a program counts as many times as it was
sampled (`program_counts`); a test as many times as it was proposed (`test_counts`), where the method says so.
"""

from __future__ import annotations

import math
import random as _random
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .matrix import PassMatrix

Score = float | tuple[float, ...]
Ranking = list[tuple[list[int], Score]]


def _rank(groups: dict[Hashable, list[int]], score: Callable[[list[int]], Score]) -> Ranking:
    scored = [(members, score(members)) for members in groups.values()]
    return sorted(scored, key=lambda g: g[1], reverse=True)  # stable: first-seen order among equal scores


def _layouts(rows: npt.NDArray[np.bool_], members: Sequence[int]) -> dict[Hashable, list[int]]:
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i in members:
        groups[rows[i].tobytes()].append(i)
    return groups


def maxpass(m: PassMatrix) -> Ranking:
    """MaxPass: score = number of distinct valid tests a program passes; equal scores are one group.
    (B4's `MaxPass`; CURE and UTRL break its ties by index, which evaluation here does not.)"""
    passes = m.valid().sum(axis=1)
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i in np.flatnonzero(m.executed):
        groups[int(passes[i])].append(int(i))
    return _rank(groups, lambda g: float(passes[g[0]]))


def codet(m: PassMatrix, variant: Literal["sqrt", "product"] = "sqrt") -> Ranking:
    """CodeT's dual execution agreement. Programs passing at least one valid test are grouped by the exact
    set of tests they pass (a consensus set). With T = the set's tests counted with their multiplicity in
    the pool and S = the group's programs counted with theirs (samples):

        sqrt (CodeT's code, microsoft/CodeT src/agreement.py):  score = |T| * sqrt(|S|)
        product (the paper's formula):                          score = |T| * |S|

    Only `sqrt` reproduces CodeT's released numbers."""
    valid = m.valid()
    weights = m.test_counts.astype(float)
    members = [i for i in range(len(m.programs)) if valid[i].any()]

    def score(g: list[int]) -> float:
        tests = float(weights[valid[g[0]]].sum())
        samples = float(m.program_counts[g].sum())
        return tests * (math.sqrt(samples) if variant == "sqrt" else samples)

    return _rank(_layouts(valid, members), score)


def _betaln(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def b4(m: PassMatrix, alpha: float = 1e3, beta0: float = 1e4,
       construction: Literal["codet", "unique"] = "codet") -> Ranking:
    """B4 (Chen et al., ASE'24; ZJU-CTAG/B4 strategy.py): each distinct row pattern L is a hypothesis
    (programs with row L correct, the tests L passes correct); its log posterior

        betaln(Σy + α, M - Σy + 1) + betaln(Σx + α, N - Σx + 1)          priors on the program and test rates
        + betaln(ΣE1 + 1, |E1| - ΣE1 + 1) + betaln(ΣE0 + 1, |E0| - ΣE0 + β0)

    with E1 = the other programs on L's tests, E0 = the other programs on the other tests. `construction`:
    "codet" counts rows and columns as CodeT's agreement does (a row per sample of each program passing a
    test, a column per occurrence of each test passed by some program: 42.56 pass@1 on CodeT's data with the
    defaults α=1e3, β0=1e4); "unique" as B4's own repository does (every executed program and every test
    once: 40.69). Computed on the compact matrix with row and column weights, which is the expanded one's
    arithmetic."""
    valid = m.valid().astype(np.int64)
    if construction == "codet":
        rows = [i for i in range(len(m.programs)) if valid[i].any()]
        cols = np.flatnonzero(valid.any(axis=0))
        c = m.program_counts[rows].astype(np.int64)
        w = m.test_counts[cols].astype(np.int64)
    else:
        rows = [int(i) for i in np.flatnonzero(m.executed)]
        cols = np.flatnonzero(~m.invalid)
        c = np.ones(len(rows), dtype=np.int64)
        w = np.ones(len(cols), dtype=np.int64)
    if not rows:
        return []
    e = valid[np.ix_(np.array(rows, dtype=np.int64), cols)]
    n_rows, n_cols = int(c.sum()), int(w.sum())
    groups = _layouts(e.astype(np.bool_), range(len(rows)))

    def score(g: list[int]) -> float:
        y = e[g[0]].astype(bool)
        x = np.zeros(len(rows), dtype=bool)
        x[g] = True
        sy, sx = int(w[y].sum()), int(c[x].sum())
        other = c[~x]
        e1 = int((other[:, None] * w[None, y] * e[~x][:, y]).sum())
        e0 = int((other[:, None] * w[None, ~y] * e[~x][:, ~y]).sum())
        n1, n0 = int(other.sum()) * int(w[y].sum()), int(other.sum()) * int(w[~y].sum())
        return (_betaln(sy + alpha, n_cols - sy + 1) + _betaln(sx + alpha, n_rows - sx + 1)
                + _betaln(e1 + 1, n1 - e1 + 1) + _betaln(e0 + 1, n0 - e0 + beta0))

    ranked = _rank(groups, score)
    return [([rows[i] for i in g], s) for g, s in ranked]


def _freeze(value: Any) -> Hashable:
    """A hashable stand-in equal exactly when the plain values are (Python ==), for clustering outputs."""
    if isinstance(value, list | tuple):
        return (type(value) is tuple, tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("d", frozenset((_freeze(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return ("s", frozenset(_freeze(v) for v in value))
    if isinstance(value, float) and value != value:
        return ("nan",)
    plain: Hashable = value  # a scalar: None, bool, int, float, str, bytes
    return plain


def _inputs(m: PassMatrix, inputs: Sequence[str] | None) -> tuple[list[str], list[int]]:
    """The distinct test inputs (calls: `inputs`, else the matrix's own, else each test is its own input)
    and, for each, a test whose call gave its output (first seen)."""
    inputs = inputs if inputs is not None else m.inputs
    if inputs is None:
        return list(m.tests), list(range(len(m.tests)))
    first: dict[str, int] = {}
    for j, call in enumerate(inputs):
        if call and not m.invalid[j]:
            first.setdefault(call, j)
    return list(first), list(first.values())


Vector = tuple[tuple[bool, Hashable], ...]  # per test input: (the call answered, its value, frozen)


def _output_vectors(m: PassMatrix, columns: Sequence[int]) -> list[Vector | None]:
    """Per program, its outputs on the given tests' calls, (answered, value) each; None if it never ran."""
    if m.outputs is None:
        raise ValueError(f"{m.task_id}: this selector needs outputs: build the matrix with outputs=True")
    vectors: list[Vector | None] = []
    for i in range(len(m.programs)):
        if not m.executed[i]:
            vectors.append(None)
            continue
        vectors.append(tuple((bool(m.outputs[i][j]), _freeze(m.output(i, j))) for j in columns))
    return vectors


def mbr_exec(m: PassMatrix, logprobs: Sequence[float] | None = None, inputs: Sequence[str] | None = None) -> Ranking:
    """MBR-exec (Shi et al., EMNLP'22; facebookresearch/mbr-exec): a program's score is how many programs
    (counted with their samples, itself included) give exactly its outputs on the test inputs (a call that
    raised is "no answer", equal only to another no answer); ties go to the higher log-probability when
    `logprobs` (per program) is given. A program that answered none of the inputs did not execute in
    MBR-exec's sense (its return code is not 0): it agrees with nobody and comes last, score 0. `inputs`: each
    test's input call, so that tests sharing an input count once (default: the matrix's `inputs`, else each
    test is its own input)."""
    _, columns = _inputs(m, inputs)
    vectors = _output_vectors(m, columns)
    groups: dict[Hashable, list[int]] = defaultdict(list)
    silent: list[int] = []
    for i, v in enumerate(vectors):
        if v is not None and any(answered for answered, _ in v):
            groups[v].append(i)
        elif v is not None:
            silent.append(i)
    size = {k: int(m.program_counts[g].sum()) for k, g in groups.items()}
    if logprobs is None:
        return _rank(groups, lambda g: float(size[vectors[g[0]]])) + ([(silent, 0.0)] if silent else [])
    singles: dict[Hashable, list[int]] = {i: [i] for g in [*groups.values(), silent] for i in g}
    return _rank(singles, lambda g: (float(size.get(vectors[g[0]], 0)), float(logprobs[g[0]])))


def srank(m: PassMatrix, inputs: Sequence[str] | None = None) -> Ranking:
    """SRank (To et al., ACL Findings'24; FSoft-AI4Code/SRank-CodeRanker): clusters of programs with the same
    outputs on every test input; cluster i has n_i distinct programs and a pass rate p_i over the generated
    tests that parse as (input, expected) (each test counted with its multiplicity); interaction
    W_ij = share of inputs where both clusters answer and agree, W_ii = 1; score = W · V with
    V_i = (n_i / Σn) · p_i. Programs that return one constant value on several inputs, or never ran, are
    invalid and last. `inputs`: each test's input call ("" for a test with none; default: the matrix's)."""
    calls, columns = _inputs(m, inputs)
    if not columns:
        return []
    inputs = inputs if inputs is not None else m.inputs
    vectors = _output_vectors(m, columns)
    valid = m.valid()
    parsed = np.array([bool(inputs[j]) if inputs is not None else True for j in range(len(m.tests))]) & ~m.invalid
    weights = m.test_counts * parsed
    clusters: dict[Vector, list[int]] = defaultdict(list)
    invalid: list[int] = []
    for i, v in enumerate(vectors):
        # SRank's check_validity: the same value on every input (answered or not) is no function of them.
        constant = v is not None and len(columns) > 1 and len({value for _, value in v}) == 1
        if v is None or constant:
            invalid.append(i)
        else:
            clusters[v].append(i)
    keys = list(clusters)
    if not keys:
        return [(invalid, 0.0)] if invalid else []
    n = np.array([len(clusters[k]) for k in keys], dtype=float)
    total = float(weights.sum())
    p = np.array([float((valid[clusters[k][0]] * weights).sum()) / total if total else 0.0 for k in keys])
    w = np.eye(len(keys))
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            agree = sum(ka[0] and kb[0] and ka[1] == kb[1] for ka, kb in zip(keys[a], keys[b]))
            w[a, b] = w[b, a] = agree / len(columns)
    scores = w @ ((n / n.sum()) * p)
    ranked = sorted(((clusters[k], float(s)) for k, s in zip(keys, scores)), key=lambda g: g[1], reverse=True)
    return [*ranked, *([(invalid, 0.0)] if invalid else [])]  # SRank: one more cluster, zero row and column


def pagerank(m: PassMatrix, damping: float = 0.85, iterations: int = 100, tol: float = 1e-12) -> Ranking:
    """Mutual reinforcement of programs and tests (CodeDPO's idea; its code is not public, so this rule is
    ours): on the bipartite graph of valid passing cells, with programs weighted by their samples and tests
    by their multiplicity,

        s_test  <- (1 - d) / M + d * normalise(Σ_i E_ij c_i s_prog_i)
        s_prog  <- (1 - d) / N + d * normalise(Σ_j E_ij w_j s_test_j)

    from uniform scores, until no score moves by more than `tol` (at most `iterations` rounds); normalise
    divides by the sum (a side with no edges keeps only its teleport term). Programs with the same pass
    pattern get the same score and form one group."""
    valid = m.valid().astype(float)
    executed = np.flatnonzero(m.executed)
    if not len(executed):
        return []
    c, w = m.program_counts.astype(float), m.test_counts.astype(float)
    n, t = valid.shape
    sp, st = np.full(n, 1.0 / n), np.full(t, 1.0 / max(t, 1))

    def normalise(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        s = v.sum()
        return v / s if s > 0 else v

    for _ in range(iterations):
        new_t = (1 - damping) / max(t, 1) + damping * normalise(valid.T @ (c * sp))
        new_p = (1 - damping) / n + damping * normalise(valid @ (w * new_t))
        moved = max(float(np.abs(new_p - sp).max()), float(np.abs(new_t - st).max()) if t else 0.0)
        sp, st = new_p, new_t
        if moved < tol:
            break
    groups = _layouts(valid.astype(bool), [int(i) for i in executed])
    return _rank(groups, lambda g: round(float(sp[g[0]]), 12))


def consensus(m: PassMatrix, inputs: Sequence[str] | None = None) -> Ranking:
    """MaxPass with CoSPlay's tie-break: among programs passing equally many tests, the larger the cluster of
    programs (counted with their samples) that give the same outputs, the better."""
    passes = m.valid().sum(axis=1)
    _, columns = _inputs(m, inputs)
    vectors = _output_vectors(m, columns)
    size: dict[Hashable, int] = defaultdict(int)
    for i, v in enumerate(vectors):
        if v is not None:
            size[v] += int(m.program_counts[i])
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, v in enumerate(vectors):
        if v is not None:
            groups[(int(passes[i]), v)].append(i)
    return _rank(groups, lambda g: (float(passes[g[0]]), float(size[vectors[g[0]]])))


def random_ranking(m: PassMatrix, seed: int | None = None) -> Ranking:
    """Every program in one group: evaluated, the unbiased random pick. With `seed`, one shuffled order."""
    programs = list(range(len(m.programs)))
    if seed is None:
        return [(programs, 0.0)] if programs else []
    _random.Random(seed).shuffle(programs)
    return [([i], float(-k)) for k, i in enumerate(programs)]


SELECTORS: dict[str, Callable[..., Ranking]] = {
    "codet": codet, "b4": b4, "maxpass": maxpass, "mbr_exec": mbr_exec, "srank": srank, "pagerank": pagerank,
    "consensus": consensus, "random": random_ranking,
}
OUTPUT_SELECTORS = frozenset({"mbr_exec", "srank", "consensus"})  # need the matrix's outputs


def chosen(m: PassMatrix, ranking: Ranking) -> int | None:
    """The program a selector picks: in its best group, the one sampled most often (the first such on a tie);
    None when the ranking is empty (a random pick is all that is left)."""
    if not ranking or not ranking[0][0]:
        return None
    best = ranking[0][0]
    return max(best, key=lambda i: (int(m.program_counts[i]), -i))


def rank_all(matrices: Sequence[PassMatrix], names: Sequence[str]) -> dict[str, dict[str, Ranking]]:
    """{selector: {task id: ranking}} for each named selector (SELECTORS), with its default parameters."""
    unknown = [n for n in names if n not in SELECTORS]
    if unknown:
        raise ValueError(f"unknown selector(s) {', '.join(unknown)}: choose from {', '.join(SELECTORS)}")
    blind = [n for n in names if n in OUTPUT_SELECTORS and any(m.outputs is None for m in matrices)]
    if blind:
        raise ValueError(f"{', '.join(blind)} compare programs' outputs, which these matrices were built without")
    return {name: {m.task_id: SELECTORS[name](m) for m in matrices} for name in names}
