"""The test-suite report (report/suite_html.py): what a reader relies on — the heatmap cells of the tests that
kill each mutant, the survivors' diffs, the reference's uncovered lines and missing branches, the TPR/TNR
scatter, the partial-budget warning — with hostile task ids, tests and programs kept as text; the page as a
real browser renders it; and the report of a real run on two HumanEval tasks."""

from __future__ import annotations

import re

from browser import Tags, chromium, rendered_dom, screenshot_bytes

from codereward.report.suite_html import heatmap_rows, render, short_operator
from codereward.suites import Coverage, Mutant, MutantResult, MutationReport, PoolScore, SuiteScore, summarize

REF = "def f(x):\n    if x > 0:\n        return 1\n    return 0\n"
HOSTILE = ['</script><script>alert(1)</script>', '<img src=x onerror="alert(2)">', '"><svg onload=alert(3)>',
           "</title><script>alert(4)</script>", "a\x00b\x1b[31m\ud800"]
SAFE_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "ul", "li", "b", "p", "svg",
             "defs", "pattern", "rect", "line", "text", "g", "circle", "div", "span", "i", "table", "thead", "tbody",
             "tr", "th", "td", "a", "section", "details", "summary", "pre"}


def mutant(index: int, operator: str, line: int, old: str, new: str, status: str, killed_by: list[int] | None = None,
           strong: str | None = None, detail: str = "") -> MutantResult:
    program = REF.replace(old, new, 1)
    assert program != REF
    return MutantResult(Mutant(index, f"core/{operator}", 0, line, program), status,
                        killed_by or [], strong, detail)


def report(task_id: str = "t/0", complete: bool = True) -> MutationReport:
    """Five mutants over three tests, the middle one failed by the reference (it kills nothing)."""
    return MutationReport(task_id, ["assert f(1) == 1", "assert f(2) == 3", "assert f(-1) == 0"], [
        mutant(0, "ReplaceComparisonOperator_Gt_Lt", 2, "x > 0", "x < 0", "killed", [0, 2]),
        mutant(1, "NumberReplacer", 3, "return 1", "return 2", "survived", strong="killed"),
        mutant(2, "ReplaceComparisonOperator_Gt_GtE", 2, "x > 0", "x >= 0", "survived", strong="survived"),
        mutant(3, "AddNot", 2, "if x > 0", "if not x > 0", "timed_out", [0]),
        mutant(4, "ZeroIterationForLoop", 4, "return 0", "return 0 +", "invalid", detail="SyntaxError"),
    ], reference_failed=[1], complete=complete, strong=True,
        reason="" if complete else "the time budget ran out: the score covers the mutants that ran")


def coverage(task_id: str = "t/0") -> Coverage:
    return Coverage(task_id, line_percent=75.0, branch_percent=50.0, statements=4, branches=2,
                    executed_lines=[1, 2, 4], missing_lines=[3], missing_branches=[(2, 3)])


def scores(complete: bool = True) -> list[SuiteScore]:
    return [SuiteScore("t/0", 3, 2, report("t/0", complete), coverage("t/0"), PoolScore("t/0", 4, 4, 3, 2)),
            SuiteScore("t/1", 3, 3, None, Coverage("t/1", error="the sandbox could not run the reference"),
                       PoolScore("t/1", 2, 0, 2, 0)),  # no incorrect program: no TNR, no dot
            SuiteScore("t/2", 1, 1, notes=["no pool"])]


def page(ss: list[SuiteScore], **kw: int) -> str:
    return render(ss, summarize(ss, 1.5), {s.task_id: REF for s in ss}, **kw)


def heatmaps(html: str) -> list[str]:
    return [h[:h.index("</svg>")] for h in html.split('<svg class="heatmap"')[1:]]


def rows(heatmap: str) -> list[tuple[str, int, list[int]]]:
    """(status, mutant index, the tests whose cells are filled) per heatmap row."""
    out = []
    for row in heatmap.split('<g class="mutant ')[1:]:
        status, index = re.match(r'(\w+)" data-mutant="(\d+)"', row).groups()
        out.append((status, int(index), [int(j) for j in re.findall(r'<rect class="kill" data-test="(\d+)"', row)]))
    return out


# -- the page, as text -----------------------------------------------------------------------------------


def test_heatmap_fills_the_cells_of_the_killing_tests():
    html = page(scores())
    (heatmap,) = heatmaps(html)  # t/1 and t/2 have no mutation report
    assert 'data-rows="5" data-columns="3"' in heatmap
    assert rows(heatmap) == [("killed", 0, [0, 2]), ("survived", 1, []), ("equivalent", 2, []),
                             ("timed_out", 3, [0]), ("invalid", 4, [])]
    # the test the reference fails is hatched; the header says how many mutants each test kills
    assert re.findall(r'data-test="(\d)" data-reference-failed="true"', heatmap) == ["1"]
    assert "test 0: kills 2 mutants" in heatmap and "test 2: kills 1 mutants" in heatmap
    assert "#1 NumberReplacer L3</text>" in heatmap and "(strong suite: survived)" in heatmap
    assert short_operator("core/NumberReplacer") == "NumberReplacer"


