"""SQL tasks: comparison modes where they differ, the task model, queries run in real sandboxes against
read-only databases (fixtures that cannot change, runaway queries, row caps), Spider and BIRD loaders, the
CLI and the server."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from codereward import Engine, InputError, Limits, Outcome, SqlSuite, Status, Task, load_dataset
from codereward.results import ErrorCause
from codereward.sandboxed.sqlresult import rows_match
from codereward.tasks.text2sql import load_spider

SCHEMA = """CREATE TABLE singer (id INTEGER PRIMARY KEY, name TEXT, country TEXT, age INTEGER);
INSERT INTO singer VALUES (1, 'Joe', 'NL', 52), (2, 'Tim', 'US', 32), (3, 'Jus', 'FR', 29), (4, 'Rose', 'FR', 41);
"""
ROOT = Path(__file__).resolve().parent.parent


def make_db(path: Path, script: str = SCHEMA) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.executescript(script)
    connection.commit()
    connection.close()
    for p in (path, *path.parents):  # sandboxes started by root run as nobody: world-readable, as datasets are
        if p == Path("/") or p == Path("/tmp"):
            break
        p.chmod(p.stat().st_mode | 0o005 if p.is_dir() else 0o644)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- comparison modes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("gold,pred,strict,ordered,bag,as_set", [
    ([(1,), (1,)], [(1,)], False, False, False, True),  # duplicates: only BIRD's set ignores them
    ([(1,), (2,)], [(2,), (1,)], False, False, True, True),  # row order: ordered and strict care
    ([(1, "a")], [("a", 1)], False, True, True, False),  # column order: Spider permutes, BIRD does not
    ([(1,)], [(1.0,)], True, True, True, True),  # 1 == 1.0, in both references
    ([], [], True, True, True, True),
    ([(1, 2), (2, 1)], [(2, 1), (1, 2)], False, True, True, True),  # swapped columns, the same rows in order
    ([(1, None)], [(1, None)], True, True, True, True),  # NULL equals NULL
    ([(1, 2)], [(1, 2, 3)], False, False, False, False),  # column count
])
def test_comparison_modes_differ_where_the_references_do(gold, pred, strict, ordered, bag, as_set) -> None:
    assert [rows_match(gold, pred, m) for m in ("strict", "ordered", "bag", "set")] == [strict, ordered, bag, as_set]


def test_bag_mode_is_a_column_permutation_equal_as_a_multiset() -> None:
    """Against brute force over every permutation, on random small tables (the pruning must never drop one)."""
    rng = random.Random(7)
    for _ in range(400):
        width, height = rng.randint(1, 4), rng.randint(1, 5)
        gold = [tuple(rng.randint(0, 2) for _ in range(width)) for _ in range(height)]
        pred = [tuple(rng.randint(0, 2) for _ in range(width)) for _ in range(height)]
        if rng.random() < 0.5:  # often a real permutation of gold's columns and rows
            perm = rng.sample(range(width), width)
            pred = rng.sample([tuple(r[j] for j in perm) for r in gold], height)
        brute_bag = any(Counter(tuple(r[j] for j in p) for r in pred) == Counter(gold)
                        for p in itertools.permutations(range(width)))
        brute_ordered = any([tuple(r[j] for j in p) for r in pred] == gold
                            for p in itertools.permutations(range(width)))
        assert rows_match(gold, pred, "bag") == brute_bag, (gold, pred)
        assert rows_match(gold, pred, "ordered") == brute_ordered, (gold, pred)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown SQL comparison"):
        rows_match([], [], "fuzzy")


# -- the task model ----------------------------------------------------------------------------------------


def test_sql_tasks_take_their_language_and_entry_point_from_the_suite() -> None:
    t = Task.model_validate({"id": "q", "reference": "SELECT 1", "tests": {"kind": "sql", "schema": SCHEMA}})
    assert (t.language, t.entry_point, t.tests.count) == ("sql", "query", 1)
    again = Task.model_validate(json.loads(t.model_dump_json()))
    assert again == t and again.digest() == t.digest() and '"schema"' in t.model_dump_json()


@pytest.mark.parametrize("task,message", [
    ({"tests": {"kind": "sql", "schema": SCHEMA, "databases": ["a.sqlite"]}, "reference": "SELECT 1"}, "not both"),
    ({"tests": {"kind": "sql"}, "reference": "SELECT 1"}, "not both"),
    ({"tests": {"kind": "sql", "schema": SCHEMA}}, "need a reference"),
    ({"tests": {"kind": "sql", "schema": SCHEMA, "expected": [[], []]}}, "2 lists of rows for 1"),
    ({"tests": {"kind": "sql", "schema": SCHEMA, "compare": "fuzzy"}, "reference": "SELECT 1"}, "compare"),
    ({"language": "sql", "entry_point": "f", "tests": {"kind": "call", "cases": [{"args": [], "expected": 1}]}},
     "only with them"),
    ({"entry_point": "f", "tests": {"kind": "sql", "schema": SCHEMA}, "reference": "SELECT 1"}, "'query'"),
])
def test_malformed_sql_tasks_are_refused_by_field(task, message) -> None:
    with pytest.raises(ValidationError, match=message):
        Task.model_validate({"id": "q", **task})


# -- in the sandbox ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("sqldata")
    make_db(d / "one" / "shop.sqlite")
    make_db(d / "one" / "shop_variant.sqlite", SCHEMA + "INSERT INTO singer VALUES (5, 'Ann', 'FR', 60);")
    return d


@pytest.fixture(scope="module")
def engine(fixture_dir) -> Engine:
    with Engine(workers=2, data_dirs=[str(fixture_dir / "one")]) as e:
        yield e


def file_task(fixture_dir: Path, reference: str, compare: str = "bag", variants: bool = False, **limits) -> Task:
    files = ["shop.sqlite", "shop_variant.sqlite"] if variants else ["shop.sqlite"]
    return Task(id=f"t/{hashlib.md5(reference.encode()).hexdigest()[:6]}", reference=reference,
                limits=Limits(**limits) if limits else Limits(),
                tests=SqlSuite(databases=[str(fixture_dir / "one" / f) for f in files], compare=compare))


@pytest.mark.parametrize("query,outcome,detail", [
    ("SELECT age, name FROM singer WHERE country = 'FR' ORDER BY age", Outcome.PASSED, ""),
    ("SELECT name, age FROM singer WHERE country = 'FR' ORDER BY age DESC", Outcome.WRONG_ANSWER, "expected"),
    ("SELEC name FROM singer", Outcome.RUNTIME_ERROR, 'near "SELEC": syntax error'),
    ("", Outcome.RUNTIME_ERROR, "empty query"),
    ("SELECT 1; SELECT 2", Outcome.RUNTIME_ERROR, "one statement at a time"),
    ("SELECT * FROM nowhere", Outcome.RUNTIME_ERROR, "no such table"),
])
def test_queries_are_judged_on_the_files_rows(engine, fixture_dir, query, outcome, detail) -> None:
    task = file_task(fixture_dir, "SELECT name, age FROM singer WHERE country = 'FR' ORDER BY age", "ordered")
    r = engine.check(task, solution=query)
    assert [t.outcome for t in r.tests] == [outcome] and detail in r.tests[0].detail
    assert r.tests[0].name == "database shop.sqlite"


@pytest.mark.parametrize("attack", [
    "DROP TABLE singer", "DELETE FROM singer", "UPDATE singer SET age = 0", "INSERT INTO singer VALUES (9,'x','y',1)",
    "CREATE TABLE pwned (x)", "ATTACH DATABASE '/tmp/x.db' AS x", "PRAGMA journal_mode = DELETE",
    "VACUUM", "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')",
])
def test_a_query_cannot_change_the_fixture(engine, fixture_dir, attack) -> None:
    db = fixture_dir / "one" / "shop.sqlite"
    before = digest(db)
    task = file_task(fixture_dir, "SELECT count(*) FROM singer")
    r = engine.check(task, solution=attack)
    assert r.status is Status.FAILED
    assert digest(db) == before
    assert engine.check(task, solution="SELECT count(*) FROM singer").status is Status.PASSED


def test_a_schema_database_is_a_private_copy_each_time(engine) -> None:
    task = Task(id="t/schema", reference="SELECT count(*) FROM singer", tests=SqlSuite(schema=SCHEMA))
    assert engine.check(task, solution="DELETE FROM singer RETURNING id").status is Status.FAILED
    assert engine.check(task, solution="SELECT count(*) FROM singer").status is Status.PASSED


def test_the_test_suite_needs_every_database(engine, fixture_dir) -> None:
    # Spider's test-suite accuracy: a query that happens to match on one database fails on the other.
    task = file_task(fixture_dir, "SELECT name FROM singer WHERE country = 'FR'", variants=True)
    lucky = engine.check(task, solution="SELECT name FROM singer WHERE age < 45 AND country != 'US'")
    assert [t.outcome for t in lucky.tests] == [Outcome.PASSED, Outcome.WRONG_ANSWER]
    assert engine.check(task, solution="select name from singer where country='FR'").status is Status.PASSED


def test_runaway_queries_and_huge_results_are_bounded(engine, fixture_dir) -> None:
    task = file_task(fixture_dir, "SELECT count(*) FROM singer", time=1.0)
    forever = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    r = engine.check(task, solution=forever)
    assert r.tests[0].outcome is Outcome.TIME_LIMIT and r.time < 5
    rows = Task(id="t/cap", reference="SELECT 1", tests=SqlSuite(schema=SCHEMA, row_limit=100))
    many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 101) SELECT i FROM n"
    r = engine.check(rows, solution=many)
    assert r.tests[0].outcome is Outcome.RUNTIME_ERROR and "more than 100 rows" in r.tests[0].detail


def test_a_database_outside_the_engines_directories_is_the_tasks_error(fixture_dir, tmp_path) -> None:
    elsewhere = make_db(tmp_path / "other" / "x.sqlite")
    task = Task(id="t/elsewhere", reference="SELECT 1", tests=SqlSuite(databases=[str(elsewhere)]))
    missing = Task(id="t/missing", reference="SELECT 1", tests=SqlSuite(databases=[str(tmp_path / "no.sqlite")]))
    with Engine(workers=1, data_dirs=[str(fixture_dir / "one")]) as e:
        r = e.check(task, solution="SELECT 1")
        assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "data_dirs" in r.reason
        r = e.check(missing, solution="SELECT 1")
        assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "No such file" in r.reason


@pytest.mark.parametrize("script", ["ATTACH DATABASE '{p}' AS x; CREATE TABLE x.t(a);",
                                    "CREATE TABLE t(a); VACUUM INTO '{p}';"])
def test_a_schema_script_cannot_write_host_files(engine, tmp_path, script) -> None:
    target = tmp_path / "written.db"
    task = Task(id=f"t/script{len(script)}", reference="SELECT 1", tests=SqlSuite(schema=script.format(p=target)))
    r = engine.check(task, solution="SELECT 1")
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "schema script fails" in r.reason
    assert not target.exists()


def test_gold_rows_can_be_given_instead_of_a_gold_query(engine) -> None:
    task = Task(id="t/rows", tests=SqlSuite(schema=SCHEMA, expected=[[["FR"], ["NL"], ["US"]]], compare="set"))
    assert engine.check(task, solution="SELECT country FROM singer").status is Status.PASSED
    assert engine.check(task, solution="SELECT name FROM singer").status is Status.FAILED


# -- loaders -----------------------------------------------------------------------------------------------


def spider_layout(root: Path) -> Path:
    make_db(root / "database" / "concert" / "concert.sqlite")
    make_db(root / "database" / "concert" / "concert_2.sqlite", SCHEMA + "INSERT INTO singer VALUES (5,'A','FR',9);")
    rows = [{"db_id": "concert", "query": "SELECT name FROM singer ORDER BY age", "question": "Names by age?"},
            {"db_id": "concert", "query": "SELECT count(*) FROM singer", "question": "How many singers?"}]
    (root / "dev.json").write_text(json.dumps(rows))
    return root / "dev.json"


def bird_layout(root: Path) -> Path:
    make_db(root / "dev_databases" / "music" / "music.sqlite")
    rows = [{"question_id": 7, "db_id": "music", "question": "Countries?", "evidence": "", "SQL":
             "SELECT country FROM singer", "difficulty": "simple"}]
    (root / "dev.json").write_text(json.dumps(rows))
    return root / "dev.json"


def test_spider_and_bird_load_as_their_evaluators_compare(tmp_path) -> None:
    spider = load_spider(spider_layout(tmp_path / "spider"))
    assert list(spider) == ["spider/0", "spider/1"]
    ordered, counted = spider["spider/0"].tests, spider["spider/1"].tests
    assert (ordered.compare, counted.compare) == ("ordered", "bag")
    assert [Path(p).name for p in ordered.databases] == ["concert.sqlite", "concert_2.sqlite"]  # the test suite
    bird = load_dataset("bird", bird_layout(tmp_path / "bird"))
    assert list(bird) == ["bird/7"] and bird["bird/7"].tests.compare == "set"
    assert bird["bird/7"].reference == "SELECT country FROM singer" and bird["bird/7"].limits.time == 5.0


@pytest.mark.parametrize("rows,message", [
    ([{"db_id": "concert"}], "example 0 has no 'query' string (field '0.query')"),
    ([{"db_id": "nowhere", "query": "SELECT 1"}], "example 0: no .sqlite file in"),
    ({"not": "a list"}, "expected a JSON list"),
])
def test_bad_spider_files_are_named_with_the_field(tmp_path, rows, message) -> None:
    path = spider_layout(tmp_path)
    path.write_text(json.dumps(rows))
    with pytest.raises(InputError, match="dev.json") as e:
        load_spider(path)
    assert message in str(e.value)


def test_a_missing_database_directory_is_named(tmp_path) -> None:
    (tmp_path / "dev.json").write_text("[]")
    with pytest.raises(InputError, match="expected one of database, test_database in"):
        load_spider(tmp_path / "dev.json")
    with pytest.raises(InputError, match="needs its JSON file"):
        load_dataset("bird")


# -- the CLI and the server -------------------------------------------------------------------------------


def test_cli_eval_on_bird_binds_the_databases_itself(tmp_path) -> None:
    data = bird_layout(tmp_path / "bird")
    samples = tmp_path / "preds.jsonl"
    samples.write_text("\n".join(json.dumps(s) for s in [
        {"task_id": "bird/7", "completion": "SELECT DISTINCT country FROM singer"},  # set: duplicates ignored
        {"task_id": "bird/7", "completion": "SELECT country, name FROM singer"}]) + "\n")
    out = tmp_path / "out.jsonl"
    p = subprocess.run([sys.executable, "-c", "from codereward.cli import main; main()", "eval", "--dataset",
                        "bird", "--data-file", str(data), "--samples", str(samples), "--out", str(out), "--json"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert [json.loads(line)["status"] for line in out.read_text().splitlines()] == ["passed", "failed"]


def test_server_judges_inline_sql_tasks_with_its_data_dirs(fixture_dir) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_server import running

    task = file_task(fixture_dir, "SELECT count(*) FROM singer").model_dump(by_alias=True)
    with running(workers=1, data_dirs=(str(fixture_dir / "one"),)) as (base, _):
        body = {"samples": [{"task": task, "solution": "SELECT COUNT(*) FROM singer"},
                            {"task": task, "solution": "DROP TABLE singer"}]}
        r = httpx.post(f"{base}/v1/evaluate", json=body, timeout=60)
        assert r.status_code == 200, r.text
        assert [x["status"] for x in r.json()["results"]] == ["passed", "failed"]


def test_the_bundled_sql_example_runs(tmp_path) -> None:
    out = tmp_path / "r.jsonl"
    p = subprocess.run([sys.executable, "-c", "from codereward.cli import main; main()", "eval", "--tasks",
                        str(ROOT / "examples/sql/tasks.jsonl"), "--samples", str(ROOT / "examples/sql/samples.jsonl"),
                        "--out", str(out)], capture_output=True, text=True, timeout=120, env={**os.environ})
    assert p.returncode == 0, p.stderr
    assert [json.loads(x)["status"] for x in out.read_text().splitlines()] == ["passed", "failed"] * 4


def test_the_answer_is_the_last_sql_block_of_a_response() -> None:
    from codereward.integrations.extract import extract_code

    response = ("Draft:\n```sql\nSELECT 1\n```\nCheck in Python:\n```python\nprint(1)\n```\n"
                "Final:\n```sql\nSELECT 2\n```")
    assert extract_code(response, "sql") == "SELECT 2\n"
    assert extract_code(response) == "print(1)\n"
    assert extract_code("SELECT 3", "sql") == "SELECT 3"


def test_trl_rewards_sql_labels() -> None:
    """The real TRL reward function: a label holding an SQL task's JSON, chat completions with ```sql blocks."""
    from codereward.integrations.trl import codereward_reward

    label = json.dumps({"id": "shop/fr", "reference": "SELECT name FROM singer WHERE country = 'FR'",
                        "tests": {"kind": "sql", "schema": SCHEMA}})
    completions = [[{"role": "assistant", "content": "```sql\nSELECT name FROM singer WHERE country='FR';\n```"}],
                   [{"role": "assistant", "content": "<think>easy</think>```sql\nSELECT name FROM singer\n```"}]]
    reward_fn = codereward_reward(reward="binary")
    assert reward_fn(prompts=["q"] * 2, completions=completions, ground_truth=[label] * 2) == [1.0, 0.0]


