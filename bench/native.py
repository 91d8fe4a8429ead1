"""Native languages (C, C++17/20, Java, Go, Rust, JavaScript, PyPy on stdin/stdout, CPython's stdio for reference):
compile once against SandboxFusion's compile per test case, the cost of a case in a warm sandbox, each language's
latency (compile, first run, later runs: p50/p99), and verdicts under load; one run.

    .venv/bin/python bench/native.py                      # all four parts (~20-25 min on 2 vCPUs under load)
    .venv/bin/python bench/native.py --only latency,stability   # the per-language parts (~9 min at load 10-20)
    .venv/bin/python bench/native.py --only latency --compile-samples 3 --latency-runs 10   # quick (~1 min)
    .venv/bin/python bench/native.py --only stability --programs 100 --rounds 2   # smaller (~2-3 min)
    .venv/bin/python bench/native.py --only stability --stability-languages c,java,python --no-load
    .venv/bin/python bench/native.py --part compile --submissions 4   # the anchor alone ~8-12 min
    .venv/bin/python bench/native.py --part compile --submissions 2 --cases 20 --header cstdio

Every codereward figure runs with full isolation (bubblewrap sandboxes, Engine(workers=2)); each part has its
own fresh artifact cache (a temporary directory, as CODEREWARD_ARTIFACTS would give), so every first compile
is cold and counted. Parts (`--only`/`--part`, comma-separated: compile, overhead, latency, stability; default
all); languages whose toolchain is missing are listed as not installed and skipped:

1. **compile** — compile once vs compile per test (the issue's target: >= 20x). One C++17 problem (the sum of
   N integers, N <= 2,000, |a_i| <= 10^9 at most: a 32-bit sum overflows on some cases, not all), `--cases`
   (100) cases drawn from a seeded generator, `--submissions` (2: each costs the anchor `--cases` compiles)
   distinct sources cycling over: correct (64-bit sum), 32-bit sum (wrong where it overflows), correct with
   trailing blanks and an empty line, off by one (drops the last number), correct summed from an array. All
   `#include <bits/stdc++.h>` as CP code is (`--header cstdio` for the light header instead).
   The anchor does for every (submission, case) what bytedance/SandboxFusion @469de08 does for every stdio
   test case (`sandbox/utils/testing.py` check_stdio_test_case -> `/run_code` -> `runners/major.py` run_cpp,
   isolation `none`, its cheapest mode): a fresh temporary directory, the source written to a
   NamedTemporaryFile `*.cpp`, `g++ -std=c++17 <f>.cpp -o test` + whichever of `-lcrypto -lssl -lpthread`
   its start-up probe links (probed once here, untimed; note: **no -O2**) run by /bin/bash under a 10 s
   timeout, then `./test` with the case's stdin under a 10 s timeout (its defaults), the output compared as
   it compares (strip, split lines, lower-case, strip each, else floats within 1e-5 relative). Every case
   runs (its `run_all_cases`; codereward runs all too, fail_fast off), on 2 threads, as codereward has 2
   sandboxes. codereward: `Engine(workers=2).run_many` over the same submissions, timed from `Engine(...)`
   to its close: sandbox start-up and the cold compiles (`-O2 -static`, in a compile sandbox each) included.
   Each harness's failed cases are listed by why: on a loaded machine SandboxFusion's 10 s wall-clock compile
   timeout fails correct programs (`compile timeout`), a verdict difference that is the anchor's.
2. **overhead** — what a case costs in a warm sandbox: a static C++ program that echoes a number, one task of
   `--overhead-cases` (200) cases, compiled once, then run `--overhead-runs` (3) times by `Engine.run`:
   the p50/p90/p99 of the per-case time the sandbox measures (TestResult.time: fork, limits, seccomp,
   Landlock, execve, the program, wait), the execution's time per case (Result.time / cases: with the round
   trips judge <-> candidate and the comparison) and the host's wall per case. Target: p50 <= 5 ms. The
   anchor, in the same run: `subprocess.run([binary], input=...)` of the same static binary outside any
   sandbox, the floor fork + exec costs this machine from Python.
3. **latency** — a + b in every installed language (every row of languages/native.py LANGUAGES whose toolchain
   is found, then CPython's `python`), one task of 1 case per language, on one warm Engine(workers=2), one
   call at a time. Compile: the language's first compile in the process (toolchain cold; Go's build cache
   empty), then `--compile-samples` (8) more, each a source not in the artifact cache (a new comment): the
   host's wall around artifacts.build and the compile sandbox's own seconds (Built.seconds); CPython's is the
   host's compile to a code object (PYTHON.prepare). First run: the host wall of `Engine.run` of each of
   those 9 fresh programs right after its compile (the artifact in memory, never executed). Later runs:
   `--latency-runs` (40) more `Engine.run` of the last program (`run` never dedupes): p50/p99 of the host's
   wall and of the case's own time in the sandbox (TestResult.time). p99 is the nearest rank: of 8 samples,
   their max.
4. **stability** — verdicts under load. `--programs` (200) distinct submissions spread round-robin over the
   installed languages (`--stability-languages` to choose), one problem per language (read x and m, print
   x*x + 7; `--stability-cases` (1) case, 1 s of CPU x the language's factor: Java and JavaScript 2 s, Go and
   PyPy 1.5 s), kinds in a fixed pattern of 20 per language: 8 correct and fast, 5 correct but CPU-heavy (an
   LCG chain of m steps, m calibrated per language in the sandbox, unloaded, so the case uses ~`--cpu-target`
   (0.35) of the language's limit), 3 wrong answers (x*x + 8), 3 infinite loops, 1 sleeper (sleeps forever:
   stopped by the wall cap, 2 x the CPU limit + 1 s). Every program that ends prints its own CPU seconds as
   the kernel counts it for the process (clock(), getrusage, ProcessHandle, process.cpuUsage,
   time.process_time) on a second line; the task's checker reads only the first token. All are compiled
   first (not timed in the rounds), then judged by `Engine.execute(values=True)` (decided as `Engine.run`
   decides, without the result cache, dedupe and the audit; it also returns each case's stdout, hence the
   CPU) from 2 threads: one round with no busy loop (the baseline), then
   `--rounds` (3) while `--load-procs` (2) busy loops (`python -c 'while True: pass'`) load both cores
   (`--no-load`: none). Printed: per round its seconds, the load average before and after, verdicts and how
   many differ from the intended ones; the flips across the loaded rounds (target 0) and against the
   baseline; per kind (and per language for the heavy ones) the cases' wall (TestResult.time) and CPU, p50
   and p99, unloaded vs loaded (a stopped case's CPU is the sandbox's, from its detail); the loops the wall
   cap stopped before their CPU limit.

The load average (/proc/loadavg) is printed before and after each part: another job on the machine moves the
absolute figures, and the ratios less.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from codereward import Engine, Outcome, Result, Status, Task
from codereward.languages import PYTHON, artifacts, case_cpu_seconds, prepare_program
from codereward.languages.native import LANGUAGES, NativeLanguage

LIMITS = {"case_time": 1.0, "memory_mb": 256}
SF_COMPILE_TIMEOUT = SF_RUN_TIMEOUT = 10.0  # SandboxFusion's defaults for compiled languages


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def stdio_task(task_id: str, language: str, cases: list[tuple[str, str]]) -> Task:
    return Task(id=task_id, language=language, limits=LIMITS,
                tests={"kind": "stdio", "cases": [{"stdin": i, "stdout": o} for i, o in cases],
                       "comparator": "tokens"})


class TimedCache(artifacts.ArtifactCache):
    """The artifact cache, remembering each compile's own seconds (Built.seconds) for the report."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.compile_seconds: list[float] = []

    def build(self, language: NativeLanguage, program: str, *args: Any, **kwargs: Any) -> artifacts.Built:
        built = super().build(language, program, *args, **kwargs)
        if not built.cached:
            self.compile_seconds.append(built.seconds)
        return built


