"""Competitive-programming loaders (tasks/contests/): CodeContests, TACO / APPS and LiveCodeBench rows in their
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

from codereward import Engine, InputError, Outcome, Status, label_program, load_dataset, score
from codereward.tasks import (
    DATASETS,
    contests,  # its private parsers, tested on purpose
)
from codereward.tasks.contests import (
    SKIP_CALL,
    SKIP_CF_CHECKER,
    SKIP_COMMONOJ_FILES,
    SKIP_COMMONOJ_FORMAT,
    SKIP_INTERACTIVE,
    SKIP_IOI_GRADER,
    SKIP_IOI_LANGUAGE,
    SKIP_IOI_TESTS,
    SKIP_IOI_TYPE,
    SKIP_NO_TESTS,
    cf_checker,
    load_apps,
    load_codecontests,
    load_commonoj,
    load_livecodebench,
    load_open_r1_codeforces,
    load_open_r1_ioi,
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


# -- open-r1/codeforces ---------------------------------------------------------------------------------------

# A generated_checker in the dataset's style: `python3 checker.py <input> <correct output> <solution output>`,
# printing 1 or 0. Any two positive integers summing to n are right, whatever the jury's answer.
SPLIT_CHECKER = """import sys


def main():
    n = int(open(sys.argv[1]).read().split()[0])
    jury = open(sys.argv[2]).read().split()
    assert len(jury) == 2
    words = open(sys.argv[3]).read().split()
    if len(words) != 2 or not all(w.isdigit() for w in words):
        print(0)
        return
    a, b = map(int, words)
    print(1 if a > 0 and b > 0 and a + b == n else 0)


if __name__ == "__main__":
    main()
