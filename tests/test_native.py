"""Compiled and other native languages (C, C++, Java, Go, Rust, JavaScript, PyPy) on stdin/stdout: the task model,
the compile sandbox and its artifact cache, CPU-time and memory verdicts, and the red team per language — each
attack written so that the program's own output says what it managed, and the test asserts it managed nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from codereward import Engine, Outcome, Status, Task
from codereward.languages import artifacts, language_of
from codereward.languages.native import LANGUAGES
from codereward.sandboxed import seccomp

ADD = {
    "c": '#include <stdio.h>\nint main(void){long long a,b;if(scanf("%lld %lld",&a,&b)!=2)return 1;'
         'printf("%lld\\n",a+b);return 0;}\n',
    "cpp17": "#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n",
    "cpp20": "#include <iostream>\n#include <ranges>\nint main(){long long a,b;std::cin>>a>>b;"
             "auto v=std::views::iota(0,1);std::cout<<a+b+*v.begin()<<'\\n';}\n",
    "java": "import java.util.*;\npublic class Solution {\n  public static void main(String[] x) {\n"
            "    Scanner s = new Scanner(System.in); long a = s.nextLong(), b = s.nextLong();\n"
            "    System.out.println(a + b);\n  }\n}\n",
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int64\n\tfmt.Scan(&a, &b)\n'
          '\tfmt.Println(a+b)\n}\n',
    "pypy": "a, b = map(int, input().split())\nprint(a + b)\n",
    "rust": "use std::io::Read;\nfn main() {\n    let mut s = String::new();\n"
            "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
            "    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n"
            "    let (a, b) = (v[0], v[1]);\n    println!(\"{}\", a + b);\n}\n",
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(BigInt);\n"
                  "console.log((a + b).toString());\n",
}
CASES = [{"stdin": f"{i} {10 * i}\n", "stdout": f"{11 * i}\n"} for i in range(1, 6)] + [
    {"stdin": "4000000000 5000000000\n", "stdout": "9000000000\n"}]


def task(language: str, cases: list[dict[str, str]] | None = None, **limits: object) -> Task:
    return Task(id=f"t-{language}", language=language,
                limits={"case_time": 1.0, "memory_mb": 256, **limits},
                tests={"kind": "stdio", "cases": cases or CASES, "comparator": "tokens"})


def says(expected: str) -> list[dict[str, str]]:
    """One case whose expected output is what a program prints when the attack failed."""
    return [{"stdin": "", "stdout": expected + "\n"}]


installed = pytest.mark.parametrize("language", [n for n, lang in LANGUAGES.items() if lang.runtime()])


@pytest.fixture(scope="module")
def engine():
    with Engine(workers=2) as e:
        yield e


# -- the model --------------------------------------------------------------------------------------------


def test_language_aliases_and_stdio_only():
    assert Task(id="a", language="cpp", tests={"kind": "stdio", "cases": []}).language == "cpp17"
    assert Task(id="a", language="JS", tests={"kind": "stdio", "cases": []}).language == "javascript"
    with pytest.raises(ValidationError, match="judged on stdin/stdout"):
        Task(id="a", language="java", entry_point="f", tests={"kind": "call", "cases": []})
    with pytest.raises(ValidationError, match="language"):
        Task(id="a", language="cobol", tests={"kind": "stdio", "cases": []})


def test_case_time_leaves_older_tasks_digests_alone():
    plain = Task(id="a", tests={"kind": "stdio", "cases": [{"stdin": "", "stdout": "1"}]})
    assert "case_time" not in plain.model_dump()["limits"]
    timed = plain.model_copy(update={"limits": plain.limits.model_copy(update={"case_time": 2.0})})
    assert timed.digest() != plain.digest()


def test_only_the_native_profiles_program_process_may_exec():
    """Python candidates and judges of a native sandbox deny execve in their own filter; the program process
    keeps it (Landlock then limits what it may execute); the python profile's filters are unchanged."""
    from test_sandbox import _simulate

    base = seccomp.base_program("native")
    assert _simulate(base, 59, ()) == seccomp.RET_ALLOW
    assert _simulate(base, 322, ()) != seccomp.RET_ALLOW  # execveat stays denied for everyone
    assert _simulate(base, 57, ()) != seccomp.RET_ALLOW  # fork
    assert _simulate(seccomp.candidate_program(7, deny_exec=True), 59, ()) != seccomp.RET_ALLOW
    assert _simulate(seccomp.candidate_program(7), 59, ()) == seccomp.RET_ALLOW
    assert _simulate(seccomp.candidate_program(7), 56, (0x11,)) != seccomp.RET_ALLOW  # a process: no
    compile_base = seccomp.base_program("compile")
    assert _simulate(compile_base, 57, ()) == seccomp.RET_ALLOW and _simulate(compile_base, 41, ()) != seccomp.RET_ALLOW


