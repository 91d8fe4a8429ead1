"""SQL (SQLite, or DuckDB): a query becomes a small Python program that runs it, so it executes in the
candidate process of the same sandbox as any Python program, under the same limits, with the judge outside it.

The program's entry point `query(database, row_limit)` gets a database (judge/sqldb.py): for SQLite a file's
path, opened read-only (in a sandbox, a read-only bind of its directory), or the SQLite image a task's schema
script built, loaded into a private in-memory database; for DuckDB (a suite's `dialect`) a dict naming the
file, opened read_only, or holding the schema script, run in a private in-memory DuckDB. It runs the one
statement and returns its rows, or raises if there are more than `row_limit`: a predicted DROP or UPDATE fails
on the read-only file, or changes only the private copy, which dies with the process. Text that is not UTF-8
is decoded with errors ignored, as Spider's and BIRD's evaluators do.

DuckDB is imported only by a DuckDB query (~0.1 s), and locked down before the query runs: no file or
network access beyond its own database (enable_external_access), no extension installed or loaded, one
thread (the sandbox's CPU-time limit then equals its wall time), a memory limit under the process's own and
no spilling to temporary files (a query past it is a memory_limit; spilled, it met the sandbox's file-size
cap, an output_limit, after seconds of writing), and the configuration locked, so `SET
enable_external_access = true` fails. A runaway query is stopped by the sandbox's time limit, as for SQLite
(tests/test_sql.py: a clean time_limit). Its values that are not plain data (DECIMAL, dates, UUID, lists,
structs) are made plain here: DECIMAL a float (what SQLite gives for the same column), a LIST a tuple, the
rest their text.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sandbox.bwrap import DATA_ROOT
from ..tasks.model import SQL_ENTRY_POINT
from . import PreparedProgram
from .python import PYTHON

DUCKDB_HINT = ("pip install 'codereward[duckdb]' (scripts/setup.sh: CODEREWARD_LANGUAGES=duckdb), and give the "
               "engine's sandboxes the package: Engine(packages=('numpy', 'duckdb'))")
# DuckDB's settings for every connection to a task's database (the host's check of a schema script uses them
# too, judge/sqldb.py): see the module docstring. lock_configuration last: nothing can change them after.
DUCKDB_CONFIG: dict[str, str | bool | int] = {
    "enable_external_access": False, "autoinstall_known_extensions": False, "autoload_known_extensions": False,
    "allow_community_extensions": False, "python_enable_replacements": False, "threads": 1, "temp_directory": "",
    "lock_configuration": True}

_RUNNER = '''import os
import sqlite3

QUERY = {query!r}
DATA_ROOT = {data_root!r}
DUCKDB_CONFIG = {config!r}
DUCKDB_HINT = {hint!r}


def {entry}(database, row_limit):
    if not QUERY.strip().strip(";").strip():
        raise ValueError("empty query: no SQL statement")  # SQLite would run it and return no rows
    if type(database) is dict:
        return _duckdb(database, row_limit)
    if type(database) is bytes:  # a database built from the task's schema: its image
        connection = sqlite3.connect(":memory:")
        connection.deserialize(database)
    else:  # a file, read-only: bound under DATA_ROOT in a sandbox
        path = DATA_ROOT + database if os.path.isdir(DATA_ROOT) else database
        path = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
        connection = sqlite3.connect("file:" + path + "?mode=ro&immutable=1", uri=True)
    connection.text_factory = lambda data: data.decode(errors="ignore")
    rows = connection.execute(QUERY).fetchmany(row_limit + 1)
    if len(rows) > row_limit:
        raise OverflowError(f"the query returned more than {{row_limit}} rows")
    return rows


def _duckdb(database, row_limit):
    try:
        import duckdb
    except ImportError as e:
        raise ImportError(f"DuckDB SQL tasks need the duckdb package inside the sandbox ({{e}}): "
                          + DUCKDB_HINT) from None
    import resource

    config = dict(DUCKDB_CONFIG)
    memory = resource.getrlimit(resource.RLIMIT_AS)[0]
    if memory != resource.RLIM_INFINITY:  # half the address space: DuckDB's own error before an allocation fails
        config["memory_limit"] = f"{{max(memory // 2, 64 << 20) >> 20}}MB"
    if "schema" in database:  # a private in-memory database, built by the task's script
        connection = duckdb.connect(":memory:", config=config)
        connection.execute(database["schema"])
    else:  # a file, read-only: bound under DATA_ROOT in a sandbox
        path = DATA_ROOT + database["file"] if os.path.isdir(DATA_ROOT) else database["file"]
        connection = duckdb.connect(path, read_only=True, config=config)
    if len(connection.extract_statements(QUERY)) != 1:  # DuckDB would run them all: SQLite's rule
        raise ValueError("You can only execute one statement at a time.")
    try:
        rows = connection.execute(QUERY).fetchmany(row_limit + 1)  # a streamed result: at most this many made
    except duckdb.OutOfMemoryException as e:
        raise MemoryError(str(e)) from None  # the candidate's runner reports it as memory_limit
    if len(rows) > row_limit:
        raise OverflowError(f"the query returned more than {{row_limit}} rows")
    return [tuple(map(_plain, row)) for row in rows]


def _plain(value):
    if value is None or type(value) in (bool, int, float, str, bytes):
        return value
    if type(value) in (list, tuple):
        return tuple(map(_plain, value))
    if type(value).__name__ == "Decimal":
        return float(value)
    return str(value)  # date, time, timestamp, interval, UUID, struct, map: their text
'''


def runner(query: str) -> str:
    """The Python program that runs `query` (the SQL text only ever appears as a string literal in it)."""
    return _RUNNER.format(query=query, data_root=DATA_ROOT, entry=SQL_ENTRY_POINT, config=DUCKDB_CONFIG,
                          hint=DUCKDB_HINT)


@dataclass(frozen=True, slots=True)
class Sql:
    name: str = "sql"
    profile: str = "python"
    audited: bool = False  # the audit's rules read Python; a query has no asserts to dodge or builtins to patch

    def prepare(self, program: str) -> PreparedProgram:
        """The runner of `program`, compiled as Python (it always compiles). An error in the SQL, an empty
        query or more than one statement included, is met when the candidate runs it: a runtime error with
        the database's message."""
        return PYTHON.prepare(runner(program))


SQL = Sql()
