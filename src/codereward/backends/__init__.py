"""Where executions run: the local sandbox pool (default) or sandbox pools on a Ray cluster.

Every backend exposes the Engine surface (start/close/context manager, check, run, evaluate, stats), so the
CLI, the server and the training adapters pick one by name and never care which it is.
"""

from __future__ import annotations

from typing import Any

from ..engine import Engine

BACKENDS = ("local", "ray")


def create_engine(backend: str = "local", **engine_options: Any) -> Engine:
    """An engine on `backend` ("local" or "ray"); `engine_options` are Engine's keyword arguments."""
    if backend == "local":
        return Engine(**engine_options)
    if backend == "ray":
        from .ray import RayEngine  # imported lazily: ray is an optional dependency

        return RayEngine(**engine_options)
    raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