@pytest.mark.parametrize("gold,pred,f1", [
    ([(1, "a"), (2, "b")], [(1, "a")], 2 / 3),  # a gold row missing: recall 1/2
    ([(1,)], [(1,), (2,)], 2 / 3),  # an extra row: precision 1/2
    ([(1,), (1,)], [(1,)], 1.0),  # duplicates dropped
    ([(1, "a")], [("a", 1)], 1.0),  # within a row, values match as a set
    ([(1, "a")], [(1, "b")], 0.5),  # half the row: tp 1/2, fp 1/2, fn 1/2
    ([], [], 1.0), ([], [(1,)], 0.0), ([(1,)], [], 0.0),
])
def test_soft_f1_is_birds(gold, pred, f1) -> None:
    from codereward.sandboxed.sqlresult import soft_f1

    assert soft_f1(gold, pred) == pytest.approx(f1)
    assert rows_match(gold, pred, "soft_f1") is (f1 == 1.0)


def test_soft_f1_is_partial_credit_for_the_fraction_reward(engine) -> None:
    from codereward import score

    task = Task(id="t/f1", reference="SELECT name, country FROM singer WHERE country = 'FR'",
                tests=SqlSuite(schema=SCHEMA, compare="soft_f1"))
    half = engine.check(task, solution="SELECT name, country FROM singer WHERE name = 'Jus'")  # 1 of 2 rows
    full = engine.check(task, solution="SELECT country, name FROM singer WHERE country = 'FR'")
    assert half.status is Status.FAILED and half.tests[0].score == pytest.approx(2 / 3)
    assert half.to_dict()["tests"][0]["score"] == pytest.approx(2 / 3)
    assert full.status is Status.PASSED and full.tests[0].score == 1.0
    assert score([half, full], "fraction") == pytest.approx([2 / 3, 1.0])
    assert score([half, full], "binary") == [0.0, 1.0]
    # a test whose checker gives no credit keeps its result line as before: no "score" key
    plain = engine.check(Task(id="t/plain", reference="SELECT 1", tests=SqlSuite(schema=SCHEMA)), solution="SELECT 2")
    assert "score" not in plain.to_dict()["tests"][0] and score([plain], "fraction") == [0.0]


