"""Building pass matrices: every distinct program of a task against every distinct generated test, each
program in the sandbox like any candidate.

    matrices = build(engine, [MatrixInput(task, programs, tests)], MatrixOptions(test_time=0.1))

How a program meets its tests:
* The tests become one assert suite (`suite_task`): each test one statement of `check(candidate)`, after the
  task's prompt as set-up (so helpers the prompt defines exist); the tests call the entry point by name, as
  generated tests do. A test that is not a Python statement is invalid without running.
* One execution per program runs every test in order, each with its own time limit (`test_time`). The
  program's module state carries from one test to the next, as in CodeT's harness (one process per
  program, asserts in turn); the test code's own state does not leak (each test is its own statement, but
  names they bind are shared, as CodeT's are). `fresh=True` runs each test in a fresh process instead.
* A test that hangs the program fails with `time_limit` and the program's remaining tests still run: in the
  same process when the program's own timer interrupts the call (its state as the interrupted call left it,
  as with CodeT's alarms), else in a fresh process (a hang in C code, or a program that swallows the
  interruption).
* A test is invalid when it raised on its own (cause `test_error`) for every program that met it and for the
  reference, or hung every one of them: it measures nothing of the programs. A program that did not load, or
  was gone before the test, did not meet it.
* With `ground_truth`, each program also runs against the task's real tests (Engine.run_many), within
  `truth_time` seconds if given (CodeT's protocol: 0.1, its whole-check alarm) else the task's own limit. An
  execution the sandbox could not finish is not a verdict: its program is listed in `extra["truth_errors"]`
  and ranked pass@k refuses the task.
"""

from __future__ import annotations

import ast
import hashlib
import json
import textwrap
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..engine import Engine
from ..results import Outcome, Status
from ..sandboxed import wire
from ..sandboxed.records import Cause
from ..tasks.model import AssertSuite, Task
from ..tasks.samples import Sample
from .extract import assert_io, counts, quiet_compile
from .matrix import NO_OUTCOME, OUTCOME_CODES, MatrixSet, empty

CAUSE_CODES: dict[str, int] = {c.value: i for i, c in enumerate(Cause)}


@dataclass(frozen=True)
class MatrixOptions:
    test_time: float = 0.1  # seconds each test may take (CodeT's per-assert alarm: 0.1 s)
    values: bool = True  # record what each test's call returned, for output-based selectors
    fresh: bool = False  # every test in a fresh process (one execution per test): no state carries over
    ground_truth: bool = True  # run each program against the task's real tests too (m.correct)
    truth_time: float | None = None  # seconds for that run (None: the task's own time limit)
    reference: bool = True  # run the task's reference through the generated tests (invalid tests, precision)


@dataclass(frozen=True)
class MatrixInput:
    task: Task
    programs: Sequence[str]  # every sample's program, duplicates kept (they are the programs' counts)
    tests: Sequence[str]  # the generated-test pool, duplicates kept (they are the tests' counts)


def matrix_inputs(tasks: Mapping[str, Task], samples: Sequence[Sample], tests: Mapping[str, Sequence[str]],
                  task_ids: Sequence[str] | None = None) -> list[MatrixInput]:
    """One MatrixInput per task with samples (in `tasks` order, or `task_ids`): its samples' programs and its
    tests (none if `tests` has no entry for it)."""
    programs: dict[str, list[str]] = {}
    for s in samples:
        programs.setdefault(s.task_id, []).append(s.program(tasks[s.task_id]))
    ids = task_ids if task_ids is not None else [tid for tid in tasks if tid in programs]
    return [MatrixInput(tasks[tid], programs.get(tid, []), list(tests.get(tid, []))) for tid in ids]


