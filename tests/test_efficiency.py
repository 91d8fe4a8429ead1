"""Efficiency measured so it can be trusted: the deterministic cost (line events) does not move under load,
tampering with the meter leaves a program with no cost rather than a lower one, and only correct code gets a
ratio and an efficiency reward."""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Iterator

import pytest

from codereward import Engine, load_humaneval
from codereward.efficiency import Efficiency, acecode_reward, efficiency
from codereward.errors import UsageError
from codereward.results import Status

TASK = load_humaneval()["HumanEval/13"]
HEAD = "def greatest_common_divisor(a: int, b: int) -> int:\n"
EUCLID = HEAD + "    while b:\n        a, b = b, a % b\n    return a\n"
LOOP = (HEAD + "    g = 1\n    for d in range(1, min(a, b) + 1):\n        if a % d == 0 and b % d == 0:\n"
        "            g = d\n    return g\n")


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(workers=2) as e:
        yield e


def lines(engine: Engine, program: str) -> tuple[int | None, str]:
    out = engine.execute(TASK, program, cost="lines", time_limit=30)
    assert out.result.status is Status.PASSED, out.result
    return out.lines, out.cost_note


def test_line_events_do_not_move_under_load(engine: Engine) -> None:
    """Ten runs while a CPU-bound job loads both cores: the same count every time (CPU time wanders)."""
    hog = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        counts = [lines(engine, LOOP)[0] for _ in range(10)]
        cpu = [engine.execute(TASK, LOOP, cost="cpu").cpu for _ in range(10)]
    finally:
        for p in hog:
            p.kill()
            p.wait()
    assert len(set(counts)) == 1 and counts[0] is not None and counts[0] > 0, counts
    assert all(c is not None and c > 0 for c in cpu), cpu
    spread = (max(cpu) - min(cpu)) / statistics.median(cpu)  # reported, not asserted: it is the noise
    print(f"\nline events {counts[0]} x10; CPU seconds median {statistics.median(cpu):.6f}, spread {spread:.0%}")


def test_more_work_costs_more_lines_and_load_time_work_counts(engine: Engine) -> None:
    euclid, _ = lines(engine, EUCLID)
    loop, _ = lines(engine, LOOP)
    precomputed, _ = lines(engine, "import math\nT = {(a, b): math.gcd(a, b) for a in range(100) for b in range(100)}\n"
                                   + HEAD + "    return T.get((a, b)) or math.gcd(a, b)\n")
    assert euclid is not None and loop is not None and precomputed is not None
    assert euclid < loop < precomputed  # a table built at import is paid for at import


@pytest.mark.parametrize("wait", ["    time.sleep(0.05)\n",
                                  "    t = time.monotonic()\n    while time.monotonic() - t < 0.01:\n        pass\n"],
                         ids=["sleeps", "spins"])
def test_waiting_never_looks_cheaper(engine: Engine, wait: str) -> None:
    waiting, note = lines(engine, "import time\n" + HEAD + wait + EUCLID[len(HEAD):])
    assert note == "" and waiting is not None and waiting > lines(engine, EUCLID)[0]


# Each stops or bypasses the tracer, or could reach the count: no cost at all, never a smaller one.
TAMPERING = {
    "settrace": "import sys\n" + HEAD + "    sys.settrace(None)\n",
    "setprofile": "import sys\n" + HEAD + "    sys.setprofile(None)\n",
    "getframe": "import sys\n" + HEAD + "    sys._getframe().f_trace = None\n",
    "inspect": "import inspect\n" + HEAD + "    inspect.currentframe().f_trace = None\n",
    "traceback": "import traceback\n" + HEAD + "    next(traceback.walk_stack(None))\n",
    "tb_frame": HEAD + "    try:\n        1 / 0\n    except ZeroDivisionError as e:\n"
                       "        e.__traceback__.tb_frame\n",
    "gi_frame": HEAD + "    g = (x for x in [1])\n    g.gi_frame\n",
    "gc": "import gc\n" + HEAD + "    gc.get_objects()\n",
    "at load": "import sys\nsys.settrace(None)\n" + HEAD,
}


@pytest.mark.parametrize("name", TAMPERING)
def test_tampering_with_the_meter_leaves_no_cost(engine: Engine, name: str) -> None:
    program = TAMPERING[name] + "    while b:\n        a, b = b, a % b\n    return a\n"
    count, note = lines(engine, program)
    assert count is None and note.startswith("untrusted: "), (count, note)


