"""Rewards for predicting what a program does, scored against its trace (codereward.tracing): the output,
the next statement, variable values and types — ExecVerify's stepwise white-box reward and CodeRL+'s
execution-semantics alignment reward, with their published formats and weights.

An untrusted trace (the program tampered with the tracer) scores 0 whatever the prediction: the traced
program cannot buy its predictor a reward.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import UsageError
from ..tracing import Trace


def same_value(a: Any, b: Any) -> bool:
    """CodeRL+'s tolerant equality (reward_function_coderlplus.py): None and "null"/"None" alike, booleans
    and their spellings ("true", "1"), numbers within 1e-9, lists/tuples and dicts compared item by item."""
    if isinstance(a, str) and not isinstance(b, str):
        a, b = b, a
    if a is None or b is None:
        return (a is None or a in ("null", "None")) and (b is None or b in ("null", "None"))
    if isinstance(a, bool) or isinstance(b, bool):
        spelled = {True: ("true", "True", "1", 1), False: ("false", "False", "0", 0)}
        flag, other = (a, b) if isinstance(a, bool) else (b, a)
        return other is flag or other in spelled[flag]
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=0.0, abs_tol=1e-9) or a == b
    if isinstance(a, int | float) and isinstance(b, str):
        try:
            return same_value(a, float(b))
        except ValueError:
            return False
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, set | frozenset) and isinstance(b, set | frozenset):
        return a == b
    return bool(a == b)


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text.strip()


def output_reward(prediction: str, trace: Trace) -> float:
    """1.0 when the predicted output (a Python literal, or text) is the call's return value, else 0.0; a
    call that raised is predicted by naming its exception ("ZeroDivisionError")."""
    if trace.untrusted:
        return 0.0
    if trace.raised:
        return 1.0 if prediction.strip() and trace.raised.startswith(prediction.strip().split(":")[0]) else 0.0
    return 1.0 if same_value(_literal(prediction), trace.output) else 0.0


def coderl_plus_reward(response: str, trace: Trace) -> float:
    """CodeRL+ (recipe/reward/reward_function_coderlplus.py): the response's last line must be JSON with
    `final_output` and `variables` (the called function's final locals), else 0;
    reward = 0.1 (format) + 0.9 * correct items / (1 + expected variables)."""
    if trace.untrusted:
        return 0.0
    lines = [x for x in response.strip().splitlines() if x.strip()]
    try:
        answer = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return 0.0
    if not isinstance(answer, dict) or "final_output" not in answer or not isinstance(answer.get("variables"), dict):
        return 0.0
    expected = trace.final_state() or {}
    correct = int(same_value(answer["final_output"], trace.output))
    correct += sum(name in answer["variables"] and same_value(answer["variables"][name], value)
                   for name, value in expected.items())
    return 0.1 + 0.9 * correct / (1 + len(expected))


@dataclass(frozen=True)
class Question:
    """A white-box question about the trace: "path" — which statement runs right after the nth run of
    `line`; "state" — `name`'s value and type just before the nth run of `line` (answered "value;type")."""

    kind: Literal["path", "state"]
    line: int
    name: str = ""
    nth: int = 0

    def truth(self, trace: Trace) -> str | None:
        if self.kind == "path":
            return trace.next_statement(self.line, self.nth)
        values, types = trace.state_before(self.line, self.nth), trace.types_before(self.line, self.nth)
        if values is None or types is None or self.name not in values:
            return None
        return f"{values[self.name]!r};{types[self.name]}"

    def correct(self, answer: str, trace: Trace) -> bool:
        truth = self.truth(trace)
        if truth is None:
            return False
        if self.kind == "path":
            return " ".join(answer.split()) == " ".join(truth.split())
        value, _, kind = answer.rpartition(";")
        true_value, _, true_kind = truth.rpartition(";")
        return kind.strip() == true_kind and same_value(_literal(value), ast.literal_eval(true_value))


def execverify_reward(answers: Sequence[str], questions: Sequence[Question], trace: Trace, io_passed: bool,
                      alpha: float = 0.5) -> float:
    """ExecVerify's white-box stepwise reward (train/verl/verl/utils/reward_score/white_box.py, "io_mixed"):
    0 unless the predicted input/output assert passed (`io_passed`); then 2.0 with no questions, 1.0 when
    the answers do not match the questions one to one, else 2 * ((1 - alpha) + alpha * accuracy), in [1, 2].
    Path answers match the next statement's source (whitespace aside); state answers are "value;type", the
    type name equal and the value equal as a literal."""
    if not 0.0 <= alpha <= 1.0:
        raise UsageError(f"alpha must be in [0, 1], not {alpha}")
    if trace.untrusted or not io_passed:
        return 0.0
    if not questions:
        return 2.0
    if len(answers) != len(questions):
        return 1.0
    accuracy = sum(q.correct(a, trace) for q, a in zip(questions, answers, strict=True)) / len(questions)
    return 2.0 * ((1.0 - alpha) + alpha * accuracy)
