"""verl, OpenRLHF and TRL adapters, called exactly as those frameworks call them.

verl and OpenRLHF need GPUs, vLLM or DeepSpeed to install, so their call sites are reproduced here from their
source: verl 0.9.1 `utils/import_utils.load_extern_object`, `trainer/ppo/reward.py` `_call_with_kwargs`
(config `reward_kwargs` merged over call kwargs) and `experimental/reward_loop/reward_manager/naive.py` (keyword
calls, `ground_truth` from `reward_model`, sync functions on a thread pool, async ones awaited), and the legacy
`workers/reward_manager/batch.py` (verl <= 0.6); tests/test_verl_real.py drives the real verl package.
OpenRLHF 0.11 `utils/agent.py` `SingleTurnAgentExecutor` (file loaded with spec_from_file_location,
`reward_func([query], [prompt], [label])` in `asyncio.to_thread`, the query decoded with special tokens kept)
and `trainer/ppo_utils/samples_generator.py` (`torch.tensor([reward])`, extra_logs values
`.flatten()[0].item()`); tests/test_openrlhf_real.py drives the reward file through the real package.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
from adapter_engine import small_shared_engine  # noqa: F401 — autouse: each module's own engine

from codereward import InfraError, InputError
from codereward.integrations import _shared
from codereward.integrations.openrlhf import StopTraining, response_text
from codereward.integrations.trl import codereward_reward

ROOT = Path(__file__).resolve().parents[1]
LABEL = json.dumps(["assert add(1, 2) == 3", "assert add(2, 2) == 4"])
STDIO_LABEL = json.dumps({"inputs": ["1 2\n"], "outputs": ["3\n"]})
GOOD = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```"
BAD = "```python\ndef add(a, b):\n    return 3\n```"  # passes one test of two
# A task that cannot be set up (its reference solution fails): an infrastructure error, never a 0.
BROKEN = json.dumps({"entry_point": "f", "reference": "def f(x):\n    raise ValueError\n",
                     "tests": {"kind": "call", "cases": [{"args": [1]}]}})
DETAIL_KEYS = {"score", "pass_rate", "passed", "n_tests", "n_passed", "infra_error", "audit_flags", "status"}


def load_file(path: Path, name: str):
    """How verl (load_module) and OpenRLHF load a reward file: by path, as a fresh module."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verl_call_with_kwargs(raw_fn, extra_kwargs, *args, **kwargs):
    return raw_fn(*args, **{**kwargs, **extra_kwargs})  # verl: config reward_kwargs take precedence


# -- verl --------------------------------------------------------------------------------------------------


def test_shared_engine_is_configured_from_env():
    engine = _shared.shared_engine()
    assert engine.n_workers == 2
    assert _shared.shared_engine() is engine


def test_verl_naive_manager_call():
    """verl's reward-loop naive manager: keywords, extra_info with num_turns and rollout_reward_scores added."""
    raw = load_file(ROOT / "examples" / "verl" / "reward.py", "custom_module").compute_score
    fn = partial(verl_call_with_kwargs, raw, {})
    rows = [(GOOD, LABEL, 1.0), (BAD, LABEL, 0.0), ("print(3)", STDIO_LABEL, 1.0)]
    outs = []
    for response, ground_truth, expected in rows:
        extra_info = {"index": 0, "num_turns": None, "rollout_reward_scores": {}}
        out = fn(data_source="codereward", solution_str=response, ground_truth=ground_truth, extra_info=extra_info)
        assert out["score"] == expected, out
        outs.append(out)
    assert all(set(o) == DETAIL_KEYS for o in outs)  # verl stacks reward_extra_info key by key
    assert outs[1]["pass_rate"] == 0.5 and outs[1]["n_tests"] == 2 and outs[1]["status"] == "failed"


def test_verl_reward_kwargs_fraction():
    raw = load_file(ROOT / "examples" / "verl" / "reward.py", "custom_module").compute_score
    fn = partial(verl_call_with_kwargs, raw, {"reward": "fraction"})
    out = fn(data_source="x", solution_str=BAD, ground_truth=LABEL, extra_info={})
    assert out["score"] == 0.5


