"""Counters that many threads update: an engine's and an executor's `stats`."""

from __future__ import annotations

import threading


class Stats(dict[str, int]):
    """A dict of counters, read like any dict; `add` is the only way to change one, under a lock (`+=` on
    a dict entry from several threads loses counts)."""

    def __init__(self, *names: str) -> None:
        super().__init__(dict.fromkeys(names, 0))
        self._lock = threading.Lock()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self[name] = self.get(name, 0) + n
