"""What the commands share when they run: errors turned into exit statuses at the edge, the engine, the
shaper, and evaluation with results streamed to a file in input order.

Library errors become a message and an exit status here: 0 the run completed (candidates may have failed),
1 a `check` ended in status error or the sandbox cannot start, 2 a usage or input error, 130 interrupted.
Candidate output never reaches our stdout or stderr: only Result fields are printed.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.markup import escape

from ..backends import create_engine
from ..engine import Engine
from ..errors import InfraError, InputError, IsolationError, UsageError
from ..judge.sqldb import data_dirs
from ..judge.sqldb import packages as sql_packages
from ..report import progress_bar
from ..results import Detail, Result
from ..rewards import PerResult, Shaper, get_shaper, score
from ..tasks import PerTestLimit, Sample, Task, load_dataset, load_task_file
from ._options import BackendChoice, Isolation, err


def shaper(reward: str, penalties: list[str] | None = None) -> Shaper:
    """The shaper --reward and --penalty describe (rewards.score applies it to each result)."""
    if not penalties:
        return get_shaper(reward)
    from ..rewards.shaping import penalized

    table: dict[str, float] = {}
    for spec in penalties:
        if spec == "default":
            continue
        name, _, value = spec.partition("=")
        try:
            table[name.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"{spec!r}: expected CATEGORY=NUMBER or 'default'",
                                     param_hint="'--penalty'") from None
    try:
        return penalized(reward, table)
    except UsageError as e:
        raise typer.BadParameter(str(e), param_hint="'--penalty'") from None


@contextmanager
def edge() -> Iterator[None]:
    """Library errors -> one message on stderr and the exit status the CLI promises."""
    try:
        yield
    except InputError as e:
        fail(str(e), 2)
    except (IsolationError, InfraError) as e:
        fail(str(e), 1)
    except OSError as e:  # e.g. the results file cannot be written (disk full) while the run is going
        fail(f"{e.filename + ': ' if e.filename else ''}{e.strerror or e}", 1)


def fail(message: str, code: int) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def load_tasks(dataset: str | None, data_file: Path | None, tasks_file: Path | None,
               language: str | None = None, test_cases: Path | None = None) -> dict[str, Task]:
    if tasks_file is not None:
        if dataset is not None or data_file is not None or test_cases is not None:
            raise typer.BadParameter("cannot be combined with --dataset, --data-file or --test-cases",
                                     param_hint="'--tasks'")
        tasks = load_task_file(tasks_file)
        if language is None:
            return tasks
        try:
            return {task_id: task.in_language(language) for task_id, task in tasks.items()}
        except ValueError as e:
            message = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
            raise InputError(f"cannot judge these tasks in {language!r}: {message}", field="--language") from None
    return load_dataset(dataset or "humaneval", data_file, language=language, tests=test_cases)


def warn_isolation(isolation: Isolation) -> None:
    if isolation is Isolation.none:
        err.print("[bold white on red] WARNING [/] [bold red]--isolation none: candidate code runs WITHOUT a "
                  "sandbox, with your user's rights (files, network, processes). Use it only for code you "
                  "trust.[/]", soft_wrap=True)


def make_engine(workers: int | None, isolation: Isolation, time_limit: float | str | None = None,
                fail_fast: bool = False, audit: bool = True, backend: BackendChoice = None,
                dedupe: bool = True, packages: Sequence[str] = ("numpy",), validate_tests: bool = False,
                per_test: PerTestLimit | str | None = "task", tasks: Mapping[str, Task] | None = None) -> Engine:
    """The engine a command runs on. `tasks`: the tasks it will judge, whose SQL database directories its
    sandboxes then read."""
    warn_isolation(isolation)
    with warnings.catch_warnings():  # the pool warns about isolation none too; we just said it louder
        warnings.simplefilter("ignore")
        return create_engine(backend.value if backend is not None else "local", workers=workers,
                             isolation=isolation.value, time_limit=time_limit, fail_fast=fail_fast, audit=audit,
                             dedupe=dedupe, validate_tests=validate_tests,
                             packages=tuple(dict.fromkeys([*packages, *sql_packages(tasks or {})])),
                             per_test=per_test, data_dirs=data_dirs(tasks or {}))


def read_code(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not valid UTF-8 (byte {e.start + 1})", source=str(path)) from None
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", source=str(path)) from None


class OrderedWriter:
    """Streams results to a JSONL file in input order as they finish.

    Results arrive from worker threads in any order; those ahead of a gap wait in a buffer and the
    contiguous prefix is written and flushed, so an interrupted run leaves a valid prefix of the full file.
    """

    def __init__(self, path: Path, detail: Detail = "full") -> None:
        self.detail = detail
        try:
            self._file = path.open("w", encoding="utf-8")
        except OSError as e:
            raise InputError(f"cannot write results: {e.strerror or e}", source=str(path)) from None
        self.written = 0
        self._pending: dict[int, Result] = {}
        self._lock = threading.Lock()

    def add(self, index: int, result: Result) -> None:
        with self._lock:
            if self._file.closed:  # interrupted: results still landing are not trusted nor wanted
                return
            self._pending[index] = result
            while self.written in self._pending:
                self._file.write(json.dumps(self._pending.pop(self.written).to_dict(self.detail)) + "\n")
                self.written += 1
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def evaluate(engine: Engine, tasks: dict[str, Task], samples: Sequence[Sample], out: Path | None,
             reward: Shaper, detail: Detail = "full") -> tuple[list[Result], float]:
    """Run every sample, shape its reward and stream it to `out`; on Ctrl-C keep what is written, exit 130.

    A per-result shaper shapes each result as it arrives. A group shaper (verpo) sees a task's samples
    together, as GRPO's group of one prompt: a task's results are shaped, and written, when the last of them
    is in."""
    writer = OrderedWriter(out, detail) if out is not None else None
    grouped = not isinstance(reward, PerResult)
    remaining = Counter(s.task_id for s in samples)
    held: dict[str, list[tuple[int, Result]]] = defaultdict(list)
    lock = threading.Lock()

    def text(index: int) -> str:
        sample = samples[index]
        return sample.completion if sample.completion is not None else sample.solution or ""

    t0 = time.perf_counter()
    try:
        with engine, progress_bar(len(samples), err, show=sys.stdout.isatty()) as advance:
            def on_result(index: int, result: Result) -> None:
                ready = [(index, result)]
                if grouped:
                    with lock:
                        held[result.task_id].append((index, result))
                        remaining[result.task_id] -= 1
                        ready = held.pop(result.task_id) if remaining[result.task_id] == 0 else []
                if ready:
                    score([r for _, r in ready], reward, completions=[text(i) for i, _ in ready])
                for i, r in ready:
                    if writer is not None:
                        writer.add(i, r)
                advance()

            try:
                results = engine.evaluate(tasks, samples, on_result=on_result)
            except KeyboardInterrupt:
                if writer is not None:
                    writer.close()  # before the engine waits for running samples
                raise
    except KeyboardInterrupt:
        done = f"{writer.written} of {len(samples)} results written to {out}" if writer else "nothing written"
        err.print(f"[bold yellow]interrupted:[/] {escape(done)}", soft_wrap=True)
        raise typer.Exit(130) from None
    finally:
        if writer is not None:
            writer.close()
    return results, time.perf_counter() - t0
