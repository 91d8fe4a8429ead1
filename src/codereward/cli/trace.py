"""`codereward trace`: run one call of a program in the sandbox and show its execution, line by line."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..judge.prepare import NO_VALUE
from ..tracing import Trace, trace_call
from ._options import OUTPUT, Isolation, IsolationOpt, JsonOpt, app, console
from ._running import edge, make_engine, print_json, read_code

EXAMPLES = """[b]Examples[/]

  codereward trace --program f.py --call "f(3)"
  codereward trace --program f.py --call "f([3, 1, 2], key=None)" --watch 4,6 --json"""


def parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    """`name(literal, ..., key=literal)` -> (name, args, kwargs); anything else is a usage error."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            raise ValueError("not a call of a function by name")
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg is not None}
        if len(kwargs) != len(node.keywords):
            raise ValueError("**kwargs is not supported")
    except (SyntaxError, ValueError) as e:
        raise typer.BadParameter(f"{text!r}: expected NAME(literal, ..., key=literal) ({e})",
                                 param_hint="'--call'") from None
    return node.func.id, args, kwargs


def _short(value: Any, kind: str) -> str:
    text = f"<{kind}>" if value is NO_VALUE else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def trace_table(t: Trace, max_rows: int = 200) -> Table:
    table = Table(title="Execution trace", title_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("line", justify="right")
    table.add_column("statement")
    table.add_column("locals before it (at return: final)")
    for k, step in enumerate(t.steps[:max_rows]):
        state = "" if step.state is None else ", ".join(f"{n}={_short(v, kind)}" for n, (v, kind) in step.state.items())
        table.add_row(str(k), str(step.line), ("return  " if step.returning else "") + t.source(step.line), state)
    if len(t.steps) > max_rows:
        table.add_row("", "", f"... {len(t.steps) - max_rows} more steps (--json has them all)", "")
    return table


@app.command("trace", epilog=EXAMPLES)
def trace_(
    program: Annotated[Path, typer.Option("--program", "-p", metavar="FILE.py", dir_okay=False,
                                          help="The program defining the function to call.")],
    call: Annotated[str, typer.Option("--call", "-c", metavar="'NAME(ARGS)'",
                                      help="The call to trace, with literal arguments.")],
    watch: Annotated[str | None, typer.Option(
        "--watch", metavar="LINE,...", rich_help_panel=OUTPUT, show_default="every line",
        help="Lines whose locals are recorded (before the line runs).")] = None,
    time_limit: Annotated[float, typer.Option("--timeout", min=0.1, max=600, metavar="SECONDS",
                                              help="Wall-clock limit of the traced run.")] = 10.0,
    isolation: IsolationOpt = Isolation.bwrap, json_out: JsonOpt = False,
) -> None:
    """Run one call of a program in the sandbox and show what it did: each line it ran, in order, with its
    local variables, and what the call returned.

    The trace is what the trace rewards score predictions against (README, [i]Execution traces[/]): the
    output, the next statement, variable values and types. The traced program is untrusted: one that
    tampers with the tracer (trace functions, frames, the heap, threads) gets an [i]untrusted[/] trace,
    which scores nothing; the trace is bounded in events and bytes. Exit status 0 when the trace ran, 1 when
    the sandbox cannot start or the trace is untrusted, 2 on a usage or input error.
    """
    entry, args, kwargs = parse_call(call)
    try:
        lines = [int(x) for x in watch.split(",")] if watch else None
    except ValueError:
        raise typer.BadParameter(f"{watch!r}: expected line numbers, e.g. 3,5", param_hint="'--watch'") from None
    with edge():
        source = read_code(program)
        with make_engine(1, isolation, audit=False) as engine:
            t = trace_call(engine, source, entry, args, kwargs, watch=lines, time_limit=time_limit)
    if json_out:
        print_json(t.to_dict())
    else:
        console.print(trace_table(t))
        console.print(f"returned {t.output!r}" if not t.raised else f"raised {t.raised}",
                      f"[yellow]untrusted: {t.untrusted}[/]" if t.untrusted else "",
                      "[yellow](truncated)[/]" if t.truncated else "")
    raise typer.Exit(1 if t.untrusted else 0)

