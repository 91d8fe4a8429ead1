"""CodeT's released data as pass-matrix inputs: its code samples and its generated tests for HumanEval.

    inputs = codet_inputs("shared/data/codet", load_humaneval())     # 164 MatrixInputs, limit 5

The directory holds CodeT's `*_code_solution.jsonl` and `*_test_case.jsonl` (100 samples per task each) and
`HumanEval_for_code_generation.jsonl` (CodeT/data/dataset, to map code prompts to task ids). A test-case
line's prompt is the task's signature and docstring (examples cut), "pass", then "# check the correctness of
<entry point>\\nassert ": its task is the one with that entry point whose prompt holds every line before it
(two HumanEval tasks, 133 and 142, are both `sum_squares`). Programs are the HumanEval prompt + the cut completion
(CodeT runs its own prompt, the same but for docstring examples), tests CodeT's pool (extract.codet_pool).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError
from ..tasks.model import Task
from ..tasks.samples import PathLike, read_jsonl
from ..tasks.truncate import load_codet_samples
from .build import MatrixInput
from .extract import CODET_LIMIT, codet_pool

CODE_FILE = "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"
TEST_FILE = "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_test_case.jsonl"
_ENTRY = re.compile(r"# check the correctness of (\w+)\s*\nassert\s*$")


def load_codet_tests(path: PathLike, tasks: Mapping[str, Task]) -> dict[str, list[str]]:
    """Raw test-generation samples per task id, from CodeT's `*_test_case.jsonl`."""
    by_entry: dict[str, list[str]] = defaultdict(list)
    for tid, t in tasks.items():
        by_entry[t.entry_point or ""].append(tid)
    out: dict[str, list[str]] = defaultdict(list)
    for lineno, obj in read_jsonl(path):
        prompt, samples = obj.get("prompt"), obj.get("samples")
        m = _ENTRY.search(prompt) if isinstance(prompt, str) else None
        if m is None or m.group(1) not in by_entry:
            raise InputError("the prompt names no known entry point ('# check the correctness of NAME')",
                             source=os.fspath(path), line=lineno, field="prompt")
        assert isinstance(prompt, str)
        lines = [x.strip() for x in prompt[:m.start()].splitlines() if x.strip() not in ("", "pass")]
        matches = [tid for tid in by_entry[m.group(1)] if all(x in (tasks[tid].prompt or "") for x in lines)]
        if len(matches) != 1:
            raise InputError(f"the prompt matches {len(matches)} tasks named {m.group(1)!r}, not one",
                             source=os.fspath(path), line=lineno, field="prompt")
        if not isinstance(samples, list) or not all(isinstance(s, str) for s in samples):
            raise InputError("'samples' must be a list of strings", source=os.fspath(path), line=lineno,
                             field="samples")
        out[matches[0]] += samples
    return dict(out)


def codet_inputs(data_dir: PathLike, tasks: Mapping[str, Task], limit: int | None = CODET_LIMIT,
                 task_ids: list[str] | None = None) -> list[MatrixInput]:
    """A MatrixInput per task (in `tasks` order, or `task_ids`), CodeT's way (module docstring)."""
    data = Path(data_dir)
    programs: dict[str, list[str]] = defaultdict(list)
    for s in load_codet_samples(data / CODE_FILE):
        task = tasks[s.task_id]
        programs[s.task_id].append(task.program(completion=s.completion or ""))
    generations = load_codet_tests(data / TEST_FILE, tasks)
    ids = task_ids if task_ids is not None else [tid for tid in tasks if tid in programs]
    return [MatrixInput(tasks[tid], programs[tid], codet_pool(generations.get(tid, []), tasks[tid].entry_point or "",
                                                              limit)) for tid in ids]
