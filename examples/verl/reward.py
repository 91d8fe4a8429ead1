"""verl custom reward function file: point `reward.custom_reward_function.path` here (see README.md beside it).

`compute_score` (default name) scores one response, and verl's reward loop runs it concurrently;
`compute_score_async` is the same for an awaiting caller; `compute_score_batch` is only for the legacy
`reward_model.reward_manager=batch` (verl <= 0.6). Sandboxes are configured with CODEREWARD_* environment
variables (CODEREWARD_WORKERS, CODEREWARD_REWARD, CODEREWARD_ON_ERROR, ...) and the config's reward_kwargs.
"""

from codereward.integrations.verl import compute_score, compute_score_async, compute_score_batch

__all__ = ["compute_score", "compute_score_async", "compute_score_batch"]