def test_verl_example_config_reward_kwargs():
    """The reward_kwargs of examples/verl/config.yaml, as verl resolves them, are keywords compute_score takes."""
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "examples" / "verl" / "config.yaml").read_text())
    kwargs = config["reward"]["custom_reward_function"]["reward_kwargs"]
    assert kwargs.pop("reward_workers") == "${reward.num_workers}"  # verl resolves it: 8 by default
    raw = load_file(ROOT / "examples" / "verl" / "reward.py", "custom_module").compute_score
    fn = partial(verl_call_with_kwargs, raw, {**kwargs, "reward_workers": 8})
    assert fn(data_source="x", solution_str=BAD, ground_truth=LABEL, extra_info={})["score"] == 0.0
    assert config["reward"]["reward_manager"]["name"] == "naive"


def test_verl_sandboxes_default_to_the_nodes_cpus_per_reward_actor(monkeypatch):
    """verl >= 0.7.1 runs reward.num_workers reward-loop actors round-robin over the CPU nodes, each with its own
    engine: each takes the node's CPUs / the actors on it (Ray's counts). A stand-in for Ray here;
    tests/test_verl_real.py counts a real RewardLoopManager's sandboxes."""
    from types import SimpleNamespace

    from codereward.integrations.verl import default_workers

    def fake_ray(actor, n_nodes, cpus):
        context = SimpleNamespace(get_actor_id=lambda: actor, get_node_id=lambda: "n1")
        nodes = [{"NodeID": f"n{i}", "Alive": True, "Resources": {"CPU": cpus}} for i in range(n_nodes)]
        nodes.append({"NodeID": "gone", "Alive": False, "Resources": {"CPU": 64.0}})  # not counted, as in verl
        return SimpleNamespace(is_initialized=lambda: True, get_runtime_context=lambda: context, nodes=lambda: nodes)

    monkeypatch.delitem(sys.modules, "ray", raising=False)
    assert default_workers(8) is None  # no Ray: the shared default (one per CPU)
    for actor, n_nodes, cpus, reward_workers, expected in [
            ("a", 2, 64.0, 8, 16),     # 8 actors over 2 nodes: 4 per node
            ("a", 2, 64.0, None, 16),  # reward_workers not passed: verl's default, 8
            ("a", 3, 64.0, 8, 21),     # ceil(8 / 3) = 3 on the busiest node
            ("a", 1, 4.0, 8, 1),       # never fewer than one
            (None, 1, 64.0, 8, None)]:  # the driver, not an actor
        monkeypatch.setitem(sys.modules, "ray", fake_ray(actor, n_nodes, cpus))
        assert default_workers(reward_workers) == expected, (actor, n_nodes, cpus, reward_workers)


def test_shared_engine_default_workers_yield_to_codereward_workers(monkeypatch):
    """An adapter's default sandbox count applies to the local backend when CODEREWARD_WORKERS is unset."""
    assert _shared._env_engine_options(lambda: 3)[1]["workers"] == 2  # the module fixture's CODEREWARD_WORKERS
    monkeypatch.delenv("CODEREWARD_WORKERS")
    assert _shared._env_engine_options(lambda: 3)[1]["workers"] == 3
    assert "workers" not in _shared._env_engine_options(lambda: None)[1]  # the pool's default: one per CPU
    assert "workers" not in _shared._env_engine_options()[1]
    monkeypatch.setenv("CODEREWARD_BACKEND", "ray")  # its workers count per node: not the adapter's to divide
    assert "workers" not in _shared._env_engine_options(lambda: 3)[1]


def test_verl_legacy_batch_manager_call():
    """verl <= 0.6 (or 0.7.0 with reward_model.use_reward_loop=False): BatchRewardManager, one call per batch."""
    np = pytest.importorskip("numpy")
    raw = load_file(ROOT / "examples" / "verl" / "reward.py", "custom_module").compute_score_batch
    # verl passes non_tensor_batch columns: numpy object arrays; ground truths a list from reward_model dicts.
    reward_model = np.array([{"ground_truth": LABEL}, {"ground_truth": LABEL}, {"ground_truth": STDIO_LABEL}],
                            dtype=object)
    scores = raw(data_sources=np.array(["a", "b", "c"], dtype=object), solution_strs=[GOOD, BAD, "print(4)"],
                 ground_truths=[item.get("ground_truth", None) for item in reward_model],
                 extra_infos=[{"rollout_reward_scores": {}} for _ in range(3)], reward="binary")
    assert [s["score"] for s in scores] == [1.0, 0.0, 0.0]


