"""open-r1/codeforces rows (`load_open_r1_codeforces`), as stdio tasks in any contest language, judged as
open-r1's `cf_code_reward` judges them: official tests, then the generated ones of open-r1's CF_TESTS_FOLDER;
the row's `generated_checker` run as open-r1's Piston package runs it (`cf_checker`, the wrapper below), else
that package's comparison (comparator open_r1_codeforces). Ids `cf/<contest>/<index>`.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from codereward.errors import InputError
from codereward.tasks._validate import json_type
from codereward.tasks.contests._common import (
    CODECONTESTS_CASE_TIME,
    CODECONTESTS_MEMORY_MB,
    SKIP_NO_TESTS,
    ContestTasks,
    _number,
    _stdio_task,
    contest_language,
    file_rows,
)
from codereward.tasks.loaders import _Row
from codereward.tasks.model import Limits
from codereward.tasks.samples import PathLike

CF_TESTS_ENV = "CF_TESTS_FOLDER"  # open-r1's own variable for the generated tests' folder (cf_scoring.py)
CF_CHECKER_TIME = 10.0  # the Piston codeforces run script: `run_with_timeout 10 python3 checker.py ...`
SKIP_INTERACTIVE = "interactive problems (the dataset has no interactor)"
SKIP_CF_CHECKER = "problems whose generated_checker does not compile"
_CF_FILES = {"input_file": "input.txt", "output_file": "output.txt"}  # input_mode "file"
_CR_AT_LINE_END = re.compile(r"\r(?=\n|\Z)")  # sed 's/\r$//'
_CF_BACKSTOP = Limits.model_fields["time"].default

# A generated_checker as a StdioSuite checker (run in the judge: standard library only). The Piston
# `codeforces` package (guipenedo/piston packages/codeforces/1.0.0/run), which open-r1's cf_scoring.py calls,
# writes the files and runs `python3 checker.py <input> correct_output.txt <solution output>` with a 10 s
# timeout; open-r1 counts the test passed when the script exits 0 having printed "1", which it does when the
# checker exited 0 and its stdout, every whitespace character removed, is "1" or "100". Here the checker's
# code runs in the judge's process: fresh files in a temporary directory, sys.argv set, stdout captured, exit
# statuses as `python3` gives them. The files hold what the run script leaves in them: the input with "\r"
# at line ends removed (the case's stdin already is: the program reads the same), the expected output through
# bash's `$(cat)` and `echo` and then without "\r" at line ends or empty lines, the program's output without
# empty lines. A checker that raises fails the test with its exception in the detail (python3 would exit 1).
_CF_CHECKER = r'''
import builtins
import contextlib
import io
import os
import re
import shutil
import signal
import sys
import tempfile

CODE = compile(SOURCE, "checker.py", "exec")
TIME = {time!r}
_CR_AT_LINE_END = re.compile(r"\r(?=\n|\Z)")
_ECHO_OPTIONS = re.compile("-[neE]+")
_BLANKS = re.compile("[ \t\n\v\f\r]")


class CheckerTimeout(Exception):
    pass


class _Kept(io.BytesIO):
    def close(self):  # a checker closing sys.stdout keeps what it printed
        pass


def _answer(text):
    text = text.replace("\0", "").rstrip("\n")
    text = "" if _ECHO_OPTIONS.fullmatch(text) else _CR_AT_LINE_END.sub("", text + "\n")
    return "".join(line + "\n" for line in text.split("\n")[:-1] if line)


def _output(text):
    *lines, last = text.split("\n")
    return "".join(line + "\n" for line in lines if line) + last


def _write(path, text):
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    with open(path, "wb") as f:
        f.write(data)


def _status(code):
    if code is None:
        return 0
    return code & 0xFF if isinstance(code, int) else 1


def _alarm(signum, frame):
    raise CheckerTimeout(f"the checker ran past {TIME:g} s")


def _exit(code):
    raise SystemExit(code)


def _run(argv):
    raw = _Kept()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)
    ns = {"__name__": "__main__", "__file__": "checker.py", "__builtins__": builtins}
    if not hasattr(builtins, "exit"):  # the site module's exit() and quit()
        ns["exit"] = ns["quit"] = sys.exit
    saved = sys.argv, os._exit
    sys.argv, os._exit = argv, _exit  # os._exit would end the judge: it ends the checker instead
    try:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, TIME)
        timed = True
    except ValueError:  # not the main thread: no timer
        timed = False
    try:
        with contextlib.redirect_stdout(out):
            try:
                exec(CODE, ns)
                status = 0
            except SystemExit as e:
                status = _status(e.code)
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        sys.argv, os._exit = saved
    return status, raw.getvalue().decode("utf-8", "replace")


def check_output(stdin, output, expected):
    folder = tempfile.mkdtemp(prefix="checker-")
    try:
        paths = [os.path.join(folder, name) for name in ("input.txt", "correct_output.txt", "output.txt")]
        for path, text in zip(paths, (stdin, _answer(expected), _output(output))):
            _write(path, text)
        status, printed = _run(["checker.py", *paths])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return status == 0 and _BLANKS.sub("", printed) in ("1", "100")
'''


def cf_checker(source: str) -> str:
    """The StdioSuite checker running an open-r1/codeforces `generated_checker` as Piston's codeforces
    package runs it (see _CF_CHECKER)."""
    return (f'"""open-r1/codeforces generated_checker, run as guipenedo/piston packages/codeforces/1.0.0/run runs '
            f'it."""\n\nSOURCE = {source!r}\n' + _CF_CHECKER.replace("{time!r}", repr(CF_CHECKER_TIME)))


