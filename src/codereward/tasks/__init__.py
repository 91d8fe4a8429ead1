"""Tasks and candidates: what a task is, where tasks come from, and the candidate samples run against them.

The public API is `__all__`, by concern:

    model      Task, Limits and its test suites (AssertSuite, CallSuite + CallCase, StdioSuite + StdioCase)
    datasets   load_dataset by name (DATASETS), or load_humaneval, load_humanevalplus, load_task_file
    labels     task_from_label: a trainer's ground-truth column -> Task (Label; clear_label_cache), and
               label_program: the program to run for an answer extracted from a completion
    samples    Sample, read_samples, plus the JSONL helpers every reader uses (read_jsonl, write_jsonl)
    raw output truncate_at_stops: cut a model's raw output at stop tokens

`load_codet_samples` and `truncate_codet` are importable from here too, for bench/ and the tests, but are
not in `__all__`: they reproduce one paper's setup (CodeT's published HumanEval samples and its stop
tokens) rather than being part of the task API. Their home is `codereward.tasks.truncate`.
"""

from __future__ import annotations

from codereward.tasks.labels import Label, clear_label_cache, task_from_label
from codereward.tasks.loaders import (
    DATASETS,
    load_dataset,
    load_humaneval,
    load_humanevalplus,
    load_task_file,
)
from codereward.tasks.model import (
    AssertSuite,
    CallCase,
    CallSuite,
    CheckerProgram,
    Limits,
    PerTestLimit,
    SqlSuite,
    StdioCase,
    StdioSuite,
    Task,
)
from codereward.tasks.programs import label_program
from codereward.tasks.samples import Sample, read_jsonl, read_samples, write_jsonl
from codereward.tasks.truncate import load_codet_samples as load_codet_samples  # explicit re-export, see above
from codereward.tasks.truncate import truncate_at_stops
from codereward.tasks.truncate import truncate_codet as truncate_codet  # explicit re-export, see above

__all__ = [
    # model
    "AssertSuite",
    "CallCase",
    "CallSuite",
    "CheckerProgram",
    "Limits",
    "PerTestLimit",
    "StdioCase",
    "SqlSuite",
    "StdioSuite",
    "Task",
    # datasets
    "DATASETS",
    "load_dataset",
    "load_humaneval",
    "load_humanevalplus",
    "load_task_file",
    # labels
    "Label",
    "clear_label_cache",
    "label_program",
    "task_from_label",
    # samples
    "Sample",
    "read_jsonl",
    "read_samples",
    "write_jsonl",
    # raw output
    "truncate_at_stops",
]
