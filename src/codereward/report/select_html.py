"""The selection report (`codereward select --report FILE.html`): one self-contained HTML file (inline SVG and
CSS, no script, nothing fetched), like the audit's report (audit_html.py), so it opens offline and renders the
same in a headless browser.

Sections:
1. the headline: what the pass matrices hold;
2. selectors compared: grouped bars of each selector's ranked pass@k beside the random pick's unbiased pass@k;
3. one row per task: sizes, test precision, share of correct samples, each selector's pick right or wrong;
4. pass-matrix heatmaps of the focus tasks: programs grouped by consensus set (the programs passing exactly
   the same valid tests: CodeT's grouping), groups in CodeT's order; tests by how many programs pass them;
   each cell coloured by its outcome; the ground truth and each selector's top group beside the rows.

Programs and tests are untrusted model output. Every string drawn from them (or from task ids and selector
names) goes through `_text`: html.escape, control characters and lone surrogates shown as escapes, long text
cut. Nothing in them can become markup or break the file's UTF-8.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..results import Outcome
from ..select.evaluate import random_pass_at_k, test_precision
from ..select.matrix import NO_OUTCOME, PassMatrix
from ..select.rankers import Ranking, chosen, codet
from .escaping import text as _text
from .numbers import percent

MAX_ROWS = 200  # programs drawn per heatmap; past it the lowest-ranked groups are cut (and the page says so)
MAX_COLS = 300  # tests drawn per heatmap; past it those passed by the fewest programs are cut
FOCUS = 3  # heatmaps drawn when `focus` is not given
TITLE_CHARS = 600  # the longest program or test text a hover title shows
BASELINE = "random (unbiased)"

# Heatmap colour per kind of outcome; the cell's exact outcome is in its data-outcome attribute.
KINDS: dict[str, tuple[str, str]] = {
    "passed": ("#27ae60", "passed"),
    "wrong": ("#c0392b", "wrong answer"),
    "error": ("#e67e22", "error (runtime, compile, memory, output)"),
    "timeout": ("#8e44ad", "time limit"),
    "norun": ("#dfe4ea", "not run"),
}
KIND_OF: dict[str, str] = {
    Outcome.PASSED.value: "passed", Outcome.WRONG_ANSWER.value: "wrong", Outcome.RUNTIME_ERROR.value: "error",
    Outcome.COMPILE_ERROR.value: "error", Outcome.MEMORY_LIMIT.value: "error", Outcome.OUTPUT_LIMIT.value: "error",
    Outcome.TIME_LIMIT.value: "timeout", Outcome.SKIPPED.value: "norun", Outcome.INVALID.value: "norun",
}
OUTCOME_NAMES = [o.value for o in Outcome]  # by OUTCOME_CODES value
K_COLORS = ["#2e86de", "#16a085", "#e67e22", "#8e44ad", "#c0392b", "#7f8c8d"]
OK, BAD, CHOSEN, TOP = "#27ae60", "#c0392b", "#2d3436", "#a4b0be"

def outcome_name(code: int) -> str:
    """An outcome code's value ("passed", "wrong_answer", ...), "not_run" for a cell never run."""
    return "not_run" if code == NO_OUTCOME or not 0 <= code < len(OUTCOME_NAMES) else OUTCOME_NAMES[code]


def _truth(m: PassMatrix) -> npt.NDArray[np.bool_] | None:
    """The programs' ground truth when it is known for every one of them."""
    return None if m.correct is None or m.extra.get("truth_errors") else m.correct


# -- the pure parts: row groups, column order, caps, focus -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    """Heatmap rows that belong together: one consensus set, or the programs CodeT leaves out."""

    programs: list[int]  # most-sampled first
    score: float | None  # CodeT's score; None for the programs outside its ranking
    label: str


