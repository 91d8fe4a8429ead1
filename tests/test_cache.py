"""Result cache: keys, storage, error results never stored, concurrency (threads and processes), Engine hook."""

from __future__ import annotations

import multiprocessing
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from codereward import Engine, ErrorCause, Outcome, Result, Status, Task, TestResult
from codereward.cache import ResultCache

ADD = Task.model_validate({
    "id": "demo/add", "entry_point": "add",
    "tests": {"kind": "assert", "code": "def check(candidate):\n    assert candidate(1, 2) == 3\n"
                                        "    assert candidate(2, 2) == 4\n"}})
GOOD = "def add(a, b):\n    return a + b\n"
BASE = {"time_limit": 3.0, "settings": "fail_fast=False;audit=True"}


def _result(status: Status = Status.PASSED, task_id: str = "demo/add") -> Result:
    return Result(task_id=task_id, status=status,
                  tests=[TestResult("t0", Outcome.PASSED, 0.001, 100, "", True)], time=0.01, memory_kb=100)


@pytest.fixture
def cache(tmp_path):
    with ResultCache(tmp_path / "cache.sqlite") as c:
        yield c


@pytest.mark.parametrize("change", [
    {"task": ADD.model_copy(update={"limits": ADD.limits.model_copy(update={"memory_mb": 512})})},
    {"task": Task.model_validate({**ADD.model_dump(), "tests": {"kind": "assert",
                                                                "code": "def check(c):\n    assert c(1, 1) == 2\n"}})},
    {"task": ADD.model_copy(update={"id": "demo/add2"})},
    {"program": GOOD + "# other\n"},
    {"time_limit": 3.5},
    {"settings": "fail_fast=True;audit=True"},
])
def test_every_component_changes_the_key(cache, change):
    args = {"task": ADD, "program": GOOD, **BASE}
    base = cache.key(args["task"], args["program"], **{k: args[k] for k in BASE})
    args.update(change)
    assert cache.key(args["task"], args["program"], **{k: args[k] for k in BASE}) != base


def test_key_is_stable_for_equal_content(cache):
    copy = Task.model_validate(ADD.model_dump())
    assert cache.key(ADD, GOOD, **BASE) == cache.key(copy, GOOD, **BASE)


def test_round_trip_and_counts(cache):
    key = cache.key(ADD, GOOD, **BASE)
    assert cache.get(key) is None
    cache.put(key, _result())
    hit = cache.get(key)
    assert hit is not None and hit.to_dict() == _result().to_dict()
    assert (cache.hits, cache.misses) == (1, 1)
    assert len(cache) == 1


def test_error_results_are_never_stored(cache):
    key = cache.key(ADD, GOOD, **BASE)
    cache.put(key, _result(Status.ERROR))
    assert cache.get(key) is None and len(cache) == 0


def test_survives_reopening(tmp_path):
    path = tmp_path / "c.sqlite"
    with ResultCache(path) as c:
        c.put(c.key(ADD, GOOD, **BASE), _result())
    with ResultCache(path) as c:
        assert c.get(c.key(ADD, GOOD, **BASE)) is not None


def test_threads_share_one_cache(cache):
    def work(i: int) -> None:
        key = cache.key(ADD, f"{GOOD}# {i}\n", **BASE)
        cache.put(key, _result())
        assert cache.get(key) is not None

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(200)))
    assert len(cache) == 200 and cache.hits == 200 and cache.errors == 0


def _writer(path: str, start: int) -> int:
    with ResultCache(path) as c:
        for i in range(start, start + 100):
            c.put(c.key(ADD, f"{GOOD}# {i}\n", **BASE), _result())
        return c.errors


