"""The test-suite report (`codereward suite --report FILE.html`): one self-contained HTML file (inline SVG and
CSS, no script, nothing fetched), like the selection and audit reports, so it opens offline.

Sections:
1. the summary: the means of suites.summarize(), a loud warning when the budget left tasks partial;
2. one row per task: tests, precision, mutation score and its counts, coverage, TPR/TNR;
3. the TPR/TNR scatter, one dot per task with a pool (when any task has one);
4. per task: the mutation heatmap (rows mutants, columns the suite's tests, a cell filled where the test kills
   the mutant, each row coloured by its status), the survivors' diffs, and the reference with line numbers,
   uncovered lines and lines holding a missing branch marked.

Task ids, test texts, programs, notes and reasons are untrusted: every one goes through select_html's `_text`
(html.escape, control characters and lone surrogates shown as escapes, long text cut).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..suites.covering import Coverage
from ..suites.mutation import MutantResult, MutationReport
from ..suites.score import SuiteScore
from .escaping import text as _text
from .numbers import percent

MAX_ROWS = 200  # mutants drawn per heatmap; past it survivors are kept first, the rest in cosmic-ray's order
MAX_COLS = 200  # tests drawn per heatmap, in the suite's order
MAX_DIFFS = 100  # survivors' diffs shown per task
TITLE_CHARS = 400  # the longest test text a hover title shows

# Row colour per mutant status ("equivalent": survived, and the strong suite could not kill it either).
STATUS: dict[str, tuple[str, str]] = {
    "killed": ("#27ae60", "killed"),
    "timed_out": ("#8e44ad", "timed out (counts as killed)"),
    "survived": ("#c0392b", "survived"),
    "equivalent": ("#f1c40f", "survived, likely equivalent"),
    "invalid": ("#95a5a6", "invalid (does not load: left out)"),
    "unreachable": ("#b2bec3", "unreachable from the entry point (left out)"),
    "error": ("#34495e", "sandbox error (left out)"),
    "not_run": ("#dfe4ea", "not run (budget)"),
}
KILL = "#2d3436"


def _pct(value: float | None, scale: float = 1.0) -> str:
    """A fraction (or, with scale=100, a percentage) as people read it; '-' when undefined."""
    return "-" if value is None else percent(value / scale)


def _status(m: MutantResult) -> str:
    return "equivalent" if m.equivalent else m.status


def short_operator(operator: str) -> str:
    """cosmic-ray's operator name without its plugin prefix: "core/NumberReplacer" -> "NumberReplacer"."""
    return operator.rsplit("/", 1)[-1]


def heatmap_rows(report: MutationReport, max_rows: int = MAX_ROWS) -> list[MutantResult]:
    """The mutants a heatmap draws, in cosmic-ray's order: all of them, or at most `max_rows`, survivors first
    (they are what the reader is after), then the others in order."""
    if len(report.mutants) <= max_rows:
        return list(report.mutants)
    ranked = sorted(range(len(report.mutants)), key=lambda i: (report.mutants[i].status != "survived", i))
    return [report.mutants[i] for i in sorted(ranked[:max_rows])]


# -- the summary and the table ---------------------------------------------------------------------------


