"""Competitive-programming loaders (tasks/contests.py): CodeContests, TACO / APPS and LiveCodeBench rows in their
own formats become tasks with the right cases, splits and limits; bad rows are named by file, line and field;
and a right and a wrong program of each fixture problem are judged in real sandboxes."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import pickle
import zlib
from pathlib import Path
from typing import Any

import pytest

from codereward import Engine, InputError, Status, label_program, load_dataset
from codereward.tasks import (
    DATASETS,
    contests,  # its private parsers, tested on purpose
)
from codereward.tasks.contests import (
    SKIP_CALL,
    SKIP_NO_TESTS,
    load_apps,
    load_codecontests,
    load_livecodebench,
    load_taco,
)
from codereward.tasks.model import CallSuite, StdioSuite

ADD_CPP = "#include <bits/stdc++.h>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<\"\\n\";}\n"
ADD_PY = "a, b = map(int, input().split())\nprint(a + b)\n"


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def assert_names(err: InputError, path: Path, line: int, field: str) -> None:
    text = str(err)
    assert f"{path.name}:{line}:" in text, text
    assert f"(field '{field}')" in text, text


def lcb_compress(tests: list[dict[str, str]]) -> str:
    """LiveCodeBench's encoding of private tests (lcb_runner/benchmarks/code_generation.py, reversed)."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


@pytest.fixture(scope="module")
def engine():
    with Engine(workers=1) as e:
        yield e


# -- CodeContests ---------------------------------------------------------------------------------------------

CC_SUM = {
    "name": "1000_A. Sum", "description": "Print a + b.", "source": 2, "difficulty": 7,
    "public_tests": {"input": ["1 2\n"], "output": ["3\n"]},
    "private_tests": {"input": ["10 20\n", "4000000000 5000000000\n"], "output": ["30\n", "9000000000\n"]},
    "generated_tests": {"input": ["-5 5\n"], "output": ["0\n"]},
    "solutions": {"language": [2], "solution": [ADD_CPP]},
    "time_limit": {"seconds": 1, "nanos": 500000000}, "memory_limit_bytes": 256000000,
    "input_file": "", "output_file": "",
}


def cc_rows() -> list[Any]:
    return [
        CC_SUM,
        {**CC_SUM, "name": "1000_B. Plain limits", "time_limit": 3, "memory_limit_bytes": 268435456},
        {**CC_SUM, "name": "1000_C. No limits", "time_limit": None, "memory_limit_bytes": 0,
         "generated_tests": None},
        {**CC_SUM, "name": "1000_D. Files", "input_file": "input.txt", "output_file": "output.txt"},
        {**CC_SUM, "name": "1000_E. Untested", "public_tests": {"input": [], "output": []},
         "private_tests": {"input": [], "output": []}, "generated_tests": {"input": [], "output": []}},
    ]


def test_codecontests_cases_splits_and_limits(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="codereward.tasks.contests"):
        tasks = load_codecontests(write_jsonl(tmp_path / "cc.jsonl.gz", cc_rows()))
    assert list(tasks) == ["codecontests/1000_A. Sum", "codecontests/1000_B. Plain limits",
                           "codecontests/1000_C. No limits", "codecontests/1000_D. Files"]
    files = tasks["codecontests/1000_D. Files"].tests
    assert isinstance(files, StdioSuite) and (files.input_file, files.output_file) == ("input.txt", "output.txt")
    t = tasks["codecontests/1000_A. Sum"]
    assert t.language == "cpp17" and t.prompt is None and t.reference is None
    assert isinstance(t.tests, StdioSuite) and t.tests.comparator == "tokens"
    assert [(c.stdin, c.stdout, c.visible) for c in t.tests.cases] == [
        ("1 2\n", "3\n", True), ("10 20\n", "30\n", False), ("4000000000 5000000000\n", "9000000000\n", False),
        ("-5 5\n", "0\n", False)]
    assert (t.limits.case_time, t.limits.memory_mb) == (1.5, 256)  # {seconds, nanos}; 256000000 bytes
    b, c = tasks["codecontests/1000_B. Plain limits"], tasks["codecontests/1000_C. No limits"]
    assert (b.limits.case_time, b.limits.memory_mb) == (3.0, 256)  # a number; 2^28 bytes
    assert (c.limits.case_time, c.limits.memory_mb) == (2.0, 256)  # the fallbacks
    assert len(c.tests.cases) == 3
    assert tasks.skipped == {SKIP_NO_TESTS: 1}
    assert "skipped 1 of 5 problems" in caplog.text
    python = load_codecontests(tmp_path / "cc.jsonl.gz", "python3", case_time=5)
    assert python["codecontests/1000_A. Sum"].language == "python"
    assert python["codecontests/1000_A. Sum"].limits.case_time == 5


