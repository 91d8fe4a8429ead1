"""The databases of an SQL suite, as its candidates receive them (host side).

A database file reaches the sandbox read-only, by path: the executor binds the directories it was given
(`Engine(data_dirs=...)`, the CLI's own from the tasks it loads, `codereward serve --data-dir`) under
sandbox/bwrap.py's DATA_ROOT, so a fixture of any size is never copied and a predicted DROP or UPDATE meets
a read-only file.
A database built from a `schema` script is small by nature: it crosses as an SQLite image (bytes), loaded
into memory by the candidate. Either way the candidate can change only what dies with its process.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Mapping

from ..errors import TaskError
from ..memo import PerTask
from ..tasks.model import SqlSuite, Task

_IMAGES: PerTask[bytes] = PerTask()  # per task built from a schema script: its database's image


def database_args(task: Task, visible: tuple[str, ...] | None) -> list[str | bytes]:
    """Each database's argument for the candidate's `query`: the file's real path (checked at every call:
    engines may see different directories), or the schema's image (built once per task). `visible`: the
    directories the executor's sandboxes see (None: every path, no sandbox). TaskError naming the file if
    one is missing, unreadable, or not in a directory the sandboxes see."""
    suite = task.tests
    assert isinstance(suite, SqlSuite)
    script = suite.schema_sql
    if script is not None:
        return [_IMAGES.get(task, lambda: _image(task, script))]
    return [_checked(task, path, visible) for path in suite.databases]


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