# Each tries to reach the meter and zero its count: each finds nothing to reach, and the count stands.
REACHING = {
    "gettrace closure": ("import sys\n" + HEAD + "    t = sys.gettrace()\n    assert t is None\n"
                         "    for c in getattr(t, '__closure__', None) or ():\n"
                         "        if hasattr(c.cell_contents, 'lines'):\n            c.cell_contents.lines = -10**9\n"),
    "sys.modules": ("import sys\n" + HEAD + "    for m in list(sys.modules.values()):\n"
                    "        for v in list(vars(m).values()):\n"
                    "            try:\n                if hasattr(v, 'lines') and hasattr(v, 'untrusted'):\n"
                    "                    v.lines = -10**9\n            except Exception:\n                pass\n"),
    "reimport": ("import sys\n" + HEAD + "    try:\n        import sandboxed.candidate as c\n"
                 "    except ImportError:\n        return a if not b else greatest_common_divisor(b, a % b)\n"
                 "    if c._meter is not None:\n        c._meter.lines = -10**9\n"),
    "thread globals": ("import _thread\n" + HEAD + "    g = _thread.start_new_thread.__globals__\n"
                       "    assert set(g) == {'__builtins__', 'start_new_thread'}, g\n"),
}


@pytest.mark.parametrize("name", REACHING)
def test_the_meter_is_out_of_the_programs_reach(engine: Engine, name: str) -> None:
    honest, _ = lines(engine, EUCLID)
    count, note = lines(engine, REACHING[name] + EUCLID[len(HEAD):])
    assert note == "" and count is not None and honest is not None and count > honest, (count, note)


@pytest.mark.parametrize("start", ["threading.Thread(target=lambda: None).start()",
                                   "_thread.start_new_thread(lambda: None, ())"])
def test_no_thread_runs_untraced_while_measuring(engine: Engine, start: str) -> None:
    program = "import threading, _thread\n" + HEAD + f"    {start}\n" + EUCLID[len(HEAD):]
    out = engine.execute(TASK, program, cost="lines", time_limit=30)
    assert out.result.status is Status.FAILED
    assert "threads are not available while the cost is measured" in out.tests[0].detail
    assert engine.execute(TASK, program).result.status is Status.PASSED  # outside measurement, threads run


def test_a_library_reading_its_callers_frame_is_not_tampering(engine: Engine) -> None:
    count, note = lines(engine, "from collections import namedtuple\nP = namedtuple('P', 'a b')\n" + EUCLID)
    assert note == "" and count is not None


def test_efficiency_ratio_and_reward_only_for_correct_code(engine: Engine) -> None:
    fast = efficiency(engine, TASK, EUCLID, repeats=3)
    slow = efficiency(engine, TASK, LOOP, repeats=3)
    wrong = efficiency(engine, TASK, HEAD + "    return 1\n", repeats=3)
    assert fast.lines_ratio is not None and slow.lines_ratio is not None
    assert fast.lines_ratio < slow.lines_ratio and len(fast.cpu) == len(fast.reference_cpu) == 3
    assert acecode_reward(fast) > acecode_reward(slow) >= 0.5
    assert (wrong.status, wrong.lines_ratio, acecode_reward(wrong)) == (Status.FAILED, None, 0.0)
    assert "not correct" in wrong.note


ACECODE_CASES = [  # (status, lines, reference lines, bonus, reward)
    (Status.PASSED, 50, 100, 0.5, 1.25), (Status.PASSED, 100, 100, 0.5, 1.0), (Status.PASSED, 400, 100, 0.5, 0.5),
    (Status.PASSED, None, 100, 0.5, 1.0), (Status.FAILED, 10, 100, 0.5, 0.0), (Status.PASSED, 0, 100, 0.9, 1.9),
]


@pytest.mark.parametrize(("status", "mine", "ref", "bonus", "reward"), ACECODE_CASES)
def test_acecode_reward(status: Status, mine: int | None, ref: int, bonus: float, reward: float) -> None:
    assert acecode_reward(Efficiency("t", status, mine, ref), bonus=bonus) == pytest.approx(reward)


def test_acecode_bonus_keeps_correct_code_above_wrong_code() -> None:
    with pytest.raises(UsageError, match="bonus"):
        acecode_reward(Efficiency("t", Status.PASSED, 1, 1), bonus=1.0)


BRUTE = HEAD + "    return max(d for d in range(1, min(a, b) + 1) if a % d == 0 and b % d == 0)\n"
GENERATOR = "def generate(i):\n    return [10**5 + 7 * i, 3 * 10**5 + 11 * i]\n"


def test_stress_inputs_show_the_slowdown_the_tests_hide(engine: Engine) -> None:
    from codereward.efficiency import generated_inputs, stress_task

    inputs = generated_inputs(engine, GENERATOR, 3)
    assert inputs == [[100000, 300000], [100007, 300011], [100014, 300022]]
    stressed = stress_task(TASK, inputs)
    small, large = efficiency(engine, TASK, BRUTE, cpu=False), efficiency(engine, stressed, BRUTE, repeats=3)
    assert small.lines_ratio is not None and large.lines_ratio is not None and large.cpu_ratio is not None
    assert large.lines_ratio > 100 * small.lines_ratio and large.cpu_ratio > 10  # linear vs logarithmic
    # The stressed task's expected values come from the reference: a program hardcoded to the visible tests
    # fails there.
    hardcoded = HEAD + "    return {(3, 7): 1, (10, 15): 5, (49, 14): 7, (144, 60): 12}[(a, b)]\n"
    assert efficiency(engine, TASK, hardcoded, cpu=False).status is Status.PASSED
    assert efficiency(engine, stressed, hardcoded, cpu=False).status is Status.FAILED


