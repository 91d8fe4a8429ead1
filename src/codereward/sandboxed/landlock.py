"""Landlock: which files a compiled program's process may execute (inside the sandbox; standard library only).

A native program's process runs its artifact through one execve (sandboxed/native.py). Seccomp already keeps
it from starting any other process (no fork, no clone without CLONE_THREAD); this keeps it from replacing
itself with any binary but its own artifact, its runtime (java, node, python) and the dynamic loader that
runtime needs: an `execve("/bin/sh")` fails with EACCES. Landlock checks execute access when a file is
opened for execution, which is how the kernel opens the artifact and its ELF interpreter alike.

Unprivileged (no capability needed; no_new_privs, which the zygote set for seccomp, is all it asks) and
irreversible, inherited across execve. Kernel 5.13+ (ABI 1 is enough: only LANDLOCK_ACCESS_FS_EXECUTE is
handled). On an older kernel (or one with Landlock disabled) `restrict_execution` does nothing and says so:
the program could then replace itself with another binary of the sandbox's read-only /usr, which gains it
nothing it could not do in its own code (no new process, no new privilege, the same rlimits and filter).
"""

from __future__ import annotations

import ctypes
import os
import struct

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # x86_64 and every other architecture alike
_CREATE_RULESET_VERSION = 1 << 0
ACCESS_FS_EXECUTE = 1 << 0
_RULE_PATH_BENEATH = 1

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long


def abi() -> int:
    """The kernel's Landlock ABI version, 0 when it has none (or it is disabled)."""
    version = _syscall(ctypes.c_long(_CREATE_RULESET), None, ctypes.c_size_t(0),
                       ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(0, int(version))


def restrict_execution(paths: list[str]) -> bool:
    """From now on, this process (and what it execs) may execute only the files in `paths`; False (and nothing
    done) on a kernel without Landlock, where seccomp alone keeps the program from starting processes.

    Raises OSError when the kernel refuses; a path that does not exist is skipped (a runtime's loader may
    live in /lib64 or /usr/lib64 only)."""
    if abi() < 1:
        return False
    attr = struct.pack("Q", ACCESS_FS_EXECUTE)  # struct landlock_ruleset_attr, handled_access_fs only
    ruleset = _syscall(ctypes.c_long(_CREATE_RULESET), ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)),
                       ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for path in paths:
            if not os.path.exists(path):
                continue
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = struct.pack("=Qi", ACCESS_FS_EXECUTE, fd)  # struct landlock_path_beneath_attr (packed)
                if _syscall(ctypes.c_long(_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                            ctypes.c_char_p(rule), ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule({path})")
            finally:
                os.close(fd)
        if _syscall(ctypes.c_long(_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return True
