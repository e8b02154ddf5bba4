"""The JSON-RPC 2.0 envelope of the Deribit dialect, as msgspec Structs, and its codec.

One envelope decoder is built once and reused for every frame; a method's parameters
stay ``msgspec.Raw`` until the dispatcher decodes them with that method's own decoder
(``gateway.dispatch``). Encoding goes through one shared encoder. Times on the envelope
(``usIn``/``usOut``/``usDiff``) are integer microseconds, as Deribit sends them.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from gateway.errors import INVALID_REQUEST, PARSE_ERROR, ErrorCode, RpcError

Id = int | str | None
EMPTY_PARAMS = msgspec.Raw(b"{}")


class Request(msgspec.Struct, frozen=True):
    """A request frame: ``{"jsonrpc":"2.0","id":42,"method":"public/test","params":{…}}``."""

    method: str
    jsonrpc: str = "2.0"
    id: Id = None
    params: msgspec.Raw = EMPTY_PARAMS


class ErrorData(msgspec.Struct, frozen=True, omit_defaults=True):
    """``error.data``: why, and which parameter."""

    reason: str | None = None
    param: str | None = None


class ErrorBody(msgspec.Struct, frozen=True, omit_defaults=True):
    """``error``: numeric code, Deribit message, optional data."""

    code: int
    message: str
    data: ErrorData | None = None


class Response(msgspec.Struct, frozen=True):
    """A result frame with Deribit's timing fields (microseconds)."""

    id: Id
    result: Any
    usIn: int
    usOut: int
    usDiff: int
    testnet: bool
    jsonrpc: str = "2.0"


class ErrorResponse(msgspec.Struct, frozen=True):
    """An error frame with Deribit's timing fields (microseconds)."""

    id: Id
    error: ErrorBody
    usIn: int
    usOut: int
    usDiff: int
    testnet: bool
    jsonrpc: str = "2.0"


class SubscriptionParams(msgspec.Struct, frozen=True):
    """``params`` of a ``subscription`` notification."""

    channel: str
    data: Any


class Notification(msgspec.Struct, frozen=True):
    """A server push: ``{"jsonrpc":"2.0","method":"subscription","params":{…}}``."""

    method: str
    params: Any
    jsonrpc: str = "2.0"


class _IdOnly(msgspec.Struct):
    """Lenient second look at a rejected envelope, to echo its id when it has a usable one."""

    id: Any = None


_request_decoder = msgspec.json.Decoder(Request)
_id_decoder = msgspec.json.Decoder(_IdOnly)
_encoder = msgspec.json.Encoder()


def now_us() -> int:
    """Return the wall clock in integer microseconds."""
    return time.time_ns() // 1_000


def encode(obj: Any) -> bytes:
    """Encode ``obj`` (Structs, dicts, lists, numbers) as compact JSON bytes."""
    return _encoder.encode(obj)


class EnvelopeError(RpcError):
    """A frame that is not a request (-32700, -32600); ``request_id`` is its id if readable."""

    def __init__(
        self, error: ErrorCode, reason: str, param: str | None = None, request_id: Id = None
    ):
        super().__init__(error, reason, param)
        self.request_id = request_id


def decode_request(frame: str | bytes) -> Request:
    """Decode one request envelope; raise ``EnvelopeError`` (-32700 or -32600) if it is not one."""
    try:
        req = _request_decoder.decode(frame)
    except msgspec.ValidationError as exc:
        raise EnvelopeError(INVALID_REQUEST, str(exc), request_id=_salvage_id(frame)) from None
    except msgspec.DecodeError as exc:
        raise EnvelopeError(PARSE_ERROR, str(exc)) from None
    if req.jsonrpc != "2.0":
        raise EnvelopeError(INVALID_REQUEST, 'jsonrpc must be "2.0"', "jsonrpc", req.id)
    return req


def _salvage_id(frame: str | bytes) -> Id:
    try:
        value = _id_decoder.decode(frame).id
    except msgspec.DecodeError:
        return None
    return value if isinstance(value, int | str) and not isinstance(value, bool) else None


def result_frame(req_id: Id, result: Any, us_in: int, testnet: bool) -> bytes:
    """Return the encoded result frame for request ``req_id`` received at ``us_in`` µs."""
    us_out = now_us()
    return encode(Response(req_id, result, us_in, us_out, us_out - us_in, testnet))


def error_frame(req_id: Id, err: RpcError, us_in: int, testnet: bool) -> bytes:
    """Return the encoded error frame for request ``req_id`` received at ``us_in`` µs."""
    data = ErrorData(err.reason, err.param) if (err.reason or err.param) else None
    us_out = now_us()
    body = ErrorBody(err.code, err.message, data)
    return encode(ErrorResponse(req_id, body, us_in, us_out, us_out - us_in, testnet))


def subscription_frame(channel: str, data: Any) -> str:
    """Return one ``subscription`` notification as text, ready to fan out to many sockets."""
    return encode(Notification("subscription", SubscriptionParams(channel, data))).decode()


def heartbeat_frame(kind: str) -> str:
    """Return a ``heartbeat`` notification of type ``heartbeat`` or ``test_request``."""
    return encode(Notification("heartbeat", {"type": kind})).decode()
