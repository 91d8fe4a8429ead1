"""HTTP server: a native batch API plus OpenRLHF, Open-Instruct and SandboxFusion compatible endpoints.

    from codereward.server import ServerSettings, create_app, serve
    serve(ServerSettings(workers=2, cache_path="cache.sqlite"), host="0.0.0.0", port=8000)

Endpoints: POST /v1/evaluate (native), POST /get_reward (OpenRLHF remote RM), POST /test_program and
/test_program_stdio (Open-Instruct code verifier), POST /run_code (SandboxFusion), GET /health, GET /metrics.
"""

from __future__ import annotations

from ._app import create_app
from ._serve import build_server, serve
from ._service import EvalService
from ._settings import ServerSettings

__all__ = ["EvalService", "ServerSettings", "build_server", "create_app", "serve"]
