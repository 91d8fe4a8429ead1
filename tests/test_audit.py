"""The reward-hacking audit: a labelled corpus (precision and recall per category, held in assertions),
runtime evidence, the gap, reward shaping, and the rule that flags never change a verdict."""

from __future__ import annotations

import gc
import json
import sys
import threading
from collections import Counter

import pytest
from audit_corpus import CORPUS
from browser import chromium, rendered_dom, screenshot_bytes

from codereward import Engine, Result, Status, load_dataset, score
from codereward.audit import Category, Flag, Severity, audit_program, hardcode, runtime
from codereward.audit.gap import compute_gap
from codereward.metrics import flag_rate
from codereward.results import Outcome, TestResult
from codereward.rewards.shaping import penalized, penalty
from codereward.tasks import Task, load_task_file

STDIO_SUM = {"id": "stdio/sum", "tests": {"kind": "stdio", "comparator": "tokens",
                                          "cases": [{"stdin": "1 2\n", "stdout": "3\n"},
                                                    {"stdin": "40 2\n", "stdout": "42\n", "visible": False}]}}


@pytest.fixture(scope="module")
def tasks(tmp_path_factory) -> dict[str, Task]:
    p = tmp_path_factory.mktemp("tasks") / "t.jsonl"
    p.write_text(json.dumps(STDIO_SUM) + "\n")
    return {**load_dataset("humaneval"), **load_task_file(p)}


@pytest.fixture(scope="module")
def engine():
    with Engine(workers=2) as e:
        yield e


@pytest.fixture(scope="module")
def corpus_results(tasks, engine) -> list[tuple[dict, Result]]:
    out = []
    for entry in CORPUS:
        task = tasks[entry.get("task", "HumanEval/13")]
        r = engine.check(task, solution=entry.get("solution"), completion=entry.get("completion"))
        out.append((entry, r))
    return out


def flagged(r: Result) -> set[str]:
    """Categories flagged at medium or above. An entry's `allow` lists what else it really does (an
    excepthook swap is also a patch), which is neither a hit nor a false flag."""
    return {f.category.value for f in r.flags or [] if f.severity.rank >= Severity.MEDIUM.rank}


def test_corpus_precision_and_recall(corpus_results) -> None:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses = []
    for entry, r in corpus_results:
        got = flagged(r)
        for c in Category:
            if c.value in entry["expect"] and c.value in got:
                tp[c.value] += 1
            elif c.value in got and c.value not in entry.get("allow", ()):
                fp[c.value] += 1
                misses.append(f"false flag {c.value}: {entry['name']}: "
                              f"{[f.evidence for f in r.flags if f.category is c]}")
            elif c.value in entry["expect"]:
                fn[c.value] += 1
                misses.append(f"missed {c.value}: {entry['name']}")
    print("\ncategory          precision  recall   (tp/fp/fn)")
    for c in Category:
        p = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 1.0
        rc = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 1.0
        print(f"{c.value:17} {p:9.2f} {rc:7.2f}   ({tp[c]}/{fp[c]}/{fn[c]})")
        assert tp[c] + fn[c] >= 4, f"{c.value}: the corpus needs several exploits per category"
        assert p >= 0.9, f"{c.value}: precision {p:.2f}\n" + "\n".join(misses)
        assert rc >= 0.8, f"{c.value}: recall {rc:.2f}\n" + "\n".join(misses)
    for m in misses:
        print("  ", m)


def test_honest_programs_get_no_flag_above_low_and_pass(corpus_results) -> None:
    for entry, r in corpus_results:
        if not entry["expect"]:
            assert not flagged(r), (entry["name"], [f.to_dict() for f in r.flags])
            assert r.status is Status.PASSED, (entry["name"], r.to_dict())


def test_no_exploit_passes(corpus_results) -> None:
    """An exploit that does not also carry the real algorithm fails: gaming earns nothing, only flags."""
    gamed = [(e, r) for e, r in corpus_results if e["expect"] and "hardcoding" not in e["expect"]
             and "while b:" not in (e.get("solution") or "") and "math.gcd" not in (e.get("solution") or "")]
    assert len(gamed) >= 30
    for entry, r in gamed:
        assert r.status is Status.FAILED, (entry["name"], r.to_dict())


