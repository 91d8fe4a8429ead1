"""TRL `GRPOTrainer` reward functions.

    from codereward.integrations.trl import codereward_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[codereward_reward()], train_dataset=ds)  # ds has "ground_truth"

TRL calls each reward function once per batch as `f(prompts=..., completions=..., completion_ids=...,
**columns)`, where `columns` are the dataset's other columns (one value per completion), plus
`trainer_state`, and in recent versions `log_extra(column, values)` and `log_metric(name, value)`. It
expects one float per completion, or None — which becomes NaN and is skipped by `nansum`/`nanmean`, so an
infrastructure error is left out of the advantage instead of being scored 0. An `async def` reward function
is awaited on TRL's own event loop, concurrently with other async reward functions.

TRL names a reward function by its `__name__` in its logs (`rewards/<name>/mean`), so the factory sets it.
"""

from __future__ import annotations

import asyncio
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
) -> Callable[..., RewardList]:
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
    is_async: return an `async def` function (TRL runs async reward functions concurrently).
    log_details: send TRL `codereward/*` metrics (passed, test pass rate, infra errors, share of completions
        with reward-hacking audit flags) and a `codereward_status`
        column for the completions table, when the trainer offers `log_metric` / `log_extra`.
    """
    shaping = _shared.shaper_of(reward)
    reward_name = shaping.name
    get_engine = _engine_getter(engine, backend, engine_options)

    def score(prompts: Sequence[Any] | None, completions: Sequence[Any], kwargs: dict[str, Any]) -> RewardList:
        if label_column not in kwargs:
            columns = sorted(k for k in kwargs if k not in ("trainer_state", "log_extra", "log_metric"))
            raise InputError(f"the dataset has no column {label_column!r} (columns: {', '.join(columns)})",
                             field=label_column)
        labels = kwargs[label_column]
        # TRL repeats each prompt num_generations times: its completions are a group for group shapers.
        groups = list(prompts) if prompts is not None and len(prompts) == len(completions) else None
        results = _shared.score_many(get_engine(), list(completions), list(labels), reward=shaping, tasks=tasks,
                                     groups=groups)
        if log_details:
            _log(results, kwargs)
        return [r.reward for r in results]

    if is_async:
        async def reward_func(prompts: Any = None, completions: Sequence[Any] = (), completion_ids: Any = None,
                              **kwargs: Any) -> RewardList:
            # The sandboxes block on pipes; a worker thread keeps TRL's event loop free meanwhile.
            return await asyncio.to_thread(score, prompts, completions, kwargs)
        fn: Callable[..., Any] = reward_func
    else:
        # Not async, unlike its twin above: mypy wants one signature for both definitions of a name.
        def reward_func(prompts: Any = None, completions: Sequence[Any] = (),  # type: ignore[misc]
                        completion_ids: Any = None, **kwargs: Any) -> RewardList:
            return score(prompts, completions, kwargs)
        fn = reward_func
    fn.__name__ = fn.__qualname__ = name or f"codereward_{reward_name}"
    fn.__doc__ = f"codereward {reward_name} reward of each completion against the {label_column!r} column."
    return fn


def _engine_getter(engine: Engine | None, backend: str | None, options: dict[str, Any]) -> Callable[[], Engine]:
    if engine is not None:
        return lambda: engine
    if backend is None and not options:
        return _shared.shared_engine
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
