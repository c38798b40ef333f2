"""``csqa serve``: csqa as a local service, for call-centre software that is not written in Python.

An ASGI application (Starlette) served by uvicorn, bound to 127.0.0.1 unless told otherwise, with one rule set
chosen at start (``--rules FILE --company NAME``)::

    GET  /health          {"status": "ok", "sessions": 3}
    GET  /version         csqa's version, the scorecard, company, tokenizer and limits
    GET  /rules           every rule: code, id, title, weight, severity, and when a live session judges it
    POST /score           one call (JSON) → its report (JSON), or an error record
    POST /score/stream    calls as JSON Lines → reports as JSON Lines, streamed back in order: every input line
                          gives a report or an error record (blank lines give nothing)
    WS   /live            a live session: the events of csqa.LiveSession, then the report

Every error is JSON: ``{"error": true, "code": "E…", "message": "…"}`` (an error record of the batch for a bad
call, with its ``problems``), with the code of ``csqa.errors.CODES``; nothing of a stack trace reaches a
client (the server's log has it). Limits: the size of a request body (or of one line of a stream, or of one
WebSocket message), the utterances of a call or a session, and the live sessions open at once
(:class:`Limits`). ``docs/live.md`` documents the WebSocket protocol with a client in Python and in a browser.

Needs the ``serve`` extra: ``pip install 'csqa[serve]'`` (Starlette, uvicorn, websockets).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.types import Receive, Scope, Send
    from starlette.websockets import WebSocket, WebSocketDisconnect
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("csqa serve needs Starlette, uvicorn and websockets: pip install 'csqa[serve]'") from exc

from csqa.errors import CsqaError, InputError
from csqa.input.loaders import RawCall, error_record, loads_json
from csqa.input.model import Call, CallError
from csqa.outputs.report import Report
from csqa.scoring.live import LIVE_RULES, LiveEvent, LiveSession
from csqa.scoring.scorer import Scorer
from csqa.version import __version__

__all__ = ["Limits", "ServiceError", "create_app", "serve"]

log = logging.getLogger("csqa.serve")

_LIVE_FIELDS = ("call_id", "direction", "agent_id", "rings", "ring_seconds", "started_at", "team", "metadata",
                "silence_seconds", "greeting_seconds")


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the service.

    ``max_body_bytes``: a request body, one line of a stream, one WebSocket message (larger: E410);
    ``max_utterances``: the utterances of a call scored, or fed to a live session (more: E411);
    ``max_sessions``: live sessions open at once (one more: E412, and the WebSocket closes).
    """

    max_body_bytes: int = 4 * 1024 * 1024
    max_utterances: int = 5_000
    max_sessions: int = 200


class ServiceError(CsqaError):
    """A request the service refuses: too large (E410), a call too long (E411), too many live sessions (E412),
    a request or message it does not understand (E413), no such endpoint (E414), or a failure of its own
    (E301, with no details for the client)."""

    code = "E413"
    STATUS: ClassVar[dict[str, int]] = {"E410": 413, "E411": 413, "E412": 503, "E413": 400, "E414": 404, "E301": 500}

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"[{code}] {message}")

    @property
    def status(self) -> int:
        return self.STATUS.get(self.code, 400)

    def record(self) -> dict[str, Any]:
        return {"error": True, "code": self.code, "message": str(self)}


_INPUT_STATUS = {"E100": 400, "E101": 422, "E102": 400, "E103": 400}


def _error_response(record: dict[str, Any], status: int) -> JSONResponse:
    return JSONResponse(record, status_code=status)


