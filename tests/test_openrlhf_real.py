"""OpenRLHF 0.11 itself calling codereward, with real sandboxes.

OpenRLHF's `SingleTurnAgentExecutor` (openrlhf/utils/agent.py) loads examples/openrlhf/reward_func.py by path,
exactly as each vLLM engine actor does for `--reward.remote_url reward_func.py`, and scores samples through
its real `execute()`: the query decoded from token ids with special tokens kept, the reward function called in
a thread, every Exception it raises caught. The same `execute()` posts to `codereward serve`'s /get_reward
with OpenRLHF's own HTTP client.

examples/openrlhf/train_grpo.sh is checked by OpenRLHF's own `train_ppo_ray` command line: its argument parser and
the checks it makes before it starts Ray.

Not exercised here (they need vLLM and GPUs): generation (a stand-in engine returns the response's token ids,
from a byte-level tokenizer with Qwen's chat tokens built here); `RolloutRayActor` (trainer/ray/vllm_engine.py
imports vllm: a plain Ray actor stands in for it to show what Ray does with StopTraining);
`samples_generator._process_response_into_experience` and dynamic filtering (samples_generator.py imports
vllm); DeepSpeed training.

Needs `openrlhf` importable: `pip install --no-deps openrlhf==0.11.2 pylatexenc` over the venv's torch,
transformers and ray (its own requirements pin deepspeed and flash-attn, which do not build without CUDA).
Skips without it, fails under CI.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace
from unittest import mock

import pytest
from adapter_engine import small_shared_engine  # noqa: F401 — autouse: each module's own engine
from test_server import running

from codereward.integrations.openrlhf import StopTraining

ROOT = Path(__file__).resolve().parents[1]
REWARD_FILE = ROOT / "examples" / "openrlhf" / "reward_func.py"
QWEN_PROMPT = "<|im_start|>user\nWrite add(a, b).<|im_end|>\n<|im_start|>assistant\n"
LABEL = json.dumps(["assert add(1, 2) == 3", "assert add(2, 2) == 4"])
GOOD = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```"
BAD = "```python\ndef add(a, b):\n    return 3\n```"
BARE = "def add(a, b):\n    return a + b\n"  # no fence: the EOS token after it would be a SyntaxError
# A task that cannot be set up (its reference solution fails): no verdict, never a 0.
BROKEN = json.dumps({"entry_point": "f", "reference": "def f(x):\n    raise ValueError\n",
                     "tests": {"kind": "call", "cases": [{"args": [1]}]}})


def _openrlhf_agent() -> ModuleType:
    try:
        import openrlhf.utils.agent as agent
    except ImportError as e:
        if os.environ.get("CI"):
            pytest.fail(f"openrlhf is not importable ({e}): pip install --no-deps openrlhf==0.11.2 pylatexenc")
        pytest.skip(f"openrlhf not importable ({e}): pip install --no-deps openrlhf==0.11.2 pylatexenc")
    return agent


@pytest.fixture(scope="module")
def agent() -> ModuleType:
    return _openrlhf_agent()


@pytest.fixture(scope="module")
def tokenizer():
    """A byte-level BPE tokenizer with Qwen's chat tokens, EOS `<|im_end|>`: decoding is exact."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.train_from_iterator([QWEN_PROMPT, GOOD, BAD], trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    return PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   clean_up_tokenization_spaces=False)


