"""GRPO on coding problems with TRL, rewarded by codereward.

    python examples/trl_grpo.py                         # tiny random model on CPU: a smoke run, no downloads
    python examples/trl_grpo.py --model Qwen/Qwen2.5-0.5B-Instruct --max-steps 200   # a real model, on GPU

Each dataset row has a `prompt` and a `ground_truth` label carrying its tests (any format of
`codereward.tasks.task_from_label`: assert lists, APPS/TACO inputs/outputs, open-r1 verification_info, a
built-in dataset reference, codereward task JSON). `--data FILE.jsonl` trains on your own rows.
The last line printed is a JSON summary of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

PROBLEMS = [
    {"prompt": "Write a Python function `add(a, b)` that returns the sum of a and b.",
     "ground_truth": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0", "assert add(10, 5) == 15"]},
    {"prompt": "Write a Python program that reads two integers on one line and prints their sum.",
     "ground_truth": {"inputs": ["1 2\n", "10 -3\n"], "outputs": ["3\n", "7\n"]}},
    {"prompt": "Write a Python program that reads a word and prints it reversed.",
     "ground_truth": {"language": "python", "test_cases": [
         {"input": "abc\n", "output": "cba\n", "type": "stdin_stdout"},
         {"input": "racecar\n", "output": "racecar\n", "type": "stdin_stdout"}]}},
    {"prompt": "Write a Python function `is_even(n)` returning True when n is even.",
     "ground_truth": {"inputs": ["4", "7"], "outputs": ["true", "false"], "fn_name": "is_even"}},
]
INSTRUCTION = "\nAnswer with the complete program in one ```python code block."
# The tiny model's vocabulary: whole lines of Python, so even random weights write runnable programs.
TINY_CODE_TOKENS = ["def add(a, b):\n", "    return a + b\n", "    return a - b\n", "print(3)\n",
                    "print(input()[::-1])\n", "pass\n"]


def tiny_model_and_tokenizer():
    """A randomly initialised 2-layer Llama and a word-level tokenizer, built locally (nothing downloaded)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "<eos>", "<unk>", *TINY_CODE_TOKENS])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()  # prompt words are all <unk> to this model
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>",
                                        unk_token="<unk>")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128,
                         pad_token_id=0, eos_token_id=1, bos_token_id=1)
    return LlamaForCausalLM(config), tokenizer


def load_rows(path: str | None, chat: bool) -> list[dict]:
    rows = PROBLEMS
    if path:
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    out = []
    for row in rows:
        # Labels travel as JSON strings: one column type for every format (Arrow needs that, and verl does too).
        label = row["ground_truth"]
        label = label if isinstance(label, str) else json.dumps(label)
        prompt = row["prompt"] + INSTRUCTION
        out.append({"prompt": [{"role": "user", "content": prompt}] if chat else prompt, "ground_truth": label})
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="a Hugging Face model name or path (default: a tiny random model on CPU)")
    p.add_argument("--data", help="JSONL rows {prompt, ground_truth} (default: four built-in problems)")
    p.add_argument("--max-steps", type=int, default=2)
    p.add_argument("--num-generations", type=int, default=4)
    p.add_argument("--max-completion-length", type=int, default=None, help="default: 8 tiny, 512 real model")
    p.add_argument("--reward", choices=["binary", "fraction"], default="binary")
    p.add_argument("--output-dir", default="codereward-grpo")
    args = p.parse_args(argv)

    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from codereward.integrations.trl import codereward_reward

    if args.model:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype="auto")
        chat, cpu = tokenizer.chat_template is not None, not torch.cuda.is_available()
    else:
        model, tokenizer = tiny_model_and_tokenizer()
        chat, cpu = False, True
    max_len = args.max_completion_length or (512 if args.model else 8)

    dataset = Dataset.from_list(load_rows(args.data, chat))
    # Workers: CODEREWARD_WORKERS, else one sandbox per CPU; the reward function starts them on first use.
    reward = codereward_reward(reward=args.reward)
    config = GRPOConfig(
        output_dir=args.output_dir, max_steps=args.max_steps, num_generations=args.num_generations,
        per_device_train_batch_size=args.num_generations, max_completion_length=max_len, logging_steps=1,
        learning_rate=1e-6 if args.model else 1e-3, use_cpu=cpu, bf16=not cpu and torch.cuda.is_bf16_supported(),
        report_to="none", save_strategy="no", seed=0,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=config, train_dataset=dataset,
                          processing_class=tokenizer)
    trainer.train()

    key = f"rewards/{reward.__name__}/mean"
    logged = [h for h in trainer.state.log_history if key in h]
    summary = {"steps": trainer.state.global_step, key: logged[-1][key] if logged else None,
               "passed": logged[-1].get("codereward/passed") if logged else None,
               "workers": os.environ.get("CODEREWARD_WORKERS", "cpu count")}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