class _Service:
    """The application's state: the scorer (shared by every request and session) and the open sessions."""

    def __init__(self, scorer: Scorer, limits: Limits) -> None:
        self.scorer = scorer
        self.limits = limits
        self.sessions = 0
        self._lock = threading.Lock()

    # --- sessions -------------------------------------------------------------------------------------

    def enter(self) -> None:
        with self._lock:
            if self.sessions >= self.limits.max_sessions:
                raise ServiceError("E412", f"the service has {self.sessions} live sessions open, its limit; "
                                           "close one or try again later")
            self.sessions += 1

    def leave(self) -> None:
        with self._lock:
            self.sessions -= 1

    # --- scoring --------------------------------------------------------------------------------------

    def score_one(self, payload: bytes, *, line: int | None = None, source: str = "<request>") -> Report | CallError:
        """One call's report or error record (never raises for bad input)."""
        try:
            call = RawCall(payload, source, line).parse()
        except InputError as exc:
            return error_record(exc)
        too_long = self._too_long(call, source, line)
        if too_long is not None:
            return too_long
        return self.scorer.score_item(call)

    def _too_long(self, call: Call, source: str, line: int | None) -> CallError | None:
        count, limit = len(call.utterances), self.limits.max_utterances
        if count <= limit:
            return None
        where = f"{source} line {line}, " if line is not None else ""
        return CallError(code="E411", message=f"[E411] {where}call {call.call_id!r}: {count} utterances, more than the "
                         f"service's limit of {limit}", call_id=call.call_id, source=source, line=line)

    def body_error(self, size: int, line: int | None = None) -> CallError:
        where = f"<request> line {line}: " if line is not None else ""
        return CallError(code="E410", message=f"[E410] {where}more than the service's limit of "
                         f"{self.limits.max_body_bytes} bytes (at least {size})", source="<request>", line=line)


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused past ``limit`` bytes however the client announced it."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ServiceError("E410", f"the request body has {declared} bytes, more than the service's limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ServiceError("E410", f"the request body is larger than the service's limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _result_json(result: Report | CallError) -> str:
    return result.model_dump_json()


def create_app(scorer: Scorer, *, limits: Limits | None = None) -> Starlette:
    """The ASGI application serving ``scorer`` (see the module's documentation for its endpoints)."""
    service = _Service(scorer, limits or Limits())

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "sessions": service.sessions})

    async def version(request: Request) -> Response:
        card = scorer.rules.scorecard
        return JSONResponse({
            "csqa": __version__, "scorecard": card.name, "company": card.company, "rules": len(scorer.rules.rules),
            "tokenizer": scorer.tokenizer_backend, "limits": asdict(service.limits),
        })

    async def rules(request: Request) -> Response:
        found = []
        for rule_id, config in scorer.rules.rules.items():
            check = scorer.rules.checks[rule_id]
            found.append({
                "rule": rule_id, "code": check.code, "title": check.title, "weight": config.weight,
                "severity": config.severity, "veto": config.vetoes, "directions": list(check.directions),
                "checks": check.summary, "live": LIVE_RULES.get(rule_id, _site_live(check.kind)),
            })
        return JSONResponse({"scorecard": scorer.rules.scorecard.name, "company": scorer.rules.scorecard.company,
                             "pass_mark": scorer.rules.scorecard.pass_mark, "rules": found})

    async def score(request: Request) -> Response:
        body = await _body(request, service.limits.max_body_bytes)
        result = await run_in_threadpool(service.score_one, body)
        if isinstance(result, CallError):
            status = _INPUT_STATUS.get(result.code, 413 if result.code in ("E410", "E411") else 500)
            return Response(_result_json(result), status_code=status, media_type="application/json")
        return Response(_result_json(result), media_type="application/json")

    async def score_stream(request: Request) -> Response:
        return _JsonLines(_stream(request, service))

    async def live(websocket: WebSocket) -> None:
        await _live(websocket, service)

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = "E414" if exc.status_code in (404, 405) else "E413"
        message = (f"no such endpoint: {request.method} {request.url.path}; the service has GET /health, /version, "
                   "/rules, POST /score, /score/stream and WebSocket /live") if code == "E414" else str(exc.detail)
        return _error_response(ServiceError(code, message).record(), exc.status_code)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return _error_response(exc.record(), exc.status)

    async def failed(request: Request, exc: Exception) -> Response:
        log.error("csqa serve: %s %s failed", request.method, request.url.path, exc_info=exc)
        error = ServiceError("E301", "the service failed on this request (a bug; its log has the details)")
        return _error_response(error.record(), 500)

    return Starlette(
        routes=[
            Route("/health", health), Route("/version", version), Route("/rules", rules),
            Route("/score", score, methods=["POST"]), Route("/score/stream", score_stream, methods=["POST"]),
            WebSocketRoute("/live", live),
        ],
        exception_handlers={HTTPException: not_found, ServiceError: refused, Exception: failed},
    )