def test_processes_share_one_file(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    ResultCache(path).close()
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        errors = pool.starmap(_writer, [(path, k * 100) for k in range(4)])
    assert errors == [0, 0, 0, 0]
    with ResultCache(path) as c:
        assert len(c) == 400
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_broken_cache_is_a_miss_not_a_failure(cache):
    cache.close()
    assert cache.get("anything") is None  # closed: counted as an error and a miss
    assert cache.errors == 1 and cache.misses == 1


def test_engine_answers_repeats_from_the_cache(cache):
    bad = "def add(a, b):\n    return 3\n"
    with Engine(workers=1, cache=cache) as engine:
        first = [engine.check(ADD, solution=p) for p in (GOOD, bad)]
        assert engine.stats["executions"] == 2 and engine.stats["cache_misses"] == 2
        again = [engine.check(ADD, solution=p) for p in (GOOD, bad)]
        assert engine.stats["executions"] == 2 and engine.stats["cache_hits"] == 2
    assert [r.to_dict() for r in again] == [r.to_dict() for r in first]
    assert [r.status for r in again] == [Status.PASSED, Status.FAILED]


def test_engine_does_not_cache_errors_and_reports_a_broken_task_once(cache):
    # A test suite that cannot even be loaded is the task's fault, not the candidate's: status error, cause
    # task. The engine remembers it (one execution showed it), so the next sample is told without running.
    broken = Task.model_validate({"id": "demo/broken", "entry_point": "add",
                                  "tests": {"kind": "assert", "code": "def check(candidate):\n    assert (\n"}})
    with Engine(workers=1, cache=cache) as engine:
        r1 = engine.check(broken, solution=GOOD)
        r2 = engine.check(broken, solution=GOOD + "# another\n")
        assert [r1.status, r2.status] == [Status.ERROR] * 2 and r1.cause is r2.cause is ErrorCause.TASK
        assert "SyntaxError" in r1.reason and r2.reason == r1.reason
        assert engine.stats["cache_hits"] == 0 and engine.stats["executions"] == 1
        assert engine.stats["task_errors"] == 2
    assert len(cache) == 0


@pytest.mark.parametrize("first,second", [
    ({"packages": ()}, {"packages": ("numpy",)}),
    ({"isolation": "none"}, {"isolation": "bwrap"}),
])
def test_a_shared_cache_never_replays_a_verdict_across_sandbox_settings(cache, first, second, recwarn):
    """Whether `import numpy` works depends on the pool's packages; what a program sees of the machine, on
    its isolation. Both key the cache, so one configuration's verdicts never answer another's."""
    probe = Task.model_validate({"id": "demo/probe", "entry_point": "f", "tests": {"kind": "assert", "code": (
        "def check(candidate):\n    assert candidate() == 1\n")}})
    program = ("def f():\n    try:\n        import numpy\n    except ImportError:\n        return 0\n"
               "    import os\n    return 1 if os.path.exists('/opt/codereward') or os.getuid() != 0 else 1\n")
    results = []
    for options in (first, second):
        with Engine(workers=1, cache=cache, **options) as engine:
            results.append(engine.check(probe, solution=program))
            assert engine.stats["cache_hits"] == 0
    assert len(cache) == 2
    if "packages" in first:
        assert [r.status for r in results] == [Status.FAILED, Status.PASSED]


def test_inf_and_nan_tasks_do_not_share_a_key(tmp_path) -> None:
    def task(x: float) -> Task:
        return Task.model_validate({"id": "x", "entry_point": "f",
                                    "tests": {"kind": "call", "cases": [{"args": [x], "expected": 1}]}})

    assert task(float("inf")).digest() != task(float("nan")).digest()
    assert task(1.0).digest() == task(1.0).digest()


# -- task preparations kept in the file -------------------------------------------------------------------

CALL_TASK = {"id": "demo/double", "entry_point": "f", "reference": "def f(x):\n    return x * 2\n",
             "limits": {"time": 10.0, "per_test": {"factor": 4.0, "floor": 0.5}},
             "tests": {"kind": "call", "cases": [{"args": [i]} for i in range(20)]}}


def test_a_tasks_preparation_is_measured_once_per_cache_file(tmp_path):
    """Expected outputs, the calibrated limit and the per-test limits come from the reference's runs: a later
    engine on the same file (the next epoch, another server process) runs none of them again."""
    task = Task.model_validate(CALL_TASK)
    path = tmp_path / "c.sqlite"
    prepared = []
    for _ in range(2):
        with ResultCache(path) as cache, Engine(workers=1, time_limit="auto", cache=cache) as e:
            prepared.append(e.prep.get(task))
            runs = e.stats["executions"]
            r = e.run(task, "def f(x):\n    return x * 2 if x != 7 else 0\n")
            assert r.tests[7].outcome is Outcome.WRONG_ANSWER and r.n_passed == 19  # expectations came back
            assert e.prep.outputs_known(task) == [2 * i for i in range(20)]
        assert runs == (2 if not prepared[1:] else 0)  # outputs (collect) + calibration, then nothing
    assert prepared[0] == prepared[1] and prepared[1].test_times is not None


def test_a_preparation_is_not_shared_across_settings_that_change_it(tmp_path):
    task = Task.model_validate(CALL_TASK)
    with ResultCache(tmp_path / "c.sqlite") as cache:
        with Engine(workers=1, time_limit="auto", cache=cache) as e:
            e.prep.get(task)
        with Engine(workers=1, cache=cache) as e:  # the task's own limit: no calibration in the document
            e.prep.get(task)
            assert e.stats["executions"] == 1 and e.prep.get(task).time_limit == 10.0


def test_an_unreadable_preparation_is_measured_again(tmp_path):
    task = Task.model_validate(CALL_TASK)
    path = tmp_path / "c.sqlite"
    with ResultCache(path) as cache, Engine(workers=1, time_limit="auto", cache=cache) as e:
        e.prep.get(task)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE preparations SET prep = ?", ('{"outputs": "not wire", "wall": "x"}',))
    with ResultCache(path) as cache, Engine(workers=1, time_limit="auto", cache=cache) as e:
        assert e.prep.get(task).time_limit >= 0.25 and e.stats["executions"] == 2