def test_codecontests_judged_in_cpp_and_python(tmp_path: Path, engine: Engine) -> None:
    path = write_jsonl(tmp_path / "cc.jsonl", [CC_SUM])
    task = load_codecontests(path)["codecontests/1000_A. Sum"]
    r = engine.run(task, ADD_CPP)
    assert r.status is Status.PASSED, r
    assert [t.visible for t in r.tests] == [True, False, False, False]
    assert engine.run(task, ADD_CPP.replace("a+b", "a*b")).status is Status.FAILED
    task = load_dataset("codecontests", path, language="python")["codecontests/1000_A. Sum"]
    assert engine.run(task, ADD_PY).status is Status.PASSED
    assert engine.run(task, ADD_PY.replace("a + b", "a - b")).status is Status.FAILED


@pytest.mark.parametrize("row,line_field", [
    ({**CC_SUM, "private_tests": {"input": ["1\n"], "output": [1]}}, "private_tests.output.0"),
    ({**CC_SUM, "public_tests": {"input": ["1\n", "2\n"], "output": ["1\n"]}}, "public_tests.output"),
    ({**CC_SUM, "time_limit": "fast"}, None),  # free text without a number: the fallback, no error
    ({**CC_SUM, "time_limit": [1]}, "time_limit"),
    ({**CC_SUM, "time_limit": {"seconds": -1}}, "time_limit.seconds"),
    ({**CC_SUM, "memory_limit_bytes": "lots"}, "memory_limit_bytes"),
    ({k: v for k, v in CC_SUM.items() if k != "name"}, "name"),
])
def test_codecontests_bad_rows_are_named(tmp_path: Path, row: dict[str, Any], line_field: str | None) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [CC_SUM | {"name": "ok"}, row])
    if line_field is None:
        assert load_codecontests(path)["codecontests/1000_A. Sum"].limits.case_time == 2.0
        return
    with pytest.raises(InputError) as e:
        load_codecontests(path)
    assert_names(e.value, path, 2, line_field)


def test_codecontests_duplicate_names_and_bad_json(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "dup.jsonl", [CC_SUM, CC_SUM])
    with pytest.raises(InputError, match=r"duplicate task id .*\(first on line 1\)") as e:
        load_codecontests(path)
    assert_names(e.value, path, 2, "name")
    path = write_jsonl(tmp_path / "broken.jsonl", [CC_SUM, '{"name": "x", '])
    with pytest.raises(InputError, match="broken.jsonl:2: invalid JSON"):
        load_codecontests(path)


