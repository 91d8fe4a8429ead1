"""GET /metrics in the Prometheus text exposition format (version 0.0.4), written by hand.

A dozen counters and gauges do not need the prometheus-client dependency; per-process values are enough
(run one server process per port; Prometheus sums across targets).
"""

from __future__ import annotations

from typing import Any

from ..results import Outcome, Status

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_: str, samples: list[tuple[dict[str, str], float]]) -> None:
        self.lines.append(f"# HELP {name} {help_}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            tag = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            self.lines.append(f"{name}{{{tag}}} {value:g}" if tag else f"{name} {value:g}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render(snap: dict[str, Any]) -> str:
    """The service snapshot (EvalService.snapshot) as Prometheus text."""
    w = _Writer()
    engine = snap["engine"]
    w.metric("codereward_queue_depth", "gauge", "Samples accepted and not yet finished.",
             [({}, snap["queue_depth"])])
    w.metric("codereward_queue_capacity", "gauge", "Samples the queue holds before answering 429.",
             [({}, snap["queue_capacity"])])
    w.metric("codereward_draining", "gauge", "1 while the server shuts down and refuses new work.",
             [({}, 1 if snap["draining"] else 0)])
    w.metric("codereward_executions_total", "counter", "Sandbox executions (cache hits excluded).",
             [({}, engine.get("executions", 0))])
    w.metric("codereward_executions_per_second", "gauge", "Results per second over the last 60 s.",
             [({}, round(snap["rate"], 3))])
    w.metric("codereward_results_total", "counter", "Results by status; status error is an infrastructure failure.",
             [({"status": s.value}, snap["samples"].get(s.value, 0)) for s in Status])
    w.metric("codereward_infra_errors_total", "counter", "Results with status error (never scored).",
             [({}, snap["samples"].get(Status.ERROR.value, 0))])
    w.metric("codereward_test_outcomes_total", "counter", "Test outcomes.",
             [({"outcome": o.value}, snap["outcomes"].get(o.value, 0)) for o in Outcome])
    w.metric("codereward_infra_retries_total", "counter", "Executions retried on a fresh sandbox.",
             [({}, engine.get("infra_retries", 0))])
    w.metric("codereward_workers_restarted_total", "counter", "Broken sandboxes replaced.",
             [({}, engine.get("workers_restarted", 0))])
    cache = snap["cache"] or {}
    w.metric("codereward_cache_hits_total", "counter", "Results answered from the result cache.",
             [({}, engine.get("cache_hits", cache.get("hits", 0)))])
    w.metric("codereward_cache_misses_total", "counter", "Result cache lookups that missed.",
             [({}, engine.get("cache_misses", cache.get("misses", 0)))])
    w.metric("codereward_result_seconds_total", "counter", "Summed seconds from acceptance to result.",
             [({}, round(snap["sample_seconds"], 6))])
    w.metric("codereward_rejected_total", "counter", "Requests refused before running, by reason.",
             [({"reason": r}, snap["rejected"].get(r, 0)) for r in ("queue_full", "too_large", "draining")])
    w.metric("codereward_http_requests_total", "counter", "HTTP requests by path and status code.",
             [({"path": p, "code": str(c)}, n) for (p, c), n in sorted(snap["requests"].items())])
    return w.text()
