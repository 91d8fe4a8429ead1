"""Many tests per sample: HumanEval+ on CodeT's samples, codereward vs evalplus's own evaluator, same run.

    .venv/bin/python bench/many_tests.py                       # every 16th CodeT sample (1,025), both modes
    .venv/bin/python bench/many_tests.py --every 64            # 257 samples: a quick run
    .venv/bin/python bench/many_tests.py --modes fast --limit 100 --skip-evalplus
    .venv/bin/python bench/many_tests.py --codereward-args "--no-dedupe" --json figures.json

HumanEval+ gives a task ~760 inputs on average (~10 of them HumanEval's base inputs), so this is where a
harness's cost per test, not per sample, shows. Workload: CodeT's 16,400 CodeGen-16B samples with CodeT's
stop-token truncation (`codereward.tasks.load_codet_samples`), every Nth one (`--every`, default 16), judged
as `solution` = HumanEval+ prompt + completion, so both harnesses run the exact same program text. Both read
the same HumanEval+ file (`--data`: humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz, decompressed into a temp
dir, cut to the tasks sampled) and both compute the expected outputs by running the canonical solutions.

Anchor: evalplus 0.3.1 from PyPI, installed on first use into bench/.evalplus-venv (gitignored; codereward's
venv is untouched), run as a user runs it: `python -m evalplus.evaluate --dataset humaneval --samples FILE
--parallel 2 [--test-details]` (through `-c` calling the same `main()`, which then prints the time its results
file was written), with HUMANEVAL_OVERRIDE_PATH at the local file and XDG_CACHE_HOME at a fresh temp dir, so
each run computes its ground truth (its "Expected outputs computed in X s" is printed too). A sample passes
iff its base and plus statuses are both "pass". evalplus forks a process for base and another for plus per
sample; each input gets max(1 s, 4 x the reference's time), each of the two processes min(60 s, the sum of
those) + 2-3 s. Us: `codereward eval --dataset humanevalplus --workers 2 --json --out FILE [--fail-fast]
[--codereward-args ...]`, timed from process start to exit, as users run it (copies of a sample share its
verdict).

Modes (`--modes fast,details`), each run evalplus then codereward:
  fast     stop at the first failing input: evalplus's default; codereward --fail-fast.
  details  every input runs: evalplus --test-details; codereward without --fail-fast.
Printed per mode: harness, samples, seconds, samples/s, ratio (evalplus s / codereward s: >1 means
codereward is faster), passes; verdict agreement and every disagreement; the size of codereward's results.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import dump_json

from codereward.tasks import load_codet_samples

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data"  # /work/shared/data beside the repository
HEP_FILE = "humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz"
CODET_FILE = "codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"
EVALPLUS_VERSION = "0.3.1"
EVALPLUS_VENV = HERE / ".evalplus-venv"
WORKERS = 2
# evalplus's own CLI entry (evaluate.main, Fire over evaluate()), then the time its results file was written:
# after it, the process still waits for evalplus's non-daemon "stuck" watchdog thread, which sleeps 20 s at a time.
EVALPLUS_MAIN = ("import sys, time\nfrom evalplus.evaluate import main\nmain()\n"
                 "print(f'@@results-written {time.time()!r}', flush=True)\n")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def evalplus_python() -> Path:
    """bench/.evalplus-venv's python with evalplus==0.3.1, creating the venv and installing it if needed."""
    py = EVALPLUS_VENV / "bin" / "python"
    probe = [str(py), "-c", "import importlib.metadata as m; print(m.version('evalplus'))"]
    if py.exists() and subprocess.run(probe, capture_output=True, text=True).stdout.strip() == EVALPLUS_VERSION:
        return py
    log(f"installing evalplus=={EVALPLUS_VERSION} into {EVALPLUS_VENV} (first use; ~2 min, ~850 MB) ...")
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(EVALPLUS_VENV)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    f"evalplus=={EVALPLUS_VERSION}"], check=True)
    return py


def codereward_exe() -> str:
    exe = Path(sys.executable).with_name("codereward")
    if not exe.exists():
        raise SystemExit(f"{exe} not found: run this script with codereward's venv python (.venv/bin/python)")
    return str(exe)


