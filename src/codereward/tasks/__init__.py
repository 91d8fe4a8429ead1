"""Tasks and candidates: the task model, benchmark loaders, sample files and CodeT's truncation."""

from __future__ import annotations

from codereward.tasks.labels import Label, clear_label_cache, task_from_label
from codereward.tasks.loaders import (
    DATASETS,
    load_dataset,
    load_humaneval,
    load_humanevalplus,
    load_task_file,
)
from codereward.tasks.model import AssertSuite, CallCase, CallSuite, Limits, StdioCase, StdioSuite, Task
from codereward.tasks.programs import label_program
from codereward.tasks.samples import Sample, read_jsonl, read_samples, write_jsonl
from codereward.tasks.truncate import load_codet_samples, truncate_at_stops, truncate_codet

__all__ = [
    "DATASETS",
    "Label",
    "AssertSuite",
    "CallCase",
    "CallSuite",
    "Limits",
    "Sample",
    "StdioCase",
    "StdioSuite",
    "Task",
    "clear_label_cache",
    "label_program",
    "load_codet_samples",
    "load_dataset",
    "load_humaneval",
    "load_humanevalplus",
    "load_task_file",
    "read_jsonl",
    "read_samples",
    "task_from_label",
    "truncate_at_stops",
    "truncate_codet",
    "write_jsonl",
]