@pytest.mark.parametrize(("line", "says"), [
    ({"task_id": "HumanEval/999", "args": [1, 2]}, "unknown or missing task_id"),
    ({"task_id": "HumanEval/13", "args": 5}, "'args' must be the list"),
    ({"task_id": "HumanEval/13"}, "needs 'args' or 'generator'"),
    ({"task_id": "HumanEval/13", "generator": GENERATOR, "count": 0}, "count"),
    ({"task_id": "HumanEval/13", "generator": "def generate(i):\n    return 7\n", "count": 1}, "list of arguments"),
    ({"task_id": "HumanEval/13", "generator": "def generate(i):\n    raise ValueError('no')\n"}, "list of arguments"),
])
def test_a_bad_stress_line_is_named(engine: Engine, tmp_path, line: dict, says: str) -> None:
    import json

    from codereward.efficiency import read_stress
    from codereward.errors import InputError

    path = tmp_path / "stress.jsonl"
    path.write_text(json.dumps({"task_id": "HumanEval/13", "args": [4, 6]}) + "\n" + json.dumps(line) + "\n")
    with pytest.raises(InputError, match=says) as e:
        read_stress(path, load_humaneval(), engine)
    assert f"{path}:2" in str(e.value)


def test_efficiency_cli_with_stress_inputs(tmp_path) -> None:
    import json

    from test_cli import one_json, run

    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "HumanEval/13", "solution": p}) + "\n"
                               for p in (EUCLID, BRUTE, HEAD + "    return 1\n")))
    stress = tmp_path / "stress.jsonl"
    stress.write_text(json.dumps({"task_id": "HumanEval/13", "generator": GENERATOR, "count": 2}) + "\n")
    p = run("efficiency", "--samples", samples, "--stress", stress, "--repeats", "2", "--json", timeout=300)
    assert p.returncode == 0, p.stderr
    summary = one_json(p.stdout)
    assert (summary["samples"], summary["correct"], summary["measured"]) == (3, 2, 2)
    rows = [json.loads(x) for x in (tmp_path / "s.jsonl_efficiency.jsonl").read_text().splitlines()]
    assert all(r["stress"] for r in rows)
    assert rows[0]["lines_ratio"] == pytest.approx(1.0, abs=0.2) and rows[1]["lines_ratio"] > 100
    assert [r["reward"] for r in rows] == [pytest.approx(1.0, abs=0.1), 0.5, 0.0]
    bad = run("efficiency", "--samples", samples, "--bonus", "1.5")
    assert bad.returncode == 2


@pytest.mark.parametrize(("ratio", "bin_"), [(1 / 16, 0), (0.25, 1), (0.7, 2), (1.0, 3), (1.3, 3), (2.0, 4),
                                              (8.0, 6), (1000.0, 7)])
def test_ratio_bins_are_doublings(ratio: float, bin_: int) -> None:
    from codereward.report.efficiency_html import ratio_bin

    assert ratio_bin(ratio) == bin_


def test_efficiency_report_renders_in_a_headless_browser(tmp_path) -> None:
    import json
    import re

    from browser import chromium, rendered_dom, screenshot_bytes
    from test_cli import run

    chromium()
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "HumanEval/13", "solution": p}) + "\n"
                               for p in (EUCLID, BRUTE, LOOP, HEAD + "    return 1\n",
                                         "<script>alert(1)</script>")))
    page = tmp_path / "eff.html"
    p = run("efficiency", "--samples", samples, "--no-cpu", "--report", page, timeout=300)
    assert p.returncode == 0, p.stderr
    html = rendered_dom(page, tmp_path)
    ratios = dict(re.findall(r'<rect class="bar" data-bin="([^"]+)" data-count="(\d+)"', html.split(
        'id="reward-histogram"')[0]))
    assert sum(map(int, ratios.values())) == 3 and ratios["1"] == "1"  # euclid as the reference; two costlier
    rewards = dict(re.findall(r'<rect class="bar" data-bin="([^"]+)" data-count="(\d+)"', html.split(
        'id="reward-histogram"')[1]))
    assert rewards["0 (wrong)"] == "2" and sum(map(int, rewards.values())) == 5
    assert "<script>" not in html.split("<body>")[1]
    screenshot_bytes(page, tmp_path, min_bytes=20_000)