# -- harnesses -------------------------------------------------------------------------------------------


def run_evalplus(py: Path, data: Path, programs: list[dict], details: bool) -> dict:
    """evalplus.evaluate on `programs` in a fresh temp dir (fresh ground-truth cache). Returns its figures and
    per-sample (base_status, plus_status) in input order."""
    with tempfile.TemporaryDirectory(prefix="many-tests-evalplus-") as tmp:
        sfile = Path(tmp) / "samples.jsonl"
        sfile.write_text("".join(json.dumps(p) + "\n" for p in programs))
        env = {**os.environ, "HUMANEVAL_OVERRIDE_PATH": str(data), "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        argv = [str(py), "-c", EVALPLUS_MAIN, "--dataset", "humaneval", "--samples", str(sfile),
                "--parallel", str(WORKERS), *(["--test-details"] if details else [])]
        t0 = time.time()
        p = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp)
        wall = time.time() - t0
        done = re.search(r"@@results-written ([\d.]+)", p.stdout)
        gt = re.search(r"Expected outputs computed in ([\d.]+)\s*s", p.stdout)
        rfile = Path(tmp) / "samples_eval_results.json"
        if p.returncode != 0 or not done or not rfile.exists():
            return {"error": f"exit {p.returncode}: {(p.stderr or p.stdout)[-800:]}", "seconds_to_exit": wall}
        per_task = json.loads(rfile.read_text())["eval"]
    seen: dict[str, int] = {}
    statuses = []
    for prog in programs:  # evalplus numbers a task's samples in file order (its completion_id)
        k = seen[prog["task_id"]] = seen.get(prog["task_id"], -1) + 1
        r = per_task[prog["task_id"]][k]
        statuses.append((r["base_status"], r["plus_status"]))
    return {"seconds": float(done.group(1)) - t0, "seconds_to_exit": wall,
            "ground_truth_s": float(gt.group(1)) if gt else None, "statuses": statuses,
            "passed": [b == "pass" and s == "pass" for b, s in statuses]}


def run_codereward(data: Path, programs: list[dict], fail_fast: bool, extra: list[str]) -> dict:
    """`codereward eval --dataset humanevalplus ...` as a subprocess, timed from start to exit."""
    with tempfile.TemporaryDirectory(prefix="many-tests-codereward-") as tmp:
        sfile, out = Path(tmp) / "samples.jsonl", Path(tmp) / "results.jsonl"
        sfile.write_text("".join(json.dumps(p) + "\n" for p in programs))
        argv = [codereward_exe(), "eval", "--dataset", "humanevalplus", "--data-file", str(data),
                "--samples", str(sfile), "--workers", str(WORKERS), "--json", "--out", str(out),
                *(["--fail-fast"] if fail_fast else []), *extra]
        t0 = time.time()
        p = subprocess.run(argv, capture_output=True, text=True)
        wall = time.time() - t0
        if p.returncode != 0 or not out.exists():
            return {"error": f"exit {p.returncode}: {(p.stderr or p.stdout)[-800:]}", "seconds": wall}
        size = out.stat().st_size
        rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    if len(rows) != len(programs):
        return {"error": f"{len(rows)} result lines for {len(programs)} samples", "seconds": wall}
    try:
        summary = json.loads(p.stdout)
    except json.JSONDecodeError:
        summary = {}
    slow = sorted(range(len(rows)), key=lambda i: -(rows[i].get("time") or 0))[:3]
    return {"seconds": wall, "results_bytes": size, "status": [r.get("status") for r in rows],
            "sample_time_s": round(sum(r.get("time") or 0 for r in rows), 2),
            "slowest": [f"{rows[i]['task_id']} (line {i}) {rows[i].get('status')} {rows[i].get('time') or 0:.2f} s"
                        for i in slow],
            "first_failure": [first_failure(r) for r in rows], "passed": [r.get("status") == "passed" for r in rows],
            "duplicates": summary.get("duplicates"), "outcomes": summary.get("outcomes")}