def test_landlock_leaves_only_the_listed_files_executable():
    from codereward.sandboxed import landlock

    if landlock.abi() < 1:
        pytest.skip("this kernel has no Landlock")
    code = ("import ctypes, os, sys; sys.path.insert(0, %r)\n"
            "from codereward.sandboxed import landlock\n"
            "ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)\n"
            "allowed = [os.path.realpath('/usr/bin/true'), *[p for p in %r if os.path.exists(p)]]\n"
            "landlock.restrict_execution(allowed)\n"
            "assert os.spawnv(os.P_WAIT, '/usr/bin/true', ['true']) == 0\n"
            "try:\n    os.execv('/bin/sh', ['sh', '-c', 'echo escaped'])\n"
            "except PermissionError:\n    print('denied')\n")
    from codereward.sandboxed.native import LOADERS

    src = os.path.join(os.path.dirname(__file__), "..", "src")
    out = subprocess.run([sys.executable, "-c", code % (src, LOADERS)], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "denied", out.stderr


# -- judging ------------------------------------------------------------------------------------------------


@installed
def test_a_plus_b_passes_and_a_wrong_program_fails(engine, language):
    r = engine.run(task(language), ADD[language])
    assert r.status is Status.PASSED, r
    assert len(r.tests) == len(CASES)
    wrong = ADD[language].replace("a+b", "a-b").replace("a + b", "a - b")
    r = engine.run(task(language), wrong)
    assert r.status is Status.FAILED
    assert {t.outcome for t in r.tests} == {Outcome.WRONG_ANSWER}


@installed
def test_a_compile_error_is_the_programs_verdict_with_the_compilers_message(engine, language):
    broken = {"c": "int main(void){ return undefined_name; }", "cpp17": "int main(){ return undefined_name; }",
              "cpp20": "int main(){ return undefined_name; }",
              "java": "public class Main { public static void main(String[] a) { int x = ; } }",
              "go": 'package main\nimport "os"\nfunc main() {}\n',  # an unused import: Go refuses it
              "pypy": "print(1 +)\n",
              "rust": "fn main() { let x: i32 = \"s\"; }",
              "javascript": "function ( {"}[language]
    r = engine.run(task(language), broken)
    assert r.status is Status.FAILED
    assert {t.outcome for t in r.tests} == {Outcome.COMPILE_ERROR}
    detail = r.tests[0].detail or ""
    assert "error" in detail.lower() or "Syntax" in detail or "not used" in detail, detail


def test_each_program_is_compiled_once_whatever_the_tests_and_copies(engine):
    source = ADD["c"] + f"/* {os.urandom(8).hex()} */\n"  # a source no run has compiled (nor cached on disk)
    before = artifacts.CACHE.compiles
    for _ in range(3):
        assert engine.run(task("c"), source).status is Status.PASSED
    more = Task(id="other", language="c", limits={"case_time": 1.0},
                tests={"kind": "stdio", "cases": CASES[:2]})
    assert engine.run(more, source).status is Status.PASSED
    assert artifacts.CACHE.compiles - before == 1


def test_the_disk_cache_serves_a_new_process(tmp_path):
    """A second process (a trainer's next run) finds the artifact on disk and compiles nothing."""
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from codereward.languages import artifacts, language_of\n"
            "b = artifacts.build(language_of('c'), %r)\n"
            "print(artifacts.CACHE.compiles, b.cached, len(b.artifact) > 1000)\n")
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    env = {**os.environ, "CODEREWARD_ARTIFACTS": str(tmp_path)}
    program = ADD["c"] + "/* disk cache */\n"
    runs = [subprocess.run([sys.executable, "-c", code % (src, program)], capture_output=True, text=True,
                           env=env, timeout=120) for _ in range(2)]
    assert [r.stdout.split() for r in runs] == [["1", "False", "True"], ["0", "True", "True"]], runs[0].stderr


def test_a_cold_compile_is_not_counted_in_the_executions_time():
    """Engine.execute (pass matrices, efficiency) hands the executor the compiled artifact, never a compile to
    do while the execution is handed out: the worker's deadline for it (time + grace + 10 s) would count the
    compile, and Go's first build takes 10-17 s."""
    from codereward.backends.local import LocalPool

    handed: list[tuple[int, object]] = []

    class Watching(LocalPool):
        def execute(self, job, *, meanwhile=None, program=None):
            handed.append((len(job.program), program))
            return super().execute(job, meanwhile=meanwhile, program=program)

    source = "#include <bits/stdc++.h>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n"
    with Engine(executor=Watching(1)) as e:
        out = e.execute(task("cpp17", case_time=0.2, time=0.5), source + f"// {os.urandom(8).hex()}\n")
    assert out.result.status is Status.PASSED, out.result
    assert [(size > 1000, program) for size, program in handed] == [(True, None)]


def test_cpu_time_not_wall_time_decides(engine):
    """A program that sleeps uses no CPU: it is stopped at the wall cap (2 x limit + 1 s), not at the limit;
    a busy loop is stopped at its CPU limit."""
    sleeper = "#include <unistd.h>\n#include <stdio.h>\nint main(void){sleep(30);puts(\"1\");return 0;}\n"
    r = engine.run(task("c", says("1"), case_time=0.5), sleeper)
    assert r.tests[0].outcome is Outcome.TIME_LIMIT
    assert 1.9 < r.tests[0].time < 4.0, r.tests[0]
    busy = "int main(void){volatile unsigned long x=0;for(;;)x++;}\n"
    r = engine.run(task("c", says("1"), case_time=0.5), busy)
    assert r.tests[0].outcome is Outcome.TIME_LIMIT
    assert "CPU" in (r.tests[0].detail or "")
    assert r.tests[0].time < 1.9