"""
CF_SPLIT = {
    "id": "1/A", "contest_id": "1", "index": "A", "title": "Split", "time_limit": 1.0, "memory_limit": 64.0,
    "description": "Print two positive integers whose sum is n.", "input_mode": "stdio", "interaction_format": None,
    "examples": [{"input": "5\n", "output": "2 3\n"}],
    "official_tests": [{"input": "5\r\n", "output": "2 3\r\n"}, {"input": "1000000\r\n", "output": "1 999999\r\n"}],
    "official_tests_complete": True, "generated_checker": SPLIT_CHECKER, "executable": True,
}
CF_PARITY = {  # no checker: the Piston package's own comparison (YES/NO in any case)
    **CF_SPLIT, "id": "1/B", "index": "B", "title": "Parity", "generated_checker": None, "memory_limit": 256.0,
    "examples": [], "official_tests": [{"input": "4\n", "output": "YES\n"}, {"input": "7\n", "output": "NO\n"}],
}
CF_FILES = {**CF_PARITY, "id": "2/A", "input_mode": "file", "time_limit": None, "memory_limit": None}
SPLIT_PY = "n = int(input())\nprint(1, n - 1)\n"  # not the jury's answer, and right
SPLIT_CPP = "#include <cstdio>\nint main(){long long n;std::scanf(\"%lld\",&n);std::printf(\"%lld 1\\n\",n-1);}\n"
PARITY_PY = "print('Yes' if int(input()) % 2 == 0 else 'no')\n"


def cf_rows() -> list[Any]:
    return [
        CF_SPLIT, CF_PARITY, CF_FILES,
        {**CF_PARITY, "id": "3/A", "interaction_format": "Ask at most 20 queries '? x'."},
        {**CF_PARITY, "id": "3/B", "official_tests": []},
        {**CF_SPLIT, "id": "3/C", "generated_checker": "def main(:\n"},
    ]


def test_open_r1_codeforces_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CF_TESTS_FOLDER", raising=False)
    tasks = load_open_r1_codeforces(write_jsonl(tmp_path / "cf.jsonl", cf_rows()))
    assert list(tasks) == ["cf/1/A", "cf/1/B", "cf/2/A"]
    assert tasks.skipped == {SKIP_INTERACTIVE: 1, SKIP_NO_TESTS: 1, SKIP_CF_CHECKER: 1}
    split = tasks["cf/1/A"]
    assert split.language == "cpp17" and isinstance(split.tests, StdioSuite)
    # a CR at line ends goes from inputs (the Piston package strips them); the example's input is visible
    assert [(c.stdin, c.stdout, c.visible) for c in split.tests.cases] == [
        ("5\n", "2 3\r\n", True), ("1000000\n", "1 999999\r\n", False)]
    assert (split.limits.case_time, split.limits.memory_mb) == (1.0, 64)
    assert split.tests.checker == cf_checker(SPLIT_CHECKER) and split.limits.time >= 10
    parity = tasks["cf/1/B"].tests
    assert isinstance(parity, StdioSuite) and parity.checker is None and parity.comparator == "open_r1_codeforces"
    files = tasks["cf/2/A"]
    assert isinstance(files.tests, StdioSuite)
    assert (files.tests.input_file, files.tests.output_file) == ("input.txt", "output.txt")
    assert (files.limits.case_time, files.limits.memory_mb) == (2.0, 256)  # the fallbacks
    python = load_dataset("codeforces", tmp_path / "cf.jsonl", language="python3")
    assert python["cf/1/A"].language == "python" and len(python) == 3


def test_open_r1_codeforces_judged(tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CF_TESTS_FOLDER", raising=False)
    tasks = load_open_r1_codeforces(write_jsonl(tmp_path / "cf.jsonl", cf_rows()), "python")
    split = tasks["cf/1/A"]
    assert engine.run(split, SPLIT_PY).status is Status.PASSED  # the checker accepts any valid answer
    r = engine.run(split, "n = int(input())\nprint(0, n)\n")
    assert r.status is Status.FAILED and all(t.outcome.value == "wrong_answer" for t in r.tests)
    r = engine.run(split, "print('many words here')\n")  # the checker's own exit status: wrong answer
    assert r.status is Status.FAILED
    assert engine.run(split.in_language("cpp"), SPLIT_CPP).status is Status.PASSED
    assert engine.run(tasks["cf/1/B"], PARITY_PY).status is Status.PASSED  # "Yes" for YES, "no" for NO
    assert engine.run(tasks["cf/1/B"], PARITY_PY.replace("== 0", "== 1")).status is Status.FAILED
    in_files = "n = int(open('input.txt').read())\nopen('output.txt', 'w').write('YES' if n % 2 == 0 else 'NO')\n"
    assert engine.run(tasks["cf/2/A"], in_files).status is Status.PASSED
    assert engine.run(tasks["cf/2/A"], PARITY_PY).status is Status.FAILED  # stdout is not the answer


def run_checker(source: str, stdin: str, output: str, expected: str) -> bool:
    ns: dict[str, Any] = {}
    exec(cf_checker(source), ns)
    result: bool = ns["check_output"](stdin, output, expected)
    return result


def test_cf_checker_sees_what_the_piston_package_writes() -> None:
    """The files as the run script leaves them: the expected output through `$(cat)` + `echo`, then without
    a CR at line ends or empty lines; the program's output without empty lines. Arguments: input, answer,
    output. Passing: exit status 0 and "1" or "100" printed."""
    seen = ("import sys\nfiles = [open(p).read() for p in sys.argv[1:]]\n"
            "print(1 if files == {files!r} else 0)\n")
    expect = ["5\n", "2 3\nx\n", "2\n 3"]
    assert run_checker(seen.format(files=expect), "5\n", "\n2\n\n 3", "\r\n2 3\r\n\nx\n\n\n")
    assert not run_checker(seen.format(files=expect), "5\n", "2\n 3\n", "2 3\nx")
    assert run_checker(seen.format(files=["", "", ""]), "", "", "-n")  # `echo "-n"` prints nothing
    assert run_checker("print(' 100 ')", "", "", "")
    assert not run_checker("print('1.0')", "", "", "")
    assert not run_checker("import sys\nprint(1)\nsys.exit(3)", "", "", "")
    assert run_checker("import sys\nprint(1)\nsys.exit(0)", "", "", "")
    assert run_checker("print(1)\nexit()", "", "", "")
    with pytest.raises(ValueError):  # python3 would exit 1: the test fails, the detail says why
        run_checker("import sys\nint(open(sys.argv[3]).read())", "", "x", "")


def test_open_r1_codeforces_generated_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    folder = tmp_path / "generated_tests"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist([
        {"problem_id": "1/A", "input": "7\n", "output": "3 4\n", "test_case_i": 0},
        {"problem_id": "1/C", "input": "1\n", "output": "1\n", "test_case_i": 0},
        {"problem_id": "1/A", "input": "9\r\n", "output": "4 5\n", "test_case_i": 1},
    ]), folder / "test_cases_0001.parquet")
    rows = write_jsonl(tmp_path / "cf.jsonl", [CF_SPLIT, {**CF_PARITY, "official_tests": []}, CF_FILES])
    tasks = load_open_r1_codeforces(rows, tests_folder=folder)
    split = tasks["cf/1/A"].tests
    assert isinstance(split, StdioSuite)
    assert [(c.stdin, c.visible) for c in split.cases] == [
        ("5\n", True), ("1000000\n", False), ("7\n", False), ("9\n", False)]
    assert list(tasks) == ["cf/1/A", "cf/2/A"] and tasks.skipped == {SKIP_NO_TESTS: 1}  # contest 2: no file
    monkeypatch.setenv("CF_TESTS_FOLDER", str(folder))  # open-r1's variable is the default
    assert load_open_r1_codeforces(rows) == tasks
    assert load_dataset("open-r1-codeforces", rows, tests=folder) == tasks
    monkeypatch.delenv("CF_TESTS_FOLDER")
    pq.write_table(pa.Table.from_pylist([{"problem_id": "1/A", "input": "7\n", "output": None}]),
                   folder / "test_cases_0001.parquet")
    with pytest.raises(InputError) as e:
        load_open_r1_codeforces(rows, tests_folder=folder)
    assert_names(e.value, folder / "test_cases_0001.parquet", 1, "output")
    with pytest.raises(InputError, match="not a directory"):
        load_open_r1_codeforces(rows, tests_folder=tmp_path / "nowhere")


@pytest.mark.parametrize("change,field", [
    ({"id": "1A"}, "id"),
    ({"id": None}, "id"),
    ({"official_tests": {"input": "1"}}, "official_tests"),
    ({"official_tests": [{"input": "1\n", "output": 1}]}, "official_tests.0.output"),
    ({"examples": ["1"]}, "examples.0"),
    ({"input_mode": "pipe"}, "input_mode"),
    ({"time_limit": "2 seconds"}, "time_limit"),
    ({"memory_limit": -1}, "memory_limit"),
    ({"generated_checker": 1}, "generated_checker"),
])
def test_open_r1_codeforces_bad_rows_are_named(tmp_path: Path, change: dict[str, Any], field: str) -> None:
    path = write_jsonl(tmp_path / "cf.jsonl", [CF_SPLIT, {**CF_SPLIT, "id": "9/Z", **change}])
    with pytest.raises(InputError) as e:
        load_open_r1_codeforces(path)
    assert_names(e.value, path, 2, field)


# -- open-r1/ioi ----------------------------------------------------------------------------------------------

IOI_CONFIG = json.dumps({"code": "mult", "name": "Multiply", "time_limit": 1.0, "memory_limit": 268435456,
                         "task_type": "Batch"})


def ioi_row(subtask: str, score: int, test_names: list[str], **extra: Any) -> dict[str, Any]:
    return {"year": 2099, "day": "day1", "id": "mult", "name": "Multiply", "subtask": subtask, "score": score,
            "score_precision": 2, "time_limit": 1.0, "memory_limit": 268435456, "task_type": "Batch",
            "test_names": test_names, "statement": "Print a * b.", "starting_code": "",
            "grader_files": [["graders/grader_config.json", IOI_CONFIG], ["graders/notes.txt", ""]], **extra}


IOI_ROWS = [  # two subtasks with points; the examples' subtask is worth none; test 1-01 is in both
    ioi_row("00-samples", 0, ["0-01"]),
    ioi_row("01-small", 30, ["1-01", "1-02"]),
    ioi_row("02-full", 70, ["1-01", "2-01", "2-02"]),
]
IOI_TESTS = [{"year": 2099, "day": "day1", "problem_name": "Multiply", "problem_id": "mult", "test_name": name,
              "test_input": f"{a} {b}\n", "test_output": f"{a * b}\n"}
             for name, a, b in [("0-01", 2, 3), ("1-01", 4, 5), ("1-02", 10, 10), ("2-01", 123456, 654321),
                                ("2-02", 10**9, 10**9), ("9-99", 0, 0)]]
MULT_PY = "a, b = map(int, input().split())\nprint(a * b, ' ')\n"  # trailing space: diff -b ignores it
MULT_SMALL_PY = "a, b = map(int, input().split())\nprint(a * b if a * b <= 100 else -1)\n"


def ioi_other_rows() -> list[dict[str, Any]]:
    def other(pid: str, **change: Any) -> dict[str, Any]:
        return {**ioi_row("01-all", 100, ["t1"]), "id": pid, **change}

    headless = [["graders/grader.cpp", "int main() {}"], ["graders/testlib.h", ""]]
    return [
        other("inrow", test_cases={"t1": ["6 7\n", "42\n"]}),
        other("headless", grader_files=headless),  # no <problem>.h: cms_ioi cannot name the program
        other("checked", grader_files=[["checker/checker.cpp", "int main() {}"]]),  # no tests for it
        other("talk", task_type="Communication"),
        other("typeless", task_type=None, grader_files=[["graders/grader_config.json", '{"task_type": "OutputOnly"}']]),
        other("untested"),
    ]


def test_open_r1_ioi_problems_and_subtasks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = write_jsonl(tmp_path / "ioi.jsonl", IOI_ROWS + ioi_other_rows())
    tests = write_jsonl(tmp_path / "ioi-test-cases.jsonl", IOI_TESTS)
    with caplog.at_level(logging.WARNING, logger="codereward.tasks.contests"):
        tasks = load_open_r1_ioi(rows, tests=tests)
    assert list(tasks) == ["ioi/2099/mult", "ioi/2099/inrow"]
    assert tasks.skipped == {SKIP_IOI_GRADER: 1, SKIP_IOI_TYPE: 2, SKIP_IOI_TESTS: 2}
    assert "skipped 5 of 7 problems" in caplog.text
    t = tasks["ioi/2099/mult"]
    assert isinstance(t.tests, StdioSuite) and t.tests.subtasks is not None
    assert [(c.stdin, c.visible) for c in t.tests.cases] == [
        ("2 3\n", True), ("4 5\n", False), ("10 10\n", False), ("123456 654321\n", False),
        ("1000000000 1000000000\n", False)]
    assert [(s.name, s.points, s.tests) for s in t.tests.subtasks] == [("01-small", 30, [1, 2]),
                                                                     ("02-full", 70, [1, 3, 4])]
    assert (t.language, t.limits.case_time, t.limits.memory_mb) == ("cpp17", 1.0, 256)  # 2^28 bytes
    assert load_open_r1_ioi(rows, "python", tests=tests, case_time=3)["ioi/2099/mult"].limits.case_time == 3
    # without the tests file only the problem carrying its tests in its rows is judged
    alone = load_dataset("ioi", rows, language="python")
    assert list(alone) == ["ioi/2099/inrow"] and alone.skipped[SKIP_IOI_TESTS] == 3  # type: ignore[attr-defined]
    assert list(load_dataset("open-r1-ioi", rows, tests=tests)) == list(tasks)


def test_open_r1_ioi_judged_by_subtask(tmp_path: Path, engine: Engine) -> None:
    rows = write_jsonl(tmp_path / "ioi.jsonl", IOI_ROWS + ioi_other_rows()[:1])
    tasks = load_open_r1_ioi(rows, "python", tests=write_jsonl(tmp_path / "tests.jsonl", IOI_TESTS))
    task = tasks["ioi/2099/mult"]
    right = engine.run(task, MULT_PY)
    assert right.status is Status.PASSED and score([right], "subtasks") == [1.0]
    partial = engine.run(task, MULT_SMALL_PY)  # right on the small subtask only
    assert partial.status is Status.FAILED
    assert [(s.name, s.score) for s in partial.subtasks or ()] == [("01-small", 1.0), ("02-full", 0.0)]
    assert score([partial], "subtasks") == [0.3]
    wrong = engine.run(task, "print(0)\n")
    assert score([wrong], "subtasks") == [0.0]
    inrow = tasks["ioi/2099/inrow"]
    assert engine.run(inrow, "print(42)\n").status is Status.PASSED
    assert engine.run(inrow, "print(4, 2)\n").status is Status.FAILED  # diff -b: "4 2" is not "42"


# A function-interface problem in the release's layout (IOI 2020-2024): the program implements
# `long long closest(int K, std::vector<int> A)` (the sum of two elements closest to K, at most K), compiled with
# graders/grader.cpp and graders/closest.h; checker/checker.cpp speaks CMS's protocol and gives half the points
# for an answer of the right parity (IOI's partial scoring), reading a secret first line as IOI graders print.
CLOSEST_H = "#include <vector>\nlong long closest(int K, std::vector<int> A);\n"
CLOSEST_GRADER = r"""#include "closest.h"
#include <cstdio>
#include <vector>
int main() {
    int N, K;
    if (scanf("%d %d", &N, &K) != 2) return 1;
    std::vector<int> A(N);
    for (int& a : A) scanf("%d", &a);
    long long r = closest(K, A);
    printf("secret-7f3a\n%lld\n", r);
}
"""
CLOSEST_CHECKER = r"""#include "messages.h"
#include <fstream>
#include <iostream>
#include <string>
int main(int argc, char** argv) {
    if (argc < 4) return 1;
    std::ifstream in(argv[1]), ans(argv[2]), out(argv[3]);  // CMS: input, correct output, contestant's
    std::string secret, got_secret; long long want, got;
    ans >> secret >> want;
    if (!(out >> got_secret >> got) || got_secret != secret) {
        std::cout << 0 << std::endl; std::cerr << WRONG; return 0;
    }
    if (got == want) { std::cout << 1 << std::endl; std::cerr << OK; }
    else if ((got - want) % 2 == 0) { std::cout << 0.5 << std::endl; std::cerr << PARTIAL; }
    else { std::cout << 0 << std::endl; std::cerr << WRONG; }
}
"""
CLOSEST_MESSAGES = ('#define OK "translate:success"\n#define PARTIAL "translate:partial"\n'
                    '#define WRONG "translate:wrong"\n')
CLOSEST_RIGHT = """long long closest(int K, vector<int> A) {
    long long best = -1;
    for (size_t i = 0; i < A.size(); i++)
        for (size_t j = i + 1; j < A.size(); j++)
            if (A[i] + A[j] <= K) best = max(best, (long long)A[i] + A[j]);
    return best;
}
"""


def closest_rows() -> list[dict[str, Any]]:
    config = json.dumps({"code": "closest", "task_type": "Batch", "time_limit": 1.0, "memory_limit": 268435456})
    files = [["graders/grader_config.json", config], ["graders/grader.cpp", CLOSEST_GRADER],
             ["graders/closest.h", CLOSEST_H], ["graders/closest.cpp", "// the contestants' stub\n"],
             ["checker/checker.cpp", CLOSEST_CHECKER], ["checker/messages.h", CLOSEST_MESSAGES]]
    cases = {"s": ("3 10\n1 2 3\n", "secret-7f3a\n5\n"), "a": ("4 9\n5 1 3 7\n", "secret-7f3a\n8\n"),
             "b": ("3 3\n2 2 5\n", "secret-7f3a\n-1\n"), "c": ("5 100\n40 30 20 60 2\n", "secret-7f3a\n100\n")}

    def row(subtask: str, points: int, names: list[str]) -> dict[str, Any]:
        return {**ioi_row(subtask, points, names), "id": "closest", "grader_files": files,
                "test_cases": {n: list(cases[n]) for n in names}}

    return [row("00-samples", 0, ["s"]), row("01-small", 40, ["s", "a"]), row("02-full", 60, ["a", "b", "c"])]


def test_open_r1_ioi_function_problems_compile_with_the_grader_and_the_cms_checker_scores(
        tmp_path: Path, engine: Engine) -> None:
    rows = write_jsonl(tmp_path / "ioi.jsonl", closest_rows())
    task = load_open_r1_ioi(rows)["ioi/2099/closest"]
    assert isinstance(task.tests, StdioSuite) and task.tests.grader is not None
    assert task.tests.grader.name == "closest" and "closest.cpp" not in task.tests.grader.files
    assert task.tests.checker_program is not None and task.tests.checker_program.protocol == "cms"
    right = engine.run(task, CLOSEST_RIGHT)  # open-r1's add_includes: <bits/stdc++.h>, using namespace std
    assert right.status is Status.PASSED, right.tests
    assert score([right], "subtasks") == [1.0]
    off_by_two = CLOSEST_RIGHT.replace("return best;", "return best == 100 ? 98 : best;")
    half = engine.run(task, off_by_two)  # case c: the right parity, half its points
    assert [t.score for t in half.tests] == [None, None, None, 0.5]
    assert "partial" in (half.tests[3].detail or "") and "translate" not in (half.tests[3].detail or "")
    assert score([half], "subtasks") == [pytest.approx(0.4 + 0.6 * 0.5)]
    wrong = engine.run(task, CLOSEST_RIGHT.replace("return best;", "return best + 1;"))
    assert score([wrong], "subtasks") == [0.0] and {t.outcome for t in wrong.tests} == {Outcome.WRONG_ANSWER}
    own_main = "long long closest(int K, std::vector<int> A) { return 0; }\nint main() { puts(\"secret-7f3a\\n5\"); }\n"
    r = engine.run(task, own_main)  # a main of its own clashes with the grader's: it does not link
    assert {t.outcome for t in r.tests} == {Outcome.COMPILE_ERROR}
    assert load_open_r1_ioi(rows, "python").skipped == {SKIP_IOI_LANGUAGE: 1}
    from pydantic import ValidationError

    from codereward.tasks.model import CheckerProgram

    assert "protocol" not in CheckerProgram(source="x").model_dump()  # testlib tasks keep their digests
    with pytest.raises(ValidationError, match="interactor speaks testlib"):
        StdioSuite(cases=[], interactor={"source": "x", "protocol": "cms"})
    with pytest.raises(ValidationError, match="grader is C"):
        task.in_language("java")


def test_a_cms_checker_that_prints_no_score_is_the_tasks_error(tmp_path: Path, engine: Engine) -> None:
    from codereward.results import ErrorCause

    rows = closest_rows()
    for row in rows:
        row["grader_files"] = [f if f[0] != "checker/checker.cpp" else [f[0], "int main() { return 0; }"]
                               for f in row["grader_files"]]
    task = load_open_r1_ioi(write_jsonl(tmp_path / "ioi.jsonl", rows))["ioi/2099/closest"]
    r = engine.run(task, CLOSEST_RIGHT)
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "no score" in r.reason
    for row in rows:  # exit status 1 is testlib's wrong answer, but to CMS the checker's own failure
        row["grader_files"] = [f if f[0] != "checker/checker.cpp" else [f[0], "int main() { return 1; }"]
                               for f in row["grader_files"]]
    task = load_open_r1_ioi(write_jsonl(tmp_path / "ioi1.jsonl", rows))["ioi/2099/closest"]
    r = engine.run(task, CLOSEST_RIGHT)
    assert r.status is Status.ERROR and r.cause is ErrorCause.TASK and "exited with 1" in r.reason, r


def test_the_cli_reads_ioi_test_cases_from_their_own_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    rows = write_jsonl(tmp_path / "ioi.jsonl", IOI_ROWS)
    cases = write_jsonl(tmp_path / "ioi-test-cases.jsonl", IOI_TESTS)
    samples = write_jsonl(tmp_path / "samples.jsonl", [{"task_id": "ioi/2099/mult", "solution": MULT_PY},
                                                       {"task_id": "ioi/2099/mult", "solution": MULT_SMALL_PY}])
    cli = [sys.executable, "-m", "codereward.cli", "eval", "--dataset", "ioi", "--data-file", str(rows),
           "--language", "python", "--samples", str(samples), "--reward", "subtasks", "--json"]
    p = subprocess.run([*cli, "--test-cases", str(cases)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(line) for line in (tmp_path / "samples.jsonl_results.jsonl").read_text().splitlines()]
    assert [line["reward"] for line in lines] == [1.0, 0.3]
    p = subprocess.run(cli, capture_output=True, text=True, timeout=300)  # without them: no task to judge
    assert p.returncode == 2 and "ioi/2099/mult" in p.stderr


def ioi_diff(output: str, expected: str) -> bool:
    ns: dict[str, Any] = {}
    exec(contests._IOI_DIFF_CHECKER, ns)
    result: bool = ns["check_output"]("", output, expected)
    return result


@pytest.mark.parametrize("output,expected,same", [  # each checked with GNU diff -bq
    ("1 2\n", "1  2\n\n\n", True), ("1 2", "1 2\n", True), ("1\t2 \r\n", "1 2\n", True), ("12\n", "1 2\n", False),
    (" 1\n", "1\n", False), ("1\n\n2\n", "1\n2\n", False), ("1\n\n", "1\n", False), ("1\n \n", "1\n", False),
    ("", "-n", True), ("\n", "-e", True),
])
def test_ioi_comparison_is_diff_b(output: str, expected: str, same: bool) -> None:
    assert ioi_diff(output, expected) is same


@pytest.mark.parametrize("change,field", [
    ({"score": -1}, "score"),
    ({"score": "ten"}, "score"),
    ({"test_names": "1-01"}, "test_names"),
    ({"test_names": [1]}, "test_names.0"),
    ({"test_names": []}, "test_names"),
    ({"subtask": "01-small"}, "subtask"),
    ({"test_cases": [["1\n", "1\n"], ["2\n", "2\n"]]}, "test_cases"),
    ({"test_cases": {"3-01": ["1\n"]}}, "test_cases.3-01"),
    ({"grader_files": [["graders/x.h"]]}, "grader_files.0"),
    ({"task_type": 3}, "task_type"),
    ({"memory_limit": "1 GB"}, "memory_limit"),
    ({"year": [2099]}, "year"),
])
def test_open_r1_ioi_bad_rows_are_named(tmp_path: Path, change: dict[str, Any], field: str) -> None:
    bad = {**ioi_row("03-more", 10, ["3-01"]), **change}
    path = write_jsonl(tmp_path / "ioi.jsonl", [*IOI_ROWS[:2], bad])
    with pytest.raises(InputError) as e:
        load_open_r1_ioi(path)
    assert_names(e.value, path, 3, field)


def test_open_r1_ioi_bad_test_rows_are_named(tmp_path: Path) -> None:
    rows = write_jsonl(tmp_path / "ioi.jsonl", IOI_ROWS)
    tests = write_jsonl(tmp_path / "tests.jsonl", [IOI_TESTS[0], {**IOI_TESTS[1], "test_input": None}])
    with pytest.raises(InputError) as e:
        load_open_r1_ioi(rows, tests=tests)
    assert_names(e.value, tests, 2, "test_input")


def test_open_r1_ioi_parquet_tests(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows, tests = tmp_path / "test-00000-of-00001.parquet", tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(IOI_ROWS), rows)
    pq.write_table(pa.Table.from_pylist(IOI_TESTS), tests)
    expected = load_open_r1_ioi(write_jsonl(tmp_path / "ioi.jsonl", IOI_ROWS),
                                tests=write_jsonl(tmp_path / "tests.jsonl", IOI_TESTS))
    assert load_open_r1_ioi(rows, tests=tests) == expected


# -- SandboxFusion CommonOJ -----------------------------------------------------------------------------------

def oj_test(stdin: str, stdout: str) -> dict[str, Any]:
    return {"input": {"stdin": stdin}, "output": {"stdout": stdout}}


OJ_EVEN = {"id": 7, "content": "Print YES if n is even, else NO.", "labels": {"problem_format": "Standard"},
           "test": [oj_test("4\n", "YES\n"), oj_test("7\n", "NO\n"), oj_test("0\n", "YES")],
           "canonical_solution": {"python": ["print('YES' if int(input()) % 2 == 0 else 'NO')"]}}
OJ_FILES = {**OJ_EVEN, "id": "files",
            "test": [{"input": {"in.txt": "4\n"}, "output": {"out.txt": "YES\n"}},
                     {"input": {"stdin": "7\n", "in.txt": "7\n"}, "output": {"out.txt": "NO\n"}}]}
EVEN_PY = "print('yes' if int(input()) % 2 == 0 else 'no')\n"  # SandboxFusion lower-cases both sides


def oj_rows() -> list[Any]:
    return [
        OJ_EVEN,
        # SandboxFusion keeps labels and test as JSON text in its tables
        {**OJ_EVEN, "id": 8, "labels": json.dumps(OJ_EVEN["labels"]), "test": json.dumps(OJ_EVEN["test"])},
        OJ_FILES,
        {**OJ_EVEN, "id": 9, "labels": {"problem_format": "Testlib"}},
        {**OJ_EVEN, "id": 10, "test": []},
        {**OJ_EVEN, "id": 11, "test": [{"input": {"a.txt": "1", "b.txt": "2"}, "output": {"stdout": "3"}}]},
        {**OJ_EVEN, "id": 12, "test": [{"input": {"stdin": "1"}, "output": {"stdout": "1", "out.txt": "1"}}]},
        {**OJ_EVEN, "id": 13, "test": [{"input": {"stdin": "1", "in.txt": "2"}, "output": {"stdout": "1"}}]},
        {**OJ_EVEN, "id": 14, "test": [{"input": {"data/in.txt": "1"}, "output": {"stdout": "1"}}]},
    ]


def test_commonoj_rows(tmp_path: Path) -> None:
    tasks = load_commonoj(write_jsonl(tmp_path / "oj.jsonl", oj_rows()))
    assert list(tasks) == ["commonoj/7", "commonoj/8", "commonoj/files"]
    assert tasks.skipped == {SKIP_COMMONOJ_FORMAT: 1, SKIP_NO_TESTS: 1, SKIP_COMMONOJ_FILES: 4}
    t = tasks["commonoj/7"]
    assert isinstance(t.tests, StdioSuite) and t.tests.comparator == "sandboxfusion"
    assert [(c.stdin, c.stdout, c.visible) for c in t.tests.cases] == [
        ("4\n", "YES\n", True), ("7\n", "NO\n", True), ("0\n", "YES", True)]
    assert t.tests == tasks["commonoj/8"].tests
    assert (t.language, t.limits.case_time, t.reference) == ("python", 20.0, None)
    files = tasks["commonoj/files"].tests
    assert isinstance(files, StdioSuite) and (files.input_file, files.output_file) == ("in.txt", "out.txt")
    assert [c.stdin for c in files.cases] == ["4\n", "7\n"]
    cpp = load_dataset("commonoj", tmp_path / "oj.jsonl", language="cpp")
    assert cpp["commonoj/7"].limits.case_time == 10.0  # SandboxFusion's run_timeout for compiled languages


def test_commonoj_judged(tmp_path: Path, engine: Engine) -> None:
    tasks = load_commonoj(write_jsonl(tmp_path / "oj.jsonl", oj_rows()[:3]))
    assert engine.run(tasks["commonoj/7"], EVEN_PY).status is Status.PASSED
    assert engine.run(tasks["commonoj/7"], EVEN_PY.replace("== 0", "== 1")).status is Status.FAILED
    in_files = "n = int(open('in.txt').read())\nopen('out.txt', 'w').write('YES' if n % 2 == 0 else 'NO')\n"
    assert engine.run(tasks["commonoj/files"], in_files).status is Status.PASSED
    assert engine.run(tasks["commonoj/files"], EVEN_PY).status is Status.FAILED


@pytest.mark.parametrize("change,field", [
    ({"id": None}, "id"),
    ({"labels": "{"}, "labels"),
    ({"labels": {"problem_format": 1}}, "labels.problem_format"),
    ({"test": {"input": {}}}, "test"),
    ({"test": ["4"]}, "test.0"),
    ({"test": [{"input": "4", "output": {"stdout": "YES"}}]}, "test.0.input"),
    ({"test": [{"input": {"stdin": 4}, "output": {"stdout": "YES"}}]}, "test.0.input.stdin"),
    ({"test": [{"input": {"stdin": "4"}, "output": {}}]}, "test.0.output"),
])
def test_commonoj_bad_rows_are_named(tmp_path: Path, change: dict[str, Any], field: str) -> None:
    path = write_jsonl(tmp_path / "oj.jsonl", [OJ_EVEN, {**OJ_EVEN, **change}])
    with pytest.raises(InputError) as e:
        load_commonoj(path)
    assert_names(e.value, path, 2, field)


def test_new_dataset_names(tmp_path: Path) -> None:
    assert {"open-r1-codeforces", "open-r1-ioi", "commonoj"} <= set(DATASETS)
    path = write_jsonl(tmp_path / "oj.jsonl", [OJ_EVEN])
    assert list(load_dataset(" CommonOJ ", path)) == ["commonoj/7"]
    with pytest.raises(InputError, match="takes no separate tests") as e:
        load_dataset("commonoj", path, tests=tmp_path)
    assert e.value.field == "tests"
    with pytest.raises(InputError, match="--data-file"):
        load_dataset("codeforces")