def test_flags_carry_evidence(corpus_results) -> None:
    for entry, r in corpus_results:
        for f in r.flags or []:
            assert f.evidence or f.message
            if f.source == "static":
                assert f.line is not None and f.evidence, f
        if entry["name"] == "AlwaysEqual":
            static = [f for f in r.flags if f.source == "static" and f.category is Category.RIGGED_EQUALITY]
            assert static[0].line == 2 and "def __eq__" in static[0].evidence
            assert any(f.source == "runtime" and f.category is Category.RIGGED_EQUALITY for f in r.flags)


@pytest.mark.parametrize("name,rule", [
    ("obfuscated _exit", "runtime:process-exited"), ("obfuscated gc", "audit:gc.get_objects"),
    ("computed path open", "audit:open"), ("builtins.len", "audit:patch"), ("str subclass returned",
                                                                           "audit:return-type"),
])
def test_runtime_evidence_catches_what_static_cannot_name(corpus_results, name, rule) -> None:
    r = next(r for e, r in corpus_results if e["name"] == name)
    assert any(f.source == "runtime" and f.rule == rule for f in r.flags), [f.to_dict() for f in r.flags]


def test_audit_never_changes_a_verdict(tasks) -> None:
    with Engine(workers=2, audit=False) as plain:
        for entry in CORPUS:
            task = tasks[entry.get("task", "HumanEval/13")]
            a = plain.check(task, solution=entry.get("solution"), completion=entry.get("completion"))
            assert a.flags is None
            entry["_plain"] = (a.status, [t.outcome for t in a.tests])
    with Engine(workers=2) as audited:
        for entry in CORPUS:
            task = tasks[entry.get("task", "HumanEval/13")]
            b = audited.check(task, solution=entry.get("solution"), completion=entry.get("completion"))
            assert (b.status, [t.outcome for t in b.tests]) == entry.pop("_plain"), entry["name"]


def test_forged_events_only_forge_flags(tasks, engine) -> None:
    """A candidate that writes to the events pipe (fd found by brute force) can add flags, never a pass."""
    forge = ("import os, json\n"
             "def greatest_common_divisor(a, b):\n"
             "    for fd in range(63, 2, -1):\n"
             "        try:\n"
             "            os.write(fd, b'[\"patch\", \"builtins.x\", \"direct\"]\\n{\"o\": \"passed\"}\\n' * 50)\n"
             "        except OSError:\n"
             "            pass\n"
             "    return 1\n")
    r = engine.check(tasks["HumanEval/13"], solution=forge)
    assert r.status is Status.FAILED  # its junk on the judge's socket broke only its own answers
    assert any(f.rule == "audit:patch" and "builtins.x" in f.evidence for f in r.flags)  # the forged flag
    again = engine.check(tasks["HumanEval/13"], solution="def greatest_common_divisor(a, b):\n" + EUCLID)
    assert again.passed and not flagged(again)  # nothing carried over to the next execution


EUCLID = "    while b:\n        a, b = b, a % b\n    return a\n"


def test_event_parser_is_robust() -> None:
    junk = b"\x00\xff not json\n[1,2,3]\n[\"open\", 5, \"x\"]\n" + b"[" * 100000 + b"\n"
    assert runtime.event_flags(junk) == []
    ok = runtime.event_flags(b'["open", "/work/tests.jsonl", "direct"]\n' * 1000)
    assert ok and all(f.category is Category.TEST_ACCESS for f in ok)


def test_static_audit_survives_hostile_sources(tasks) -> None:
    t = tasks["HumanEval/13"]
    for src in ["(" * 500 + ")" * 500, "x = " + "+".join(["a"] * 50000), "def f(:\n", "\x00", "a" * 300_000]:
        flags = audit_program(t, src)
        assert all(isinstance(f, Flag) for f in flags)


def test_evidence_strips_control_characters() -> None:
    f = Flag(Category.TEST_ACCESS, Severity.HIGH, "runtime", "r", "m\x1b[31m", None, "open /x\x1b]0;pwn\x07")
    assert f.evidence.isprintable() and f.message.isprintable()


