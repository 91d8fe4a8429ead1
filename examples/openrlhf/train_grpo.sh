#!/bin/bash
# GRPO (group-normalised REINFORCE) with OpenRLHF, rewarded by codereward. Needs OpenRLHF, Ray and GPUs.
# Dataset rows (JSONL or a HF dataset): {"prompt": [chat messages] or text, "label": <codereward label>}.
#   DATA=rows.jsonl MODEL=Qwen/Qwen2.5-0.5B-Instruct bash examples/openrlhf/train_grpo.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export CODEREWARD_WORKERS="${CODEREWARD_WORKERS:-8}"

python3 -m openrlhf.cli.train_ppo_ray \
    --actor.model_name_or_path "${MODEL:-Qwen/Qwen2.5-0.5B-Instruct}" \
    --reward.remote_url "$HERE/reward_func.py" \
    --data.prompt_dataset "${DATA:-rows.jsonl}" \
    --data.input_key prompt \
    --data.label_key label \
    --data.apply_chat_template \
    --algo.advantage.estimator group_norm \
    --rollout.n_samples_per_prompt 8 \
    --rollout.batch_size 32 \
    --train.batch_size 256 \
    --ckpt.output_dir "${OUT:-./checkpoint/codereward-grpo}" \
    "$@"
# Older OpenRLHF (flat flags): --pretrain MODEL --remote_rm_url "$HERE/reward_func.py" --prompt_data DATA
#   --input_key prompt --label_key label --apply_chat_template --advantage_estimator group_norm
