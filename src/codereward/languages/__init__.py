"""The languages candidates are written in: how a program is prepared on the host, and which sandbox
profile runs it: Python, SQL (SQLite or DuckDB), whose queries run inside a small Python program (sql.py), and
C, C++, Java, Go, Rust, JavaScript and PyPy, compiled once into an artifact the native profile executes
(native.py).

    language = language_of(task.language)
    program = language.prepare(source)    # the payload the candidate process loads, and its compile error
    program = prepare_program(task, source)  # the same, as the task runs it (an IOI grader compiled with it)

A compiled language prepares its source by compiling it in a compile sandbox (artifacts.py, cached by
content), and names the sandbox profile that lets that artifact be executed while its processes still
cannot start others (sandbox/bwrap.py PROFILES, sandboxed/seccomp.py, sandboxed/landlock.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..errors import UsageError

if TYPE_CHECKING:
    from ..tasks.model import Task


@dataclass(frozen=True, slots=True)
class PreparedProgram:
    payload: bytes  # what the candidate process loads
    compile_error: str | None  # the compiler's message when the host knows the program cannot compile


class Language(Protocol):
    # Read-only properties: a frozen dataclass (Python) implements them with its fields.
    @property
    def name(self) -> str: ...

    @property
    def profile(self) -> str:
        """The sandbox profile that runs its programs."""
        ...

    @property
    def audited(self) -> bool:
        """Whether the reward-hacking audit's rules (audit/) apply to its programs."""
        ...

    def prepare(self, program: str) -> PreparedProgram:
        """The program as the sandbox takes it. Never raises for a bad program: a program that does not
        compile is the candidate's failure, reported by the sandbox (or decided on the host when
        `compile_error` is set, with the same result the sandbox would give)."""
        ...


from ..tasks.model import LANGUAGE_ALIASES  # noqa: E402
from .native import LANGUAGES as NATIVE  # noqa: E402
from .native import NativeLanguage, ioi_includes  # noqa: E402
from .python import PYTHON  # noqa: E402 — it needs PreparedProgram, defined above
from .sql import SQL  # noqa: E402

LANGUAGES: dict[str, Language] = {PYTHON.name: PYTHON, SQL.name: SQL, **NATIVE}


def language_of(name: str) -> Language:
    try:
        return LANGUAGES[LANGUAGE_ALIASES.get(name, name)]
    except KeyError:
        raise UsageError(f"unknown language {name!r}; codereward runs {', '.join(LANGUAGES)}") from None


def prepare_program(task: Task, program: str) -> PreparedProgram:
    """`program` prepared as `task` runs it: in the task's language, and for an IOI function-interface
    problem (StdioSuite.grader) compiled with its grader."""
    language = language_of(task.language)
    grader = getattr(task.tests, "grader", None)
    if grader is None or not isinstance(language, NativeLanguage):
        return language.prepare(program)
    source = ioi_includes(program, grader.name) if grader.add_includes else program
    return language.with_grader(grader).prepare(source, grader.files)


def case_cpu_seconds(language: str, case_time: float | None) -> float:
    """A stdio case's CPU-time limit: the task's `case_time` times the language's factor (0: none)."""
    if case_time is None:
        return 0.0
    lang = language_of(language)
    return case_time * (lang.time_factor if isinstance(lang, NativeLanguage) else 1.0)


__all__ = ["LANGUAGES", "NATIVE", "PYTHON", "SQL", "Language", "NativeLanguage", "PreparedProgram",
           "case_cpu_seconds", "language_of", "prepare_program"]