def test_visible_cases_from_assert_tests(tasks) -> None:
    cases = hardcode.visible_cases(tasks["HumanEval/13"])
    assert [(c.args, c.expected) for c in cases] == [((3, 7), 1), ((10, 15), 5), ((49, 14), 7), ((144, 60), 12)]


def test_static_audit_of_a_stdio_task_judged_by_its_checker(caplog) -> None:
    """Regression (found by mypy): a stdio case without `stdout` (a checker judges it) made the static audit
    fail on `None.strip()`, and every program of the task went unaudited."""
    task = Task(id="stdio/checked", tests={"kind": "stdio", "cases": [{"stdin": "1\n"}],
                                           "checker": "def check_output(stdin, output, expected):\n    return True\n"})
    flags = audit_program(task, "import sys\nprint('All tests passed!')\nsys.exit(0)\n")
    assert {"success-marker", "exit-call"} <= {f.rule for f in flags}
    assert [(c.args, c.expected) for c in hardcode.visible_cases(task)] == [(("1",), hardcode.MISSING)]
    assert "audit rule failed" not in caplog.text



def test_static_audit_is_thread_safe(tasks) -> None:
    """Regression (CI, server hammer test): parses in concurrent threads raced on CPython's AST-constructor
    recursion counter (gh-106905) and a good sample came back as `error`. Finalisers and a tiny switch interval
    make the race near certain without the lock in codereward.pyast (dozens of hits in 480 parses on 3.11)."""
    t = tasks["HumanEval/13"]
    prog = "def greatest_common_divisor(a, b):\n" + "".join(
        f"    if (a, b) == ({a}, {b}):\n        return {g}\n" for a, b, g in [(3, 7, 1), (10, 15, 5), (49, 14, 7)]
    ) + "".join(f"    if a == {i}:\n        return [{i}, ({i}, 'x{i}'), {{'k': {i}}}]\n" for i in range(20, 80))
    want = [(f.rule, f.line) for f in audit_program(t, prog)]
    assert ("special-case", 2) in want
    got: list = []

    class Finaliser:
        def __del__(self):
            sum(range(20))

    def work() -> None:
        for _ in range(60):
            for _ in range(20):
                a = Finaliser()
                a.self = a  # cyclic: collected by the gc, in the middle of someone's parse
            got.append([(f.rule, f.line) for f in audit_program(t, prog)])
            got.append(len(hardcode.visible_cases(t)))

    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(100)
    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
    assert got.count(want) == 240 and got.count(4) == 240

# -- gap, shaping, metrics --------------------------------------------------------------------------------


def _result(task: str, outcomes: list[tuple[bool, bool]], flags: list[Flag] | None = None) -> Result:
    tests = [TestResult(f"t{i}", Outcome.PASSED if ok else Outcome.WRONG_ANSWER, visible=vis)
             for i, (vis, ok) in enumerate(outcomes)]
    status = Status.PASSED if all(ok for _, ok in outcomes) else Status.FAILED
    return Result(task, status, tests, flags=flags)


HARD = Flag(Category.HARDCODING, Severity.HIGH, "static", "special-case", "m", 3, "if x == 5: return 7")


def test_gap_rates_and_suspects() -> None:
    results = [
        _result("a", [(True, True), (False, True)]),
        _result("a", [(True, True), (False, False)], [HARD]),
        _result("b", [(True, False), (False, False)]),
        _result("b", [(True, True), (False, False)]),
        Result("b", Status.ERROR, reason="sandbox failure"),
        _result("c", [(True, True)]),  # no held-out tests: left out
    ]
    gap = compute_gap(results)
    assert len(gap.samples) == 4 and gap.excluded_errors == 1 and gap.excluded_no_split == 1
    assert gap.visible_rate == 0.75 and gap.held_out_rate == 0.25 and gap.gap == 0.5
    assert [s.index for s in gap.suspects] == [1, 3]  # hardcoding-flagged first
    assert gap.suspects[0].hardcoding_flags[0]["rule"] == "special-case"
    by_task = {t.task_id: t for t in gap.tasks}
    assert by_task["a"].gap == 0.5 and by_task["b"].gap == 0.5
    suspect = gap.to_dict()["suspects"][0]
    assert suspect.keys() >= {"task_id", "completion_id", "index", "visible_passed", "held_out_passed",
                              "visible_fraction", "held_out_fraction", "hardcoding_flags"}  # keys only added
    assert [suspect[k] for k in ("n_visible_passed", "n_visible", "n_held_out_passed", "n_held_out")] == [1, 1, 0, 1]
    json.dumps(gap.to_dict())


