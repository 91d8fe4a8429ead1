"""CodeT's released data as pass-matrix inputs: its code samples and its generated tests for HumanEval.

    inputs = codet_inputs("shared/data/codet", load_humaneval())     # 164 MatrixInputs, limit 5

The directory holds CodeT's `*_code_solution.jsonl` and `*_test_case.jsonl` (100 samples per task each) and
`HumanEval_for_code_generation.jsonl` (CodeT/data/dataset, to map code prompts to task ids). Programs are the
HumanEval prompt + the cut completion (CodeT runs its own prompt, the same but for docstring examples), tests
CodeT's pool (inputs.read_tests: its extraction, the first `limit` asserts of each generation).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..tasks.model import Task
from ..tasks.samples import PathLike
from ..tasks.truncate import load_codet_samples
from .build import MatrixInput, matrix_inputs
from .extract import CODET_LIMIT
from .inputs import read_tests

CODE_FILE = "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"
TEST_FILE = "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_test_case.jsonl"


def codet_inputs(data_dir: PathLike, tasks: Mapping[str, Task], limit: int | None = CODET_LIMIT,
                 task_ids: list[str] | None = None) -> list[MatrixInput]:
    """A MatrixInput per task (in `tasks` order, or `task_ids`), CodeT's way (module docstring)."""
    data = Path(data_dir)
    samples = load_codet_samples(data / CODE_FILE)
    pools = read_tests(data / TEST_FILE, tasks, limit)
    return matrix_inputs(tasks, samples, pools, task_ids)
