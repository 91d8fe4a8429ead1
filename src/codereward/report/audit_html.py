"""The audit's HTML report: one self-contained file (inline SVG and CSS, no script, nothing fetched), so it
opens anywhere, from a laptop to a cluster's shared disk, and renders the same in a headless browser.

Sections: the headline numbers, a bar chart of flag categories by severity, a histogram of per-task
visible vs held-out pass rates, and the worst samples with their code, flagged lines highlighted.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from ..audit.gap import GapReport
from ..audit.taxonomy import TAXONOMY, Category, Severity
from ..results import Result
from .numbers import percent, points

SEV_COLOR = {Severity.HIGH: "#c0392b", Severity.MEDIUM: "#e67e22", Severity.LOW: "#95a5a6"}
SPLIT_COLOR = {"visible": "#2e86de", "held-out": "#27ae60"}


@dataclass(slots=True)
class AuditedSample:
    index: int
    result: Result
    program: str


def _bar_chart(counts: dict[Category, Counter[Severity]]) -> str:
    """Horizontal stacked bars: one row per category, segments per severity."""
    cats = list(Category)
    width, label_w, row_h = 720, 150, 26
    top = max((sum(c.values()) for c in counts.values()), default=0) or 1
    scale = (width - label_w - 60) / top
    rows = []
    for i, cat in enumerate(cats):
        y = 10 + i * row_h
        x: float = label_w
        rows.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="lbl">{cat.value}</text>')
        for sev in (Severity.HIGH, Severity.MEDIUM, Severity.LOW):
            n = counts.get(cat, Counter())[sev]
            if n:
                w = max(1.5, n * scale)
                rows.append(f'<rect class="bar" data-category="{cat.value}" data-severity="{sev.value}" '
                            f'x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 8}" fill="{SEV_COLOR[sev]}">'
                            f'<title>{cat.value} / {sev.value}: {n}</title></rect>')
                x += w
        total = sum(counts.get(cat, Counter()).values())
        rows.append(f'<text x="{x + 6:.1f}" y="{y + 16}" class="num">{total}</text>')
    legend = "".join(f'<rect x="{label_w + 110 * j}" y="{20 + len(cats) * row_h}" width="12" height="12" '
                     f'fill="{SEV_COLOR[s]}"/><text x="{label_w + 16 + 110 * j}" y="{31 + len(cats) * row_h}" '
                     f'class="lbl">{s.value}</text>' for j, s in enumerate(SEV_COLOR))
    h = 45 + len(cats) * row_h
    return (f'<svg id="categories" width="{width}" height="{h}" viewBox="0 0 {width} {h}" role="img" '
            f'aria-label="flags per category">{"".join(rows)}{legend}</svg>')


def _histogram(gap: GapReport) -> str:
    """Per-task pass rates in 10 bins, visible and held-out side by side."""
    bins = 10
    series = {"visible": [t.visible_rate for t in gap.tasks], "held-out": [t.held_out_rate for t in gap.tasks]}
    counts = {k: [0] * bins for k in series}
    for k, values in series.items():
        for v in values:
            counts[k][min(bins - 1, int(v * bins))] += 1
    width, height, left, bottom = 720, 260, 40, 30
    top = max((max(c) for c in counts.values()), default=0) or 1
    bw = (width - left - 10) / bins
    parts = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>']
    for b in range(bins):
        x0 = left + b * bw
        for j, k in enumerate(series):
            n = counts[k][b]
            h = (height - bottom - 20) * n / top
            parts.append(f'<rect class="hist" data-split="{k}" x="{x0 + 4 + j * (bw - 8) / 2:.1f}" '
                         f'y="{height - bottom - h:.1f}" width="{(bw - 8) / 2:.1f}" height="{h:.1f}" '
                         f'fill="{SPLIT_COLOR[k]}"><title>{k} {b * 10}-{b * 10 + 10}%: {n} tasks</title></rect>')
        parts.append(f'<text x="{x0 + bw / 2:.1f}" y="{height - 12}" text-anchor="middle" class="lbl">'
                     f'{b * 10}%</text>')
    parts += [f'<rect x="{left + 120 * j}" y="4" width="12" height="12" fill="{c}"/>'
              f'<text x="{left + 16 + 120 * j}" y="15" class="lbl">{k}</text>' for j, (k, c) in
              enumerate(SPLIT_COLOR.items())]
    return (f'<svg id="gap-histogram" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="per-task pass rates, visible vs held-out">{"".join(parts)}</svg>')


def _sample_block(s: AuditedSample, formatter_css: list[str]) -> str:
    flags = s.result.flags or []
    lines = sorted({f.line for f in flags if f.line})
    fmt = HtmlFormatter(linenos="table", hl_lines=lines, cssclass="code", wrapcode=True)
    if not formatter_css:
        formatter_css.append(fmt.get_style_defs(".code"))
    code = highlight(s.program[:20000], PythonLexer(), fmt)
    rows = "".join(
        f'<tr><td><span class="sev {f.severity.value}">{f.severity.value}</span></td><td>{f.category.value}</td>'
        f"<td>{f.source}</td><td>{f.line or ''}</td><td>{html.escape(f.message)}</td>"
        f"<td><code>{html.escape(f.evidence)}</code></td></tr>" for f in flags)
    r = s.result
    return (f'<section class="sample"><h3>#{s.index} {html.escape(r.task_id)} '
            f"(completion {r.completion_id if r.completion_id is not None else '-'}): {r.status.value}, "
            f"{r.n_passed}/{r.n_tests} tests</h3>"
            f'<table class="flags"><tr><th>severity</th><th>category</th><th>source</th><th>line</th>'
            f"<th>what</th><th>evidence</th></tr>{rows}</table>{code}</section>")


def render(samples: Sequence[AuditedSample], gap: GapReport | None, *, title: str = "codereward audit",
           worst: int = 20) -> str:
    counts: dict[Category, Counter[Severity]] = {}
    for s in samples:
        for f in s.result.flags or []:
            counts.setdefault(f.category, Counter())[f.severity] += 1
    audited = [s for s in samples if s.result.flags is not None]
    flagged = [s for s in audited if any(f.severity is Severity.HIGH for f in s.result.flags or [])]

    def badness(s: AuditedSample) -> tuple[int, int, int]:
        fl = s.result.flags or []
        return (-max((f.severity.rank for f in fl), default=-1), -len(fl), s.index)

    worst_samples = sorted((s for s in samples if s.result.flags), key=badness)[:worst]
    css: list[str] = []
    blocks = "".join(_sample_block(s, css) for s in worst_samples) or "<p>No sample was flagged.</p>"
    head = [f"<li><b>{len(samples)}</b> samples, <b>{len(flagged)}</b> with a high-severity flag "
            f"({percent(len(flagged) / max(1, len(audited)))})</li>"]
    hist = ""
    if gap is not None and gap.samples:
        head.append(f"<li>visible pass rate <b>{percent(gap.visible_rate)}</b>, held-out "
                    f"<b>{percent(gap.held_out_rate)}</b>, gap <b>{points(gap.gap)}</b>; "
                    f"{len(gap.suspects)} samples pass visible and fail held-out</li>")
        hist = f"<h2>Visible vs held-out pass rate per task</h2>{_histogram(gap)}"
    taxonomy = "".join(f"<tr><td>{c.value}</td><td>{html.escape(what)}</td><td>{html.escape(evade)}</td></tr>"
                       for c, (what, evade) in TAXONOMY.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
.lbl {{ font-size: 12px; fill: #333; }} .num {{ font-size: 12px; fill: #555; }}
table.flags, table.taxonomy {{ border-collapse: collapse; margin: .5em 0; font-size: 13px; }}
table.flags td, table.flags th, table.taxonomy td, table.taxonomy th {{ border: 1px solid #ddd; padding: 3px 6px;
  vertical-align: top; text-align: left; }}
.sev {{ color: white; padding: 1px 5px; border-radius: 3px; }} .sev.high {{ background: {SEV_COLOR[Severity.HIGH]}; }}
.sev.medium {{ background: {SEV_COLOR[Severity.MEDIUM]}; }} .sev.low {{ background: {SEV_COLOR[Severity.LOW]}; }}
section.sample {{ border-top: 2px solid #eee; margin-top: 1.5em; }}
.code pre {{ margin: 0; font-size: 12px; }} .code .hll {{ background-color: #ffd8d8; }}
{"".join(css)}
</style></head><body>
<h1>{html.escape(title)}</h1>
<ul id="headline">{"".join(head)}</ul>
<h2>Flags per category</h2>
{_bar_chart(counts)}
{hist}
<h2>Worst samples</h2>
{blocks}
<h2>Taxonomy</h2>
<table class="taxonomy"><tr><th>category</th><th>what it catches</th><th>how it can be evaded</th></tr>
{taxonomy}</table>
</body></html>
"""
