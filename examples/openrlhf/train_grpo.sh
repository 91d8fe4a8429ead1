#!/bin/bash
# GRPO (group-normalised advantages) on code with OpenRLHF 0.11.x, rewarded by codereward; see README.md here.
# One node with GPUS GPUs (default 8), shared by the actor, the reference model and one vLLM engine per GPU.
#   DATA=rows.jsonl MODEL=Qwen/Qwen2.5-Coder-1.5B-Instruct GPUS=8 bash examples/openrlhf/train_grpo.sh
# Dataset rows (JSONL or a HF dataset): {"prompt": "<text>" or [chat messages], "label": "<codereward label as a
# JSON string>"}; a string, because Arrow cannot type a column mixing assert lists and stdio objects.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
GPUS="${GPUS:-8}"

# A sample codereward cannot score (its sandbox failed 3 times, or its task's tests are broken) gets reward 0 and
# score NaN; NaN is outside every --algo.dynamic_filtering_range, so its prompt's group is dropped, never trained
# on (and logged at ERROR, counted in codereward_infra_error). Unset it to stop training at such a sample instead.
export CODEREWARD_ON_ERROR="${CODEREWARD_ON_ERROR:-0}"
# Each vLLM engine runs the reward function with sandboxes of its own: by default the node's CPUs / GPUs each.
# export CODEREWARD_WORKERS=12
# These variables reach the engines because train_ppo_ray starts Ray here. On a running cluster (ray job submit)
# pass them in --runtime-env-json '{"env_vars": {"CODEREWARD_ON_ERROR": "0"}}' and keep this directory at the
# same path on every node.

python3 -m openrlhf.cli.train_ppo_ray \
    --actor.model_name_or_path "${MODEL:-Qwen/Qwen2.5-Coder-1.5B-Instruct}" \
    --actor.num_nodes 1 --actor.num_gpus_per_node "$GPUS" \
    --ref.num_nodes 1 --ref.num_gpus_per_node "$GPUS" \
    --vllm.num_engines "$GPUS" --vllm.tensor_parallel_size 1 --vllm.gpu_memory_utilization 0.6 \
    --train.colocate_all --vllm.enable_sleep --ds.enable_sleep \
    --reward.remote_url "$HERE/reward_func.py" \
    --data.prompt_dataset "${DATA:-rows.jsonl}" \
    --data.input_key prompt \
    --data.label_key label \
    --data.apply_chat_template \
    --data.max_len 4096 \
    --algo.advantage.estimator group_norm \
    --algo.kl.init_coef 0.001 --algo.kl.use_loss --algo.kl.estimator k3 \
    --algo.dynamic_filtering_enable --algo.dynamic_filtering_range 0 1 \
    --rollout.n_samples_per_prompt 8 \
    --rollout.batch_size 32 --rollout.micro_batch_size 8 \
    --train.batch_size 256 --train.micro_batch_size 4 \
    --ds.zero_stage 3 --ds.param_dtype bf16 --actor.gradient_checkpointing_enable \
    --actor.adam.lr 1e-6 \
    --ckpt.output_dir "${OUT:-./checkpoint/codereward-grpo}" \
    "$@"
# OpenRLHF before 0.10.4 had flat flags: --pretrain MODEL --remote_rm_url "$HERE/reward_func.py" --prompt_data DATA
#   --input_key prompt --label_key label --apply_chat_template --advantage_estimator group_norm
#   --vllm_num_engines N --colocate_all_models --dynamic_filtering --dynamic_filtering_reward_range 0 1
