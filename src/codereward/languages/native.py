"""Compiled and other non-Python languages: C, C++ (17, 20), Java, Go, Rust, JavaScript (Node) and PyPy, judged on
stdin/stdout.

Each language is a row of LANGUAGES below: how its source is compiled (once, in a sandbox of its own:
languages/artifacts.py), how its artifact is run (by the native profile's sandbox, one process per case:
sandboxed/native.py), how its memory is limited and how much CPU time it gets against the task's.

    program = NATIVE["cpp17"].prepare(source)   # compiles (or finds the artifact cached); never raises

Flags follow the judges RL for competitive programming imitates (Codeforces/open-r1's Piston package,
Kattis, DOMjudge; ../shared/research/languages.md §5, §10): -O2, -DONLINE_JUDGE, static C/C++ binaries
(nothing to load at start, and nothing to execute but the binary itself); Java with one GC thread and a heap
of the task's memory limit; Node with V8's heap capped at it.

Memory: RLIMIT_AS for C and C++ (what Codeforces-style judges cap), RLIMIT_DATA for Java and Node, whose
runtimes reserve gigabytes of address space they never touch (an address-space cap of the task's 256 MB
kills them at start); `data_slack_mb` is the runtime's own overhead on top of the program's heap (measured
here: a JVM with -Xmx256m needs 768 MB of RLIMIT_DATA to start, Node 512 MB with a 32 MB stack), and
`stack_mb` stays small for them because glibc gives every new thread a stack of RLIMIT_STACK's size, all
counted as data (Node with a 256 MB stack limit hangs at start). Java's main thread gets -Xss64m instead.
Time: the task's `case_time` (CPU seconds) times `time_factor`: 1 for native code, more for runtimes that
start slowly (a JVM needs ~0.2-0.3 s of CPU for hello world here) — HackerEarth's multipliers, moderated.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING

from ..sandbox.compile import TOOL_PATH
from ..sandboxed.native import PROGRAM_NATIVE
from ..sandboxed.records import short
from . import PreparedProgram

if TYPE_CHECKING:
    from ..tasks.model import Grader


@dataclass(frozen=True)
class NativeLanguage:
    name: str
    title: str  # what the README and errors call it
    tool: str  # the command whose presence says the toolchain is installed (its version joins the cache key)
    source: str  # the file name the source is written to for the compiler ({cls}: Java's public class)
    compile: tuple[str, ...]  # the compiler's argv in the compile sandbox ({src}, {cls}); () = nothing to compile
    output: str  # what the compiler writes, taken as the artifact ("" = the source itself; a dir is zipped)
    artifact: str  # the artifact's file name in the run's working directory
    run: tuple[str, ...]  # argv that runs it ({artifact}: its path; {memory_mb}; {cls}; {runtime}: `tool`'s path)
    memory: str  # "as" | "data": which rlimit holds the task's memory limit
    time_factor: float = 1.0
    data_slack_mb: int = 0  # added to RLIMIT_DATA for the runtime itself
    stack_mb: int = 256  # RLIMIT_STACK; glibc also sizes new threads' stacks by it, which RLIMIT_DATA counts
    env: tuple[tuple[str, str], ...] = ()  # the program's environment, besides PATH, LANG, HOME and TMPDIR
    compile_env: tuple[tuple[str, str], ...] = ()  # the compiler's, besides the same
    # a build cache the compiler keeps across compilations (Go's GOCACHE: without it every build compiles the
    # standard library again, ~13 s): this directory under the artifact cache, at /build-cache in the sandbox
    build_cache: str = ""
    etc: tuple[str, ...] = ()  # host config directories the runtime reads (bound read-only in the sandbox)
    apt: str = ""  # the Debian package that brings it (scripts/setup.sh CODEREWARD_LANGUAGES)
    aliases: tuple[str, ...] = field(default=())

    profile: str = "native"
    audited: bool = False  # the audit's rules read Python

    def runtime(self) -> str | None:
        """The real path of `tool`, if installed (a symlink through /etc/alternatives would not resolve in
        the sandbox, which sees /usr but not /etc)."""
        found = shutil.which(self.tool, path=TOOL_PATH)
        return os.path.realpath(found) if found else None

    def main_class(self, source: str) -> str:
        """Java: the public class, whose name the file must have (LLM code often calls it Solution)."""
        m = re.search(r"^\s*public\s+(?:final\s+)?class\s+([A-Za-z_$][\w$]*)", source, re.MULTILINE)
        return m.group(1) if m else "Main"

    def prepare(self, program: str, files: Mapping[str, str] | None = None) -> PreparedProgram:
        """The artifact (compiled once per toolchain, flags and source: artifacts.py), as the payload the
        sandbox runs; a program that does not compile gets the compiler's message, which the host decides
        as it decides a Python SyntaxError. Never raises for a bad program; a missing toolchain or a
        compile sandbox that broke raises InfraError."""
        from .artifacts import build

        built = build(self, program, files)
        header: dict[str, object] = {"language": self.name}
        if built.error is not None:  # its head, like every detail: the first error is what matters
            error = short(built.error)
            header["compile_error"] = error
            return PreparedProgram(_payload(header, b""), error)
        runtime = self.runtime() or self.tool
        cls = self.main_class(program) if "{cls}" in " ".join(self.run) else ""
        header.update(argv=[a.format(runtime=runtime, cls=cls, artifact="{artifact}", memory_mb="{memory_mb}")
                            for a in self.run],
                      artifact=self.artifact, memory=self.memory, slack_mb=self.data_slack_mb,
                      stack_mb=self.stack_mb,
                      env=dict(self.env), executable=[runtime] if self.run[0] == "{runtime}" else [])
        return PreparedProgram(_payload(header, built.artifact), None)

    def with_grader(self, grader: Grader) -> NativeLanguage:
        """This C++ compiling a program with an IOI grader (model.Grader), as the Piston cms_ioi package
        does: the program is <name>.cpp, compiled with -DEVAL and the grader's sources (grader.cpp...), its
        headers beside it. The same flags otherwise (static, -O2), so it runs as every C++ program runs."""
        argv = (self.compile[0], "-DEVAL", *self.compile[1:], *grader.compiled_with)
        return dataclasses.replace(self, source=f"{grader.name}.cpp", compile=argv)

    def cache_key(self, program: str, files: Mapping[str, str] | None = None) -> str:
        """What an artifact is a function of: language, compiler and its version, flags, source (and the
        files compiled beside it: a checker's testlib.h)."""
        parts = [self.name, toolchain_version(self.tool), json.dumps(self.compile), program,
                 json.dumps(sorted((files or {}).items()))]
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def ioi_includes(program: str, name: str) -> str:
    """open-r1's add_includes (utils/competitive_programming/ioi_utils.py), which its IOI reward applies to
    every program before it is compiled with the grader: <bits/stdc++.h>, the problem's header unless the
    program includes it, and `using namespace std;` unless the program says std:: or uses it already."""
    if not program:
        return program
    header = "#include <bits/stdc++.h>\n"
    include = f'#include "{name}.h"'
    if include not in program:
        header += include + "\n"
    if "using namespace std;" not in program and "std::" not in program:
        header += "\nusing namespace std;\n\n"
    return header + program


def _payload(header: dict[str, object], artifact: bytes) -> bytes:
    head = json.dumps(header).encode()
    return PROGRAM_NATIVE + len(head).to_bytes(4, "big") + head + artifact


@functools.cache
def toolchain_version(tool: str) -> str:
    """The first line `tool --version` prints (java and node print theirs differently; both are covered)."""
    path = shutil.which(tool, path=TOOL_PATH)  # the toolchain the sandbox runs, not one a user put first on PATH
    if path is None:
        return "missing"
    flag = "-version" if tool in ("java", "javac") else "--version"
    try:
        r = subprocess.run([path, flag], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return ((r.stdout or r.stderr).strip().splitlines() or ["unknown"])[0]


def zip_dir(path: str) -> bytes:
    """A directory (javac's classes) as a jar's bytes, entries in sorted order (same input, same bytes)."""
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                info = zipfile.ZipInfo(os.path.relpath(full, path), date_time=(1980, 1, 1, 0, 0, 0))
                with open(full, "rb") as f:
                    z.writestr(info, f.read())
    return buf.getvalue()


_CC = ("-O2", "-pipe", "-DONLINE_JUDGE", "-static", "-s", "-o", "main", "{src}")
_JAVA_RUN = ("{runtime}", "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=1", "-XX:TieredStopAtLevel=4",
             "-XX:-UsePerfData", "-Xshare:auto", "-Xss64m", "-Xms16m", "-Xmx{memory_mb}m",
             "-Dfile.encoding=UTF-8", "-DONLINE_JUDGE=true", "-cp", "{artifact}", "{cls}")

_TABLE = [
    NativeLanguage("c", "C (gcc, GNU C11)", "gcc", "main.c", ("gcc", "-std=gnu11", *_CC, "-lm"), "main",
                   "main", ("{artifact}",), "as", apt="gcc"),
    NativeLanguage("cpp17", "C++17 (g++, GNU++17)", "g++", "main.cpp", ("g++", "-std=gnu++17", *_CC), "main",
                   "main", ("{artifact}",), "as", apt="g++", aliases=("cpp", "c++", "c++17")),
    NativeLanguage("cpp20", "C++20 (g++, GNU++20)", "g++", "main.cpp", ("g++", "-std=gnu++20", *_CC), "main",
                   "main", ("{artifact}",), "as", apt="g++", aliases=("c++20",)),
    NativeLanguage("java", "Java 17 (OpenJDK)", "java", "{cls}.java",
                   ("javac", "-J-Xmx512m", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-encoding", "UTF-8",
                    "-nowarn", "-d", "classes", "{src}"),
                   "classes", "main.jar", _JAVA_RUN, "data", time_factor=2.0, data_slack_mb=512, stack_mb=8,
                   etc=tuple(sorted(glob.glob("/etc/java-*-openjdk"))), apt="default-jdk-headless"),
    NativeLanguage("go", "Go (gc)", "go", "main.go", ("go", "build", "-trimpath", "-o", "main", "{src}"), "main",
                   "main", ("{artifact}",), "data", time_factor=1.5, data_slack_mb=64, stack_mb=64,
                   env=(("GOMAXPROCS", "1"), ("GOTRACEBACK", "single")),
                   compile_env=(("GOCACHE", "/build-cache"), ("GOPATH", "/tmp/go"), ("GO111MODULE", "off"),
                                ("CGO_ENABLED", "0"), ("GOTOOLCHAIN", "local")), build_cache="go-build",
                   aliases=("golang",), apt="golang-go"),
    # PyPy runs Python programs judged on stdin/stdout as a process of their own (CPython's run in the
    # Python sandbox's zygote instead: language "python"); "compiling" is a syntax check.
    NativeLanguage("pypy", "Python 3.9 (PyPy 7.3)", "pypy3", "main.py",
                   ("pypy3", "-c", "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')", "{src}"),
                   "", "main.py", ("{runtime}", "-S", "{artifact}"), "data", time_factor=1.5, data_slack_mb=128,
                   stack_mb=64, env=(("PYTHONHASHSEED", "0"), ("PYTHONDONTWRITEBYTECODE", "1")),
                   aliases=("pypy3",), apt="pypy3"),
    # Debian bookworm's rustc (1.63; edition 2021): std linked in, glibc too (crt-static), so the binary loads
    # nothing at start, like the C/C++ ones; it links with gcc (named: `cc` is a link through /etc/alternatives).
    NativeLanguage("rust", "Rust 2021 (rustc)", "rustc", "main.rs",
                   ("rustc", "--edition=2021", "-O", "-C", "target-feature=+crt-static", "-C", "strip=symbols",
                    "-C", "linker=gcc", "--cfg", "ONLINE_JUDGE", "-o", "main", "{src}"),
                   "main", "main", ("{artifact}",), "as", aliases=("rs",), apt="rustc"),
    NativeLanguage("javascript", "JavaScript (Node.js)", "node", "main.js", ("node", "--check", "{src}"), "",
                   "main.js", ("{runtime}", "--stack-size=30000", "--max-old-space-size={memory_mb}", "{artifact}"),
                   "data", time_factor=2.0, data_slack_mb=256, stack_mb=32, aliases=("js", "nodejs"), apt="nodejs"),
]
LANGUAGES: dict[str, NativeLanguage] = {lang.name: lang for lang in _TABLE}
ALIASES: dict[str, str] = {alias: lang.name for lang in _TABLE for alias in lang.aliases}
