"""What `codereward serve` is configured with: one flat dataclass, each default saying what it does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..tasks.model import Task


@dataclass(frozen=True)
class ServerSettings:
    backend: str = "local"  # where executions run: "local" sandbox pool or "ray"
    workers: int | None = None  # concurrent sandboxes (default: CPU count)
    isolation: str = "bwrap"  # "none" runs candidates without a sandbox: trusted code only
    reward: str = "binary"  # reward of a result unless a request names another
    time_limit: float | str | None = None  # seconds | "auto" | None (each task's own limits.time)
    fail_fast: bool = False  # stop a sample's tests at its first failure
    per_test: Any = "task"  # per-test time limits: "task" (each task's own), None, or a PerTestLimit for all
    tasks: Mapping[str, Task] = field(default_factory=dict)  # registry for `task_id` and dataset labels
    # directories whose SQLite files SQL tasks may name (read-only in the sandboxes); the registry's own are added
    data_dirs: tuple[str, ...] = ()
    cache_path: str | None = None  # SQLite result cache shared by every server process given the same path
    token: str | None = None  # bearer token every request but /health must carry; None: no auth
    # Who may call the compatible routes (/get_reward, /test_program*, /run_code) without the token, whose
    # clients (OpenRLHF, Open-Instruct, verl's sandbox_fusion, the sandbox-fusion SDK) cannot send one:
    # "private" clients on loopback or a private network, "any" every client, "none" no one.
    compat_without_token: str = "private"
    max_queue: int = 1024  # samples accepted and not yet finished; a request that would exceed it gets 429
    max_body_mb: float = 32.0  # larger request bodies get 413
    retry_after: int = 2  # seconds, sent with 429 and 503
    # seconds a compatible-route request waits for room in a full queue before its 429: their clients do not
    # retry (Open-Instruct, verl's sandbox client on anything but 504) or retry blindly (OpenRLHF: 5 x 1 s)
    compat_wait: float = 120.0
    shutdown_grace: float = 30.0  # on SIGTERM, seconds in-flight work may take before it is failed with 503