def _cf_input(text: str) -> str:
    """A case's input as the run script feeds it: `sed -i 's/\\r$//'`, one "\\r" at each line's end removed."""
    return _CR_AT_LINE_END.sub("", text)


def _cf_test_list(row: _Row, key: str) -> list[tuple[str, str]]:
    """`examples` / `official_tests`: [{input, output}] (null: none)."""
    value = row.obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise row.error(f"'{key}' must be a list of tests {{input, output}}, got {json_type(value)}", key)
    tests = []
    for i, test in enumerate(value):
        if not isinstance(test, dict):
            raise row.error(f"each test must be an object {{input, output}}, got {json_type(test)}", f"{key}.{i}")
        for part in ("input", "output"):
            if not isinstance(test.get(part), str):
                raise row.error(f"'{part}' must be a string, got {json_type(test.get(part))}", f"{key}.{i}.{part}")
        tests.append((test["input"], test["output"]))
    return tests


def _cf_text(row: _Row, key: str) -> str | None:
    value = row.obj.get(key)
    if value is not None and not isinstance(value, str):
        raise row.error(f"'{key}' must be a string or null, got {json_type(value)}", key)
    return value or None


def _cf_generated_tests(folder: str, contest: str, wanted: set[str]) -> dict[str, list[tuple[str, str]]]:
    """open-r1's generated tests of one contest, for the problems in `wanted`: the rows {problem_id, input,
    output} of `test_cases_<contest:04d>.parquet` in `folder`, in file order (cf_scoring.py
    get_generated_contest_tests); none when the contest has no file there."""
    path = os.path.join(folder, f"test_cases_{int(contest):04d}.parquet")
    if not os.path.exists(path):
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for row in file_rows(path):
        pid = row.text("problem_id")
        if pid in wanted:
            found.setdefault(pid, []).append((row.text("input"), row.text("output")))
    return found


