"""How a sandbox is started: the bubblewrap command line, and the check that it can run here.

What the sandbox sees (DESIGN.md rule 4): /usr (and the merged-/usr symlinks), the Python installation
that runs it with its site-packages hidden, the sandbox runner code, the few extra packages candidates may
import (numpy by default, one directory each), /proc of its own pid namespace, a minimal /dev, and an
empty size-bounded tmpfs at /tmp. Not the engine's venv, not the datasets, not the user's home, not the
host's /tmp. Namespaces: user, pid, ipc, uts, net (loopback only), cgroup. As root the sandbox runs as
uid/gid 65534 with every capability dropped.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from ..errors import IsolationError

RUNNER_DIR = Path(__file__).resolve().parent.parent / "sandboxed"
SANDBOX_ROOT = "/opt/codereward"
SITE_DIR = f"{SANDBOX_ROOT}/site"
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; the project's scripts/setup.sh does it) "
    "and make sure unprivileged user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1; in "
    "Docker, run with --security-opt seccomp=unconfined or use --privileged). To run WITHOUT isolation, "
    "pass --isolation none (only for trusted code)."
)


ISOLATIONS = ("bwrap", "none")
# What the processes of a sandbox may do, by profile; the seccomp rules of each are in sandboxed/seccomp.py
# (PROFILES there). "python": the interpreter's own zygote forks candidates and judges, and no process of
# the sandbox may ever execve or fork afterwards. "native" (the default): the same for every Python
# candidate and judge (their own filters deny execve), and a compiled program's process may execve its
# artifact, which can then start no process and execute nothing else (sandboxed/native.py, landlock.py).
# A native sandbox runs Python jobs too; a python one refuses native jobs.
PROFILES = ("native", "python")
DEFAULT_PROFILE = "native"


def runs(pool_profile: str, job_profile: str) -> bool:
    """Whether a sandbox of `pool_profile` runs a job that needs `job_profile`."""
    return pool_profile == job_profile or (pool_profile == "native" and job_profile == "python")
# Where a sandbox sees the host directory D of SandboxSpec.data_dirs: DATA_ROOT + D, read-only (SQL tasks'
# database files: judge/sqldb.py). Not D itself: /tmp is the sandbox's own, and wiped after each execution.
DATA_ROOT = "/run/codereward-data"


@dataclass(frozen=True)
class SandboxSpec:
    """What one sandbox worker gets; the same spec is used for every worker of a pool."""

    isolation: str = "bwrap"  # "bwrap" | "none"
    packages: tuple[str, ...] = ("numpy",)  # importable by candidates, besides the standard library
    tmp_mb: int = 256  # size of the sandbox's /tmp (tmpfs)
    preimport: bool = False  # import `packages` in the zygote: free for candidates, slower forks for all
    profile: str = DEFAULT_PROFILE  # see PROFILES
    data_dirs: tuple[str, ...] = ()  # host directories the sandbox reads, at DATA_ROOT + their real path


def _package_dirs(name: str) -> list[Path]:
    """The directory of an installed package plus what it loads from beside it: its vendored shared libraries
    (`numpy.libs`), a compiled top-level module of its own (duckdb's `_duckdb.cpython-311-*.so`) and its
    dist-info (duckdb reads its version from there at import)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    dirs = [root]
    libs = root.parent / f"{name}.libs"
    if libs.is_dir():
        dirs.append(libs)
    dirs += sorted(root.parent.glob(f"_{name}.*.so")) + sorted(root.parent.glob(f"{name}-*.dist-info"))
    return dirs


def _root_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf"):
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    return args


@functools.cache
def _interpreter_site_dirs() -> tuple[str, ...]:
    """Site-packages directories of the sandbox's interpreter (not of the engine's venv).

    The sandbox runs this process's own base interpreter (python_executable), so its `site` module, asked
    about the base prefixes, says what that interpreter would say about itself, Debian's dist-packages
    included; asking it in a subprocess cost ~70 ms of every engine's start.
    """
    prefixes = list(dict.fromkeys([sys.base_prefix, sys.base_exec_prefix]))
    purelib = sysconfig.get_paths(sysconfig.get_preferred_scheme("prefix"),
                                  {"base": sys.base_prefix, "platbase": sys.base_exec_prefix})["purelib"]
    dirs = [*site.getsitepackages(prefixes), purelib]
    return tuple(sorted({os.path.realpath(d) for d in dirs if os.path.isdir(d)}))


def _python_binds() -> list[str]:
    """The interpreter's own installation, read-only, with its site-packages masked by empty dirs:
    candidates get the standard library and the packages the spec allows, nothing else installed."""
    prefix = os.path.realpath(sys.base_prefix)
    args: list[str] = []
    if not prefix.startswith("/usr/"):
        args += ["--ro-bind", prefix, prefix]
    for d in _interpreter_site_dirs():
        args += ["--tmpfs", d, "--remount-ro", d]
    return args


def python_executable() -> str:
    """The real interpreter (a venv's python is a symlink into the base installation)."""
    return os.path.realpath(sys.executable)


# The zygote's whole environment (the worker starts it with nothing else; bubblewrap clears the rest).
# PYTHONHASHSEED: candidates inherit the zygote's hash secret, fixed when its interpreter starts; with a
# random one, a program whose result follows set or dict order (str hashes) could pass in one sandbox and
# fail in the next, or on the next run. Seed 0: every sandbox, every run, the same verdict. It tells a
# candidate nothing it could not compute itself: its own process already shares the judge's secret.
# LD_BIND_NOW: the dynamic linker resolves every symbol when the zygote starts, instead of writing
# each lazily bound one into a (copy-on-write) GOT page in every candidate: ~20 fewer faults a run.
ZYGOTE_ENV = {"PYTHONHASHSEED": "0", "LD_BIND_NOW": "1"}
# Not `-I`: that implies -E, which ignores PYTHONHASHSEED. -s -P are the rest of what -I means (no user
# site-packages, no script directory on sys.path); the environment is ours alone (ZYGOTE_ENV).
PYTHON_FLAGS = ["-s", "-P", "-S", "-B"]


def zygote_command(spec: SandboxSpec, fds: list[int], tmp_root: str, cpu: int | None = None) -> list[str]:
    """argv that starts a zygote, inside bubblewrap unless spec.isolation == 'none' (then the caller gives
    it ZYGOTE_ENV as its environment)."""
    config = {"fds": fds, "imports": list(spec.packages) if spec.preimport else [], "tmp": tmp_root, "cpu": cpu,
              "profile": spec.profile}
    if spec.isolation == "none":
        config["path"] = sorted({str(d.parent) for n in spec.packages for d in _package_dirs(n)})
        return [python_executable(), *PYTHON_FLAGS, str(RUNNER_DIR / "zygote.py"), json.dumps(config)]
    # --as-pid-1: the zygote is the sandbox's init, so no bubblewrap process (dumpable, holding the host's
    # environment and log fds) is visible inside, and signals from inside cannot kill it.
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv", "--as-pid-1"]
    for name, value in ZYGOTE_ENV.items():
        args += ["--setenv", name, value]
    if os.geteuid() == 0:
        args += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    args += _root_binds() + _python_binds()
    args += ["--ro-bind", str(RUNNER_DIR), f"{SANDBOX_ROOT}/sandboxed"]
    site_args: list[str] = []
    for name in spec.packages:
        for d in _package_dirs(name):
            site_args += ["--ro-bind", str(d), f"{SITE_DIR}/{d.name}"]
    args += site_args
    for host_dir in spec.data_dirs:
        args += ["--ro-bind", host_dir, DATA_ROOT + host_dir]
    if spec.profile == "native":  # configuration a runtime reads (the JDK's conf/ links into /etc)
        for etc_dir in runtime_config_dirs():
            args += ["--ro-bind", etc_dir, etc_dir]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(spec.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp",
             "--chdir", "/tmp"]
    # bubblewrap's root is a writable, unbounded tmpfs: make it and /dev read-only, so /tmp (bounded,
    # wiped between executions) is the only place anything can be written.
    args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    config.update(tmp="/tmp", path=[SITE_DIR] if site_args else [])
    args += ["--", python_executable(), *PYTHON_FLAGS, f"{SANDBOX_ROOT}/sandboxed/zygote.py", json.dumps(config)]
    return args


def runtime_config_dirs() -> list[str]:
    """Host directories under /etc that the native languages' runtimes read (languages/native.py `etc`)."""
    from ..languages.native import LANGUAGES

    return sorted({d for lang in LANGUAGES.values() for d in lang.etc if os.path.isdir(d)})


@functools.cache
def check_bwrap() -> None:
    """Raise IsolationError, saying why and what to do, unless bubblewrap can start a sandbox here."""
    if shutil.which("bwrap") is None:
        raise IsolationError(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}")
    probe = ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
             "--dev", "/dev", "true"]
    if os.geteuid() == 0:
        probe[1:1] = ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    try:
        r = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise IsolationError(f"bubblewrap could not start: {e}. {INSTALL_HINT}") from None
    if r.returncode != 0:
        raise IsolationError(f"bubblewrap refused to start a sandbox ({r.stderr.strip()}): {INSTALL_HINT}")
