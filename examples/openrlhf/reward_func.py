"""OpenRLHF reward function file: `--reward.remote_url examples/openrlhf/reward_func.py` (older versions:
`--remote_rm_url`). OpenRLHF imports this file and calls `reward_func(queries, prompts, labels)`.

Labels come from the dataset column named by `--data.label_key` (`--label_key`), in any
`codereward.tasks.task_from_label` format. Sandboxes are configured with CODEREWARD_* environment variables.
"""

from codereward.integrations.openrlhf import reward_func

__all__ = ["reward_func"]
