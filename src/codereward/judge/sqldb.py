"""The databases of an SQL suite, as its candidates receive them (host side).

A database file reaches the sandbox read-only, by path: the executor binds the directories it was given
(`Engine(data_dirs=...)`, the CLI's own from the tasks it loads, `codereward serve --data-dir`) under
sandbox/bwrap.py's DATA_ROOT, so a fixture of any size is never copied and a predicted DROP or UPDATE meets
a read-only file.
A database built from a `schema` script is small by nature: it crosses as an SQLite image (bytes), loaded
into memory by the candidate. Either way the candidate can change only what dies with its process.

DuckDB (a suite's `dialect`) has no image to send: its schema script crosses as text and runs in each
execution's private in-memory DuckDB, after the host ran it once under the same locked configuration (a script
that fails is the task's error, named once, never a candidate's runtime error). The duckdb package is
optional: a DuckDB task on a host without it is the task's error, saying how to install it.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Mapping
from typing import Any

from ..errors import TaskError
from ..languages.sql import DUCKDB_CONFIG, DUCKDB_HINT
from ..memo import PerTask
from ..tasks.model import SqlSuite, Task

_IMAGES: PerTask[bytes] = PerTask()  # per task built from a schema script: its database's image
_DUCK_SCHEMAS: PerTask[str] = PerTask()  # per DuckDB task built from a schema script: the script, once checked


def database_args(task: Task, visible: tuple[str, ...] | None) -> list[str | bytes | dict[str, Any]]:
    """Each database's argument for the candidate's `query`: SQLite, the file's real path (checked at every
    call: engines may see different directories) or the schema's image (built once per task); DuckDB, a dict
    holding the file's real path or the schema script (run once here first). `visible`: the directories the
    executor's sandboxes see (None: every path, no sandbox). TaskError naming the file if one is missing,
    unreadable, not in a directory the sandboxes see or (DuckDB) not a DuckDB database; naming the package
    if DuckDB is not installed."""
    suite = task.tests
    assert isinstance(suite, SqlSuite)
    script = suite.schema_sql
    if suite.dialect == "duckdb":
        if not _duckdb_installed():
            raise TaskError(f"{task.id}: DuckDB SQL tasks need the Python package duckdb, which is not "
                            f"installed: {DUCKDB_HINT}")
        if script is not None:
            return [{"dialect": "duckdb", "schema": _DUCK_SCHEMAS.get(task, lambda: _duckdb_schema(task, script))}]
        return [{"dialect": "duckdb", "file": _duckdb_file(task, path, visible)} for path in suite.databases]
    if script is not None:
        return [_IMAGES.get(task, lambda: _image(task, script))]
    return [_checked(task, path, visible) for path in suite.databases]


def packages(tasks: Mapping[str, Task]) -> list[str]:
    """The packages, beyond the defaults, that the sandboxes judging `tasks` must be able to import: duckdb
    if one is a DuckDB task (an engine's `packages`, as `data_dirs` gives its directories)."""
    duck = any(isinstance(t.tests, SqlSuite) and t.tests.dialect == "duckdb" for t in tasks.values())
    return ["duckdb"] if duck else []


def installed_packages() -> list[str]:
    """The optional packages SQL tasks may need that are installed here (duckdb): what a server, which takes
    tasks from its clients, gives its sandboxes."""
    return ["duckdb"] if _duckdb_installed() else []


def data_dirs(tasks: Mapping[str, Task]) -> list[str]:
    """The directories holding the database files of the SQL tasks among `tasks`: what an engine judging
    them must let its sandboxes read."""
    dirs = {os.path.dirname(os.path.realpath(p)) for t in tasks.values()
            if isinstance(t.tests, SqlSuite) for p in t.tests.databases}
    return sorted(d for d in dirs if os.path.isdir(d))  # a missing one is the task's error, named when judged


def _checked(task: Task, path: str, visible: tuple[str, ...] | None) -> str:
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError as e:
        raise TaskError(f"{task.id}: database {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise TaskError(f"{task.id}: database {path} is not a file")
    if visible is not None:
        if not any(real.startswith(d.rstrip("/") + "/") for d in visible):
            raise TaskError(f"{task.id}: database {path} is not in a directory the sandboxes can read: start "
                            f"the engine with data_dirs=[{os.path.dirname(real)!r}] (CLI: automatic; "
                            f"codereward serve --data-dir DIR)")
        if os.geteuid() == 0 and not st.st_mode & stat.S_IROTH:
            # Sandboxes started by root run as nobody: the file must be readable by others.
            raise TaskError(f"{task.id}: database {path} is not readable inside the sandbox, which runs as "
                            f"nobody: make it world-readable (chmod o+r)")
    return real


def _duckdb_installed() -> bool:
    return importlib.util.find_spec("duckdb") is not None


_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of a DuckDB database file (its main header)


def _duckdb_file(task: Task, path: str, visible: tuple[str, ...] | None) -> str:
    """`_checked`, and the file must be a DuckDB database: an SQLite file given to a DuckDB task is the task's
    error here, not a runtime error of every candidate."""
    real = _checked(task, path, visible)
    try:
        with open(real, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise TaskError(f"{task.id}: database {path}: {e.strerror}") from None
    if head[8:12] != _DUCKDB_MAGIC:
        raise TaskError(f"{task.id}: database {path} is not a DuckDB database file (the suite's dialect is "
                        f"duckdb{'; it is an SQLite file' if head.startswith(b'SQLite format') else ''})")
    return real


MAX_SCHEMA_SECONDS = 10.0
MAX_SCHEMA_MB = 64


def _image(task: Task, script: str) -> bytes:
    """The SQLite image of the database `script` builds. It runs here, on the host, and a server takes tasks
    from its clients: so it can attach no other database (ATTACH and VACUUM INTO would write host files),
    load no extension (off by default), grow past MAX_SCHEMA_MB or run past MAX_SCHEMA_SECONDS."""
    connection = sqlite3.connect(":memory:")
    connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    deadline = time.monotonic() + MAX_SCHEMA_SECONDS
    connection.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    try:
        page = connection.execute("PRAGMA page_size").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {MAX_SCHEMA_MB * 1024 * 1024 // page}")
        connection.executescript(script)
        return connection.serialize()
    except sqlite3.Error as e:
        if time.monotonic() > deadline:
            raise TaskError(f"{task.id}: the schema script ran past {MAX_SCHEMA_SECONDS:g} s") from None
        raise TaskError(f"{task.id}: the schema script fails: {type(e).__name__}: {e}") from None
    finally:
        connection.close()


def _duckdb_schema(task: Task, script: str) -> str:
    """`script`, once it ran here in an in-memory DuckDB as every execution will run it (DUCKDB_CONFIG: no file,
    network or extension), capped like an SQLite schema: MAX_SCHEMA_MB of memory, MAX_SCHEMA_SECONDS (a timer
    interrupts it). TaskError saying why it fails."""
    import duckdb

    connection = duckdb.connect(":memory:", config={**DUCKDB_CONFIG, "memory_limit": f"{MAX_SCHEMA_MB}MB"})
    timer = threading.Timer(MAX_SCHEMA_SECONDS, connection.interrupt)
    timer.start()
    try:
        connection.execute(script)
        return script
    except duckdb.Error as e:
        if not timer.is_alive():
            raise TaskError(f"{task.id}: the schema script ran past {MAX_SCHEMA_SECONDS:g} s") from None
        raise TaskError(f"{task.id}: the schema script fails: {type(e).__name__}: {e}") from None
    finally:
        timer.cancel()
        connection.close()