def load_open_r1_codeforces(path: PathLike, language: str = "cpp17", tests_folder: PathLike | None = None, *,
                            case_time: float | None = None, comparator: str = "open_r1_codeforces") -> ContestTasks:
    """open-r1/codeforces problems as stdio tasks in `language`, judged as open-r1's `cf_code_reward` judges
    them (huggingface/open-r1 cf_scoring.py, through the Piston `codeforces` package).

    Rows (JSONL, .gz or .parquet): `id` ("<contest>/<index>"), `time_limit` (s), `memory_limit` (MB),
    `input_mode` (stdio | file: the program reads input.txt and writes output.txt), `official_tests` and
    `examples` ([{input, output}]), `generated_checker` (Python source or null), `interaction_format`.
    Cases: the official tests, then the generated ones in `tests_folder` (default: $CF_TESTS_FOLDER, open-r1's
    own variable): `test_cases_<contest:04d>.parquet`, rows {problem_id, input, output}, needing pyarrow; as
    open-r1 runs them; an official test whose input is one of the `examples` is visible, the others held out. The
    examples are not run on their own (open-r1 does not run them). `official_tests_complete` false (Codeforces
    showed some tests truncated, so the dataset lacks them) changes nothing: open-r1 judges on what it has.
    Inputs lose a "\\r" at each line's end, as the Piston package strips them.

    With a `generated_checker`, it judges each case (`cf_checker`: its arguments, output and 10 s as the
    package gives them); without one, outputs compare with `comparator`, by default `open_r1_codeforces`, the
    package's own comparison (yes/no in any case, whitespace collapsed). `case_time`: each case's CPU limit,
    by default the row's time_limit (else 2 s); memory its memory_limit (else 256 MB).

    Skipped, and counted: interactive problems (`interaction_format` set: the dataset ships no interactor),
    problems without official or generated tests (open-r1 gives them no reward), and those whose
    generated_checker does not compile. Ids: `cf/<id>`."""
    language = contest_language(language)
    source = os.fspath(path)
    if tests_folder is None:
        tests_folder = os.environ.get(CF_TESTS_ENV) or None
    if tests_folder is not None and not os.path.isdir(tests_folder):
        raise InputError(f"the generated tests folder {os.fspath(tests_folder)!r} is not a directory",
                         field="tests_folder")
    tasks, rows = ContestTasks(), 0
    pending: list[tuple[_Row, str, list[dict[str, Any]], dict[str, Any], float, int]] = []
    for row in file_rows(source):
        rows += 1
        pid = row.text("id")
        if not re.fullmatch(r"[^/\s]+/[^/\s]+", pid):
            raise row.error(f"'id' must be '<contest>/<index>', got {pid!r:.60}", "id")
        official, examples = _cf_test_list(row, "official_tests"), _cf_test_list(row, "examples")
        mode = _cf_text(row, "input_mode") or "stdio"
        if mode not in ("stdio", "file"):
            raise row.error(f"'input_mode' must be 'stdio' or 'file', got {mode!r:.40}", "input_mode")
        checker = _cf_text(row, "generated_checker")
        seconds = case_time or _number(row, "time_limit") or CODECONTESTS_CASE_TIME
        memory = _number(row, "memory_limit")
        if _cf_text(row, "interaction_format"):
            tasks.skip(SKIP_INTERACTIVE)
            continue
        suite: dict[str, Any] = dict(_CF_FILES) if mode == "file" else {}
        if checker is not None:
            try:
                compile(checker, "checker.py", "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                tasks.skip(SKIP_CF_CHECKER)
                continue
            suite["checker"] = cf_checker(checker)
        else:
            suite["comparator"] = comparator
        shown = {_cf_input(i).strip() for i, _ in examples}
        cases = [{"stdin": _cf_input(i), "stdout": o, "visible": _cf_input(i).strip() in shown} for i, o in official]
        pending.append((row, pid, cases, suite, seconds, math.ceil(memory) if memory else CODECONTESTS_MEMORY_MB))
    generated: dict[str, list[tuple[str, str]]] = {}
    if tests_folder is not None:
        contests: dict[str, set[str]] = {}
        for _, pid, *_rest in pending:
            contest = pid.split("/")[0]
            if contest.isdigit():  # cf_scoring.py: int(contest_id)
                contests.setdefault(contest, set()).add(pid)
        for contest, wanted in contests.items():
            generated.update(_cf_generated_tests(os.fspath(tests_folder), contest, wanted))
    for row, pid, cases, suite, seconds, memory_mb in pending:
        cases += [{"stdin": _cf_input(i), "stdout": o, "visible": False} for i, o in generated.get(pid, ())]
        if not cases:
            tasks.skip(SKIP_NO_TESTS)
            continue
        # A checker may take its 10 s once without the execution's backstop stopping it first (the backstop
        # covers the cases' own wall caps, and a checker's time is the judge's, outside them).
        time = _CF_BACKSTOP + CF_CHECKER_TIME if "checker" in suite else None
        task = _stdio_task(row, f"cf/{pid}", language, cases, seconds, memory_mb, time=time, **suite)
        tasks.add(task, row, "id")
    return tasks.report(source, rows)