def test_verl_async_reward_loop_call():
    raw = load_file(ROOT / "examples" / "verl" / "reward.py", "custom_module").compute_score_async
    assert asyncio.iscoroutinefunction(raw)

    async def run():
        return await asyncio.gather(*[
            raw(data_source="x", solution_str=GOOD, ground_truth=LABEL, extra_info={}) for _ in range(4)])

    assert [o["score"] for o in asyncio.run(run())] == [1.0] * 4


def test_verl_label_from_parquet_numpy():
    np = pytest.importorskip("numpy")
    from codereward.integrations.verl import compute_score

    gt = {"inputs": np.array(["1 2\n"], dtype=object), "outputs": np.array(["3\n"], dtype=object)}
    assert compute_score("x", "print(3)", gt)["score"] == 1.0


def test_verl_infra_error_raises_by_default_or_uses_the_given_score(monkeypatch):
    from codereward.integrations.verl import compute_score, compute_score_batch

    with pytest.raises(InfraError, match="CODEREWARD_ON_ERROR"):
        compute_score("x", "def f(x):\n    return 1\n", BROKEN)
    out = compute_score("x", "def f(x):\n    return 1\n", BROKEN, on_error=-1.0)
    assert out["score"] == -1.0 and out["infra_error"] == 1.0 and out["status"] == "error"
    monkeypatch.setenv("CODEREWARD_ON_ERROR", "0.25")
    assert [s["score"] for s in compute_score_batch(["x"] * 2, [GOOD, GOOD], [BROKEN, LABEL])] == [0.25, 1.0]


def test_verl_bad_label_is_an_input_error():
    from codereward.integrations.verl import compute_score

    with pytest.raises(InputError, match="inputs"):
        compute_score("x", GOOD, json.dumps({"inputs": "oops", "outputs": []}))


def test_verl_prepare_data_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"prompt": "add", "ground_truth": json.loads(LABEL)}) + "\n")
    out = tmp_path / "train.parquet"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "verl" / "prepare_data.py"), str(rows), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    row = pd.read_parquet(out).iloc[0]
    from codereward.integrations.verl import compute_score

    result = compute_score(row["data_source"], GOOD, row["reward_model"]["ground_truth"], row["extra_info"])
    assert result["score"] == 1.0


# -- OpenRLHF ----------------------------------------------------------------------------------------------

QWEN_PROMPT = "<|im_start|>user\nWrite add(a, b).<|im_end|>\n<|im_start|>assistant\n"


def openrlhf_sample(reward_func, query: str, prompt: str, label):
    """SingleTurnAgentExecutor + samples_generator, reduced to what touches the reward."""
    torch = pytest.importorskip("torch")

    async def fetch():
        return await asyncio.gather(asyncio.to_thread(reward_func, [query], [prompt], [label]))

    info = asyncio.run(fetch())[0]
    score = info.get("scores")
    if score is None:
        score = info.get("rewards")
    logs = {k: torch.tensor([v.flatten()[0].item() if isinstance(v, torch.Tensor) else v])
            for k, v in (info.get("extra_logs") or {}).items()}
    return torch.tensor([info["rewards"]]), torch.tensor([score]), logs


def test_openrlhf_remote_rm_file():
    reward_func = load_file(ROOT / "examples" / "openrlhf" / "reward_func.py", "reward_func").reward_func
    for response, expected in [(GOOD, 1.0), (BAD, 0.0)]:
        query = "<|endoftext|>" + QWEN_PROMPT + response + "<|im_end|>"
        reward, score, logs = openrlhf_sample(reward_func, query, QWEN_PROMPT, LABEL)
        assert reward.tolist() == [expected] and score.tolist() == [expected]
        assert logs["codereward_passed"].tolist() == [expected]
        assert logs["codereward_infra_error"].tolist() == [0.0]


