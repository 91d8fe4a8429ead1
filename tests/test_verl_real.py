"""verl 0.9 itself loading and calling codereward, with real sandboxes.

- verl's Hydra config (`ppo_trainer`, found through examples/verl/config.yaml's search path) composed with the
  exact overrides examples/verl/run_grpo.sh passes, then checked by verl's own `validate_config`;
- verl's function loader (`trainer/ppo/reward.py` `get_custom_reward_fn`) reading that config;
- verl's `RewardLoopWorker` (experimental/reward_loop/reward_loop.py), which loads the tokenizer and the
  naive reward manager from its registry, scoring a `DataProto` of real token ids (a byte-level tokenizer
  built here: no downloads) through codereward, as each reward-loop actor does;
- (slow) verl's `RewardLoopManager` on a local Ray cluster: its actors, each with its own engine.

Not exercised here (they need GPUs, vLLM and TransferQueue): generation, training, and the v1 trainer that
turns a reward exception into a left-out rollout (trainer/ppo/v1/agent_loop_tq.py `_run_prompt`).

Needs `verl` importable: `pip install --no-deps verl==0.9.1 "tensordict>=0.8,<=0.10,!=0.9.0" hydra-core
codetiming pillow` over the venv's torch, transformers and ray (the `verl` extra). Skips without it, fails
under CI.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from adapter_engine import small_shared_engine  # noqa: F401 — autouse: each module's own engine

from codereward import InfraError
from codereward.integrations import verl as adapter

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "verl"
LABEL = json.dumps(["assert add(1, 2) == 3", "assert add(2, 2) == 4"])
STDIO_LABEL = json.dumps({"inputs": ["1 2\n"], "outputs": ["3\n"]})
GOOD = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```"
BAD = "```python\ndef add(a, b):\n    return 3\n```"  # passes one test of two
STDIO_GOOD = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
# A C++ task's JSON as the label; the answer is the response's last ```cpp block.
CPP_LABEL = json.dumps({"id": "cpp/add", "language": "cpp", "limits": {"case_time": 1.0},
                        "tests": {"kind": "stdio", "comparator": "tokens",
                                  "cases": [{"stdin": "1 2\n", "stdout": "3\n"}, {"stdin": "4 5\n", "stdout": "9\n"}]}})
CPP_GOOD = "```cpp\n#include <cstdio>\nint main(){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a+b);}\n```"
# A task that cannot be set up (its reference solution fails): an infrastructure error, never a 0.
BROKEN = json.dumps({"entry_point": "f", "reference": "def f(x):\n    raise ValueError\n",
                     "tests": {"kind": "call", "cases": [{"args": [1]}]}})
DETAIL_KEYS = {"score", "pass_rate", "passed", "n_tests", "n_passed", "infra_error", "audit_flags", "status"}
EOS = "<|endoftext|>"
PROMPT_LEN, RESPONSE_LEN = 16, 96


def _verl() -> ModuleType:
    hint = ('pip install --no-deps verl==0.9.1 "tensordict>=0.8,<=0.10,!=0.9.0" hydra-core codetiming pillow '
            "(the verl extra)")
    try:
        import verl
        import verl.experimental.reward_loop  # noqa: F401 — what the tests below drive
    except ImportError as e:
        if os.environ.get("CI"):
            pytest.fail(f"verl is not importable ({e}): {hint}")
        pytest.skip(f"verl not importable ({e}): {hint}")
    return verl


@pytest.fixture(scope="module", autouse=True)
def verl_package() -> ModuleType:
    return _verl()


@pytest.fixture(scope="module")
def script_overrides(tmp_path_factory) -> list[str]:
    """The Hydra overrides run_grpo.sh hands verl's main_ppo, read by running it with a stand-in interpreter."""
    stub = tmp_path_factory.mktemp("bin") / "python"
    stub.write_text('#!/bin/sh\nprintf "%s\\0" "$@"\n')
    stub.chmod(0o755)
    out = subprocess.run(["bash", str(EXAMPLE / "run_grpo.sh")], env={"PATH": os.environ["PATH"], "PYTHON": str(stub)},
                         capture_output=True, text=True, timeout=60, check=True).stdout
    args = out.rstrip("\0").split("\0")
    assert args[:4] == ["-m", "verl.trainer.main_ppo", f"--config-path={EXAMPLE}", "--config-name=config"]
    return args[4:]


