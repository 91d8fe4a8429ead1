"""Text-to-SQL benchmarks from the files users have: Spider and BIRD, as SQL tasks (model.SqlSuite).

    spider   dev.json (or train_spider.json, test.json) beside `database/<db_id>/*.sqlite`. Each row's gold
             `query` is the reference; its databases are every `.sqlite` file of its db_id's directory (the
             test-suite release puts several there: the query must match on each, as in taoyds/
             test-suite-sql-eval); comparison `ordered` when the gold query has ORDER BY, else `bag`.
             Not reproduced: that evaluator's default removal of DISTINCT from both queries (ours is its
             --keep_distinct), its value plugging (--plug_value) and its rewriting of `> =` and
             YEAR(CURDATE()).
    bird     dev.json (or train.json) beside `dev_databases/<db_id>/<db_id>.sqlite` (`train_databases/`);
             the gold is the row's `SQL`; comparison `set` (BIRD's EX: set(predicted) == set(gold)).

Task ids are `spider/<row index>` and `bird/<question_id>`; a sample's `completion` (or `solution`) is the
predicted query. The question (and BIRD's evidence) is the model's prompt, not the program's: tasks have no
prompt, so a completion is the whole query.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import InputError
from .model import Limits, SqlComparison, SqlSuite, Task

# Spider's evaluator allows 60 s a query, BIRD's 30 s: far too long for RL (the research notes: 5 s).
SQL_LIMITS = Limits(time=5.0)


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", source=str(path)) from None
    except json.JSONDecodeError as e:
        raise InputError(f"not JSON: {e.msg}", source=str(path), line=e.lineno) from None
    if not isinstance(rows, list):
        raise InputError("expected a JSON list of examples", source=str(path))
    return rows


def _field(row: Any, i: int, key: str, path: Path) -> str:
    value = row.get(key) if isinstance(row, dict) else None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InputError(f"example {i} has no {key!r} string", source=str(path), field=f"{i}.{key}")
    return str(value)


def _database_root(path: Path, names: tuple[str, ...]) -> Path:
    for name in names:
        if (path.parent / name).is_dir():
            return path.parent / name
    raise InputError(f"no database directory beside it: expected one of {', '.join(names)} in {path.parent}",
                     source=str(path))


def _databases(root: Path, db_id: str, path: Path, i: int) -> list[str]:
    folder = root / db_id
    files = sorted(str(folder / f) for f in os.listdir(folder) if ".sqlite" in f) if folder.is_dir() else []
    if not files:
        raise InputError(f"example {i}: no .sqlite file in {folder}", source=str(path), field=f"{i}.db_id")
    return files


def load_spider(path: str | os.PathLike[str]) -> dict[str, Task]:
    """Spider (or its test-suite release): one SQL task per example of `path`."""
    path = Path(path)
    root = _database_root(path, ("database", "test_database"))
    tasks: dict[str, Task] = {}
    for i, row in enumerate(_rows(path)):
        gold = _field(row, i, "query", path)
        databases = _databases(root, _field(row, i, "db_id", path), path, i)
        compare: SqlComparison = "ordered" if "order by" in gold.lower() else "bag"
        tasks[f"spider/{i}"] = Task(id=f"spider/{i}", reference=gold, limits=SQL_LIMITS,
                                    tests=SqlSuite(databases=databases, compare=compare))
    return tasks


def load_bird(path: str | os.PathLike[str]) -> dict[str, Task]:
    """BIRD: one SQL task per example of `path`, compared as BIRD's EX does (sets of rows)."""
    path = Path(path)
    root = _database_root(path, ("dev_databases", "train_databases", "databases"))
    tasks: dict[str, Task] = {}
    for i, row in enumerate(_rows(path)):
        db_id = _field(row, i, "db_id", path)
        qid = _field(row, i, "question_id", path) if "question_id" in row else str(i)
        database = root / db_id / f"{db_id}.sqlite"
        if not database.is_file():
            raise InputError(f"example {i}: no database {database}", source=str(path), field=f"{i}.db_id")
        task_id = f"bird/{qid}"
        if task_id in tasks:
            raise InputError(f"example {i}: duplicate question_id {qid}", source=str(path), field=f"{i}.question_id")
        tasks[task_id] = Task(id=task_id, reference=_field(row, i, "SQL", path), limits=SQL_LIMITS,
                              tests=SqlSuite(databases=[str(database)], compare="set"))
    return tasks