# -- PaVeRL-SQL's matched-cell accuracy ---------------------------------------------------------------------
# Expected values: PaVeRL-SQL/PaVeRL-SQL accuracy_reward.py (commit 5ce9a48) run on the same rows with pandas
# 2.3, clamped to [0, 1].

FR = [("Jus", "FR", 29), ("Rose", "FR", 41)]


@pytest.mark.parametrize("gold,pred,acc", [
    (FR, FR, 1.0),  # exact match
    (FR, [(29, "Jus"), (41, "Rose")], 2 / 3),  # a missing column: 2 of the gold's 3 columns
    (FR, [(41, "FR", "Rose"), (29, "FR", "Jus")], 1.0),  # columns (and rows) in another order
    ([(1, "a"), (2, "b")], [(1, "b"), (2, "a")], 1.0),  # columns compare as sorted lists: rows are not paired
    ([(1.2344,), (2.0,)], [(1.2336,), (2.0,)], 1.0),  # rounded to 3 decimals: 1.234 both
    ([(1.234,), (2.0,)], [(1.238,), (2.0,)], 1.0),  # then within 0.005
    ([(1.234,), (2.0,)], [(1.2395,), (2.0,)], 0.0),  # 1.24 is 0.006 away
    ([(0.0025,)], [(0.0075,)], 0.0),  # numpy rounds halves to even: 0.002, 0.008 (Python's round: 0.003, 0.007)
    ([(2.0004,), (3.0,)], [(2,), (3,)], 1.0),  # a float column against an integer one: rounded, then exact
    ([(2.0006,)], [(2,)], 0.0),
    ([("1",), ("2",)], [(1,), (2,)], 1.0),  # text that pd.to_numeric reads is numeric
    ([(i, f"x{i}") for i in range(10)], [(i, f"x{i}") for i in range(4)], 0.0),  # 6 rows short: more than 5
    ([(i, f"x{i}") for i in range(10)], [(i, f"x{i}") for i in range(5)], 0.5),  # 5 short: p/g of every column
    ([(i,) for i in range(4)], [(i,) for i in range(10)], 0.0),  # 6 rows too many
    ([*FR, ("Tim", "US", 32)], FR, 2 / 3),  # a row short: the query's key (name) picks 2 gold rows, acc p/g
    (FR, [*FR, ("Tim", "US", 32), ("Ann", "NL", 60)], 1.0),  # extra rows whose key is not the gold's: dropped
    (FR, [*FR, FR[1]], 0.0),  # an extra row with a gold key: 3 rows stay, 0
    ([("a",), ("a",), ("b",)], [("a",), ("b",)], 2 / 3),
    ([("a",), ("b",), ("c",)], [("a", 1), ("b", 2)], 1.0),  # their quirk: acc 2·2/3 = 4/3, clamped
    ([(1, None), (2, "a")], [(2, "a"), (1, None)], 1.0),  # NULLs
    ([(1, None), (2, "a")], [(1, "-10000000000"), (2, "a")], 1.0),  # NULL in text is their '-10000000000'
    ([(1, None), (2, 3)], [(1, -10000000000), (2, 3)], 1.0),  # and -1e10 in a number column
    ([(None,), (1.5,)], [(-10000000000.0,), (1.5,)], 1.0),
    ([(None,), ("a",)], [("none",), ("a",)], 0.0),
    ([(None, 1), (None, 2)], [(2, None), (1, None)], 1.0),  # all-NULL columns
    ([(b"\x00\x01",), (b"x",)], [(b"x",), (b"\x00\x01",)], 1.0),  # blobs
    ([], [], 1.0), ([], [(1,)], 0.0), ([(1,)], [], 0.0),
])
def test_paverl_is_paverl_sqls_accuracy(gold, pred, acc) -> None:
    from codereward.sandboxed.sqlresult import paverl

    assert paverl(gold, pred) == pytest.approx(acc)
    assert rows_match(gold, pred, "paverl") is (acc == 1.0)


