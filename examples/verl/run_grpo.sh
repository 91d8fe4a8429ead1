#!/bin/bash
# GRPO with verl 0.9 (>= 0.7.1), rewarded by codereward. Needs GPUs and verl with its rollout engine
# (pip install "verl[vllm]==0.9.1": the default trainer also needs TransferQueue, from that extra); the reward
# runs in CPU sandboxes.
#   python examples/verl/prepare_data.py rows.jsonl train.parquet   # rows: {"prompt", "ground_truth"}
#   MODEL=Qwen/Qwen2.5-0.5B-Instruct GPUS=1 bash examples/verl/run_grpo.sh [more verl overrides]
# The reward settings are in config.yaml beside this script. CODEREWARD_* variables exported here reach verl's
# reward-loop actors when verl starts Ray itself; on an existing cluster pass them in Ray's runtime_env:
#   +ray_kwargs.ray_init.runtime_env.env_vars.CODEREWARD_WORKERS='"4"'   (a string, as Ray requires)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
GPUS="${GPUS:-1}"          # per node
MICRO="${MICRO:-4}"        # micro-batch per GPU for the actor update and the log-prob passes

ARGS=(
    algorithm.adv_estimator=grpo
    data.train_files="${TRAIN:-train.parquet}"
    data.val_files="${VAL:-train.parquet}"
    data.train_batch_size=32                   # prompts per step; x rollout.n must divide by the GPU count
    data.max_prompt_length=1024
    data.max_response_length=2048
    actor_rollout_ref.model.path="${MODEL:-Qwen/Qwen2.5-0.5B-Instruct}"
    # required since verl 0.6: the rollout engine (vllm | sglang), and micro-batch sizes (or use_dynamic_bsz)
    actor_rollout_ref.rollout.name="${ROLLOUT:-vllm}"
    actor_rollout_ref.rollout.tensor_model_parallel_size=1   # verl's default is 2
    actor_rollout_ref.rollout.gpu_memory_utilization=0.5
    actor_rollout_ref.rollout.n=8
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu="$MICRO"
    actor_rollout_ref.actor.ppo_mini_batch_size=16
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu="$MICRO"
    # GRPO's KL term is a loss against the reference model, which then needs its micro-batch size too
    actor_rollout_ref.actor.use_kl_loss=True
    actor_rollout_ref.actor.kl_loss_coef=0.001
    actor_rollout_ref.actor.kl_loss_type=low_var_kl
    actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu="$MICRO"
    # config.yaml's path is relative to where verl starts; this one is not
    reward.custom_reward_function.path="$HERE/reward.py"
    trainer.n_gpus_per_node="$GPUS"
    trainer.nnodes=1
    trainer.total_training_steps="${STEPS:-100}"
    trainer.logger='["console"]'               # verl's default adds wandb
)

# ${PYTHON} is the interpreter (tests/test_verl_real.py replaces it to read these arguments).
"${PYTHON:-python3}" -m verl.trainer.main_ppo --config-path="$HERE" --config-name=config "${ARGS[@]}" "$@"