def _summary(summary: Mapping[str, Any]) -> str:
    items = [f"<li><b>{summary.get('tasks', 0)}</b> tasks, <b>{summary.get('tests', 0):,}</b> tests</li>",
             f"<li>precision <b>{_pct(summary.get('precision'))}</b> (share of the tests the reference passes, "
             f"mean over tasks)</li>"]
    if summary.get("mutants"):
        killed, survived = summary.get("killed", 0) + summary.get("timed_out", 0), summary.get("survived", 0)
        items.append(f"<li>mutation score <b>{_pct(summary.get('mutation_score'))}</b>: {killed:,} killed "
                     f"({summary.get('timed_out', 0):,} by timeout) of {killed + survived:,} mutants that count; "
                     f"{summary.get('invalid', 0):,} invalid, {summary.get('unreachable', 0):,} unreachable, "
                     f"{summary.get('error', 0):,} sandbox errors, "
                     f"{summary.get('not_run', 0):,} not run</li>")
        if "equivalent" in summary:
            items.append(f"<li>without the {summary['equivalent']:,} likely equivalent mutants <b>"
                         f"{_pct(summary.get('mutation_score_nonequivalent'))}</b>; with the strong suite "
                         f"<b>{_pct(summary.get('mutation_score_with_strong'))}</b></li>")
    if summary.get("line_coverage") is not None:
        items.append(f"<li>line coverage <b>{_pct(summary['line_coverage'], 100)}</b>, branch coverage <b>"
                     f"{_pct(summary.get('branch_coverage'), 100)}</b> of the reference (means)</li>")
    if summary.get("coverage_errors"):
        items.append(f"<li>coverage not measured on <b>{summary['coverage_errors']}</b> tasks</li>")
    pools = summary.get("pools")
    if pools:
        items.append(f"<li>pools ({pools['problems']} tasks): TPR <b>{_pct(pools['tpr'])}</b>, TNR <b>"
                     f"{_pct(pools['tnr'])}</b>, SAGA's detection rate <b>{_pct(pools['detection_rate'])}</b>, "
                     f"verifier accuracy <b>{_pct(pools['verifier_accuracy'])}</b>"
                     + (f"; {pools['errors']} programs could not run (left out)" if pools.get("errors") else "")
                     + "</li>")
    if summary.get("seconds") is not None:
        items.append(f"<li>{summary['seconds']:.1f} s</li>")
    partial = summary.get("incomplete_tasks") or []
    warn = (f'<div class="warn" id="partial"><b>Partial: the time budget ran out on {len(partial)} task'
            f'{"s" if len(partial) != 1 else ""}</b> ({", ".join(_text(t, 80) for t in partial[:20])}'
            f'{", …" if len(partial) > 20 else ""}). Their mutation scores cover only the mutants that ran.</div>'
            if partial else "")
    return f'{warn}<ul id="summary">{"".join(items)}</ul>'


def _table(scores: Sequence[SuiteScore]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ["task", "tests", "precision", "mutation score", "killed", "survived",
                                             "timed out", "invalid", "line", "branch", "TPR", "TNR"])
    rows = []
    for k, s in enumerate(scores):
        m, c, p = s.mutation, s.coverage, s.pool
        mut = ("<td>-</td>" * 5 if m is None else
               f"<td>{_pct(m.score)}{'' if m.complete else ' <b class=partial>partial</b>'}</td>"
               f"<td>{m.count('killed')}</td><td class=\"{'bad' if m.count('survived') else ''}\">"
               f"{m.count('survived')}{f' ({m.equivalent} eq.)' if m.equivalent else ''}</td>"
               f"<td>{m.count('timed_out')}</td><td>{m.count('invalid')}</td>")
        cov = ("<td>-</td><td>-</td>" if c is None or c.error else
               f"<td>{_pct(c.line_percent, 100)}</td><td>{_pct(c.branch_percent, 100)}</td>")
        pool = "<td>-</td><td>-</td>" if p is None else f"<td>{_pct(p.tpr)}</td><td>{_pct(p.tnr)}</td>"
        rows.append(f'<tr data-task="{_text(s.task_id)}"><td><a href="#task-{k}">{_text(s.task_id, 80)}</a></td>'
                    f"<td>{s.tests}</td><td>{_pct(s.precision)}</td>{mut}{cov}{pool}</tr>")
    return (f'<div class="scroll"><table class="tasks"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


# -- the scatter -----------------------------------------------------------------------------------------


def _scatter(scores: Sequence[SuiteScore]) -> str:
    """TPR (x) against TNR (y), one dot per task whose pool defines both."""
    left_w, top, span = 50, 12, 280  # the plot's square: [left_w, left_w + span] x [top, top + span]
    width, height = left_w + span + 16, top + span + 44
    parts = [f'<rect x="{left_w}" y="{top}" width="{span}" height="{span}" fill="#fafbfc" stroke="#999"/>']
    for t in range(5):
        v = t / 4
        x, y = left_w + v * span, top + (1 - v) * span
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + span}" class="grid"/>'
                     f'<line x1="{left_w}" y1="{y:.1f}" x2="{left_w + span}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{x:.1f}" y="{top + span + 14}" text-anchor="middle" class="num">{v:g}</text>'
                     f'<text x="{left_w - 6}" y="{y + 4:.1f}" text-anchor="end" class="num">{v:g}</text>')
    mid_x, mid_y = left_w + span / 2, top + span / 2
    parts.append(f'<text x="{mid_x}" y="{height - 8}" text-anchor="middle" class="lbl">TPR (correct programs '
                 f'accepted)</text><text x="14" y="{mid_y}" text-anchor="middle" class="lbl" '
                 f'transform="rotate(-90 14 {mid_y})">TNR (incorrect programs rejected)</text>')
    left = []
    for s in scores:
        if s.pool is None:
            continue
        tpr, tnr = s.pool.tpr, s.pool.tnr
        if tpr is None or tnr is None:
            left.append(s.task_id)
            continue
        parts.append(f'<circle class="dot" data-task="{_text(s.task_id)}" cx="{left_w + tpr * span:.1f}" '
                     f'cy="{top + (1 - tnr) * span:.1f}" r="5"><title>{_text(s.task_id, 120)}: TPR {_pct(tpr)} '
                     f"({s.pool.correct_accepted}/{s.pool.correct}), TNR {_pct(tnr)} ({s.pool.incorrect_rejected}/"
                     f"{s.pool.incorrect})</title></circle>")
    note = (f'<p class="facts">Not drawn ({len(left)}): pools with no correct or no incorrect program: '
            f'{", ".join(_text(t, 80) for t in left[:20])}.</p>' if left else "")
    return (f'<svg id="scatter" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="TPR against TNR per task">{"".join(parts)}</svg>{note}')


