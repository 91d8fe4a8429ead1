"""Reward-hacking audit: categorised flags with evidence on every result, and the visible/held-out gap.

    from codereward import Engine, load_dataset
    with Engine(audit=True) as engine:                      # the default
        r = engine.check(tasks["HumanEval/0"], completion=...)
        for f in r.flags: print(f.category, f.severity, f.line, f.evidence)

Flags never change a verdict (they are computed beside it, from the program's AST, the runtime events the
candidate process wrote, and the verdicts' details). See taxonomy.py for the categories, and README.md for
what each catches and how it can be evaded.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from ..memo import PerTask
from ..results import Result
from ..tasks.model import StdioSuite, Task
from . import hardcode, runtime, static
from .taxonomy import TAXONOMY, Category, Flag, Severity, max_severity

log = logging.getLogger("codereward.audit")
P = ParamSpec("P")
T = TypeVar("T")

MAX_SEEN = 4096  # programs remembered per task (16-byte digests: a full memo costs ~0.5 MB)

__all__ = ["TAXONOMY", "Auditor", "Category", "Flag", "Severity", "audit_program", "audit_result",
           "max_severity", "visible_cases"]


def _never_raises(fn: Callable[P, list[T]]) -> Callable[P, list[T]]:
    """The audit sits beside the verdict: a bug in one of its rules must not fail the evaluation. It is logged
    (with the traceback, to be reported) and that part of the audit yields no flags."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> list[T]:
        try:
            return fn(*args, **kwargs)
        except Exception:  # noqa: BLE001
            log.warning("audit rule failed in %s; no flags from it for this sample", fn.__name__, exc_info=True)
            return []

    return wrapper


@_never_raises
def audit_program(task: Task, program: str, cases: list[hardcode.VisibleCase] | None = None,
                  seen: dict[bytes, list[Flag]] | None = None) -> list[Flag]:
    """Static flags for one program (before it runs). `cases`: the task's visible tests (hardcode.visible_cases),
    computed once per task by the caller; None computes them here. `seen`: the caller's memo of this task's
    programs already audited (the flags are a pure function of task and program, and sampled programs repeat:
    24% of CodeT's 16,400 CodeGen-16B samples duplicate another sample of their task). A failed audit is not
    remembered."""
    digest = b""
    if seen is not None:
        digest = hashlib.blake2b(program.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        hit = seen.get(digest)
        if hit is not None:
            return list(hit)
    kind = task.tests.kind
    expected = (tuple(c.stdout.strip() for c in task.tests.cases if c.stdout is not None)
                if isinstance(task.tests, StdioSuite) else ())
    tree = static.parse(program)
    nodes = static.nodes_of(tree) if tree is not None else None
    flags = static.scan(program, kind=kind, prompt=task.prompt, expected_outputs=expected, tree=tree, nodes=nodes)
    if cases is None:
        cases = hardcode.visible_cases(task)
    if tree is not None:
        flags += hardcode.scan(program, cases, prompt=task.prompt, tree=tree, nodes=nodes)
    if seen is not None:
        if len(seen) >= MAX_SEEN:
            seen.clear()
        seen[digest] = list(flags)
    return flags


@_never_raises
def visible_cases(task: Task, expected: list[object] | None = None) -> list[hardcode.VisibleCase]:
    """The task's visible test cases for the hardcoding rules (hardcode.visible_cases); [] if that fails."""
    return hardcode.visible_cases(task, expected)


def audit_result(task: Task, result: Result, static_flags: list[Flag], events: bytes) -> list[Flag]:
    """All flags of one executed sample: static, runtime events, and what its verdicts show; deduplicated."""
    flags = list(static_flags) + _runtime_flags(task, result, events)
    seen: set[tuple[Category, str, int | None, str]] = set()
    out = []
    for f in flags:
        key = (f.category, f.rule, f.line, f.evidence)
        if key not in seen:
            seen.add(key)
            out.append(f)
    out.sort(key=lambda f: (-f.severity.rank, f.category.value, f.line or 0, f.rule, f.evidence))
    return out


@_never_raises
def _runtime_flags(task: Task, result: Result, events: bytes) -> list[Flag]:
    return runtime.event_flags(events) + runtime.result_flags(result, task.tests.kind)


class Auditor:
    """The audit as an engine runs it: static flags per program (before it runs, memoised per task), then
    every flag of its result. `reference_outputs(task)`: the reference's outputs if already known (the
    expected values of call cases written without one), for the hardcoding rules."""

    def __init__(self, reference_outputs: Callable[[Task], list[object] | None]) -> None:
        self._reference_outputs = reference_outputs
        self._cases: PerTask[list[hardcode.VisibleCase]] = PerTask()
        self._seen: PerTask[dict[bytes, list[Flag]]] = PerTask()

    def static(self, task: Task, program: str) -> list[Flag]:
        cases = self._cases.get(task, lambda: visible_cases(task, self._reference_outputs(task)))
        return audit_program(task, program, cases, seen=self._seen.get(task, dict))

    def flags(self, task: Task, result: Result, static_flags: list[Flag], events: bytes) -> list[Flag]:
        return audit_result(task, result, static_flags, events)
