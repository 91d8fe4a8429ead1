"""Competitive-programming benchmarks from the files users have: CodeContests, TACO / APPS, LiveCodeBench,
open-r1's Codeforces and IOI sets and SandboxFusion's CommonOJ, as stdin/stdout tasks in any language
(tasks/model.py: python, c, cpp17, cpp20, java, go, rust, javascript, pypy), plus Python call tasks for their
function-style problems. Nothing is downloaded.

One module a dataset family, each describing its rows, cases, limits and ids:

    codecontests        codecontests.py   DeepMind's CodeContests (`load_codecontests`)
    taco / apps         apps.py           TACO and APPS (`load_taco`, `load_apps`)
    livecodebench       livecodebench.py  LiveCodeBench code_generation (`load_livecodebench`)
    open-r1-codeforces  codeforces.py     open-r1/codeforces and its generated checkers (`load_open_r1_codeforces`)
    open-r1-ioi         ioi.py            open-r1/ioi, with IOI subtasks (`load_open_r1_ioi`)
    commonoj            commonoj.py       SandboxFusion CommonOJ (`load_commonoj`)

and what they share in _common.py: reading rows, the loading loop (`ContestTasks`: the tasks and the skip
counts), the language check, limits and the task builders. `CONTEST_LOADERS` maps each dataset's name to its
loader.

Task ids are `codecontests/<name>`, `taco/<row index>` (0-based, in file order: TACO has no ids),
`apps/<problem_id>` (else the row index), `lcb/<question_id>`, `cf/<contest>/<index>`, `ioi/<year>/<id>` and
`commonoj/<id>`. Tasks have no prompt: the candidate is the whole program. The problem statement stays in the
user's file (it is the model's prompt, not the program's).

Files: JSON Lines, plain or .gz; `.parquet` (the Hub's CodeContests and LiveCodeBench releases) and `.arrow`
(a `datasets` cache or TACO's release files) when pyarrow is importable, their row numbers (1-based) standing
in for line numbers in errors.

Decisions (and where they differ from each dataset's own evaluator):

* Output comparison is by whitespace-separated tokens (`comparator: tokens`, testlib's wcmp) for the first
  four datasets. CodeContests' OutputsMatch also lower-cases tokens and accepts numbers within 1e-5
  (absolute); LiveCodeBench compares line by line, numbers as Decimals ("1.0" == "1"); APPS/TACO's harness
  has a chain of lenient fallbacks. Problems with several correct answers fail correct programs under all of
  these. The last three reproduce their own judge (its checker, or the comparison of the harness the dataset
  was made for: sandboxed/compare.py's presets), since a dataset's labels mean "right as that judge says".
* Limits: `case_time` is CPU seconds per case, times the language's factor (languages/native.py), the same
  for every language, as Codeforces does. TACO's harness ignores the statement's limit (4 s per test for
  all); give `case_time=4` to reproduce it. LCB's 6 s is its wall-clock `signal.alarm`. Every loader takes
  `case_time=` to override all its tasks' limit. Each case may write 4 MB, or twice its expected output
  plus 1 MB when that is more.
* Function-style problems (APPS/TACO rows with `fn_name`, LiveCodeBench's LeetCode problems) become Python
  `call` tasks, parsed as the training labels parse them (labels/_apps.py): an APPS input is the argument
  list, an LCB input one JSON value per line, one line per argument; results compare as APPS's reader does
  (a returned tuple as a list; an expected [x] also accepts x). LCB compares with plain == after tuple ->
  list, so only that unwrapping is more lenient here. A `class Solution` answer (LeetCode's starter code) is
  called through `Solution().<fn_name>` once `codereward.label_program(task, code)` has made the program.
  Call tests run in one process with no per-test limit, so the execution gets `case_time` + 0.5 s a test
  (at most 60 s). In any other language these problems cannot be judged and are skipped.
* Also skipped: problems without tests, and what each loader cannot judge as its dataset's judge does (its
  docstring says what). Skips are counted by reason in the returned mapping's `skipped` and logged as one
  warning.
* The datasets' solutions are not used as a `reference`: a task may be judged in another language
  (Task.in_language), and a reference in the wrong language would only mislead.
"""

from __future__ import annotations

from collections.abc import Callable

from codereward.tasks.contests._common import (
    CODECONTESTS_CASE_TIME,
    CODECONTESTS_MEMORY_MB,
    CONTEST_LANGUAGES,
    SKIP_CALL,
    SKIP_NO_TESTS,
    ContestTasks,
    contest_language,
    read_rows,
)
from codereward.tasks.contests._common import _bytes_to_mb as _bytes_to_mb  # tests check these parsers
from codereward.tasks.contests._common import _megabytes_text as _megabytes_text
from codereward.tasks.contests._common import _seconds_text as _seconds_text
from codereward.tasks.contests.apps import TACO_CASE_TIME, load_apps, load_taco
from codereward.tasks.contests.codecontests import load_codecontests
from codereward.tasks.contests.codeforces import (
    CF_CHECKER_TIME,
    CF_TESTS_ENV,
    SKIP_CF_CHECKER,
    SKIP_INTERACTIVE,
    cf_checker,
    load_open_r1_codeforces,
)
from codereward.tasks.contests.commonoj import (
    COMMONOJ_CASE_TIME,
    COMMONOJ_COMPILED_CASE_TIME,
    SKIP_COMMONOJ_FILES,
    SKIP_COMMONOJ_FORMAT,
    load_commonoj,
)
from codereward.tasks.contests.ioi import _IOI_DIFF_CHECKER as _IOI_DIFF_CHECKER  # tests run it
from codereward.tasks.contests.ioi import (
    SKIP_IOI_GRADER,
    SKIP_IOI_LANGUAGE,
    SKIP_IOI_TESTS,
    SKIP_IOI_TYPE,
    load_open_r1_ioi,
)
from codereward.tasks.contests.livecodebench import LCB_CASE_TIME, load_livecodebench

__all__ = [
    "CF_CHECKER_TIME", "CF_TESTS_ENV", "CODECONTESTS_CASE_TIME", "CODECONTESTS_MEMORY_MB", "COMMONOJ_CASE_TIME",
    "COMMONOJ_COMPILED_CASE_TIME", "CONTEST_LANGUAGES", "CONTEST_LOADERS", "LCB_CASE_TIME", "SKIP_CALL",
    "SKIP_CF_CHECKER", "SKIP_COMMONOJ_FILES", "SKIP_COMMONOJ_FORMAT", "SKIP_INTERACTIVE", "SKIP_IOI_GRADER",
    "SKIP_IOI_LANGUAGE", "SKIP_IOI_TESTS", "SKIP_IOI_TYPE", "SKIP_NO_TESTS", "TACO_CASE_TIME", "ContestTasks",
    "cf_checker", "contest_language", "load_apps", "load_codecontests", "load_commonoj", "load_livecodebench",
    "load_open_r1_codeforces", "load_open_r1_ioi", "load_taco", "read_rows",
]

CONTEST_LOADERS: dict[str, Callable[..., ContestTasks]] = {
    "codecontests": load_codecontests,
    "taco": load_taco,
    "apps": load_apps,
    "livecodebench": load_livecodebench,
    "open-r1-codeforces": load_open_r1_codeforces,
    "open-r1-ioi": load_open_r1_ioi,
    "commonoj": load_commonoj,
}