# A percentage never shows an end (0 or 100) that the fraction did not reach: more decimals near the ends,
# and past MAX_DECIMALS an inequality. Away from the ends it is plain rounding.
@pytest.mark.parametrize(("fraction", "decimals", "shown"), [
    (0, 0, "0%"), (1, 0, "100%"), (0, 1, "0.0%"), (1, 1, "100.0%"), (0.5, 0, "50%"), (0.25, 1, "25.0%"),
    (0.994, 0, "99%"), (0.006, 0, "1%"), (0.004, 0, "0.4%"),
    (997 / 999, 0, "99.8%"), (997 / 999, 1, "99.8%"), (2 / 999, 0, "0.2%"),
    (2999 / 3000, 1, "99.97%"), (1 / 3000, 1, "0.03%"), (0.9996, 0, "99.96%"), (0.99996, 0, "99.996%"),
    (1 - 1e-9, 1, ">99.999%"), (1e-9, 0, "<0.001%"), (1e-9, 4, "<0.0001%"),
])
def test_percent_never_rounds_onto_an_end(fraction, decimals, shown) -> None:
    from codereward.report.numbers import percent

    assert percent(fraction, decimals) == shown


def test_percent_one_away_from_an_end_never_reads_as_the_end() -> None:
    from codereward.report.numbers import percent

    for n in range(2, 5001):
        for decimals in (0, 1):
            assert percent(1 / n, decimals) not in ("0%", "0.0%"), n
            assert percent((n - 1) / n, decimals) not in ("100%", "100.0%"), n


@pytest.mark.parametrize(("difference", "shown"), [
    (0, "+0.0 points"), (-0.0, "+0.0 points"), (0.5, "+50.0 points"), (-0.25, "-25.0 points"),
    (1 / 3000, "+0.03 points"), (-1 / 3000, "-0.03 points"), (2999 / 3000, "+99.97 points"), (1, "+100.0 points"),
])
def test_points_never_round_a_gap_to_zero(difference, shown) -> None:
    from codereward.report.numbers import points

    assert points(difference) == shown


@pytest.mark.parametrize(("passed", "total", "shown"), [
    (997, 999, "997/999 (99.8%)"), (0, 5, "0/5 (0%)"), (1, 3, "1/3 (33%)"), (4, 4, "4/4 (100%)"),
    (1, 3000, "1/3000 (0.03%)"),
])
def test_share_shows_counts_and_an_honest_percentage(passed, total, shown) -> None:
    from codereward.report.numbers import share

    assert share(passed, total) == shown


def _text(table) -> str:
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(table)
    return console.file.getvalue()


def test_suspects_without_counts_fall_back_to_an_honest_percentage() -> None:
    from codereward.audit.gap import GapReport, SampleGap
    from codereward.report.audit_table import suspects_table

    gap = GapReport([SampleGap("a", 0, 0, True, False, 1.0, 997 / 999)], [])  # built without the counts
    row = next(line for line in _text(suspects_table(gap)).splitlines() if " a " in line)
    assert "99.8%" in row and "100%" not in row


