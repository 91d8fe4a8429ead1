"""verl custom reward functions: `compute_score` and `compute_score_async`; `compute_score_batch` for old verl.

Tested on verl 0.9.1 through its own config loader, function loader and reward loop (tests/test_verl_real.py).

Configuration (verl >= 0.7.1; examples/verl/config.yaml). verl reads everything under `reward:`:
`reward.custom_reward_function.path` (this module as `pkg://codereward.integrations.verl`, or a file that
imports from it, examples/verl/reward.py), `.name` (`compute_score`), `.reward_kwargs` (passed to every call),
and `reward.reward_manager.name=naive`. The top-level `custom_reward_function.*` and `reward_model.*` keys of
verl <= 0.7.0 are accepted by Hydra on 0.9 but ignored (main_ppo no longer migrates them), so verl would
silently fall back to its own scorer.

How verl >= 0.7.1 calls it. `reward.num_workers` reward-loop actors (Ray, 8 by default) each load the function
and run its manager's `run_single` per sample (experimental/reward_loop/reward_manager/naive.py): keywords
`data_source`, `solution_str` (the response decoded without special tokens), `ground_truth`
(`reward_model.ground_truth` of the row: a label, see `codereward.tasks.labels`) and `extra_info`, plus the
`reward_kwargs`. A sync function runs on the actor's thread pool, so samples are scored concurrently; an
async one (`compute_score_async`) is awaited. A returned dict must hold `score`; every key goes to
`reward_extra_info` (the same keys for every sample, as verl stacks them key by key). The reward loop has no
`batch` manager: `compute_score_batch` serves only the legacy BatchRewardManager (verl <= 0.6, or 0.7.0 with
`reward_model.use_reward_loop=False`, `reward_model.reward_manager=batch`).

An infrastructure error (a sandbox broke twice in a row; never the candidate's fault). verl has no way to
skip a score, so by default these functions raise InfraError rather than invent one:
- verl 0.9's default trainer (`trainer.use_v1=True`) logs it at ERROR ("Error in _run_prompt") and leaves
  that one rollout out of the step; the rest of its group is trained on (trainer/ppo/v1/agent_loop_tq.py,
  replay_buffer.py: failed groups stay sampleable).
- the legacy trainer (`trainer.use_v1=False`, and verl < 0.9) fails the step.
`on_error=<number>` (reward_kwargs) or CODEREWARD_ON_ERROR=<number> scores such samples with that number
instead; `infra_error` is then 1.0 in their extra info, so the rate is visible in verl's metrics.

Sandboxes: each reward-loop actor starts its own engine; see `default_workers` for how many.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Sequence
from functools import partial
from typing import Any

from codereward.integrations import _shared
from codereward.results import Result
from codereward.rewards import RewardFn, Shaper

__all__ = ["VERL_REWARD_WORKERS", "compute_score", "compute_score_async", "compute_score_batch", "default_workers"]

Reward = str | Shaper | RewardFn

VERL_REWARD_WORKERS = 8  # verl's default reward.num_workers (0.7.1 to 0.9.1: trainer/config/reward/reward.yaml)


def default_workers(reward_workers: int | None = None) -> int | None:
    """This process's sandbox count when CODEREWARD_WORKERS is unset, inside a verl reward-loop actor: the
    node's CPUs divided by the reward-loop actors verl places on it, at least 1; None (the shared default,
    one per CPU) outside a Ray actor.

    verl starts `reward.num_workers` actors round-robin over the alive Ray nodes that have CPUs
    (experimental/reward_loop/reward_loop.py `_init_reward_loop_workers`), so a node holds
    ceil(num_workers / nodes) of them; each would otherwise start one sandbox per CPU. `reward_workers` is
    reward.num_workers: the example config passes `${reward.num_workers}` in reward_kwargs; without it,
    verl's default, 8. The counts are Ray's (`ray.nodes()`), which respect `ray start --num-cpus` and the
    container's CPU quota.
    """
    found = _shared.ray_actor_nodes()
    if found is None:
        return None
    mine, nodes = found
    cpu_nodes = [n for n in nodes if (n.get("Resources") or {}).get("CPU", 0) > 0]
    cpus = int((mine or {}).get("Resources", {}).get("CPU", 0)) or os.cpu_count() or 1
    actors_here = math.ceil((reward_workers or VERL_REWARD_WORKERS) / max(1, len(cpu_nodes)))
    return max(1, cpus // actors_here)


def _settings(reward: Reward | None, on_error: str | float | None) -> tuple[Shaper, str | float]:
    return (_shared.shaper_of(reward or _shared.env_reward()),
            _shared.env_on_error() if on_error is None else on_error)


def _as_dict(result: Result, on_error: str | float) -> dict[str, Any]:
    return {"score": _shared.resolve_error(result, on_error), **_shared.details(result)}


def compute_score(data_source: str | None, solution_str: str, ground_truth: Any, extra_info: Any = None, *,
                  reward: Reward | None = None, on_error: str | float | None = None,
                  reward_workers: int | None = None, **kwargs: Any) -> dict[str, Any]:
    """Score one response: `{"score", "pass_rate", "passed", "n_tests", "n_passed", "infra_error", "audit_flags",
    "status"}`.

    reward: a reward spec, "binary", "fraction", "verpo:window=8", ... (README: Rewards; default
    CODEREWARD_REWARD, else binary). on_error: "raise" or a number (default CODEREWARD_ON_ERROR, else
    raise). reward_workers: verl's reward.num_workers, for the sandbox count (`default_workers`). These come
    from `reward_kwargs`. `data_source`, `extra_info` and other verl keywords (`reward_router_address`, ...)
    are accepted and unused: the label alone says what to run.
    """
    shaping, policy = _settings(reward, on_error)
    engine = _shared.shared_engine(default_workers=partial(default_workers, reward_workers))
    result = _shared.score_one(engine, solution_str, ground_truth, reward=shaping)
    return _as_dict(result, policy)


async def compute_score_async(data_source: str | None, solution_str: str, ground_truth: Any,
                              extra_info: Any = None, **kwargs: Any) -> dict[str, Any]:
    """`compute_score` for an awaiting caller: the sandbox wait happens on a worker thread. (verl's reward loop
    runs plain `compute_score` on its thread pool just as well.)"""
    return await asyncio.to_thread(compute_score, data_source, solution_str, ground_truth, extra_info, **kwargs)


def compute_score_batch(data_sources: Sequence[str | None], solution_strs: Sequence[str],
                        ground_truths: Sequence[Any], extra_infos: Sequence[Any] | None = None, *,
                        reward: Reward | None = None, on_error: str | float | None = None,
                        **kwargs: Any) -> list[dict[str, Any]]:
    """The legacy BatchRewardManager form (verl <= 0.6, or 0.7.0 with reward_model.use_reward_loop=False): the
    whole batch runs concurrently on the engine's sandboxes. verl >= 0.7.1 has no batch manager: use
    `compute_score` there."""
    shaping, policy = _settings(reward, on_error)
    results = _shared.score_many(_shared.shared_engine(), list(solution_strs), list(ground_truths), reward=shaping)
    return [_as_dict(r, policy) for r in results]
