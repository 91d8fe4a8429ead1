"""SQL tasks: queries per second on a small Spider-like database, against the way Spider's evaluator runs
them, in the same run; and the cost of each comparison mode.

    .venv/bin/python bench/sql.py                    # 20 gold queries x 14 predictions (280 samples)
    .venv/bin/python bench/sql.py --predictions 28 --rows 5000 --long
    .venv/bin/python bench/sql.py --duckdb           # and the same samples run by DuckDB, beside SQLite

The database (built here, seeded): singer, stadium, concert, singer_in_concert with `--rows` singers (default
2,000), written to a temporary directory. 20 gold queries (selections, joins, GROUP BY, ORDER BY, nested
queries, set operations) and, for each, `--predictions` predicted queries cycling over: the gold itself, its
columns reversed, an off-by-one filter, a dropped ORDER BY direction (or a count off by one), a syntax error, a
DROP TABLE and the gold in lower case; with `--long`, also a cross join that runs into the 1 s limit.

Harnesses, one after the other in the same run:

1. **Spider's evaluator, as taoyds/test-suite-sql-eval `eval_exec_match` runs a pair**: in this process, no
   sandbox, sequentially; for each sample a fresh connection runs the gold then the prediction
   (`fetchall`), then the comparison (ours, `sandboxed/sqlresult.py`: the same semantics as its `result_eq`).
   One difference: Spider's evaluator opens the database writable, so the DROP TABLE prediction would destroy
   the fixture for every later sample (it did, in this benchmark's first run); here it is opened read-only.
   A long query is cut by SQLite's progress handler at the same 1 s limit (the evaluator's asyncio timeout,
   60 s, cannot interrupt a running sqlite3 call).
2. **codereward**: `Engine(workers=2, data_dirs=[...]).evaluate(tasks, samples)`, every sample a sandboxed
   execution (dedupe off); the gold runs once per task (its preparation), not once per sample.
3. **codereward, DuckDB** (with `--duckdb`, needs the duckdb extra): the same database copied into a DuckDB
   file, the same samples as SqlSuite(dialect="duckdb") on an engine whose sandboxes import duckdb, beside
   SQLite again on exactly those samples: only the gold queries DuckDB accepts (its GROUP BY is strict: a
   selected column must be grouped), and the DROP TABLE is refused by both.

Printed: samples, seconds, samples/s, ratio (Spider's s / codereward s), verdict agreement; then, per
comparison mode, microseconds per comparison of two equal 200-row, 4-column results (the worst case: no
quick rejection).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from codereward import Engine, SqlSuite, Task
from codereward.sandboxed.sqlresult import MODES, rows_match
from codereward.tasks import Sample

GOLD = [
    "SELECT count(*) FROM singer",
    "SELECT name, country, age FROM singer ORDER BY age DESC",
    "SELECT avg(age), min(age), max(age) FROM singer WHERE country = 'France'",
    "SELECT name FROM singer WHERE age > (SELECT avg(age) FROM singer)",
    "SELECT country, count(*) FROM singer GROUP BY country",
    "SELECT DISTINCT country FROM singer WHERE age > 40",
    "SELECT name, capacity FROM stadium ORDER BY capacity DESC LIMIT 5",
    "SELECT T2.name, count(*) FROM concert AS T1 JOIN stadium AS T2 ON T1.stadium_id = T2.stadium_id "
    "GROUP BY T1.stadium_id",
    "SELECT year, count(*) FROM concert GROUP BY year ORDER BY year",
    "SELECT name FROM stadium WHERE stadium_id NOT IN (SELECT stadium_id FROM concert)",
    "SELECT T1.name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id "
    "GROUP BY T2.singer_id HAVING count(*) >= 3",
    "SELECT count(DISTINCT singer_id) FROM singer_in_concert",
    "SELECT country FROM singer GROUP BY country ORDER BY count(*) DESC LIMIT 1",
    "SELECT name, age FROM singer WHERE name LIKE 'A%' ORDER BY name",
    "SELECT T3.name, T1.concert_name FROM concert AS T1 JOIN singer_in_concert AS T2 ON T1.concert_id = "
    "T2.concert_id JOIN singer AS T3 ON T2.singer_id = T3.singer_id WHERE T1.year = 2014",
    "SELECT max(capacity), avg(capacity) FROM stadium",
    "SELECT location FROM stadium WHERE capacity BETWEEN 5000 AND 10000",
    "SELECT name FROM singer WHERE country = 'France' INTERSECT SELECT name FROM singer WHERE age < 30",
    "SELECT name FROM singer WHERE country = 'Japan' UNION SELECT name FROM singer WHERE age > 70",
    "SELECT count(*) FROM concert WHERE stadium_id = (SELECT stadium_id FROM stadium ORDER BY capacity DESC "
    "LIMIT 1)",
]
COUNTRIES = ["France", "Japan", "United States", "Netherlands", "Brazil", "Kenya", "India", "Spain"]


def build(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    c = sqlite3.connect(path)
    c.executescript("""CREATE TABLE singer (singer_id INTEGER PRIMARY KEY, name TEXT, country TEXT, age INTEGER);
        CREATE TABLE stadium (stadium_id INTEGER PRIMARY KEY, name TEXT, location TEXT, capacity INTEGER);
        CREATE TABLE concert (concert_id INTEGER PRIMARY KEY, concert_name TEXT, stadium_id INTEGER, year INTEGER);
        CREATE TABLE singer_in_concert (concert_id INTEGER, singer_id INTEGER);""")
    names = ["".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWabcdefghijklmnoprstuvw") for _ in range(7)) for _ in range(rows)]
    c.executemany("INSERT INTO singer VALUES (?, ?, ?, ?)",
                  [(i, names[i], rng.choice(COUNTRIES), rng.randint(16, 80)) for i in range(rows)])
    stadiums = max(10, rows // 50)
    c.executemany("INSERT INTO stadium VALUES (?, ?, ?, ?)",
                  [(i, f"Stadium {i}", f"City {i % 17}", rng.randint(1000, 60000)) for i in range(stadiums)])
    concerts = max(20, rows // 10)
    c.executemany("INSERT INTO concert VALUES (?, ?, ?, ?)",
                  [(i, f"Concert {i}", rng.randrange(stadiums - 3), rng.randint(2010, 2020)) for i in range(concerts)])
    c.executemany("INSERT INTO singer_in_concert VALUES (?, ?)",
                  [(rng.randrange(concerts), rng.randrange(rows)) for _ in range(rows * 2)])
    c.commit()
    c.close()
    os.chmod(path, 0o644)


def predictions(gold: str, n: int, long: bool) -> list[str]:
    select, _, rest = gold.partition(" FROM ")
    cols = select.removeprefix("SELECT ").split(", ")
    variants = [
        gold,
        f"SELECT {', '.join(reversed(cols))} FROM {rest}",
        gold.replace(">", ">=").replace("<", "<=") if (">" in gold or "<" in gold) else gold + " LIMIT 1",
        gold.replace(" DESC", "") if " DESC" in gold else gold.replace("count(*)", "count(*) + 1", 1),
        gold.replace("SELECT", "SELEC", 1),
        "DROP TABLE singer",
        gold.lower(),
    ]
    if long:
        variants.append("SELECT count(*) FROM singer_in_concert a, singer_in_concert b, singer c")  # 10^10 rows
    return [variants[i % len(variants)] for i in range(n)]


def spider_way(db: str, pairs: list[tuple[str, str, str]], limit: float) -> tuple[float, list[bool]]:
    """Each (gold, prediction, mode) as Spider's eval_exec_match runs one: fresh connections, gold then prediction."""
    def run(query: str) -> list[tuple] | None:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)  # Spider's opens it writable: see the docstring
        c.text_factory = lambda b: b.decode(errors="ignore")
        deadline = time.monotonic() + limit
        c.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        try:
            return c.execute(query).fetchall()
        except Exception as e:  # noqa: BLE001 — any failure is a wrong prediction (exec_eval's "exception")
            failures.append(f"{query}: {e}")
            return None
        finally:
            c.close()

    t0 = time.perf_counter()
    verdicts: list[bool] = []
    failures: list[str] = []
    for gold, pred, mode in pairs:
        g, p = run(gold), run(pred)
        assert g is not None, failures[-1]
        verdicts.append(p is not None and rows_match(g, p, mode))
    return time.perf_counter() - t0, verdicts