def program_groups(m: PassMatrix) -> list[Group]:
    """The task's programs as heatmap rows: CodeT's consensus sets by score, best first (codet()), then the
    executed programs that pass no valid test, then those that did not execute. In a group, programs by sample
    count, most first (then index)."""
    def by_count(programs: Sequence[int]) -> list[int]:
        return sorted(programs, key=lambda i: (-int(m.program_counts[i]), i))

    groups = [Group(by_count(members), float(score) if not isinstance(score, tuple) else float(score[0]),
                    f"consensus set #{rank}") for rank, (members, score) in enumerate(codet(m), 1)]
    ranked = {i for g in groups for i in g.programs}
    idle = [i for i in range(len(m.programs)) if m.executed[i] and i not in ranked]
    broken = [i for i in range(len(m.programs)) if not m.executed[i]]
    if idle:
        groups.append(Group(by_count(idle), None, "passes no valid test"))
    if broken:
        groups.append(Group(by_count(broken), None, "not executed (sandbox error)"))
    return groups


def test_order(m: PassMatrix) -> list[int]:
    """The task's tests as heatmap columns: valid tests first, then the invalid ones; in each part by how many
    of the executed programs pass the test, most first (then by how often it was proposed, then index)."""
    passing = m.passed[m.executed].sum(axis=0) if len(m.programs) else np.zeros(len(m.tests), dtype=np.int64)
    return sorted(range(len(m.tests)),
                  key=lambda j: (bool(m.invalid[j]), -int(passing[j]), -int(m.test_counts[j]), j))


test_order.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite the name


@dataclass(frozen=True, slots=True)
class Layout:
    """What a heatmap draws, in order, and what it leaves out."""

    groups: list[Group]  # the groups drawn, the last one cut short when the row cap falls inside it
    columns: list[int]  # test indices, left to right
    cut_programs: int  # programs left out (the lowest-ranked)
    cut_samples: int  # their samples
    cut_tests: int  # tests left out (those passed by the fewest programs)
    cut_invalid: int  # of which invalid

    @property
    def rows(self) -> list[int]:
        return [i for g in self.groups for i in g.programs]


def heatmap_layout(m: PassMatrix, max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS) -> Layout:
    """Rows (program_groups) and columns (test_order) of the task's heatmap, cut to at most `max_rows` programs
    and `max_cols` tests."""
    if max_rows < 1 or max_cols < 1:
        raise UsageError(f"a heatmap needs at least one row and one column (max_rows={max_rows}, "
                         f"max_cols={max_cols})")
    kept: list[Group] = []
    left = max_rows
    for g in program_groups(m):
        if left <= 0:
            break
        kept.append(g if len(g.programs) <= left else Group(g.programs[:left], g.score, g.label))
        left -= len(kept[-1].programs)
    shown = {i for g in kept for i in g.programs}
    cut = [i for i in range(len(m.programs)) if i not in shown]
    order = test_order(m)
    dropped = order[max_cols:]
    return Layout(kept, order[:max_cols], len(cut), int(m.program_counts[cut].sum()), len(dropped),
                  int(m.invalid[dropped].sum()) if dropped else 0)


def _pick_correct(m: PassMatrix, ranking: Ranking | None) -> bool | None:
    truth = _truth(m)
    pick = chosen(m, ranking) if ranking else None
    return None if truth is None or pick is None else bool(truth[pick])


def default_focus(matrices: Sequence[PassMatrix], rankings: Mapping[str, Mapping[str, Ranking]] | None = None,
                  n: int = FOCUS) -> list[str]:
    """The `n` tasks most worth a heatmap, in task order: first those where the selectors' picks differ in
    correctness, then those where they pick different programs, then the first tasks."""
    def interest(m: PassMatrix) -> int:
        if not rankings:
            return 0
        per = [r.get(m.task_id) for r in rankings.values()]
        right = {_pick_correct(m, r) for r in per} - {None}
        picks = {chosen(m, r) if r else None for r in per}
        return 2 if len(right) > 1 else 1 if len(picks) > 1 else 0

    scored = sorted(range(len(matrices)), key=lambda k: (-interest(matrices[k]), k))
    return [matrices[k].task_id for k in sorted(scored[:n])]


def _ks(series: Sequence[Mapping[str, float]]) -> list[str]:
    """Every key of the series, pass@k keys by k, any other key after them in first-seen order."""
    keys = list(dict.fromkeys(k for s in series for k in s))

    def number(key: str) -> float:
        head, _, tail = key.partition("@")
        return float(tail) if head == "pass" and tail.isdigit() else math.inf

    return sorted(keys, key=lambda key: (number(key), keys.index(key)))


# -- the chart -------------------------------------------------------------------------------------------


