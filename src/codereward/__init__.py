"""codereward: sandboxed, hack-proof execution of LLM-generated code -> verdicts, rewards, pass@k.

    from codereward import Engine, load_dataset, score
    tasks = load_dataset("humaneval")
    with Engine(workers=2) as engine:
        result = engine.check(tasks["HumanEval/0"], completion="    return False\\n")
        print(result.status, [t.outcome for t in result.tests])
        print(score([result], "binary"))                       # rewards are shaped at the edges

Everything a user needs is importable from here; the modules' layout (README: Layout) is not an API.
"""

from __future__ import annotations

from .audit.taxonomy import Category, Flag, Severity
from .backends import create_engine, create_executor
from .backends.local import LocalPool
from .cache import ResultCache
from .engine import Engine
from .errors import CodeRewardError, InfraError, InputError, IsolationError, TaskError, UsageError
from .executor import Execution, Executor, Job
from .judge.prepare import AutoTimeLimit
from .metrics import flag_rate, pass_at_k, summarize
from .results import ErrorCause, Outcome, Outputs, Result, Status, TestResult
from .rewards import SHAPERS, ShapeContext, Shaper, binary, fraction, get_shaper, per_result, score
from .rewards.shaping import penalized
from .sandboxed.records import Cause
from .tasks import (
    AssertSuite,
    CallCase,
    CallSuite,
    CheckerProgram,
    Limits,
    PerTestLimit,
    Sample,
    SqlSuite,
    StdioCase,
    StdioSuite,
    Task,
    label_program,
    load_dataset,
    load_humaneval,
    load_humanevalplus,
    load_task_file,
    read_samples,
    task_from_label,
    write_jsonl,
)

__version__ = "0.2.0"

__all__ = [
    "SHAPERS", "AssertSuite", "AutoTimeLimit", "CallCase", "CallSuite", "Category", "Cause", "CheckerProgram",
    "CodeRewardError",
    "Engine", "ErrorCause", "Execution", "Executor", "Flag", "InfraError", "InputError", "IsolationError", "Job",
    "Limits", "LocalPool", "Outcome", "Outputs", "PerTestLimit", "Result", "ResultCache", "Sample", "Severity",
    "ShapeContext", "Shaper", "SqlSuite", "Status", "StdioCase", "StdioSuite", "Task", "TaskError", "TestResult",
    "UsageError",
    "binary",
    "create_engine", "create_executor", "flag_rate", "fraction", "get_shaper", "label_program", "load_dataset",
    "load_humaneval", "load_humanevalplus", "load_task_file", "pass_at_k", "penalized", "per_result",
    "read_samples", "score", "summarize", "task_from_label", "write_jsonl",
]