def suite_task(task: Task, tests: Sequence[str]) -> tuple[Task, list[int]]:
    """An assert suite of `tests`, one statement each, and the indices of the tests it holds (a test that
    is not a statement of a function body is left out: invalid)."""
    body, kept = [], []
    for j, test in enumerate(tests):
        text = test.strip()
        try:
            with warnings.catch_warnings():  # SyntaxWarnings of model-written code say nothing to the user
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if not tree.body:
            continue
        statement = text if len(tree.body) == 1 else "if True:\n" + textwrap.indent(text, "    ")
        try:  # a statement of check()'s body: `from m import *` is not one, for instance
            quiet_compile("def check(candidate):\n" + textwrap.indent(statement, "    "))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        body.append(textwrap.indent(statement, "    "))
        kept.append(j)
    code = "def check(candidate):\n" + ("\n".join(body) if body else "    pass") + "\n"
    suite = AssertSuite(code=code, setup=task.prompt or "")
    return Task(id=f"{task.id}#generated", entry_point=task.entry_point, tests=suite, limits=task.limits), kept


@dataclass
class _Row:
    outcomes: list[int]
    causes: list[int]
    values: list[str]
    executed: bool = True


def _row(engine: Engine, task: Task, program: str, n: int, opts: MatrixOptions) -> _Row:
    """One program against the n tests of `task` (a suite_task), in a fresh process again after each hang."""
    row = _Row([NO_OUTCOME] * n, [-1] * n, [""] * n)
    todo: list[int] = list(range(n))
    while todo:
        batches = [[j] for j in todo] if opts.fresh else [todo]
        todo = []
        for batch in batches:
            out = engine.execute(task, program, test_time=opts.test_time, values=opts.values,
                                 only=None if len(batch) == n else batch, time_limit=opts.test_time * len(batch) + 1.0)
            if out.result.status is Status.ERROR:  # the sandbox broke twice: no verdict for this program
                row.executed = False
                return row
            for j in batch:
                t = out.tests[j]
                if t.cause == Cause.NOT_RUN:  # after a hang: run again in a fresh process
                    todo.append(j)
                    continue
                row.outcomes[j] = OUTCOME_CODES[t.outcome]
                row.causes[j] = CAUSE_CODES.get(t.cause, -1)
                if opts.values and out.values[j] is not None:
                    row.values[j] = wire.dumps(out.values[j]).decode()
    return row


# A cell with one of these causes says nothing about the test: no program was there to meet it (the program
# did not load, or was already gone), so the test never ran against it.
_ABSENT = {CAUSE_CODES[c] for c in (Cause.CANDIDATE_GONE, Cause.LOAD_RAISED, Cause.COMPILE_ERROR,
                                    Cause.MALFORMED_REPLY, Cause.NO_RECORD)}


def _invalid(rows: Sequence[_Row], n: int) -> np.ndarray:
    """Tests that raised on their own, or hung, for every program (and the reference) that met them."""
    ran = [r for r in rows if r.executed]
    error, hang = CAUSE_CODES[Cause.TEST_ERROR], OUTCOME_CODES[Outcome.TIME_LIMIT]
    out = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        met = [r for r in ran if r.causes[j] not in _ABSENT]
        out[j] = bool(met) and (all(r.causes[j] == error for r in met) or all(r.outcomes[j] == hang for r in met))
    return out