def test_codecontests_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "test-00000-of-00001.parquet"
    rows = [cc_rows()[0], cc_rows()[2]]  # time_limit a struct or null, tests structs of lists: as the Hub's files
    pq.write_table(pa.Table.from_pylist(rows), path)
    tasks = load_codecontests(path)
    assert tasks == load_codecontests(write_jsonl(tmp_path / "cc.jsonl", rows))
    assert len(tasks) == 2
    arrow = tmp_path / "data-00000-of-00001.arrow"  # a `datasets` cache file: the IPC stream format
    table = pa.Table.from_pylist(rows)
    with pa.OSFile(str(arrow), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    assert load_codecontests(arrow) == tasks
    with pytest.raises(InputError, match="cannot read the parquet file"):
        load_codecontests(write_jsonl(tmp_path / "fake.parquet", [CC_SUM]))


# -- TACO / APPS ----------------------------------------------------------------------------------------------

TACO_STDIO = {"question": "Add two numbers.", "solutions": json.dumps([ADD_PY]), "starter_code": "",
              "input_output": json.dumps({"inputs": ["1 2\n", ["3 4"]], "outputs": ["3\n", ["7"]]}),
              "time_limit": "1.5 seconds", "memory_limit": "64 megabytes", "difficulty": "EASY"}
TACO_CALL = {"question": "Write add(a, b).", "starter_code": "def add(a, b):\n",
             "input_output": json.dumps({"inputs": [[1, 2], [3, 4]], "outputs": [[3], [7]], "fn_name": "add"}),
             "time_limit": "None", "memory_limit": None}


def test_taco_stdio_and_call_tasks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_jsonl(tmp_path / "taco.jsonl", [TACO_STDIO, TACO_CALL, {**TACO_STDIO, "input_output": ""}])
    tasks = load_taco(path)
    assert list(tasks) == ["taco/0", "taco/1"] and tasks.skipped == {SKIP_NO_TESTS: 1}
    stdio, call = tasks["taco/0"], tasks["taco/1"]
    assert isinstance(stdio.tests, StdioSuite) and stdio.language == "python"
    assert [(c.stdin, c.stdout, c.visible) for c in stdio.tests.cases] == [("1 2\n", "3\n", True),
                                                                           ("3 4", "7", True)]
    assert (stdio.limits.case_time, stdio.limits.memory_mb) == (1.5, 64)
    assert isinstance(call.tests, CallSuite) and call.entry_point == "add"
    assert [(c.args, c.expected) for c in call.tests.cases] == [([1, 2], [3]), ([3, 4], [7])]
    assert call.tests.checker is not None and call.limits.time == 5.0  # 4 s + 0.5 s a test
    with caplog.at_level(logging.WARNING, logger="codereward.tasks.contests"):
        cpp = load_taco(path, "cpp")
    assert list(cpp) == ["taco/0"] and cpp["taco/0"].language == "cpp17"
    assert cpp.skipped == {SKIP_CALL: 1, SKIP_NO_TESTS: 1}
    assert "1 function-call problems (judged in Python only)" in caplog.text


def test_taco_judged(tmp_path: Path, engine: Engine) -> None:
    tasks = load_taco(write_jsonl(tmp_path / "taco.jsonl", [TACO_STDIO, TACO_CALL]))
    assert engine.run(tasks["taco/0"], ADD_PY).status is Status.PASSED
    assert engine.run(tasks["taco/0"], "print(3)\n").status is Status.FAILED
    # APPS's comparison: the expected [3] also accepts 3, and a tuple compares as a list
    assert engine.run(tasks["taco/1"], "def add(a, b):\n    return a + b\n").status is Status.PASSED
    assert engine.run(tasks["taco/1"], "def add(a, b):\n    return (a + b,)\n").status is Status.PASSED
    assert engine.run(tasks["taco/1"], "def add(a, b):\n    return a - b\n").status is Status.FAILED


def test_apps_ids_and_dataset_names(tmp_path: Path) -> None:
    rows = [{**TACO_STDIO, "problem_id": 4000}, {**TACO_CALL, "problem_id": 4001}]
    path = write_jsonl(tmp_path / "apps.jsonl", rows)
    assert list(load_apps(path)) == ["apps/4000", "apps/4001"]
    assert list(load_dataset("APPS", path, language="java")) == ["apps/4000"]
    assert {"codecontests", "taco", "apps", "livecodebench"} <= set(DATASETS)


@pytest.mark.parametrize("io_,field", [
    ('{"inputs": [', "input_output"),
    (json.dumps([1, 2]), "input_output"),
    (json.dumps({"inputs": ["1"], "outputs": ["1", "2"]}), "input_output.outputs"),
    (json.dumps({"inputs": "1 2", "outputs": ["3"]}), "input_output.inputs"),
    (json.dumps({"inputs": [{"a": 1}], "outputs": ["3"]}), "input_output.inputs.0"),
    (json.dumps({"inputs": [1], "outputs": [1], "fn_name": "f"}), "input_output.inputs.0"),
    (json.dumps({"inputs": [[1]], "outputs": [1], "fn_name": 3}), "input_output.fn_name"),
])
def test_taco_bad_rows_are_named(tmp_path: Path, io_: str, field: str) -> None:
    path = write_jsonl(tmp_path / "taco.jsonl", [TACO_STDIO, {**TACO_STDIO, "input_output": io_}])
    with pytest.raises(InputError) as e:
        load_taco(path)
    assert_names(e.value, path, 2, field)


# -- LiveCodeBench --------------------------------------------------------------------------------------------

LCB_STDIN = {
    "question_title": "Product", "question_content": "Print a * b.", "platform": "atcoder",
    "question_id": "abc999_a", "contest_id": "abc999", "contest_date": "2024-01-01T00:00:00", "starter_code": "",
    "difficulty": "easy",
    "public_test_cases": json.dumps([{"input": "2 3\n", "output": "6\n", "testtype": "stdin"}]),
    "private_test_cases": lcb_compress([{"input": "4 5\n", "output": "20\n", "testtype": "stdin"},
                                        {"input": "100000 100000\n", "output": "10000000000\n", "testtype": "stdin"}]),
    "metadata": "{}",
}
LCB_FUNCTIONAL = {
    "question_title": "Scale", "question_content": "Multiply each number by k.", "platform": "leetcode",
    "question_id": "2999", "contest_id": "weekly-contest-999", "contest_date": "2024-01-01T00:00:00",
    "starter_code": "class Solution:\n    def scale(self, nums: List[int], k: int) -> List[int]:\n        ",
    "difficulty": "easy",
    "public_test_cases": json.dumps([{"input": "[1, 2, 3]\n2", "output": "[2, 4, 6]", "testtype": "functional"}]),
    "private_test_cases": json.dumps([{"input": "[]\n5", "output": "[]", "testtype": "functional"},
                                      {"input": "[-1]\n3", "output": "[-3]", "testtype": "functional"}]),
    "metadata": json.dumps({"func_name": "scale"}),
}
PRODUCT_PY = "def main():\n    a, b = map(int, input().split())\n    print(a * b)\n\n\n" \
             "if __name__ == '__main__':\n    main()\n"
SCALE_PY = ("from typing import List\n\n\nclass Solution:\n"
            "    def scale(self, nums: List[int], k: int) -> List[int]:\n        return [x * k for x in nums]\n")


def test_livecodebench_stdin_and_functional(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "test5.jsonl", [LCB_STDIN, LCB_FUNCTIONAL])
    tasks = load_livecodebench(path)
    assert list(tasks) == ["lcb/abc999_a", "lcb/2999"] and tasks.skipped == {}
    stdin, functional = tasks["lcb/abc999_a"], tasks["lcb/2999"]
    assert isinstance(stdin.tests, StdioSuite) and stdin.limits.case_time == 6.0
    assert [(c.stdin, c.stdout, c.visible) for c in stdin.tests.cases] == [
        ("2 3\n", "6\n", True), ("4 5\n", "20\n", False), ("100000 100000\n", "10000000000\n", False)]
    assert isinstance(functional.tests, CallSuite) and functional.entry_point == "scale"
    assert [(c.args, c.expected, c.visible) for c in functional.tests.cases] == [
        ([[1, 2, 3], 2], [2, 4, 6], True), ([[], 5], [], False), ([[-1], 3], [-3], False)]
    assert functional.language == "python" and functional.limits.time == 7.5  # 6 s + 0.5 s a test
    cpp = load_dataset("livecodebench", path, language="c++20")
    assert list(cpp) == ["lcb/abc999_a"] and cpp["lcb/abc999_a"].language == "cpp20"
    assert cpp.skipped == {SKIP_CALL: 1}  # type: ignore[attr-defined]
    assert load_livecodebench(path, case_time=2)["lcb/abc999_a"].limits.case_time == 2


def test_livecodebench_judged(tmp_path: Path, engine: Engine) -> None:
    tasks = load_livecodebench(write_jsonl(tmp_path / "lcb.jsonl", [LCB_STDIN, LCB_FUNCTIONAL]))
    stdin, functional = tasks["lcb/abc999_a"], tasks["lcb/2999"]
    assert engine.run(stdin, PRODUCT_PY).status is Status.PASSED
    assert engine.run(stdin, PRODUCT_PY.replace("a * b", "a + b")).status is Status.FAILED
    # LeetCode's starter code is a class: label_program calls Solution().scale, as for training labels
    assert engine.run(functional, label_program(functional, SCALE_PY)).status is Status.PASSED
    wrong = SCALE_PY.replace("x * k", "x + k")
    assert engine.run(functional, label_program(functional, wrong)).status is Status.FAILED


class _Exploit:
    def __reduce__(self) -> tuple[Any, ...]:
        import os

        return (os.system, ("touch pwned",))


def test_livecodebench_compressed_tests_never_run_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    evil = base64.b64encode(zlib.compress(pickle.dumps(_Exploit()))).decode()
    path = write_jsonl(tmp_path / "lcb.jsonl", [LCB_STDIN, {**LCB_STDIN, "question_id": "x",
                                                              "private_test_cases": evil}])
    with pytest.raises(InputError, match="refusing to load") as e:
        load_livecodebench(path)
    assert_names(e.value, path, 2, "private_test_cases")
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("change,field", [
    ({"public_test_cases": "[{\"input\": "}, "public_test_cases"),
    ({"private_test_cases": "not base64 at all!"}, "private_test_cases"),
    ({"private_test_cases": json.dumps([{"input": "1", "output": 1}])}, "private_test_cases.0.output"),
    ({"private_test_cases": json.dumps({"input": "1"})}, "private_test_cases"),
    ({"metadata": "{"}, "metadata"),
    ({"metadata": json.dumps({"func_name": "not a name"})}, "metadata.func_name"),
    ({"question_id": None}, "question_id"),
    ({"public_test_cases": json.dumps([{"input": "1", "output": "1", "testtype": "functional"}])},
     "public_test_cases.0"),
])
def test_livecodebench_bad_rows_are_named(tmp_path: Path, change: dict[str, Any], field: str) -> None:
    path = write_jsonl(tmp_path / "lcb.jsonl", [LCB_STDIN, {**LCB_STDIN, "question_id": "b", **change}])
    with pytest.raises(InputError) as e:
        load_livecodebench(path)
    assert_names(e.value, path, 2, field)


def test_functional_input_that_is_not_json(tmp_path: Path) -> None:
    bad = json.dumps([{"input": "[1, 2\n2", "output": "[2]", "testtype": "functional"}])
    path = write_jsonl(tmp_path / "lcb.jsonl", [{**LCB_FUNCTIONAL, "public_test_cases": bad}])
    with pytest.raises(InputError, match="not JSON") as e:
        load_livecodebench(path)
    assert_names(e.value, path, 1, "public_test_cases.0.input")


# -- limits from free text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,seconds", [("2 seconds", 2.0), ("1.5 s", 1.5), ("500 ms", 0.5), ("3", 3.0),
                                          ("1 second per test", 1.0), ("None", None), ("0 seconds", None)])
