"""open-r1/ioi rows (`load_open_r1_ioi`), one per subtask: one stdio task per problem with IOI `subtasks`, judged
as the Piston cms_ioi package open-r1 runs judges them: the program compiled with the problem's grader
(model.Grader), its output judged by the problem's CMS checker (model.CheckerProgram, protocol "cms") or else
compared as `diff -b` compares. Ids `ioi/<year>/<id>`.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from codereward.tasks._validate import json_type
from codereward.tasks.contests._common import (
    CODECONTESTS_CASE_TIME,
    ContestTasks,
    _bytes_to_mb,
    _number,
    _stdio_task,
    contest_language,
    file_rows,
)
from codereward.tasks.loaders import _Row
from codereward.tasks.samples import PathLike

SKIP_IOI_GRADER = "problems whose grader has no <problem>.h (cms_ioi names the program after it)"
SKIP_IOI_LANGUAGE = "function-interface problems, in a language other than C++ (the grader is C++)"
SKIP_IOI_TYPE = "problems of a task type other than Batch (Communication, OutputOnly)"
SKIP_IOI_TESTS = "problems whose test cases are not given (open-r1/ioi-test-cases: the `tests` file)"
_IOI_CONFIG = "graders/grader_config.json"

# The Piston `cms_ioi` package's comparison of a Batch problem without a checker (guipenedo/piston
# packages/cms_ioi/1.0.0/run): `diff -bq <(echo "$CORRECT_OUTPUT") "$SOLUTION_OUTPUT"`.
_IOI_DIFF_CHECKER = r'''"""A Batch problem without a checker, compared as the Piston cms_ioi package compares it:
`diff -bq <(echo "$CORRECT_OUTPUT") output`. bash's `$(cat ...)` drops NUL characters and trailing newlines
and `echo` adds one (or prints a lone option such as "-n" as nothing); GNU diff's --ignore-space-change then
compares line by line, runs of white space (space, \t, \v, \f, \r) equal to one and white space at a line's
end ignored; blank lines count, and a last line without its newline equals one with it."""
import re

_ECHO_OPTIONS = re.compile("-[neE]+")
_SPACE = re.compile("[ \t\v\f\r]+")


def _lines(text):
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [_SPACE.sub(" ", line).rstrip(" ") for line in lines]


def check_output(stdin, output, expected):
    expected = expected.replace("\0", "").rstrip("\n")
    if _ECHO_OPTIONS.fullmatch(expected):
        expected = "" if "n" in expected else "\n"
    else:
        expected += "\n"
    return _lines(output) == _lines(expected)
'''


class _IoiProblem:
    """The rows (subtasks) of one open-r1/ioi problem."""

    def __init__(self, row: _Row, year: str | None, pid: str) -> None:
        self.row, self.year, self.pid = row, year, pid
        self.subtasks: list[tuple[str, float, list[str]]] = []  # (name, points, test names)
        self.tests: dict[str, tuple[str, str]] = {}  # from the rows' own test_cases
        self.lines: dict[str, int] = {}

    @property
    def names(self) -> list[str]:
        """Every test name, in order of first appearance (a test shared by subtasks is one case)."""
        return list(dict.fromkeys(n for _, _, names in self.subtasks for n in names))


def _ioi_year(row: _Row) -> str | None:
    """`year` as text (2024 and "2024" are one year), None without one."""
    value = row.obj.get("year")
    if value is not None and (not isinstance(value, int | str) or isinstance(value, bool)):
        raise row.error(f"'year' must be a number or a string, got {json_type(value)}", "year")
    return None if value is None else str(value)


def _ioi_test_names(row: _Row) -> list[str]:
    names: list[str] = row.get("test_names", list, "a list of test names")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise row.error(f"each test name must be a string, got {json_type(name)}", f"test_names.{i}")
    return names


def _ioi_pair(row: _Row, value: Any, field: str) -> tuple[str, str]:
    """One test as ioi_scoring.py reads it: (input, output); also {input, output}."""
    if isinstance(value, dict):
        value = [value.get("input"), value.get("output")]
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise row.error("a test case must be [input, output] (two strings) or {input, output}", field)
    return value[0], value[1]


def _ioi_row_tests(row: _Row, names: list[str]) -> dict[str, tuple[str, str]]:
    """The row's `test_cases` (ioi_scoring.py: a mapping test name -> (input, output), or a list in
    test_names' order); empty when the row has none (they are in open-r1/ioi-test-cases)."""
    value = row.obj.get("test_cases")
    if value is None:
        return {}
    if isinstance(value, list):
        if len(value) != len(names):
            raise row.error(f"{len(value)} test cases for {len(names)} test names", "test_cases")
        return {n: _ioi_pair(row, v, f"test_cases.{i}") for i, (n, v) in enumerate(zip(names, value))}
    if isinstance(value, dict):
        return {str(n): _ioi_pair(row, v, f"test_cases.{n}") for n, v in value.items()}
    raise row.error(f"'test_cases' must be an object (test name -> [input, output]) or a list, got "
                    f"{json_type(value)}", "test_cases")


