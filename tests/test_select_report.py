"""The selection report (report/select_html.py): its pure parts (row groups in CodeT's order, column order,
size caps, which tasks get a heatmap), escaping of hostile programs and tests, and the page as a real browser
renders it."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pytest
from browser import Tags, chromium, rendered_dom, screenshot_bytes

from codereward.errors import UsageError
from codereward.report.select_html import (
    default_focus,
    heatmap_layout,
    outcome_name,
    program_groups,
    render,
    test_order,
)
from codereward.results import Outcome
from codereward.select.evaluate import random_pass_at_k, ranked_pass_at_k
from codereward.select.matrix import NO_OUTCOME, OUTCOME_CODES, PassMatrix, empty
from codereward.select.rankers import rank_all

CELL = {"P": Outcome.PASSED, "W": Outcome.WRONG_ANSWER, "E": Outcome.RUNTIME_ERROR, "T": Outcome.TIME_LIMIT,
        "C": Outcome.COMPILE_ERROR, "S": Outcome.SKIPPED}


def matrix(task_id: str, rows: list[str], counts: list[int] | None = None, test_counts: list[int] | None = None,
           *, correct: list[bool] | None = None, invalid: Sequence[int] = (), broken: Sequence[int] = (),
           programs: list[str] | None = None, tests: list[str] | None = None) -> PassMatrix:
    """A task's matrix from one string per program, a letter per cell: P passed, W wrong answer, E runtime
    error, T time limit, C compile error, S skipped, - not run."""
    n, t = len(rows), len(rows[0])
    m = empty(task_id, programs or [f"def f():\n    return {i}\n" for i in range(n)], counts or [1] * n,
              tests or [f"assert f() == {j}" for j in range(t)], test_counts or [1] * t)
    m.outcomes = np.array([[NO_OUTCOME if c == "-" else OUTCOME_CODES[CELL[c]] for c in r] for r in rows],
                          dtype=np.int8)
    m.invalid[list(invalid)] = True
    m.executed[list(broken)] = False
    m.correct = np.array(correct, dtype=np.bool_) if correct is not None else None
    return m


# -- pure parts ------------------------------------------------------------------------------------------


def test_rows_are_consensus_sets_in_codet_order_then_the_rest():
    # p0, p1 pass tests 0-1 (score 2 * sqrt(1 + 3) = 4); p2 passes test 2, proposed 5 times (5 * sqrt(2) ≈ 7.1);
    # p3 passes nothing; p4 passes everything but did not execute (a sandbox error): left out by CodeT.
    m = matrix("t", ["PPW", "PPW", "WWP", "WWW", "PPP"], [1, 3, 2, 1, 5], [1, 1, 5], broken=[4])
    groups = program_groups(m)
    assert [g.programs for g in groups] == [[2], [1, 0], [3], [4]]  # in a group, the most sampled first
    assert [g.label for g in groups] == ["consensus set #1", "consensus set #2", "passes no valid test",
                                         "not executed (sandbox error)"]
    assert groups[0].score == pytest.approx(5 * math.sqrt(2)) and groups[1].score == pytest.approx(4.0)
    assert groups[2].score is None and groups[3].score is None
    # an invalid test counts for no one: p2 then passes no valid test
    m.invalid[2] = True
    assert [g.programs for g in program_groups(m)] == [[1, 0], [2, 3], [4]]


def test_columns_by_programs_passing_valid_first():
    # passing programs per test: 3, 1, 1, 2 — test 1 proposed 4 times beats test 2 on the tie; test 3 invalid
    m = matrix("t", ["PPWP", "PWPP", "PWWW"], test_counts=[1, 4, 1, 1], invalid=[3])
    assert test_order(m) == [0, 1, 2, 3]
    # a program that did not execute does not count: test 1 is then passed by none
    m.executed[0] = False
    assert test_order(m) == [0, 2, 1, 3]


@pytest.mark.parametrize("max_rows,max_cols,rows,columns,cut", [
    (200, 300, [2, 1, 0, 3, 4], [0, 1, 2], (0, 0, 0, 0)),
    (2, 300, [2, 1], [0, 1, 2], (3, 7, 0, 0)),  # p0 (1 sample), p3 (1), p4 (5) cut; group 2 cut short
    (1, 1, [2], [0], (4, 10, 2, 0)),
    (5, 2, [2, 1, 0, 3, 4], [0, 1], (0, 0, 1, 0)),  # the test passed by the fewest programs goes
])
def test_heatmap_caps_cut_the_lowest_ranked(max_rows, max_cols, rows, columns, cut):
    m = matrix("t", ["PPW", "PPW", "WWP", "WWW", "PPP"], [1, 3, 2, 1, 5], [1, 1, 5], broken=[4])
    lay = heatmap_layout(m, max_rows, max_cols)
    assert lay.rows == rows and lay.columns == columns
    assert (lay.cut_programs, lay.cut_samples, lay.cut_tests, lay.cut_invalid) == cut


def test_heatmap_cap_counts_invalid_tests_cut():
    m = matrix("t", ["PWP", "PWW"], invalid=[0])
    lay = heatmap_layout(m, max_cols=1)
    assert lay.columns == [2] and (lay.cut_tests, lay.cut_invalid) == (2, 1)
    with pytest.raises(UsageError):
        heatmap_layout(m, max_rows=0)


def test_outcome_names():
    assert outcome_name(NO_OUTCOME) == "not_run"
    assert [outcome_name(OUTCOME_CODES[o]) for o in Outcome] == [o.value for o in Outcome]


def _three_tasks() -> list[PassMatrix]:
    # a: codet and maxpass both pick p0 (right). b: codet picks the pair p0/p1 (1 test * sqrt(9 samples) = 3
    # beats 2 tests * sqrt(1)), wrong; maxpass p2, which passes the most tests, right. c: they pick different
    # programs, both right.
    return [matrix("a", ["PP", "WW"], [3, 1], correct=[True, False]),
            matrix("b", ["PW", "PW", "PP"], [5, 4, 1], correct=[False, False, True]),
            matrix("c", ["PPW", "PPW", "WWP"], [1, 1, 3], [1, 1, 4], correct=[True, True, True])]


def test_default_focus_prefers_disagreement():
    ms = _three_tasks()
    rankings = rank_all(ms, ["codet", "maxpass"])
    assert default_focus(ms, rankings, 1) == ["b"]  # picks differ in correctness
    assert default_focus(ms, rankings, 2) == ["b", "c"]  # then: they pick different programs; in task order
    assert default_focus(ms, rankings, 3) == ["a", "b", "c"]
    assert default_focus(ms, None, 2) == ["a", "b"]


# -- the page, as text -----------------------------------------------------------------------------------

HOSTILE = ['</script><script>alert(1)</script>', '<img src=x onerror="alert(2)">', '"><svg onload=alert(3)>',
           "</title><script>alert(4)</script>", "<!-- x --><style>*{display:none}</style>", "a\x00b\x1b[31m\ud800"]
SAFE_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "ul", "li", "b", "p", "svg", "defs",
             "pattern", "rect", "line", "text", "g", "div", "span", "i", "table", "thead", "tbody", "tfoot", "tr",
             "th", "td", "a", "small", "section"}


def _hostile_matrix() -> PassMatrix:
    return matrix(HOSTILE[0], ["PW", "WP"], [2, 1], correct=[True, False],
                  programs=[f"def f():\n    return '{HOSTILE[1]}'\n", f"# {HOSTILE[3]}\ndef f(): {HOSTILE[5]}\n"],
                  tests=[f"assert f() == '{HOSTILE[0]}'", f"assert f() == '{HOSTILE[2]}{HOSTILE[4]}'"])


def test_hostile_programs_tests_and_names_render_as_text():
    m = _hostile_matrix()
    rankings = {HOSTILE[2]: {m.task_id: [([0], 1.0), ([1], 0.0)]}}
    page = render([m], {HOSTILE[2]: {"pass@1": 1.0}}, title=HOSTILE[3], rankings=rankings)
    page.encode("utf-8")  # a lone surrogate in a program does not break the file
    parser = Tags()
    parser.feed(page)
    assert parser.tags <= SAFE_TAGS, parser.tags - SAFE_TAGS
    assert not {a for a in parser.attributes if a.startswith("on")}
    assert page.count("<script") == 0 and page.count("<img") == 0 and page.count("<style") == 1
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page  # the program's text, shown
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the task id and the test's text
    assert "a\\x00b\\x1b[31m\\ud800" in page  # control characters and the surrogate, as escapes
    assert '<rect class="bar" data-selector="&quot;&gt;&lt;svg onload=alert(3)&gt;" data-k="pass@1"' in page


def test_render_bars_baseline_and_heatmaps():
    ms = _three_tasks()
    rankings = rank_all(ms, ["codet", "maxpass"])
    results = {name: ranked_pass_at_k(ms, r, (1, 2)) for name, r in rankings.items()}
    page = render(ms, results, title="three", rankings=rankings, focus=["c", "a"])
    bars = re.findall(r'<rect class="bar" data-selector="(\w+)" data-k="([\w@]+)" data-value="([\d.]+)"', page)
    assert [(s, k) for s, k, _ in bars] == [("codet", "pass@1"), ("codet", "pass@2"), ("maxpass", "pass@1"),
                                            ("maxpass", "pass@2")]
    assert [float(v) for _, _, v in bars] == pytest.approx([results[s][k] for s, k, _ in bars], abs=1e-6)
    random = random_pass_at_k(ms, (1, 2))  # the baseline, computed: every task's truth is known
    baseline = re.findall(r'<rect class="baseline" opacity="[\d.]+" data-k="([\w@]+)" data-value="([\d.]+)"', page)
    assert [(k, pytest.approx(float(v), abs=1e-6)) for k, v in baseline] == list(random.items())
    # the heatmaps, in the order asked: every cell drawn, with its outcome
    assert re.findall(r'<section class="task" id="task-(\d)" data-task="(\w)"', page) == [("0", "c"), ("1", "a")]
    assert page.count('class="cell ') == 3 * 3 + 2 * 2
    assert page.count('data-outcome="passed"') == 5 + 2 and page.count('data-outcome="wrong_answer"') == 4 + 2
    assert page.count('class="truth"') == 5 and page.count('data-chosen="true"') == 4
    assert '<a href="#task-0">c</a>' in page and "<td>b</td>" in page  # the table links the tasks drawn
    assert 'class="split"' in page  # task b: the picks disagree
    # without ground truth: no pass@k, no baseline, still the table and heatmaps
    for m in ms:
        m.correct = None
    page = render(ms, {"codet": None}, title="blind", focus="b")
    assert "No pass@k" in page and 'class="bar"' not in page and 'class="baseline"' not in page
    assert page.count('class="heatmap"') == 1 and 'class="truth"' not in page
    with pytest.raises(UsageError, match="nope"):
        render(ms, {}, title="x", focus=["nope"])


def test_render_says_what_the_caps_cut():
    m = matrix("big", ["PW" * 5] * 3 + ["WP" * 5], [1, 1, 1, 2], invalid=[9])
    page = render([m], {}, title="caps", max_rows=2, max_cols=4)
    assert page.count('class="cell ') == 2 * 4 and 'data-rows="2" data-columns="4"' in page
    assert "2 programs (3 samples) of the lowest-ranked groups are not drawn (at most 2 rows)" in page
    assert "6 tests passed by the fewest programs (1 of them invalid) are not drawn (at most 4 columns)" in page


# -- the page, rendered by a real browser ----------------------------------------------------------------


def test_select_report_renders_in_a_headless_browser(tmp_path) -> None:
    chromium()
    rng = np.random.default_rng(7)
    rows = ["".join("PWETC"[c] for c in rng.choice(5, size=40, p=[.5, .3, .1, .05, .05])) for _ in range(30)]
    big = matrix("big", rows, [int(c) for c in rng.integers(1, 6, size=30)], invalid=[3, 17],
                 correct=[bool(c) for c in rng.integers(0, 2, size=30)], broken=[29])
    big.outcomes[29] = NO_OUTCOME
    ms = [*_three_tasks(), big, _hostile_matrix()]
    names = ["codet", "maxpass", "b4"]
    rankings = rank_all(ms, names)
    results = {name: ranked_pass_at_k(ms, r, (1, 2)) for name, r in rankings.items()}
    focus = ["big", ms[-1].task_id, "b"]
    page = tmp_path / "select.html"
    page.write_text(render(ms, results, title="selection report", rankings=rankings, focus=focus), encoding="utf-8")
    html = rendered_dom(page, tmp_path)
    assert "<title>selection report</title>" in html
    bars = re.findall(r'<rect class="bar" data-selector="(\w+)" data-k="([\w@]+)"', html)
    assert bars == [(s, k) for s in names for k in ("pass@1", "pass@2")]
    assert len(re.findall(r'<rect class="baseline" [^>]*data-k="pass@\d"', html)) == 2
    maps = html.split('<svg class="heatmap"')[1:]
    assert len(maps) == 3
    for heatmap, m in zip(maps, [big, ms[-1], ms[1]]):
        heatmap = heatmap[:heatmap.index("</svg>")]
        n, t = m.shape
        assert heatmap.count('<rect class="cell ') == n * t
        for code in np.unique(m.outcomes):
            assert heatmap.count(f'data-outcome="{outcome_name(int(code))}"') == int((m.outcomes == code).sum())
        assert heatmap.count('<rect class="truth"') == n
        assert heatmap.count('data-chosen="true"') == len(names)  # each selector's pick, once
        assert heatmap.count('<rect class="test"') == t
    assert maps[0].count('data-invalid="true"') == 2 and maps[0].count('<rect class="invalid"') == 1
    assert "<img" not in html and "<script" not in html  # the hostile task's text stayed text
    assert "&lt;img src=x onerror" in html
    screenshot_bytes(page, tmp_path, min_bytes=60_000)  # bars, a table and heatmaps, not a blank page
