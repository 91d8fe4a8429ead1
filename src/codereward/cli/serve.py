"""`codereward serve`: the HTTP server (server/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._options import (
    RUN,
    TASKS,
    DataFileOpt,
    DatasetOpt,
    FailFastOpt,
    Isolation,
    IsolationOpt,
    PerTestOpt,
    RewardOpt,
    TasksOpt,
    TimeLimitOpt,
    WorkersOpt,
    app,
)
from ._running import edge, load_tasks, warn_isolation

SERVE_EXAMPLES = """[b]Examples[/]

  codereward serve --port 8000 --workers 8 --cache results.sqlite
  CODEREWARD_TOKEN=secret codereward serve --dataset humaneval   [dim]# clients send Authorization: Bearer secret[/]
  curl -s localhost:8000/v1/evaluate -H 'Content-Type: application/json' \\
      -d '{"samples": [{"task_id": "HumanEval/0", "completion": "    return False\\n"}]}'"""


@app.command(epilog=SERVE_EXAMPLES)
def serve(
    host: Annotated[str, typer.Option("--host", rich_help_panel="Server", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, rich_help_panel="Server")] = 8000,
    token: Annotated[str | None, typer.Option(
        "--token", envvar="CODEREWARD_TOKEN", show_default="none, no auth", rich_help_panel="Server",
        help="Bearer token every request but /health must carry (see --compat-without-token).")] = None,
    compat_without_token: Annotated[str, typer.Option(
        "--compat-without-token", metavar="private|any|none", rich_help_panel="Server",
        help="With --token: who may call /get_reward, /test_program*, /run_code without it, since OpenRLHF, "
             "Open-Instruct, verl and the sandbox-fusion SDK cannot send one: [b]private[/] clients on loopback "
             "or a private network, [b]any[/] client, [b]none[/].")] = "private",
    compat_wait: Annotated[float, typer.Option(
        "--compat-wait", min=0, metavar="SECONDS", rich_help_panel="Server",
        help="How long a request to a compatible route waits for room in a full queue before its 429 (their "
             "clients do not retry, or retry blindly).")] = 120.0,
    max_queue: Annotated[int, typer.Option(
        "--max-queue", min=1, rich_help_panel="Server",
        help="Samples accepted and not yet finished; past it requests get 429 with Retry-After.")] = 1024,
    max_body_mb: Annotated[float, typer.Option(
        "--max-body-mb", min=0.001, rich_help_panel="Server", help="Larger request bodies get 413.")] = 32.0,
    cache: Annotated[Path | None, typer.Option(
        "--cache", metavar="PATH", dir_okay=False, show_default="none", rich_help_panel="Server",
        help="SQLite result cache; server processes given the same file share it.")] = None,
    backend: Annotated[str, typer.Option(
        "--backend", metavar="local|ray", rich_help_panel=RUN, help="Where executions run.")] = "local",
    dataset: DatasetOpt = None, data_file: DataFileOpt = None, tasks_file: TasksOpt = None,
    workers: WorkersOpt = None, time_limit: TimeLimitOpt = None, reward: RewardOpt = "binary",
    isolation: IsolationOpt = Isolation.bwrap, fail_fast: FailFastOpt = False, per_test: PerTestOpt = None,
    data_dir: Annotated[list[Path] | None, typer.Option(
        "--data-dir", metavar="DIR", file_okay=False, exists=True, show_default="the loaded SQL tasks' own",
        rich_help_panel=TASKS,
        help="A directory of SQLite databases that SQL tasks sent in requests may name; its files are readable, "
             "read-only, in the sandboxes. Repeat for more.")] = None,
) -> None:
    """Serve the HTTP API: native batch evaluation plus OpenRLHF, Open-Instruct and SandboxFusion endpoints.

    POST /v1/evaluate, /get_reward, /test_program, /test_program_stdio, /run_code; GET /health, /metrics.
    A dataset ([b]--dataset[/]/[b]--tasks[/]) is optional: it lets requests name tasks by id. SIGTERM drains:
    in-flight requests finish (or get 503), then the sandboxes close.
    """
    from ..server import ServerSettings
    from ..server import serve as run_server

    if compat_without_token not in ("private", "any", "none"):
        raise typer.BadParameter(f"{compat_without_token!r}: choose private, any or none",
                                 param_hint="'--compat-without-token'")
    with edge():
        tasks = load_tasks(dataset, data_file, tasks_file) if dataset or data_file or tasks_file else {}
        warn_isolation(isolation)
        run_server(ServerSettings(backend=backend, workers=workers, isolation=isolation.value, reward=reward,
                                  time_limit=time_limit, fail_fast=fail_fast, per_test=per_test, tasks=tasks,
                                  data_dirs=tuple(str(d) for d in data_dir or ()),
                                  token=token,
                                  compat_without_token=compat_without_token, compat_wait=compat_wait,
                                  cache_path=str(cache) if cache else None, max_queue=max_queue,
                                  max_body_mb=max_body_mb), host=host, port=port)