def compose(overrides: list[str]):
    """The config verl's main_ppo builds from `--config-path=examples/verl --config-name=config <overrides>`."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(EXAMPLE), version_base=None):
        return hydra_compose("config", overrides=overrides)


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    """A byte-level tokenizer (each byte one token, so decoding is exact) saved where verl loads models from."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    vocab[EOS] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    path = tmp_path_factory.mktemp("tokenizer")
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, pad_token=EOS).save_pretrained(path)
    return path


def dataproto(tokenizer, rows: list[tuple[str, str]]):
    """A batch as verl's rollout leaves it: left-padded prompt ids, right-padded response ids ending in EOS, the
    attention mask over both, and the dataset's columns (`reward_model.ground_truth` a JSON label)."""
    import numpy as np
    import torch
    from verl import DataProto

    pad = tokenizer.pad_token_id
    prompts, responses, masks = [], [], []
    for i, (response, _) in enumerate(rows):
        p = tokenizer.encode(f"task {i}:", add_special_tokens=False)
        r = tokenizer.encode(response, add_special_tokens=False) + [tokenizer.eos_token_id]
        assert len(p) <= PROMPT_LEN and len(r) <= RESPONSE_LEN
        prompts.append([pad] * (PROMPT_LEN - len(p)) + p)
        responses.append(r + [pad] * (RESPONSE_LEN - len(r)))
        masks.append([0] * (PROMPT_LEN - len(p)) + [1] * (len(p) + len(r)) + [0] * (RESPONSE_LEN - len(r)))
    prompt_t, response_t = torch.tensor(prompts), torch.tensor(responses)
    return DataProto.from_dict(
        tensors={"prompts": prompt_t, "responses": response_t, "input_ids": torch.cat([prompt_t, response_t], 1),
                 "attention_mask": torch.tensor(masks)},
        non_tensors={"data_source": np.array(["codereward"] * len(rows), dtype=object),
                     "reward_model": np.array([{"style": "rule", "ground_truth": label} for _, label in rows],
                                              dtype=object),
                     "extra_info": np.array([{"index": i} for i in range(len(rows))], dtype=object)})


# -- config ------------------------------------------------------------------------------------------------


def test_run_grpo_config_composes_and_passes_verls_validation(script_overrides):
    from omegaconf import OmegaConf
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    cfg = compose(script_overrides)
    fn = cfg.reward.custom_reward_function
    assert fn.path == str(EXAMPLE / "reward.py") and fn.name == "compute_score"
    assert dict(fn.reward_kwargs) == {"reward": "binary", "on_error": "raise", "reward_workers": 8}
    assert cfg.reward.num_workers == 8  # verl's default, which reward_workers follows
    assert (cfg.reward.reward_manager.source, cfg.reward.reward_manager.name) == ("register", "naive")
    # Every mandatory (???) value is set, but the disabled reward model's engine.
    assert OmegaConf.missing_keys(cfg) == {"reward.reward_model.rollout.name"}
    assert cfg.actor_rollout_ref.rollout.name == "vllm"
    assert need_reference_policy(cfg) and not need_critic(cfg)  # GRPO with a KL loss: the ref model's batch sizes
    validate_config(cfg, use_reference_policy=True, use_critic=False)  # raises on a missing or bad setting


