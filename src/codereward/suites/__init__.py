"""Scoring test suites and test generators: mutation score, coverage, TPR/TNR against solution pools.

    from codereward.suites import score_suites, summarize, mutation_scores, coverage_of, pool_score

Data flow: inputs.py makes the suite (a task's own tests, or generated tests made into one) and reads pools
of known programs -> mutants.py makes mutants of the reference (cosmic-ray's operators) -> mutation.py runs
them against the suite in the sandbox and classifies each -> covering.py measures the reference's coverage
with coverage.py inside the sandbox -> pools.py scores the suite against correct and incorrect programs ->
score.py does all of it per task and summarizes. The rewards for test generators built on the same matrices
(UTRL, CURE) are in rewards/testgen.py.
"""

from __future__ import annotations

from .covering import PACKAGES, Coverage, coverage_of
from .inputs import Pool, generated_suite, read_pools
from .mutants import Mutant, mutants, operator_names
from .mutation import MutantResult, MutationReport, classify, mutation_scores
from .pools import PoolScore, matrix_pool_score, pool_score, pool_summary
from .score import SuiteScore, labelled_pools, score_suites, summarize

__all__ = [
    "PACKAGES", "Coverage", "Mutant", "MutantResult", "MutationReport", "Pool", "PoolScore", "SuiteScore",
    "classify", "coverage_of", "generated_suite", "labelled_pools", "matrix_pool_score", "mutants", "mutation_scores",
    "operator_names", "pool_score", "pool_summary", "read_pools", "score_suites", "summarize",
]
