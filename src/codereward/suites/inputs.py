"""What a suite is scored on: the suite itself (a task's own tests, or generated tests made into one), and
pools of known programs.

A pools file is JSON lines, CodeContests' field names, one task per line:

    {"task_id": "HumanEval/0", "solutions": ["def f(..."], "incorrect_solutions": ["def f(..."]}
    {"task_id": "...", "solutions": {"language": [3, 2], "solution": ["...", "..."]}, ...}   CodeContests' rows

Each program is a full program. In CodeContests' own shape only Python 3 programs (language 3, or the
strings "PYTHON3"/"python") are kept, since this engine judges Python; how many others were left out is
reported, never silently dropped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..select.build import suite_task
from ..select.extract import counts
from ..tasks._validate import json_type, unknown_task_error
from ..tasks.model import Task
from ..tasks.samples import PathLike, read_jsonl

PYTHON3 = (3, "3", "PYTHON3", "python3", "python", "PYTHON")


def generated_suite(task: Task, tests: Sequence[str]) -> Task:
    """`task` with its tests replaced by `tests` (asserts calling the entry point by name, duplicates kept
    once), one test per assert, each its own statement of check(candidate) after the prompt as set-up
    (select/build.py suite_task). A test that is not a Python statement is left out."""
    distinct, _ = counts(tests)
    suite, _kept = suite_task(task, distinct)
    return suite.model_copy(update={"id": task.id, "reference": task.reference})


@dataclass
class Pool:
    correct: list[str]
    incorrect: list[str]
    other_languages: int = 0  # programs left out: not Python 3
    unlabelled: int = 0  # samples left out: their run against the task's own tests did not finish (infra error)


def _programs(value: Any, source: str, line: int, key: str) -> tuple[list[str], int]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value), 0
    if isinstance(value, dict) and isinstance(value.get("solution"), list) and isinstance(value.get("language"), list):
        programs, languages = value["solution"], value["language"]
        if len(programs) != len(languages) or not all(isinstance(p, str) for p in programs):
            raise InputError("'solution' must be a list of strings as long as 'language'", source=source, line=line,
                             field=f"{key}.solution")
        kept = [p for p, lang in zip(programs, languages) if lang in PYTHON3]
        return kept, len(programs) - len(kept)
    raise InputError(f"'{key}' must be a list of programs or CodeContests' {{language, solution}} lists, got "
                     f"{json_type(value)}", source=source, line=line, field=key)


def read_pools(path: PathLike, tasks: Mapping[str, Task]) -> dict[str, Pool]:
    """Each task's pool of correct and incorrect programs (lines for one task add up)."""
    source = os.fspath(path)
    pools: dict[str, Pool] = {}
    for line, obj in read_jsonl(path):
        task_id = obj.get("task_id", obj.get("name"))
        if not isinstance(task_id, str):
            raise InputError(f"'task_id' must be a string, got {json_type(task_id)}", source=source, line=line,
                             field="task_id")
        if task_id not in tasks:
            raise unknown_task_error(task_id, tasks, field="task_id", source=source, line=line)
        if "solutions" not in obj and "incorrect_solutions" not in obj:
            raise InputError("a pool line needs 'solutions' and/or 'incorrect_solutions'", source=source, line=line)
        pool = pools.setdefault(task_id, Pool([], []))
        for key, into in (("solutions", pool.correct), ("incorrect_solutions", pool.incorrect)):
            if key in obj:
                programs, others = _programs(obj[key], source, line, key)
                into += programs
                pool.other_languages += others
    return pools
