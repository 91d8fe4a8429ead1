"""A real TRL GRPOTrainer step on CPU with codereward's reward function (no downloads: the model is a tiny
randomly initialised Llama, the tokenizer is built here), and the TRL example script run as a user would.

The tokenizer's tokens are whole lines of Python (`print(3)\\n`, `pass\\n`), joined without separators when
decoded, so a random model still writes runnable programs and the rewards differ between completions.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")
torch = pytest.importorskip("torch")

from codereward.integrations.trl import codereward_reward  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CODE_TOKENS = ["print(3)\n", "print(4)\n", "pass\n"]
PROMPTS = ["task_three", "task_nothing"]
LABELS = {  # stdout "3" passes only programs printing exactly one 3; "" only programs printing nothing
    "task_three": json.dumps({"inputs": [""], "outputs": ["3"]}),
    "task_nothing": json.dumps({"inputs": [""], "outputs": [""]}),
}


def tiny_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(["<pad>", "<eos>", "<unk>", *PROMPTS, *CODE_TOKENS])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.Fuse()  # tokens are whole lines: join them with nothing in between
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def tiny_model(tokenizer):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=tokenizer.eos_token_id)
    return LlamaForCausalLM(config)


def test_grpo_trainer_logs_codereward_rewards(tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = tiny_tokenizer()
    dataset = Dataset.from_list([{"prompt": p, "ground_truth": LABELS[p]} for p in PROMPTS * 2])
    reward = codereward_reward(workers=2)  # its own engine, started on first call
    seen: list[list[float | None]] = []
    seen_completions: list[str] = []

    def recorded(prompts=None, completions=None, completion_ids=None, **kwargs):
        # Every dataset column and TRL's extras arrive as keyword arguments.
        assert "ground_truth" in kwargs and "trainer_state" in kwargs
        values = reward(prompts=prompts, completions=completions, completion_ids=completion_ids, **kwargs)
        seen.append(values)
        seen_completions.extend(completions)
        return values

    recorded.__name__ = reward.__name__
    args = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4,
                      max_completion_length=4, max_steps=2, logging_steps=1, learning_rate=1e-3,
                      use_cpu=True, bf16=False, report_to="none", save_strategy="no", seed=0)
    trainer = GRPOTrainer(model=tiny_model(tokenizer), reward_funcs=[recorded], args=args,
                          train_dataset=dataset, processing_class=tokenizer)
    trainer.train()

    assert reward.__name__ == "codereward_binary"
    values = [v for batch in seen for v in batch]
    assert values and all(v in (0.0, 1.0) for v in values), values  # no infra error (None) either
    assert 0.0 < sum(values) < len(values), (values, seen_completions)  # real verdicts, both kinds
    logged = [h for h in trainer.state.log_history if "rewards/codereward_binary/mean" in h]
    assert len(logged) == len(seen) == 2
    for entry, batch in zip(logged, seen):
        assert math.isclose(entry["rewards/codereward_binary/mean"], sum(batch) / len(batch), abs_tol=1e-6)
        assert math.isclose(entry["codereward/passed"], sum(batch) / len(batch), abs_tol=1e-6)  # log_metric


def test_async_reward_in_trainer(tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = tiny_tokenizer()
    dataset = Dataset.from_list([{"prompt": p, "ground_truth": LABELS[p]} for p in PROMPTS * 2])
    reward = codereward_reward(workers=1, reward="fraction", is_async=True, name="code_async")
    args = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4,
                      max_completion_length=4, max_steps=1, logging_steps=1, use_cpu=True, bf16=False,
                      report_to="none", save_strategy="no", seed=1)
    trainer = GRPOTrainer(model=tiny_model(tokenizer), reward_funcs=[reward], args=args, train_dataset=dataset,
                          processing_class=tokenizer)
    trainer.train()
    logged = [h["rewards/code_async/mean"] for h in trainer.state.log_history if "rewards/code_async/mean" in h]
    assert len(logged) == 1 and 0.0 <= logged[0] <= 1.0 and not math.isnan(logged[0])


@pytest.mark.slow
def test_trl_example_script_runs(tmp_path):
    env = {**os.environ, "CODEREWARD_WORKERS": "2"}
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "trl_grpo.py"), "--max-steps", "1",
                           "--output-dir", str(tmp_path)], capture_output=True, text=True, timeout=600, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 1
    assert 0.0 <= summary["rewards/codereward_binary/mean"] <= 1.0


def _score_in_child(blob: bytes) -> list:
    import pickle

    fn = pickle.loads(blob)
    return fn(prompts=["p", "p"], completions=["print(3)", "print(4)"], ground_truth=[LABELS["task_three"]] * 2)


def test_reward_functions_pickle_into_a_spawned_process_as_asyncgrpotrainer_does():
    """TRL's AsyncGRPOTrainer pickles its reward functions into a spawned rollout process (and refuses
    closures at start()): ours cross as their configuration and start their own engine there."""
    import asyncio
    import multiprocessing
    import pickle

    from codereward import Engine
    from codereward.integrations.trl import codereward_binary, codereward_binary_async

    sync = codereward_reward(workers=1, reward="fraction", name="code_fraction")
    for fn in (sync, codereward_binary, codereward_reward(workers=1, is_async=True, name="code_async")):
        copy = pickle.loads(pickle.dumps(fn))
        assert copy.__name__ == fn.__name__ and type(copy) is type(fn)
    assert asyncio.iscoroutinefunction(type(pickle.loads(pickle.dumps(codereward_binary_async))).__call__)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_score_in_child, (pickle.dumps(sync),)) == [1.0, 0.0]
    with Engine(workers=1) as engine:
        holding = codereward_reward(engine=engine)
        with pytest.raises(TypeError, match="cannot be pickled.*engine options"):
            pickle.dumps(holding)
        assert holding(prompts=["p"], completions=["print(3)"], ground_truth=[LABELS["task_three"]]) == [1.0]