def test_the_legacy_keys_and_the_batch_manager_do_not_work_on_verl_09(script_overrides):
    """Why the example moved: on 0.9 top-level keys load nothing, and the reward loop has no batch manager."""
    from verl.trainer.ppo.reward import get_custom_reward_fn, resolve_reward_manager_cls

    legacy = compose(["actor_rollout_ref.rollout.name=vllm", f"custom_reward_function.path={EXAMPLE / 'reward.py'}",
                      "custom_reward_function.name=compute_score", "reward.custom_reward_function.path=null"])
    assert get_custom_reward_fn(legacy) is None  # verl would fall back to its own default_compute_score
    batch = compose([*script_overrides, "reward.reward_manager.name=batch"])
    with pytest.raises(ValueError, match="Unknown reward manager: batch"):
        resolve_reward_manager_cls(batch)


def test_verls_loader_loads_the_example_function(script_overrides):
    from verl.trainer.ppo.reward import _call_with_kwargs, _call_with_kwargs_async, get_custom_reward_fn

    fn = get_custom_reward_fn(compose(script_overrides))
    assert fn.func is _call_with_kwargs and fn.args[0] is adapter.compute_score  # reward.py re-exports it
    assert fn.args[1] == {"reward": "binary", "on_error": "raise", "reward_workers": 8}  # resolved
    out = fn(data_source="codereward", solution_str=GOOD, ground_truth=LABEL, extra_info={"index": 0})
    assert out["score"] == 1.0 and set(out) == DETAIL_KEYS
    # No file at all: the installed module by name; an async function is awaited by verl.
    by_name = get_custom_reward_fn(compose([*script_overrides, "reward.custom_reward_function.path="
                                            "pkg://codereward.integrations.verl",
                                            "reward.custom_reward_function.name=compute_score_async"]))
    assert by_name.func is _call_with_kwargs_async and by_name.args[0] is adapter.compute_score_async
    out = asyncio.run(by_name(data_source="codereward", solution_str=BAD, ground_truth=LABEL, extra_info={}))
    assert out["score"] == 0.0 and out["pass_rate"] == 0.5


# -- the reward loop ---------------------------------------------------------------------------------------


def reward_loop_worker(overrides: list[str]):
    """verl's RewardLoopWorker, built as a reward-loop actor builds it (here in this process, in a running
    event loop as in the actor): tokenizer from the model path, reward manager from the registry."""
    from verl.experimental.reward_loop import RewardLoopWorker

    return RewardLoopWorker(compose(overrides))


def test_reward_loop_scores_a_dataproto_through_codereward(script_overrides, tokenizer_dir):
    import numpy as np
    from verl.experimental.reward_loop.reward_manager import NaiveRewardManager

    rows = [(GOOD, LABEL), (BAD, LABEL), (STDIO_GOOD, STDIO_LABEL), ("no code at all", LABEL), (CPP_GOOD, CPP_LABEL)]

    async def score():
        worker = reward_loop_worker([*script_overrides, f"actor_rollout_ref.model.path={tokenizer_dir}"])
        assert isinstance(worker.reward_manager, NaiveRewardManager)
        data = dataproto(worker.input_tokenizer, rows)
        return data, await worker.compute_score_batch(data)

    data, outputs = asyncio.run(score())
    scores = [o["reward_score"] for o in outputs]
    assert scores == [1.0, 0.0, 1.0, 0.0, 1.0]
    infos = [o["reward_extra_info"] for o in outputs]
    assert all(set(i) == DETAIL_KEYS for i in infos)
    assert [i["status"] for i in infos] == ["passed", "failed", "passed", "failed", "passed"]
    assert infos[1]["pass_rate"] == 0.5
    # What RewardLoopManager.compute_rm_score does next: each key stacked into one array, the score put on
    # the last response token.
    assert np.array([i["n_tests"] for i in infos]).tolist() == [2, 2, 1, 2, 2]
    rm_scores = NaiveRewardManager.assemble_rm_scores(data, scores)
    last = data.batch["attention_mask"][:, PROMPT_LEN:].sum(1) - 1
    assert rm_scores[range(len(rows)), last].tolist() == scores and rm_scores.sum(1).tolist() == scores