def _ioi_grader_files(row: _Row) -> dict[str, str]:
    """`grader_files` [[name, content]] as a mapping, without empty files (ioi_scoring.py skips them)."""
    value = row.obj.get("grader_files")
    if value is None:
        return {}
    if not isinstance(value, list):
        raise row.error(f"'grader_files' must be a list of [name, content], got {json_type(value)}", "grader_files")
    files = {}
    for i, item in enumerate(value):
        if not (isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], str | None)):
            raise row.error("each grader file must be [name, content] (strings)", f"grader_files.{i}")
        if item[1]:
            files[item[0]] = item[1]
    return files


def _ioi_task_type(row: _Row, files: dict[str, str]) -> str:
    """The row's `task_type`, else grader_config.json's (what the cms_ioi run script reads), else Batch."""
    value = row.obj.get("task_type")
    if value is None and _IOI_CONFIG in files:
        try:
            config = json.loads(files[_IOI_CONFIG])
        except json.JSONDecodeError as e:
            raise row.error(f"{_IOI_CONFIG} is not valid JSON: {e.msg}", "grader_files") from None
        value = config.get("task_type") if isinstance(config, dict) else None
    if value is not None and not isinstance(value, str):
        raise row.error(f"'task_type' must be a string, got {json_type(value)}", "task_type")
    return value or "Batch"


def _ioi_skip(row: _Row) -> str | None:
    """Why the problem cannot be judged as IOI judges it (None: it can)."""
    files = _ioi_grader_files(row)
    if _ioi_task_type(row, files).strip().lower() != "batch":
        return SKIP_IOI_TYPE
    if _folder(files, "graders/") and _ioi_problem_name(files) is None:
        return SKIP_IOI_GRADER
    return None


def _folder(files: dict[str, str], folder: str) -> dict[str, str]:
    """The files under `folder` (graders/, checker/) by their plain names, grader_config.json left out (the
    run script's, read here for the task type only)."""
    return {name[len(folder):]: text for name, text in files.items()
            if name.startswith(folder) and name != _IOI_CONFIG and "/" not in name[len(folder):]}


def _ioi_problem_name(files: dict[str, str]) -> str | None:
    """The problem's name as the cms_ioi compile script finds it: the first header in graders/ (in `ls`
    order) that is not testlib.h; the program is compiled as graders/<name>.cpp."""
    headers = sorted(n for n in _folder(files, "graders/") if n.endswith(".h") and n != "testlib.h")
    return headers[0][:-2] if headers else None


