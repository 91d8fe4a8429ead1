"""OpenRLHF `reward_func` for `--reward.remote_url /path/to/reward_func.py` (examples/openrlhf/reward_func.py).

Tested on OpenRLHF 0.11.2 through its own `SingleTurnAgentExecutor` (tests/test_openrlhf_real.py). How 0.11
calls it (openrlhf/utils/agent.py): every vLLM engine actor loads the file, and for each sample calls
`reward_func([query], [prompt], [label])` from a worker thread. `query` is prompt + response decoded with
special tokens kept (so it ends in the chat template's EOS), `prompt` the prompt text, `label` the dataset's
`--data.label_key` column, `""` when that flag is missing. Versions up to 0.9 called it once per batch. It
expects torch tensors: `rewards` (for the advantage), `scores` (for dynamic filtering; in [0, 1]) and
`extra_logs` (each value logged to wandb / tensorboard).

A sample that cannot be scored. OpenRLHF catches every `Exception` its reward function raises and logs it at
INFO; the sample then has no reward, and the step fails later with an unrelated error (agent.py `execute`,
trainer/ppo_utils/experience_maker.py "reward_model_group is required when rewards are not precomputed").
So an exception is never the way out here:
1. A sandbox failure is retried on a fresh sandbox, `retries` times (after the pool's own retry), with a
   short pause between attempts. A task whose tests are broken is not retried: every attempt would fail.
2. A sample still without a verdict is logged at ERROR, naming its task and prompt. Then CODEREWARD_ON_ERROR
   (or `on_error=`) decides:
   - `raise` (the default): StopTraining, a BaseException, which OpenRLHF's `except Exception` lets
     through. The trainer's `ray.get` on that prompt's rollouts raises it at once, with this message.
   - a number: the sample's reward is that number and its score NaN. NaN lies outside every
     `--algo.dynamic_filtering_range`, so with `--algo.dynamic_filtering_enable` the prompt's whole group is
     dropped and another prompt takes its place; without it the number is trained on. `codereward_infra_error`
     in the logs counts such samples either way.
Anything else that goes wrong (an empty or malformed label, sandboxes that cannot start, a bug) is a
configuration or dataset problem: StopTraining, whatever CODEREWARD_ON_ERROR says.

Sandboxes: each engine actor has its own; see `default_workers` for how many.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from typing import Any

from codereward.engine import Engine
from codereward.errors import CodeRewardError
from codereward.integrations import _shared
from codereward.integrations.extract import extract_code, response_text
from codereward.results import ErrorCause, Result, Status
from codereward.rewards import RewardFn, Shaper, score
from codereward.tasks.labels import label_program, task_from_label
from codereward.tasks.model import Task

__all__ = ["RETRIES", "StopTraining", "default_workers", "response_text", "reward_func"]

log = logging.getLogger("codereward.integrations.openrlhf")

RETRIES = 2  # extra attempts for a sample whose sandbox failed (each on a sandbox the pool has replaced)
RETRY_PAUSE = 0.5  # seconds before the first retry; doubled before each next one
# What OpenRLHF sends as the label when it was started without --data.label_key (datasets/prompts_dataset.py).
NO_LABEL_HINT = ("OpenRLHF sends an empty label when it is started without --data.label_key: start it with "
                 "--data.label_key naming the column that holds each sample's tests")


class StopTraining(BaseException):
    """A sample could not be scored and training must stop: a BaseException, so that OpenRLHF, which catches
    every Exception from a reward function, passes it on instead of leaving the sample without a reward."""


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], *,
                reward: str | Shaper | RewardFn | None = None, on_error: str | float | None = None,
                retries: int = RETRIES, **kwargs: Any) -> dict[str, Any]:
    """`{"rewards", "scores", "extra_logs"}` for a batch, as OpenRLHF's remote reward function contract asks.

    reward: a reward spec, "binary", "fraction", "verpo:window=8", ... (README: Rewards; default
    CODEREWARD_REWARD, else binary). on_error: "raise" or a number (default CODEREWARD_ON_ERROR, else raise;
    see the module docstring). retries: extra attempts after a sandbox failure.
    Raises StopTraining (a BaseException) when a sample cannot be scored and on_error is "raise", and for a
    bad label or any other failure.
    """
    try:
        shaping = _shared.shaper_of(reward or _shared.env_reward())
        policy = _shared.env_on_error() if on_error is None else on_error
        responses = [response_text(q, p) for q, p in zip(queries, prompts)]
        if not (len(responses) == len(prompts) == len(labels)):
            raise ValueError(f"{len(queries)} queries, {len(prompts)} prompts and {len(labels)} labels")
        tasks = [_task(label, i) for i, label in enumerate(labels)]
        results = _judge(_shared.shared_engine(default_workers=default_workers), tasks, responses, retries)
        # Rollouts of one prompt form a group (older OpenRLHF's batches; a call holds one sample now).
        score(results, shaping, groups=[_group_key(p) for p in prompts] if len(results) > 1 else None,
              completions=responses)
        values = [_value(r, p, policy) for r, p in zip(results, prompts)]
    except CodeRewardError as e:
        raise StopTraining(f"codereward stops the training: {e}") from e
    except Exception as e:  # noqa: BLE001 — OpenRLHF would swallow it: the step would fail later, elsewhere
        raise StopTraining(f"codereward's reward function failed: {type(e).__name__}: {e}") from e
    details = [_shared.details(r) for r in results]
    logs = {
        "codereward_passed": [d["passed"] for d in details],
        "codereward_test_pass_rate": [d["pass_rate"] for d in details],
        "codereward_infra_error": [d["infra_error"] for d in details],
        "codereward_flagged": [float(d["audit_flags"] > 0) for d in details],
    }
    scores = [math.nan if r.status is Status.ERROR else min(1.0, max(0.0, v)) for r, v in zip(results, values)]
    return {"rewards": _tensor(values), "scores": _tensor(scores),
            "extra_logs": {k: _tensor(v) for k, v in logs.items()}}


def default_workers() -> int | None:
    """This process's sandbox count when CODEREWARD_WORKERS is unset (and the backend is local), inside an
    OpenRLHF engine actor: the node's CPUs divided by its GPUs; None (the shared default, one per CPU) outside
    a Ray actor or on a node without GPUs.

    OpenRLHF runs the reward function in every vLLM engine actor, and an engine holds at least one GPU
    (`--vllm.tensor_parallel_size` of them), so a node runs at most one engine per GPU: the node's sandboxes
    then number at most its CPUs, instead of CPUs x engines. The counts are Ray's (`ray.nodes()`), which
    respect `ray start --num-cpus/--num-gpus` and the container's CPU quota.
    """
    found = _shared.ray_actor_nodes()
    if found is None:
        return None
    resources = found[0].get("Resources") or {}
    gpus = int(resources.get("GPU", 0))
    cpus = int(resources.get("CPU", 0)) or os.cpu_count() or 1
    return max(1, cpus // gpus) if gpus else None


def _task(label: Any, index: int) -> Task:
    if label is None or (isinstance(label, str) and not label.strip()):
        raise StopTraining(f"codereward: sample {index} has an empty label. {NO_LABEL_HINT}")
    return task_from_label(label)


def _judge(engine: Engine, tasks: list[Task], responses: list[str], retries: int) -> list[Result]:
    """Run each response against its task's tests; sandbox failures again, up to `retries` times."""
    pairs = [(t, label_program(t, extract_code(r, t.language))) for t, r in zip(tasks, responses)]
    results = engine.run_many(pairs)  # one pair (OpenRLHF >= 0.10): run in this thread
    pause = RETRY_PAUSE
    for _ in range(retries):
        again = [i for i, r in enumerate(results) if r.status is Status.ERROR and r.cause is ErrorCause.SANDBOX]
        if not again:
            break
        for i in again:
            log.warning("codereward: sandbox failure on task %s (%s); retrying", results[i].task_id,
                        results[i].reason)
        time.sleep(pause)
        pause *= 2
        for i, r in zip(again, engine.run_many([pairs[i] for i in again])):
            results[i] = r
    return results


def _value(result: Result, prompt: str, policy: str | float) -> float:
    """A result's reward; for one without a verdict: log at ERROR, then `policy`'s number or StopTraining."""
    if result.reward is not None:
        return result.reward
    what = "its tests are broken" if result.cause is ErrorCause.TASK else "its sandbox failed"
    message = (f"codereward: a sample of task {result.task_id} could not be scored ({what}: {result.reason}); "
               f"prompt ending {prompt[-200:]!r}")
    if policy == _shared.RAISE:
        log.error("%s. Training stops (set CODEREWARD_ON_ERROR to a number to score such samples instead)",
                  message)
        raise StopTraining(message)
    log.error("%s. Scored %s with score NaN (CODEREWARD_ON_ERROR): dropped with its group under "
              "--algo.dynamic_filtering_enable, trained on otherwise", message, policy)
    return float(policy)


def _group_key(prompt: Any) -> Any:
    """A prompt as a group key: chat prompts (lists of message dicts) are not hashable."""
    return prompt if isinstance(prompt, str) else repr(prompt)


def _tensor(values: list[float]) -> Any:
    try:
        import torch
    except ImportError:  # outside a trainer plain lists do
        return values
    return torch.tensor(values, dtype=torch.float32)