def test_openrlhf_batch_call_and_bare_code():
    torch = pytest.importorskip("torch")
    from codereward.integrations.openrlhf import reward_func

    # Older OpenRLHF calls once per batch; an answer without a fence runs as it is (after <|im_end|> is cut).
    queries = [QWEN_PROMPT + GOOD + "<|im_end|>", QWEN_PROMPT + BAD, QWEN_PROMPT + "print(3)\n<|im_end|>"]
    out = reward_func(queries, [QWEN_PROMPT] * 3, [LABEL, LABEL, STDIO_LABEL], reward="fraction")
    assert isinstance(out["rewards"], torch.Tensor)
    assert out["rewards"].tolist() == [1.0, 0.5, 1.0]
    assert out["extra_logs"]["codereward_test_pass_rate"].tolist() == [1.0, 0.5, 1.0]


def test_openrlhf_infra_error_stops_training_or_scores_the_given_number_with_a_nan_score(caplog):
    import math

    from codereward.integrations.openrlhf import reward_func

    # OpenRLHF swallows every Exception from reward_func (the sample would have no reward and the step would fail
    # later, elsewhere): StopTraining is a BaseException, which it passes on.
    assert not issubclass(StopTraining, Exception)
    with pytest.raises(StopTraining, match="broken"):
        reward_func(["def f(x): return 1"], [""], [BROKEN])
    assert any(r.levelname == "ERROR" and "could not be scored" in r.getMessage() for r in caplog.records)
    out = reward_func(["def f(x): return 1"], [""], [BROKEN], on_error=0.0)
    assert out["rewards"].tolist() == [0.0] and out["extra_logs"]["codereward_infra_error"].tolist() == [1.0]
    assert math.isnan(out["scores"].item())  # outside every --algo.dynamic_filtering_range: the group is dropped


@pytest.mark.parametrize("label", ["", "  ", None])
def test_openrlhf_empty_label_names_the_flag_whatever_on_error_says(label):
    from codereward.integrations.openrlhf import reward_func

    with pytest.raises(StopTraining, match="--data.label_key"):
        reward_func([QWEN_PROMPT + GOOD], [QWEN_PROMPT], [label], on_error=0.0)
    with pytest.raises(StopTraining, match="label") as bad:
        reward_func([QWEN_PROMPT + GOOD], [QWEN_PROMPT], ["[]"], on_error=0.0)
    assert isinstance(bad.value.__cause__, InputError)


def test_openrlhf_retries_a_sandbox_failure_on_a_fresh_sandbox(monkeypatch):
    from codereward.integrations import openrlhf
    from codereward.judge.verdict import sandbox_error

    engine = _shared.shared_engine()
    real, failures = engine.run_many, {"left": 0}

    def flaky(pairs, **kw):  # the first `left` executions meet a broken sandbox
        if failures["left"]:
            failures["left"] -= 1
            return [sandbox_error(task.id, "sandbox failure: worker died") for task, _ in pairs]
        return real(pairs, **kw)

    monkeypatch.setattr(engine, "run_many", flaky)
    monkeypatch.setattr(openrlhf, "RETRY_PAUSE", 0.01)
    query = QWEN_PROMPT + GOOD + "<|im_end|>"
    failures["left"] = openrlhf.RETRIES
    assert openrlhf.reward_func([query], [QWEN_PROMPT], [LABEL])["rewards"].tolist() == [1.0]
    failures["left"] = openrlhf.RETRIES + 1
    with pytest.raises(StopTraining, match="sandbox failed"):
        openrlhf.reward_func([query], [QWEN_PROMPT], [LABEL])
    failures["left"] = 1
    assert openrlhf.reward_func([query], [QWEN_PROMPT], [LABEL], retries=0, on_error=-1)["rewards"].tolist() == [-1]


