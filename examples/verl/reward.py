"""verl custom reward function file: point `custom_reward_function.path` here (see README.md beside it).

`compute_score` (default name) scores one response; `compute_score_async` is the same for verl's async reward
loop; `compute_score_batch` is for `reward_model.reward_manager=batch`. Sandboxes are configured with
CODEREWARD_* environment variables (CODEREWARD_WORKERS, CODEREWARD_REWARD, CODEREWARD_ON_ERROR, ...).
"""

from codereward.integrations.verl import compute_score, compute_score_async, compute_score_batch

__all__ = ["compute_score", "compute_score_async", "compute_score_batch"]
