"""Administration (extension namespace ``admin/``): create accounts and API keys.

The bootstrap administrator comes from the settings (``admin_client_id`` and
``admin_client_secret``). Secrets are returned once, in these answers, and never again.
"""

from __future__ import annotations

from typing import Literal

from gateway.auth import Role
from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import INVALID_ARGUMENTS, RpcError


class AccountParams(Params, frozen=True, kw_only=True):
    name: str
    role: Literal["trader", "viewer"] = "trader"


class KeyParams(Params, frozen=True, kw_only=True):
    account_id: int | None = None
    role: Literal["trader", "viewer", "instructor", "admin"] = "trader"
    name: str = ""


def _key_answer(client_id: str, secret: str, role: Role, account: int | None) -> dict[str, object]:
    return {
        "client_id": client_id,
        "client_secret": secret,
        "role": str(role),
        "account_id": account,
    }


@REGISTRY.method("admin/create_account", AccountParams, access="admin")
async def create_account(call: Call, p: AccountParams) -> dict[str, object]:
    """Create a trading account and its first API key; return both (secret shown once).

    In clearing mode the account is also opened at the clearing house and funded with
    ``clearing_deposit_micros``.
    """
    auth = call.gw.auth
    account = auth.create_account(p.name)
    if call.gw.clearing is not None:
        call.gw.clearing.open_account(account, p.name, call.gw.settings.clearing_deposit_micros)
    key, secret = auth.create_key(Role(p.role), account, call.gw.wall(), name=p.name)
    return {"name": p.name, **_key_answer(key.client_id, secret, key.role, account)}


@REGISTRY.method("admin/create_api_key", KeyParams, access="admin")
async def create_api_key(call: Call, p: KeyParams) -> dict[str, object]:
    """Create another key for an existing account, or an instructor or administrator key
    (no account)."""
    auth = call.gw.auth
    role = Role(p.role)
    if role.has_account and p.account_id not in auth.accounts:
        raise RpcError(INVALID_ARGUMENTS, f"no account {p.account_id}", "account_id")
    if not role.has_account and p.account_id is not None:
        raise RpcError(INVALID_ARGUMENTS, f"{role} keys have no account", "account_id")
    account = p.account_id if role.has_account else None
    key, secret = auth.create_key(role, account, call.gw.wall(), name=p.name)
    return _key_answer(key.client_id, secret, key.role, account)


@REGISTRY.method("private/get_state_hash", Params, access="admin")
async def get_state_hash(call: Call, p: Params) -> dict[str, object]:
    """Return the sequencer's state hash and last sequence number (administrators only).

    Two gateways that processed the same journal answer the same hash.
    """
    gw = call.gw
    seq = getattr(getattr(gw.sequencer, "pipeline", gw.sequencer), "seq", None)
    return {"state_hash": gw.state_hash(), "seq": seq}