def test_paverl_takes_odd_values_without_raising() -> None:
    from codereward.sandboxed.sqlresult import checker, paverl

    odd = [None, 0, -1, 2**70, 1.5, float("nan"), float("inf"), "", " 7 ", "1e500", "nan", "١٢", "1_000", "abc",
           b"", b"12", b"\xff", True, [1, 2], {"a": 1}]
    rng = random.Random(3)
    for _ in range(300):
        width = rng.randint(1, 3)
        gold = [[rng.choice(odd) for _ in range(width)] for _ in range(rng.randint(1, 6))]
        pred = [tuple(v if rng.random() < 0.7 else rng.choice(odd) for v in row) for row in gold]
        if rng.random() < 0.3:
            pred = pred[:-1] if rng.random() < 0.5 else pred + [pred[0]]
        if rng.random() < 0.1:
            pred[0] = pred[0][:-1]  # a short row: pandas pads it with NULL
        assert 0.0 <= paverl(gold, pred) <= 1.0
        assert paverl(gold, [tuple(r) for r in gold]) == 1.0  # mixed text and numbers: pandas raises, we do not
    check = checker("paverl")
    assert check([], {}, None, [[1]]) == 0.0 and check([], {}, [(1,)], [[1]]) == 1.0
    assert paverl([[]], [()]) == 0.0  # no columns: their acc divides by zero


