"""The Ray backend on a local single-node Ray cluster: one Engine over a RayPool gives the same results as
over the local pool, and an actor killed mid-batch gives retried results or `error`, never a silent failure.

Skipped only when ray is not installed (`pip install 'codereward[ray]'`); CI installs it, so it runs there.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

from codereward import (
    CallCase,
    CallSuite,
    Engine,
    ErrorCause,
    Result,
    Sample,
    Status,
    StdioCase,
    StdioSuite,
    Task,
    create_engine,
    load_humaneval,
    score,
)

ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'codereward[ray]' to test the Ray backend")

from codereward.backends.ray import RayPool  # noqa: E402 — imports ray: only once we know it is there

pytestmark = pytest.mark.timeout(180)

N_TASKS = 24  # HumanEval tasks in the comparison: canonical and wrong completions of each


@pytest.fixture(scope="module")
def ray_cluster():
    # "local": never join a cluster someone else started on this machine; 2 CPUs is the CI box.
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def humaneval() -> dict[str, Task]:
    return load_humaneval()


def canonical(task: Task) -> str:
    assert task.reference is not None and task.prompt is not None
    return task.reference[len(task.prompt):]


def custom_tasks() -> dict[str, Task]:
    """A call suite whose expected outputs come from the reference (computed on the node), and a stdio one."""
    sq = Task(id="demo/sq", entry_point="sq", reference="def sq(x):\n    return x * x\n",
              tests=CallSuite(cases=[CallCase(args=[3], expected=9), CallCase.model_validate({"args": [4]}),
                                     CallCase.model_validate({"args": [1.5], "visible": False})]))
    echo = Task(id="demo/add", tests=StdioSuite(comparator="tokens", cases=[
        StdioCase(stdin="1 2\n", stdout="3\n"), StdioCase(stdin="5 5\n", stdout="10\n")]))
    return {t.id: t for t in (sq, echo)}


def workload(humaneval: dict[str, Task]) -> tuple[dict[str, Task], list[Sample]]:
    tasks = {**humaneval, **custom_tasks()}
    ids = list(humaneval)[:N_TASKS]
    samples = [Sample(task_id=tid, completion=canonical(tasks[tid]), completion_id=0) for tid in ids]
    samples += [Sample(task_id=tid, completion="    return None\n", completion_id=1) for tid in ids]
    samples += [
        Sample(task_id="HumanEval/0", completion="    while True:\n        pass\n", completion_id=2),  # time_limit
        Sample(task_id="HumanEval/2", completion="    return (\n", completion_id=2),  # compile_error
        Sample(task_id="HumanEval/4", completion="    return 1 / 0\n", completion_id=2),  # runtime_error
        Sample(task_id="demo/sq", solution="def sq(x):\n    return x * x\n", completion_id=0),
        Sample(task_id="demo/sq", solution="def sq(x):\n    return x + x\n", completion_id=1),
        Sample(task_id="demo/add", solution="a, b = map(int, input().split())\nprint(a + b)\n", completion_id=0),
        Sample(task_id="demo/add", solution="print(3)\n", completion_id=1),
        Sample(task_id="demo/sq", solution="def sq(x):\n    return x + x\n", completion_id=2),  # a copy
    ]
    return tasks, samples


def verdict(r: Result) -> tuple:
    """Everything in a result except timings and memory, which differ from run to run. Audit flags compare as
    a multiset: the local engine itself reports them in no fixed order."""
    flags = getattr(r, "flags", None)
    return (r.task_id, r.completion_id, r.duplicate_of, r.status, r.reward, r.reason,
            None if flags is None else sorted(map(repr, flags)),
            [(t.name, t.outcome, t.detail, t.visible, t.id, t.cause) for t in r.tests])


def shaped(r: Result) -> float:
    """A custom reward, shaped at the edge: the same whichever executor ran the sample."""
    return 10.0 * r.n_passed - len(r.tests)


def test_same_results_as_local_backend(ray_cluster, humaneval) -> None:
    tasks, samples = workload(humaneval)
    with Engine(workers=2) as local:
        expected = local.evaluate(tasks, samples)
        score(expected, shaped)
    seen: list[int] = []
    with create_engine("ray", workers=2) as engine:
        assert isinstance(engine.executor, RayPool)
        assert engine.n_workers == 2
        got = engine.evaluate(tasks, samples, on_result=lambda i, r: seen.append(i))
        score(got, shaped)
        stats = dict(engine.stats)
    assert sorted(seen) == list(range(len(samples)))
    assert [verdict(r) for r in got] == [verdict(r) for r in expected]
    # The workload really exercises what it claims to, so equality above is not vacuous.
    statuses = [r.status for r in got]
    assert statuses.count(Status.PASSED) == N_TASKS + 2 and Status.ERROR not in statuses
    outcomes = {t.outcome.value for r in got for t in r.tests}
    assert {"passed", "wrong_answer", "time_limit", "compile_error", "runtime_error", "skipped"} <= outcomes
    assert stats["executions"] >= len(samples) - 1 and stats["batches"] > 1 and stats["actor_deaths"] == 0
    # What the driver's engine decides, it decides once for the cluster: the copy shares its leader's
    # execution, the program that does not compile is failed on the host, and demo/sq's reference runs once
    # to compute its expected outputs.
    assert stats["duplicates"] == 1 and got[-1].duplicate_of == len(samples) - 4
    assert stats["decided_on_host"] == 1 and stats["executions"] == len(samples) - 1 - 1 + 1


def test_check_run_outputs_and_calibration(ray_cluster, humaneval) -> None:
    task = humaneval["HumanEval/0"]
    with Engine(RayPool(workers=1), fail_fast=True, time_limit="auto") as engine:
        good = engine.check(task, completion=canonical(task))
        bad = engine.check(task, completion="    return False\n")
        whole = engine.run(task, task.reference or "")
        sq = custom_tasks()["demo/sq"]
        out = engine.outputs(sq, "def sq(x):\n    return x * x + 1\n")
        executions = engine.stats["executions"]
    assert (good.status, good.completion_id, score([good], "fraction")) == (Status.PASSED, None, [1.0])
    assert good.n_tests == 7 and whole.status is Status.PASSED
    # fail_fast reached the node's sandbox: the first wrong answer stops the rest.
    assert bad.status is Status.FAILED and bad.tests[0].outcome.value == "wrong_answer"
    assert [t.outcome.value for t in bad.tests[1:]] == ["skipped"] * 6 and score([bad]) == [0.0]
    assert out.result.status is Status.PASSED and out.values == [10, 17, 3.25]  # collect mode: no comparison
    assert executions == 3 + 1 + 1  # the calibration ran the reference once, for the whole cluster


def test_result_cache_is_consulted_on_the_driver(ray_cluster, humaneval, tmp_path) -> None:
    from codereward.cache import ResultCache  # the cache layer is another module's; imported where it is used

    ids = list(humaneval)[:6]
    samples = [Sample(task_id=tid, completion=canonical(humaneval[tid]), completion_id=0) for tid in ids]
    samples.append(Sample(task_id="HumanEval/0", completion="    return None\n", completion_id=1))
    with ResultCache(tmp_path / "results.sqlite") as cache, create_engine("ray", workers=2, cache=cache) as engine:
        first = engine.evaluate(humaneval, samples)
        batches = engine.stats["batches"]
        second = engine.evaluate(humaneval, samples)
        stats = dict(engine.stats)
    assert (stats["cache_misses"], stats["cache_hits"]) == (7, 7)
    assert stats["batches"] == batches  # nothing went to the cluster the second time
    assert [verdict(r) for r in second] == [verdict(r) for r in first]


def slow_samples(humaneval: dict[str, Task], n: int) -> list[Sample]:
    """Canonical solutions that sleep 0.4 s at import: a batch of n on 2 workers takes ~n/5 s."""
    ids = list(humaneval)[:n]
    return [Sample(task_id=tid, solution="import time\ntime.sleep(0.4)\n" + (humaneval[tid].reference or ""),
                   completion_id=0) for tid in ids]


def kill_mid_batch(engine: Engine, tasks: dict[str, Task], samples: list[Sample]) -> tuple[list[Result], list]:
    """Start evaluate in a thread, kill the node actor 1 s into its batch; return results and its sandbox pids."""
    engine.start()
    [info] = engine.executor.actors()  # type: ignore[attr-defined]
    actor = ray.get_actor(info["name"])
    sandbox_pids = ray.get(actor.describe.remote())["sandbox_pids"]
    out: list[list[Result]] = []
    t = threading.Thread(target=lambda: out.append(engine.evaluate(tasks, samples)))
    t.start()
    time.sleep(1.0)  # the 12-sample batch needs ~2.4 s: it is mid-way
    ray.kill(actor)
    t.join(timeout=120)
    assert not t.is_alive() and out, "evaluate did not return after the actor was killed"
    return out[0], sandbox_pids


def gone(pids: list[int], wait: float = 10.0) -> bool:
    """The sandboxes die with their actor (bubblewrap --die-with-parent)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                alive.append(pid)
            except ProcessLookupError:
                pass
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_killed_actor_samples_are_retried_on_another_actor(ray_cluster, humaneval) -> None:
    samples = slow_samples(humaneval, 12)
    with create_engine("ray", workers=2, batch_size=6, inflight=2) as engine:
        results, pids = kill_mid_batch(engine, humaneval, samples)
        stats = dict(engine.stats)
        assert len(engine.executor.actors()) == 1  # type: ignore[attr-defined]  # the replacement took its place
    assert gone(pids), f"sandboxes of the killed actor still alive: {pids}"
    assert stats["actor_deaths"] == 1 and stats["actor_retries"] >= 6  # at least the batch the kill broke
    assert [r.status for r in results] == [Status.PASSED] * 12, [r.reason for r in results]
    assert score(results) == [1.0] * 12


