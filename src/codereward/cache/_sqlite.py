"""A result cache in one SQLite file: identical (task, program, settings, engine version) -> stored Result.

RL rollouts repeat heavily (the same prompt sampled n times, the same task across epochs), and a verdict
only depends on what the key hashes. The file is shared safely by threads and by several server
processes: every thread gets its own connection, the database runs in WAL mode (readers never block the
writer) and a busy timeout makes concurrent writers wait instead of failing.

A cache failure (disk full, a corrupted file, a lock held too long) never fails an evaluation: it is
logged and counted as a miss, and the result is computed again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from typing import Any

from ..results import Result, Status
from ..tasks.model import Task

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: rewards left the stored results and the key; the key holds the executor's settings


def _hash_parts(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        data = p.encode("utf-8", errors="surrogatepass")
        h.update(len(data).to_bytes(8, "big"))  # length-prefixed: ("ab", "c") and ("a", "bc") differ
        h.update(data)
    return h.hexdigest()


class ResultCache:
    """Results keyed by content hash, in a SQLite file. Thread-safe and multi-process safe.

        cache = ResultCache("results.sqlite")
        with Engine(workers=2, cache=cache) as engine: ...
        cache.hits, cache.misses

    Results with status `error` are never stored: an infrastructure failure must be retried, not replayed.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        """path: the SQLite file (created if missing). timeout: seconds a writer waits for the file's lock."""
        self.path = os.fspath(path)
        self.timeout = timeout
        self.hits = 0
        self.misses = 0
        self.errors = 0  # cache operations that failed (counted as misses)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._closed = False
        self._connect()  # fail early on an unusable path, and create the schema

    # -- keys -----------------------------------------------------------------------------------------

    def key(self, task: Task, program: str, *, time_limit: float, settings: str = "") -> str:
        """The cache key: sha256 over the task's content (Task.digest: tests, limits, prompt, reference, ids),
        the program, the effective time limit, the engine version and `settings` (every other setting that
        can change a result: fail-fast, the audit, the executor's isolation, importable packages and sandbox
        profile; Engine.settings). The reward is not in it: results are stored as verdicts, and shaped by
        whoever reads them."""
        from .. import __version__  # not at import time: the package root imports the engine, which imports us

        return _hash_parts(f"v{SCHEMA_VERSION}", __version__, task.digest(), program, repr(float(time_limit)),
                           settings)

    # -- storage --------------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise sqlite3.ProgrammingError("the result cache is closed")
        # isolation_level=None: autocommit; every statement is its own short transaction, so no lock is held
        # between statements. check_same_thread=False only so close() may close every thread's connection.
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across crashes of the process
            conn.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, result TEXT NOT NULL, "
                         "created REAL NOT NULL)")
            conn.execute("CREATE TABLE IF NOT EXISTS preparations (key TEXT PRIMARY KEY, prep TEXT NOT NULL, "
                         "created REAL NOT NULL)")
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn
        with self._lock:
            self._conns.append(conn)
        return conn

    def get(self, key: str) -> Result | None:
        """The stored Result for `key`, or None (counted as a hit or a miss)."""
        try:
            row = self._connect().execute("SELECT result FROM results WHERE key = ?", (key,)).fetchone()
            result = Result.from_dict(json.loads(row[0])) if row is not None else None
        except (sqlite3.Error, ValueError, KeyError, TypeError) as e:
            log.warning("result cache %s: lookup failed, recomputing: %s", self.path, e)
            result = None
            with self._lock:
                self.errors += 1
        with self._lock:
            if result is None:
                self.misses += 1
            else:
                self.hits += 1
        return result

    def put(self, key: str, result: Result) -> None:
        """Store `result` under `key`; results with status `error` are not stored."""
        if result.status is Status.ERROR:
            return
        doc: dict[str, Any] = result.to_dict()
        doc["completion_id"] = None  # a property of the sample, not of the verdict
        doc["reward"] = None  # shaped by whoever reads it (rewards.score), not part of the verdict
        try:
            self._connect().execute("INSERT OR REPLACE INTO results (key, result, created) VALUES (?, ?, ?)",
                                    (key, json.dumps(doc), time.time()))
        except sqlite3.Error as e:
            log.warning("result cache %s: store failed: %s", self.path, e)
            with self._lock:
                self.errors += 1

    # -- task preparations (judge/prepare.py): what the reference's runs measured, kept across runs ----------

    def prep_key(self, task: Task, settings: str) -> str:
        """The key of a task's preparation: its content, the engine version, and `settings` (the executor's,
        which runs the reference, and which runs the preparation made)."""
        from .. import __version__

        return _hash_parts(f"prep-v{SCHEMA_VERSION}", __version__, task.digest(), settings)

    def get_prep(self, key: str) -> dict[str, Any] | None:
        """What a task's preparation measured (TaskPrep's document), or None."""
        try:
            row = self._connect().execute("SELECT prep FROM preparations WHERE key = ?", (key,)).fetchone()
            doc = json.loads(row[0]) if row is not None else None
        except (sqlite3.Error, ValueError) as e:
            log.warning("result cache %s: preparation lookup failed, preparing again: %s", self.path, e)
            with self._lock:
                self.errors += 1
            return None
        return doc if isinstance(doc, dict) else None

    def put_prep(self, key: str, doc: dict[str, Any]) -> None:
        try:
            self._connect().execute("INSERT OR REPLACE INTO preparations (key, prep, created) VALUES (?, ?, ?)",
                                    (key, json.dumps(doc), time.time()))
        except sqlite3.Error as e:
            log.warning("result cache %s: store failed: %s", self.path, e)
            with self._lock:
                self.errors += 1

    def __len__(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def clear(self) -> None:
        """Delete every stored result and task preparation (counters are kept)."""
        self._connect().execute("DELETE FROM results")
        self._connect().execute("DELETE FROM preparations")

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"hits": self.hits, "misses": self.misses, "errors": self.errors}

    def close(self) -> None:
        """Close every thread's connection. Further use raises."""
        with self._lock:
            self._closed = True
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
