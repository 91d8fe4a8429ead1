"""Exceptions. A candidate's failure is never an exception (it is an Outcome on a Result).

    CodeRewardError
    ├── InputError        bad user input: a file, line or field is named in the message
    ├── UsageError        the API is misused (a programmer's error): an unknown option value, say; also a ValueError
    ├── IsolationError    the sandbox cannot be set up here (bubblewrap missing or refused)
    ├── InfraError        the engine or a sandbox broke while running; results say status=error, cause sandbox
    └── TaskError         a task's tests or reference solution are broken; results say status=error, cause task
"""

from __future__ import annotations


class CodeRewardError(Exception):
    """Base class of every error codereward raises on purpose."""


class InputError(CodeRewardError):
    """User input is malformed: the message names the file, line and field at fault."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = ":".join(str(p) for p in (source, line) if p is not None)
        prefix = f"{where}: " if where else ""
        suffix = f" (field '{field}')" if field else ""
        super().__init__(f"{prefix}{message}{suffix}")
        self.message = message  # without the location, for callers that name it their own way
        self.source, self.line, self.field = source, line, field


class UsageError(CodeRewardError, ValueError):
    """The API was called wrongly: the message says what is accepted."""


class IsolationError(CodeRewardError):
    """Full isolation is not available on this machine; the message says why and what to do."""


class InfraError(CodeRewardError):
    """A sandbox or worker failed for reasons that are not the candidate's fault (retrying may succeed)."""


class TaskError(CodeRewardError):
    """A task cannot be judged: its tests do not load, its reference solution fails, ... Every sample of
    the task would meet it, so it is remembered for the task, and reported once."""