def test_waiting_for_a_cpu_is_not_waiting(tmp_path):
    """A program needing 0.6 s of its 1 s of CPU on a core six busy loops share gets ~1/7 of it: ~4 s of wall
    clock, past the 3 s wall cap. Its run-queue wait is not held against it (native.wall_cap), so it passes;
    a program that sleeps is still stopped at the cap."""
    spin = ("#include <stdio.h>\n#include <time.h>\nint main(void){clock_t t=clock();volatile long x=0;"
            "while(clock()-t<CLOCKS_PER_SEC*6/10)x++;puts(\"ok\");return 0;}\n")
    hog = "import os\nos.sched_setaffinity(0, {0})\nwhile True:\n    pass\n"
    with Engine(workers=1) as e:  # its sandbox is pinned to CPU 0 (sandbox/worker.py)
        e.run(task("c", says("ok")), spin)  # compiled, and the sandbox warm, before the load
        # each in a session of its own: with autogroup scheduling, a session shares a CPU fairly with the others
        hogs = [subprocess.Popen([sys.executable, "-c", hog], start_new_session=True) for _ in range(6)]
        try:
            r = e.run(task("c", says("ok")), spin)
            sleeper = e.run(task("c", says("1"), case_time=0.5),
                            "#include <unistd.h>\nint main(void){sleep(30);return 0;}\n")
        finally:
            for h in hogs:
                h.kill()
                h.wait()
    assert r.status is Status.PASSED and r.tests[0].time > 3.0, r.tests[0]
    assert sleeper.tests[0].outcome is Outcome.TIME_LIMIT and sleeper.tests[0].time < 4.0, sleeper.tests[0]


def test_a_program_inside_its_cpu_limit_passes_however_slow_the_wall(engine):
    """0.3 s of CPU against a 1 s limit passes (the machine's load cannot flip it: only CPU counts)."""
    spin = ("#include <stdio.h>\n#include <time.h>\nint main(void){clock_t t=clock();volatile long x=0;"
            "while(clock()-t<CLOCKS_PER_SEC*3/10)x++;puts(\"ok\");return 0;}\n")
    assert engine.run(task("c", says("ok")), spin).status is Status.PASSED


# -- the red team, per language -------------------------------------------------------------------------------

C_ATTACKS = {
    "fork": '#include <stdio.h>\n#include <unistd.h>\nint main(void){int n=0;for(int i=0;i<100;i++)'
            'if(fork()>=0)n++;printf(n?"forked\\n":"denied\\n");return 0;}\n',
    "exec a shell": '#include <stdio.h>\n#include <unistd.h>\nint main(void){execl("/bin/sh","sh","-c",'
                    '"echo escaped",(char*)0);puts("denied");return 0;}\n',
    "exec through the loader": '#include <stdio.h>\n#include <unistd.h>\nint main(void){execl("/bin/bash",'
                               '"bash","-c","echo escaped",(char*)0);execl("/usr/bin/env","env",(char*)0);'
                               'puts("denied");return 0;}\n',
    "signal the zygote": '#include <stdio.h>\n#include <signal.h>\nint main(void){int r=kill(1,9)+kill(-1,9)'
                         '+kill(0,0);puts(r==-3?"denied":"sent");return 0;}\n',
    "read host files": '#include <stdio.h>\nint main(void){const char*p[]={"/etc/shadow","/root/.bashrc",'
                       '"/proc/1/environ","/proc/1/mem","/work",0};int n=0;for(int i=0;p[i];i++){FILE*f='
                       'fopen(p[i],"r");if(f&&fgetc(f)!=EOF)n++;}puts(n?"read":"denied");return 0;}\n',
    "write outside tmp": '#include <stdio.h>\nint main(void){FILE*f=fopen("/usr/evil","w");FILE*g=fopen('
                         '"/evil","w");puts(f||g?"wrote":"denied");return 0;}\n',
    "network": '#include <stdio.h>\n#include <sys/socket.h>\nint main(void){int s=socket(AF_INET,SOCK_STREAM,0);'
               'puts(s<0?"denied":"socket");return 0;}\n',
    "setsid daemon": '#include <stdio.h>\n#include <unistd.h>\nint main(void){puts(setsid()<0?"denied":"session");'
                     'return 0;}\n',
    "ptrace": '#include <stdio.h>\n#include <sys/ptrace.h>\nint main(void){long r=ptrace(PTRACE_ATTACH,1,0,0);'
              'puts(r<0?"denied":"attached");return 0;}\n',
}


@pytest.mark.parametrize("attack", sorted(C_ATTACKS))
def test_c_attacks_achieve_nothing(engine, attack):
    r = engine.run(task("c", says("denied")), C_ATTACKS[attack])
    assert r.status is Status.PASSED, (attack, r.tests[0])