def test_openrlhf_sandboxes_default_to_the_nodes_cpus_per_gpu_inside_a_ray_actor(monkeypatch):
    """OpenRLHF runs the reward function in each vLLM engine actor, at most one per GPU: each takes the node's
    CPUs / GPUs (Ray's counts). A stand-in for Ray here; tests/test_openrlhf_real.py asks a real Ray actor."""
    from types import SimpleNamespace

    from codereward.integrations.openrlhf import default_workers

    def fake_ray(actor, cpus, gpus):
        context = SimpleNamespace(get_actor_id=lambda: actor, get_node_id=lambda: "n1")
        nodes = [{"NodeID": "n0", "Resources": {"CPU": 8.0}},
                 {"NodeID": "n1", "Resources": {"CPU": cpus, **({"GPU": gpus} if gpus else {})}}]
        return SimpleNamespace(is_initialized=lambda: True, get_runtime_context=lambda: context, nodes=lambda: nodes)

    monkeypatch.delitem(sys.modules, "ray", raising=False)
    assert default_workers() is None  # no Ray: the shared default (one per CPU)
    for actor, cpus, gpus, expected in [("a1", 96.0, 8.0, 12), ("a1", 4.0, 8.0, 1), ("a1", 96.0, 0, None),
                                        (None, 96.0, 8.0, None)]:  # None: the driver, not an engine actor
        monkeypatch.setitem(sys.modules, "ray", fake_ray(actor, cpus, gpus))
        assert default_workers() == expected, (actor, cpus, gpus)


@pytest.mark.parametrize(("query", "prompt", "response"), [
    ("<s>PROMPT answer</s>", "PROMPT", " answer"),
    ("PROMPTcode<|im_end|><|endoftext|>", "PROMPT", "code"),
    ("PROMPTcode<｜end▁of▁sentence｜>", "PROMPT", "code"),
    ("other text<|eot_id|>", "PROMPT", "other text"),  # prompt not found: the whole query
    ("<s>PROMPTsee PROMPT above<|im_end|>", "PROMPT", "see PROMPT above"),  # the first one is the prompt
    ("code<|im_end|>", None, "code"),  # /get_reward without `prompts`
])
def test_openrlhf_response_text(query, prompt, response):
    assert response_text(query, prompt) == response


# -- TRL (the function itself; tests/test_trl.py runs it in a real GRPOTrainer) -----------------------------


def test_trl_reward_conversational_and_none_for_infra_errors():
    fn = codereward_reward()
    completions = [[{"role": "assistant", "content": GOOD}], [{"role": "assistant", "content": BAD}],
                   [{"role": "assistant", "content": "def f(x):\n    return 1\n"}]]
    logged: dict = {}
    extra: dict = {}
    out = fn(prompts=[[{"role": "user", "content": "q"}]] * 3, completions=completions, completion_ids=[[1]] * 3,
             ground_truth=[LABEL, LABEL, BROKEN], task_id=["a", "b", "c"], trainer_state=None,
             log_metric=lambda k, v: logged.__setitem__(k, v), log_extra=lambda k, v: extra.__setitem__(k, v))
    assert out == [1.0, 0.0, None]
    assert fn.__name__ == "codereward_binary"
    assert logged == {"codereward/passed": pytest.approx(1 / 3), "codereward/test_pass_rate": pytest.approx(0.5),
                      "codereward/infra_errors": 1.0, "codereward/flagged": 0.0}
    assert extra == {"codereward_status": ["passed", "failed", "error"]}


def test_trl_task_id_column_and_missing_column():
    from codereward import load_dataset

    fn = codereward_reward(label_column="task_id", tasks=load_dataset("humaneval"), reward="fraction", name="he")
    solution = "```python\ndef truncate_number(number: float) -> float:\n    return number % 1.0\n```"
    assert fn(prompts=["p"], completions=[solution], task_id=["HumanEval/2"]) == [1.0]
    assert fn.__name__ == "he"
    with pytest.raises(InputError, match="no column 'task_id'"):
        fn(prompts=["p"], completions=[solution], ground_truth=["x"])


def test_trl_async_variant():
    fn = codereward_reward(is_async=True)
    # an async callable object, as TRL (>= 1.9: trl.trainer.utils.is_async_callable) detects one
    assert asyncio.iscoroutinefunction(type(fn).__call__) and not asyncio.iscoroutinefunction(codereward_reward())
    assert asyncio.run(fn(prompts=["p", "p"], completions=[GOOD, BAD], ground_truth=[LABEL, LABEL])) == [1.0, 0.0]


