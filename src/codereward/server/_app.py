"""The FastAPI app: factory, body-size guard, auth, the error -> HTTP status map, /health and /metrics.

    app = create_app(ServerSettings(workers=2, cache_path="cache.sqlite"))

Nothing happens at import time; the sandboxes start in the app's lifespan and close when it ends.
Error map (one place): malformed JSON 400; wrong schema or bad task/label 422 naming the field; missing or
wrong token 401; body too large 413; queue full 429 + Retry-After; shutting down or an infra failure on a
compatible endpoint 503 + Retry-After.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse

from .. import __version__
from ..errors import InputError
from . import _metrics
from ._measure import router as measure_router
from ._open_instruct import router as open_instruct_router
from ._routes import Service
from ._routes import router as scoring_router
from ._runcode import router as runcode_router
from ._service import EvalService, ServiceError
from ._settings import ServerSettings

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware: reads the whole body up front and answers 413 past `limit` bytes, before any
    parsing. Every endpoint takes one JSON document, so nothing is lost by buffering it.

    A body over the limit is still read to its end, and thrown away, before the 413 goes out. A server
    that answers and closes while request bytes are unread makes its kernel answer them with a RST, and
    the client, still sending, sees "connection reset" or "broken pipe" instead of the 413 (uvicorn
    closes right after the response when the client sent `Connection: close`, as urllib always does).
    Draining is bounded the way nginx's lingering close is (lingering_time 30 s, lingering_timeout 5 s),
    plus a byte cap, so a sender that never stops, stalls or trickles cannot hold a connection: at the
    first bound the 413 goes out with `Connection: close` and uvicorn drops the connection.
    """

    drain_bytes = 128 << 20  # bytes read and discarded past the limit; a larger body is cut off
    drain_seconds = 30.0  # total time spent discarding one body
    drain_idle = 5.0  # longest wait for the next piece of the body while discarding

    def __init__(self, app: ASGIApp, limit: int, service: EvalService) -> None:
        self.app, self.limit, self.service = app, limit, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        known = path in _PATHS
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            headers = dict(scope.get("headers") or [])
            declared = headers.get(b"content-length")
            size = int(declared) if declared is not None and declared.isdigit() else None
            too_big = size is not None and size > self.limit
            body = bytearray()
            more = scope["method"] in ("POST", "PUT", "PATCH") or too_big
            while more and not too_big:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                too_big = len(body) > self.limit
            if too_big:
                body.clear()
                if not more:
                    ended: bool | None = True
                elif size is not None and (size - self.limit > self.drain_bytes
                                           or b"100-continue" in headers.get(b"expect", b"").lower()):
                    # More than will ever be read, or a client waiting for "100 Continue" (which reading
                    # would send) before it sends anything: refuse at once.
                    ended = False
                else:
                    ended = await self._discard(receive)
                if ended is not None:
                    await self._too_large(scope, receive, counting_send, close=not ended)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}
                return await receive()

            await self.app(scope, replay, counting_send)
        finally:
            with self.service.metrics.lock:
                self.service.metrics.requests[(path if known else "other", status["code"])] += 1

    async def _discard(self, receive: Receive) -> bool | None:
        """Read the rest of the body without keeping it. True: it ended; False: a bound was reached first;
        None: the client went away."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.drain_seconds
        left = self.drain_bytes
        while left >= 0:
            wait = min(self.drain_idle, deadline - loop.time())
            if wait <= 0:
                return False
            try:
                message = await asyncio.wait_for(receive(), wait)
            except TimeoutError:
                return False
            if message["type"] == "http.disconnect":
                return None
            left -= len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, *, close: bool) -> None:
        mb = self.limit / (1 << 20)
        response = JSONResponse({"detail": f"request body larger than {mb:g} MiB (--max-body-mb): split the batch"},
                                status_code=413, headers={"Connection": "close"} if close else None)
        await response(scope, receive, send)


_PATHS = {"/v1/evaluate", "/get_reward", "/test_program", "/test_program_stdio", "/run_code", "/health", "/metrics"}


# Routes whose real clients cannot send an Authorization header (ServerSettings.compat_without_token).
COMPAT_PATHS = frozenset({"/get_reward", "/test_program", "/test_program_stdio", "/run_code"})


def _require_token(request: Request) -> None:
    settings = request.app.state.settings
    token = settings.token
    if not token:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
        return
    if not given and request.url.path in COMPAT_PATHS and _compat_allowed(settings.compat_without_token, request):
        return
    raise _Unauthorized()


def _compat_allowed(policy: str, request: Request) -> bool:
    """A compatible route without a token: for "any" client, or a "private" one (loopback, RFC 1918, link-local,
    IPv6 unique-local: the trainer's own machine or cluster network). Behind a proxy the proxy is the client."""
    if policy == "any":
        return True
    if policy != "private" or request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback


class _Unauthorized(Exception):
    pass


def _field_errors(exc: RequestValidationError) -> tuple[int, dict[str, Any]]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        e = next(e for e in errors if e.get("type") == "json_invalid")
        where = e.get("loc", ("body", ""))[-1]
        return 400, {"detail": f"malformed JSON (at position {where}): {e.get('ctx', {}).get('error', e['msg'])}"}
    if errors and tuple(errors[0].get("loc", ())) == ("body",) and errors[0].get("type") in (
            "model_attributes_type", "dict_type", "missing"):
        return 422, {"detail": "the body must be a JSON object, sent with Content-Type: application/json"}
    items = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        items.append({"field": ".".join(loc) or "body", "message": e["msg"].removeprefix("Value error, ")})
    first = items[0] if items else {"field": "body", "message": "invalid request"}
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return 422, {"detail": f"{first['field']}: {first['message']}{more}", "errors": items}


def create_app(settings: ServerSettings, *, service: EvalService | None = None) -> FastAPI:
    """The codereward HTTP app. `service` may be given (tests inject an engine); by default one is built."""
    service = service or EvalService(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.bind_loop()
        await asyncio.to_thread(service.start)  # sandboxes start off the event loop
        try:
            yield
        finally:
            await asyncio.to_thread(service.close)

    app = FastAPI(title="codereward", version=__version__, lifespan=lifespan,
                  description="Sandboxed execution of LLM-generated code -> per-test verdicts and rewards.")
    app.state.settings = settings
    app.state.service = service
    auth = [Depends(_require_token)]
    app.include_router(scoring_router, dependencies=auth)
    app.include_router(open_instruct_router, dependencies=auth)
    app.include_router(runcode_router, dependencies=auth)
    app.include_router(measure_router, dependencies=auth)
    app.add_middleware(BodyLimit, limit=int(settings.max_body_mb * (1 << 20)), service=service)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, body = _field_errors(exc)
        return JSONResponse(body, status_code=code)

    @app.exception_handler(InputError)
    async def _bad_input(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=422)

    @app.exception_handler(ServiceError)
    async def _unavailable(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(_Unauthorized)
    async def _unauthorized(request: Request, exc: _Unauthorized) -> JSONResponse:
        return JSONResponse({"detail": "missing or wrong bearer token (Authorization: Bearer <token>)"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.get("/health", tags=["ops"])
    async def health(service: Service) -> JSONResponse:
        """200 while serving; 503 while draining, so a load balancer stops sending work."""
        body = {"status": "draining" if service.draining else "ok", "version": __version__,
                "backend": settings.backend, "queue_depth": service.queue_depth,
                "queue_capacity": settings.max_queue, "tasks": len(service.tasks)}
        return JSONResponse(body, status_code=503 if service.draining else 200)

    @app.get("/metrics", tags=["ops"], dependencies=auth)
    async def metrics(service: Service) -> PlainTextResponse:
        return PlainTextResponse(_metrics.render(service.snapshot()), media_type=_metrics.CONTENT_TYPE)

    return app