# -- per task: heatmap, survivors, coverage --------------------------------------------------------------


def _heatmap(r: MutationReport, key: int, max_rows: int, max_cols: int) -> str:
    rows, ncols = heatmap_rows(r, max_rows), min(len(r.tests), max_cols)
    if not rows:
        return "<p>No mutants.</p>"
    label_w, strip_w, header_h, row_h = 300, 10, 24, 13
    x0 = label_w + strip_w + 6
    cell_w = min(16.0, max(3.0, (1040 - x0) / max(1, ncols)))
    width, height = max(1040, int(x0 + cell_w * ncols + 4)), header_h + row_h * len(rows) + 4
    kills = [0] * len(r.tests)
    for m in r.mutants:
        for j in m.killed_by:
            if 0 <= j < len(kills):
                kills[j] += 1
    failed, cw = set(r.reference_failed), max(1.0, cell_w - 1)
    parts = []
    for j in range(ncols):  # 1. the columns: one header cell per test, hatched when the reference fails it
        x = x0 + j * cell_w
        bad = j in failed
        about = f"test {j}: kills {kills[j]} mutants" + (" (the reference fails it: it kills nothing)" if bad else "")
        shade = 0.3 + 0.7 * min(1.0, kills[j] / max(1, len(r.mutants)))
        parts.append(f'<rect class="test" data-test="{j}" data-reference-failed="{str(bad).lower()}" x="{x:.2f}" '
                     f'y="4" width="{cw:.2f}" height="{header_h - 8}" '
                     f'fill="{f"url(#hatch-{key})" if bad else "#a4b0be"}" opacity="{1 if bad else shade:.2f}">'
                     f"<title>{about}\n{_text(r.tests[j], TITLE_CHARS)}</title></rect>")
    for i, m in enumerate(rows):  # 2. the rows: label, status strip, a filled cell per killing test
        y, st = header_h + i * row_h, _status(m)
        mu = m.mutant
        about = f"mutant {mu.index}: {mu.operator} at line {mu.line}, {STATUS[st][1]}"
        about += f" (strong suite: {m.strong})" if m.strong else ""
        about += f": {m.detail}" if m.detail else ""
        fill = STATUS["timed_out"][0] if m.status == "timed_out" else KILL
        op = short_operator(mu.operator)
        op = op if len(op) <= 42 else op[:41] + "…"
        cells = "".join(f'<rect class="kill" data-test="{j}" x="{x0 + j * cell_w:.2f}" width="{cw:.2f}" '
                        f'height="{row_h - 2}" fill="{fill}"/>' for j in m.killed_by if 0 <= j < ncols)
        parts.append(f'<g class="mutant {st}" data-mutant="{mu.index}" data-status="{st}" data-line="{mu.line}" '
                     f'transform="translate(0,{y})"><title>{_text(about, TITLE_CHARS)}</title>'
                     f'<rect class="bg" x="0" width="{x0 + cell_w * ncols:.1f}" height="{row_h - 1}"/>'
                     f'<text x="{label_w - 4}" y="{row_h - 3}" text-anchor="end" class="tiny">#{mu.index} '
                     f"{_text(op)} L{mu.line}</text>"
                     f'<rect x="{label_w}" width="{strip_w}" height="{row_h - 2}" fill="{STATUS[st][0]}"/>{cells}</g>')
    return (f'<svg class="heatmap" id="heatmap-{key}" data-rows="{len(rows)}" data-columns="{ncols}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="mutation heatmap of '
            f'{_text(r.task_id, 80)}"><defs><pattern id="hatch-{key}" width="4" height="4" '
            f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="2" height="4" '
            f'fill="#c0392b"/></pattern></defs>'
            f'{"".join(parts)}</svg>')