# -- group shapers, through every adapter ------------------------------------------------------------------


class Centered:
    """A group shaper: each result's binary reward minus its group's mean (GRPO's advantage, for the test)."""

    name = "centered"

    def __call__(self, results, context):
        from collections import defaultdict

        groups = context.groups if context.groups is not None else list(range(len(results)))
        by_group = defaultdict(list)
        for g, r in zip(groups, results):
            by_group[g].append(1.0 if r.passed else 0.0)
        return [(1.0 if r.passed else 0.0) - sum(by_group[g]) / len(by_group[g]) for g, r in zip(groups, results)]


def test_a_group_shaper_sees_each_prompts_completions_as_one_group():
    """The rewards are shaped at the edge, over the batch: TRL's completions of one prompt are one group."""
    fn = codereward_reward(reward=Centered())
    out = fn(prompts=["p1", "p1", "p2", "p2"], completions=[GOOD, BAD, GOOD, GOOD], ground_truth=[LABEL] * 4)
    assert out == [0.5, -0.5, 0.0, 0.0] and fn.__name__ == "codereward_centered"


def test_openrlhf_batches_group_by_prompt_and_verl_takes_a_shaper():
    from codereward.integrations.openrlhf import reward_func
    from codereward.integrations.verl import compute_score_batch

    out = reward_func(["p1" + GOOD, "p1" + BAD, "p2" + BAD], ["p1", "p1", "p2"], [LABEL] * 3, reward=Centered())
    assert out["rewards"].tolist() == [0.5, -0.5, 0.0]
    scores = compute_score_batch(["x"] * 2, [GOOD, BAD], [LABEL, LABEL], reward="fraction")
    assert [s["score"] for s in scores] == [1.0, 0.5]


def test_reward_specs_through_the_adapters():
    """verpo groups TRL's completions by prompt; checked reads each completion (no code, compile error)."""
    from codereward.integrations.openrlhf import reward_func
    from codereward.integrations.verl import compute_score

    # p1: GOOD passes both tests, BAD the first only (passed by 2 of 2: w = 1/4; the second by 1: w = 1/2).
    fn = codereward_reward(reward="verpo")
    assert fn(prompts=["p1", "p1"], completions=[GOOD, BAD], ground_truth=[LABEL] * 2) == pytest.approx(
        [1.0, 0.5 * 0.25 / 0.75])
    assert fn.__name__ == "codereward_verpo"
    no_code = "I would write it in Haskell:\n```haskell\nadd = (+)\n```"  # a language codereward does not run
    does_not_compile = "```python\ndef add(a, b)\n    return a + b\n```"
    checked = codereward_reward(reward="checked:base=fraction")
    assert checked(prompts=["p"] * 3, completions=[BAD, no_code, does_not_compile],
                   ground_truth=[LABEL] * 3) == pytest.approx([0.5, -1.0, -0.5])
    out = reward_func(["p" + GOOD, "p" + no_code], ["p", "p"], [LABEL] * 2, reward="checked")
    assert out["rewards"].tolist() == [1.0, -1.0]
    # verl scores one sample per call: a window keeps the task's recent rollouts (same label, same task).
    window = "verpo:window=4"
    assert compute_score("x", GOOD, LABEL, reward=window)["score"] == 1.0
    assert compute_score("x", BAD, LABEL, reward=window)["score"] == pytest.approx(0.5 * 0.25 / 0.75)


def test_trl_ranks_on_a_node_share_its_cpus(monkeypatch):
    """TRL calls the reward function in every rank: with LOCAL_WORLD_SIZE ranks on a node (accelerate,
    torchrun), each rank's engine takes its share of the CPUs unless CODEREWARD_WORKERS says otherwise."""
    import os

    from codereward.integrations.trl import default_workers

    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert default_workers() is None  # one process: the pool's own default (the CPU count)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert default_workers() == 4
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "32")
    assert default_workers() == 1
    monkeypatch.setenv("CODEREWARD_WORKERS", "3")
    assert _shared._env_engine_options(default_workers)[1]["workers"] == 3  # the variable wins