def build(engine: Engine, inputs: Sequence[MatrixInput], opts: MatrixOptions = MatrixOptions(),
          on_progress: Callable[[int], None] | None = None) -> MatrixSet:
    """The pass matrix of each input, in order. Executions of all tasks run concurrently on the engine's
    executor, a task's programs together (they share a prepared judge); `on_progress(1)` after each program's
    row and each ground-truth execution (`work` says how many calls to expect)."""
    plans = []
    for item in inputs:
        programs, p_counts = counts(item.programs)
        tests, t_counts = counts(item.tests)
        gen_task, kept = suite_task(item.task, tests)
        plans.append((item, programs, p_counts, tests, t_counts, gen_task, kept))
    jobs = [(k, i) for k, plan in enumerate(plans) for i in range(len(plan[1]) + (1 if opts.reference else 0))]

    def run(job: tuple[int, int]) -> _Row:
        k, i = job
        item, programs, *_, gen_task, kept = plans[k]
        program = programs[i] if i < len(programs) else item.task.reference
        if not kept or program is None:
            row = _Row([NO_OUTCOME] * len(kept), [-1] * len(kept), [""] * len(kept), executed=program is not None)
        else:
            row = _row(engine, gen_task, program, len(kept), opts)
        if on_progress is not None:
            on_progress(1)
        return row

    engine.start()
    with ThreadPoolExecutor(engine.executor.capacity) as pool:
        rows = list(pool.map(run, jobs))
    truth: list[Status] = []
    if opts.ground_truth:
        truth_tasks = [plan[0].task if opts.truth_time is None else
                       plan[0].task.model_copy(update={"limits": plan[0].task.limits.model_copy(
                           update={"time": opts.truth_time})}) for plan in plans]
        pairs = [(task, p) for task, plan in zip(truth_tasks, plans) for p in plan[1]]
        truth = [r.status for r in engine.run_many(
            pairs, on_result=None if on_progress is None else lambda _i, _r: on_progress(1))]
    matrices, at, t_at = [], 0, 0
    for item, programs, p_counts, tests, t_counts, _gen, kept in plans:
        mine = rows[at:at + len(programs)]
        reference = rows[at + len(programs)] if opts.reference else None
        at += len(programs) + (1 if opts.reference else 0)
        m = empty(item.task.id, programs, p_counts, tests, t_counts)
        m.causes = np.full(m.shape, -1, dtype=np.int8)
        m.outputs = [[""] * len(tests) for _ in programs] if opts.values else None
        for i, r in enumerate(mine):
            m.executed[i] = r.executed
            for col, j in enumerate(kept):
                m.outcomes[i, j], m.causes[i, j] = r.outcomes[col], r.causes[col]
                if m.outputs is not None:
                    m.outputs[i][j] = r.values[col]
        invalid = _invalid(mine + ([reference] if reference is not None and reference.executed else []), len(kept))
        m.invalid[:] = True  # tests that are not statements never ran: invalid
        m.invalid[kept] = invalid
        if reference is not None and reference.executed:
            m.reference = np.full(len(tests), NO_OUTCOME, dtype=np.int8)
            m.reference[kept] = reference.outcomes
        if opts.ground_truth:
            mine_truth = truth[t_at:t_at + len(programs)]
            m.correct = np.array([s is Status.PASSED for s in mine_truth], dtype=np.bool_)
            errors = [i for i, s in enumerate(mine_truth) if s is Status.ERROR]
            if errors:
                m.extra["truth_errors"] = errors
            t_at += len(programs)
        m.inputs = [io[0] if (io := assert_io(t, item.task.entry_point or "", item.task.prompt or "")) else ""
                    for t in tests]
        m.extra["not_statements"] = len(tests) - len(kept)
        matrices.append(m)
    return MatrixSet(matrices, {"options": asdict(opts)})


def work(inputs: Sequence[MatrixInput], opts: MatrixOptions = MatrixOptions()) -> int:
    """How many progress steps `build` reports for these inputs."""
    programs = sum(len(set(item.programs)) for item in inputs)
    return programs * (2 if opts.ground_truth else 1) + (len(inputs) if opts.reference else 0)


def cache_key(inputs: Sequence[MatrixInput], opts: MatrixOptions) -> str:
    """What a matrix file is named by: its inputs' content and the options (and the codereward version)."""
    from .. import __version__

    h = hashlib.sha256(json.dumps({"v": __version__, "opts": asdict(opts)}, sort_keys=True).encode())
    for item in inputs:
        h.update(item.task.digest().encode())
        h.update(json.dumps([list(item.programs), list(item.tests)]).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:24]


def build_cached(engine: Engine, inputs: Sequence[MatrixInput], opts: MatrixOptions, cache_dir: str | Path,
                 on_progress: Callable[[int], None] | None = None) -> tuple[MatrixSet, Path, bool]:
    """`build`, answered from `cache_dir/<content key>.npz` when it is there. (matrices, path, was cached)."""
    path = Path(cache_dir) / f"matrices-{cache_key(inputs, opts)}.npz"
    if path.exists():
        return MatrixSet.load(path), path, True
    path.parent.mkdir(parents=True, exist_ok=True)
    matrices = build(engine, inputs, opts, on_progress)
    tmp = path.with_suffix(".tmp.npz")
    matrices.save(tmp)
    tmp.replace(path)
    return matrices, path, False