class StandInEngine:
    """What `execute()` needs of a vLLM engine actor: `generate` returning the response's token ids + EOS."""

    def __init__(self, tokenizer, response: str) -> None:
        ids = tokenizer(text=response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        self.output = SimpleNamespace(token_ids=ids, text=response, finish_reason="stop", logprobs=None)

    async def generate(self, prompt_token_ids, sampling_params, multi_modal_data=None):
        return SimpleNamespace(outputs=[self.output])


def execute(executor, tokenizer, response: str, label=LABEL) -> dict:
    """One sample through OpenRLHF's SingleTurnAgentExecutor.execute."""
    params = SimpleNamespace(max_tokens=None, logprobs=None)
    return asyncio.run(executor.execute(prompt=QWEN_PROMPT, label=label, sampling_params=params, max_length=1024,
                                        hf_tokenizer=tokenizer, llm_engine=StandInEngine(tokenizer, response)))


@pytest.fixture(scope="module")
def executor(agent):
    return agent.SingleTurnAgentExecutor(str(REWARD_FILE))  # loads reward_func from the file, by path


def test_the_query_ends_in_the_eos_token(tokenizer):
    ids = tokenizer(text=QWEN_PROMPT, add_special_tokens=False)["input_ids"]
    query = tokenizer.decode(ids + StandInEngine(tokenizer, BARE).output.token_ids, skip_special_tokens=False)
    assert query == QWEN_PROMPT + BARE + "<|im_end|>"  # what agent.py hands the reward function


@pytest.mark.parametrize(("response", "expected"), [(GOOD, 1.0), (BAD, 0.0), (BARE, 1.0)],
                         ids=["correct", "wrong", "bare-code-then-eos"])
def test_correct_and_wrong_answers_score_1_and_0(executor, tokenizer, response, expected):
    out = execute(executor, tokenizer, response)
    assert out["reward"].tolist() == [expected] and out["scores"].tolist() == [expected]
    assert out["extra_logs"]["codereward_passed"].tolist() == [expected]
    assert out["extra_logs"]["codereward_infra_error"].tolist() == [0.0]


def test_openrlhf_swallows_an_exception_from_the_reward_function(agent, tokenizer, tmp_path):
    # Why the adapter never raises an Exception: the sample would be left without a reward (the step then fails
    # later, far from the cause), with an INFO line as the only trace.
    plain = tmp_path / "raising_reward_func.py"
    plain.write_text("def reward_func(queries, prompts, labels):\n    raise RuntimeError('sandbox broke')\n")
    out = execute(agent.SingleTurnAgentExecutor(str(plain)), tokenizer, GOOD)
    assert out["reward"] is None and out["scores"] is None


def test_an_unscorable_sample_stops_training_by_default(executor, tokenizer):
    with pytest.raises(StopTraining, match="could not be scored"):
        execute(executor, tokenizer, GOOD, label=BROKEN)


def test_with_on_error_a_number_the_score_is_nan_for_dynamic_filtering(executor, tokenizer, monkeypatch):
    monkeypatch.setenv("CODEREWARD_ON_ERROR", "0")
    out = execute(executor, tokenizer, GOOD, label=BROKEN)
    assert out["reward"].tolist() == [0.0] and math.isnan(out["scores"].item())
    assert out["extra_logs"]["codereward_infra_error"].tolist() == [1.0]
    # samples_generator.py keeps a group only when min < mean score < max: NaN is never inside.
    assert not (0.0 < out["scores"].item() < 1.0)


def test_an_empty_label_names_the_missing_flag(executor, tokenizer, monkeypatch):
    monkeypatch.setenv("CODEREWARD_ON_ERROR", "0")  # a configuration error stops training whatever this says
    with pytest.raises(StopTraining, match="--data.label_key"):
        execute(executor, tokenizer, GOOD, label="")  # what OpenRLHF sends without --data.label_key


# -- codereward serve's /get_reward through OpenRLHF's HTTP client ---------------------------------------------


@pytest.fixture(scope="module")
def server():
    with running(workers=1) as (base, service):
        yield base, service


def test_get_reward_through_openrlhf_http_client(agent, tokenizer, server, monkeypatch):
    base, service = server
    no_pause = SimpleNamespace(to_thread=asyncio.to_thread, gather=asyncio.gather, create_task=asyncio.create_task,
                               sleep=lambda seconds: asyncio.sleep(0))  # its 1 s between retries, in agent.py only
    monkeypatch.setattr(agent, "asyncio", no_pause)
    http = agent.SingleTurnAgentExecutor(f"{base}/get_reward")
    assert http.reward_func is None  # a URL: OpenRLHF posts {"query", "prompts", "labels"}
    for response, expected in [(GOOD, 1.0), (BAD, 0.0), (BARE, 1.0)]:
        out = execute(http, tokenizer, response)
        assert out["reward"] == [expected] and out["scores"] == [expected], response
        assert out["extra_logs"]["pass_rate"] == [expected if response != BAD else 0.5]
    # No verdict: 503 each time; OpenRLHF tries 5 times (1 s apart), then leaves the sample without a reward.
    out = execute(http, tokenizer, GOOD, label=BROKEN)
    assert out["reward"] is None
    deadline = time.monotonic() + 5  # the server counts a request once its answer is sent: the last may lag
    while service.metrics.requests[("/get_reward", 503)] < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.metrics.requests[("/get_reward", 503)] == 5


# -- what Ray does with StopTraining -------------------------------------------------------------------------


@pytest.mark.slow  # a Ray cluster of its own: 15-25 s here
def test_ray_hands_stop_training_to_the_trainer_and_sandboxes_default_to_cpus_per_gpu(monkeypatch):
    """RolloutRayActor.generate_responses awaits `execute()` for each rollout; StopTraining leaves `execute()`
    (above), and Ray hands it to the trainer's `ray.get` at once (samples_generator.py `_generate_vllm`),
    leaving the actor alive. The stand-in actor holds one (fake) GPU on a node of 2 CPUs and 2 GPUs."""
    ray = pytest.importorskip("ray")
    monkeypatch.delenv("CODEREWARD_WORKERS")  # the actor must pick its own default
    if ray.is_initialized():
        pytest.skip("a Ray session is already running in this process")
    ray.init(address="local", num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.WARNING)
    try:
        @ray.remote(num_gpus=1, num_cpus=0)
        class EngineActor:
            async def score(self, label: str):
                from codereward.integrations.openrlhf import reward_func

                try:  # as agent.py does
                    return await asyncio.to_thread(reward_func, ["```python\nx = 1\n```"], [""], [label])
                except Exception as e:  # noqa: BLE001
                    return f"swallowed: {e}"

            def workers(self):
                from codereward.integrations import openrlhf

                return openrlhf.default_workers()

        actor = EngineActor.remote()
        assert ray.get(actor.workers.remote()) == 1  # 2 CPUs / 2 GPUs
        with pytest.raises(ray.exceptions.RayTaskError, match="empty label") as stopped:
            ray.get(actor.score.remote(""))
        assert isinstance(stopped.value.as_instanceof_cause(), StopTraining)
        assert ray.get(actor.workers.remote()) == 1  # the actor (the vLLM engine) lives on
    finally:
        ray.shutdown()


# -- the example script against OpenRLHF's own command line --------------------------------------------------


class _Parsed(Exception):
    """Raised where train_ppo_ray would build its DeepSpeed strategy: the arguments passed every check."""

    def __init__(self, args) -> None:
        super().__init__("parsed")
        self.parsed = args


def test_the_example_script_passes_train_ppo_ray_argument_checks(agent, tmp_path, monkeypatch):
    """train_grpo.sh's command line through train_ppo_ray's real `__main__`: its parser (an unknown or removed
    flag exits 2) and its checks (GPU counts against vLLM engines, batch sizes, dynamic filtering...), up to
    the first thing that needs a GPU. What it imports that needs vLLM, DeepSpeed or a cluster is stubbed."""
    # 1. The script's own command line, as bash expands it: a stand-in python3 writes its arguments down.
    bin_dir, argv_file = tmp_path / "bin", tmp_path / "argv"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text('#!/bin/sh\nprintf \'%s\\0\' "$@" > "$ARGV_FILE"\n')
    (bin_dir / "python3").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ARGV_FILE": str(argv_file), "GPUS": "8"}
    subprocess.run(["bash", str(ROOT / "examples" / "openrlhf" / "train_grpo.sh")], env=env, check=True)
    argv = argv_file.read_text().split("\0")[:-1]
    assert argv[:2] == ["-m", "openrlhf.cli.train_ppo_ray"]
    # 2. train_ppo_ray's __main__ with those arguments.
    def strategy(**kw):
        raise _Parsed(kw["args"])

    stubs = {"ray": mock.MagicMock(), "ray.util": mock.MagicMock(), "ray.util.placement_group": mock.MagicMock(),
             "openrlhf.trainer.ray": mock.MagicMock(), "openrlhf.trainer.ray.launcher": mock.MagicMock(),
             "openrlhf.trainer.ray.ppo_actor": mock.MagicMock(), "openrlhf.trainer.ray.ppo_critic": mock.MagicMock(),
             "openrlhf.utils.deepspeed": SimpleNamespace(DeepspeedStrategy=strategy)}
    for name, module in stubs.items():
        monkeypatch.setitem(sys.modules, name, module)
    main = Path(agent.__file__).parents[1] / "cli" / "train_ppo_ray.py"
    monkeypatch.setattr(sys, "argv", [str(main), *argv[2:]])
    with pytest.raises(_Parsed) as parsed:
        runpy.run_path(str(main), run_name="__main__")
    args = parsed.value.parsed
    assert args.reward.remote_url == [str(REWARD_FILE)] and args.data.label_key == "label"
    assert args.vllm.num_engines == args.actor.num_gpus_per_node == 8
    assert args.algo.dynamic_filtering_enable and args.rollout.n_samples_per_prompt > 1