def first_failure(row: dict) -> str:
    """The first test that did not pass (skipped ones aside), as 'name: outcome: detail', or the reason.
    Reads every --detail form: full/failures ("tests") and summary ("first_failure")."""
    for t in [row["first_failure"]] if isinstance(row.get("first_failure"), dict) else row.get("tests") or []:
        if t.get("outcome") not in ("passed", "skipped"):
            return f"{t.get('name')}: {t.get('outcome')}: {(t.get('detail') or '')[:160]}"
    return row.get("reason") or ("every test passed" if row.get("status") == "passed" else "")


# -- workload --------------------------------------------------------------------------------------------


def workload(data_dir: Path, every: int, limit: int | None, tmp: Path) -> tuple[list, list[dict], Path]:
    """(CodeT samples, their programs as evalplus/codereward `solution` lines, the HumanEval+ jsonl cut to the
    tasks sampled, decompressed in `tmp`)."""
    samples = load_codet_samples(data_dir / CODET_FILE)[::every][:limit]
    with gzip.open(data_dir / HEP_FILE, "rt") as f:
        hep = [json.loads(line) for line in f if line.strip()]
    wanted = {s.task_id for s in samples}
    prompts = {t["task_id"]: t["prompt"] for t in hep}
    data = tmp / "HumanEvalPlus.jsonl"  # evalplus insists on every task of its file having a sample
    data.write_text("".join(json.dumps(t) + "\n" for t in hep if t["task_id"] in wanted))
    programs = [{"task_id": s.task_id, "solution": prompts[s.task_id] + s.completion} for s in samples]
    return samples, programs, data


# -- report ----------------------------------------------------------------------------------------------


def compare(samples: list, programs: list[dict], ep: dict, cr: dict) -> dict:
    """Verdict agreement between evalplus and codereward, and every disagreement."""
    dis = []
    for i, (s, a, b) in enumerate(zip(samples, ep["passed"], cr["passed"])):
        if a != b:
            base, plus = ep["statuses"][i]
            dis.append({"task_id": s.task_id, "codet_index": s.completion_id, "line": i,
                        "evalplus": f"base {base}, plus {plus}", "codereward": cr["status"][i],
                        "first_failure": cr["first_failure"][i]})
    return {"agree": len(programs) - len(dis), "of": len(programs), "disagreements": dis}


