"""The same dispatcher over HTTP: ``GET /api/v2/{namespace}/{method}`` and ``POST /api/v2``.

No subscriptions and no cancel-on-disconnect (those methods answer 10030). Private
methods authenticate with ``Authorization: Bearer <access_token>``, ``Basic
base64(client_id:client_secret)`` or Deribit's ``deri-hmac-sha256 id=…,ts=…,sig=…,nonce=…``
(signature over ``ts\\nnonce\\nMETHOD\\nURI\\nbody\\n``), or with an ``access_token``
parameter. Query-string values are converted to the parameter types (``amount=10``,
``post_only=true``). Errors answer 400 (401 for authentication, 403 for permissions).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.auth import Principal
from gateway.core import Gateway
from gateway.dispatch import Call, dispatch
from gateway.errors import (
    AUTHORIZATION_REQUIRED,
    BAD_REQUEST,
    FORBIDDEN,
    INTERNAL_ERROR,
    INVALID_CREDENTIALS,
    METHOD_NOT_FOUND,
    UNAUTHORIZED,
    RpcError,
)
from gateway.routes.deps import GatewayDep
from gateway.wire import EnvelopeError, Id, decode_request, error_frame, now_us, result_frame

log = logging.getLogger("flopex.gateway")
router = APIRouter(tags=["json-rpc over http"])
NAMESPACES = ("public", "private", "admin")
_AUTH_CODES = {AUTHORIZATION_REQUIRED.code, INVALID_CREDENTIALS.code, UNAUTHORIZED.code}
_JSON = "application/json"


def _status(err: RpcError) -> int:
    if err.code in _AUTH_CODES:
        return 401
    return 403 if err.code == FORBIDDEN.code else 400


@router.get("/api/v2/{namespace}/{method}")
async def get_method(namespace: str, method: str, request: Request, gw: GatewayDep) -> Response:
    """Call ``{namespace}/{method}`` with the query string as parameters."""
    us_in = now_us()
    params = dict(request.query_params)
    if namespace not in NAMESPACES:
        err = RpcError(METHOD_NOT_FOUND, f"unknown namespace {namespace!r}", "method")
        return _error(None, err, us_in, gw)
    return await _serve(gw, request, None, f"{namespace}/{method}", params, b"", us_in)


@router.post("/api/v2")
async def post_request(request: Request, gw: GatewayDep) -> Response:
    """Call the method named in a JSON-RPC request body."""
    us_in = now_us()
    body = await request.body()
    if len(body) > gw.settings.max_frame_bytes:
        limit = gw.settings.max_frame_bytes
        return _error(None, RpcError(BAD_REQUEST, f"body is larger than {limit} bytes"), us_in, gw)
    try:
        req = decode_request(body)
    except EnvelopeError as exc:
        return _error(exc.request_id, exc, us_in, gw)
    return await _serve(gw, request, req.id, req.method, req.params, body, us_in)


async def _serve(
    gw: Gateway,
    request: Request,
    req_id: Id,
    method: str,
    params: object,
    body: bytes,
    us_in: int,
) -> Response:
    try:
        call = Call(gw, None, us_in, principal=await _principal(gw, request, body))
        result = await dispatch(call, method, params)  # type: ignore[arg-type]
        return Response(result_frame(req_id, result, us_in, gw.settings.testnet), media_type=_JSON)
    except RpcError as exc:
        return _error(req_id, exc, us_in, gw)
    except Exception:
        log.exception("HTTP request failed: %s", method)
        return _error(req_id, RpcError(INTERNAL_ERROR, "see server logs"), us_in, gw)


def _error(req_id: Id, err: RpcError, us_in: int, gw: Gateway) -> Response:
    frame = error_frame(req_id, err, us_in, gw.settings.testnet)
    return Response(frame, status_code=_status(err), media_type=_JSON)


async def _principal(gw: Gateway, request: Request, body: bytes) -> Principal | None:
    """Return who the Authorization header says is calling (None without the header)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return gw.auth.principal(value.strip(), gw.wall())
    if scheme == "basic":
        try:
            client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise RpcError(INVALID_CREDENTIALS, "malformed Basic credentials") from None
        return await asyncio.to_thread(gw.auth.check_secret, client_id, secret)
    if scheme == "deri-hmac-sha256":
        fields = dict(part.strip().partition("=")[::2] for part in value.split(",") if "=" in part)
        try:
            ts = int(fields["ts"])
            client_id, sig, nonce = fields["id"], fields["sig"], fields["nonce"]
        except (KeyError, ValueError):
            raise RpcError(
                INVALID_CREDENTIALS, "deri-hmac-sha256 needs id, ts, sig, nonce"
            ) from None
        query = request.url.query
        uri = request.url.path + (f"?{query}" if query else "")
        data = f"{request.method.upper()}\n{uri}\n{body.decode(errors='replace')}\n"
        return gw.auth.check_signature(client_id, ts, nonce, data, sig, gw.wall())
    raise RpcError(INVALID_CREDENTIALS, f"unsupported Authorization scheme {scheme!r}")