class _JsonLines(Response):
    """A response streamed line by line while the request body is still being read. (Starlette's
    StreamingResponse listens for the client's disconnect on the same channel the body comes in on, so it
    cannot stream a reply to a body it is reading.)"""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.lines = lines
        self.status_code = 200
        self.background = None
        self.raw_headers = [(b"content-type", b"application/x-ndjson; charset=utf-8")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        try:
            async for line in self.lines:
                await send({"type": "http.response.body", "body": line.encode("utf-8"), "more_body": True})
        except (ClientDisconnect, OSError):
            return  # the client went away: nobody is left to tell
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _site_live(kind: str) -> str:
    if kind in ("phrase-forbidden", "silence", "first-response"):
        return "live (see docs/live.md)"
    return "at the end"


async def _lines(request: Request, limit: int) -> AsyncIterator[tuple[int, bytes | None, int]]:
    """``(line number, line, size)`` of a streamed body, one line at a time; a line longer than ``limit`` comes
    as ``None`` with the size read (the rest of it is skipped), so memory stays bounded whatever the body."""
    buffer = b""
    number = 0
    skipping = 0
    async for chunk in request.stream():
        buffer += chunk
        while True:
            cut = buffer.find(b"\n")
            if cut < 0:
                break
            number += 1
            line, buffer = buffer[:cut], buffer[cut + 1 :]
            if skipping:
                yield number, None, skipping + len(line)
                skipping = 0
            else:
                yield number, line, len(line)
        if len(buffer) > limit:
            skipping += len(buffer)
            buffer = b""
    if buffer or skipping:
        number += 1
        yield number, (None if skipping else buffer), skipping + len(buffer)


async def _stream(request: Request, service: _Service) -> AsyncIterator[str]:
    limit = service.limits.max_body_bytes
    async for number, line, size in _lines(request, limit):
        if line is None or size > limit:
            yield _result_json(service.body_error(size, number)) + "\n"
            continue
        if not line.strip():
            continue
        try:
            result = await run_in_threadpool(service.score_one, line, line=number)
        except Exception as exc:  # a bug costs its line an error record, never the rest of the stream
            log.error("csqa serve: line %d of a stream failed", number, exc_info=exc)
            result = CallError(code="E301", message=f"[E301] <request> line {number}: the service failed on this call "
                               "(a bug; its log has the details)", source="<request>", line=number)
        yield _result_json(result) + "\n"


# --- the live session over a WebSocket ----------------------------------------------------------------------


class _Protocol:
    """One WebSocket's conversation: messages in, replies out (see ``docs/live.md``)."""

    def __init__(self, service: _Service) -> None:
        self.service = service
        self.session: LiveSession | None = None

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        kind = message.get("type")
        if kind == "open":
            return self._open(message)
        session = self.session
        if session is None:
            raise ServiceError("E413", f"the first message opens the session ({{\"type\": \"open\", \"call\": {{…}}}}), "
                                       f"not {kind!r}")
        if kind == "utterance":
            if session.utterances >= self.service.limits.max_utterances and message.get("final", True):
                raise ServiceError("E411", f"the session has {session.utterances} utterances, the service's limit")
            fields = _fields(message, ("speaker", "text"), ("start", "end", "final", "id"))
            return _events(session.feed(**fields))
        if kind == "event":
            event = message.get("event")
            if not isinstance(event, dict):
                raise ServiceError("E413", "an event message carries \"event\": {\"type\": \"hold\"|\"transfer\", "
                                           "\"start\": …, \"end\": …}")
            return _events(session.event(**_fields(event, ("type", "start"), ("end",))))
        if kind == "advance":
            return _events(session.advance(_fields(message, ("now",), ())["now"]))
        if kind == "close":
            report = session.close(**_fields(message, (), ("hangup_by",)))
            return {"type": "closed", "events": _dumped(session.closing_events), "report": report.model_dump(mode="json")}
        raise ServiceError("E413", f"unknown message type {kind!r}; the types are open, utterance, event, advance, close")

    def _open(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.session is not None:
            raise ServiceError("E413", "this WebSocket already has a session open; one session per connection")
        call = message.get("call")
        if not isinstance(call, dict):
            raise ServiceError("E413", "an open message carries \"call\": {\"call_id\": …, \"direction\": …, \"rings\": …}")
        unknown = sorted(set(call) - set(_LIVE_FIELDS))
        if unknown:
            raise ServiceError("E413", f"unknown call field(s) {', '.join(map(repr, unknown))}; a session opens with "
                                       f"{', '.join(_LIVE_FIELDS)} (utterances and events come as messages)")
        if not isinstance(call.get("call_id"), (str, int)) or isinstance(call.get("call_id"), bool):
            raise ServiceError("E413", "an open message's call needs a call_id")
        session = self.service.scorer.live(**{**call, "call_id": str(call["call_id"])})
        self.service.enter()
        self.session = session
        return {"type": "opened", "call_id": session.call_id, "waiting": session.waiting}


def _fields(message: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    missing = [name for name in required if name not in message]
    if missing:
        raise ServiceError("E413", f"the message lacks {', '.join(missing)}")
    unknown = sorted(set(message) - {*required, *optional, "type", "ref"})
    if unknown:
        raise ServiceError("E413", f"unknown field(s) {', '.join(map(repr, unknown))}; this message takes "
                                   f"{', '.join([*required, *optional])}")
    return {name: message[name] for name in (*required, *optional) if name in message}


def _dumped(events: tuple[LiveEvent, ...] | list[LiveEvent]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in events]


def _events(events: list[LiveEvent]) -> dict[str, Any]:
    return {"type": "events", "events": _dumped(events)}


async def _live(websocket: WebSocket, service: _Service) -> None:
    await websocket.accept()
    protocol = _Protocol(service)
    limit = service.limits.max_body_bytes
    try:
        while True:
            text = await websocket.receive_text()
            reply = await _reply(protocol, text, limit)
            await websocket.send_text(json.dumps(reply, ensure_ascii=False))
            if reply.get("type") == "closed":
                await websocket.close(1000)
                return
            if reply.get("code") == "E412":
                await websocket.close(1013, "too many live sessions")
                return
    except WebSocketDisconnect:
        return
    finally:
        if protocol.session is not None:
            service.leave()


async def _reply(protocol: _Protocol, text: str, limit: int) -> dict[str, Any]:
    """The reply to one message: its events, or an error (the session is unchanged by a refused message)."""
    ref: Any = None
    try:
        if len(text.encode("utf-8", "surrogatepass")) > limit:
            raise ServiceError("E410", f"the message is larger than the service's limit of {limit} bytes")
        try:
            message = loads_json(text, source="<message>")
        except InputError as exc:
            raise ServiceError("E413", f"a message is one JSON object: {exc}") from None
        if not isinstance(message, dict):
            raise ServiceError("E413", "a message is one JSON object with a \"type\"")
        ref = message.get("ref")
        if message.get("type") in ("close", "open"):  # a whole report, or a scorer's first use: off the event loop
            reply = await run_in_threadpool(protocol.handle, message)
        else:  # an utterance takes a fraction of a millisecond: a thread would cost more than it saves
            reply = protocol.handle(message)
    except InputError as exc:
        reply = {"type": "error", **error_record(exc).model_dump(mode="json", exclude={"error"})}
    except CsqaError as exc:
        reply = {"type": "error", "code": exc.code, "message": str(exc)}
    except TypeError as exc:  # a field of the wrong type that the session's own checks let through
        reply = {"type": "error", "code": "E413", "message": f"[E413] a field has the wrong type: {exc}"}
    except Exception as exc:
        log.error("csqa serve: a live message failed", exc_info=exc)
        reply = {"type": "error", "code": "E301", "message": "[E301] the service failed on this message (a bug; its log has "
                                                             "the details)"}
    if ref is not None:
        reply["ref"] = ref
    return reply


# --- running it ------------------------------------------------------------------------------------------------


def serve(
    scorer: Scorer,
    *,
    host: str = "127.0.0.1",
    port: int = 8720,
    limits: Limits | None = None,
    log_level: str = "info",
) -> None:
    """Serve ``scorer`` on ``host``:``port`` until interrupted (Ctrl-C, SIGTERM)."""
    limits = limits or Limits()
    config = uvicorn.Config(
        create_app(scorer, limits=limits), host=host, port=port, log_level=log_level, ws="websockets-sansio",
        ws_max_size=4 * limits.max_body_bytes, lifespan="off", server_header=False,
    )
    uvicorn.Server(config).run()
