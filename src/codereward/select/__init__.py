"""Best-of-N selection with generated tests: pass matrices, selectors, ranked pass@k, ADAP.

    from codereward.select import MatrixInput, build, codet, chosen, ranked_pass_at_k

Data flow: inputs.py reads tests and samples (extract.py: CodeT's extraction, SRank's assert parsing) ->
build.py runs every distinct program against every distinct test in the sandbox -> matrix.py holds and stores
the result -> rankers.py (the selectors) rank a task's programs from its matrix alone -> evaluate.py scores
rankings against the ground truth; adaptive.py replays or runs ADAP's generate-rank-verify schedule.
"""

from __future__ import annotations

from .adaptive import adaptive_search, ranked_pool, replay, replay_many
from .build import MatrixInput, MatrixOptions, build, build_cached, matrix_inputs
from .evaluate import random_pass_at_k, ranked_pass_at_k, summarize, task_pass_at_k, test_precision
from .extract import assert_io, codet_pool, codet_tests
from .inputs import read_any_samples, read_tests
from .matrix import OUTCOME_CODES, MatrixSet, PassMatrix
from .rankers import (
    SELECTORS,
    Ranking,
    b4,
    chosen,
    codet,
    consensus,
    maxpass,
    mbr_exec,
    pagerank,
    random_ranking,
    rank_all,
    srank,
)

__all__ = [
    "OUTCOME_CODES", "SELECTORS", "MatrixInput", "MatrixOptions", "MatrixSet", "PassMatrix", "Ranking",
    "adaptive_search", "assert_io", "b4", "build", "build_cached", "chosen", "codet", "codet_pool", "codet_tests",
    "consensus", "matrix_inputs", "maxpass", "mbr_exec", "pagerank", "random_pass_at_k", "random_ranking",
    "rank_all", "ranked_pass_at_k", "ranked_pool", "read_any_samples", "read_tests", "replay", "replay_many",
    "srank", "summarize", "task_pass_at_k", "test_precision",
]
