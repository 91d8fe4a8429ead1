#!/bin/bash
# GRPO with verl, rewarded by codereward. Needs verl installed and GPUs; the reward runs on CPU sandboxes.
#   python examples/verl/prepare_data.py rows.jsonl train.parquet   # rows: {"prompt", "ground_truth"}
#   MODEL=Qwen/Qwen2.5-0.5B-Instruct bash examples/verl/run_grpo.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export CODEREWARD_WORKERS="${CODEREWARD_WORKERS:-8}"     # sandboxes per reward worker process
export CODEREWARD_ON_ERROR="${CODEREWARD_ON_ERROR:-raise}" # or a number: the score of an infra error

python3 -m verl.trainer.main_ppo \
    algorithm.adv_estimator=grpo \
    data.train_files="${TRAIN:-train.parquet}" \
    data.val_files="${VAL:-train.parquet}" \
    data.train_batch_size=32 \
    data.max_prompt_length=1024 \
    data.max_response_length=2048 \
    actor_rollout_ref.model.path="${MODEL:-Qwen/Qwen2.5-0.5B-Instruct}" \
    actor_rollout_ref.rollout.n=8 \
    actor_rollout_ref.actor.ppo_mini_batch_size=16 \
    custom_reward_function.path="$HERE/reward.py" \
    custom_reward_function.name=compute_score \
    +custom_reward_function.reward_kwargs.reward=binary \
    trainer.n_gpus_per_node="${GPUS:-1}" \
    trainer.nnodes=1 \
    trainer.total_training_steps="${STEPS:-100}" \
    trainer.logger='["console"]' \
    "$@"
