"""From request bodies to (Task, program) pairs: inline tasks, dataset ids, labels, extracted code.

Every problem is an InputError naming the field (`samples.3.ground_truth`), which the app turns into a 422.
The same task sent in a thousand requests is prepared once: the engine keys its per-task work by the
task's content (Task.digest), whatever object each request builds.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import zlib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ..errors import InputError
from ..integrations.extract import extract_code
from ..tasks import labels
from ..tasks._validate import validation_error
from ..tasks.model import Task
from ._schemas import SampleIn

MAX_DECODED_TESTS = 256 * 1024 * 1024  # bytes a compressed open-instruct test blob may inflate to
# /get_reward: OpenRLHF started without --data.label_key sends "" as every label (0.11:
# datasets/prompts_dataset.py), older versions null.
NO_LABEL = ("codereward needs each sample's tests as its label: start OpenRLHF with --data.label_key naming the "
            "column that holds them (before 0.10.4: --label_key)")


def _prefixed(e: InputError, prefix: str) -> InputError:
    # tasks/labels names fields relative to the label ("label", "input_output", "test_cases.2.input").
    inner = (e.field or "").removeprefix("label").lstrip(".")
    return InputError(str(e).split(" (field '")[0], field=f"{prefix}.{inner}" if inner else prefix)


def task_from_label(label: Any, tasks: Mapping[str, Task], field: str) -> Task:
    """A Task from a ground-truth label (see codereward.tasks.labels), errors named after `field`."""
    try:
        return labels.task_from_label(label, tasks=tasks)
    except InputError as e:
        raise _prefixed(e, field) from None


def reward_task(label: Any, tasks: Mapping[str, Task], field: str) -> Task:
    """A /get_reward label -> Task; an empty one says which OpenRLHF flag is missing."""
    if label is None or (isinstance(label, str) and not label.strip()):
        raise InputError(f"is empty. {NO_LABEL}", field=field)
    return task_from_label(label, tasks, field)


def with_time_limit(task: Task, seconds: float | None) -> Task:
    if seconds is None or seconds == task.limits.time:
        return task
    return task.model_copy(update={"limits": task.limits.model_copy(update={"time": float(seconds)})})


def resolve_sample(sample: SampleIn, index: int, tasks: Mapping[str, Task]) -> tuple[Task, str]:
    """One native-API sample -> (task, program)."""
    where = f"samples.{index}"
    if sample.task is not None:
        try:
            task = Task.model_validate(sample.task)
        except ValidationError as e:
            raise validation_error(e, prefix=f"{where}.task") from None
    elif sample.task_id is not None:
        found = tasks.get(sample.task_id)
        if found is None:
            hint = "the server was started without a dataset" if not tasks else f"{len(tasks)} tasks are loaded"
            raise InputError(f"unknown task_id {sample.task_id!r} ({hint})", field=f"{where}.task_id")
        task = found
    else:
        task = task_from_label(sample.ground_truth, tasks, f"{where}.ground_truth")
    task = with_time_limit(task, sample.time_limit)
    code = extract_code(sample.response, task.language) if sample.response is not None else sample.solution
    if code is not None:
        # A label's `call` task accepts LeetCode-style `class Solution` answers (labels.label_program).
        return task, labels.label_program(task, code) if sample.ground_truth is not None else code
    return task, task.program(completion=sample.completion)


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles plain containers and scalars only: any class or function reference is refused, so a
    crafted blob cannot run code on the host (pickle's find_class is how it would)."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only plain data is accepted")


def decode_tests(tests: Any, field: str = "tests") -> list[Any]:
    """open-instruct's test encodings: a list, a JSON string, or base64(zlib(pickle(list)))."""
    if not tests:
        return []
    if isinstance(tests, list):
        return tests
    if not isinstance(tests, str):
        raise InputError(f"must be a list or a string, got {type(tests).__name__}", field=field)
    try:
        decoded = json.loads(tests)
    except json.JSONDecodeError:
        try:
            raw = base64.b64decode(tests.encode(), validate=True)
            inflater = zlib.decompressobj()
            data = inflater.decompress(raw, MAX_DECODED_TESTS)
            if inflater.unconsumed_tail:
                raise InputError(f"decompressed tests exceed {MAX_DECODED_TESTS >> 20} MiB", field=field)
            decoded = _PlainUnpickler(io.BytesIO(data)).load()
        except (binascii.Error, zlib.error, pickle.UnpicklingError, EOFError, ValueError) as e:
            raise InputError(f"neither JSON nor open-instruct's compressed test encoding: {e}", field=field) from None
    if not isinstance(decoded, list):
        raise InputError(f"must decode to a list, got {type(decoded).__name__}", field=field)
    return decoded