def _chart(results: Mapping[str, Mapping[str, float]], baseline: Mapping[str, float] | None) -> str:
    """Horizontal grouped bars: a group per selector (the random pick's last), a bar per k, values labelled."""
    series = [(name, values, False) for name, values in results.items()]
    if baseline:
        series.append((BASELINE, baseline, True))
    ks = _ks([s for _, s, _ in series])
    width, label_w, bar_h, gap, top_h = 1040, 170, 15, 14, 30
    values = [float(v) for _, s, _ in series for v in s.values()]
    top = max(0.1, math.ceil(max(values, default=0.0) * 10 - 1e-9) / 10)
    scale = (width - label_w - 120) / top  # room right of a full bar for its label
    best = {k: max((float(s[k]) for _, s, base in series if not base and k in s), default=None) for k in ks}
    color = {k: K_COLORS[i % len(K_COLORS)] for i, k in enumerate(ks)}
    group_h = len(ks) * bar_h + gap
    bottom = top_h + len(series) * group_h
    parts = [f'<rect x="{label_w + 90 * i}" y="6" width="12" height="12" fill="{color[k]}"/>'
             f'<text x="{label_w + 16 + 90 * i}" y="17" class="lbl">{_text(k)}</text>' for i, k in enumerate(ks)]
    for t in range(round(top * 10) + 1):
        x = label_w + t / 10 * scale
        parts.append(f'<line x1="{x:.1f}" y1="{top_h - 4}" x2="{x:.1f}" y2="{bottom - gap + 4}" class="grid"/>'
                     f'<text x="{x:.1f}" y="{bottom + 8}" text-anchor="middle" class="num">{t * 10}%</text>')
    for g, (name, s, base) in enumerate(series):
        y0 = top_h + g * group_h
        if base:
            parts.append(f'<line x1="8" y1="{y0 - gap / 2:.1f}" x2="{width - 8}" y2="{y0 - gap / 2:.1f}" '
                         f'class="sep"/>')
        cls = "lbl base" if base else "lbl"
        parts.append(f'<text x="{label_w - 10}" y="{y0 + len(ks) * bar_h / 2 + 4:.1f}" text-anchor="end" '
                     f'class="{cls}">{_text(name, 40)}</text>')
        for i, k in enumerate(ks):
            y = y0 + i * bar_h
            if k not in s:
                parts.append(f'<text x="{label_w + 4}" y="{y + bar_h - 4}" class="num">{_text(k)}: -</text>')
                continue
            v = float(s[k])
            w = max(1.0, v * scale) if v > 0 else 0.0
            tag = 'class="baseline" opacity="0.45"' if base else f'class="bar" data-selector="{_text(name)}"'
            strong = not base and best[k] is not None and v == best[k]
            parts.append(f'<rect {tag} data-k="{_text(k)}" data-value="{v:.6f}" x="{label_w}" y="{y}" '
                         f'width="{w:.1f}" height="{bar_h - 2}" fill="{color[k]}">'
                         f"<title>{_text(name)}, {_text(k)}: {percent(v)}</title></rect>"
                         f'<text x="{label_w + w + 5:.1f}" y="{y + bar_h - 4}" class="num{" best" if strong else ""}">'
                         f"{_text(k)} {percent(v)}</text>")
    h = bottom + 16
    return (f'<svg id="selectors-chart" width="{width}" height="{h}" viewBox="0 0 {width} {h}" role="img" '
            f'aria-label="ranked pass@k per selector">{"".join(parts)}</svg>')


# -- the heatmap -----------------------------------------------------------------------------------------


def _common_lines(programs: Sequence[str]) -> int:
    """How many leading lines every program shares (the prompt, for completions)."""
    if len(programs) < 2:
        return 0
    split = [p.splitlines() for p in programs]
    n = 0
    for column in zip(*split):
        if any(line != column[0] for line in column):
            break
        n += 1
    return n


def _snippet(program: str, skip: int, lines: int = 12) -> str:
    """The program's own lines (past the `skip` every program shares), blank ones dropped, at most `lines`."""
    own = [line for line in program.splitlines()[skip:] if line.strip()] or program.splitlines()[-lines:]
    more = len(own) - lines
    return "\n".join(own[:lines]) + (f"\n… ({more} more lines)" if more > 0 else "")