def _diff(text: str) -> str:
    def line(s: str) -> str:
        cls = "hunk" if s.startswith("@@") else "add" if s[:1] == "+" and not s.startswith("+++") else \
            "del" if s[:1] == "-" and not s.startswith("---") else ""
        return f'<span class="{cls}">{_text(s)}</span>' if cls else _text(s)
    return f'<pre class="diff">{"".join(line(s) for s in text.splitlines(keepends=True))}</pre>'


def _survivors(r: MutationReport, reference: str) -> str:
    survivors = r.survivors()
    if not survivors:
        return ""
    blocks = []
    for m in survivors[:MAX_DIFFS]:
        mu = m.mutant
        tag = " — likely equivalent (the strong suite cannot kill it either)" if m.equivalent else \
            " — the strong suite kills it" if m.strong in ("killed", "timed_out") else ""
        blocks.append(f'<details class="survivor" data-mutant="{mu.index}"><summary>mutant #{mu.index} '
                      f"{_text(short_operator(mu.operator), 60)}, line {mu.line}{tag}</summary>"
                      f"{_diff(mu.diff(reference))}</details>")
    more = len(survivors) - MAX_DIFFS
    cut = f'<p class="cut">{more} more survivors not shown (at most {MAX_DIFFS}).</p>' if more > 0 else ""
    return f"<h4>Survivors ({len(survivors)})</h4>{''.join(blocks)}{cut}"


def _source(c: Coverage, reference: str) -> str:
    """The reference with line numbers: uncovered lines and lines holding a missing branch marked."""
    if c.error:
        return f'<p class="cut">Coverage not measured: {_text(c.error, 600)}</p>'
    missing, executed = set(c.missing_lines), set(c.executed_lines)
    branches: dict[int, list[int]] = {}
    for a, b in c.missing_branches:
        branches.setdefault(a, []).append(b)
    rows = []
    for n, text in enumerate(reference.splitlines(), 1):
        cls, title = "miss" if n in missing else "run" if n in executed else "", ""
        if n in branches:
            cls += " branch"
            title = "; ".join(f"branch to line {b} never taken" if b > 0 else "branch to the exit never taken"
                              for b in branches[n])
        attrs = (f' class="{cls.strip()}"' if cls else "") + (f' title="{title}"' if title else "")
        rows.append(f'<tr data-line="{n}"{attrs}><td class="ln">{n}</td><td>{_text(text)}</td></tr>')
    return (f'<p class="facts">Line coverage {_pct(c.line_percent, 100)} of {c.statements} statements, branch '
            f"coverage {_pct(c.branch_percent, 100)} of {c.branches} branch destinations.</p>"
            f'<div class="scroll"><table class="src">{"".join(rows)}</table></div>')


def _task(s: SuiteScore, key: int, reference: str, max_rows: int, max_cols: int) -> str:
    parts = [f"<h3>{_text(s.task_id, 120)}</h3>"]
    notes = [f'<p class="cut">{_text(n, 600)}</p>' for n in s.notes]
    r = s.mutation
    if r is not None:
        facts = f"{len(r.mutants)} mutants × {len(r.tests)} tests; score {_pct(r.score)}"
        if r.equivalent:
            facts += f", {_pct(r.score_nonequivalent)} without its {r.equivalent} likely equivalent mutants"
        parts.append(f'<p class="facts">{facts}.</p>')
        if r.reason:  # a partial report's reason is a warning; a complete one's (no test can kill) a remark
            notes.append(f'<p class="{"cut" if r.complete else "warn"}">{_text(r.reason, 600)}</p>')
    parts += notes
    if r is not None:
        shown, ncols = len(heatmap_rows(r, max_rows)), min(len(r.tests), max_cols)
        cuts = ([f"{len(r.mutants) - shown} mutants (at most {max_rows} rows, survivors kept)"]
                if shown < len(r.mutants) else [])
        cuts += [f"the last {len(r.tests) - ncols} tests (at most {max_cols} columns)"] if ncols < len(r.tests) else []
        parts.append(f'<p class="cut">Not drawn: {"; ".join(cuts)}.</p>' if cuts else "")
        parts.append(_heatmap(r, key, max_rows, max_cols) + _survivors(r, reference))
    if s.coverage is not None:
        parts.append("<h4>Coverage of the reference</h4>" + _source(s.coverage, reference))
    return f'<section class="task" id="task-{key}" data-task="{_text(s.task_id)}">{"".join(parts)}</section>'