@pytest.mark.parametrize("program,outcome", [
    ("int main(void){for(;;);}", Outcome.TIME_LIMIT),
    ("#include <stdlib.h>\n#include <string.h>\nint main(void){for(;;){char*p=malloc(1<<20);if(!p)abort();"
     "memset(p,1,1<<20);}}", Outcome.MEMORY_LIMIT),
    ("#include <stdio.h>\nint main(void){for(;;)fputs(\"flood flood flood flood\\n\",stdout);}", Outcome.OUTPUT_LIMIT),
    ("int f(int n){volatile char b[4096];b[0]=n;return f(n+1)+b[0];}int main(void){return f(0);}",
     Outcome.RUNTIME_ERROR),
    ("int main(void){return 3;}", Outcome.RUNTIME_ERROR),
], ids=["infinite loop", "memory bomb", "output flood", "stack overflow", "exit status"])
def test_c_resource_attacks_get_their_verdicts(engine, program, outcome):
    # 512 MB: the stack's 256 MB fills before the memory limit does (a stack overflow that fills the whole
    # memory limit is a memory_limit, as where judges count the stack as memory)
    # 2 s of CPU: touching 512 MB page by page takes a loaded VM's kernel a good part of a second
    r = engine.run(task("c", says("1"), case_time=2.0, output_kb=1024, memory_mb=512), program)
    assert r.tests[0].outcome is outcome, r.tests[0]


def test_cpp_memory_verdicts_and_a_deep_recursion_that_fits(engine):
    bad_alloc = "#include <vector>\n#include <cstdio>\nint main(){std::vector<long long> v(1000000000);" \
                "std::printf(\"%d\\n\",(int)v[5]);}\n"
    r = engine.run(task("cpp17", says("0")), bad_alloc)
    assert r.tests[0].outcome is Outcome.MEMORY_LIMIT, r.tests[0]
    deep = "#include <cstdio>\nint f(int n){volatile int x=n;return n?f(n-1)+1+0*x:0;}" \
           "int main(){std::printf(\"%d\\n\",f(1000000));}\n"  # ~100 MB of stack: Codeforces's 256 MB holds it
    r = engine.run(task("cpp17", says("1000000")), deep)
    assert r.status is Status.PASSED, r.tests[0]


def test_a_thread_bomb_ends_and_the_sandbox_lives_on(engine):
    bomb = ("#include <pthread.h>\n#include <stdio.h>\n#include <unistd.h>\nvoid*s(void*a){sleep(100);return a;}"
            "int main(void){int n=0;pthread_t t;while(pthread_create(&t,0,s,0)==0)n++;printf(\"%d\\n\",n>0);"
            "return 0;}")
    r = engine.run(task("c", says("1"), case_time=1.0), bomb)
    assert r.status is not Status.ERROR
    assert engine.run(task("c"), ADD["c"]).status is Status.PASSED


@pytest.mark.skipif(LANGUAGES["java"].runtime() is None, reason="no JDK here: scripts/setup.sh installs it")
def test_java_cannot_start_processes_and_runs_out_of_memory_as_memory_limit(engine):
    spawn = ("public class Main { public static void main(String[] a) {\n  try {\n"
             "    Process p = new ProcessBuilder(\"/bin/sh\", \"-c\", \"echo escaped\").start();\n"
             "    System.out.println(\"started\");\n  } catch (Exception e) { System.out.println(\"denied\"); }\n} }\n")
    r = engine.run(task("java", says("denied")), spawn)
    assert r.status is Status.PASSED, r.tests[0]
    hog = ("import java.util.*;\npublic class Main { public static void main(String[] a) {\n"
           "  List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1 << 20]);\n} }\n")
    r = engine.run(task("java", says("0")), hog)
    assert r.tests[0].outcome is Outcome.MEMORY_LIMIT, r.tests[0]


@pytest.mark.skipif(LANGUAGES["javascript"].runtime() is None, reason="no Node here: scripts/setup.sh installs it")
def test_javascript_cannot_start_processes_or_read_the_host(engine):
    spawn = ("let r = 'denied';\n"
             "try { require('child_process').execSync('echo escaped'); r = 'started'; } catch (e) {}\n"
             "try { require('fs').readFileSync('/etc/shadow'); r = 'read'; } catch (e) {}\n"
             "try { require('fs').writeFileSync('/usr/evil', 'x'); r = 'wrote'; } catch (e) {}\n"
             "console.log(r);\n")
    r = engine.run(task("javascript", says("denied")), spawn)
    assert r.status is Status.PASSED, r.tests[0]
    r = engine.run(task("javascript", says("1"), case_time=0.5), "for (;;) {}")
    assert r.tests[0].outcome is Outcome.TIME_LIMIT


def test_a_program_writes_nothing_the_next_one_sees(engine):
    writer = '#include <stdio.h>\nint main(void){FILE*f=fopen("/tmp/left","w");fputs("x",f);fclose(f);' \
             'puts("1");return 0;}\n'
    reader = '#include <stdio.h>\nint main(void){puts(fopen("/tmp/left","r")?"seen":"clean");return 0;}\n'
    assert engine.run(task("c", says("1")), writer).status is Status.PASSED
    for _ in range(2):  # whichever sandbox it lands on
        assert engine.run(task("c", says("clean")), reader).status is Status.PASSED


def test_the_python_profile_refuses_native_programs():
    from codereward import UsageError
    from codereward.backends.local import LocalPool

    with Engine(executor=LocalPool(1, profile="python")) as e:
        with pytest.raises(UsageError, match="profile"):
            e.run(task("c"), ADD["c"])


def test_unknown_language_names_say_what_runs():
    from codereward import UsageError

    with pytest.raises(UsageError, match="cpp17"):
        language_of("fortran")


# -- a sample's own language, Python's CPU limit, answers in chat, the CLI -----------------------------------


