"""What `codereward serve` is configured with: one flat dataclass, each default saying what it does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..tasks.model import Task


@dataclass(frozen=True)
class ServerSettings:
    backend: str = "local"  # where executions run: "local" sandbox pool or "ray"
    workers: int | None = None  # concurrent sandboxes (default: CPU count)
    isolation: str = "bwrap"  # "none" runs candidates without a sandbox: trusted code only
    reward: str = "binary"  # reward of a result unless a request names another
    time_limit: float | str | None = None  # seconds | "auto" | None (each task's own limits.time)
    fail_fast: bool = False  # stop a sample's tests at its first failure
    tasks: Mapping[str, Task] = field(default_factory=dict)  # registry for `task_id` and dataset labels
    cache_path: str | None = None  # SQLite result cache shared by every server process given the same path
    token: str | None = None  # bearer token every request but /health must carry; None: no auth
    max_queue: int = 1024  # samples accepted and not yet finished; a request that would exceed it gets 429
    max_body_mb: float = 32.0  # larger request bodies get 413
    retry_after: int = 2  # seconds, sent with 429 and 503
    shutdown_grace: float = 30.0  # on SIGTERM, seconds in-flight work may take before it is failed with 503