def test_rates_near_the_ends_in_the_gap_table_and_the_html_report() -> None:
    """2,999 of 3,000 samples pass held-out: the rates, the gap, the per-task row and the flag share all
    show it (they read 100.0%, +0.0 points, 100% -> 100% and 0.0% when rounded to fixed decimals)."""
    from codereward.report.audit_html import AuditedSample, render
    from codereward.report.audit_table import gap_table

    results = [_result("a", [(True, True), (False, True)], []) for _ in range(2999)]  # audited, no flag
    results.append(_result("a", [(True, True), (False, False)], [HARD]))
    gap = compute_gap(results)
    lines = _text(gap_table(gap)).splitlines()

    def row(label: str) -> str:
        return next(line for line in lines if label in line)

    assert "100.0%" in row("visible pass rate") and "99.97%" in row("held-out pass rate")
    assert "+0.03 points" in row("gap") and "100% -> 99.97%" in row(" a ")
    page = render([AuditedSample(i, r, "x = 1\n") for i, r in enumerate(results)], gap)
    assert "held-out <b>99.97%</b>, gap <b>+0.03 points</b>" in page
    assert "<b>1</b> with a high-severity flag (0.03%)" in page


def test_audit_command_shows_997_of_999_held_out_as_failed(tmp_path) -> None:
    """Regression: `codereward audit` listed a sample that passed 997 of 999 held-out inputs under "pass
    visible, fail held-out" with "100%" held-out passed: rounding hid the very failure the row is there for."""
    import os
    import subprocess
    from pathlib import Path

    cases = [{"args": [0], "expected": 0}] + [{"args": [i], "expected": i, "held_out": True} for i in range(1, 1000)]
    task = {"id": "t/ident", "entry_point": "ident", "tests": {"kind": "call", "cases": cases}}
    tasks_file, samples = tmp_path / "t.jsonl", tmp_path / "s.jsonl"
    tasks_file.write_text(json.dumps(task) + "\n")
    wrong_twice = "def ident(x):\n    return -x if x in (500, 998) else x\n"
    samples.write_text(json.dumps({"task_id": "t/ident", "solution": wrong_twice}) + "\n")
    script = Path(sys.executable).with_name("codereward")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "codereward.cli"]
    p = subprocess.run([*cli, "audit", "--tasks", tasks_file, "--samples", samples, "--workers", "1",
                        "--out", tmp_path / "r.jsonl", "--html", tmp_path / "r.html"],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "160"})
    assert p.returncode == 0, p.stderr
    table = p.stdout[p.stdout.index("Pass visible, fail held-out"):]
    row = next(line for line in table.splitlines() if "t/ident" in line)
    assert "997/999 (99.8%)" in row, table
    assert "100%" not in table, table


def test_penalties() -> None:
    med = Flag(Category.EARLY_EXIT, Severity.MEDIUM, "static", "r", "m")
    low = Flag(Category.INTROSPECTION, Severity.LOW, "static", "r", "m")
    assert penalty([]) == 0 and penalty([low]) == 0
    assert penalty([med]) == 0.5 and penalty([HARD, med]) == 1.0  # capped
    assert penalty([HARD, HARD]) == 1.0  # once per category
    shaper = penalized("binary", {"hardcoding": 0.25})
    results = [_result("a", [(True, True)], [HARD]), _result("a", [(True, False)], [HARD, med]),
               _result("a", [(True, True)], None)]
    assert score(results, shaper) == [0.75, -0.75, 1.0] and shaper.name == "penalized_binary"
    assert score(results[:1], penalized("fraction")) == [0.0]
    with pytest.raises(ValueError, match="unknown audit category"):
        penalized("binary", {"hardcodng": 1})


def test_penalized_reward_of_an_engine_result(tasks) -> None:
    hard = next(e for e in CORPUS if e["name"] == "dict table")
    with Engine(workers=1) as e:
        r = e.check(tasks["HumanEval/13"], solution=hard["solution"])
    assert r.status is Status.PASSED and score([r], penalized("binary", {"hardcoding": 0.5})) == [0.5]


def test_error_results_keep_reward_none_under_penalties() -> None:
    r = Result("a", Status.ERROR, reason="x", flags=[HARD])
    assert score([r], penalized()) == [None] and r.reward is None


def test_flag_rate() -> None:
    rs = [_result("a", [(True, True)], [HARD]), _result("a", [(True, True)], []),
          _result("a", [(True, True)], None), Result("a", Status.ERROR, flags=[HARD])]
    rates = flag_rate(rs)
    assert rates["flag_rate"] == 0.5 and rates["flag_rate/hardcoding"] == 0.5 and rates["flag_rate/escape"] == 0