def test_paverl_is_fast_on_10000_rows() -> None:
    """O(c·n log n + c²·n): their float key match is a double loop over the rows, here binary searches."""
    import time

    from codereward.sandboxed.sqlresult import paverl

    rng = random.Random(5)
    gold = [(i, f"n{i}", rng.random() * 1000, rng.choice(["FR", None]), None if i % 7 else 1.5, b"x")
            for i in range(10_000)]
    floats = [(rng.random() * 1000, rng.random()) for _ in range(10_000)]
    cases = [(gold, rng.sample([r[::-1] for r in gold], len(gold)), 1.0),
             (gold, gold + [(-1, "zz", 1.0, "FR", None, b"x")] * 3, 1.0),
             (floats, floats + [(2000.0 + i, 0.5) for i in range(4)], 1.0),
             (floats, [(a + 0.001, b - 0.001) for a, b in floats], 1.0)]
    start = time.perf_counter()
    assert [paverl(g, p) for g, p, _ in cases] == [acc for _, _, acc in cases]
    assert time.perf_counter() - start < 5.0


def test_paverl_is_partial_credit_in_a_sandbox() -> None:
    from codereward import score

    gold = "SELECT name, country, age FROM singer WHERE country = 'FR'"
    task = Task(id="t/paverl", reference=gold, tests=SqlSuite(schema=SCHEMA, compare="paverl"))
    with Engine(workers=1) as e:
        part = e.run(task, "SELECT age, name FROM singer WHERE country = 'FR'")  # 2 of 3 columns
        full = e.run(task, "SELECT country, age, name FROM singer WHERE country = 'FR' ORDER BY age DESC")
        lenient = e.run(task, "SELECT name, country, age FROM singer WHERE age < 45")  # + Tim: key not gold's
        broken = e.run(task, "SELECT nme FROM singer")
    assert part.status is Status.FAILED and part.tests[0].score == pytest.approx(2 / 3)
    assert part.tests[0].outcome is Outcome.WRONG_ANSWER
    assert full.status is Status.PASSED and full.tests[0].score == 1.0
    assert lenient.status is Status.PASSED and lenient.tests[0].score == 1.0
    assert broken.tests[0].outcome is Outcome.RUNTIME_ERROR
    assert score([part, full, broken], "fraction") == pytest.approx([2 / 3, 1.0, 0.0])