def _ioi_grader(files: dict[str, str]) -> dict[str, Any] | None:
    """The problem's grader (model.Grader) from graders/, None without one (a program reading stdin)."""
    graders = _folder(files, "graders/")
    name = _ioi_problem_name(files)
    if not graders or name is None:
        return None
    graders.pop(f"{name}.cpp", None)  # a stub of the program's own file: the program takes its place
    return {"name": name, "files": graders}


def _ioi_checker(files: dict[str, str]) -> dict[str, Any] | None:
    """checker/checker.cpp as a CMS checker (model.CheckerProgram, protocol "cms"), with the files beside it
    (its testlib.h), compiled as cms_ioi compiles it (g++ -std=gnu++17 -O2)."""
    checker = _folder(files, "checker/")
    source = checker.pop("checker.cpp", None)
    if source is None:
        return None
    return {"source": source, "files": checker, "language": "cpp17", "protocol": "cms"}


def _ioi_memory(row: _Row) -> int | None:
    """`memory_limit`: bytes as Piston takes it (`run_memory_limit`, grader_config.json's), or MB when it is
    too small to be bytes."""
    value = row.obj.get("memory_limit")
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0 or math.isinf(value):
        raise row.error(f"'memory_limit' must be a non-negative number, got {value!r:.40}", "memory_limit")
    if not value:
        return None
    return _bytes_to_mb(int(value)) if value >= 1 << 20 else math.ceil(value)


def _ioi_file_tests(path: PathLike, wanted: set[str]) -> dict[str, dict[str | None, dict[str, tuple[str, str]]]]:
    """open-r1/ioi-test-cases rows {year, problem_id, test_name, test_input, test_output} of the problems in
    `wanted`, by problem id, then year, then test name (a later row of one name wins, as ioi_utils.py's)."""
    found: dict[str, dict[str | None, dict[str, tuple[str, str]]]] = {}
    for row in file_rows(path):
        pid = row.text("problem_id")
        if pid not in wanted:
            continue
        year, name = _ioi_year(row), row.text("test_name")
        found.setdefault(pid, {}).setdefault(year, {})[name] = (row.text("test_input"), row.text("test_output"))
    return found


