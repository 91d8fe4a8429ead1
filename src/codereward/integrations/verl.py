"""verl custom reward functions: `compute_score`, `compute_score_async` and the batched `compute_score_batch`.

verl loads `custom_reward_function.path` and calls `custom_reward_function.name` with `data_source`,
`solution_str` (the decoded response), `ground_truth` (`reward_model.ground_truth` of the row: a label, see
`codereward.tasks.labels`) and `extra_info`, plus `custom_reward_function.reward_kwargs` from the config. A
returned dict must hold `score`; every key goes to `reward_extra_info` (the same keys for every sample, as
verl appends them column by column). Async functions are awaited by verl's reward loop. With
`reward_model.reward_manager=batch`, verl calls the function once per batch with `data_sources`,
`solution_strs`, `ground_truths`, `extra_infos` and expects a list.

verl has no way to skip a sample: a score must be a number. On an infrastructure error (a sandbox broke
twice in a row; never the candidate's fault) these functions raise InfraError by default, which fails the
step loudly, rather than invent a score. `on_error=<number>` (reward_kwargs) or CODEREWARD_ON_ERROR=<number>
scores such samples with that number instead; `infra_error` is then 1.0 in their extra info, so the rate
is visible in verl's logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from codereward.integrations import _shared
from codereward.results import Result
from codereward.rewards import RewardFn, Shaper

Reward = str | Shaper | RewardFn


def _settings(reward: Reward | None, on_error: str | float | None) -> tuple[Shaper, str | float]:
    return (_shared.shaper_of(reward or _shared.env_reward()),
            _shared.env_on_error() if on_error is None else on_error)


def _as_dict(result: Result, on_error: str | float) -> dict[str, Any]:
    return {"score": _shared.resolve_error(result, on_error), **_shared.details(result)}


def compute_score(data_source: str | None, solution_str: str, ground_truth: Any, extra_info: Any = None, *,
                  reward: Reward | None = None, on_error: str | float | None = None,
                  **kwargs: Any) -> dict[str, Any]:
    """Score one response: `{"score", "pass_rate", "passed", "n_tests", "n_passed", "infra_error", "audit_flags",
    "status"}`.

    reward: a reward spec, "binary", "fraction", "verpo:window=8", ... (README: Rewards; default
    CODEREWARD_REWARD, else binary). on_error: "raise" or a number
    (default CODEREWARD_ON_ERROR, else raise). `data_source`, `extra_info` and other verl keywords are
    accepted and unused: the label alone says what to run.
    """
    shaping, policy = _settings(reward, on_error)
    result = _shared.score_one(_shared.shared_engine(), solution_str, ground_truth, reward=shaping)
    return _as_dict(result, policy)


async def compute_score_async(data_source: str | None, solution_str: str, ground_truth: Any,
                              extra_info: Any = None, **kwargs: Any) -> dict[str, Any]:
    """`compute_score` for verl's async reward loop: the sandbox wait happens on a worker thread."""
    return await asyncio.to_thread(compute_score, data_source, solution_str, ground_truth, extra_info, **kwargs)


def compute_score_batch(data_sources: Sequence[str | None], solution_strs: Sequence[str],
                        ground_truths: Sequence[Any], extra_infos: Sequence[Any] | None = None, *,
                        reward: Reward | None = None, on_error: str | float | None = None,
                        **kwargs: Any) -> list[dict[str, Any]]:
    """verl's BatchRewardManager form: the whole batch runs concurrently on the engine's sandboxes."""
    shaping, policy = _settings(reward, on_error)
    results = _shared.score_many(_shared.shared_engine(), list(solution_strs), list(ground_truths), reward=shaping)
    return [_as_dict(r, policy) for r in results]
