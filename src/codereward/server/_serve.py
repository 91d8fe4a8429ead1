"""Run the app under uvicorn, with SIGTERM/SIGINT turned into a drain.

On the first signal: /health turns 503 and new requests get 503 + Retry-After (EvalService.begin_drain),
uvicorn stops accepting connections and waits for in-flight requests; whatever has not finished
`shutdown_grace` seconds later is answered 503 so clients retry elsewhere; then the sandboxes close.
A second SIGINT forces an exit.
"""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn

from ._app import create_app
from ._service import EvalService
from ._settings import ServerSettings


class _DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, service: EvalService) -> None:
        super().__init__(config)
        self.service = service

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Runs in the signal handler: only flags here (begin_drain schedules its timer on the loop).
        # Not recorded in _captured_signals, so uvicorn does not re-raise SIGTERM after a clean drain and
        # the process exits 0.
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.service.begin_drain()
            self.should_exit = True


def build_server(settings: ServerSettings, host: str = "127.0.0.1", port: int = 8000,
                 log_level: str = "info") -> _DrainingServer:
    """A uvicorn server for the codereward app (call .run(), or .serve() inside an event loop)."""
    service = EvalService(settings)
    app = create_app(settings, service=service)
    # Past the grace, EvalService has already answered 503 to what was unfinished; the extra seconds let
    # those answers go out before uvicorn cancels anything.
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on",
                            timeout_graceful_shutdown=int(settings.shutdown_grace) + 5, access_log=False)
    return _DrainingServer(config, service)


def serve(settings: ServerSettings, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve until SIGTERM/SIGINT, then drain (see the module docstring).

    The engine starts first, here: a sandbox that cannot start or a Ray cluster that cannot be reached is
    then the caller's exception (the CLI's one-line error), not a traceback from uvicorn's start-up."""
    server = build_server(settings, host, port, log_level)
    try:
        server.service.start()
    except BaseException:
        server.service.close()
        raise
    server.run()
