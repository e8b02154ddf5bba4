"""Authentication and session-scoped safety: auth, logout, cancel-on-disconnect."""

from __future__ import annotations

import asyncio
from typing import Literal

from gateway.auth import Principal, Role, TokenPair
from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import INVALID_ARGUMENTS, MUST_BE_WEBSOCKET, TOO_MANY_REQUESTS, RpcError
from gateway.session import CLOSE_NORMAL

Scope = Literal["connection", "account"]


class AuthParams(Params, frozen=True, kw_only=True):
    grant_type: Literal["client_credentials", "client_signature", "refresh_token"]
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    timestamp: int = 0
    """Milliseconds, for ``client_signature``."""
    signature: str = ""
    nonce: str = ""
    data: str = ""
    scope: str = ""


class LogoutParams(Params, frozen=True, kw_only=True):
    invalidate_token: bool = True


class CodParams(Params, frozen=True, kw_only=True):
    scope: Scope = "connection"


@REGISTRY.method("public/auth", AuthParams)
async def auth(call: Call, p: AuthParams) -> TokenPair:
    """Exchange credentials or a refresh token for tokens; bind them to this connection."""
    gw, now = call.gw, call.gw.wall()
    if p.grant_type == "refresh_token":
        pair = gw.auth.refresh(p.refresh_token, now)
        principal = gw.auth.principal(pair.access_token, now)
    else:
        if not p.client_id:
            raise RpcError(INVALID_ARGUMENTS, "client_id is required", "client_id")
        if p.grant_type == "client_credentials":
            principal = await asyncio.to_thread(gw.auth.check_secret, p.client_id, p.client_secret)
        else:
            principal = gw.auth.check_signature(
                p.client_id, p.timestamp, p.nonce, p.data, p.signature, now
            )
        pair = gw.auth.issue(principal, now)
    if call.session is not None:
        _bind(call, principal, pair.access_token)
    return pair


def _bind(call: Call, principal: Principal, token: str) -> None:
    session = call.session
    assert session is not None
    limit = call.gw.settings.max_connections_per_key
    if limit and principal.role is not Role.ADMIN:
        others = sum(
            1
            for s in call.gw.sessions.values()
            if s is not session
            and s.principal is not None
            and s.principal.client_id == principal.client_id
        )
        if others >= limit:
            raise RpcError(
                TOO_MANY_REQUESTS,
                f"key {principal.client_id} already has {others} open connections "
                f"(at most {limit}); close one first",
            )
    old = session.principal
    if old is not None and old.account != principal.account:
        for name in [n for n in session.channels if n.startswith("user.")]:
            call.gw.hub.unsubscribe(session, name)
    session.principal = principal
    session.access_token = token


@REGISTRY.method("private/logout", LogoutParams, access="auth", ws_only=True)
async def logout(call: Call, p: LogoutParams) -> str:
    """Close this connection gracefully: cancel-on-disconnect does not fire."""
    session = call.session
    assert session is not None
    if p.invalidate_token and session.access_token is not None:
        call.gw.auth.revoke(session.access_token)
    session.cancel_on_disconnect = False
    call.close_after = (CLOSE_NORMAL, "logout")
    return "ok"


def _account(call: Call) -> int:
    assert call.principal is not None and call.principal.account is not None
    return call.principal.account


@REGISTRY.method("private/enable_cancel_on_disconnect", CodParams, access="trade")
async def enable_cod(call: Call, p: CodParams) -> str:
    """Cancel orders when this connection (or, scope ``account``, any) closes abnormally.

    Scope ``connection`` cancels the orders placed through this connection; scope
    ``account`` cancels every order of the account when any of its connections drops.
    """
    _set_cod(call, p.scope, True)
    return "ok"


@REGISTRY.method("private/disable_cancel_on_disconnect", CodParams, access="trade")
async def disable_cod(call: Call, p: CodParams) -> str:
    """Turn cancel-on-disconnect off for the scope."""
    _set_cod(call, p.scope, False)
    return "ok"


@REGISTRY.method("private/get_cancel_on_disconnect", CodParams, access="read")
async def get_cod(call: Call, p: CodParams) -> dict[str, object]:
    """Return whether cancel-on-disconnect is on for the scope."""
    if p.scope == "account":
        enabled = _account(call) in call.gw.account_cancel_on_disconnect
    else:
        enabled = call.session is not None and call.session.cancel_on_disconnect
    return {"scope": p.scope, "enabled": enabled}


def _set_cod(call: Call, scope: Scope, on: bool) -> None:
    if scope == "account":
        accounts = call.gw.account_cancel_on_disconnect
        if on:
            accounts.add(_account(call))
        else:
            accounts.discard(_account(call))
        return
    if call.session is None:
        raise RpcError(MUST_BE_WEBSOCKET, "scope connection needs a websocket", "scope")
    call.session.cancel_on_disconnect = on
