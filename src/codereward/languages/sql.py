"""SQL (SQLite): a query becomes a small Python program that runs it, so it executes in the candidate process
of the same sandbox as any Python program, under the same limits, with the judge outside it.

The program's entry point `query(database, row_limit)` gets a database (judge/sqldb.py): a file's path,
opened read-only (in a sandbox, a read-only bind of its directory), or the SQLite image a task's schema
script built, loaded into a private in-memory database. It runs the one statement and returns its rows, or
raises if there are more than `row_limit`: a predicted DROP or UPDATE fails on the read-only file, or changes
only the private copy, which dies with the process. Text that is not UTF-8 is decoded with errors ignored,
as Spider's and BIRD's evaluators do.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sandbox.bwrap import DATA_ROOT
from ..tasks.model import SQL_ENTRY_POINT
from . import PreparedProgram
from .python import PYTHON

_RUNNER = '''import os
import sqlite3

QUERY = {query!r}
DATA_ROOT = {data_root!r}


def {entry}(database, row_limit):
    if not QUERY.strip().strip(";").strip():
        raise ValueError("empty query: no SQL statement")  # SQLite would run it and return no rows
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
'''


def runner(query: str) -> str:
    """The Python program that runs `query` (the SQL text only ever appears as a string literal in it)."""
    return _RUNNER.format(query=query, data_root=DATA_ROOT, entry=SQL_ENTRY_POINT)


@dataclass(frozen=True, slots=True)
class Sql:
    name: str = "sql"
    profile: str = "python"
    audited: bool = False  # the audit's rules read Python; a query has no asserts to dodge or builtins to patch

    def prepare(self, program: str) -> PreparedProgram:
        """The runner of `program`, compiled as Python (it always compiles). An error in the SQL, an empty
        query or more than one statement included, is met when the candidate runs it: a runtime error with
        SQLite's message."""
        return PYTHON.prepare(runner(program))


SQL = Sql()
