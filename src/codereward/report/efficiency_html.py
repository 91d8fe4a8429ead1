"""The efficiency report: one self-contained HTML file (inline SVG and CSS, no script), like the audit's.

Sections: the headline numbers, the distribution of line-event ratios against the reference (log2 bins:
each bar is a doubling), the distribution of the ACECode-style rewards, and a table per task.
"""

from __future__ import annotations

import html
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence

from ..efficiency import Efficiency
from ..results import Status

RATIO_BINS = ["≤1/8", "1/4", "1/2", "1", "2", "4", "8", ">8"]  # centred on powers of two


def ratio_bin(ratio: float) -> int:
    """The bin of a ratio: round(log2(ratio)) from -3 to 4, clamped (1 is bin 3: as costly as the reference)."""
    return min(len(RATIO_BINS) - 1, max(0, round(math.log2(max(ratio, 1e-12))) + 3))


REWARD_BINS = ["0 (wrong)", "<0.75", "0.75–1", "1", "1–1.25", "≥1.25"]


def reward_bin(reward: float) -> int:
    """The bin of an acecode_reward: 0 for wrong code, exactly 1 for as costly or unmeasured, else by side."""
    if reward <= 0:
        return 0
    if reward == 1:
        return 3
    return 1 if reward < 0.75 else 2 if reward < 1 else 4 if reward < 1.25 else 5


def _bars(svg_id: str, labels: Sequence[str], counts: Sequence[int], color: str, what: str) -> str:
    width, height, left, bottom = 720, 230, 40, 30
    top = max(counts, default=0) or 1
    bw = (width - left - 10) / max(1, len(labels))
    parts = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>']
    for b, (label, n) in enumerate(zip(labels, counts, strict=True)):
        h = (height - bottom - 20) * n / top
        x = left + b * bw
        parts.append(f'<rect class="bar" data-bin="{html.escape(label)}" data-count="{n}" x="{x + 4:.1f}" '
                     f'y="{height - bottom - h:.1f}" width="{bw - 8:.1f}" height="{h:.1f}" fill="{color}">'
                     f'<title>{html.escape(label)}: {n} {what}</title></rect>')
        parts.append(f'<text x="{x + bw / 2:.1f}" y="{height - 12}" text-anchor="middle" class="lbl">'
                     f'{html.escape(label)}</text>')
        if n:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{height - bottom - h - 4:.1f}" text-anchor="middle" '
                         f'class="num">{n}</text>')
    return (f'<svg id="{svg_id}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{html.escape(what)}">{"".join(parts)}</svg>')


def render(rows: Sequence[Efficiency], rewards: Sequence[float | None], *,
           title: str = "codereward efficiency") -> str:
    """`rows` and `rewards` in sample order (a reward None: no verdict)."""
    correct = [e for e in rows if e.status is Status.PASSED]
    ratios = [r for e in correct if (r := e.lines_ratio) is not None]
    ratio_counts = [0] * len(RATIO_BINS)
    for r in ratios:
        ratio_counts[ratio_bin(r)] += 1
    scored = [r for r in rewards if r is not None]
    reward_counts = [0] * len(REWARD_BINS)
    for v in scored:
        reward_counts[reward_bin(v)] += 1
    by_task: dict[str, list[Efficiency]] = defaultdict(list)
    for e in rows:
        by_task[e.task_id].append(e)
    table = []
    for task_id, es in by_task.items():
        rs = [r for e in es if (r := e.lines_ratio) is not None]
        untrusted = sum(e.status is Status.PASSED and e.lines_ratio is None for e in es)
        median = f"{statistics.median(rs):.3g}" if rs else "–"
        table.append(f"<tr><td>{html.escape(task_id)}</td><td>{len(es)}</td>"
                     f"<td>{sum(e.status is Status.PASSED for e in es)}</td><td>{len(rs)}</td>"
                     f"<td>{median}</td><td>{untrusted}</td></tr>")
    head = (f"<li><b>{len(rows)}</b> samples, <b>{len(correct)}</b> correct, <b>{len(ratios)}</b> measured</li>"
            f"<li>median line-event ratio <b>{statistics.median(ratios):.3g}</b>; "
            f"<b>{sum(r < 1 for r in ratios)}</b> cheaper than the reference</li>" if ratios else
            f"<li><b>{len(rows)}</b> samples, <b>{len(correct)}</b> correct, none measured</li>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
.lbl {{ font-size: 12px; fill: #333; }} .num {{ font-size: 11px; fill: #555; }}
table.tasks {{ border-collapse: collapse; font-size: 13px; }}
table.tasks td, table.tasks th {{ border: 1px solid #ddd; padding: 3px 8px; text-align: right; }}
table.tasks td:first-child {{ text-align: left; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<ul id="headline">{head}</ul>
<h2>Line events against the reference (program / reference; each bar a doubling)</h2>
{_bars("ratio-histogram", RATIO_BINS, ratio_counts, "#2e86de", "correct samples")}
<h2>ACECode-style reward</h2>
{_bars("reward-histogram", REWARD_BINS, reward_counts, "#27ae60", "samples")}
<h2>Per task</h2>
<table class="tasks"><tr><th>task</th><th>samples</th><th>correct</th><th>measured</th>
<th>median ratio</th><th>untrusted</th></tr>
{"".join(table)}</table>
</body></html>
"""
