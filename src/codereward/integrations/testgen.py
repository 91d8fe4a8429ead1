"""Rewards for a unit-test generator's rollouts, from real executions: UTRL's discrimination reward and CURE's
unit-test reward (formulas in rewards/testgen.py), one reward per rollout, for trainers.

    rewards = score_testgen(engine, task, programs, generations)            # UTRL; task.reference needed
    rewards = score_testgen(engine, task, programs, generations, "cure")    # CURE; the task's own tests
    GRPOTrainer(..., reward_funcs=[UnitTesterReward("utrl")])    # TRL; columns "ground_truth" and "programs"

A rollout is one response of the test generator holding several Python asserts that call the task's entry
point; `programs` are the current code policy's programs for the same prompt (full programs, duplicates kept:
UTRL divides by how many were sampled, CURE counts each sample). The steps, per prompt:

1. Each response's tests (`generated_tests`): the bodies of its Python code blocks (the whole text when it
   has none; `<think>` reasoning dropped), then CodeT's assert extraction (select.extract.codet_tests).
2. One pass matrix (select.build): every distinct program, and the task's reference (UTRL) or its own tests
   (CURE: which programs are correct), against the union of the prompt's generated tests, in the sandbox.
3. UTRL scores each rollout on its own unique tests. CURE makes each rollout one test column — a program
   passes it when it passes every one of the rollout's tests (CURE's unit is one generated test per
   response; a response with no test passes no program, as CURE's empty parse matches no output) — and
   normalises over the prompt's rollouts.

None, never 0, when the infrastructure failed: a program, the reference or a ground-truth run that the
sandbox could not finish makes every rollout of that prompt None (they share the matrix). CURE's skipped
tasks (no correct program, or a constant group) are None too: TRL leaves None out of the advantage.

Deviation from both harnesses: they run every case in a fresh process; the matrix runs a program's tests in
one process, in turn, as CodeT's harness does (a hang still gets a fresh process for the rest), so a program
that keeps state between calls can see another rollout's test first. `options=dataclasses.replace(
DEFAULT_OPTIONS, fresh=True)` gives the authors' isolation, at one execution per (program, test): 8 programs
x 40 tests took 1.3 s instead of 0.07 s on 4 workers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from codereward.engine import Engine
from codereward.errors import InputError, UsageError
from codereward.integrations import _shared
from codereward.integrations.extract import _PYTHON_TAGS, _blocks, completion_text, extract_code, strip_reasoning
from codereward.results import Outcome
from codereward.rewards.testgen import cure_test_rewards, utrl_format, utrl_reward
from codereward.select import MatrixInput, MatrixOptions, PassMatrix, build, codet_tests
from codereward.select.matrix import OUTCOME_CODES
from codereward.tasks import label_program, task_from_label
from codereward.tasks.model import Task

# 1 s per test: CURE's per-case limit (UTRL allows 10 s per stdio case; assert tests are cheaper).
DEFAULT_OPTIONS = MatrixOptions(test_time=1.0, values=False, ground_truth=False)
_PASSED = OUTCOME_CODES[Outcome.PASSED]


def generated_tests(generation: Any, entry_point: str) -> list[str]:
    """The asserts of one test-generation response (text or chat messages), in order, duplicates kept.

    >>> generated_tests("Tests:\\n```python\\nassert add(1, 2) == 3\\nassert add(0, 0) == 0\\n```", "add")
    ['assert add(1, 2) == 3', 'assert add(0, 0) == 0']
    """
    text = strip_reasoning(completion_text(generation))
    blocks = _blocks(text)
    # Every Python block, not the last one only (extract_code's rule for programs): models often write one
    # block per test case.
    code = "\n".join(body for info, body in blocks if (info.split() or [""])[0].lower() in _PYTHON_TAGS)
    return codet_tests(code if blocks else text, entry_point)


@dataclass(frozen=True)
class Rollout:
    """One test-generation rollout as a shaper sees it."""

    text: str  # the response
    tests: list[str]  # its tests, duplicates kept
    columns: list[int]  # the matrix column of each distinct test, in first-seen order


@runtime_checkable
class RolloutShaper(Protocol):
    """Rewards of one prompt's rollouts from its pass matrix: one float per suite, None where not scored."""

    @property
    def name(self) -> str: ...

    def matrix_options(self, task: Task, base: MatrixOptions) -> MatrixOptions:
        """The options the matrix needs (UsageError if the task cannot give what this reward reads)."""
        ...

    def __call__(self, m: PassMatrix, suites: Sequence[Rollout]) -> list[float | None]: ...


