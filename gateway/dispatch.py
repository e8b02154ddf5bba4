"""The method registry and the dispatcher shared by the websocket and HTTP transports.

A method is registered once with its parameter Struct, its access level and its
handler. ``dispatch`` decodes the parameters with that method's own reused decoder
(JSON from a frame or body, or, for HTTP GET, a query-string dict converted leniently),
checks who may call it, and awaits the handler. Every failure is an ``RpcError``.

Access levels: ``public`` (anyone), ``auth`` (anyone authenticated), ``read`` (trader
or viewer of an account), ``trade`` (trader), ``instructor`` (instructor or
administrator: the classroom game), ``admin`` (administrator).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from gateway.auth import Principal, Role
from gateway.errors import (
    AUTHORIZATION_REQUIRED,
    FORBIDDEN,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    MUST_BE_WEBSOCKET,
    RpcError,
)

if TYPE_CHECKING:
    from gateway.core import Gateway
    from gateway.session import Session

Access = Literal["public", "auth", "read", "trade", "instructor", "admin"]
_ALLOWED: dict[Access, frozenset[Role]] = {
    "auth": frozenset(Role),
    "read": frozenset({Role.TRADER, Role.VIEWER}),
    "trade": frozenset({Role.TRADER}),
    "instructor": frozenset({Role.INSTRUCTOR, Role.ADMIN}),
    "admin": frozenset({Role.ADMIN}),
}
_PATH_RE = re.compile(r"`\$\.([A-Za-z_]+)")


class Params(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every method's parameters: Deribit lets any request carry a token."""

    access_token: str | None = None


@dataclass(slots=True)
class Call:
    """One request being served."""

    gw: Gateway
    session: Session | None
    """The websocket session; None over HTTP."""
    us_in: int
    principal: Principal | None = None
    """Who is calling; set by ``dispatch`` for non-public methods, or by HTTP header auth."""
    after: list[str] = field(default_factory=list)
    """Frames to queue right after the response (a subscription's first snapshot)."""
    close_after: tuple[int, str] | None = None
    """Close the connection with (code, reason) once the response is queued (logout)."""


Handler = Callable[[Call, Any], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Method:
    """A registered method."""

    name: str
    params: type[Params]
    handler: Handler
    access: Access
    ws_only: bool
    decoder: msgspec.json.Decoder[Any]


class Registry:
    """Methods by wire name."""

    def __init__(self) -> None:
        self.methods: dict[str, Method] = {}

    def method(
        self, name: str, params: type[Params], access: Access = "public", ws_only: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine as method ``name``."""

        def register(handler: Handler) -> Handler:
            if name in self.methods:
                raise ValueError(f"method {name} registered twice")
            decoder = msgspec.json.Decoder(params)
            self.methods[name] = Method(name, params, handler, access, ws_only, decoder)
            return handler

        return register


REGISTRY = Registry()


def _params_error(exc: msgspec.ValidationError) -> RpcError:
    m = _PATH_RE.search(str(exc))
    return RpcError(INVALID_PARAMS, str(exc), m.group(1) if m else None)


def decode_params(method: Method, raw: msgspec.Raw | dict[str, Any]) -> Params:
    """Decode ``raw`` into the method's parameter Struct; -32602 when it does not fit."""
    try:
        if isinstance(raw, dict):
            return msgspec.convert(raw, method.params, strict=False)
        data = bytes(raw)
        if data.strip() == b"null":
            data = b"{}"
        return method.decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise _params_error(exc) from None


def authorize(call: Call, method: Method, params: Params) -> None:
    """Set ``call.principal`` for a non-public method; 10000, 13009 or 13021 if refused."""
    if method.access == "public":
        return
    gw, now = call.gw, call.gw.wall()
    if params.access_token is not None:
        call.principal = gw.auth.principal(params.access_token, now)
    elif call.session is not None and call.session.access_token is not None:
        call.principal = gw.auth.principal(call.session.access_token, now)
    if call.principal is None:
        raise RpcError(AUTHORIZATION_REQUIRED, f"{method.name} needs public/auth first")
    if call.principal.role not in _ALLOWED[method.access]:
        raise RpcError(FORBIDDEN, f"role {call.principal.role} may not call {method.name}")


async def dispatch(call: Call, name: str, raw: msgspec.Raw | dict[str, Any]) -> Any:
    """Run method ``name`` with parameters ``raw``; return its result or raise ``RpcError``."""
    method = REGISTRY.methods.get(name)
    if method is None:
        raise RpcError(METHOD_NOT_FOUND, f"unknown method {name!r}", "method")
    if method.ws_only and call.session is None:
        raise RpcError(MUST_BE_WEBSOCKET, f"{name} is available over websocket only")
    params = decode_params(method, raw)
    authorize(call, method, params)
    limit(call)
    return await method.handler(call, params)


def limit(call: Call) -> None:
    """Count the request against its key's rate limit; 10028 when over it. Public methods
    count for the key the connection is logged in with; administrators are not limited."""
    who = call.principal
    if who is None and call.session is not None:
        who = call.session.principal
    if who is not None and who.role is not Role.ADMIN:
        call.gw.rate_limiter.take(who.client_id)