def load_open_r1_ioi(path: PathLike, language: str = "cpp17", tests: PathLike | None = None, *,
                     case_time: float | None = None) -> ContestTasks:
    """open-r1/ioi-format problems (IOI 2020-2024 in the open-r1/ioi release) as stdio tasks with IOI
    subtasks, judged as open-r1 judges them with the Piston cms_ioi package.

    Rows are subtasks (huggingface/open-r1 ioi_scoring.py): `id`, `year`, `subtask`, `score` (its points),
    `score_precision`, `test_names`, `time_limit` (s), `memory_limit` (bytes, as Piston's run_memory_limit;
    a value under 1 MiB is taken as MB), `task_type`, `grader_files` ([name, content]) and optionally
    `test_cases` (test name -> [input, output], or a list in test_names' order). The rows of one problem
    (`year`, `id`) make one task: its cases every test once, in order of first appearance; `subtasks` the
    subtasks with points, each its tests (the `subtasks` reward: Σ points x the least credit of its tests /
    Σ points, IOI's score as a share). Tests of subtasks worth 0 points (the statement's examples) are
    visible, the others held out. Test cases not in the rows come from `tests`, rows of open-r1/ioi-test-cases
    (`year`, `problem_id`, `test_name`, `test_input`, `test_output`; JSONL or parquet). Each case's CPU limit
    is `case_time`, else the row's time_limit; memory its memory_limit. Ids `ioi/<year>/<id>` (`ioi/<id>`
    without a year).

    Judged, as the cms_ioi package's compile and run scripts do:
    * the program (a C++ solution implementing the problem's functions) is compiled with the grader's files
      in graders/ (model.Grader: `g++ -DEVAL ... <problem>.cpp grader.cpp [stub.cpp]`, <problem> named by the
      first header there that is not testlib.h), after open-r1's add_includes; the grader reads the case's
      input on stdin and prints the output judged. A problem without graders/ is a program reading stdin;
    * a problem with checker/checker.cpp is judged by it in CMS's protocol (`checker input answer output`,
      the score in [0, 1] on stdout: partial credit, so score_precision's rounding is not applied); the
      others as cms_ioi compares (`diff -b` with the expected output: 0 or 1).

    Skipped, and counted, rather than judged some other way than IOI judges them:
    * Communication problems (a manager process talking to the program through FIFOs) and other task types;
    * problems with a grader whose graders/ has no header to name the program after;
    * problems with a grader when `language` is not C++;
    * problems whose test cases are neither in the rows nor in `tests`."""
    language = contest_language(language)
    source = os.fspath(path)
    tasks = ContestTasks()
    problems: dict[tuple[str | None, str], _IoiProblem] = {}
    for row in file_rows(source):
        pid, year = row.text("id"), _ioi_year(row)
        name = row.get("subtask", (str, int), "a string")
        points = row.get("score", (int, float), "a number")
        if not points >= 0 or math.isinf(points):
            raise row.error(f"'score' must be a non-negative number of points, got {points!r:.40}", "score")
        names = _ioi_test_names(row)
        if points and not names:
            raise row.error("a subtask worth points needs tests", "test_names")
        problem = problems.get((year, pid))
        if problem is None:
            problem = problems[(year, pid)] = _IoiProblem(row, year, pid)
        if str(name) in problem.lines:
            raise row.error(f"duplicate subtask {name!r} of problem {pid!r} (first on line "
                            f"{problem.lines[str(name)]})", "subtask")
        problem.lines[str(name)] = row.line
        problem.subtasks.append((str(name), float(points), names))
        for test, pair in _ioi_row_tests(row, names).items():
            problem.tests[test] = pair
        # every row's fields are checked, not only those of the problem's first row
        _ioi_skip(row)
        _ioi_memory(row)
        _number(row, "time_limit")
    judged: list[_IoiProblem] = []
    for problem in problems.values():
        reason = _ioi_skip(problem.row)
        if reason is not None:
            tasks.skip(reason)
        else:
            judged.append(problem)
    missing = {p.pid for p in judged if any(n not in p.tests for n in p.names)}
    from_file = _ioi_file_tests(tests, missing) if tests is not None and missing else {}
    for problem in judged:
        by_year = from_file.get(problem.pid, {})
        extra = by_year.get(problem.year) or by_year.get(None) or (
            next(iter(by_year.values())) if problem.year is None and len(by_year) == 1 else {})
        found = {**extra, **problem.tests}
        names = problem.names
        if any(n not in found for n in names):
            tasks.skip(SKIP_IOI_TESTS)
            continue
        index = {n: i for i, n in enumerate(names)}
        shown = {n for _, points, ns in problem.subtasks if not points for n in ns}
        cases = [{"stdin": found[n][0], "stdout": found[n][1], "visible": n in shown} for n in names]
        subtasks = [{"name": st, "points": points, "tests": [index[n] for n in ns]}
                    for st, points, ns in problem.subtasks if points]
        row = problem.row
        files = _ioi_grader_files(row)
        grader, checker = _ioi_grader(files), _ioi_checker(files)
        if grader is not None and language not in ("cpp17", "cpp20"):
            tasks.skip(SKIP_IOI_LANGUAGE)
            continue
        judged_by: dict[str, Any] = {"checker_program": checker} if checker else {"checker": _IOI_DIFF_CHECKER}
        if grader is not None:
            judged_by["grader"] = grader
        seconds = case_time or _number(row, "time_limit") or CODECONTESTS_CASE_TIME
        tid = f"ioi/{problem.year}/{problem.pid}" if problem.year is not None else f"ioi/{problem.pid}"
        task = _stdio_task(row, tid, language, cases, seconds, _ioi_memory(row), subtasks=subtasks or None,
                           **judged_by)
        tasks.add(task, row, "id")
    return tasks.report(source, len(problems))


