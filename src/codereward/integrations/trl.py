"""TRL `GRPOTrainer` reward functions.

    from codereward.integrations.trl import codereward_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[codereward_reward()], train_dataset=ds)  # ds has "ground_truth"

TRL calls each reward function once per batch as `f(prompts=..., completions=..., completion_ids=...,
**columns)`, where `columns` are the dataset's other columns (one value per completion), plus
`trainer_state`, and in recent versions `log_extra(column, values)` and `log_metric(name, value)`. It
expects one float per completion, or None: from TRL 1.6 a row whose every reward is None is left out of its
group's baseline and gets advantage 0, so an infrastructure error is never scored 0. An `async def` reward function
is awaited on TRL's own event loop, concurrently with other async reward functions.

TRL names a reward function by its `__name__` in its logs (`rewards/<name>/mean`), so the factory sets it.
None rows are left out of the advantage from TRL 1.6 (earlier versions score them 0): `train` requires it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from codereward.engine import Engine
from codereward.errors import InputError
from codereward.integrations import _shared
from codereward.results import Result
from codereward.rewards import RewardFn, Shaper
from codereward.tasks.model import Task

RewardList = list[float | None]


class CoderewardReward:
    """A GRPOTrainer reward function (a callable object: see codereward_reward). Picklable, so TRL's
    AsyncGRPOTrainer can hand it to its spawned rollout process: what crosses is its configuration; the engine
    is made again on the far side, on first call. An explicit `engine` cannot cross processes."""

    def __init__(self, *, label_column: str, reward: str | Shaper | RewardFn, engine: Engine | None,
                 tasks: Mapping[str, Task] | None, name: str | None, log_details: bool, backend: str | None,
                 engine_options: dict[str, Any]) -> None:
        self.label_column, self.reward, self.tasks, self.log_details = label_column, reward, tasks, log_details
        self.backend, self.engine_options, self.engine = backend, engine_options, engine
        self.shaping = _shared.shaper_of(reward)
        # TRL logs a reward function under its __name__ (rewards/<name>/mean); an instance attribute serves.
        self.__name__ = self.__qualname__ = name or f"codereward_{self.shaping.name}"
        self.__doc__ = f"codereward {self.shaping.name} reward of each completion against the {label_column!r} column."
        self._get_engine = _engine_getter(engine, backend, engine_options)

    def __getstate__(self) -> dict[str, Any]:
        if self.engine is not None:
            raise TypeError(f"{self.__name__}: a reward function holding an Engine cannot be pickled (its sandboxes "
                            "belong to this process); give engine options (workers=..., backend=...) instead")
        return {k: v for k, v in self.__dict__.items() if k != "_get_engine"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._get_engine = _engine_getter(None, self.backend, self.engine_options)

    def score(self, prompts: Sequence[Any] | None, completions: Sequence[Any], kwargs: dict[str, Any]) -> RewardList:
        if self.label_column not in kwargs:
            columns = sorted(k for k in kwargs if k not in ("trainer_state", "log_extra", "log_metric", "environments"))
            raise InputError(f"the dataset has no column {self.label_column!r} (columns: {', '.join(columns)})",
                             field=self.label_column)
        labels = kwargs[self.label_column]
        # TRL repeats each prompt num_generations times: its completions are a group for group shapers.
        groups = list(prompts) if prompts is not None and len(prompts) == len(completions) else None
        results = _shared.score_many(self._get_engine(), list(completions), list(labels), reward=self.shaping,
                                     tasks=self.tasks, groups=groups)
        if self.log_details:
            _log(results, kwargs)
        return [r.reward for r in results]

    def __call__(self, prompts: Any = None, completions: Sequence[Any] = (), completion_ids: Any = None,
                 **kwargs: Any) -> RewardList:
        return self.score(prompts, completions, kwargs)


class AsyncCoderewardReward(CoderewardReward):
    """The async twin: TRL (1.9+: it looks at `__call__` of a callable object) awaits it on its own event loop,
    concurrently with other async reward functions, while a worker thread waits on the sandboxes."""

    async def __call__(self, prompts: Any = None, completions: Sequence[Any] = (),  # type: ignore[override]
                       completion_ids: Any = None, **kwargs: Any) -> RewardList:
        return await asyncio.to_thread(self.score, prompts, completions, kwargs)


def codereward_reward(
    *,
    label_column: str = "ground_truth",
    reward: str | Shaper | RewardFn = "binary",
    engine: Engine | None = None,
    tasks: Mapping[str, Task] | None = None,
    name: str | None = None,
    is_async: bool = False,
    log_details: bool = True,
    backend: str | None = None,
    **engine_options: Any,
) -> CoderewardReward:
    """A GRPOTrainer reward function scoring each completion's code against its row's label.

    label_column: the dataset column holding the label (`codereward.tasks.task_from_label` formats), or
        task ids resolved against `tasks` (e.g. `label_column="task_id", tasks=load_dataset("humaneval")`).
    reward: a reward spec ("binary": 1.0 if every test passed, "fraction": share of tests passed,
        "verpo", "threshold:at=0.9", "checked:base=fraction", "open_r1": README, Rewards), a shaper
        (rewards/: group shapers see each prompt's completions as one group) or a function Result -> float.
    engine: an engine to use. Otherwise, when `backend` or engine options (workers=, isolation=,
        time_limit=, ...) are given, the function gets its own engine, started on first call and closed at
        exit; with neither, the process's shared engine (configured by CODEREWARD_* variables).
    name: the function's `__name__`, which TRL logs under (default `codereward_<reward>`).
    is_async: an async function (TRL ≥ 1.9 runs async reward objects concurrently).
    log_details: send TRL `codereward/*` metrics (passed, test pass rate, infra errors, share of completions
        with reward-hacking audit flags) and a `codereward_status`
        column for the completions table, when the trainer offers `log_metric` / `log_extra`.

    The result is a callable object, picklable unless it holds an explicit `engine` (AsyncGRPOTrainer
    pickles its reward functions into a spawned process).
    """
    kind = AsyncCoderewardReward if is_async else CoderewardReward
    return kind(label_column=label_column, reward=reward, engine=engine, tasks=tasks, name=name,
                log_details=log_details, backend=backend, engine_options=engine_options)


def default_workers() -> int | None:
    """Sandboxes per trainer process when CODEREWARD_WORKERS is unset: TRL calls the reward function in every
    rank, and `accelerate launch` / `torchrun` start LOCAL_WORLD_SIZE ranks on a node, so each takes its share
    of the node's CPUs (at least one); a single process keeps the pool's default (the CPU count)."""
    ranks = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    return None if ranks <= 1 else max(1, (os.cpu_count() or 1) // ranks)


def _engine_getter(engine: Engine | None, backend: str | None, options: dict[str, Any]) -> Callable[[], Engine]:
    if engine is not None:
        return lambda: engine
    if backend is None and not options:
        return lambda: _shared.shared_engine(default_workers=default_workers)
    own: list[Engine] = []
    lock = threading.Lock()

    def get() -> Any:
        if not own:
            with lock:
                if not own:
                    import atexit

                    from codereward.backends import create_engine

                    e = create_engine(backend or "local", **options)
                    e.start()
                    atexit.register(e.close)
                    own.append(e)
        return own[0]

    return get


def _log(results: list[Result], kwargs: dict[str, Any]) -> None:
    if not results:
        return
    log_metric = kwargs.get("log_metric")
    if callable(log_metric):
        details = [_shared.details(r) for r in results]
        n = len(details)
        log_metric("codereward/passed", sum(d["passed"] for d in details) / n)
        log_metric("codereward/test_pass_rate", sum(d["pass_rate"] for d in details) / n)
        log_metric("codereward/infra_errors", float(sum(d["infra_error"] for d in details)))
        log_metric("codereward/flagged", sum(d["audit_flags"] > 0 for d in details) / n)
    log_extra = kwargs.get("log_extra")
    if callable(log_extra):
        log_extra("codereward_status", [r.status.value for r in results])


# A ready-made function for the common case: binary reward, "ground_truth" column, shared engine.
codereward_binary = codereward_reward(name="codereward_binary")
codereward_binary_async = codereward_reward(name="codereward_binary_async", is_async=True)
