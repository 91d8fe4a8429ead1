"""Seccomp filters for the sandbox's processes (run inside the sandbox; standard library only).

Why filters on top of bubblewrap: all processes of one sandbox share a uid, a pid namespace and /tmp, so
without them a candidate could signal or trace the judge, fork a daemon that outlives its execution, or
plant SysV IPC state for the next one. Creating a pid and mount namespace per execution would also solve
that, but costs ~0.6 ms per execution on a VM, more than the rest of a check.

Two filters, stacked (the kernel runs both; the stricter answer wins):
- the *base* filter, loaded once by the zygote and so inherited by every process of the sandbox: what no
  process there ever needs (tracing, other processes' memory, namespaces, mounts, IPC, sockets, exec...);
- the *candidate* filter, loaded after each fork by a candidate (and by a judge): no new processes, no
  signal to any process but itself. It embeds the process's own pid, so it cannot be loaded in advance.
Splitting them matters for speed: the kernel JIT-compiles a filter at every load, at ~2-3 µs per
instruction on a VM, and the candidate's part is a tenth of the whole.

The programs are classic BPF, assembled here. x86_64 only; `supported()` says whether they can be loaded.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from collections.abc import Callable

AUDIT_ARCH_X86_64 = 0xC000003E
RET_ALLOW = 0x7FFF0000
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
CLONE_THREAD = 0x00010000

_LD_ABS_W = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
_JA = 0x05

# x86_64 syscall numbers denied with EPERM: process creation and exec, tracing and cross-process memory,
# namespaces and mounts, SysV/POSIX IPC that would outlive the process, kernel attack surface.
DENIED = {
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
    "pidfd_send_signal": 424, "pidfd_getfd": 438,
    "tkill": 200, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
    "setsid": 112, "setpgid": 109,
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66,
    "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220,
    "mq_open": 240, "mq_unlink": 241,
    "socket": 41,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "keyctl": 250, "add_key": 248,
    "request_key": 249, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246,
    "kexec_file_load": 320, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
    "personality": 135, "settimeofday": 164, "clock_settime": 227, "adjtimex": 159,
    "ioprio_set": 251, "migrate_pages": 256, "move_pages": 279, "get_robust_list": 274,
    "process_madvise": 440, "process_mrelease": 448,
}
NR_CLONE, NR_CLONE3, NR_KILL, NR_TGKILL, NR_PIDFD_OPEN = 56, 435, 62, 234, 434

# The base filter's denied calls, by sandbox profile (sandbox/bwrap.py PROFILES). "python": DENIED, for
# every process of the sandbox, from the zygote on: no process there ever execs or forks except through
# the zygote's own clone() (fork() in glibc), which the candidate filter then takes away. "native" (compiled
# programs): execve is left out of the base set, and every candidate and judge denies it in its own filter
# (candidate_program's deny_exec), except a native program's process, which execs its artifact once
# (sandboxed/native.py: Landlock then limits what it may execute, and it can still start no process).
PROFILES: dict[str, dict[str, int]] = {
    "python": DENIED,
    "native": {name: nr for name, nr in DENIED.items() if name != "execve"},
    # The compile sandbox (sandbox/compile.py): a compiler driver runs its passes as processes.
    "compile": {name: nr for name, nr in DENIED.items() if name not in ("fork", "vfork", "execve", "execveat")},
}

# Calls allowed only when arguments name the caller itself; any other process (the zygote, a judge)
# could otherwise be re-limited or starved. (arg index, required value)
ARGS_MUST_EQUAL = {
    302: [(0, 0)],  # prlimit64: only pid 0 (self); lowering the zygote's limits would break the worker
    141: [(0, 0), (1, 0)],  # setpriority: PRIO_PROCESS of self only (PRIO_USER would renice the judge)
    142: [(0, 0)], 144: [(0, 0)], 203: [(0, 0)], 314: [(0, 0)],  # sched_set{param,scheduler,affinity,attr}
}
# Commands refused on otherwise allowed calls: asking the kernel to signal another process for us.
ARG1_DENIED = {
    72: (8, 10, 15),  # fcntl F_SETOWN, F_SETSIG, F_SETOWN_EX (+ O_ASYNC would signal any pid)
    16: (0x8901, 0x8902, 0x5412),  # ioctl FIOSETOWN, SIOCSPGRP, TIOCSTI
}


def supported() -> bool:
    return os.uname().machine == "x86_64"


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _args_equal(nr: int, conditions: list[tuple[int, int]], deny: int) -> list[bytes]:
    """Block: for syscall `nr`, allow iff every (arg, value) holds as a 64-bit equality, else `deny`."""
    length = 1 + 4 * len(conditions) + 2
    block = [_ins(_JEQ, nr, 0, length - 1)]
    for arg, value in conditions:
        lo = 16 + 8 * arg
        for offset, expect in ((lo + 4, 0), (lo, value)):  # high word 0: no negative pids
            block.append(_ins(_LD_ABS_W, offset))
            here = len(block)  # index of the jump being added
            block.append(_ins(_JEQ, expect & 0xFFFFFFFF, 0, (length - 1) - here - 1))
    block += [_ins(_RET, RET_ALLOW), _ins(_RET, deny)]
    return block


def _arg1_not_in(nr: int, values: tuple[int, ...], deny: int) -> list[bytes]:
    """Block: for syscall `nr`, `deny` if args[1] is one of `values`, else allow."""
    m = len(values)
    length = 2 + m + 2
    block = [_ins(_JEQ, nr, 0, length - 1), _ins(_LD_ABS_W, 24)]
    for i, v in enumerate(values):
        block.append(_ins(_JEQ, v, (m - 1 - i) + 1, 0))
    block += [_ins(_RET, RET_ALLOW), _ins(_RET, deny)]
    return block


def base_program(profile: str = "python") -> bytes:
    """The zygote's filter: deny the profile's calls (PROFILES), ARGS_MUST_EQUAL, ARG1_DENIED; any ABI but
    x86_64's kills."""
    eperm = RET_ERRNO | errno.EPERM
    # One compare per denied call, all jumping to a shared "return EPERM".
    denied = sorted(set(PROFILES[profile].values()))
    m = len(denied)
    p = [
        _ins(_LD_ABS_W, 4),  # seccomp_data.arch
        _ins(_JEQ, AUDIT_ARCH_X86_64, 1, 0),
        _ins(_RET, RET_KILL_PROCESS),
        _ins(_LD_ABS_W, 0),  # seccomp_data.nr
        _ins(_JGE, 0x40000000, m + 1, 0),  # the x32 ABI would bypass the numbers below
    ]
    p += [_ins(_JEQ, nr, m - i, 0) for i, nr in enumerate(denied)]
    p += [_ins(_JA, 1), _ins(_RET, eperm)]
    # clone3 passes flags in memory BPF cannot read: ENOSYS makes glibc fall back to clone().
    p += [_ins(_JEQ, NR_CLONE3, 0, 1), _ins(_RET, RET_ERRNO | errno.ENOSYS)]
    for nr, conditions in ARGS_MUST_EQUAL.items():
        p += _args_equal(nr, conditions, eperm)
    for nr, values in ARG1_DENIED.items():
        p += _arg1_not_in(nr, values, eperm)
    p.append(_ins(_RET, RET_ALLOW))
    return b"".join(p)


