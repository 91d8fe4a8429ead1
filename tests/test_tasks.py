"""Task loaders, sample files and CodeT truncation: real datasets load as expected, bad input is named.

Reads /work/shared/data (beside the repo: CI clones shared/ next to main/); tests needing it skip without it.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest
from pydantic import ValidationError

import codereward.tasks._validate as _validate  # a private layer, tested on purpose
from codereward.errors import InputError
from codereward.tasks import (
    AssertSuite,
    CallSuite,
    Limits,
    Sample,
    Task,
    load_codet_samples,
    load_dataset,
    load_humaneval,
    load_humanevalplus,
    load_task_file,
    read_jsonl,
    read_samples,
    truncate_at_stops,
    truncate_codet,
    write_jsonl,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HEPLUS = DATA / "humanevalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz"
CODET = DATA / "codet" / "HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.jsonl"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference data missing: {path}")
    return path


@pytest.fixture(scope="module")
def humaneval() -> dict[str, Task]:
    return load_humaneval()


@pytest.fixture(scope="module")
def heplus() -> dict[str, Task]:
    return load_humanevalplus(need(HEPLUS))


def write(tmp_path: Path, name: str, lines: list[str] | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(lines if isinstance(lines, bytes) else "".join(line + "\n" for line in lines).encode())
    return path


def assert_names(err: InputError, path: Path, line: int | None, field: str | None) -> None:
    text = str(err)
    assert path.name in text
    if line is not None:
        assert f"{path.name}:{line}:" in text, text
    if field is not None:
        assert f"(field '{field}')" in text, text


# ---------------------------------------------------------------- datasets


def test_humaneval_loads_164_assert_tasks(humaneval: dict[str, Task]) -> None:
    assert len(humaneval) == 164
    t = humaneval["HumanEval/0"]
    assert t.entry_point == "has_close_elements"
    assert isinstance(t.tests, AssertSuite)
    assert t.tests.setup == t.prompt and "def check(candidate)" in t.tests.code
    assert t.reference.startswith(t.prompt) and "return" in t.reference[len(t.prompt):]
    assert all(task.id == key and task.tests.setup == task.prompt for key, task in humaneval.items())


def test_humanevalplus_cases_visibility_and_atol(heplus: dict[str, Task]) -> None:
    raw = {r["task_id"]: r for r in map(json.loads, gzip.open(HEPLUS, "rt"))}
    assert len(heplus) == 164
    for task_id, task in heplus.items():
        suite, r = task.tests, raw[task_id]
        assert isinstance(suite, CallSuite)
        n_base = len(r["base_input"])
        assert len(suite.cases) == n_base + len(r["plus_input"])
        assert all(c.visible for c in suite.cases[:n_base])
        assert not any(c.visible for c in suite.cases[n_base:])
        assert not any(c.has_expected for c in suite.cases)  # computed from the reference by the engine
        assert suite.atol == float(r["atol"])
        assert task.reference == r["prompt"] + r["canonical_solution"]
        assert (suite.checker is not None) == (task.entry_point == "find_zero")
    assert sum(c.visible for t in heplus.values() for c in t.tests.cases) == 1570
    assert sum(not c.visible for t in heplus.values() for c in t.tests.cases) == 122683
    assert heplus["HumanEval/0"].tests.cases[0].args == [[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3]
    assert heplus["HumanEval/15"].limits.time > 10  # its reference alone needs ~5 s for all inputs


def test_find_zero_checker_accepts_roots_only(heplus: dict[str, Task]) -> None:
    suite = heplus["HumanEval/32"].tests
    assert suite.atol == 1e-4
    ns: dict = {}
    exec(suite.checker, ns)  # our own source, not task code
    check = ns["check_output"]
    assert check([[-2, 1]], {}, 2.0, None)  # x - 2
    assert check([[1, 2]], {}, -0.5, 0.0)  # the expected value is ignored: any root passes
    assert check([[-6, 11, -6, 1]], {}, 3.00000001, 1.0)  # (x-1)(x-2)(x-3), a different root than expected
    assert not check([[-2, 1]], {}, 2.01, 2.0)
    assert not check([[-6, 11, -6, 1]], {}, 0.0, 1.0)
    with pytest.raises(TypeError):  # the judge turns a raising checker into wrong_answer
        check([[-2, 1]], {}, "2", 2.0)


def test_humanevalplus_plain_jsonl_and_zero_atol_checker(tmp_path: Path) -> None:
    row = {"task_id": "X/32", "prompt": "def find_zero(xs):\n", "entry_point": "find_zero",
           "canonical_solution": "    return 0.0\n", "test": "", "contract": "", "atol": 0,
           "base_input": [[[0, 1]]], "plus_input": [[[0, 2]], [[0, 3]]]}
    path = write(tmp_path, "plus.jsonl", [json.dumps(row)])
    task = load_humanevalplus(path)["X/32"]
    assert [c.visible for c in task.tests.cases] == [True, False, False]
    assert "ATOL = 1e-06" in task.tests.checker


@pytest.mark.parametrize("patch, field", [
    ({"base_input": [1, 2]}, "base_input.0"),
    ({"plus_input": "nope"}, "plus_input"),
    ({"atol": True}, "atol"),
    ({"prompt": None}, "prompt"),
])
def test_humanevalplus_bad_rows_are_named(tmp_path: Path, patch: dict, field: str) -> None:
    row = {"task_id": "X/0", "prompt": "def f(x):\n", "entry_point": "f",
           "canonical_solution": "  return x\n", "atol": 0, "base_input": [[1]], "plus_input": [[2]], **patch}
    path = write(tmp_path, "plus.jsonl", ["", json.dumps(row)])
    with pytest.raises(InputError) as e:
        load_humanevalplus(path)
    assert_names(e.value, path, 2, field)


def test_load_dataset_dispatch(tmp_path: Path) -> None:
    assert len(load_dataset("HumanEval")) == 164
    with pytest.raises(InputError, match="--data-file"):
        load_dataset("humanevalplus")
    with pytest.raises(InputError, match="humaneval, humanevalplus"):
        load_dataset("mbpp")


# ---------------------------------------------------------------- task files

GOOD_TASK = {"id": "t1", "entry_point": "f",
             "tests": {"kind": "assert", "code": "def check(c):\n    assert c()\n"}}
STDIO_TASK = {"id": "t2", "tests": {"kind": "stdio", "cases": [{"stdin": "1"}] * 3 + [{"stdin": 5}]}}

TASK_FILE_ERRORS = [
    # (lines, line, field, words in the message)
    ([json.dumps(GOOD_TASK), '{"id": "t2", '], 2, None, "invalid JSON"),
    (b'\n{"id": "t\xff"}\n', 2, None, "UTF-8"),
    (["[1, 2]"], 1, None, "JSON object"),
    ([json.dumps(STDIO_TASK)], 1, "tests.cases.3.stdin", "valid string"),
    ([json.dumps({**GOOD_TASK, "limits": {"time": -1}})], 1, "limits.time", "greater than 0"),
    ([json.dumps({"id": "t"})], 1, "tests", "required"),
    ([json.dumps({**GOOD_TASK, "tests": {"kind": "pytest"}})], 1, "tests.kind", "'assert', 'call', 'stdio'"),
    ([json.dumps({**GOOD_TASK, "colour": 1})], 1, "colour", "Extra inputs"),
    ([json.dumps({**GOOD_TASK, "entry_point": None})], 1, "entry_point", "need an entry_point"),
    ([json.dumps({"id": "c", "entry_point": "f", "tests": {"kind": "call", "cases": [{"args": [1]}]}})],
     1, "reference", "reference solution"),
    ([json.dumps(GOOD_TASK), "", json.dumps(GOOD_TASK)], 3, "id", "duplicate task id 't1' (first on line 1)"),
]


@pytest.mark.parametrize("lines, line, field, words", TASK_FILE_ERRORS)
def test_task_file_errors_name_file_line_field(tmp_path: Path, lines, line, field, words) -> None:
    path = write(tmp_path, "tasks.jsonl", lines)
    with pytest.raises(InputError) as e:
        load_task_file(path)
    assert_names(e.value, path, line, field)
    assert words in str(e.value)


def test_task_file_round_trip(tmp_path: Path, humaneval: dict[str, Task]) -> None:
    call = {"kind": "call", "cases": [{"args": [1], "expected": 1}], "atol": 0.5}
    tasks = [humaneval["HumanEval/0"], Task.model_validate(GOOD_TASK),
             Task.model_validate({"id": "c", "entry_point": "f", "reference": "def f(x): return x",
                                  "tests": call})]
    path = tmp_path / "tasks.jsonl"
    write_jsonl(path, (t.model_dump(mode="json") for t in tasks))
    assert load_task_file(path) == {t.id: t for t in tasks}


def test_task_file_round_trip_keeps_missing_expected(tmp_path: Path) -> None:
    task = Task.model_validate({"id": "c", "entry_point": "f", "reference": "def f(x): return x",
                                "tests": {"kind": "call", "cases": [{"args": [1]}]}})
    path = tmp_path / "tasks.jsonl"
    write_jsonl(path, [task.model_dump(mode="json")])
    assert not load_task_file(path)["c"].tests.cases[0].has_expected


# ---------------------------------------------------------------- input checks (tasks/_validate.py, a private layer)

STDIO_ONE = {"kind": "stdio", "cases": [{"stdin": 5}]}
NO_KIND = {"kind": "nope"}

VALIDATION_ERRORS = [
    # (model, data, keywords, field, message): the full message, so a wording change is a decision
    (Task, {"id": "t", "tests": STDIO_ONE}, {}, "tests.cases.0.stdin",
     "invalid task: Input should be a valid string, got 5 (field 'tests.cases.0.stdin')"),
    (Task, {"id": "t", "tests": NO_KIND}, {}, "tests.kind",
     "invalid task: 'kind' must be one of 'assert', 'call', 'stdio' (field 'tests.kind')"),
    (Task, {"id": "t", "tests": NO_KIND}, {"prefix": "samples.0.task"}, "samples.0.task.tests.kind",
     "invalid task: 'kind' must be one of 'assert', 'call', 'stdio' (field 'samples.0.task.tests.kind')"),
    (Task, {"id": "t", "entry_point": None, "tests": {"kind": "assert", "code": "x"}}, {}, "entry_point",
     "invalid task: assert tests need an entry_point (field 'entry_point')"),
    (Task, {"entry_point": "f", "tests": {"kind": "assert", "code": "x"}}, {}, "id",
     "invalid task: Field required (field 'id')"),
    (Task, {"id": 1, "tests": {"kind": "assert"}}, {}, "id",
     "invalid task: Input should be a valid string, got 1 (and 1 more problem) (field 'id')"),
    (Task, {"id": 1, "tests": {"kind": "assert"}, "x": 2}, {"source": "t.jsonl", "line": 3}, "id",
     "t.jsonl:3: invalid task: Input should be a valid string, got 1 (and 2 more problems on this line) "
     "(field 'id')"),
    (Task, {"id": "t", "entry_point": "f", "tests": {"kind": "call", "cases": [{"args": [], "held_out": 1}]}},
     {}, "tests.cases.0", "invalid task: held_out must be true or false (field 'tests.cases.0')"),
    (Limits, {"time": -1}, {"what": "limits", "prefix": "limits"}, "limits.time",
     "invalid limits: Input should be greater than 0, got -1 (field 'limits.time')"),
]


@pytest.mark.parametrize("model, data, keywords, field, message", VALIDATION_ERRORS)
def test_validation_error_names_the_field_as_written(model, data, keywords, field, message) -> None:
    with pytest.raises(ValidationError) as e:
        model.model_validate(data)
    err = _validate.validation_error(e.value, **keywords)
    assert (err.field, str(err)) == (field, message)


FIELD_CHECKS = [
    # (check, obj, key, kind, keywords, value or (field, message)); the type is always described as "a T"
    (_validate.need, {"a": [1]}, "a", list, {}, [1]),
    (_validate.need, {}, "a", list, {}, ("a", "missing 'a' (field 'a')")),
    (_validate.need, {"a": "x"}, "a", list, {"prefix": "input_output."},
     ("input_output.a", "'a' must be a T, got string (field 'input_output.a')")),
    (_validate.need, {"a": True}, "a", (int, float), {}, ("a", "'a' must be a T, got boolean (field 'a')")),
    (_validate.need, {"a": True}, "a", (bool, int), {}, True),
    (_validate.need, {"a": None}, "a", str, {"source": "f.jsonl", "line": 4},
     ("a", "f.jsonl:4: 'a' must be a T, got null (field 'a')")),
    (_validate.optional, {}, "a", str, {}, None),
    (_validate.optional, {"a": None}, "a", str, {}, None),
    (_validate.optional, {"a": "x"}, "a", str, {}, "x"),
    (_validate.optional, {"a": 1}, "a", str, {"prefix": "0."}, ("0.a", "'a' must be a T, got number (field '0.a')")),
]


@pytest.mark.parametrize("check, obj, key, kind, keywords, expected", FIELD_CHECKS)
def test_field_checks(check, obj, key, kind, keywords, expected) -> None:
    if not isinstance(expected, tuple):
        assert check(obj, key, kind, "a T", **keywords) == expected
        return
    with pytest.raises(InputError) as e:
        check(obj, key, kind, "a T", **keywords)
    assert (e.value.field, str(e.value)) == expected


UNKNOWN_TASKS = [
    # (task_id, known ids, message): a close id is suggested; none when nothing is close or ids are too many
    ("humaneval/0", ["HumanEval/0", "HumanEval/1"], "unknown task id 'humaneval/0' (did you mean 'HumanEval/0'?)"),
    ("HumanEval_12", {f"HumanEval/{i}": None for i in range(164)}, "unknown task id 'HumanEval_12' (did you mean "
     "'HumanEval/12'?)"),
    ("sort", ["HumanEval/0"], "unknown task id 'sort'"),
    ("x", [], "unknown task id 'x'"),
    ("t10000", [f"t{i}" for i in range(10_001)], "unknown task id 't10000'"),
]


@pytest.mark.parametrize("task_id, ids, message", UNKNOWN_TASKS)
def test_unknown_task_error_suggests_a_close_id(task_id, ids, message) -> None:
    err = _validate.unknown_task_error(task_id, ids, field="--task", source="s.jsonl", line=2)
    assert (err.field, str(err)) == ("--task", f"s.jsonl:2: {message} (field '--task')")


# ---------------------------------------------------------------- samples

def row(**kw) -> str:
    return json.dumps({"task_id": "HumanEval/0", "completion": "    return 1\n", **kw})


SAMPLE_ERRORS = [
    # (lines, line, field, words in the message)
    ([row(), '{"task_id": "HumanEval/0", "completion": '], 2, None, "invalid JSON"),
    (row().encode() + b'\n\n{"task_id": "HumanEval/0", "completion": "\xe9"}\n', 3, None, "not valid UTF-8"),
    (['"just a string"'], 1, None, "got string"),
    ([json.dumps({"completion": "x"})], 1, "task_id", "missing 'task_id'"),
    ([json.dumps({"task_id": 0, "completion": "x"})], 1, "task_id", "got number"),
    ([json.dumps({"task_id": "HumanEval/0"})], 1, "completion", "'solution'"),
    ([row(solution="def f(): pass")], 1, "solution", "both"),
    ([row(completion=["x"])], 1, "completion", "got array"),
    ([json.dumps({"task_id": "HumanEval/0", "solution": None})], 1, "solution", "got null"),
    (["", row(task_id="HumanEval/999")], 2, "task_id", "unknown task id 'HumanEval/999'"),
    ([row(completion_id="3")], 1, "completion_id", "non-negative integer"),
    ([row(completion_id=True)], 1, "completion_id", "non-negative integer"),
    ([row(), row(completion_id=0)], 2, "completion_id", "already used on line 1"),
]


@pytest.mark.parametrize("lines, line, field, words", SAMPLE_ERRORS)
def test_sample_errors_name_file_line_field(tmp_path: Path, humaneval, lines, line, field, words) -> None:
    path = write(tmp_path, "samples.jsonl", lines)
    with pytest.raises(InputError) as e:
        read_samples(path, humaneval)
    assert_names(e.value, path, line, field)
    assert words in str(e.value)


def test_unknown_task_id_suggests_close_match(tmp_path: Path, humaneval) -> None:
    path = write(tmp_path, "s.jsonl", [row(task_id="humaneval/0")])
    with pytest.raises(InputError, match="did you mean 'HumanEval/0'"):
        read_samples(path, humaneval)


def test_completion_ids_extra_and_both_formats(tmp_path: Path) -> None:
    path = write(tmp_path, "s.jsonl", [row(), row(task_id="B", score=0.5), "  ", row(), row(completion_id=7),
                                       json.dumps({"task_id": "B", "solution": "def f(): pass\n"})])
    got = read_samples(path)  # no task set: any id is accepted
    assert [(s.task_id, s.completion_id, s.line) for s in got] == [
        ("HumanEval/0", 0, 1), ("B", 0, 2), ("HumanEval/0", 1, 4), ("HumanEval/0", 7, 5), ("B", 1, 6)]
    assert got[1].extra == {"score": 0.5} and got[4].solution and got[4].completion is None
    with pytest.raises(ValueError):
        Sample("x", completion="a", solution="b")


def test_ten_megabyte_completion_is_accepted(tmp_path: Path) -> None:
    big = "    x = 1\n" * 1_000_000 + "    return x\n"
    path = write(tmp_path, "big.jsonl", [row(completion=big)])
    (sample,) = read_samples(path)
    assert sample.completion == big and len(big) > 10_000_000


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz"])
def test_write_then_read_round_trip(tmp_path: Path, name: str) -> None:
    samples = [Sample("A", completion="é\ud800 lone surrogate", completion_id=0, extra={"k": [1]}),
               Sample("A", solution="print(1)\n", completion_id=1)]
    path = tmp_path / name
    assert write_jsonl(path, (s.to_dict() for s in samples)) == 2
    back = read_samples(path)
    assert [(s.task_id, s.completion, s.solution, s.completion_id, s.extra) for s in back] == [
        (s.task_id, s.completion, s.solution, s.completion_id, s.extra) for s in samples]


def test_read_jsonl_skips_bom_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "b.jsonl", b'\xef\xbb\xbf{"a": 1}\r\n\n  \n{"a": 2}')
    assert list(read_jsonl(path)) == [(1, {"a": 1}), (4, {"a": 2})]
    with pytest.raises(InputError, match="cannot open"):
        list(read_jsonl(tmp_path / "missing.jsonl"))


# ---------------------------------------------------------------- CodeT truncation

@pytest.mark.parametrize("raw, kept", [
    ("    return 1\n", "    return 1\n"),
    ("    return 1\n\n\ndef helper():\n    pass\n", "    return 1\n\n"),
    ("    return 1\n# done\n", "    return 1"),
    ("    return 1\nif __name__ == '__main__':\n    main()", "    return 1"),
    ("    return 1\nprint(f(2))\nclass A: pass", "    return 1"),
    ("    if x:\n        # indented\n        print(x)\n",) * 2,  # indented stops do not cut
    ("\n# the whole sample is a comment", ""),
])
def test_truncate_codet(raw: str, kept: str) -> None:
    assert truncate_codet(raw) == kept


def test_truncate_at_stops_ignores_empty_stops() -> None:
    assert truncate_at_stops("abcSTOPdef", ["", "STOP"]) == "abc"
    assert truncate_at_stops("abc", []) == "abc"


def test_codet_samples_map_to_humaneval_ids(humaneval) -> None:
    samples = load_codet_samples(need(CODET))
    assert len(samples) == 16_400
    by_task: dict[str, list[int]] = {}
    for s in samples:
        by_task.setdefault(s.task_id, []).append(s.completion_id)
    assert set(by_task) == set(humaneval)
    assert all(ids == list(range(100)) for ids in by_task.values())
    # File order is lexicographic by id (0, 1, 10, 100, ...): ids come from prompts, not positions.
    assert [samples[i * 100].task_id for i in range(3)] == ["HumanEval/0", "HumanEval/1", "HumanEval/10"]
    stops = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")
    assert not any(stop in s.completion for s in samples for stop in stops)


def test_codet_errors(tmp_path: Path) -> None:
    need(CODET)
    path = write(tmp_path, "sol.jsonl", [json.dumps({"prompt": "def nope():\n", "samples": ["  pass\n"]})])
    with pytest.raises(InputError, match="HumanEval_for_code_generation"):
        load_codet_samples(path)
    with pytest.raises(InputError) as e:
        load_codet_samples(path, source_path=CODET.with_name("HumanEval_for_code_generation.jsonl"))
    assert_names(e.value, path, 1, "prompt")


def test_find_zero_checker_poly_matches_the_prompts_poly(heplus: dict[str, Task]) -> None:
    # evalplus's math.pow version agrees with the prompt's `coeff * x ** i` on the dataset's inputs
    ns: dict = {}
    exec(heplus["HumanEval/32"].tests.checker, ns)
    for case in heplus["HumanEval/32"].tests.cases[:20]:
        xs = case.args[0]
        assert math.isclose(ns["_poly"](xs, 0.5), sum(c * 0.5 ** i for i, c in enumerate(xs)))