def test_a_sample_line_names_its_language(tmp_path, engine):
    from codereward import InputError
    from codereward.tasks.samples import read_samples

    tasks = {"t-cpp17": task("cpp17")}
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in [
        {"task_id": "t-cpp17", "solution": ADD["cpp17"]},
        {"task_id": "t-cpp17", "solution": ADD["java"], "language": "java"},
        {"task_id": "t-cpp17", "solution": "a, b = map(int, input().split())\nprint(a + b)\n", "language": "python3"},
    ]) + "\n")
    samples = read_samples(path, tasks)
    assert [s.task_for(tasks["t-cpp17"]).language for s in samples] == ["cpp17", "java", "python"]
    assert [r.status for r in engine.evaluate(tasks, samples)] == [Status.PASSED] * 3
    path.write_text(json.dumps({"task_id": "t-cpp17", "solution": "x", "language": "cobol"}) + "\n")
    with pytest.raises(InputError) as e:
        read_samples(path, tasks)
    assert "s.jsonl:1" in str(e.value) and "'language'" in str(e.value)
    with_reference = Task.model_validate({**task("cpp17").model_dump(), "reference": ADD["cpp17"]})
    assert with_reference.in_language("java").reference is None  # the C++ reference is no Java program
    assert with_reference.in_language("cpp") is with_reference
    humaneval_like = Task(id="h", entry_point="f", tests={"kind": "call", "cases": [{"args": [1], "expected": 1}]})
    with pytest.raises(ValueError, match="stdin/stdout"):
        humaneval_like.in_language("cpp")


def test_python_stdio_cases_are_timed_by_cpu_too(engine):
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 5: pass\nprint(1)\n"
    r = engine.run(task("python", says("1"), case_time=0.5), spin)
    assert r.tests[0].outcome is Outcome.TIME_LIMIT and "CPU" in (r.tests[0].detail or "")
    assert r.tests[0].time < 1.9
    sleeper = "import time\ntime.sleep(30)\n"
    r = engine.run(task("python", says("1"), case_time=0.5), sleeper)
    assert r.tests[0].outcome is Outcome.TIME_LIMIT and 1.9 < r.tests[0].time < 4.0


@pytest.mark.parametrize("language,fence", [("cpp17", "cpp"), ("cpp17", "c++"), ("java", "java"),
                                            ("javascript", "js"), ("c", "c"), ("rust", "rs")])
def test_the_answer_is_the_last_block_in_the_tasks_language(language, fence):
    from codereward.integrations.extract import extract_code

    response = f"Try:\n```python\nprint(1)\n```\nFinal:\n```{fence}\nMAIN\n```\n"
    assert extract_code(response, language) == "MAIN\n"
    assert extract_code(response) == "print(1)\n"


