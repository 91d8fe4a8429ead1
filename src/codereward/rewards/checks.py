"""Per-result shapers for what RL recipes add around the tests: relaxed pass thresholds and penalties for a
bad answer format, no code at all, or code that does not compile.

    score(results, Threshold(0.9))                                   # 1 when >= 90% of the tests pass
    score(results, Checked("fraction", no_code=1.0), completions=texts)
    score(results, OPEN_R1, completions=texts)                       # open-r1's code recipe's rewards

The format and no-code checks read the completions themselves (`score(..., completions=...)`; the TRL, verl
and OpenRLHF adapters and the server pass them); a check that needs them and has none is a UsageError, never
a silent 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import UsageError
from ..integrations.extract import CODE_LANGUAGES, completion_text, extract_code
from ..results import Outcome, Result, Status
from . import RewardFn, ShapeContext, Shaper, get_shaper

# open-r1's format_reward (src/open_r1/rewards.py): reasoning in <think>, then the answer in <answer>.
THINK_ANSWER = r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$"
# open-r1's code_format_reward (get_code_format_reward("python")): the same, the answer holding a ```python block.
THINK_ANSWER_CODE = r"^<think>\n.*?\n</think>\n<answer>\n.*?```python.*?```.*?\n</answer>$"


def _fraction(r: Result) -> float:
    return r.credit / r.n_tests if r.n_tests else 0.0


@dataclass(frozen=True)
class Threshold:
    """1.0 when the share of tests passed reaches `at` (`strict`: exceeds it), else 0.0. open-r1's
    binary_code_reward is Threshold(0.99, strict=True) on its pass rate."""

    at: float = 1.0
    strict: bool = False
    name: str = "threshold"

    def __post_init__(self) -> None:
        if not 0.0 <= self.at <= 1.0:
            raise UsageError(f"a pass threshold is a share of tests, in [0, 1], not {self.at}")

    def __call__(self, results: Sequence[Result], context: ShapeContext) -> list[float | None]:
        def hit(f: float) -> bool:
            return f > self.at if self.strict else f >= self.at

        return [None if r.status is Status.ERROR else float(r.n_tests > 0 and hit(_fraction(r))) for r in results]


def compiled(result: Result) -> bool:
    """False when the program did not compile (every test then reports compile_error)."""
    return not any(t.outcome is Outcome.COMPILE_ERROR for t in result.tests)


@dataclass(frozen=True)
class Checked:
    """`base`'s reward with the answer's shape checked:

        reward = base - no_code * [no code in the completion]
                      - compile_error * [the code does not compile]
                      - bad_format * [the completion does not match `pattern`]
                      + format_bonus * [it does]

    "No code" is an empty program by the adapters' extraction in every language codereward runs
    (integrations/extract.py: fences with no block of any of them, or nothing left after the reasoning: the
    shaper does not know the task's language, and a C++ answer has code); a completion with no code is not
    also charged as a compile error. The defaults penalise no code by 1 and a compile error by 0.5 and check no format
    (bad_format = format_bonus = 0). Format and no-code checks need the completions."""

    base: Shaper | RewardFn | str = "binary"
    no_code: float = 1.0
    compile_error: float = 0.5
    bad_format: float = 0.0
    format_bonus: float = 0.0
    pattern: str = THINK_ANSWER
    name: str = "checked"

    def __call__(self, results: Sequence[Result], context: ShapeContext) -> list[float | None]:
        base = get_shaper(self.base)(results, context)
        needs_text = bool(self.no_code or self.bad_format or self.format_bonus)
        texts = context.completions
        if needs_text and texts is None:
            raise UsageError(f"reward {self.name!r} checks the completions' format and code: pass "
                             "score(..., completions=...) (the adapters and the server do)")
        pattern = re.compile(self.pattern, re.DOTALL | re.MULTILINE)
        out: list[float | None] = []
        for i, (r, b) in enumerate(zip(results, base, strict=True)):
            if b is None or r.status is Status.ERROR:
                out.append(None)
                continue
            reward = b
            text = completion_text(texts[i]) if texts is not None else ""
            no_code = texts is not None and not has_code(texts[i])
            if no_code:
                reward -= self.no_code
            elif not compiled(r):
                reward -= self.compile_error
            if self.bad_format or self.format_bonus:
                reward += self.format_bonus if pattern.match(text) else -self.bad_format
            out.append(reward)
        return out


def has_code(completion: object) -> bool:
    """Whether a completion holds a program in any language codereward runs (Checked's "no code")."""
    return any(extract_code(completion, language).strip() for language in CODE_LANGUAGES)  # type: ignore[arg-type]


def _pass_plus_fraction(result: Result) -> float:
    """open-r1's weighted sum: 1 if every test passed, plus 0.1 x the share of tests passed."""
    passed = 1.0 if result.status is Status.PASSED else 0.0
    return passed + 0.1 * (result.credit / result.n_tests if result.n_tests else 0.0)


@dataclass(frozen=True)
class WeightedSum(Checked):
    """open-r1's competitive-programming reward (src/open_r1/rewards.py cf_code_reward, scoring_mode
    "weighted_sum", its default): pass_fail + 0.1 x passed/total, -0.1 for a compile error and -1.0 for no
    code, both charges configurable (`weighted_sum:compile_error=0.2,no_code=0.5`)."""

    base: Shaper | RewardFn | str = _pass_plus_fraction
    no_code: float = 1.0
    compile_error: float = 0.1
    name: str = "weighted_sum"


@dataclass(frozen=True)
class PaVeRL:
    """PaVeRL-SQL's reward (PaVeRL-SQL/PaVeRL-SQL accuracy_reward.py): `scale` x acc, acc the share of the gold
    result's cells the query's result matches (an SQL task compared with compare="paverl": the credit of its
    tests); `ran` for a query that ran and matched nothing; 0 for one that failed (an SQL error, a time-out)
    and for a query shorter than `min_chars` characters (stripped), which PaVeRL does not even run.

    The query is the one the adapters judge (the last ```sql block, or the whole text without fences), where
    PaVeRL's own reader takes only a ```sql block. With several databases (Spider's test suite) acc is the
    mean credit, and "ran" means it ran on every one."""

    scale: float = 10.0
    ran: float = 0.5
    min_chars: int = 16
    name: str = "paverl"

    def __call__(self, results: Sequence[Result], context: ShapeContext) -> list[float | None]:
        texts = context.completions
        if texts is None:
            raise UsageError("reward 'paverl' scores nothing under 16 characters: pass score(..., completions=...) "
                             "(the adapters, the server and the CLI do)")
        out: list[float | None] = []
        for r, completion in zip(results, texts, strict=True):
            if r.status is Status.ERROR:
                out.append(None)
            elif len(extract_code(completion, "sql").strip()) < self.min_chars or not r.n_tests:
                out.append(0.0)
            elif acc := _fraction(r):
                out.append(self.scale * acc)
            else:
                ran = all(t.outcome in (Outcome.PASSED, Outcome.WRONG_ANSWER) for t in r.tests)
                out.append(self.ran if ran else 0.0)
        return out


# open-r1's code recipe (recipes/Qwen2.5-1.5B-Instruct/grpo/config_demo_code.yaml: reward_funcs [code, format],
# reward_weights [1.0, 0.1]): the share of tests passed, plus 0.1 for the <think>/<answer> format. open-r1
# charges nothing for no code or a compile error (they pass no test); `checked` does.
OPEN_R1 = Checked("fraction", no_code=0.0, compile_error=0.0, format_bonus=0.1, pattern=THINK_ANSWER, name="open_r1")
