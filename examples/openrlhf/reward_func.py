"""OpenRLHF reward function file: `--reward.remote_url examples/openrlhf/reward_func.py --data.label_key label`
(OpenRLHF 0.10.4 and later; before: `--remote_rm_url` and `--label_key`). Tested on OpenRLHF 0.11.2.

Every vLLM engine actor imports this file by path and calls `reward_func([query], [prompt], [label])` once per
sample. Labels come from the `--data.label_key` column, in any `codereward.tasks.task_from_label` format.
Sandboxes are configured with CODEREWARD_* environment variables; what happens to a sample codereward cannot
score (CODEREWARD_ON_ERROR) is in examples/openrlhf/README.md.

To change the reward or the retries, wrap it here, e.g.
    reward_func = functools.partial(reward_func, reward="fraction", retries=4)
"""

from codereward.integrations.openrlhf import reward_func

__all__ = ["reward_func"]