def candidate_program(own_pid: int, deny_exec: bool = False) -> bytes:
    """A candidate's filter, on top of the base: threads but no processes; signals to itself only; with
    `deny_exec` (the native profile, whose base allows execve) no execve either.

    No arch check needed: the base filter kills any other ABI first, whatever this one answers.
    """
    eperm = RET_ERRNO | errno.EPERM
    p = [_ins(_LD_ABS_W, 0)]  # seccomp_data.nr
    if deny_exec:
        p += [_ins(_JEQ, DENIED["execve"], 0, 1), _ins(_RET, eperm)]
    p += [
        _ins(_JEQ, NR_PIDFD_OPEN, 0, 1),  # a handle on another process (the stdio runner uses one)
        _ins(_RET, eperm),
        # clone: threads yes (they die with the process), new processes no.
        _ins(_JEQ, NR_CLONE, 0, 4),
        _ins(_LD_ABS_W, 16),  # args[0] low word: flags
        _ins(_JSET, CLONE_THREAD, 1, 0),
        _ins(_RET, eperm),
        _ins(_RET, RET_ALLOW),
    ]
    for nr in (NR_KILL, NR_TGKILL):  # kill(0) / kill(-1) would reach the judge
        p += _args_equal(nr, [(0, own_pid)], eperm)
    p.append(_ins(_RET, RET_ALLOW))
    return b"".join(p)


def _precedence(action: int) -> int:
    """Rank of a filter's answer when several filters answer (lower wins), as the kernel ranks them."""
    full = action & 0xFFFF0000
    return full - (1 << 32) if full & 0x80000000 else full


def stricter(*actions: int) -> int:
    """The answer the kernel acts on when stacked filters give `actions`."""
    return min(actions, key=_precedence)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
_PID_PLACEHOLDER = 0x7FFFFFFE  # no real pid; replaced at install time


_prctl: Callable[..., int] | None = None


def _prctl_fn() -> Callable[..., int]:
    global _prctl
    if _prctl is None:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
        _prctl = prctl
    return _prctl


class Filter:
    """A filter assembled once (in the zygote), loaded after each fork with the loading process's pid.

    Doing the ctypes set-up before fork matters: on a VM every page a child touches first costs a
    copy-on-write fault of several microseconds, and building ctypes objects touches many.
    """

    def __init__(self, code: bytes) -> None:
        self._buf = ctypes.create_string_buffer(code, len(code))
        self._pid_offsets = [i for i in range(0, len(code), 8)
                             if struct.unpack_from("I", code, i + 4)[0] == _PID_PLACEHOLDER]
        self._prog = _SockFprog(len(code) // 8, ctypes.addressof(self._buf))
        self._prctl = _prctl_fn()

    def install(self, own_pid: int) -> None:
        """Load the filter into the calling process (irreversible; inherited by its threads and children)."""
        for off in self._pid_offsets:
            struct.pack_into("I", self._buf, off + 4, own_pid)
        if self._prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(self._prog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


_filter: Filter | None = None
_exec_filter: Filter | None = None  # the native profile's filter for a program's process: execve allowed


def prepare(profile: str = "python") -> None:
    """In the zygote: assemble the candidate filter, then load the profile's base filter (no_new_privs
    first, which loading a filter requires and every child inherits)."""
    global _filter, _exec_filter
    if not supported():
        raise OSError("seccomp filtering is only implemented for x86_64")
    if _filter is None:
        native = profile == "native"
        _filter = Filter(candidate_program(_PID_PLACEHOLDER, deny_exec=native))
        _exec_filter = Filter(candidate_program(_PID_PLACEHOLDER)) if native else None
        prctl = _prctl_fn()
        if prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        Filter(base_program(profile)).install(0)


def install(own_pid: int, exec_artifact: bool = False) -> None:
    """Load the candidate filter for `own_pid` (on top of the base filter, which prepare() loaded);
    `exec_artifact`: the one that still lets the process exec its program (native profile only)."""
    chosen = _exec_filter if exec_artifact else _filter
    if chosen is None:
        raise OSError("seccomp.prepare() was not called in this process's ancestor"
                      + (" with the native profile" if exec_artifact else ""))
    chosen.install(own_pid)