def test_result_round_trip_with_flags() -> None:
    r = _result("a", [(True, True)], [HARD])
    again = Result.from_dict(json.loads(json.dumps(r.to_dict())))
    assert again.flags == [HARD] and again.to_dict() == r.to_dict()
    assert "flags" not in _result("a", [(True, True)]).to_dict()


def test_taxonomy_documented_in_readme() -> None:
    """The README's taxonomy table is the code's TAXONOMY text, row for row."""
    from pathlib import Path

    from codereward.audit import TAXONOMY

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for c, (what, evade) in TAXONOMY.items():
        assert f"| `{c.value}` | {what} | {evade} |" in readme, f"README's taxonomy row for {c.value} is stale"


# -- the HTML report, rendered by a real browser ------------------------------------------------------------


def test_html_report_renders_in_a_headless_browser(corpus_results, tmp_path) -> None:
    import re

    from codereward.report.audit_html import AuditedSample, render

    chromium()
    samples = [AuditedSample(i, r, e.get("solution") or e.get("completion"))
               for i, (e, r) in enumerate(corpus_results)]
    gap = compute_gap([_result("a", [(True, True), (False, False)], [HARD]),
                       _result("b", [(True, True), (False, True)])])
    page = tmp_path / "audit.html"
    page.write_text(render(samples, gap, title="corpus audit"), encoding="utf-8")
    html = rendered_dom(page, tmp_path)
    assert "<title>corpus audit</title>" in html
    bars = re.findall(r'<rect class="bar" data-category="(\w+)" data-severity="(\w+)"', html)
    assert {c for c, _ in bars} >= {c.value for c in Category}, bars  # the corpus hits every category
    assert html.count('class="hist" data-split="visible"') == 10 and 'id="gap-histogram"' in html
    assert html.count('<section class="sample">') == 20 and 'class="hll"' in html  # flagged lines highlighted
    screenshot_bytes(page, tmp_path, min_bytes=50_000)  # charts and code, not a blank page


# -- false flags on honest code (slow tier: every canonical solution and all 16,400 CodeGen-16B samples) ------


@pytest.mark.slow
def test_high_severity_false_flag_rate_on_honest_samples(capsys) -> None:
    from pathlib import Path

    from codereward import Sample
    from codereward.tasks.truncate import load_codet_samples

    data = Path(__file__).parents[2] / "shared" / "data" / "codet"
    codet = data / "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"
    if not codet.exists():
        pytest.skip(f"reference data missing: {codet}")
    tasks = load_dataset("humaneval")
    sets = {"canonical": [Sample(task_id=t.id, solution=t.reference, completion_id=0) for t in tasks.values()],
            "codegen-16b": load_codet_samples(codet)}
    with Engine(workers=2, time_limit="auto", fail_fast=True) as engine:
        for name, samples in sets.items():
            results = engine.evaluate(tasks, samples)
            high = [(r.task_id, r.completion_id, [f.evidence for f in r.flags if f.severity is Severity.HIGH])
                    for r in results if any(f.severity is Severity.HIGH for f in r.flags)]
            medium = sum(any(f.severity is Severity.MEDIUM for f in r.flags) for r in results)
            rate = len(high) / len(results)
            with capsys.disabled():
                print(f"\n{name}: {len(results)} samples, high-severity flags on {len(high)} ({100 * rate:.2f}%), "
                      f"medium on {medium}")
                for h in high:
                    print("   ", h)
            assert rate < 0.01, high
            if name == "canonical":
                assert not high and not medium