def test_time_limit_text(text: str, seconds: float | None) -> None:
    assert contests._seconds_text(text) == seconds


@pytest.mark.parametrize("text,mb", [("256 megabytes", 256), ("256.0 megabytes", 256), ("64 MB", 64), ("1 GB", 1024),
                                     ("262144 KB", 256), ("512", 512), ("None", None)])
def test_memory_limit_text(text: str, mb: int | None) -> None:
    assert contests._megabytes_text(text) == mb


def test_memory_limit_bytes() -> None:
    assert [contests._bytes_to_mb(n) for n in (256000000, 268435456, 64 * 10**6, 1)] == [256, 256, 64, 1]


# -- load_dataset ---------------------------------------------------------------------------------------------


def test_load_dataset_language_and_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--data-file"):
        load_dataset("livecodebench")
    with pytest.raises(InputError, match="unknown language 'cobol'") as e:
        load_dataset("taco", write_jsonl(tmp_path / "t.jsonl", [TACO_STDIO]), language="cobol")
    assert e.value.field == "language"
    with pytest.raises(InputError, match="'humaneval' is python only") as e:
        load_dataset("humaneval", language="cpp17")
    assert e.value.field == "--language"
    assert len(load_dataset("humaneval", language="Python3")) == 164
    with pytest.raises(InputError, match="sql only"):
        load_dataset("spider", tmp_path / "dev.json", language="python")
