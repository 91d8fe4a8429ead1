"""What the sandboxed judge receives for a task: its tests as one wire payload, named by content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..sandboxed import plan, wire
from ..tasks.model import AssertSuite, CallSuite, StdioSuite, Task


@dataclass(frozen=True)
class JudgePayload:
    kind: str
    data: bytes
    key: str  # content hash: equal tests share one prepared judge in each sandbox
    visible: tuple[bool, ...] | None  # per test, when the suite declares it


def build(task: Task, *, expected: list | None = None, collect: bool = False) -> JudgePayload:
    """Encode a task's tests. `expected` overrides call cases' expectations (computed from a reference);
    `collect` asks the judge to return outputs instead of comparing them (used to run references)."""
    suite = task.tests
    visible = None
    if isinstance(suite, AssertSuite):
        body: dict = {"setup": suite.setup, "code": suite.code, "entry_check": suite.entry_check,
                      "entry": task.entry_point}
    elif isinstance(suite, CallSuite):
        exp = expected if expected is not None else [c.expected for c in suite.cases]
        body = {"cases": [[c.args, c.kwargs, e] for c, e in zip(suite.cases, exp)], "atol": suite.atol,
                "rtol": suite.rtol, "checker": suite.checker, "collect": collect}
        visible = tuple(c.visible for c in suite.cases)
    elif isinstance(suite, StdioSuite):
        body = {"cases": [[c.stdin, c.stdout] for c in suite.cases], "comparator": suite.comparator,
                "atol": suite.atol, "rtol": suite.rtol, "checker": suite.checker}
        visible = tuple(c.visible for c in suite.cases)
    else:  # pragma: no cover - the model's discriminated union admits nothing else
        raise TypeError(f"unknown test suite {type(suite).__name__}")
    data = wire.dumps(body)
    key = hashlib.sha256(suite.kind.encode() + b"\0" + data).hexdigest()[:32]
    if isinstance(suite, AssertSuite):  # not part of the key: marshal's output is not canonical
        body["compiled"] = plan.precompile(suite.setup, suite.code, suite.entry_check, task.entry_point)
        data = wire.dumps(body)
    return JudgePayload(suite.kind, data, key, visible)