def duckdb_way(tmp: str, db: Path, tasks: dict[str, Task], samples: list[Sample], workers: int,
               limit: float) -> tuple[int, float, float, tuple[int, int]]:
    """The samples whose gold DuckDB runs, judged by SQLite then by DuckDB (a copy of `db`): (samples, SQLite
    seconds, DuckDB seconds, (SQLite passes, DuckDB passes))."""
    import duckdb

    path = Path(tmp) / "concert_singer.duckdb"
    source, target = sqlite3.connect(db), duckdb.connect(str(path))
    for (name, sql) in source.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall():
        target.execute(sql.replace(" PRIMARY KEY", ""))
        rows = source.execute(f"SELECT * FROM {name}").fetchall()
        target.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    target.close()
    os.chmod(path, 0o644)
    check = duckdb.connect(str(path), read_only=True)
    ok = set()
    for task_id, task in tasks.items():
        try:
            check.execute(task.reference or "").fetchall()
            ok.add(task_id)
        except duckdb.Error:
            pass
    chosen = [s for s in samples if s.task_id in ok]
    duck_tasks = {i: t.model_copy(update={"tests": t.tests.model_copy(update={"dialect": "duckdb",
              "databases": [str(path)]})}) for i, t in tasks.items() if i in ok}
    sqlite_tasks = {i: t for i, t in tasks.items() if i in ok}
    t0 = time.perf_counter()
    with Engine(workers=workers, data_dirs=[tmp], dedupe=False, time_limit=limit) as engine:
        sqlite_results = engine.evaluate(sqlite_tasks, chosen)
    sqlite_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with Engine(workers=workers, data_dirs=[tmp], dedupe=False, time_limit=limit,
                packages=("numpy", "duckdb")) as engine:
        duck_results = engine.evaluate(duck_tasks, chosen)
    duck_s = time.perf_counter() - t0
    errors = [r.reason for r in duck_results if r.status.value == "error"]
    assert not errors, errors[:3]
    for sample, lite, duck in zip(chosen, sqlite_results, duck_results):  # two dialects: say where they part
        if lite.status != duck.status:
            print(f"  SQLite {lite.status.value}, DuckDB {duck.status.value}: {sample.task_id} {sample.solution!r}: "
                  f"{(lite.tests[0].detail or '')[:100]!r} / {(duck.tests[0].detail or '')[:100]!r}", flush=True)
    passes = (sum(r.status.value == "passed" for r in sqlite_results),
              sum(r.status.value == "passed" for r in duck_results))
    print(f"  DuckDB:       {duck_s:.2f} s ({len(chosen)} samples; SQLite on them {sqlite_s:.2f} s)", flush=True)
    return len(chosen), sqlite_s, duck_s, passes


