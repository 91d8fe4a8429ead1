"""Native languages (C, C++, Java, Go, JavaScript on stdin/stdout): compile once against SandboxFusion's compile per
test case, the cost of a case in a warm sandbox, each language's latency, and verdicts under load; one run.

    .venv/bin/python bench/native.py                      # all four parts (~8-11 min on 2 vCPUs, load 2-5)
    .venv/bin/python bench/native.py --part compile --submissions 4   # the anchor alone ~8-12 min
    .venv/bin/python bench/native.py --part compile --submissions 2 --cases 20 --header cstdio
    .venv/bin/python bench/native.py --part stability --no-load

Every codereward figure runs with full isolation (bubblewrap sandboxes, Engine(workers=2)); each part has its
own fresh artifact cache (a temporary directory, as CODEREWARD_ARTIFACTS would give), so every first compile
is cold and counted. Parts (`--part compile|overhead|latency|stability|all`, default all):

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
3. **latency** — a + b in every installed language (languages/native.py LANGUAGES whose runtime is found):
   the cold compile (artifacts.build: the compile sandbox's own seconds, and the host's wall around it), the
   compile of a second program right after (warm toolchain; Go: its build cache now holds the standard
   library, ~10 s of the first), the first `Engine.run` of a 1-case task, then `--latency-runs` (20) more, one
   at a time (`run` never dedupes): p50/p99 of the host's wall and of the case's own time in the sandbox.
4. **stability** — verdicts under load. `--programs` (50) distinct C programs on one task (`--stability-cases`
   (2) cases, 1 s CPU per case): half correct and fast, 30% correct but burning ~`--cpu-target` (0.3) s of
   CPU per case (an LCG chain whose length the bench calibrates on this machine before the load, unsandboxed,
   from the children's rusage), the rest infinite loops. One unloaded round (it compiles them all), then 3
   rounds while 2 busy-loop processes (`python -c 'while True: pass'`) load both cores (`--no-load`: none),
   stopped after. Printed: per round, verdicts vs the intended ones, the CPU-bound cases' wall time (CPU is
   the limit: load stretches the wall, not the verdict) and the infinite loops' wall until time_limit; then
   the number of programs whose verdict or any case's outcome changed across the 3 rounds (target: 0).

The load average (/proc/loadavg) is printed before and after each part: another job on the machine moves the
absolute figures, and the ratios less.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from codereward import Engine, Outcome, Status, Task
from codereward.languages import artifacts
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
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(BigInt);\n"
                  "console.log((a + b).toString());\n",
}


def part_latency(args: argparse.Namespace, tmp: str) -> None:
    print(f"\n== 3. per-language latency, a + b (load {loadavg()}) ==", flush=True)
    fresh_cache(os.path.join(tmp, "artifacts-latency"))
    langs = [lang for name, lang in LANGUAGES.items() if lang.runtime() is not None and name in ADD]
    missing = [name for name, lang in LANGUAGES.items() if lang.runtime() is None]
    rows = []
    with Engine(workers=2) as engine:
        engine.start()
        for lang in langs:
            src = ADD[lang.name]
            task = stdio_task(f"add-{lang.name}", lang.name, [("3 4\n", "7\n")])
            t0 = time.perf_counter()
            built = artifacts.build(lang, src)
            compile_wall = time.perf_counter() - t0
            assert built.error is None, built.error
            # A second, distinct program: the toolchain's files now in the page cache, Go's build cache filled.
            comment = "// " if lang.name != "javascript" else "/* */ // "
            second = artifacts.build(lang, src + comment + "second program\n")
            assert second.error is None, second.error
            t0 = time.perf_counter()
            r = engine.run(task, src)
            first = time.perf_counter() - t0
            walls, cases, verdicts = [], [], {r.status.value}
            for _ in range(args.latency_runs):
                t0 = time.perf_counter()
                r = engine.run(task, src)
                walls.append(time.perf_counter() - t0)
                cases.append(r.tests[0].time if r.tests else 0.0)
                verdicts.add(r.status.value)
            rows.append((lang.name, built.seconds, compile_wall, second.seconds, first, walls, cases, verdicts))
            print(f"  {lang.name}: done", flush=True)
    print()
    print(f"{'language':<11} {'compile s':>9} {'(wall)':>7} {'2nd prog s':>10} {'1st run ms':>10} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'case p50':>8} {'case p99':>8}  verdicts")
    for name, comp, comp_wall, comp2, first, walls, cases, verdicts in rows:
        print(f"{name:<11} {comp:>9.2f} {comp_wall:>7.2f} {comp2:>10.2f} {first * 1e3:>10.1f} "
              f"{pct(walls, .5) * 1e3:>8.1f} "
              f"{pct(walls, .99) * 1e3:>8.1f} {pct(cases, .5) * 1e3:>8.1f} {pct(cases, .99) * 1e3:>8.1f}  "
              f"{','.join(sorted(verdicts))}")
    print(f"  compile: the compile sandbox's seconds (Built.seconds), cold, and the host's wall around it; 2nd prog: "
          f"another program right after (warm page cache; Go's build cache filled by the first)\n"
          f"  p50/p99: host wall of Engine.run over {args.latency_runs} runs; case: TestResult.time in the sandbox"
          + (f"; not installed: {', '.join(missing)}" if missing else ""))


# --- 4. verdict stability under load -----------------------------------------------------------------------

LCG = "x=x*6364136223846793005ULL+1442695040888963407ULL;"
FAST = ("#include <stdio.h>\nint main(void){unsigned long long x,m;if(scanf(\"%llu %llu\",&x,&m)!=2)return 1;"
        "for(int i=0;i<1000;i++){" + LCG + "}printf(\"%llu\\n\",x);return 0;}\n")
SLOW = ("#include <stdio.h>\nint main(void){unsigned long long x,m;if(scanf(\"%llu %llu\",&x,&m)!=2)return 1;"
        "for(int i=0;i<1000;i++){" + LCG + "}unsigned long long w=x;"
        "for(unsigned long long i=0;i<m;i++){w=w*2862933555777941757ULL+3037000493ULL;}"
        "volatile unsigned long long sink=w;(void)sink;printf(\"%llu\\n\",x);return 0;}\n")
LOOP = ("#include <stdio.h>\nint main(void){unsigned long long x,m;if(scanf(\"%llu %llu\",&x,&m)!=2)return 1;"
        "volatile unsigned long long k=0;for(;;)k++;return 0;}\n")


def lcg(x: int) -> int:
    for _ in range(1000):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
    return x


def calibrate(tmp: str, target: float) -> tuple[int, float]:
    """The chain length m that makes SLOW use ~target s of CPU here (unsandboxed, children's rusage)."""
    built = artifacts.build(LANGUAGES["c"], "/* calibration */\n" + SLOW)
    assert built.error is None, built.error
    binary = os.path.join(tmp, "slow-static")
    with open(binary, "wb") as f:
        f.write(built.artifact)
    os.chmod(binary, 0o755)

    def cpu(m: int) -> float:
        best = float("inf")
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([binary], input=f"1 {m}\n".encode(), capture_output=True, check=True, timeout=30)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            best = min(best, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        return best

    m = 50_000_000
    for _ in range(2):
        m = max(1000, int(m * target / max(cpu(m), 1e-3)))
    return m, cpu(m)


@dataclass
class Round:
    name: str
    seconds: float
    verdicts: list[tuple[str, tuple[str, ...]]]  # per program: status, per-case outcomes
    slow_walls: list[float] = field(default_factory=list)
    loop_walls: list[float] = field(default_factory=list)
    loop_cpus: list[float] = field(default_factory=list)  # CPU seconds when stopped (from the test's detail)


def part_stability(args: argparse.Namespace, tmp: str) -> None:
    print(f"\n== 4. verdict stability under load (load {loadavg()}) ==", flush=True)
    fresh_cache(os.path.join(tmp, "artifacts-stability"))
    m, m_cpu = calibrate(tmp, args.cpu_target)
    n_fast = args.programs // 2
    n_slow = round(args.programs * 0.3)
    kinds = ["fast"] * n_fast + ["slow"] * n_slow + ["loop"] * (args.programs - n_fast - n_slow)
    body = {"fast": FAST, "slow": SLOW, "loop": LOOP}
    programs = [f"/* submission {k} ({kind}) */\n" + body[kind] for k, kind in enumerate(kinds)]
    rng = random.Random(args.seed)
    cases = [(f"{x} {m}\n", f"{lcg(x)}\n") for x in (rng.randrange(2**63) for _ in range(args.stability_cases))]
    task = stdio_task("lcg", "c", cases)
    intended = {"fast": "passed", "slow": "passed", "loop": "failed"}
    print(f"{len(programs)} C programs ({kinds.count('fast')} fast, {kinds.count('slow')} CPU-bound, "
          f"{kinds.count('loop')} infinite loops) x {len(cases)} cases, 1 s CPU per case; CPU-bound: m = {m:,}, "
          f"{m_cpu:.3f} s CPU per case unsandboxed, unloaded", flush=True)

    def judge(engine: Engine, name: str) -> Round:
        t0 = time.perf_counter()
        results = engine.run_many([(task, p) for p in programs])
        rnd = Round(name, time.perf_counter() - t0,
                    [(r.status.value, tuple(t.outcome.value for t in r.tests)) for r in results])
        for kind, r in zip(kinds, results):
            if kind == "slow":
                rnd.slow_walls += [t.time for t in r.tests if t.outcome is Outcome.PASSED]
            elif kind == "loop":
                for t in r.tests:
                    if t.outcome is Outcome.TIME_LIMIT:
                        rnd.loop_walls.append(t.time)
                        used = re.search(r"\(([0-9.]+) s CPU", t.detail)
                        if used:
                            rnd.loop_cpus.append(float(used.group(1)))
        print(f"  {name}: {rnd.seconds:.1f} s (load {loadavg()})", flush=True)
        return rnd

    rounds: list[Round] = []
    load: list[subprocess.Popen[bytes]] = []
    with Engine(workers=2) as engine:
        rounds.append(judge(engine, "round 0, no load (compiles)"))
        try:
            if not args.no_load:
                load = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
                time.sleep(1.0)
            for i in range(1, 4):
                rounds.append(judge(engine, f"round {i}, {'no load' if args.no_load else '2 busy loops'}"))
        finally:
            for p in load:
                p.kill()
                p.wait()

    print()
    print(f"{'round':<30} {'seconds':>7} {'passed':>6} {'failed':>6} {'error':>5} {'unintended':>10} "
          f"{'CPU-bound wall p50/max':>22} {'loop wall p50/max':>18} {'by wall cap':>11}")
    for rnd in rounds:
        statuses = [v[0] for v in rnd.verdicts]
        unintended = sum(s != intended[k] for s, k in zip(statuses, kinds))
        sw = f"{pct(rnd.slow_walls, .5):.3f} / {max(rnd.slow_walls):.3f} s" if rnd.slow_walls else "-"
        lw = f"{pct(rnd.loop_walls, .5):.2f} / {max(rnd.loop_walls):.2f} s" if rnd.loop_walls else "-"
        print(f"{rnd.name:<30} {rnd.seconds:>7.1f} {statuses.count('passed'):>6} {statuses.count('failed'):>6} "
              f"{statuses.count('error'):>5} {unintended:>10} {sw:>22} {lw:>18} "
              f"{sum(c < LIMITS['case_time'] for c in rnd.loop_cpus):>5}/{len(rnd.loop_walls):<5}")
    cap = 2 * LIMITS["case_time"] + 1  # sandboxed/native.py: WALL_FACTOR x the CPU limit + WALL_EXTRA
    capped = [c for rnd in rounds for c in rnd.loop_cpus if c < LIMITS["case_time"]]
    print(f"  by wall cap: infinite-loop cases stopped by the wall cap ({cap:g} s of wall) before their "
          f"{LIMITS['case_time']:g} s of CPU (CPU from the test's detail)"
          + (f"; the least CPU one had by then: {min(capped):.2f} s: in that round a correct program needing more "
             f"CPU than that would have failed as well" if capped else ""))
    loaded = rounds[1:]
    flips = [k for k in range(len(programs)) if len({rnd.verdicts[k] for rnd in loaded}) > 1]
    status_flips = [k for k in range(len(programs)) if len({rnd.verdicts[k][0] for rnd in loaded}) > 1]
    vs_unloaded = [k for k in range(len(programs)) if any(rnd.verdicts[k] != rounds[0].verdicts[k] for rnd in loaded)]
    print(f"  flips across the 3 {'unloaded' if args.no_load else 'loaded'} rounds: {len(status_flips)} verdicts, "
          f"{len(flips)} programs with any case's outcome changed (target 0); differing from round 0: "
          f"{len(vs_unloaded)}")
    for k in sorted(set(flips) | set(vs_unloaded)):
        print(f"    submission {k} ({kinds[k]}): " + "; ".join(f"{v[0]} {'/'.join(v[1])}"
                                                             for v in (rnd.verdicts[k] for rnd in rounds)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["compile", "overhead", "latency", "stability", "all"], default="all")
    ap.add_argument("--submissions", type=int, default=2,
                    help="compile: distinct C++ submissions (default 2; each costs the anchor ~2-4 min here)")
    ap.add_argument("--cases", type=int, default=100, help="compile: test cases of the problem (default 100)")
    ap.add_argument("--header", choices=["bits", "cstdio"], default="bits",
                    help="compile: the submissions' header, <bits/stdc++.h> (default) or <cstdio>")
    ap.add_argument("--overhead-cases", type=int, default=200, help="overhead: cases of the echo task (default 200)")
    ap.add_argument("--overhead-runs", type=int, default=3, help="overhead: timed runs of the task (default 3)")
    ap.add_argument("--latency-runs", type=int, default=20, help="latency: runs after the first (default 20)")
    ap.add_argument("--programs", type=int, default=50, help="stability: C programs (default 50)")
    ap.add_argument("--stability-cases", type=int, default=2, help="stability: cases of the task (default 2)")
    ap.add_argument("--cpu-target", type=float, default=0.3,
                    help="stability: CPU seconds per case of the CPU-bound programs (default 0.3)")
    ap.add_argument("--no-load", action="store_true", help="stability: judge without the 2 busy loops")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    parts = ["compile", "overhead", "latency", "stability"] if args.part == "all" else [args.part]
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
