"""OpenRLHF `reward_func` for `--remote_rm_url /path/to/reward_func.py` (examples/openrlhf/reward_func.py).

OpenRLHF imports the file and calls `reward_func(queries, prompts, labels)` from worker threads — current
versions once per sample, older ones once per batch. `queries` are the decoded prompt + response with
special tokens kept, `prompts` the prompts as given to the tokenizer, `labels` the dataset's `--label_key`
column (a label, see `codereward.tasks.labels`). It expects a dict of torch tensors: `rewards` (for the
advantage), `scores` (in [0, 1], for dynamic filtering) and `extra_logs` (each value logged to wandb /
tensorboard).

OpenRLHF cannot skip a sample (a missing reward breaks the batch later, far from the cause), so an
infrastructure error raises InfraError by default; CODEREWARD_ON_ERROR=<number> scores it with that number
instead, counted in the `codereward_infra_error` log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from codereward.integrations import _shared
from codereward.integrations.extract import response_text
from codereward.rewards import RewardFn, Shaper

__all__ = ["response_text", "reward_func"]


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], *,
                reward: str | Shaper | RewardFn | None = None, on_error: str | float | None = None,
                **kwargs: Any) -> dict[str, Any]:
    """`{"rewards", "scores", "extra_logs"}` for a batch, as OpenRLHF's remote reward function contract asks.

    reward: a reward spec, "binary", "fraction", "verpo:window=8", ... (README: Rewards; default
    CODEREWARD_REWARD, else binary). on_error: "raise" or a number
    (default CODEREWARD_ON_ERROR, else raise).
    """
    shaping = _shared.shaper_of(reward or _shared.env_reward())
    policy = _shared.env_on_error() if on_error is None else on_error
    responses = [response_text(q, p) for q, p in zip(queries, prompts)]
    engine = _shared.shared_engine()
    if len(responses) == 1:  # current OpenRLHF: one sample per call, many calls in parallel threads
        results = [_shared.score_one(engine, responses[0], labels[0], reward=shaping)]
    else:  # older OpenRLHF: a batch, whose rollouts of one prompt form a group
        results = _shared.score_many(engine, responses, list(labels), reward=shaping, groups=list(prompts))
    values = [_shared.resolve_error(r, policy) for r in results]
    details = [_shared.details(r) for r in results]
    logs = {
        "codereward_passed": [d["passed"] for d in details],
        "codereward_test_pass_rate": [d["pass_rate"] for d in details],
        "codereward_infra_error": [d["infra_error"] for d in details],
        "codereward_flagged": [float(d["audit_flags"] > 0) for d in details],
    }
    return {"rewards": _tensor(values), "scores": _tensor([min(1.0, max(0.0, v)) for v in values]),
            "extra_logs": {k: _tensor(v) for k, v in logs.items()}}


def _tensor(values: list[float]) -> Any:
    try:
        import torch
    except ImportError:  # outside a trainer (e.g. the HTTP server) plain lists serialise as JSON
        return values
    return torch.tensor(values, dtype=torch.float32)