def compare_cost(repeat: int = 200) -> dict[str, float]:
    rng = random.Random(1)
    gold = [(rng.randint(0, 10**6), rng.choice(COUNTRIES), rng.random(), f"n{i}") for i in range(200)]
    pred = list(reversed(gold))
    out = {}
    for mode in MODES:
        p = gold if mode in ("strict", "ordered") else pred
        t0 = time.perf_counter()
        for _ in range(repeat):
            rows_match(gold, p, mode)
        out[mode] = (time.perf_counter() - t0) / repeat * 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--predictions", type=int, default=14, help="predicted queries per gold query (default 14)")
    ap.add_argument("--rows", type=int, default=2000, help="singers in the database (default 2,000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--long", action="store_true", help="add a cross join that runs into the time limit (1 s)")
    ap.add_argument("--duckdb", action="store_true", help="also run the samples with DuckDB (the duckdb extra)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        db = Path(tmp) / "concert_singer.sqlite"
        build(db, args.rows)
        limit = 1.0
        tasks, samples, pairs = {}, [], []
        for i, gold in enumerate(GOLD):
            mode = "ordered" if "order by" in gold.lower() else "bag"
            tasks[f"q{i}"] = Task(id=f"q{i}", reference=gold, tests=SqlSuite(databases=[str(db)], compare=mode))
            for pred in predictions(gold, args.predictions, args.long):
                samples.append(Sample(task_id=f"q{i}", solution=pred))
                pairs.append((gold, pred, mode))
        print(f"{len(samples)} samples over {len(tasks)} gold queries; database {db.stat().st_size // 1024} KiB",
              flush=True)

        spider_s, spider_verdicts = spider_way(str(db), pairs, limit)
        print(f"  Spider's way: {spider_s:.2f} s", flush=True)
        t0 = time.perf_counter()
        with Engine(workers=args.workers, data_dirs=[tmp], dedupe=False, time_limit=limit) as engine:
            results = engine.evaluate(tasks, samples)
        cr_s = time.perf_counter() - t0
        print(f"  codereward:   {cr_s:.2f} s", flush=True)
        duck = duckdb_way(tmp, db, tasks, samples, args.workers, limit) if args.duckdb else None
    ours = [r.status.value == "passed" for r in results]
    agree = sum(a == b for a, b in zip(ours, spider_verdicts))
    errors = sum(r.status.value == "error" for r in results)
    print()
    print(f"{'harness':<44} {'samples':>7} {'seconds':>8} {'samples/s':>10} {'ratio':>7} {'passes':>7}")
    print(f"{'Spider eval_exec_match (in-process, 1 thread)':<44} {len(samples):>7} {spider_s:>8.2f} "
          f"{len(samples) / spider_s:>10.1f} {'1.00x':>7} {sum(spider_verdicts):>7}")
    print(f"{f'codereward Engine(workers={args.workers}), sandboxed':<44} {len(samples):>7} {cr_s:>8.2f} "
          f"{len(samples) / cr_s:>10.1f} {spider_s / cr_s:>6.2f}x {sum(ours):>7}")
    print(f"  verdicts agree: {agree}/{len(samples)}; codereward errors: {errors}")
    for i, (a, b) in enumerate(zip(ours, spider_verdicts)):
        if a != b:
            print(f"  differs: {samples[i].task_id} {samples[i].solution!r}: codereward {results[i].status.value}, "
                  f"Spider {'passed' if b else 'failed'}")
    if duck is not None:
        print()
        n, sqlite_s, duck_s, passes = duck
        print(f"same {n} samples, gold queries DuckDB accepts ({f'codereward Engine(workers={args.workers})'}):")
        print(f"  {'SQLite':<8} {sqlite_s:8.2f} s {n / sqlite_s:8.1f} samples/s  passes {passes[0]}")
        print(f"  {'DuckDB':<8} {duck_s:8.2f} s {n / duck_s:8.1f} samples/s  passes {passes[1]}  "
              f"({sqlite_s / duck_s:.2f}x SQLite's rate)")
    print()
    print("comparison of two equal results, 200 rows x 4 columns (rows reversed for bag and set):")
    for mode, us in compare_cost().items():
        print(f"  {mode:<8} {us:8.1f} us")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