def fresh_cache(root: str) -> TimedCache:
    """A cold artifact cache on disk at `root` (what CODEREWARD_ARTIFACTS=root gives a new process)."""
    cache = TimedCache(root)
    artifacts.CACHE = cache  # artifacts.build and every language's prepare read it at call time
    return cache


# --- 1. compile once vs compile per test -----------------------------------------------------------------

SUM_VARIANTS = {  # name -> (body, correct)
    "correct (long long)": ("int main(){long long n,x,s=0;if(scanf(\"%lld\",&n)!=1)return 1;"
                            "for(long long i=0;i<n;i++){scanf(\"%lld\",&x);s+=x;}printf(\"%lld\\n\",s);return 0;}",
                            True),
    "wrong (int overflow)": ("int main(){int n,x,s=0;if(scanf(\"%d\",&n)!=1)return 1;"
                             "for(int i=0;i<n;i++){scanf(\"%d\",&x);s+=x;}printf(\"%d\\n\",s);return 0;}", False),
    "correct (trailing blanks)": ("int main(){long long n,x,s=0;scanf(\"%lld\",&n);"
                                  "while(n--){scanf(\"%lld\",&x);s+=x;}printf(\"%lld  \\n\\n\",s);return 0;}", True),
    "wrong (off by one)": ("int main(){long long n,x,s=0;scanf(\"%lld\",&n);"
                           "for(long long i=1;i<n;i++){scanf(\"%lld\",&x);s+=x;}printf(\"%lld\\n\",s);return 0;}",
                           False),
    "correct (array)": ("static long long a[200005];\nint main(){int n;scanf(\"%d\",&n);"
                        "for(int i=0;i<n;i++)scanf(\"%lld\",&a[i]);long long s=0;for(int i=n-1;i>=0;i--)s+=a[i];"
                        "printf(\"%lld\\n\",s);return 0;}", True),
}


