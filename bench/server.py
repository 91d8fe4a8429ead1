"""Server under load: N concurrent clients for T seconds against `codereward serve`, and the same workload
through the in-process Engine as the baseline, side by side in the same run; prints the ratios.

    .venv/bin/python bench/server.py                          # 8 clients, 10 s each side, batches of 1
    .venv/bin/python bench/server.py --clients 32 --seconds 30 --batch 8
    .venv/bin/python bench/server.py --json figures.json

Workload: HumanEval canonical solutions (completion = canonical_solution), cycled in order, `--batch`
samples per request, no result cache (every sample executes). Server: `codereward serve --dataset
humaneval --workers W` as a subprocess; each client is a thread with its own keep-alive httpx.Client
posting /v1/evaluate with task ids. Baseline: the same clients calling `Engine(workers=W).evaluate` directly
(no HTTP, no JSON). No SandboxFusion server can run here (it needs its Docker image), so the in-process
engine is the anchor: the ratio is what the HTTP layer costs. Every result must be `passed`; any other
status is counted and printed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import httpx
from _report import dump_json

from codereward import Engine, Sample, load_humaneval


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


class Feed:
    """Round-robin over the canonical samples, shared by every client."""

    def __init__(self, samples: list[Sample], batch: int) -> None:
        self._it = itertools.cycle(samples)
        self._lock = threading.Lock()
        self.batch = batch

    def next(self) -> list[Sample]:
        with self._lock:
            return [next(self._it) for _ in range(self.batch)]


def drive(clients: int, seconds: float, make_call: Callable[[], Callable[[list[Sample]], list[str]]],
          feed: Feed) -> dict:
    """Run `clients` threads for `seconds`; each repeatedly sends one batch. Returns the figures."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    errors: list[str] = []

    def client() -> None:
        call = make_call()
        mine, seen = [], {}
        while time.monotonic() < stop:
            batch = feed.next()
            t0 = time.perf_counter()
            try:
                got = call(batch)
            except Exception as e:  # noqa: BLE001 — report, keep measuring the others
                errors.append(f"{type(e).__name__}: {e}")
                return
            mine.append(time.perf_counter() - t0)
            for s in got:
                seen[s] = seen.get(s, 0) + 1
        with lock:
            latencies.extend(mine)
            for s, n in seen.items():
                statuses[s] = statuses.get(s, 0) + n

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    n = len(latencies)
    return {"requests": n, "samples": sum(statuses.values()), "seconds": round(wall, 2),
            "requests_per_s": round(n / wall, 1), "samples_per_s": round(sum(statuses.values()) / wall, 1),
            "p50_ms": round(1000 * percentile(latencies, 0.5), 2),
            "p99_ms": round(1000 * percentile(latencies, 0.99), 2),
            "mean_ms": round(1000 * statistics.fmean(latencies), 2) if latencies else None,
            "statuses": statuses, "client_errors": errors[:5]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_server_side(args: argparse.Namespace, feed: Feed) -> dict:
    port = _free_port()
    exe = [sys.executable, "-c", "from codereward.cli import main; main()"]
    proc = subprocess.Popen([*exe, "serve", "--dataset", "humaneval", "--workers", str(args.workers),
                             "--port", str(port), "--max-queue", str(max(1024, 4 * args.clients * args.batch))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read()[-500:]}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)

        def make_call() -> Callable[[list[Sample]], list[str]]:
            http = httpx.Client(base_url=base, timeout=120)

            def call(batch: list[Sample]) -> list[str]:
                body = {"samples": [{"task_id": s.task_id, "completion": s.completion} for s in batch]}
                r = http.post("/v1/evaluate", json=body)
                r.raise_for_status()
                return [x["status"] for x in r.json()["results"]]
            return call

        drive(min(args.clients, 4), 2.0, make_call, feed)  # warm-up: judge templates in every sandbox
        return drive(args.clients, args.seconds, make_call, feed)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def run_in_process(args: argparse.Namespace, tasks: dict, feed: Feed) -> dict:
    with Engine(workers=args.workers) as engine:
        def make_call() -> Callable[[list[Sample]], list[str]]:
            return lambda batch: [r.status.value for r in engine.evaluate(tasks, batch)]

        drive(min(args.clients, 4), 2.0, make_call, feed)
        return drive(args.clients, args.seconds, make_call, feed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    ap.add_argument("--seconds", type=float, default=10.0, help="measured seconds per side")
    ap.add_argument("--batch", type=int, default=1, help="samples per request")
    ap.add_argument("--workers", type=int, default=2, help="sandboxes (server and in-process alike)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON ('-' for stdout)")
    args = ap.parse_args()

    tasks = load_humaneval()
    samples = [Sample(task_id=tid, completion=t.reference[len(t.prompt):]) for tid, t in tasks.items()]
    print(f"workload: {len(samples)} HumanEval canonical solutions cycled, {args.clients} clients x "
          f"{args.seconds:g} s, batch {args.batch}, {args.workers} sandboxes, {os.cpu_count()} CPUs", file=sys.stderr)
    print("in-process Engine ...", file=sys.stderr)
    base = run_in_process(args, tasks, Feed(samples, args.batch))
    print("codereward serve ...", file=sys.stderr)
    srv = run_server_side(args, Feed(samples, args.batch))
    rows = [("in-process Engine (baseline)", base), ("codereward serve /v1/evaluate", srv)]
    print(f"\n{'harness':32} {'req/s':>8} {'samples/s':>10} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for name, r in rows:
        print(f"{name:32} {r['requests_per_s']:>8} {r['samples_per_s']:>10} {r['p50_ms']:>8} {r['p99_ms']:>8}  "
              f"{r['statuses']}{'  errors: ' + '; '.join(r['client_errors']) if r['client_errors'] else ''}")
    ratio = {"throughput": round(srv["samples_per_s"] / base["samples_per_s"], 3) if base["samples_per_s"] else None,
             "p50": round(srv["p50_ms"] / base["p50_ms"], 3) if base["p50_ms"] else None,
             "p99": round(srv["p99_ms"] / base["p99_ms"], 3) if base["p99_ms"] else None}
    print(f"\nserver / in-process: throughput x{ratio['throughput']}, p50 x{ratio['p50']}, p99 x{ratio['p99']}")
    if args.json:
        dump_json({"args": vars(args), "in_process": base, "server": srv, "ratio_server_over_in_process": ratio},
                  args.json)


if __name__ == "__main__":
    main()