def test_survivors_diffs_and_equivalents():
    html = page(scores())
    diffs = re.findall(r'<details class="survivor" data-mutant="(\d+)"><summary>(.*?)</summary>(.*?)</details>', html,
                       re.S)
    assert [d[0] for d in diffs] == ["1", "2"]
    assert "the strong suite kills it" in diffs[0][1] and "likely equivalent" in diffs[1][1]
    assert '<span class="del">-        return 1\n</span><span class="add">+        return 2\n</span>' in diffs[0][2]
    assert '<span class="add">+    if x &gt;= 0:\n</span>' in diffs[1][2]


def test_coverage_marks_uncovered_lines_and_missing_branches():
    html = page(scores())
    assert '<tr data-line="3" class="miss"><td class="ln">3</td><td>        return 1</td></tr>' in html
    assert '<tr data-line="2" class="run branch" title="branch to line 3 never taken">' in html
    assert '<tr data-line="1" class="run">' in html and '<tr data-line="4" class="run">' in html
    assert "Line coverage 75.0% of 4 statements, branch coverage 50.0% of 2 branch destinations" in html
    assert "Coverage not measured: the sandbox could not run the reference" in html
    exit_branch = Coverage("t/0", 50.0, 50.0, 4, 2, [1, 2], [3, 4], [(2, -1)])
    assert 'title="branch to the exit never taken"' in page([SuiteScore("t/0", 1, 1, coverage=exit_branch)])


def test_summary_table_and_scatter():
    html = page(scores())
    summary = html[html.index('<ul id="summary">'):html.index("</ul>")]
    assert "mutation score <b>50.0%</b>: 2 killed (1 by timeout) of 4 mutants" in summary
    assert "line coverage <b>75.0%</b>" in summary and "TPR <b>87.5%</b>, TNR <b>50.0%</b>" in summary
    row = re.search(r'<tr data-task="t/0">(.*?)</tr>', html).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", row)[1:] == ["3", "66.7%", "50.0%", "1", "2 (1 eq.)", "1", "1",
                                                           "75.0%", "50.0%", "75.0%", "50.0%"]
    dots = re.findall(r'<circle class="dot" data-task="([^"]+)" cx="([\d.]+)" cy="([\d.]+)" r="5"><title>(.*?)</title>',
                      html)
    assert [(t, float(x), float(y)) for t, x, y, _ in dots] == [("t/0", 50 + 0.75 * 280, 12 + 0.5 * 280)]
    assert dots[0][3] == "t/0: TPR 75.0% (3/4), TNR 50.0% (2/4)"
    assert "Not drawn (1): pools with no correct or no incorrect program: t/1." in html
    no_pools = [SuiteScore(s.task_id, s.tests, s.reference_passed, s.mutation, s.coverage) for s in scores()]
    assert 'id="scatter"' not in page(no_pools) and "TPR <b>" not in page(no_pools)


def test_equivalents_in_the_summary():
    html = page(scores())
    assert "without the 1 likely equivalent mutants <b>66.7%</b>; with the strong suite <b>75.0%</b>" in html


def test_a_partial_run_says_so_loudly():
    assert 'id="partial"' not in page(scores())
    html = page(scores(complete=False))
    warn = re.search(r'<div class="warn" id="partial">(.*?)</div>', html).group(1)
    assert "the time budget ran out on 1 task</b> (t/0)" in warn
    assert '50.0% <b class=partial>partial</b>' in html
    assert '<p class="warn">the time budget ran out: the score covers the mutants that ran</p>' in html


def test_large_heatmaps_are_capped_keeping_survivors():
    many = [MutantResult(Mutant(i, "core/NumberReplacer", 0, 1, f"x = {i}\n"), "survived" if i % 50 == 49 else
                         "killed", [i % 230]) for i in range(250)]
    r = MutationReport("big", [f"assert t{j}" for j in range(230)], many)
    kept = heatmap_rows(r, 200)
    assert len(kept) == 200 and {m.mutant.index for m in kept} >= {49, 99, 149, 199, 249}
    assert [m.mutant.index for m in kept] == sorted(m.mutant.index for m in kept)
    html = page([SuiteScore("big", 230, 230, r)])
    (heatmap,) = heatmaps(html)
    assert 'data-rows="200" data-columns="200"' in heatmap
    assert all(j < 200 for _, _, cells in rows(heatmap) for j in cells)
    assert "Not drawn: 50 mutants (at most 200 rows, survivors kept); the last 30 tests (at most 200 columns)" in html
    assert len(heatmaps(page([SuiteScore("big", 230, 230, r)], max_rows=10, max_cols=5))[0].split("<g ")) == 11