def sum_cases(n_cases: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(n_cases):
        n, bound = rng.randint(1, 2000), rng.choice([10, 1000, 10**6, 10**9])
        xs = [rng.randint(-bound, bound) for _ in range(n)]
        cases.append((f"{n}\n{' '.join(map(str, xs))}\n", f"{sum(xs)}\n"))
    return cases


def sum_submissions(n: int, header: str) -> list[tuple[str, str]]:
    include = "#include <bits/stdc++.h>\nusing namespace std;\n" if header == "bits" else "#include <cstdio>\n"
    names = list(SUM_VARIANTS)
    out = []
    for k in range(n):
        name = names[k % len(names)]
        tag = f"// submission {k}\n" if k >= len(names) else ""  # copies stay distinct programs
        out.append((name, tag + include + SUM_VARIANTS[name][0] + "\n"))
    return out


def sf_equal(stdout: str, expected: str) -> bool:
    """SandboxFusion's check_stdio_test_case comparison (lower_cmp=True)."""
    got, want = stdout.strip().split("\n"), expected.strip().split("\n")
    if len(got) - len(want) == 1 and got[-1] == "":
        got = got[:-1]
    if len(want) - len(got) == 1 and want[-1] == "":
        want = want[:-1]
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        g, w = g.lower(), w.lower()
        if g.strip() != w.strip():
            try:
                a, b = float(g), float(w)
            except ValueError:
                return False
            if not abs(a - b) / max(abs(b), 1e-10) < 1e-5:
                return False
    return True


def sf_cpp_flags() -> list[str]:
    """SandboxFusion's start-up probe (get_cpp_rt_flags): the optional libraries g++ can link here."""
    flags = []
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.cpp")
        with open(src, "w") as f:
            f.write("int main() {return 0;}")
        for flag in ("-lcrypto", "-lssl", "-lpthread"):
            r = subprocess.run(f"g++ {src} -o test {flag}", shell=True, executable="/bin/bash", cwd=tmp,
                               capture_output=True)
            if r.returncode == 0:
                flags.append(flag)
    return flags


def sf_case(code: str, stdin: str, expected: str, flags: list[str]) -> tuple[bool, float, float, str]:
    """One stdio test case as SandboxFusion runs it: (passed, compile seconds, run seconds, why it failed)."""
    with tempfile.TemporaryDirectory() as tmp:
        with tempfile.NamedTemporaryFile(mode="w", dir=tmp, suffix=".cpp", delete=False) as f:
            f.write(code)
        t0 = time.perf_counter()
        try:
            c = subprocess.run(f"g++ -std=c++17 {f.name} -o test {' '.join(flags)}", shell=True,
                               executable="/bin/bash", cwd=tmp, capture_output=True, timeout=SF_COMPILE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return False, time.perf_counter() - t0, 0.0, "compile timeout"
        t1 = time.perf_counter()
        if c.returncode != 0:
            return False, t1 - t0, 0.0, "compile error"
        try:
            r = subprocess.run("./test", shell=True, executable="/bin/bash", cwd=tmp, input=stdin.encode(),
                               capture_output=True, timeout=SF_RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return False, t1 - t0, time.perf_counter() - t1, "run timeout"
        t2 = time.perf_counter()
        if r.returncode != 0:
            return False, t1 - t0, t2 - t1, f"exit status {r.returncode}"
        ok = sf_equal(r.stdout.decode(errors="replace"), expected)
        return ok, t1 - t0, t2 - t1, "" if ok else "wrong answer"


def part_compile(args: argparse.Namespace, tmp: str) -> None:
    print(f"\n== 1. compile once vs compile per test (load {loadavg()}) ==", flush=True)
    cases = sum_cases(args.cases, args.seed)
    subs = sum_submissions(args.submissions, args.header)
    header = "<bits/stdc++.h>" if args.header == "bits" else "<cstdio>"
    print(f"{len(subs)} C++17 submissions x {len(cases)} cases, {header}; both harnesses on 2 workers", flush=True)

    flags = sf_cpp_flags()
    jobs = [(s, c) for s in range(len(subs)) for c in range(len(cases))]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        anchor = list(pool.map(lambda j: sf_case(subs[j[0]][1], *cases[j[1]], flags), jobs))
    sf_s = time.perf_counter() - t0
    sf_pass = [[anchor[s * len(cases) + c][0] for c in range(len(cases))] for s in range(len(subs))]
    sf_compile = sum(a[1] for a in anchor)
    sf_run = sum(a[2] for a in anchor)
    print(f"  SandboxFusion's way: {sf_s:.1f} s (flags probed: {' '.join(flags) or 'none'})", flush=True)

    cache = fresh_cache(os.path.join(tmp, "artifacts-compile"))
    task = stdio_task("sum", "cpp17", cases)
    t0 = time.perf_counter()
    with Engine(workers=2) as engine:
        engine.start()
        started = time.perf_counter() - t0
        results = engine.run_many([(task, src) for _, src in subs])
    cr_s = time.perf_counter() - t0
    print(f"  codereward:          {cr_s:.1f} s", flush=True)

    cr_pass = [[t.outcome is Outcome.PASSED for t in r.tests] for r in results]
    sf_acc = sum(all(p) for p in sf_pass)
    cr_acc = sum(r.status is Status.PASSED for r in results)
    print()
    print(f"{'harness':<58} {'compiles':>8} {'seconds':>8} {'ratio':>8} {'accepted':>8}")
    print(f"{'SandboxFusion run_cpp per case (g++ -std=c++17, no -O2)':<58} {len(jobs):>8} {sf_s:>8.1f} "
          f"{'1.00x':>8} {sf_acc:>8}")
    print(f"{'codereward Engine(workers=2).run_many, cold artifact cache':<58} {cache.compiles:>8} {cr_s:>8.1f} "
          f"{sf_s / cr_s:>7.1f}x {cr_acc:>8}")
    print()
    print(f"  {'submission':<28} {'SF cases passed':>15} {'CR cases passed':>15} {'verdict':>8} {'cases agree':>11}")
    for k, ((name, _), sp, cp, r) in enumerate(zip(subs, sf_pass, cr_pass, results)):
        agree = sum(a == b for a, b in zip(sp, cp))
        same = "same" if all(sp) == (r.status is Status.PASSED) else "DIFFERS"
        print(f"  {name:<28} {sum(sp):>15} {sum(cp):>15} {same:>8} {agree:>7}/{len(cases)}")
        if r.status is Status.ERROR:
            print(f"    codereward error: {r.reason}")
        whys = collections.Counter(a[3] for a in anchor[k * len(cases):(k + 1) * len(cases)] if a[3])
        ours = collections.Counter(t.outcome.value for t in r.tests if t.outcome is not Outcome.PASSED)
        if whys or ours:
            print(f"    failed cases, SandboxFusion: {dict(whys) or '-'}; codereward: {dict(ours) or '-'}")
    cr_case = sum(t.time for r in results for t in r.tests)
    compiles = sorted(a[1] for a in anchor)
    print(f"  where the time goes — SandboxFusion (2 threads, worker-seconds): compile {sf_compile:.1f} s "
          f"({sf_compile / len(jobs):.2f} s each; p50 {pct(compiles, .5):.2f}, max {compiles[-1]:.2f} s against its "
          f"{SF_COMPILE_TIMEOUT:g} s wall timeout), run {sf_run:.1f} s ({sf_run / len(jobs) * 1e3:.1f} ms each)")
    cs = cache.compile_seconds
    print(f"  codereward: sandboxes started in {started:.2f} s; {len(cs)} compiles of {sum(cs):.1f} s "
          f"({', '.join(f'{s:.2f}' for s in cs)} s: -O2 -static, in a compile sandbox each); cases "
          f"{cr_case:.2f} s of sandbox time ({cr_case / max(1, len(jobs)) * 1e3:.2f} ms each)")


# --- 2. per-case overhead in a warm sandbox ------------------------------------------------------------------

ECHO = "#include <cstdio>\nint main(){long long x;if(scanf(\"%lld\",&x)!=1)return 1;printf(\"%lld\\n\",x);return 0;}\n"


def part_overhead(args: argparse.Namespace, tmp: str) -> None:
    print(f"\n== 2. per-case overhead in a warm sandbox (load {loadavg()}) ==", flush=True)
    fresh_cache(os.path.join(tmp, "artifacts-overhead"))
    rng = random.Random(args.seed)
    cases = [(f"{x}\n", f"{x}\n") for x in (rng.randint(-10**18, 10**18) for _ in range(args.overhead_cases))]
    task = stdio_task("echo", "cpp17", cases)
    case_s: list[float] = []
    exec_per_case: list[float] = []
    wall_per_case: list[float] = []
    with Engine(workers=2) as engine:
        first = engine.run(task, ECHO)  # compiles, prepares the task, warms the sandbox
        assert first.status is Status.PASSED, (first.status, first.reason, first.tests[:1])
        for _ in range(args.overhead_runs):
            t0 = time.perf_counter()
            r = engine.run(task, ECHO)
            wall = time.perf_counter() - t0
            assert r.status is Status.PASSED, (r.status, r.reason)
            case_s += [t.time for t in r.tests]
            exec_per_case.append(r.time / len(cases))
            wall_per_case.append(wall / len(cases))

    built = artifacts.build(LANGUAGES["cpp17"], ECHO)  # the same static binary (cached)
    binary = os.path.join(tmp, "echo-static")
    with open(binary, "wb") as f:
        f.write(built.artifact)
    os.chmod(binary, 0o755)
    floor: list[float] = []
    for _ in range(args.overhead_runs):
        for stdin, expected in cases:
            t0 = time.perf_counter()
            p = subprocess.run([binary], input=stdin, capture_output=True, text=True, timeout=10)
            floor.append(time.perf_counter() - t0)
            assert p.stdout == expected

    def row(name: str, xs: list[float]) -> None:
        print(f"{name:<64} {len(xs):>6} {pct(xs, .5) * 1e3:>7.2f} {pct(xs, .9) * 1e3:>7.2f} "
              f"{pct(xs, .99) * 1e3:>7.2f} {statistics.fmean(xs) * 1e3:>7.2f}")

    print()
    print(f"{'per case (ms)':<64} {'n':>6} {'p50':>7} {'p90':>7} {'p99':>7} {'mean':>7}")
    row("subprocess.run([static binary], input=...), no sandbox (floor)", floor)
    row("codereward: the case in the sandbox (TestResult.time)", case_s)
    row("codereward: execution time / cases (Result.time / n)", exec_per_case)
    row("codereward: host wall of Engine.run / cases", wall_per_case)
    print(f"  target p50 <= 5 ms: {'met' if pct(case_s, .5) <= 0.005 else 'NOT met'} "
          f"({pct(case_s, .5) * 1e3:.2f} ms per case in the sandbox, {statistics.median(wall_per_case) * 1e3:.2f} ms "
          f"per case of host wall; the floor {pct(floor, .5) * 1e3:.2f} ms)")


# --- 3. per-language latency -----------------------------------------------------------------------------------

ADD = {
    "c": "#include <stdio.h>\nint main(void){long long a,b;if(scanf(\"%lld %lld\",&a,&b)!=2)return 1;"
         "printf(\"%lld\\n\",a+b);return 0;}\n",
    "cpp17": "#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n",
    "cpp20": "#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';return 0;}\n",
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int64\n\tfmt.Scan(&a, &b)\n'
          '\tfmt.Println(a+b)\n}\n',
    "java": "import java.util.*;\npublic class Main {\n  public static void main(String[] x) {\n"
            "    Scanner s = new Scanner(System.in); long a = s.nextLong(), b = s.nextLong();\n"
            "    System.out.println(a + b);\n  }\n}\n",
    "rust": "use std::io::Read;\nfn main() {\n    let mut s = String::new();\n"
            "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
            "    let v: Vec<i64> = s.split_whitespace().map(|t| t.parse().unwrap()).collect();\n"
            "    println!(\"{}\", v[0] + v[1]);\n}\n",
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(BigInt);\n"
                  "console.log((a + b).toString());\n",
    "pypy": "a, b = map(int, input().split())\nprint(a + b)\n",
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
}
COMMENT = {"python": "#", "pypy": "#"}  # the others take //


def installed_languages() -> tuple[list[str], list[str]]:
    """(installed, missing): every row of LANGUAGES by whether its toolchain is found, then CPython's
    `python` (always there: it is the host's interpreter, run in the Python sandbox's zygote)."""
    have = [name for name, lang in LANGUAGES.items() if lang.runtime() is not None]
    return have + ["python"], [name for name in LANGUAGES if name not in have]


def prepare_timed(name: str, src: str) -> tuple[float, float]:
    """Compile `src` (not cached yet): (host wall seconds, the compile sandbox's own seconds; for CPython the
    host's compile to a code object, which is all its `prepare` does)."""
    t0 = time.perf_counter()
    if name == "python":
        prepared = PYTHON.prepare(src)
        assert prepared.compile_error is None, prepared.compile_error
        wall = time.perf_counter() - t0
        return wall, wall
    built = artifacts.build(LANGUAGES[name], src)
    assert built.error is None and not built.cached, (built.error, built.cached)
    return time.perf_counter() - t0, built.seconds


def part_latency(args: argparse.Namespace, tmp: str) -> None:
    print(f"\n== 3. per-language latency, a + b (load {loadavg()}) ==", flush=True)
    fresh_cache(os.path.join(tmp, "artifacts-latency"))
    names, missing = installed_languages()
    load_before = loadavg()
    rows = []
    nonce = f"{time.time_ns():x}"
    with Engine(workers=2) as engine:
        engine.start()
        for name in names:
            task = stdio_task(f"add-{name}", name, [("3 4\n", "7\n")])
            mark = COMMENT.get(name, "//")
            compile_wall, compile_own, first_wall, first_case, verdicts = [], [], [], [], set()
            src = ADD[name]
            for k in range(args.compile_samples + 1):  # sample 0: the toolchain's first compile in this process
                src = ADD[name] + f"{mark} latency sample {k} {nonce}\n"  # a new source: a cold compile
                wall, own = prepare_timed(name, src)
                compile_wall.append(wall)
                compile_own.append(own)
                t0 = time.perf_counter()
                r = engine.run(task, src)  # the first execution of this artifact
                first_wall.append(time.perf_counter() - t0)
                first_case.append(r.tests[0].time if r.tests else 0.0)
                verdicts.add(r.status.value)
            walls, cases = [], []
            for _ in range(args.latency_runs):  # the last program again, warm (`run` never dedupes)
                t0 = time.perf_counter()
                r = engine.run(task, src)
                walls.append(time.perf_counter() - t0)
                cases.append(r.tests[0].time if r.tests else 0.0)
                verdicts.add(r.status.value)
            rows.append((name, compile_wall, compile_own, first_wall, first_case, walls, cases, verdicts))
            print(f"  {name}: done (load {loadavg()})", flush=True)
    print()
    print(f"{'language':<11} {'1st compile':>11} {'compile p50':>11} {'p99':>7} {'(sandbox)':>9} "
          f"{'1st run p50':>11} {'p99':>7} {'later p50':>9} {'p99':>7} {'case p50':>8} {'p99':>7}  verdicts")
    print(f"{'(all ms)':<11} {'':>11} {'':>11} {'':>7} {'p50':>9}")
    for name, cw, co, fw, _fc, walls, cases, verdicts in rows:
        warm = cw[1:]
        print(f"{name:<11} {cw[0] * 1e3:>11.1f} {pct(warm, .5) * 1e3:>11.1f} {pct(warm, .99) * 1e3:>7.1f} "
              f"{pct(co[1:], .5) * 1e3:>9.1f} "
              f"{pct(fw, .5) * 1e3:>11.1f} {pct(fw, .99) * 1e3:>7.1f} {pct(walls, .5) * 1e3:>9.1f} "
              f"{pct(walls, .99) * 1e3:>7.1f} {pct(cases, .5) * 1e3:>8.1f} {pct(cases, .99) * 1e3:>7.1f}  "
              f"{','.join(sorted(verdicts))}")
    for name in missing:
        print(f"{name:<11} not installed (scripts/setup.sh with CODEREWARD_LANGUAGES={name})")
    print(f"  1st compile: the first compile of the language in this process (toolchain files cold; Go: its build "
          f"cache empty); compile p50/p99: host wall of {args.compile_samples} more cold compiles (a new comment "
          f"each: not in the artifact cache), (sandbox): the compile sandbox's own seconds (Built.seconds; python: "
          f"the host's compile to a code object)\n"
          f"  1st run: host wall of the first Engine.run of each of the {args.compile_samples + 1} fresh programs "
          f"(sample 0's includes the task's preparation); later: {args.latency_runs} more runs of the last one; "
          f"case: TestResult.time, the case in the sandbox, over the later runs; p99 of n samples is the "
          f"nearest-rank quantile (of {args.compile_samples}: their max)\n"
          f"  load average: {load_before} before, {loadavg()} after")


# --- 4. verdict stability under load -----------------------------------------------------------------------

# The problem: read "x m", print x*x + 7 (x < 10^6). Every program that ends prints its own CPU seconds on a
# second line (the checker reads only the first token): what the process used, as the kernel accounts it,
# read by the program at its end (clock(), getrusage, process.cpuUsage, ProcessHandle, time.process_time).
# Kinds: fast (correct), heavy (correct after an LCG chain of m steps, m calibrated per language to
# --cpu-target of its CPU limit), wrong (x*x + 8), loop (spins forever), sleep (sleeps forever).
CHECKER = "def check_output(stdin, output, expected):\n    return output.split()[:1] == expected.split()\n"
KINDS = ("fast", "heavy", "wrong", "loop", "sleep")
PATTERN = ["fast", "heavy", "fast", "wrong", "fast", "heavy", "loop", "fast", "heavy", "fast",
           "wrong", "heavy", "fast", "loop", "fast", "heavy", "wrong", "fast", "loop", "sleep"]  # 8/5/3/3/1 of 20
INTENDED = {"fast": "passed", "heavy": "passed", "wrong": "wrong_answer", "loop": "time_limit", "sleep": "time_limit"}


def stability_source(lang: str, kind: str, tag: str) -> str:
    """A program of `kind` in `lang` (its name in the task); `tag`: a comment keeping every submission distinct."""
    add = 8 if kind == "wrong" else 7
    spin, sleep, heavy = kind == "loop", kind == "sleep", kind == "heavy"
    if lang in ("c", "cpp17", "cpp20"):
        inc = ("#include <stdio.h>\n#include <time.h>\n#include <unistd.h>\n" if lang == "c" else
               "#include <cstdio>\n#include <ctime>\n#include <unistd.h>\n")
        body = ("int main(void){unsigned long long x,m;if(scanf(\"%llu %llu\",&x,&m)!=2)return 1;"
                f"unsigned long long ans=x*x+{add};")
        if heavy:
            body += ("unsigned w=(unsigned)x;for(unsigned long long i=0;i<m;i++)w=w*1103515245u+12345u;"
                     "if(w==12345678u)ans++;")
        if spin:
            body += "volatile unsigned long long k=0;for(;;)k++;"
        if sleep:
            body += "for(;;)sleep(1000);"
        body += "printf(\"%llu\\n%.6f\\n\",ans,(double)clock()/CLOCKS_PER_SEC);return 0;}\n"
        return f"/* {tag} */\n" + inc + body
    if lang == "java":
        extra = ""
        if heavy:
            extra = ("    int w = (int) x; for (long i = 0; i < m; i++) w = w * 1103515245 + 12345;\n"
                     "    if (w == 12345678) ans++;\n")
        if spin:
            extra = "    long k = 1; while (k > 0) { k++; }  // 2^63 steps: forever\n"
        if sleep:
            extra = ("    for (int i = 0; i < 1000; i++)\n"
                     "      try { Thread.sleep(1000000); } catch (InterruptedException e) { }\n")
        return (f"// {tag}\nimport java.io.*;\nimport java.util.*;\npublic class Main {{\n"
                "  public static void main(String[] a) throws IOException {\n"
                "    StringTokenizer t = new StringTokenizer(new BufferedReader(new InputStreamReader(System.in))"
                ".readLine());\n"
                "    long x = Long.parseLong(t.nextToken()), m = Long.parseLong(t.nextToken());\n"
                f"    long ans = x * x + {add};\n{extra}"
                "    double cpu = ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9)"
                ".orElse(-1.0);\n"
                "    System.out.println(ans + \"\\n\" + cpu);\n  }\n}\n")
    if lang == "go":
        extra = ""
        if heavy:
            extra = "\tw := uint32(x)\n\tfor i := int64(0); i < m; i++ {\n\t\tw = w*1103515245 + 12345\n\t}\n" \
                    "\tif w == 12345678 {\n\t\tans++\n\t}\n"
        if spin:
            extra = "\tk := 0\n\tfor {\n\t\tk++\n\t\tif k == -1 {\n\t\t\tbreak\n\t\t}\n\t}\n"
        if sleep:
            extra = "\tfor {\n\t\ttime.Sleep(1000 * time.Second)\n\t}\n"
        imports = '"fmt"\n\t"syscall"' + ('\n\t"time"' if sleep else "")
        return (f"// {tag}\npackage main\n\nimport (\n\t{imports}\n)\n\nfunc main() {{\n\tvar x, m int64\n"
                f"\tfmt.Scan(&x, &m)\n\tans := x*x + {add}\n{extra}"
                "\tvar ru syscall.Rusage\n\tsyscall.Getrusage(syscall.RUSAGE_SELF, &ru)\n"
                "\tfmt.Printf(\"%d\\n%.6f\\n\", ans, float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9)\n}\n")
    if lang == "rust":
        extra = ""
        if heavy:
            extra = ("    let mut w = x as u32;\n"
                     "    for _ in 0..m { w = w.wrapping_mul(1103515245).wrapping_add(12345); }\n"
                     "    if w == 12345678 { ans += 1; }\n")
        if spin:
            extra = "    let mut k: u64 = 0;\n    loop { unsafe { std::ptr::write_volatile(&mut k, k + 1); } }\n"
        if sleep:
            extra = "    loop { std::thread::sleep(std::time::Duration::from_secs(1000)); }\n"
        return (f"// {tag}\nuse std::io::Read;\nextern \"C\" {{ fn clock() -> i64; }}\n"
                "#[allow(unreachable_code, unused_mut)]\nfn main() {\n    let mut s = String::new();\n"
                "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
                "    let v: Vec<u64> = s.split_whitespace().map(|t| t.parse().unwrap()).collect();\n"
                f"    let (x, m) = (v[0], v[1]);\n    let mut ans = x * x + {add};\n{extra}"
                "    let cpu = unsafe { clock() } as f64 / 1e6;  // glibc: CLOCKS_PER_SEC = 10^6\n"
                "    println!(\"{}\\n{:.6}\", ans, cpu);\n}\n")
    if lang == "javascript":
        extra = ""
        if heavy:
            extra = ("let w = x | 0;\nfor (let i = 0; i < m; i++) w = (Math.imul(w, 1103515245) + 12345) | 0;\n"
                     "if (w === 12345678) ans++;\n")
        if spin:
            extra = "let k = 0;\nfor (;;) { k++; }\n"
        if sleep:
            extra = "setTimeout(() => {}, 1e6);\nreturn;\n"
        return (f"// {tag}\n(function () {{\nconst [x, m] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/)"
                f".map(Number);\nlet ans = x * x + {add};\n{extra}"
                "const u = process.cpuUsage();\nconsole.log(ans + '\\n' + ((u.user + u.system) / 1e6).toFixed(6));\n"
                "})();\n")
    if lang in ("python", "pypy"):
        extra = ""
        if heavy:
            extra = ("w = x\nfor _ in range(m):\n    w = (w * 1103515245 + 12345) & 0xFFFFFFFF\n"
                     "if w == 12345678:\n    ans += 1\n")
        if spin:
            extra = "k = 0\nwhile True:\n    k += 1\n"
        if sleep:
            extra = "while True:\n    time.sleep(1000)\n"
        return (f"# {tag}\nimport sys, time\nx, m = map(int, sys.stdin.read().split())\nans = x * x + {add}\n{extra}"
                "print(ans)\nprint('%.6f' % time.process_time())\n")
    raise ValueError(lang)


def problem(lang: str, m: int, n_cases: int, seed: int) -> Task:
    rng = random.Random(seed)
    xs = [rng.randrange(1, 10**6) for _ in range(n_cases)]
    return Task(id=f"square-{lang}", language=lang, limits=LIMITS,
                tests={"kind": "stdio", "cases": [{"stdin": f"{x} {m}\n", "stdout": f"{x * x + 7}\n"} for x in xs],
                       "checker": CHECKER})


def judged(engine: Engine, task: Task, program: str) -> tuple[Result, list[float | None]]:
    """Judge one program (Engine.execute: the verdict `run` gives, plus each case's stdout): its result and each
    case's CPU seconds, as the program printed it (None where it printed none: stopped, or wrong)."""
    out = engine.execute(task, program, values=True)
    cpus: list[float | None] = []
    for t, v in zip(out.result.tests, out.values + [None] * len(out.result.tests)):
        used = re.search(r"\(([0-9.]+) s CPU", t.detail) if t.outcome is Outcome.TIME_LIMIT else None
        if used:  # stopped: the sandbox's own count, from the detail
            cpus.append(float(used.group(1)))
            continue
        words = v.split() if isinstance(v, str) else []
        try:
            cpus.append(float(words[1]) if len(words) > 1 else None)
        except ValueError:
            cpus.append(None)
    return out.result, cpus


def calibrate_heavy(engine: Engine, lang: str, target: float, seed: int) -> tuple[int, float]:
    """The chain length m that makes `lang`'s heavy program use ~target s of CPU per case in the sandbox
    (measured there, unloaded: its own CPU, less what the fast program uses to start)."""
    src = stability_source(lang, "heavy", "calibration")
    base = statistics.median(c or 0.0 for c in judged(engine, problem(lang, 0, 3, seed),
                                                       stability_source(lang, "fast", "calibration"))[1])
    m = {"python": 2_000_000, "pypy": 20_000_000}.get(lang, 200_000_000)
    used = 0.0
    for _ in range(3):
        result, cpus = judged(engine, problem(lang, m, 1, seed), src)
        used = cpus[0] if cpus and cpus[0] is not None else 0.0
        if result.status is not Status.PASSED:  # too long: past the limit
            m, used = m // 4, 0.0
            continue
        m = max(1000, int(m * max(target - base, 0.01) / max(used - base, 1e-3)))
    result, cpus = judged(engine, problem(lang, m, 1, seed), src)
    return m, (cpus[0] or 0.0) if cpus else 0.0


@dataclass
class Round:
    name: str
    seconds: float
    load: str
    verdicts: list[tuple[str, tuple[str, ...]]]  # per program: status, per-case outcomes
    walls: list[list[float]] = field(default_factory=list)  # per program, per case: TestResult.time
    cpus: list[list[float | None]] = field(default_factory=list)


def part_stability(args: argparse.Namespace, tmp: str) -> None:
    print(f"\n== 4. verdict stability under load (load {loadavg()}) ==", flush=True)
    fresh_cache(os.path.join(tmp, "artifacts-stability"))
    names, _missing = installed_languages()
    if args.stability_languages:
        wanted = args.stability_languages.split(",")
        names = [n for n in names if n in wanted]
    limit = {n: case_cpu_seconds(n, LIMITS["case_time"]) for n in names}
    subs = []  # (language, kind, source): languages round-robin, kinds along PATTERN within each language
    for i in range(args.programs):
        lang, kind = names[i % len(names)], PATTERN[(i // len(names)) % len(PATTERN)]
        subs.append((lang, kind, stability_source(lang, kind, f"submission {i} ({kind})")))
    rounds: list[Round] = []
    load: list[subprocess.Popen[bytes]] = []
    with Engine(workers=2) as engine:
        engine.start()
        t0 = time.perf_counter()
        ms = {}
        for n in names:
            ms[n] = calibrate_heavy(engine, n, args.cpu_target * limit[n], args.seed)
        calib_s = time.perf_counter() - t0
        tasks = {n: problem(n, ms[n][0], args.stability_cases, args.seed) for n in names}
        print(f"{len(subs)} submissions in {len(names)} languages ({', '.join(names)}) x {args.stability_cases} "
              f"case(s), {LIMITS['case_time']:g} s CPU x the language's factor per case; "
              + ", ".join(f"{k} {sum(s[1] == k for s in subs)}" for k in KINDS), flush=True)
        print(f"  heavy, calibrated in the sandbox to ~{args.cpu_target:.0%} of the limit ({calib_s:.0f} s): "
              + "; ".join(f"{n} m={ms[n][0]:,} {ms[n][1]:.2f}/{limit[n]:g} s" for n in names), flush=True)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:  # compiled before the rounds (untimed there), 2 at a time
            errors = [e for e in pool.map(lambda s: prepare_program(tasks[s[0]], s[2]).compile_error, subs) if e]
        print(f"  compiled {len(subs)} programs in {time.perf_counter() - t0:.1f} s"
              + (f"; compile errors: {errors[:3]}" if errors else ""), flush=True)

        def judge(name: str) -> Round:
            load_at = loadavg()
            t0 = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:  # as run_many: 2 executions at a time
                out = list(pool.map(lambda s: judged(engine, tasks[s[0]], s[2]), subs))
            rnd = Round(name, time.perf_counter() - t0, f"{load_at} -> {loadavg()}",
                        [(r.status.value, tuple(t.outcome.value for t in r.tests)) for r, _ in out],
                        [[t.time for t in r.tests] for r, _ in out], [c for _, c in out])
            print(f"  {name}: {rnd.seconds:.1f} s (load {rnd.load})", flush=True)
            return rnd

        rounds.append(judge("round 0, no busy loops"))
        try:
            if not args.no_load:
                load = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load_procs)]
                time.sleep(1.0)
            busy = "no busy loops" if args.no_load else f"{args.load_procs} busy loops"
            for i in range(1, args.rounds + 1):
                rounds.append(judge(f"round {i}, {busy}"))
        finally:
            for p in load:
                p.kill()
                p.wait()

    def outcome_of(rnd: Round, k: int) -> str:
        status, outcomes = rnd.verdicts[k]
        return status if status == "passed" else next((o for o in outcomes if o != "passed"), status)

    print()
    print(f"{'round':<26} {'seconds':>7} {'load average (1, 5, 15 min)':>34} {'passed':>6} {'failed':>6} "
          f"{'error':>5} {'unintended':>10}")
    for rnd in rounds:
        statuses = [v[0] for v in rnd.verdicts]
        unintended = sum(outcome_of(rnd, k) != INTENDED[s[1]] for k, s in enumerate(subs))
        print(f"{rnd.name:<26} {rnd.seconds:>7.1f} {rnd.load:>34} {statuses.count('passed'):>6} "
              f"{statuses.count('failed'):>6} {statuses.count('error'):>5} {unintended:>10}")
    loaded = rounds[1:]
    flips = [k for k in range(len(subs)) if len({rnd.verdicts[k] for rnd in loaded}) > 1]
    status_flips = [k for k in range(len(subs)) if len({rnd.verdicts[k][0] for rnd in loaded}) > 1]
    vs_unloaded = [k for k in range(len(subs)) if any(rnd.verdicts[k] != rounds[0].verdicts[k] for rnd in loaded)]
    print(f"  flips across the {len(loaded)} {'unloaded' if args.no_load else 'loaded'} rounds: {len(status_flips)} "
          f"verdicts, {len(flips)} submissions with any case's outcome changed (target 0); differing from round 0 "
          f"(unloaded): {len(vs_unloaded)}")
    for k in sorted(set(flips) | set(vs_unloaded)):
        lang, kind, _ = subs[k]
        print(f"    submission {k} ({lang}, {kind}): " + "; ".join(
            f"{v[0]} {'/'.join(v[1])} {'/'.join(f'{w:.2f}' for w in rnd.walls[k])} s"
            for rnd, v in ((rnd, rnd.verdicts[k]) for rnd in rounds)))

    def ms_(xs: list[float]) -> str:
        return f"{pct(xs, .5) * 1e3:.0f} / {pct(xs, .99) * 1e3:.0f}" if xs else "-"

    def cells(group: list[int], rnds: list[Round]) -> tuple[list[float], list[float]]:
        walls = [w for rnd in rnds for k in group for w in rnd.walls[k]]
        cpus = [c for rnd in rnds for k in group for c in rnd.cpus[k] if c is not None]
        return walls, cpus

    print()
    print("per case, wall (TestResult.time) vs CPU (the program's own count; a stopped one's from the sandbox), "
          "p50 / p99 ms")
    print(f"{'kind':<6} {'language':<11} {'outcome':<13} {'cases':>5} {'wall, no load':>14} {'CPU, no load':>13} "
          f"{'wall, loaded':>13} {'CPU, loaded':>12} {'wall/CPU p50 loaded':>19}")
    groups: list[tuple[str, str, list[int]]] = []
    for kind in KINDS:
        groups.append((kind, "all", [k for k, s in enumerate(subs) if s[1] == kind]))
        if kind == "heavy":
            groups += [(kind, n, [k for k, s in enumerate(subs) if s[1] == kind and s[0] == n]) for n in names]
    for kind, lang, group in groups:
        if not group:
            continue
        w0, c0 = cells(group, rounds[:1])
        w1, c1 = cells(group, loaded)
        outcomes = sorted({outcome_of(rnd, k) for rnd in rounds for k in group})
        ratio = f"{pct(w1, .5) / pct(c1, .5):.2f}" if w1 and c1 and pct(c1, .5) > 0 else "-"
        print(f"{kind:<6} {lang:<11} {','.join(outcomes):<13} {len(w0):>5} {ms_(w0):>14} {ms_(c0):>13} "
              f"{ms_(w1):>13} {ms_(c1):>12} {ratio:>19}")
    capped = sorted((c / limit[s[0]], s[0]) for rnd in rounds for k, s in enumerate(subs) if s[1] == "loop"
                    for c in rnd.cpus[k] if c is not None and c < limit[s[0]])
    print(f"  loop cases stopped by the wall cap (2 x the CPU limit + 1 s of wall) before their CPU limit: "
          f"{len(capped)}" + (f" (the least CPU by then: {capped[0][0]:.0%} of the limit, {capped[0][1]}: a correct "
                              f"program needing more would have failed too)" if capped else ""))
PARTS = ("compile", "overhead", "latency", "stability")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", "--only", dest="part", default="all",
                    help="which parts, comma-separated: compile, overhead, latency, stability, or all (default)")
    ap.add_argument("--submissions", type=int, default=2,
                    help="compile: distinct C++ submissions (default 2; each costs the anchor ~2-4 min here)")
    ap.add_argument("--cases", type=int, default=100, help="compile: test cases of the problem (default 100)")
    ap.add_argument("--header", choices=["bits", "cstdio"], default="bits",
                    help="compile: the submissions' header, <bits/stdc++.h> (default) or <cstdio>")
    ap.add_argument("--overhead-cases", type=int, default=200, help="overhead: cases of the echo task (default 200)")
    ap.add_argument("--overhead-runs", type=int, default=3, help="overhead: timed runs of the task (default 3)")
    ap.add_argument("--compile-samples", type=int, default=8,
                    help="latency: cold compiles (and first runs) per language after its first (default 8)")
    ap.add_argument("--latency-runs", type=int, default=40,
                    help="latency: later runs of the same program per language (default 40)")
    ap.add_argument("--programs", type=int, default=200, help="stability: submissions (default 200)")
    ap.add_argument("--stability-cases", type=int, default=1, help="stability: cases of each task (default 1)")
    ap.add_argument("--stability-languages", default="",
                    help="stability: languages, comma-separated (default: every installed one)")
    ap.add_argument("--cpu-target", type=float, default=0.35,
                    help="stability: the heavy programs' CPU per case, a share of the language's limit (default 0.35)")
    ap.add_argument("--rounds", type=int, default=3, help="stability: loaded rounds after the unloaded one (default 3)")
    ap.add_argument("--load-procs", type=int, default=2, help="stability: busy-loop processes (default 2)")
    ap.add_argument("--no-load", action="store_true", help="stability: judge without the busy loops")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    parts = list(PARTS) if args.part == "all" else args.part.split(",")
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        ap.error(f"unknown part(s) {', '.join(unknown)}: choose from {', '.join(PARTS)} or all")
    print(f"{os.cpu_count()} CPUs, load average {loadavg()}; g++: "
          f"{subprocess.run(['g++', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}",
          flush=True)
    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="codereward-bench-native-")
    os.chmod(tmp, 0o755)
    try:
        for part in parts:
            {"compile": part_compile, "overhead": part_overhead, "latency": part_latency,
             "stability": part_stability}[part](args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; load average {loadavg()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