def table(rows: list[dict]) -> None:
    head = ("harness", "samples", "seconds", "samples/s", "ratio", "passes")
    body = [(r["harness"], str(r["samples"]), f"{r['seconds']:.1f}", f"{r['samples'] / r['seconds']:.1f}",
             r["ratio"], str(r["passes"])) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    print(fmt.format(*head))
    print(fmt.format(*("-" * w for w in widths)))
    for b in body:
        print(fmt.format(*b))


def report(mode: str, n: int, ep: dict | None, cr: dict | None, cmp: dict | None) -> dict:
    title = {"fast": "stop at first failure (evalplus default; codereward --fail-fast)",
             "details": "every test runs (evalplus --test-details; codereward without --fail-fast)"}[mode]
    print(f"\n== {mode}: {title}")
    rows, fig = [], {"samples": n}
    ep_ok, cr_ok = ep and "error" not in ep, cr and "error" not in cr
    if ep_ok:
        rows.append({"harness": "evalplus 0.3.1 (--parallel 2)", "samples": n, "seconds": ep["seconds"],
                     "ratio": "1.00x (anchor)", "passes": sum(ep["passed"])})
    if cr_ok:
        ratio = f"{ep['seconds'] / cr['seconds']:.2f}x" if ep_ok else "-"
        rows.append({"harness": "codereward CLI (--workers 2)", "samples": n, "seconds": cr["seconds"],
                     "ratio": ratio, "passes": sum(cr["passed"])})
    if rows:
        table(rows)
    for name, r in (("evalplus", ep), ("codereward", cr)):
        if r and "error" in r:
            print(f"  {name} FAILED after {r.get('seconds', r.get('seconds_to_exit', 0)):.1f} s: {r['error']}")
    if ep_ok:
        gt = f"{ep['ground_truth_s']:.2f} s" if ep["ground_truth_s"] is not None else "not reported"
        print(f"  evalplus: ground truth (\"Expected outputs computed in\") {gt}, included; results written at "
              f"{ep['seconds']:.1f} s, process exit at {ep['seconds_to_exit']:.1f} s (its non-daemon stall "
              f"watchdog sleeps 20 s at a time; the ratio uses the results-written time)")
        fig["evalplus"] = {k: ep[k] for k in ("seconds", "seconds_to_exit", "ground_truth_s")} | {
            "passes": sum(ep["passed"])}
    if cr_ok:
        print(f"  codereward: results file {cr['results_bytes']:,} bytes ({cr['results_bytes'] / n:,.0f} per "
              f"sample); {cr['duplicates']} samples were copies sharing an earlier one's verdict; "
              f"test outcomes {cr['outcomes']}")
        print(f"  codereward: samples' own run time (sum of result 'time') {cr['sample_time_s']:.1f} s; slowest: "
              f"{'; '.join(cr['slowest'])}")
        keys = ("seconds", "results_bytes", "duplicates", "outcomes", "sample_time_s", "slowest")
        fig["codereward"] = {k: cr[k] for k in keys} | {
            "passes": sum(cr["passed"])}
    if ep_ok and cr_ok:
        fig["ratio"] = round(ep["seconds"] / cr["seconds"], 3)
        print(f"  verdicts: {cmp['agree']} of {cmp['of']} agree")
        for d in cmp["disagreements"]:
            print(f"    {d['task_id']} #{d['codet_index']} (line {d['line']}): evalplus {d['evalplus']}; "
                  f"codereward {d['codereward']}: {d['first_failure']}")
        fig |= cmp
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA, help=f"shared data directory (default {DATA})")
    ap.add_argument("--every", type=int, default=16, help="take every Nth CodeT sample (default 16: 1,025)")
    ap.add_argument("--limit", type=int, default=None, help="then keep only the first N (a quick run)")
    ap.add_argument("--modes", default="fast,details", help="comma-separated: fast, details (default both)")
    ap.add_argument("--skip-evalplus", action="store_true", help="codereward only")
    ap.add_argument("--codereward-args", default="", help="extra arguments appended to `codereward eval`")
    ap.add_argument("--json", metavar="FILE", default=None, help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"fast", "details"}:
        ap.error("--modes takes fast, details or fast,details")
    extra = shlex.split(args.codereward_args)
    py = None if args.skip_evalplus else evalplus_python()

    figures: dict = {"cpus": os.cpu_count(), "every": args.every, "limit": args.limit,
                     "codereward_args": extra, "modes": {}}
    with tempfile.TemporaryDirectory(prefix="many-tests-") as tmp:
        samples, programs, data = workload(args.data, args.every, args.limit, Path(tmp))
        n, n_tasks = len(programs), len({p["task_id"] for p in programs})
        distinct = len({(p["task_id"], p["solution"]) for p in programs})
        log(f"{n} CodeT samples (every {args.every}th{f', first {args.limit}' if args.limit else ''}) over "
            f"{n_tasks} tasks, {distinct} distinct programs")
        figures |= {"samples": n, "tasks": n_tasks, "distinct_programs": distinct}
        runs = {}
        for mode in modes:
            ep = None
            if py:
                log(f"[{mode}] evalplus {'--test-details ' if mode == 'details' else ''}--parallel {WORKERS} ...")
                ep = run_evalplus(py, data, programs, details=mode == "details")
                log(f"  {ep.get('seconds', float('nan')):.1f} s" + (f" FAILED: {ep['error']}" if "error" in ep else ""))
            log(f"[{mode}] codereward eval --workers {WORKERS}{' --fail-fast' if mode == 'fast' else ''} ...")
            cr = run_codereward(data, programs, fail_fast=mode == "fast", extra=extra)
            log(f"  {cr['seconds']:.1f} s" + (f" FAILED: {cr['error']}" if "error" in cr else ""))
            runs[mode] = (ep, cr)

    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {n} samples over {n_tasks} "
          f"tasks ({distinct} distinct programs); codereward args: {' '.join(extra) or '(none)'}")
    for mode, (ep, cr) in runs.items():
        ok = ep and cr and "error" not in ep and "error" not in cr
        figures["modes"][mode] = report(mode, n, ep, cr, compare(samples, programs, ep, cr) if ok else None)
    if args.json:
        dump_json(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