@pytest.mark.slow
def test_killed_actor_without_retries_reports_error_not_failure(ray_cluster, humaneval) -> None:
    samples = slow_samples(humaneval, 12)
    with create_engine("ray", workers=2, batch_size=6, inflight=2, actor_retries=0) as engine:
        results, _ = kill_mid_batch(engine, humaneval, samples)
        after = engine.check(humaneval["HumanEval/0"], completion=canonical(humaneval["HumanEval/0"]))
    died = [r for r in results if r.status is Status.ERROR]
    assert len(died) >= 6 and {r.status for r in results} <= {Status.ERROR, Status.PASSED}  # never a failure
    assert all(r.cause is ErrorCause.SANDBOX and "died" in r.reason for r in died), died[0].reason
    assert score(died) == [None] * len(died)
    assert [r.completion_id for r in results] == [0] * 12 and [r.task_id for r in results] == list(humaneval)[:12]
    assert after.status is Status.PASSED  # the replacement actor serves later calls


def test_unknown_backend_and_bad_options() -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        create_engine("dask")
    with pytest.raises(ValueError, match="time_limit"):
        create_engine("ray", time_limit="fast")
    with pytest.raises(ValueError, match="unknown isolation"):
        RayPool(isolation="docker")


def test_run_code_works_on_the_ray_backend(ray_cluster) -> None:
    """/run_code runs through Engine.outputs, so it works on whichever executor the server has."""
    from fastapi.testclient import TestClient

    from codereward.server import ServerSettings, create_app

    with TestClient(create_app(ServerSettings(backend="ray", workers=1))) as client:
        r = client.post("/run_code", json={"code": "print(input()[::-1])", "stdin": "abc", "language": "python"})
    assert r.status_code == 200 and r.json()["status"] == "Success", r.text
    assert r.json()["run_result"]["stdout"] == "cba\n"


@pytest.mark.slow
def test_cli_eval_on_the_ray_backend(tmp_path) -> None:
    import json
    import subprocess
    import sys

    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps(s) + "\n" for s in (
        {"task_id": "HumanEval/13", "completion": "    while b:\n        a, b = b, a % b\n    return a\n"},
        {"task_id": "HumanEval/13", "completion": "    return 1\n"})))
    p = subprocess.run([sys.executable, "-m", "codereward.cli", "eval", "--backend", "ray", "--workers", "1",
                        "--samples", str(samples), "--json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    summary = json.loads(p.stdout)
    assert summary["status"] == {"passed": 1, "failed": 1}


def test_a_cluster_that_cannot_be_reached_is_an_infra_error_with_a_hint(monkeypatch) -> None:
    from codereward import InfraError

    def refuse(**kw):
        raise ConnectionError("Failed to connect: InvalidAuthToken")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # whatever this module's other tests opened
    monkeypatch.setattr(ray, "init", refuse)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    with pytest.raises(InfraError, match="RAY_AUTH_MODE=token"):
        RayPool(workers=1, address="10.0.0.1:6379").start()
