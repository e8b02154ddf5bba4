"""``WS /ws/api/v2``: JSON-RPC over websocket, with subscriptions and session safety.

Per connection: a reader task decodes each frame, dispatches it and queues the answer;
a writer task drains the session's bounded outbox to the socket. Requests of one
connection are served one after another, in order. The connection ends when the client
closes, the outbox overflows (``slow_consumer``), a heartbeat goes unanswered
(``heartbeat_timeout``) or the client logs out; except after a logout, the session's
cancel-on-disconnect setting then applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket

from gateway.commands import MassCancel
from gateway.core import Gateway
from gateway.dispatch import Call, dispatch
from gateway.errors import BAD_REQUEST, INTERNAL_ERROR, RpcError
from gateway.routes.deps import GatewayDep
from gateway.session import CLOSE_NORMAL, Session
from gateway.wire import EnvelopeError, decode_request, error_frame, now_us, result_frame

log = logging.getLogger("flopex.gateway")
router = APIRouter(tags=["websocket"])
CLIENT_CLOSED = "client_closed"
_FLUSH_S = 2.0
_COD_WAIT_S = 10.0  # bounded, so a stopped pipeline cannot hold a closing handler forever


@router.websocket("/ws/api/v2")
async def websocket_api(websocket: WebSocket, gw: GatewayDep) -> None:
    """Serve one websocket connection until it ends, then apply cancel-on-disconnect."""
    await websocket.accept()
    session = Session(gw.settings.send_queue_max)
    gw.sessions[session.id] = session

    async def send(frame: str | bytes) -> None:
        await websocket.send_text(frame if isinstance(frame, str) else frame.decode())

    writer = asyncio.create_task(session.write_loop(send))
    reader = asyncio.create_task(_read_loop(gw, websocket, session))
    try:
        await session.done.wait()
    finally:
        reader.cancel()
        session.stop_heartbeat()
        gw.hub.drop(session)
        gw.sessions.pop(session.id, None)
        await _finish(gw, websocket, session, writer)
        if session.cancel_orders_on_close:
            await _cancel_on_disconnect(gw, session)


async def _read_loop(gw: Gateway, websocket: WebSocket, session: Session) -> None:
    try:
        while not session.closing:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            frame = message.get("text")
            if frame is None:
                frame = message.get("bytes") or b""
            session.frames_received += 1
            await handle_frame(gw, session, frame)
    except Exception:
        log.exception("websocket reader failed")
    session.close(CLOSE_NORMAL, CLIENT_CLOSED)


async def handle_frame(gw: Gateway, session: Session, frame: str | bytes) -> None:
    """Answer one request frame on ``session``; every failure becomes an error frame."""
    us_in, testnet = now_us(), gw.settings.testnet
    req_id = None
    try:
        if len(frame) > gw.settings.max_frame_bytes:
            limit = gw.settings.max_frame_bytes
            raise RpcError(BAD_REQUEST, f"request frame is larger than {limit} bytes")
        try:
            req = decode_request(frame)
        except EnvelopeError as exc:
            req_id = exc.request_id
            raise
        req_id = req.id
        call = Call(gw, session, us_in)
        result = await dispatch(call, req.method, req.params)
        session.push(result_frame(req_id, result, us_in, testnet))
        for after in call.after:
            session.push(after)
        if call.close_after is not None:
            session.close(*call.close_after, cancel_orders=False)
    except RpcError as exc:
        session.push(error_frame(req_id, exc, us_in, testnet))
    except Exception:
        log.exception("request failed: %.200r", frame)
        session.push(
            error_frame(req_id, RpcError(INTERNAL_ERROR, "see server logs"), us_in, testnet)
        )


async def _finish(
    gw: Gateway, websocket: WebSocket, session: Session, writer: asyncio.Task[None]
) -> None:
    """Flush (unless slow) and close the socket with the session's code and reason."""
    if session.close_reason == "slow_consumer":
        writer.cancel()
    else:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, _FLUSH_S)
    writer.cancel()
    await asyncio.wait([writer])
    if session.close_reason == CLIENT_CLOSED:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(
            websocket.close(session.close_code, session.close_reason),
            gw.settings.slow_consumer_close_s,
        )


async def _cancel_on_disconnect(gw: Gateway, session: Session) -> None:
    principal = session.principal
    if principal is None or principal.account is None:
        return
    account = principal.account
    if account in gw.account_cancel_on_disconnect:
        cmd = MassCancel(account=account, reason="cancel_on_disconnect")
    elif session.cancel_on_disconnect:
        cmd = MassCancel(account=account, connection=session.id, reason="cancel_on_disconnect")
    else:
        return
    try:
        await asyncio.wait_for(gw.pipeline.submit(cmd), _COD_WAIT_S)
    except (RpcError, TimeoutError) as exc:
        log.warning("cancel on disconnect of account %d failed: %r", account, exc)