def test_the_cli_judges_a_task_file_in_another_language(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(task("cpp17").model_dump_json() + "\n")
    (tmp_path / "Main.java").write_text(ADD["java"])
    cli = [sys.executable, "-m", "codereward.cli"]
    p = subprocess.run([*cli, "check", "--tasks", str(tasks), "--task", "t-cpp17", "--solution",
                        str(tmp_path / "Main.java"), "--language", "java", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and json.loads(p.stdout)["status"] == "passed", p.stderr
    p = subprocess.run([*cli, "check", "--dataset", "humaneval", "--task", "HumanEval/0", "--solution",
                        str(tmp_path / "Main.java"), "--language", "java"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and "--language" in p.stderr


# -- testlib-style checker programs ------------------------------------------------------------------------

# testlib's protocol without testlib.h (it is not packaged anywhere): argv input, output, answer; exit 0/1/7/3.
DIVISOR_CHECKER = r"""#include <cstdio>
int main(int argc, char** argv) {
    if (argc < 4) return 3;
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r"), *ans = fopen(argv[3], "r");
    long long n, d, a;
    if (!in || !out || !ans || fscanf(in, "%lld", &n) != 1 || fscanf(ans, "%lld", &a) != 1) return 3;
    if (fscanf(out, "%lld", &d) != 1) { fprintf(stderr, "no number"); return 2; }
    if (a == -1) return d == -1 ? 0 : 1;                 /* the jury says n is prime */
    if (d > 1 && d < n && n % d == 0) return 0;
    if (d == n) { fprintf(stderr, "points 0.25 trivial divisor"); return 7; }
    fprintf(stderr, "%lld does not divide %lld", d, n);
    return 1;
}
"""
DIVISOR_CASES = [{"stdin": "12\n", "stdout": "2\n"}, {"stdin": "97\n", "stdout": "-1\n"},
                 {"stdin": "91\n", "stdout": "7\n"}]


def divisor_task(checker: str = DIVISOR_CHECKER, **program: object) -> Task:
    return Task(id="divisor", language="c", limits={"case_time": 1.0},
                tests={"kind": "stdio", "cases": DIVISOR_CASES,
                       "checker_program": {"source": checker, **program}})


def test_a_checker_program_accepts_any_right_answer_and_gives_points(engine):
    largest = '#include <stdio.h>\nint main(void){long long n;scanf("%lld",&n);for(long long d=2;d*d<=n;d++)' \
              'if(n%d==0){printf("%lld\\n",n/d);return 0;}puts("-1");return 0;}\n'
    r = engine.run(divisor_task(), largest)  # 6, -1, 13: none of them the jury's answer, all right
    assert r.status is Status.PASSED, r.tests
    trivial = '#include <stdio.h>\nint main(void){long long n;scanf("%lld",&n);printf("%lld\\n",n==97?-1:n);' \
              'return 0;}\n'
    r = engine.run(divisor_task(), trivial)
    assert [t.outcome for t in r.tests] == [Outcome.WRONG_ANSWER, Outcome.PASSED, Outcome.WRONG_ANSWER]
    assert [t.score for t in r.tests] == [0.25, None, 0.25] and "trivial divisor" in r.tests[0].detail
    assert r.credit == pytest.approx(1.5)
    wrong = '#include <stdio.h>\nint main(void){puts("5");return 0;}\n'
    r = engine.run(divisor_task(), wrong)
    assert r.tests[0].outcome is Outcome.WRONG_ANSWER and "does not divide" in r.tests[0].detail


def test_a_checker_that_fails_or_does_not_compile_is_the_tasks_error(engine):
    from codereward.results import ErrorCause

    always_fail = "int main() { return 3; }"
    r = engine.run(divisor_task(always_fail), "int main(void){return 0;}")
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "checker" in r.reason
    r = engine.run(divisor_task("int main( {"), "int main(void){return 0;}")
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "does not compile" in r.reason


def test_a_checker_includes_the_headers_the_task_gives():
    header = "inline int verdict() { return 0; }\n"
    checker = '#include "testlib_lite.h"\nint main() { return verdict(); }\n'
    with Engine(workers=1) as e:
        r = e.run(divisor_task(checker, files={"testlib_lite.h": header}), 'int main(void){return 0;}')
    assert r.status is Status.PASSED, r
    with pytest.raises(ValidationError, match="plain file name"):
        divisor_task(checker, files={"../evil.h": header})


def test_the_program_cannot_rewrite_the_checker(engine):
    """The checker runs from the runner's memory (a memfd), not from a file in the working directory the
    program could overwrite; the program's own files are just files."""
    tamper = ('#include <stdio.h>\n#include <stdlib.h>\nint main(void){system("true");FILE*f;'
              'const char*p[]={"checker","/tmp/run/checker","main",0};for(int i=0;p[i];i++)'
              '{f=fopen(p[i],"w");if(f){fputs("#!/bin/sh\\nexit 0\\n",f);fclose(f);}}puts("5");return 0;}\n')
    r = engine.run(divisor_task(), tamper)
    assert {t.outcome for t in r.tests} == {Outcome.WRONG_ANSWER}


def test_trl_rewards_cpp_labels():
    """The real TRL reward function: a label holding a C++ task's JSON, chat completions with ```cpp blocks."""
    pytest.importorskip("trl")  # the unprivileged tier's venv has the test extra only
    from codereward.integrations.trl import codereward_reward

    label = task("cpp17").model_dump_json()
    right = [{"role": "assistant", "content": f"<think>add</think>\n```cpp\n{ADD['cpp17']}```"}]
    wrong = [{"role": "assistant", "content": f"```c++\n{ADD['cpp17'].replace('a+b', 'a*b')}```"}]
    none = [{"role": "assistant", "content": "```python\nprint(1)\n```"}]  # no C++ block: an empty program
    reward_fn = codereward_reward(reward="binary")
    assert reward_fn(prompts=["q"] * 3, completions=[right, wrong, none], ground_truth=[label] * 3) == [1.0, 0.0, 0.0]
    weighted = codereward_reward(reward="weighted_sum")
    # open-r1's weighted sum; the Python answer is code, but its C++ program is empty and does not link: -0.1
    assert weighted(prompts=["q"] * 2, completions=[right, none], ground_truth=[label] * 2) == \
        pytest.approx([1.1, -0.1])


# -- file-I/O problems ------------------------------------------------------------------------------------------


def files_task(language: str = "cpp17") -> Task:
    return Task(id=f"files-{language}", language=language, limits={"case_time": 1.0},
                tests={"kind": "stdio", "comparator": "tokens", "input_file": "input.txt", "output_file": "output.txt",
                       "cases": CASES[:3]})


@pytest.mark.parametrize("language", ["cpp17", "python"])
def test_a_file_io_problem_reads_input_txt_and_is_judged_by_output_txt(engine, language):
    program = {"cpp17": '#include <cstdio>\nint main(){long long a,b;FILE*i=fopen("input.txt","r");'
                        'FILE*o=fopen("output.txt","w");fscanf(i,"%lld %lld",&a,&b);fprintf(o,"%lld\\n",a+b);'
                        'puts("stdout is not the answer");}\n',
               "python": "a, b = map(int, open('input.txt').read().split())\n"
                         "open('output.txt', 'w').write(str(a + b))\n"}
    r = engine.run(files_task(language), program[language])
    assert r.status is Status.PASSED, r.tests
    stdout_only = "a, b = map(int, input().split())\nprint(a + b)\n"  # reads stdin (it has the input too)...
    r = engine.run(files_task("python"), stdout_only)  # ...but answers on stdout: no output.txt, empty answer
    assert {t.outcome for t in r.tests} == {Outcome.WRONG_ANSWER}


def test_an_output_file_that_is_a_link_is_no_answer(engine):
    """A link planted as output.txt is not followed (the runner reads a regular file only)."""
    link = "import os\nos.symlink('/proc/self/environ', 'output.txt')\n"
    r = engine.run(files_task("python"), link)
    assert {t.outcome for t in r.tests} == {Outcome.WRONG_ANSWER}
    assert "environ" not in str([t.detail for t in r.tests])
    with pytest.raises(ValidationError, match="plain file name"):
        Task(id="x", tests={"kind": "stdio", "cases": [], "output_file": "../out"})


@pytest.mark.skipif(LANGUAGES["go"].runtime() is None, reason="no Go here: scripts/setup.sh installs it")
def test_go_cannot_start_processes_and_runs_out_of_memory_as_memory_limit(engine):
    spawn = ('package main\nimport ("fmt"; "os/exec")\nfunc main() {\n'
             '\tif exec.Command("/bin/sh", "-c", "echo escaped").Run() != nil { fmt.Println("denied") } else '
             '{ fmt.Println("started") }\n}\n')
    assert engine.run(task("go", says("denied")), spawn).status is Status.PASSED
    hog = ('package main\nimport "fmt"\nfunc main() {\n\ts := [][]byte{}\n\tfor {\n\t\tb := make([]byte, 1<<20)\n'
           '\t\tfor i := range b { b[i] = 1 }\n\t\ts = append(s, b)\n\t}\n\tfmt.Println(len(s))\n}\n')
    r = engine.run(task("go", says("0")), hog)
    assert r.tests[0].outcome is Outcome.MEMORY_LIMIT, r.tests[0]


# -- IOI-style subtasks -------------------------------------------------------------------------------------------


def test_subtasks_score_the_least_of_their_tests_and_the_reward_sums_their_points(engine):
    from codereward import score

    cases = [{"stdin": f"{n}\n", "stdout": f"{n * (n + 1) // 2}\n"} for n in (3, 10, 1000, 100000, 3000000000)]
    ioi = Task(id="ioi-sum", language="c", limits={"case_time": 1.0}, tests={
        "kind": "stdio", "cases": cases, "comparator": "tokens",
        "subtasks": [{"name": "small", "points": 20, "tests": [0, 1]}, {"points": 30, "tests": [0, 1, 2, 3]},
                     {"name": "full", "points": 50, "tests": [0, 1, 2, 3, 4]}]})
    int_sum = '#include <stdio.h>\nint main(void){int n;scanf("%d",&n);int s=0;for(int i=1;i<=n;i++)s+=i;' \
              'printf("%d\\n",s);return 0;}\n'  # overflows past n ~ 65,000
    r = engine.run(ioi, int_sum)
    assert [(s.name, s.points, s.score) for s in r.subtasks] == [("small", 20, 1.0), ("subtask 2", 30, 0.0),
                                                                 ("full", 50, 0.0)]
    assert score([r], "subtasks") == [0.2]
    assert r.to_dict()["subtasks"][0] == {"name": "small", "points": 20.0, "score": 1.0}
    from codereward.results import Result

    assert Result.from_dict(r.to_dict()).subtasks == r.subtasks
    formula = '#include <stdio.h>\nint main(void){long long n;scanf("%lld",&n);printf("%lld\\n",n*(n+1)/2);}\n'
    assert score([engine.run(ioi, formula)], "subtasks") == [1.0]
    assert score([engine.run(ioi, "int main(void){return x;}")], "subtasks") == [0.0]  # compile error
    with pytest.raises(ValidationError, match="names case 7"):
        Task(id="x", tests={"kind": "stdio", "cases": cases, "subtasks": [{"points": 1, "tests": [7]}]})


# -- interactive problems -----------------------------------------------------------------------------------------

# Guess the number in at most 20 questions: the interactor reads it from the case's input, answers each "? x"
# with <, > or =; a final "! x" must name it. testlib's protocol (argv input, output, answer; exit 0/1/3).
GUESS_INTERACTOR = r"""#include <cstdio>
#include <cstring>
int main(int argc, char** argv) {
    FILE* in = fopen(argv[1], "r"); FILE* out = fopen(argv[2], "w");
    long long n, x; if (!in || fscanf(in, "%lld", &n) != 1) return 3;
    printf("1000000000\n"); fflush(stdout);
    char op[4];
    for (int q = 0; q < 40; q++) {
        if (scanf("%3s %lld", op, &x) != 2) { fprintf(stderr, "no answer"); return 1; }
        if (op[0] == '!') { fprintf(out, "%d questions\n", q); if (x == n) return 0;
                            fprintf(stderr, "wrong number %lld", x); return 1; }
        if (q >= 30) { fprintf(stderr, "more than 30 questions"); return 1; }
        printf("%s\n", x < n ? "<" : x > n ? ">" : "="); fflush(stdout);
    }
    fprintf(stderr, "too many questions"); return 1;
}
"""
BISECT = r"""#include <cstdio>
int main() { long long hi; scanf("%lld", &hi); long long lo = 1; char r[4];
    while (lo < hi) { long long m = (lo + hi) / 2; printf("? %lld\n", m); fflush(stdout); scanf("%3s", r);
        if (r[0] == '=') { lo = hi = m; break; } if (r[0] == '<') lo = m + 1; else hi = m - 1; }
    printf("! %lld\n", lo); fflush(stdout); }
"""


def guess_task(**extra: object) -> Task:
    return Task(id="guess", language="cpp17", limits={"case_time": 1.0},
                tests={"kind": "stdio", "cases": [{"stdin": f"{n}\n", "stdout": ""} for n in (1, 777, 999999999)],
                       "interactor": {"source": GUESS_INTERACTOR}, **extra})


def test_an_interactive_problem_is_judged_by_its_interactor(engine):
    r = engine.run(guess_task(), BISECT)
    assert r.status is Status.PASSED, r.tests
    linear = BISECT.replace("long long m = (lo + hi) / 2;", "long long m = lo;")  # one by one: too many questions
    r = engine.run(guess_task(), linear)
    assert r.tests[0].outcome is Outcome.PASSED  # 1 is the first guess
    assert r.tests[1].outcome is Outcome.WRONG_ANSWER and "questions" in r.tests[1].detail
    silent = "#include <cstdio>\nint main(){long long hi;scanf(\"%lld\",&hi);printf(\"? 5\\n\");" \
             "char r[4];scanf(\"%3s\",r);}\n"  # never flushes: both sides wait, until the wall cap
    r = engine.run(guess_task(), silent)
    assert {t.outcome for t in r.tests} == {Outcome.TIME_LIMIT}
    bisect_py = ("hi, lo = int(input()), 1\nwhile lo < hi:\n    m = (lo + hi) // 2\n    print('?', m, flush=True)\n"
                 "    r = input()\n    if r == '=':\n        lo = hi = m\n    elif r == '<':\n        lo = m + 1\n"
                 "    else:\n        hi = m - 1\nprint('!', lo, flush=True)\n")
    assert engine.run(guess_task().in_language("python"), bisect_py).status is Status.PASSED
    # print() to a pipe buffers; input() flushes stdout first, as CPython's does, but readline() does not
    unflushed = "import sys\n" + bisect_py.replace(", flush=True", "").replace("r = input()",
                                                                               "r = sys.stdin.readline().strip()")
    r = engine.run(guess_task().in_language("python"), unflushed)
    assert {t.outcome for t in r.tests} == {Outcome.TIME_LIMIT}


@pytest.mark.skipif(LANGUAGES["rust"].runtime() is None, reason="no rustc here: scripts/setup.sh installs it")
@pytest.mark.parametrize("program,outcome", [
    ('use std::process::Command;\nfn main() {\n'
     '    match Command::new("/bin/sh").arg("-c").arg("echo escaped").status() {\n'
     '        Ok(_) => println!("started"),\n        Err(_) => println!("denied"),\n    }\n}\n', Outcome.PASSED),
    ('fn main() {\n    let r = std::fs::read_to_string("/etc/shadow").is_ok()\n'
     '        || std::fs::write("/usr/evil", "x").is_ok() || std::net::TcpStream::connect("127.0.0.1:22").is_ok();\n'
     '    println!("{}", if r { "escaped" } else { "denied" });\n}\n', Outcome.PASSED),
    ("fn main() {\n    let mut v: Vec<Vec<u8>> = Vec::new();\n    loop { v.push(vec![1u8; 1 << 20]); }\n}\n",
     Outcome.MEMORY_LIMIT),
    # std::hint::black_box is Rust 1.66: Debian's 1.63 has volatile reads and writes
    ("fn main() {\n    let mut x: u64 = 0;\n    loop { unsafe { std::ptr::write_volatile(&mut x, x + 1) } }\n}\n",
     Outcome.TIME_LIMIT),
    ("fn f(n: u64) -> u64 { let b = [n; 512]; let k = unsafe { std::ptr::read_volatile(&b[3]) };\n"
     "    if n == 0 { 0 } else { f(n + 1) + k } }\n"
     "fn main() { println!(\"{}\", f(1)); }\n", Outcome.RUNTIME_ERROR),
    ('fn main() { let v: Vec<i32> = Vec::new(); println!("{}", v[3]); }\n', Outcome.RUNTIME_ERROR),
    ("fn main() {\n    let mut n = 0;\n    while std::thread::Builder::new().spawn(|| std::thread::sleep("
     "std::time::Duration::from_secs(100))).is_ok() { n += 1; if n > 100000 { break; } }\n"
     '    println!("denied");\n}\n', Outcome.PASSED),
], ids=["spawn a shell", "host files and network", "memory bomb", "infinite loop", "stack overflow", "panic",
        "thread bomb"])
def test_rust_programs_are_contained_and_get_their_verdicts(engine, program, outcome):
    # 512 MB, 2 s: as for C, the 256 MB stack overflows before the memory limit is reached
    r = engine.run(task("rust", says("denied"), case_time=2.0, memory_mb=512), program)
    assert r.tests[0].outcome is outcome, r.tests[0]


@pytest.mark.skipif(LANGUAGES["pypy"].runtime() is None, reason="no PyPy here: scripts/setup.sh installs it")
def test_pypy_programs_start_no_process_and_get_cpu_and_memory_verdicts(engine):
    spawn = ("import os\ntry:\n    os.system('echo escaped')\n    os.fork()\n    print('forked')\n"
             "except OSError:\n    print('denied')\n")
    assert engine.run(task("pypy", says("denied")), spawn).status is Status.PASSED
    r = engine.run(task("pypy", says("1")), "x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n")
    assert r.tests[0].outcome is Outcome.MEMORY_LIMIT, r.tests[0]
    r = engine.run(task("pypy", says("1"), case_time=0.5), "while True:\n    pass\n")
    assert r.tests[0].outcome is Outcome.TIME_LIMIT
