"""The compile sandbox: one short-lived bubblewrap sandbox per compilation (languages/artifacts.py calls it
once per distinct program; the artifact is then cached and reused by every test and every copy).

A compiler is trusted code fed untrusted input, so it runs isolated like a candidate, with what it needs
and no more: /usr read-only, its own empty tmpfs, no network, its own namespaces, the base seccomp filter
of the `compile` profile (everything the sandbox never needs, minus fork and exec: gcc runs cc1plus, as
and ld), and rlimits on CPU, data, file size and open files, plus a wall-clock cap. Its only writable
directory is a fresh host directory holding the source, where it writes the artifact. Nothing it writes
anywhere else survives it.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InfraError
from ..sandboxed import seccomp
from ..tasks.model import plain_file_name
from .bwrap import _root_binds, check_bwrap

COMPILE_TIME = 30.0  # wall seconds (cold javac or g++ with <bits/stdc++.h> take 2-6 s on a loaded VM)
COMPILE_CPU = 60  # CPU seconds (RLIMIT_CPU)
COMPILE_MEMORY_MB = 2048  # RLIMIT_DATA: javac is a JVM, and an address-space cap breaks it
COMPILE_OUTPUT_MB = 256  # RLIMIT_FSIZE: an artifact or a compiler's message bigger than this is refused
MESSAGE_CHARS = 2000  # of the compiler's output kept as the compile_error detail (its head: the first error)
# Where toolchains are looked for, on the host and in the sandbox alike: directories both see (a rustup or
# sdkman install under the home directory is not bound, so it must not give the cache key its version either).
TOOL_PATH = "/usr/local/bin:/usr/bin:/bin"
BUILD_DIR = "/build"
BUILD_CACHE = "/build-cache"


@dataclass(frozen=True)
class Compiled:
    ok: bool
    message: str  # the compiler's output (head), or why it was stopped
    seconds: float
    workdir: str  # the host directory holding what it wrote; the caller removes it


def _limits() -> None:
    """In the child, before bubblewrap starts: the limits its whole tree inherits."""
    mem = COMPILE_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (COMPILE_CPU, COMPILE_CPU + 1))
    out = COMPILE_OUTPUT_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setsid()  # a group of its own, killed whole on a timeout


def compile_program(argv: Sequence[str], files: dict[str, bytes], *, isolation: str = "bwrap",
                    etc: Sequence[str] = (), env: dict[str, str] | None = None,
                    build_cache: str | None = None) -> Compiled:
    """Run `argv` in a fresh compile sandbox whose working directory holds `files`; InfraError if the
    sandbox itself could not run. A failing compiler is Compiled(ok=False), with its message. `build_cache`:
    a host directory the compiler keeps its own cache in, writable at BUILD_CACHE (Go's GOCACHE)."""
    for name in files:  # written on the host: a path could land anywhere
        if not plain_file_name(name):
            raise ValueError(f"a compiled file's name must be a plain file name, not {name!r}")
    workdir = tempfile.mkdtemp(prefix="codereward-build-")
    os.chmod(workdir, 0o755)  # the sandbox's user (65534 when we are root) writes here
    try:
        for name, data in files.items():
            with open(os.path.join(workdir, name), "wb") as f:
                f.write(data)
            os.chmod(os.path.join(workdir, name), 0o644)
        env = {"PATH": TOOL_PATH, "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp", **(env or {})}
        if isolation == "none":
            cmd, cwd, pass_fds = list(argv), workdir, []
            filt_fd = None
            if build_cache is not None:  # no sandbox to see it at BUILD_CACHE: the host path itself
                env = {k: v.replace(BUILD_CACHE, build_cache) for k, v in env.items()}
        else:
            check_bwrap()
            filt_fd = os.memfd_create("compile-seccomp")
            os.write(filt_fd, seccomp.base_program("compile"))
            os.lseek(filt_fd, 0, os.SEEK_SET)
            cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
            for k, v in env.items():
                cmd += ["--setenv", k, v]
            if os.geteuid() == 0:
                cmd += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
            cmd += _root_binds()
            for d in etc:
                cmd += ["--ro-bind", d, d]
            if build_cache is not None:
                cmd += ["--bind", build_cache, BUILD_CACHE]
            cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", workdir, BUILD_DIR,
                    "--chdir", BUILD_DIR, "--remount-ro", "/", "--seccomp", str(filt_fd), "--", *argv]
            cwd, pass_fds = None, [filt_fd]
        t0 = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, pass_fds=pass_fds, preexec_fn=_limits)
        except OSError as e:
            raise InfraError(f"the compile sandbox could not start {argv[0]}: {e}") from None
        finally:
            if filt_fd is not None:
                os.close(filt_fd)
        try:
            out, _ = proc.communicate(timeout=COMPILE_TIME)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            return Compiled(False, f"compilation exceeded {COMPILE_TIME:g} s", time.monotonic() - t0, workdir)
        seconds = time.monotonic() - t0
        text = out.decode("utf-8", errors="replace").replace(BUILD_DIR + "/", "")
        if proc.returncode == 0:
            return Compiled(True, text[:MESSAGE_CHARS], seconds, workdir)
        if proc.returncode < 0 and -proc.returncode == 24:  # SIGXCPU
            text = f"compilation exceeded {COMPILE_CPU} s of CPU\n" + text
        if isolation != "none" and not text.strip():
            # bubblewrap failing prints its reason; a compiler failing silently is its own (rare) business
            text = f"the compiler exited with status {proc.returncode} and no message"
        if text.startswith("bwrap:"):
            raise InfraError(f"the compile sandbox failed: {text.strip()[:500]}")
        return Compiled(False, text[:MESSAGE_CHARS], seconds, workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