@dataclass(frozen=True)
class UTRL:
    """UTRL's discrimination reward (rewards/testgen.py `utrl_reward`), the reference as the validity filter."""

    format_weight: float = 0.1
    discrimination_weight: float = 0.85
    validity_weight: float = 0.05
    clip: float = 12.0  # validity's denominator is max(clip, #unique cases)
    # the format flag of (response, #cases); UTRL's own rule wants a <reasoning> tag per case. None: flag 1
    # for every response (a prompt that asks for no such tags; the term is then a constant).
    format_check: Callable[[str, int], bool] | None = utrl_format
    name: str = "utrl"

    def matrix_options(self, task: Task, base: MatrixOptions) -> MatrixOptions:
        if not task.reference:
            raise UsageError(f"UTRL's validity needs a reference solution: task {task.id} has none")
        return dataclasses.replace(base, reference=True, ground_truth=False)

    def __call__(self, m: PassMatrix, suites: Sequence[Rollout]) -> list[float | None]:
        if m.reference is None or not m.executed.all():  # a sandbox failure: no verdict to score
            return [None] * len(suites)
        valid = m.reference == _PASSED
        fails = np.repeat(~m.passed, m.program_counts, axis=0)  # one row per sampled program
        out: list[float | None] = []
        for s in suites:
            fmt = True if self.format_check is None else self.format_check(s.text, len(s.tests))
            out.append(utrl_reward(valid[s.columns], fails[:, s.columns], format_ok=fmt, n_cases=len(s.tests),
                                   format_weight=self.format_weight, discrimination_weight=self.discrimination_weight,
                                   validity_weight=self.validity_weight, clip=self.clip).score)
        return out


@dataclass(frozen=True)
class CURE:
    """CURE's unit-test reward (rewards/testgen.py `cure_test_rewards`), correctness from the task's own
    tests, each rollout one test column, normalised over the prompt's rollouts."""

    post_stage: bool = False
    normalize: bool = True
    form: Literal["code", "paper"] = "code"
    name: str = "cure"

    def matrix_options(self, task: Task, base: MatrixOptions) -> MatrixOptions:
        return dataclasses.replace(base, reference=False, ground_truth=True)

    def __call__(self, m: PassMatrix, suites: Sequence[Rollout]) -> list[float | None]:
        if m.correct is None or m.extra.get("truth_errors") or not m.executed.all():
            return [None] * len(suites)
        columns = np.zeros((len(m.programs), len(suites)), dtype=np.bool_)  # a rollout without tests: no pass
        for r, s in enumerate(suites):
            if s.columns:
                columns[:, r] = m.passed[:, s.columns].all(axis=1)
        rewards = cure_test_rewards(np.repeat(columns, m.program_counts, axis=0),
                                    np.repeat(m.correct, m.program_counts), post_stage=self.post_stage,
                                    normalize=self.normalize, form=self.form)
        return [None if np.isnan(r) else float(r) for r in rewards]


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return float(low)
    except ValueError:
        return text.strip()


def shaper_of(spec: str | RolloutShaper) -> RolloutShaper:
    """A shaper by spec: "utrl", "cure", or with settings ("utrl:clip=8", "cure:post_stage=true,form=paper")."""
    if not isinstance(spec, str):
        return spec
    name, _, args = spec.partition(":")
    factories: dict[str, Callable[..., RolloutShaper]] = {"utrl": UTRL, "cure": CURE}
    factory = factories.get(name.strip())
    if factory is None:
        raise UsageError(f"unknown test-generator reward {name.strip()!r}; choose utrl or cure")
    settings = [f.name for f in dataclasses.fields(UTRL if factory is UTRL else CURE)
                if f.name not in ("name", "format_check")]
    kwargs: dict[str, Any] = {}
    for part in filter(None, (x.strip() for x in args.split(","))):
        key, eq, value = (x.strip() for x in part.partition("="))
        if not eq or key not in settings:
            raise UsageError(f"reward {spec!r}: {part!r} is not one of {', '.join(settings)} = value")
        kwargs[key] = _value(value)
    return factory(**kwargs)


@dataclass(frozen=True)
class PromptGroup:
    """One prompt: its task, the code policy's programs for it, the test generator's responses."""

    task: Task
    programs: Sequence[str]
    generations: Sequence[Any]  # text or chat messages, one per rollout


