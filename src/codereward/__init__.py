"""codereward: sandboxed, hack-proof execution of LLM-generated code -> verdicts, rewards, pass@k.

    from codereward import Engine, load_dataset
    tasks = load_dataset("humaneval")
    with Engine(workers=2) as engine:
        result = engine.check(tasks["HumanEval/0"], completion="    return False\\n")
        print(result.status, result.reward, [t.outcome for t in result.tests])
"""

from __future__ import annotations

from .engine import AutoTimeLimit, Engine
from .errors import CodeRewardError, InfraError, InputError, IsolationError
from .metrics import pass_at_k, summarize
from .results import Outcome, Result, Status, TestResult
from .rewards import REWARDS, binary, fraction
from .tasks import (
    AssertSuite,
    CallCase,
    CallSuite,
    Limits,
    Sample,
    StdioCase,
    StdioSuite,
    Task,
    load_dataset,
    load_humaneval,
    load_humanevalplus,
    load_task_file,
    read_samples,
    write_jsonl,
)

__version__ = "0.1.0"

__all__ = [
    "REWARDS", "AssertSuite", "AutoTimeLimit", "CallCase", "CallSuite", "CodeRewardError", "Engine",
    "InfraError", "InputError", "IsolationError", "Limits", "Outcome", "Result", "Sample", "Status",
    "StdioCase", "StdioSuite", "Task", "TestResult", "binary", "fraction", "load_dataset", "load_humaneval",
    "load_humanevalplus", "load_task_file", "pass_at_k", "read_samples", "summarize", "write_jsonl",
]