# -- DuckDB (SqlSuite dialect "duckdb"; the optional duckdb package) ---------------------------------------


def make_duckdb(path: Path, script: str = SCHEMA) -> Path:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    connection.execute(script.replace("INTEGER PRIMARY KEY", "INTEGER"))
    connection.close()
    return make_db_permissions(path)


def make_db_permissions(path: Path) -> Path:
    for p in (path, *path.parents):  # as make_db: sandboxes started by root run as nobody
        if p == Path("/") or p == Path("/tmp"):
            break
        p.chmod(p.stat().st_mode | 0o005 if p.is_dir() else 0o644)
    return path


@pytest.fixture(scope="module")
def duck_dir(tmp_path_factory) -> Path:
    pytest.importorskip("duckdb", reason="the duckdb extra: pip install 'codereward[duckdb]'")
    d = tmp_path_factory.mktemp("duckdata")
    make_duckdb(d / "shop.duckdb")
    make_db(d / "shop.sqlite")
    return d


@pytest.fixture(scope="module")
def duck_engine(duck_dir) -> Engine:
    with Engine(workers=2, packages=("numpy", "duckdb"), data_dirs=[str(duck_dir)]) as e:
        yield e


def duck_task(duck_dir: Path, reference: str, compare: str = "bag", **limits) -> Task:
    return Task(id=f"d/{hashlib.md5(reference.encode()).hexdigest()[:6]}", reference=reference,
                limits=Limits(**limits) if limits else Limits(),
                tests=SqlSuite(dialect="duckdb", databases=[str(duck_dir / "shop.duckdb")], compare=compare))


def test_the_dialect_is_sqlite_unless_said_and_left_out_of_sqlite_tasks_json() -> None:
    from codereward.judge.sqldb import packages

    sqlite = Task(id="q", reference="SELECT 1", tests=SqlSuite(schema=SCHEMA))
    duck = Task(id="q", reference="SELECT 1", tests=SqlSuite(schema=SCHEMA, dialect="duckdb"))
    assert sqlite.tests.dialect == "sqlite" and "dialect" not in sqlite.model_dump()["tests"]
    assert Task.model_validate(json.loads(duck.model_dump_json())) == duck and duck.digest() != sqlite.digest()
    assert packages({"a": sqlite}) == [] and packages({"a": sqlite, "b": duck}) == ["duckdb"]
    with pytest.raises(ValidationError, match="dialect"):
        SqlSuite(schema=SCHEMA, dialect="postgres")


