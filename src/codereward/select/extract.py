"""Generated tests from raw model output, by named, documented rules.

`codet_tests` and `codet_pool` are CodeT's own post-processing of generated tests (microsoft/CodeT,
src/postprocess.py at 35f54d6), rule for rule, so that a matrix built here is the one CodeT's numbers come
from (its code samples are cut by tasks/truncate.py's `truncate_codet`, the same stop tokens):

* A test-generation sample continues a prompt ending in "assert ": "assert " + sample is split on the literal
  "assert " (with its space: "assert(" does not split); a part is kept when it names the entry point and is
  not blank; each kept part is "assert " + part, cut at the stop tokens, stripped; it is valid when it holds
  "assert" and compiles inside a `try:` block. Order is kept, duplicates too.
* `limit` (CodeT's `test_case_limit`, default 5): the first `limit` valid asserts of each generation sample
  enter the task's pool, which counts duplicates.

`assert_io` is SRank's parsing of an assert into (input call, expected output) for output-based selectors
(FSoft-AI4Code/SRank-CodeRanker, execution/utils.py `convert_test_case_to_input_output`).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Sequence

from ..tasks.truncate import truncate_codet

CODET_LIMIT = 5


def quiet_compile(source: str) -> None:
    """compile() for the host's own checks of generated code: its SyntaxWarnings (invalid escapes in model-
    written strings, `is` with a literal) say nothing to the user, so they are not printed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(source, "<generated>", "exec", dont_inherit=True)


def _valid(test: str) -> bool:
    if not test.strip() or "assert" not in test:
        return False
    block = "try:\n    " + test.replace("\n", "\n    ") + "\nexcept:\n    pass\n"
    try:
        quiet_compile(block)
    except Exception:  # noqa: BLE001 — CodeT's own check: anything that does not compile is dropped
        return False
    return True


def codet_tests(sample: str, entry_point: str) -> list[str]:
    """The valid asserts of one test-generation sample, in order, duplicates kept."""
    parts = [f"assert {part}".strip() for part in f"assert {sample}".split("assert ")
             if entry_point.strip() in part and part.strip()]
    return [t for t in (truncate_codet(p).strip() for p in parts) if _valid(t)]


def codet_pool(samples: Iterable[str], entry_point: str, limit: int | None = CODET_LIMIT) -> list[str]:
    """A task's generated-test pool: the first `limit` valid asserts of each sample (None: all), duplicates
    kept (a test's multiplicity is how many samples proposed it)."""
    pool: list[str] = []
    for sample in samples:
        tests = codet_tests(sample, entry_point)
        pool += tests if limit is None else tests[:limit]
    return pool


def assert_io(test: str, entry_point: str, prompt: str = "") -> tuple[str, str] | None:
    """(input call, expected expression) of an assert, SRank's parsing: triple-quoted strings and newlines
    dropped; a last comma-separated part that is a message is dropped; one pair of outer parentheses
    unwrapped; then `assert <a> == <b>` or `assert <a> is True|False|None`, the sides swapped when the entry
    point is called on the right; the input must call the entry point and compile after `prompt` + "pass".
    None when it has no such shape.

    One deviation: SRank `eval`s the candidate message to tell it is one; the host never runs generated
    code, so a message counts when `ast.literal_eval` reads it (a string or number literal: nearly all)."""
    test = re.sub("'''.*?'''", "", test, flags=re.DOTALL)
    test = re.sub('""".*?"""', "", test, flags=re.DOTALL).replace("\n", "")
    if "," in test:
        *head, message = test.split(",")
        try:
            ast.literal_eval(message.strip())
            test = ",".join(head)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    # SRank's `test.lstrip("assert")`, which strips any of those letters, not the word.
    comparison = re.sub(r"^[aesrt]*", "", test).strip()
    if comparison.startswith("(") and comparison.endswith(")"):
        test = f"assert {comparison[1:-1]}"
    if "==" in test:
        m = re.match(r"assert\s+(.*?)\s+(==)\s+(.+)", test)
    else:
        m = re.match(r"assert\s+(.*?)\s+(is)\s+(True|False|None)", test)
    if m is None:
        return None
    call, _, expected = m.groups()
    called = re.compile(rf"{re.escape(entry_point)}\(.*?\)")
    if called.search(expected):
        call, expected = expected, call
    if not called.search(call) or not call.strip():
        return None
    try:
        quiet_compile(f"{prompt}\n    pass\n{call}")
    except Exception:  # noqa: BLE001 — SRank drops inputs that do not compile after the prompt
        return None
    return call, expected


def counts(items: Sequence[str]) -> tuple[list[str], list[int]]:
    """Distinct items in first-seen order, and how many times each occurs."""
    seen: dict[str, int] = {}
    for item in items:
        seen[item] = seen.get(item, 0) + 1
    return list(seen), list(seen.values())