def score_testgen_many(engine: Engine, groups: Sequence[PromptGroup], reward: str | RolloutShaper = "utrl", *,
                       options: MatrixOptions = DEFAULT_OPTIONS) -> list[list[float | None]]:
    """One reward per rollout of each group (module docstring); all groups' executions run concurrently.
    UsageError for a task without an entry point, a group without programs, or (UTRL) a task without a
    reference solution: each would otherwise look like a sandbox failure."""
    shaper = shaper_of(reward)
    inputs, suites = [], []
    for g in groups:
        if not g.task.entry_point:
            raise UsageError(f"generated asserts call the entry point: task {g.task.id} has none")
        if not g.programs:
            raise UsageError(f"task {g.task.id}: the rewards measure tests against programs; none given")
        tests = [generated_tests(text, g.task.entry_point) for text in g.generations]
        pool = list(dict.fromkeys(t for ts in tests for t in ts))
        column = {t: j for j, t in enumerate(pool)}
        suites.append([Rollout(completion_text(text), ts, [column[t] for t in dict.fromkeys(ts)])
                       for text, ts in zip(g.generations, tests)])
        inputs.append(MatrixInput(g.task, list(g.programs), pool))
    batches: dict[MatrixOptions, list[int]] = {}  # one batch, unless a shaper asks per task
    for k, g in enumerate(groups):
        batches.setdefault(shaper.matrix_options(g.task, options), []).append(k)
    matrices: dict[int, PassMatrix] = {}
    for opts, ks in batches.items():
        matrices.update(zip(ks, build(engine, [inputs[k] for k in ks], opts)))
    return [shaper(matrices[k], suites[k]) for k in range(len(groups))]


def score_testgen(engine: Engine, task: Task, programs: Sequence[str], generations: Sequence[Any],
                  reward: str | RolloutShaper = "utrl", *,
                  options: MatrixOptions = DEFAULT_OPTIONS) -> list[float | None]:
    """One reward per test-generation rollout of one prompt: `reward` ("utrl", "cure", a spec with settings,
    or a shaper) of each response's asserts against `programs`, the code policy's programs for the prompt."""
    return score_testgen_many(engine, [PromptGroup(task, programs, generations)], reward, options=options)[0]


class UnitTesterReward:
    """A TRL GRPOTrainer reward function for a unit-test generator: each completion is a test-generation
    response; its row's `label_column` names the task (codereward.tasks.task_from_label formats, or ids in
    `tasks`; UTRL needs the task's reference solution) and `programs_column` holds the code policy's
    programs (or completions holding them) for that prompt, read from the group's first row. Completions
    of one prompt and label are one group. A picklable object, not a closure: with `engine=None` it uses
    the process's shared engine (CODEREWARD_* variables), so it can be sent to other processes.

        UnitTesterReward("cure:post_stage=true", programs_column="code_samples")
    """

    def __init__(self, reward: str | RolloutShaper = "utrl", *, label_column: str = "ground_truth",
                 programs_column: str = "programs", tasks: Mapping[str, Task] | None = None,
                 options: MatrixOptions = DEFAULT_OPTIONS, engine: Engine | None = None,
                 name: str | None = None) -> None:
        self.shaper = shaper_of(reward)
        self.label_column, self.programs_column = label_column, programs_column
        self.tasks, self.options, self.engine = tasks, options, engine
        self.__name__ = name or f"codereward_{self.shaper.name}"  # TRL logs under rewards/<__name__>

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                 completion_ids: Any = None, **kwargs: Any) -> list[float | None]:
        for column in (self.label_column, self.programs_column):
            if column not in kwargs:
                raise InputError(f"the dataset has no column {column!r}", field=column)
        labels, programs = kwargs[self.label_column], kwargs[self.programs_column]
        rows: dict[tuple[Any, str], list[int]] = {}
        for i, label in enumerate(labels):
            prompt = _shared._group_key(prompts[i]) if prompts is not None else None
            rows.setdefault((prompt, repr(label)), []).append(i)
        groups = []
        for members in rows.values():
            task = task_from_label(labels[members[0]], tasks=self.tasks)
            codes = [label_program(task, extract_code(p)) for p in programs[members[0]]]  # bare code: as is
            groups.append(PromptGroup(task, codes, [completions[i] for i in members]))
        engine = self.engine if self.engine is not None else _shared.shared_engine()
        out: list[float | None] = [None] * len(completions)
        for members, rewards in zip(rows.values(), score_testgen_many(engine, groups, self.shaper,
                                                                       options=self.options)):
            for i, r in zip(members, rewards):
                out[i] = r
        return out


__all__ = ["CURE", "DEFAULT_OPTIONS", "UTRL", "Rollout", "PromptGroup", "UnitTesterReward", "RolloutShaper",
           "generated_tests", "score_testgen", "score_testgen_many", "shaper_of"]