def render(scores: Sequence[SuiteScore], summary: dict[str, Any], references: Mapping[str, str],
           title: str = "codereward suite", *, max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS) -> str:
    """The suite report as one HTML page. `summary`: suites.summarize(scores); `references`: task id -> the
    reference program the mutants and coverage are of (the diffs and the source listing)."""
    legend = "".join(f'<span><i style="background:{c}"></i>{what}</span>' for c, what in STATUS.values())
    legend += (f'<span><i style="background:{KILL}"></i>the test kills the mutant</span>'
               '<span><i class="hatched"></i>a test the reference fails (kills nothing)</span>')
    row_css = "".join(f"g.mutant.{k} rect.bg {{ fill: {c}; opacity: .12; }}" for k, (c, _) in STATUS.items())
    pools = any(s.pool is not None for s in scores)
    scatter = f'<h2 id="pools">Pools: TPR against TNR</h2>{_scatter(scores)}' if pools else ""
    tasks = "".join(_task(s, k, references.get(s.task_id, ""), max_rows, max_cols) for k, s in enumerate(scores))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_text(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
.lbl {{ font-size: 12px; fill: #333; }} .num {{ font-size: 11px; fill: #555; }} .tiny {{ font-size: 10px; fill: #333; }}
.grid {{ stroke: #e3e3e3; }} circle.dot {{ fill: #2e86de; fill-opacity: .6; stroke: #1b4f72; }}
{row_css} g.mutant.survived rect.bg {{ opacity: .3; }} g.mutant.survived text {{ font-weight: bold; fill: #922b21; }}
.legend {{ font-size: 13px; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: .5em 0; }}
.legend i {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px -1px 0; }}
.legend i.hatched {{ background: repeating-linear-gradient(45deg, #c0392b 0 2px, #eee 2px 5px); }}
p.facts, p.cut {{ font-size: 13px; margin: .2em 0 .5em; }} p.cut {{ color: #a04000; }}
.warn {{ background: #fdecea; border: 2px solid #c0392b; color: #922b21; padding: .6em 1em; margin: .5em 0; }}
b.partial {{ color: #c0392b; }} td.bad {{ color: #c0392b; font-weight: bold; }}
section.task {{ border-top: 2px solid #eee; margin-top: 1em; }} section.task h3 {{ margin: .6em 0 .2em; }}
div.scroll {{ max-height: 560px; overflow: auto; border: 1px solid #ddd; }}
table.tasks {{ border-collapse: collapse; font-size: 12.5px; width: 100%; }}
table.tasks th, table.tasks td {{ border-bottom: 1px solid #eee; padding: 2px 6px; text-align: right; }}
table.tasks td:first-child, table.tasks th:first-child {{ text-align: left; }}
table.tasks thead th {{ position: sticky; top: 0; background: #f6f7f9; border-bottom: 1px solid #ccc; }}
table.src {{ border-collapse: collapse; font: 12px/1.35 ui-monospace, monospace; white-space: pre; width: 100%; }}
table.src td.ln {{ color: #999; text-align: right; padding: 0 8px; user-select: none; border-right: 1px solid #ddd; }}
table.src tr.run td.ln {{ background: #e9f7ef; }} table.src tr.miss {{ background: #fadbd8; }}
table.src tr.branch td.ln {{ background: #f9e79f; font-weight: bold; }} table.src tr.branch {{ cursor: help; }}
pre.diff {{ font-size: 12px; background: #f8f9fa; padding: .5em; overflow-x: auto; }}
pre.diff .add {{ color: #1e8449; }} pre.diff .del {{ color: #c0392b; }} pre.diff .hunk {{ color: #7f8c8d; }}
details.survivor summary {{ cursor: pointer; font-size: 13px; }}
</style></head><body>
<h1>{_text(title)}</h1>
{_summary(summary)}
<h2 id="tasks">Tasks</h2>
{_table(scores)}
{scatter}
<h2 id="mutation">Per task: mutation heatmap and coverage</h2>
<p class="facts">Heatmap rows: mutants of the reference (index, cosmic-ray operator, line), the strip coloured by
status; columns: the suite's tests, in order (the header's shade: how many mutants each kills). Hover for the
test's text and the mutant's detail. Coverage: uncovered lines in red; a line number in yellow holds a branch
never taken (hover for where it goes).</p>
<div class="legend">{legend}</div>
{tasks or "<p>No task.</p>"}
</body></html>
"""


__all__ = ["MAX_COLS", "MAX_ROWS", "heatmap_rows", "render", "short_operator"]