def hostile_scores() -> list[SuiteScore]:
    r = report(HOSTILE[0])
    r.tests[0] = f"assert f('{HOSTILE[1]}') == 1"
    r.mutants[4].detail = HOSTILE[2]
    r.mutants[1] = MutantResult(Mutant(1, f"core/{HOSTILE[3]}", 0, 3, REF + f"# {HOSTILE[1]} {HOSTILE[4]}\n"),
                                "survived")
    return [SuiteScore(HOSTILE[0], 3, 2, r, coverage(HOSTILE[0]), PoolScore(HOSTILE[0], 1, 1, 1, 1),
                       notes=[HOSTILE[2]])]


def test_hostile_strings_render_as_text():
    ss = hostile_scores()
    html = render(ss, summarize(ss), {HOSTILE[0]: REF + f"# {HOSTILE[3]}\n"}, title=HOSTILE[3])
    html.encode("utf-8")  # a lone surrogate in a program does not break the file
    parser = Tags()
    parser.feed(html)
    assert parser.tags <= SAFE_TAGS, parser.tags - SAFE_TAGS
    assert not {a for a in parser.attributes if a.startswith("on")}
    assert "<script" not in html and "<img" not in html and html.count("<style") == 1
    assert f"<title>{'&lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt;'}</title>" in html
    assert '<circle class="dot" data-task="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "assert f(&#x27;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;&#x27;) == 1" in html  # the test's text
    assert "&quot;&gt;&lt;svg onload=alert(3)&gt;" in html  # the note and the invalid mutant's detail
    assert "a\\x00b\\x1b[31m\\ud800" in html  # the survivor's diff: control characters and the surrogate escaped


# -- the page, rendered by a real browser ----------------------------------------------------------------


def test_suite_report_renders_in_a_headless_browser(tmp_path) -> None:
    chromium()
    many = [MutantResult(Mutant(i, "core/ReplaceComparisonOperator_NotEq_IsNot", 0, 1 + i % 4,
                                REF.replace("0", str(i + 1))), "survived" if i % 7 == 0 else "killed",
                         [] if i % 7 == 0 else [j for j in range(40) if (i + j) % 3 == 0]) for i in range(60)]
    big = SuiteScore("big", 40, 40, MutationReport("big", [f"assert f({j}) == {j}" for j in range(40)], many),
                     coverage("big"), PoolScore("big", 5, 5, 5, 4))
    ss = [*scores(complete=False), big, *hostile_scores()]
    path = tmp_path / "suite.html"
    path.write_text(render(ss, summarize(ss), {s.task_id: REF for s in ss}, title="suite report"), encoding="utf-8")
    html = rendered_dom(path, tmp_path)
    assert "<title>suite report</title>" in html and 'id="partial"' in html
    maps = heatmaps(html)
    assert len(maps) == 3  # t/0, big, the hostile task
    for heatmap, r in zip(maps, [ss[0].mutation, big.mutation, ss[-1].mutation]):
        assert r is not None
        assert [(i, cells) for _, i, cells in rows(heatmap)] == [(m.mutant.index, m.killed_by) for m in r.mutants]
    assert html.count('<details class="survivor"') == 2 + 9 + 2
    assert html.count('<circle class="dot"') == 3 and html.count('class="miss"') == 3  # t/1's coverage failed
    assert "<script" not in html and "<img" not in html  # no script at all: the hostile texts stayed text
    screenshot_bytes(path, tmp_path, min_bytes=40_000)


# -- a real run ------------------------------------------------------------------------------------------


def test_report_of_a_real_run_on_two_humaneval_tasks() -> None:
    from codereward import Engine
    from codereward.suites import PACKAGES, score_suites
    from codereward.tasks import load_dataset

    tasks = load_dataset("humaneval")
    chosen = [tasks["HumanEval/0"], tasks["HumanEval/2"]]
    with Engine(workers=2, time_limit="auto", packages=PACKAGES) as engine:
        ss = score_suites(engine, chosen, max_mutants=20)
    html = render(ss, summarize(ss), {t.id: t.reference or "" for t in chosen})
    maps = heatmaps(html)
    assert len(maps) == 2
    for heatmap, s, t in zip(maps, ss, chosen):
        assert s.mutation is not None and s.coverage is not None and not s.coverage.error
        drawn = rows(heatmap)
        assert [i for _, i, _ in drawn] == [m.mutant.index for m in s.mutation.mutants] and 0 < len(drawn) <= 20
        assert [cells for _, _, cells in drawn] == [m.killed_by for m in s.mutation.mutants]
        assert any(cells for _, _, cells in drawn)  # the suite kills something
        section = html.split(f'data-task="{t.id}">')[-1]
        listing = re.findall(r'<tr data-line="(\d+)"( class="[^"]+")?', section.split("</table>")[0])
        assert len(listing) == len((t.reference or "").splitlines())
        assert {int(n) for n, cls in listing if "run" in cls} == set(s.coverage.executed_lines)
    assert html.count('<details class="survivor"') == sum(len(s.mutation.survivors()) for s in ss if s.mutation)
    assert 'id="scatter"' not in html  # no pools
