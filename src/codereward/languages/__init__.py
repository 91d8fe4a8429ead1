"""The languages candidates are written in: how a program is prepared on the host, and which sandbox
profile runs it: Python, and SQL (SQLite), whose queries run inside a small Python program (sql.py).

    language = language_of(task)          # by task.language
    program = language.prepare(source)    # the payload the candidate process loads, and its compile error

A language that compiles to a native artifact would prepare its source here (or compile it in the
sandbox, under its own limits) and name a sandbox profile that lets that artifact be executed while its
processes still cannot start others (sandbox/bwrap.py PROFILES, sandboxed/seccomp.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..errors import UsageError


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


from .python import PYTHON  # noqa: E402 — it needs PreparedProgram, defined above
from .sql import SQL  # noqa: E402

LANGUAGES: dict[str, Language] = {PYTHON.name: PYTHON, SQL.name: SQL}


def language_of(name: str) -> Language:
    try:
        return LANGUAGES[name]
    except KeyError:
        raise UsageError(f"unknown language {name!r}; codereward runs {', '.join(LANGUAGES)}") from None


__all__ = ["LANGUAGES", "PYTHON", "SQL", "Language", "PreparedProgram", "language_of"]