def _heatmap(m: PassMatrix, key: str, rankings: Mapping[str, Mapping[str, Ranking]], max_rows: int,
             max_cols: int) -> str:
    """One task's pass matrix as an SVG heatmap, with what it shows said above it."""
    lay = heatmap_layout(m, max_rows, max_cols)
    rows, cols = lay.rows, lay.columns
    if not rows or not cols:
        return f"<p>Nothing to draw: {len(m.programs)} programs, {len(m.tests)} tests.</p>"
    truth = _truth(m)
    tops = {name: r[m.task_id] for name, r in rankings.items() if r.get(m.task_id)}
    valid = m.valid()
    passing = m.passed[m.executed].sum(axis=0)
    executed = int(m.executed.sum())
    skip = _common_lines(m.programs)
    # 1. geometry: fixed columns on the left (group band, sample counts, truth, one per selector), then cells
    band_w, count_w, mark_w, header_h = 26, 46, 14, 84
    x = band_w + count_w + 6
    truth_x = x if truth is not None else None
    x += mark_w if truth is not None else 0
    pick_x = {name: x + mark_w * i for i, name in enumerate(tops)}
    x0 = x + mark_w * len(tops) + 8
    width = 1040
    cell_w = min(16.0, max(2.0, (width - x0 - 4) / len(cols)))
    row_h = min(14.0, max(4.0, 720 / len(rows)))
    group_gap = 2.0 if row_h >= 5 else 1.0
    grid_w = cell_w * len(cols)
    width = max(width, math.ceil(x0 + grid_w + 4))
    cw, ch = cell_w - (1 if cell_w >= 6 else 0), row_h - (1 if row_h >= 8 else 0)
    ys: dict[int, float] = {}
    y = float(header_h)
    for g in lay.groups:
        for i in g.programs:
            ys[i] = y
            y += row_h
        y += group_gap
    grid_bottom = y
    height = math.ceil(y + 6)
    max_count = max(int(m.program_counts[i]) for i in rows) or 1
    parts: list[str] = [f'<defs><pattern id="hatch-{key}" width="6" height="6" patternUnits="userSpaceOnUse" '
                        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff" fill-opacity="0.6"/>'
                        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#57606f" stroke-width="1.5"/></pattern></defs>']

    def head(x_: float, label: str) -> str:
        return (f'<text transform="translate({x_:.1f},{header_h - 4}) rotate(-90)" class="lbl">'
                f"{_text(label, 14)}</text>")

    # 2. the column headers on the left, the test strip (each test: its hover text, the reference's verdict)
    parts += [head(band_w / 2 + 4, "set"), head(band_w + count_w - 8, "samples")]
    if truth_x is not None:
        parts.append(head(truth_x + mark_w / 2 + 3, "correct"))
    parts += [head(px + mark_w / 2 + 3, name) for name, px in pick_x.items()]
    strip_y = header_h - 14
    strip = ("the reference solution on each test (hover: the test)" if m.reference is not None
             else "tests (hover: the test)")
    parts.append(f'<text x="{x0}" y="{strip_y - 5}" class="num">{strip}</text>')
    for c, j in enumerate(cols):
        ref = outcome_name(int(m.reference[j])) if m.reference is not None else None
        fill = "#b2bec3" if ref is None else KINDS[KIND_OF.get(ref, "norun")][0]
        notes = [f"test {j}: passed by {int(passing[j])} of {executed} programs",
                 f"proposed {int(m.test_counts[j])} time(s)"]
        if ref is not None:
            notes.append(f"the reference solution: {ref}")
        if m.invalid[j]:
            notes.append("INVALID: selectors leave it out")
        parts.append(f'<rect class="test" data-test="{j}" data-invalid="{str(bool(m.invalid[j])).lower()}" '
                     f'x="{x0 + c * cell_w:.2f}" y="{strip_y}" width="{cw:.2f}" height="10" fill="{fill}">'
                     f"<title>{'; '.join(notes)}\n{_text(m.tests[j], TITLE_CHARS)}</title></rect>")
    # 3. the rows: group band, sample count, truth, selectors' top groups, then the cells
    for n_group, g in enumerate(lay.groups):
        gy, gh = ys[g.programs[0]], row_h * len(g.programs)
        samples = int(m.program_counts[g.programs].sum())
        tests = int(valid[g.programs[0]].sum()) if g.score is not None else 0
        about = (f"{g.label}: CodeT score {g.score:.4g}; passes {tests} valid tests" if g.score is not None
                 else g.label)
        parts.append(f'<rect class="group" data-rank="{n_group + 1}" x="0" y="{gy:.1f}" width="{band_w - 3}" '
                     f'height="{gh:.1f}" fill="{"#dfe6ee" if n_group % 2 else "#eef2f7"}"><title>{_text(about)}; '
                     f"{len(g.programs)} programs, {samples} samples</title></rect>")
        if gh >= 10:
            label = str(n_group + 1) if g.score is not None else "–"
            parts.append(f'<text x="{band_w / 2 - 1:.1f}" y="{gy + min(gh, 14) - 3:.1f}" text-anchor="middle" '
                         f'class="num">{label}</text>')
    for i in rows:
        y, count = ys[i], int(m.program_counts[i])
        bar = (count_w - 22) * count / max_count
        parts.append(f'<rect class="count" x="{band_w + 22}" y="{y:.1f}" width="{max(1.0, bar):.1f}" '
                     f'height="{ch:.1f}" fill="#74b9ff"><title>{count} samples</title></rect>')
        if row_h >= 9:
            parts.append(f'<text x="{band_w + 19}" y="{y + ch - 1.5:.1f}" text-anchor="end" class="tiny">'
                         f"{count}</text>")
        if truth is not None and truth_x is not None:
            ok = bool(truth[i])
            parts.append(f'<rect class="truth" data-program="{i}" data-correct="{str(ok).lower()}" x="{truth_x}" '
                         f'y="{y:.1f}" width="{mark_w - 2}" height="{ch:.1f}" fill="{OK if ok else BAD}">'
                         f"<title>{'correct' if ok else 'wrong'} (ground truth)</title></rect>")
        for name, ranking in tops.items():
            if i in ranking[0][0]:
                pick = chosen(m, ranking) == i
                parts.append(f'<rect class="pick" data-selector="{_text(name)}" data-program="{i}" '
                             f'data-chosen="{str(pick).lower()}" x="{pick_x[name]}" y="{y:.1f}" '
                             f'width="{mark_w - 2}" height="{ch:.1f}" fill="{CHOSEN if pick else TOP}">'
                             f"<title>{_text(name)}: {'its pick' if pick else 'in its top group'}</title></rect>")
        state = ("correct" if truth[i] else "wrong") if truth is not None else "truth unknown"
        summary = (f"program {i}: {count} samples, {state}, passes {int(valid[i].sum())} of "
                   f"{int((~m.invalid).sum())} valid tests" + ("" if m.executed[i] else ", not executed"))
        names = [outcome_name(int(code)) for code in m.outcomes[i, cols]]
        cells = "".join(f'<rect class="cell {KIND_OF.get(o, "norun")}" data-outcome="{o}" x="{x0 + c * cell_w:.2f}" '
                        f'width="{cw:.2f}" height="{ch:.1f}"/>' for c, o in enumerate(names))
        parts.append(f'<g class="row" data-program="{i}" transform="translate(0,{y:.1f})">'
                     f"<title>{_text(summary)}\n{_text(_snippet(m.programs[i], skip), TITLE_CHARS)}</title>"
                     f"{cells}</g>")
    # 4. invalid tests (the last columns): hatched over
    bad = [c for c, j in enumerate(cols) if m.invalid[j]]
    if bad:
        bx = x0 + bad[0] * cell_w
        parts.append(f'<rect class="invalid" x="{bx:.2f}" y="{header_h}" width="{len(bad) * cell_w:.2f}" '
                     f'height="{grid_bottom - header_h:.1f}" fill="url(#hatch-{key})"><title>{len(bad)} invalid tests: '
                     f"they fail the reference solution, or raise for every program; selectors leave them out"
                     f"</title></rect>"
                     f'<text x="{bx:.1f}" y="{strip_y - 18}" class="num">invalid</text>')
    return (f'<svg class="heatmap" id="heatmap-{key}" data-rows="{len(rows)}" data-columns="{len(cols)}" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="pass matrix of {_text(m.task_id)}">{"".join(parts)}</svg>')


def _heatmap_section(m: PassMatrix, key: str, rankings: Mapping[str, Mapping[str, Ranking]], max_rows: int,
                     max_cols: int) -> str:
    lay = heatmap_layout(m, max_rows, max_cols)
    truth = _truth(m)
    samples = int(m.program_counts.sum())
    facts = [f"{len(m.programs)} programs ({samples} samples) × {len(m.tests)} tests "
             f"({int(m.test_counts.sum())} proposed), {int(m.invalid.sum())} invalid"]
    if truth is not None and samples:
        facts.append(f"correct samples {percent(int(m.program_counts[truth].sum()) / samples)}")
    precision = test_precision(m)
    if precision is not None:
        facts.append(f"test precision {percent(precision)}")
    for name, r in rankings.items():
        right = _pick_correct(m, r.get(m.task_id))
        if right is not None:
            facts.append(f"{_text(name)} picks {'right' if right else 'wrong'}")
    cuts = []
    if lay.cut_programs:
        cuts.append(f"{lay.cut_programs} programs ({lay.cut_samples} samples) of the lowest-ranked groups "
                    f"are not drawn (at most {max_rows} rows)")
    if lay.cut_tests:
        cuts.append(f"{lay.cut_tests} tests passed by the fewest programs ({lay.cut_invalid} of them invalid) "
                    f"are not drawn (at most {max_cols} columns)")
    cut = f'<p class="cut">Cut: {"; ".join(cuts)}.</p>' if cuts else ""
    return (f'<section class="task" id="task-{key}" data-task="{_text(m.task_id)}">'
            f"<h3>{_text(m.task_id)}</h3><p class=\"facts\">{'; '.join(facts)}.</p>{cut}"
            f"{_heatmap(m, key, rankings, max_rows, max_cols)}</section>")


# -- the table -------------------------------------------------------------------------------------------


def _pick_cell(m: PassMatrix, name: str, ranking: Ranking | None) -> str:
    pick = chosen(m, ranking) if ranking else None
    if ranking is None or pick is None:
        return f'<td class="pick none" data-selector="{_text(name)}" title="no ranking: a random pick">-</td>'
    truth = _truth(m)
    top = ranking[0][0]
    samples = int(m.program_counts[top].sum())
    about = f"picks program {pick} ({int(m.program_counts[pick])} samples); top group: {len(top)} programs"
    if truth is None:
        return (f'<td class="pick" data-selector="{_text(name)}" title="{about}, {samples} samples">'
                f"#{pick}</td>")
    right = int(m.program_counts[top][truth[top]].sum())
    ok = bool(truth[pick])
    mixed = f" <small>{percent(right / samples, 0)}</small>" if 0 < right < samples else ""
    return (f'<td class="pick {"ok" if ok else "bad"}" data-selector="{_text(name)}" data-correct="{str(ok).lower()}"'
            f' title="{about}, {right} of {samples} samples correct">{"✓" if ok else "✗"}{mixed}</td>')


def _table(matrices: Sequence[PassMatrix], rankings: Mapping[str, Mapping[str, Ranking]],
           anchors: Mapping[str, str]) -> str:
    names = list(rankings)
    head = "".join(f"<th>{_text(h)}</th>" for h in
                   ["task", "programs", "samples", "tests", "invalid", "test precision", "correct samples"])
    head += "".join(f'<th class="sel">{_text(n, 14)}</th>' for n in names)
    rows, precisions, shares = [], [], []
    right = dict.fromkeys(names, 0)
    for m in matrices:
        truth = _truth(m)
        samples = int(m.program_counts.sum())
        precision = test_precision(m)
        share = int(m.program_counts[truth].sum()) / samples if truth is not None and samples else None
        precisions += [precision] if precision is not None else []
        shares += [share] if share is not None else []
        verdicts = {_pick_correct(m, rankings[n].get(m.task_id)) for n in names} - {None}
        for n in names:
            right[n] += _pick_correct(m, rankings[n].get(m.task_id)) is True
        task = _text(m.task_id)
        link = f'<a href="#task-{anchors[m.task_id]}">{task}</a>' if m.task_id in anchors else task
        split = ' class="split"' if len(verdicts) > 1 else ""
        rows.append(f'<tr data-task="{task}"{split}><td>{link}</td>'
                    f"<td>{len(m.programs)}</td><td>{samples}</td><td>{len(m.tests)}</td>"
                    f"<td>{int(m.invalid.sum()) or ''}</td>"
                    f"<td>{percent(precision) if precision is not None else '-'}</td>"
                    f"<td>{percent(share) if share is not None else '-'}</td>"
                    + "".join(_pick_cell(m, n, rankings[n].get(m.task_id)) for n in names) + "</tr>")

    def mean(xs: list[float]) -> str:
        return percent(sum(xs) / len(xs)) if xs else "-"

    known = sum(_truth(m) is not None for m in matrices)
    foot = (f"<tr><td>{len(matrices)} tasks</td><td>{sum(len(m.programs) for m in matrices):,}</td>"
            f"<td>{sum(int(m.program_counts.sum()) for m in matrices):,}</td>"
            f"<td>{sum(len(m.tests) for m in matrices):,}</td><td>{sum(int(m.invalid.sum()) for m in matrices)}</td>"
            f"<td>{mean(precisions)} (mean)</td><td>{mean(shares)} (mean)</td>"
            + "".join(f"<td>{right[n]}/{known} ✓</td>" if known else "<td>-</td>" for n in names) + "</tr>")
    return (f'<div class="scroll"><table class="tasks"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody><tfoot>{foot}</tfoot></table></div>")


# -- the page --------------------------------------------------------------------------------------------


def render(matrices: Sequence[PassMatrix], selector_results: Mapping[str, Mapping[str, float] | None], *,
           title: str, focus: Sequence[str] | None = None,
           rankings: Mapping[str, Mapping[str, Ranking]] | None = None,
           baseline: Mapping[str, float] | None = None, max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS) -> str:
    """The selection report as one HTML page.

    `selector_results`: {selector: {"pass@k": fraction}} (select.evaluate.ranked_pass_at_k, or summarize()'s
    "selectors", whose None means "no ground truth"). `rankings`: {selector: {task id: ranking}} (rank_all),
    for each selector's pick per task and top group per heatmap row. `baseline`: the random pick's pass@k;
    by default computed (random_pass_at_k) for the keys shown when every task's ground truth is known.
    `focus`: the task ids to draw heatmaps of (default: default_focus(), FOCUS tasks)."""
    rankings = rankings or {}
    by_task = {m.task_id: m for m in matrices}
    if isinstance(focus, str):
        focus = [focus]
    if focus is not None:
        unknown = [t for t in focus if t not in by_task]
        if unknown:
            raise UsageError(f"focus on unknown task(s) {', '.join(map(repr, unknown))}: not in these matrices")
    focus = list(dict.fromkeys(focus)) if focus is not None else default_focus(matrices, rankings)
    results = {name: {k: float(v) for k, v in values.items() if math.isfinite(v)}
               for name, values in selector_results.items() if values}
    if baseline is None and results and matrices and all(_truth(m) is not None for m in matrices):
        ks = [int(k[5:]) for k in _ks(list(results.values())) if k.startswith("pass@") and k[5:].isdigit()]
        baseline = random_pass_at_k(matrices, ks) if ks else None
    anchors = {t: str(n) for n, t in enumerate(focus)}
    # 1. the headline
    samples = sum(int(m.program_counts.sum()) for m in matrices)
    precisions = [p for p in (test_precision(m) for m in matrices) if p is not None]
    head = [f"<li><b>{len(matrices)}</b> tasks: <b>{sum(len(m.programs) for m in matrices):,}</b> distinct "
            f"programs of <b>{samples:,}</b> samples, <b>{sum(len(m.tests) for m in matrices):,}</b> distinct "
            f"tests of {sum(int(m.test_counts.sum()) for m in matrices):,} proposed, "
            f"{sum(int(m.invalid.sum()) for m in matrices)} invalid</li>"]
    if precisions:
        head.append(f"<li>test precision <b>{percent(sum(precisions) / len(precisions))}</b> (share of the "
                    f"generated tests the reference passes, mean over {len(precisions)} tasks)</li>")
    first = _ks(list(results.values()))[:1]
    if first and baseline and first[0] in baseline:
        k = first[0]
        best = max((n for n in results if k in results[n]), key=lambda n: results[n][k])
        head.append(f"<li>best {_text(k)}: <b>{_text(best)}</b> {percent(results[best][k])}, against "
                    f"{percent(baseline[k])} for a random pick</li>")
    # 2. the chart, 3. the table, 4. the heatmaps
    chart = (_chart(results, baseline) if results else
             "<p>No pass@k: the ground truth of the programs is not known for every task.</p>")
    heatmaps = "".join(_heatmap_section(by_task[t], anchors[t], rankings, max_rows, max_cols) for t in focus)
    legend = "".join(f'<span><i style="background:{c}"></i>{what}</span>' for c, what in KINDS.values())
    legend += (f'<span><i class="hatched"></i>invalid test</span><span><i style="background:{OK}"></i>correct / '
               f'<i style="background:{BAD}"></i>wrong program</span><span><i style="background:{CHOSEN}"></i>'
               f'a selector\'s pick / <i style="background:{TOP}"></i>the rest of its top group</span>')
    cell_css = "".join(f".cell.{kind} {{ fill: {c}; }}" for kind, (c, _) in KINDS.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_text(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
.lbl {{ font-size: 12px; fill: #333; }} .lbl.base {{ font-style: italic; fill: #666; }}
.num {{ font-size: 11px; fill: #555; }} .num.best {{ font-weight: bold; fill: #111; }}
.tiny {{ font-size: 9px; fill: #555; }}
.grid {{ stroke: #e3e3e3; }} .sep {{ stroke: #bbb; stroke-dasharray: 4 3; }}
{cell_css}
.legend {{ font-size: 13px; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: .5em 0; }}
.legend i {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px -1px 0; }}
.legend i.hatched {{ background: repeating-linear-gradient(45deg, #57606f 0 2px, #eee 2px 5px); }}
p.facts, p.cut {{ font-size: 13px; margin: .2em 0 .5em; }} p.cut {{ color: #a04000; }}
section.task {{ border-top: 2px solid #eee; margin-top: 1em; }} section.task h3 {{ margin: .6em 0 .2em; }}
div.scroll {{ max-height: 560px; overflow-y: auto; border: 1px solid #ddd; }}
table.tasks {{ border-collapse: collapse; font-size: 12.5px; width: 100%; }}
table.tasks th, table.tasks td {{ border-bottom: 1px solid #eee; padding: 2px 6px; text-align: right; }}
table.tasks td:first-child, table.tasks th:first-child {{ text-align: left; }}
table.tasks thead th {{ position: sticky; top: 0; background: #f6f7f9; border-bottom: 1px solid #ccc; }}
table.tasks tfoot td {{ position: sticky; bottom: 0; background: #f6f7f9; border-top: 1px solid #ccc;
  font-weight: bold; }}
table.tasks tr.split td {{ background: #fff8e1; }}
td.pick, th.sel {{ text-align: center !important; }} td.pick.ok {{ color: {OK}; }} td.pick.bad {{ color: {BAD}; }}
td.pick small {{ color: #777; }}
</style></head><body>
<h1>{_text(title)}</h1>
<ul id="headline">{"".join(head)}</ul>
<h2 id="selectors">Selectors: ranked pass@k</h2>
<p class="facts">CodeT's ranked pass@k: k picks go to the ranking's groups from the top, each a random sample of
its group. The random pick's unbiased pass@k is the baseline.</p>
{chart}
<h2 id="tasks">Tasks</h2>
<p class="facts">Each selector's pick: ✓ correct, ✗ wrong, with the share of correct samples in its top group
when that group is mixed. Highlighted: tasks where the selectors' picks disagree; linked: the tasks drawn
below.</p>
{_table(matrices, rankings, anchors)}
<h2 id="heatmaps">Pass matrices</h2>
<p class="facts">Rows: programs, grouped by consensus set (the programs passing exactly the same valid tests),
the sets in CodeT's order, best first; the band on the left numbers them, the bar shows each program's samples.
Columns: tests, by how many programs pass them; the strip above says whether the reference solution passes
each. Hover a row or a test for its text.</p>
<div class="legend">{legend}</div>
{heatmaps or "<p>No task to draw.</p>"}
</body></html>
"""


__all__ = ["FOCUS", "MAX_COLS", "MAX_ROWS", "Group", "Layout", "default_focus", "heatmap_layout", "outcome_name",
           "program_groups", "render", "test_order"]