@pytest.mark.parametrize("query,outcome,detail", [
    ("SELECT age, name FROM singer WHERE country = 'FR' ORDER BY age", Outcome.PASSED, ""),
    ("SELECT name, age FROM singer WHERE country = 'FR' ORDER BY age DESC", Outcome.WRONG_ANSWER, "expected"),
    ("SELEC name FROM singer", Outcome.RUNTIME_ERROR, 'syntax error at or near "SELEC"'),
    ("", Outcome.RUNTIME_ERROR, "empty query"),
    ("SELECT 1; SELECT 2", Outcome.RUNTIME_ERROR, "one statement at a time"),  # DuckDB would run both
    ("SELECT * FROM nowhere", Outcome.RUNTIME_ERROR, "nowhere does not exist"),
    ("SELECT name, age FROM singer WHERE country = 'FR' QUALIFY row_number() OVER (ORDER BY age) <= 9 ORDER BY 2",
     Outcome.PASSED, ""),  # DuckDB's own SQL
])
def test_duckdb_queries_are_judged_on_the_files_rows(duck_engine, duck_dir, query, outcome, detail) -> None:
    task = duck_task(duck_dir, "SELECT name, age FROM singer WHERE country = 'FR' ORDER BY age", "ordered")
    r = duck_engine.check(task, solution=query)
    assert [t.outcome for t in r.tests] == [outcome] and detail in r.tests[0].detail, r.tests[0].detail
    assert r.tests[0].name == "database shop.duckdb"


@pytest.mark.parametrize("attack,message", [
    ("COPY singer TO '{out}'", "file system operations are disabled"),
    ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
    ("SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled"),
    ("ATTACH '{out}' AS x", "file system operations are disabled"),
    ("EXPORT DATABASE '{out_dir}'", "file system operations are disabled"),
    ("INSTALL httpfs", "disabled"),
    ("LOAD httpfs", "disabled through configuration"),
    ("SET enable_external_access = true", "the configuration has been locked"),
    ("RESET lock_configuration", "the configuration has been locked"),
    ("DROP TABLE singer", "read-only"),
    ("UPDATE singer SET age = 0", "read-only"),
    ("DELETE FROM singer", "read-only"),
    ("CREATE TABLE pwned (x INTEGER)", "read-only"),
    ("CHECKPOINT", "expected"),  # runs (nothing to write) and returns no rows
])
@pytest.mark.parametrize("isolation", ["bwrap", "none"])
def test_duckdb_cannot_touch_host_files_extensions_or_the_fixture(duck_engine, duck_dir, tmp_path, attack, message,
                                                                  isolation) -> None:
    """In the sandbox, and without one: DuckDB's own configuration stops each of these (enable_external_access,
    no extension loading, locked configuration, a read_only connection), so the sandbox is a second wall."""
    db = duck_dir / "shop.duckdb"
    before, out = digest(db), tmp_path / "leak.csv"
    task = duck_task(duck_dir, "SELECT count(*) FROM singer")
    if isolation == "bwrap":
        r = duck_engine.check(task, solution=attack.format(out=out, out_dir=tmp_path / "exp"))
    else:
        with Engine(workers=1, isolation="none") as e:
            r = e.check(task, solution=attack.format(out=out, out_dir=tmp_path / "exp"))
    assert r.status is Status.FAILED and message in r.tests[0].detail, r.tests[0].detail
    assert digest(db) == before and not out.exists() and not (tmp_path / "exp").exists()
    assert not list(duck_dir.glob("*.wal")) and sorted(p.name for p in duck_dir.iterdir()) == ["shop.duckdb",
                                                                                              "shop.sqlite"]
    assert duck_engine.check(task, solution="SELECT count(*) FROM singer").status is Status.PASSED


def test_an_engine_whose_sandboxes_lack_duckdb_says_so_once_as_the_tasks_error(duck_dir) -> None:
    """Not a runtime_error for every candidate (a wrong answer to a trainer): the engine knows what its
    sandboxes import, and says it before any candidate runs."""
    from codereward.results import ErrorCause

    task = Task(id="d/rows", tests=SqlSuite(schema=SCHEMA, dialect="duckdb", expected=[[[3]]]))
    with Engine(workers=1) as e:  # the default packages: numpy only
        r = e.check(task, solution="SELECT count(*) FROM singer")
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "packages" in r.reason and "duckdb" in r.reason