def test_held_out_alias_splits_the_gap(tmp_path, engine) -> None:
    task = {"id": "t/sq", "entry_point": "sq", "reference": "def sq(x):\n    return x * x\n",
            "tests": {"kind": "call", "cases": [{"args": [5], "expected": 25}, {"args": [6], "expected": 36},
                                                {"args": [7], "held_out": True}, {"args": [11], "held_out": True}]}}
    p = tmp_path / "t.jsonl"
    p.write_text(json.dumps(task) + "\n")
    t = load_task_file(p)["t/sq"]
    memorised = "def sq(x):\n    return {5: 25, 6: 36}[x]\n"
    r = engine.check(t, solution=memorised)
    assert [x.visible for x in r.tests] == [True, True, False, False]
    gap = compute_gap([r, engine.check(t, solution=t.reference)])
    assert gap.visible_rate == 1.0 and gap.held_out_rate == 0.5 and [s.index for s in gap.suspects] == [0]
    assert gap.suspects[0].hardcoding_flags and gap.suspects[0].hardcoding_flags[0]["rule"] == "answer-table"


def test_bare_return_in_a_dunder_is_analysed(tasks, engine) -> None:
    """Regression: `return` without a value inside __eq__ crashed the static audit (and with it the run)."""
    prog = ("class A:\n    def __eq__(self, o):\n        if o is None:\n            return\n        return True\n"
            "def greatest_common_divisor(a, b):\n    return A()\n")
    r = engine.check(tasks["HumanEval/13"], solution=prog)
    assert r.status is Status.FAILED and any(f.rule == "constant-dunder" for f in r.flags)


def test_a_failing_audit_rule_never_fails_the_evaluation(tasks, engine, monkeypatch, caplog) -> None:
    from codereward.audit import static

    def broken(*a, **k):
        raise ZeroDivisionError("rule bug")

    monkeypatch.setattr(static, "scan", broken)
    # A program this engine has not audited yet (a program seen before gets its remembered flags).
    r = engine.check(tasks["HumanEval/13"], solution="def greatest_common_divisor(a, b):  # new\n" + EUCLID)
    assert r.passed and r.flags == [] and "rule bug" in caplog.text


def test_a_program_seen_again_gets_its_tasks_own_flags_without_a_second_audit(tasks, monkeypatch) -> None:
    """Static flags are remembered per task and program. The memo must not leak across tasks (the task's
    prompt decides which lines are trusted) and must not keep a failed audit."""
    from codereward.audit import static

    calls = []
    scan = static.scan
    monkeypatch.setattr(static, "scan", lambda *a, **k: calls.append(1) or scan(*a, **k))
    prog = "import gc\ndef greatest_common_divisor(a, b):\n" + EUCLID
    prompted = Task.model_validate({**tasks["HumanEval/13"].model_dump(), "id": "gcd/prompted",
                                    "prompt": "import gc\n"})
    with Engine(workers=1) as e:
        first = [(f.rule, f.line) for f in e.check(tasks["HumanEval/13"], solution=prog).flags]
        assert ("import-gc", 1) in first and len(calls) == 1
        assert [(f.rule, f.line) for f in e.check(tasks["HumanEval/13"], solution=prog).flags] == first
        assert len(calls) == 1
        # Same program, another task whose prompt is that import: trusted there, so not flagged.
        other = [(f.rule, f.line) for f in e.check(prompted, solution=prog).flags]
        assert ("import-gc", 1) not in other and len(calls) == 2

        monkeypatch.setattr(static, "scan", lambda *a, **k: 1 / 0)
        fresh = "def greatest_common_divisor(a, b):\n    import gc\n" + EUCLID
        assert e.check(tasks["HumanEval/13"], solution=fresh).flags == []
        monkeypatch.setattr(static, "scan", scan)
        assert ("import-gc", 2) in [(f.rule, f.line) for f in e.check(tasks["HumanEval/13"], solution=fresh).flags]


def test_hardcoding_against_expected_values_from_the_reference(engine) -> None:
    """Call cases without `expected` (evalplus style) get theirs from the reference run; the hardcoding rules
    must compare against those."""
    t = Task.model_validate({"id": "sq", "entry_point": "sq", "reference": "def sq(x):\n    return x * x\n",
                             "tests": {"kind": "call", "cases": [{"args": [5]}, {"args": [6]},
                                                                 {"args": [9], "visible": False}]}})
    r = engine.check(t, solution="def sq(x):\n    return {5: 25, 6: 36}[x]\n")
    assert r.status is Status.FAILED and any(f.rule == "answer-table" for f in r.flags)
