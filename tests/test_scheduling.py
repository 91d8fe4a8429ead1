"""Scheduling: every sample runs exactly once, a task's runs stay on the sandbox holding its judge, and
results still come back in input order."""

from __future__ import annotations

import threading
import time

import pytest

from codereward import Engine, Sample, Status, load_dataset, score
from codereward.scheduling import Duplicates, IdleWorkers, SampleOrder


def drain(order: SampleOrder, last=None, keys=None) -> list[int]:
    out = []
    while (i := order.next(last)) is not None:
        out.append(i)
        last = keys[i] if keys is not None else None
    return out


def test_a_runner_stays_on_its_task_in_human_eval_order():
    keys = ["a", "b", "c"] * 4  # human-eval's order: every task once, four times over
    assert drain(SampleOrder(keys), keys=keys) == [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]


def test_a_runner_done_with_its_task_takes_the_oldest_unstarted_sample():
    keys = ["a", "b", "a", "c"]
    assert drain(SampleOrder(keys), keys=keys) == [0, 2, 1, 3]


def test_a_second_runner_does_not_wait_on_a_task_another_is_opening():
    """A task's first sample prepares it (reference runs, calibration): a second runner takes the next task
    instead of waiting for that; once the first sample is done, the task's samples are anyone's."""
    keys = ["a", "a", "a", "b", "b", "c"]
    order = SampleOrder(keys)
    assert order.next() == 0  # runner 1 opens a
    assert order.next() == 3  # runner 2: a is being opened, b is not
    assert order.next() == 5  # runner 3: c
    assert order.next() == 1  # runner 4: every task is being opened: it waits on the oldest
    assert order.next("a") == 2  # runner 1's first sample of a is done: a is open to all
    assert order.next("b") == 4


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
    with Engine(workers=2, dedupe=False) as engine:  # the copies must run: they are what is scheduled here
        results = engine.evaluate(tasks, samples)
        judges = sum(len(w._templates) for w in engine.executor.workers)
    assert [r.task_id for r in results] == [s.task_id for s in samples]
    assert [r.status for r in results] == expect
    # A plain first-come queue gives nearly every task a judge in both sandboxes (~60 here).
    assert judges <= len(ids) + 3, judges


def test_duplicates_lead_with_the_first_of_each_key_and_copies_get_their_own_result():
    keys = [("a", "p"), ("b", "p"), ("a", "p"), ("a", "q"), ("a", "p"), ("b", "p")]
    d = Duplicates(keys)
    assert d.leaders == [0, 1, 3]
    assert d.copies == {0: [2, 4], 1: [5]} and d.n_copies == 3
    assert Duplicates(range(4)).leaders == [0, 1, 2, 3]  # distinct keys: everything runs
    from codereward import Outcome, Result, TestResult

    first = Result("a", Status.FAILED, [TestResult("t0", Outcome.WRONG_ANSWER, detail="x")], reward=0.0,
                   completion_id=0, flags=[])
    copy = Duplicates.share(first, 0, 7)
    assert (copy.duplicate_of, copy.completion_id, copy.reward) == (0, 7, 0.0)
    assert copy.to_dict()["duplicate_of"] == 0 and "duplicate_of" not in first.to_dict()
    copy.tests[0].detail = "edited"
    copy.flags.append("edited")
    assert first.tests[0].detail == "x" and first.flags == []  # the leader's result is not shared by reference


def test_engine_runs_each_distinct_program_once_and_marks_the_copies():
    """Exact copies (same task, same program) share the first one's verdict, marked duplicate_of; a program
    that differs by a byte, or the same program for another task, runs on its own."""
    tasks = load_dataset("humaneval")
    t0, t1 = tasks["HumanEval/0"], tasks["HumanEval/1"]
    right, wrong = t0.reference, t0.prompt + "    return None\n"
    samples = [Sample(task_id=t0.id, solution=right, completion_id=0),
               Sample(task_id=t0.id, solution=wrong, completion_id=1),
               Sample(task_id=t0.id, solution=right, completion_id=2),
               Sample(task_id=t0.id, solution=right + "\n", completion_id=3),  # one byte more: not a copy
               Sample(task_id=t1.id, solution=right, completion_id=0),  # t0's program for t1: not a copy
               Sample(task_id=t0.id, solution=wrong, completion_id=4)]
    seen: list[int] = []
    with Engine(workers=2) as engine:
        results = engine.evaluate(tasks, samples, on_result=lambda i, r: seen.append(i))
        stats = dict(engine.stats)
    assert sorted(seen) == list(range(len(samples)))
    assert [r.status for r in results] == [Status.PASSED, Status.FAILED, Status.PASSED, Status.PASSED,
                                           Status.FAILED, Status.FAILED]
    assert [r.duplicate_of for r in results] == [None, None, 0, None, None, 1]
    assert [r.completion_id for r in results] == [0, 1, 2, 3, 0, 4]
    assert results[2].tests is not results[0].tests
    assert (stats["executions"], stats["duplicates"]) == (4, 2)
    with Engine(workers=2, dedupe=False) as engine:
        again = engine.evaluate(tasks, samples)
        assert engine.stats["executions"] == len(samples)
    assert [r.status for r in again] == [r.status for r in results]
    assert all(r.duplicate_of is None for r in again)


def test_a_program_that_is_not_python_fails_on_the_host_exactly_as_in_the_sandbox():
    """evaluate compiles each program first: a SyntaxError is failed without a sandbox (the host planned the
    task's tests, so it knows their names and ids), with the very result the sandbox gives (check() always
    runs one). Errors that depend on the process meeting them (RecursionError, MemoryError) still go to the
    sandbox."""
    tasks = load_dataset("humaneval")
    task = tasks["HumanEval/2"]
    broken = [task.prompt + "    return (\n", task.prompt + "  return 1\n     return 2\n",
              "def truncate_number(number:\n"]
    deep = "x = " + "-" * 100000 + "1\n"  # the parser runs out of memory: not decided on the host
    samples = [Sample(task_id=task.id, solution=p) for p in [task.reference, *broken, deep]]
    with Engine(workers=1) as engine:
        results = engine.evaluate(tasks, samples)
        on_host = engine.stats["decided_on_host"]
        in_sandbox = [engine.check(task, solution=p) for p in broken]
        assert engine.stats["decided_on_host"] == on_host  # check() never skips the sandbox
    assert on_host == len(broken)
    assert results[0].status is Status.PASSED
    for host, sandbox in zip(results[1:], in_sandbox):
        assert host.status is sandbox.status is Status.FAILED
        assert [(t.name, t.outcome.value, t.detail, t.visible, t.id, t.cause) for t in host.tests] == \
               [(t.name, t.outcome.value, t.detail, t.visible, t.id, t.cause) for t in sandbox.tests]
        assert host.tests[0].outcome.value == "compile_error" and "Error" in host.tests[0].detail
        assert score([host]) == score([sandbox]) == [0.0]
        assert sorted(map(repr, host.flags)) == sorted(map(repr, sandbox.flags))
    assert results[-1].status is Status.FAILED and results[-1].tests[0].outcome.value == "compile_error"