def test_the_cli_gives_duckdb_tasks_their_package(duck_dir, tmp_path) -> None:
    import subprocess
    import sys

    task = Task(id="d/cli", reference="SELECT count(*) FROM singer WHERE country = 'FR'",
                tests=SqlSuite(dialect="duckdb", databases=[str(duck_dir / "shop.duckdb")]))
    (tmp_path / "tasks.jsonl").write_text(task.model_dump_json() + "\n")
    (tmp_path / "q.sql").write_text("SELECT count(*) FROM singer WHERE country = 'FR'")
    p = subprocess.run([sys.executable, "-m", "codereward.cli", "check", "--tasks", str(tmp_path / "tasks.jsonl"),
                        "--task", "d/cli", "--solution", str(tmp_path / "q.sql"), "--json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and json.loads(p.stdout)["status"] == "passed", (p.stdout, p.stderr)


def test_a_duckdb_schema_database_is_a_private_copy_each_time(duck_engine) -> None:
    task = Task(id="d/schema", reference="SELECT count(*) FROM singer", tests=SqlSuite(schema=SCHEMA, dialect="duckdb"))
    assert duck_engine.check(task, solution="DELETE FROM singer RETURNING id").status is Status.FAILED
    assert duck_engine.check(task, solution="CREATE TABLE t AS SELECT 1").status is Status.FAILED
    assert duck_engine.check(task, solution="SELECT count(*) FROM singer").status is Status.PASSED


def test_duckdb_runaway_queries_huge_results_and_memory_are_bounded(duck_engine, duck_dir) -> None:
    """A runaway query is stopped by the sandbox's time limit (one DuckDB thread: CPU time is wall time), a
    clean time_limit; a result is streamed, so a billion rows cost only row_limit + 1; a query past memory is
    DuckDB's own out-of-memory error (its limit is half the process's, no spilling), a memory_limit."""
    task = duck_task(duck_dir, "SELECT count(*) FROM singer", time=1.0)
    r = duck_engine.check(task, solution="SELECT count(*) FROM range(100000000) a, range(100000000) b")
    assert r.tests[0].outcome is Outcome.TIME_LIMIT and r.time < 5
    rows = Task(id="d/cap", reference="SELECT 1", tests=SqlSuite(schema=SCHEMA, row_limit=100, dialect="duckdb"))
    r = duck_engine.check(rows, solution="SELECT * FROM range(1000000000)")
    assert r.tests[0].outcome is Outcome.RUNTIME_ERROR and "more than 100 rows" in r.tests[0].detail and r.time < 5
    hungry = Task(id="d/mem", reference="SELECT 1", limits=Limits(memory_mb=512, time=10.0),
                  tests=SqlSuite(schema=SCHEMA, dialect="duckdb"))
    r = duck_engine.check(hungry, solution="SELECT list(i) FROM range(300000000) t(i)")
    assert r.tests[0].outcome is Outcome.MEMORY_LIMIT


def test_duckdb_values_are_made_plain_and_compared_as_sqlites(duck_engine) -> None:
    script = ("CREATE TABLE t (price DECIMAL(6, 2), day DATE, tags VARCHAR[], seen TIMESTAMP); INSERT INTO t VALUES "
              "(2.50, DATE '2024-02-29', ['a', 'b'], TIMESTAMP '2024-02-29 10:00:00'), (7.00, NULL, [], NULL);")
    gold = [[[2.5, "2024-02-29", ["a", "b"], "2024-02-29 10:00:00"], [7.0, None, [], None]]]
    task = Task(id="d/plain", tests=SqlSuite(schema=script, dialect="duckdb", expected=gold, compare="set"))
    assert duck_engine.check(task, solution="SELECT * FROM t").status is Status.PASSED
    paverl = Task(id="d/paverl", reference="SELECT price, day FROM t",
                  tests=SqlSuite(schema=script, dialect="duckdb", compare="paverl"))
    r = duck_engine.check(paverl, solution="SELECT price FROM t")
    assert r.tests[0].score == pytest.approx(0.5)


def test_duckdb_task_errors_name_the_file_or_the_package(duck_engine, duck_dir, tmp_path, monkeypatch) -> None:
    from codereward.judge import sqldb

    sqlite_file = Task(id="d/sqlite", reference="SELECT 1",
                       tests=SqlSuite(dialect="duckdb", databases=[str(duck_dir / "shop.sqlite")]))
    missing = Task(id="d/missing", reference="SELECT 1",
                   tests=SqlSuite(dialect="duckdb", databases=[str(duck_dir / "no.duckdb")]))
    leak = tmp_path / "schema.csv"
    script = Task(id="d/script", reference="SELECT 1",
                  tests=SqlSuite(dialect="duckdb", schema=f"CREATE TABLE t AS SELECT 1 AS a; COPY t TO '{leak}';"))
    for task, reason in [(sqlite_file, "is not a DuckDB database file (the suite's dialect is duckdb; it is an SQLite"),
                         (missing, "No such file"), (script, "the schema script fails")]:
        r = duck_engine.check(task, solution="SELECT 1")
        assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and reason in r.reason, r.reason
    assert not leak.exists()
    monkeypatch.setattr(sqldb, "_duckdb_installed", lambda: False)
    absent = Task(id="d/absent", reference="SELECT 1", tests=SqlSuite(dialect="duckdb", schema=SCHEMA))
    r = duck_engine.check(absent, solution="SELECT 1")
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK
    assert "need the Python package duckdb" in r.reason and "pip install 'codereward[duckdb]'" in r.reason