def test_reward_loop_infra_error_raises_or_takes_the_configured_score(script_overrides, tokenizer_dir):
    """A broken task is an exception out of the worker's `compute_score` (what verl 0.9's agent loop awaits per
    rollout), unless reward_kwargs.on_error is a number."""
    model = f"actor_rollout_ref.model.path={tokenizer_dir}"

    async def score(overrides):
        worker = reward_loop_worker([*script_overrides, model, *overrides])
        data = dataproto(worker.input_tokenizer, [(GOOD, BROKEN)])
        return await worker.compute_score(data[0:1])

    with pytest.raises(InfraError, match="CODEREWARD_ON_ERROR"):
        asyncio.run(score([]))
    out = asyncio.run(score(["reward.custom_reward_function.reward_kwargs.on_error=-1"]))
    assert out["reward_score"] == -1.0
    assert out["reward_extra_info"]["infra_error"] == 1.0 and out["reward_extra_info"]["status"] == "error"


def test_default_workers_outside_ray_is_the_shared_default():
    assert adapter.default_workers(8) is None  # not in a Ray actor: one sandbox per CPU, as before


def sandboxes_per_process(title: str) -> dict[int, int]:
    """pid -> sandboxes (bwrap child processes) of each process whose title starts with `title` (Ray titles an
    actor's process `ray::<class>`)."""
    procs: dict[int, tuple[str, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
                stat = (entry / "stat").read_text()
            except OSError:  # exited meanwhile
                continue
            comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            procs[int(entry.name)] = (argv0, int(rest[1]), comm)
    owners = [pid for pid, (argv0, _, _) in procs.items() if argv0.startswith(title)]
    return {pid: sum(1 for _, ppid, comm in procs.values() if ppid == pid and comm == "bwrap") for pid in owners}


@pytest.mark.slow  # a Ray cluster and two actors that import verl: about half a minute
@pytest.mark.timeout(300)
def test_reward_loop_manager_on_ray_shares_the_nodes_cpus(script_overrides, tokenizer_dir, monkeypatch):
    """verl's RewardLoopManager starts `reward.num_workers` actors, each loading codereward and starting its own
    engine; without CODEREWARD_WORKERS each gets the node's CPUs / the actors on it, not one per CPU."""
    import logging

    import ray
    from transformers import AutoTokenizer
    from verl.experimental.reward_loop import RewardLoopManager

    monkeypatch.delenv("CODEREWARD_WORKERS")  # the cluster's processes inherit this environment
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    try:
        @ray.remote(num_cpus=0)
        class Probe:  # an actor like verl's reward-loop workers
            def default_workers(self, reward_workers):
                return adapter.default_workers(reward_workers)

        probe = Probe.remote()
        assert ray.get([probe.default_workers.remote(n) for n in (2, 8, None, 1)]) == [1, 1, 1, 2]
        config = compose([*script_overrides, f"actor_rollout_ref.model.path={tokenizer_dir}", "reward.num_workers=2"])
        manager = RewardLoopManager(config)
        assert len(manager.reward_loop_workers) == 2
        data = dataproto(AutoTokenizer.from_pretrained(tokenizer_dir), [(GOOD, LABEL), (BAD, LABEL), (GOOD, LABEL)])
        out = manager.compute_rm_score(data)  # chunks over both actors, as verl's colocated-RM path does
        assert out.batch["rm_scores"].sum(1).tolist() == [1.0, 0.0, 1.0]
        assert set(out.meta_info["reward_extra_keys"]) == DETAIL_KEYS
        assert out.non_tensor_batch["status"].tolist() == ["passed", "failed", "passed"]
        # Each actor started its engine for its chunk: 2 CPUs / 2 actors = 1 sandbox each, not one per CPU.
        assert sorted(sandboxes_per_process("ray::RewardLoopWorker").values()) == [1, 1]
    finally:
        ray.shutdown()
