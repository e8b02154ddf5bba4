"""API keys, tokens and roles (docs/protocol.md GW-3)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

import pytest

from gateway.auth import Auth, Role
from gateway.errors import RpcError
from tests.gateway.conftest import Instrument, Trader
from tests.gateway.stubs import RpcClient, RunningServer, http_get


def sign(secret: str, ts_ms: int, nonce: str, data: str) -> str:
    """Return Deribit's signature: hex HMAC-SHA256(secret, ts\\nnonce\\ndata)."""
    msg = f"{ts_ms}\n{nonce}\n{data}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def test_client_credentials_return_bearer_tokens_with_the_role_scope(
    make_trader: Callable[..., Trader],
) -> None:
    trader = make_trader(login=False)

    tokens = trader.client.login(trader.client_id, trader.client_secret)

    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    assert tokens["scope"] == "connection account:read trade:read_write"
    assert tokens["access_token"] != tokens["refresh_token"]


def test_wrong_credentials_are_refused(make_trader: Callable[..., Trader]) -> None:
    trader = make_trader(login=False)

    wrong = trader.client.error("public/auth", grant_type="client_credentials",
                                client_id=trader.client_id, client_secret="nope")  # fmt: skip
    unknown = trader.client.error("public/auth", grant_type="client_credentials",
                                  client_id="nobody", client_secret=trader.client_secret)  # fmt: skip
    private = trader.client.error("private/get_open_orders")

    assert (wrong["code"], wrong["message"]) == (13004, "invalid_credentials")
    assert unknown["code"] == 13004
    assert (private["code"], private["message"]) == (10000, "authorization_required")


def test_a_refresh_token_is_exchanged_once_for_a_new_pair(
    server: RunningServer, make_trader: Callable[..., Trader]
) -> None:
    trader = make_trader(login=False)
    first = trader.client.login(trader.client_id, trader.client_secret)

    second = trader.client.call("public/auth", grant_type="refresh_token",
                                refresh_token=first["refresh_token"])  # fmt: skip
    reused = trader.client.error("public/auth", grant_type="refresh_token",
                                 refresh_token=first["refresh_token"])  # fmt: skip
    other = RpcClient(server.ws_url)
    orders = other.call("private/get_open_orders", access_token=second["access_token"])

    assert second["access_token"] != first["access_token"]
    assert (reused["code"], reused["message"]) == (13009, "unauthorized")
    assert orders == []
    other.close()


def test_a_viewer_reads_its_account_but_cannot_trade(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    viewer = make_trader(role="viewer").client

    orders = viewer.call("private/get_open_orders_by_instrument", instrument_name=instrument.name)
    channels = viewer.call("private/subscribe", channels=["user.orders.any.raw"])
    buy = viewer.error(
        "private/buy", instrument_name=instrument.name, amount=1, price=instrument.ref
    )

    assert orders == [] and channels == ["user.orders.any.raw"]
    assert (buy["code"], buy["message"]) == (13021, "forbidden")


def test_only_an_administrator_creates_accounts_and_it_cannot_trade(
    admin: RpcClient, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    trader = make_trader().client

    by_trader = trader.error("admin/create_account", name="mallory")
    by_admin = admin.error(
        "private/buy", instrument_name=instrument.name, amount=1, price=instrument.ref
    )

    assert by_trader["code"] == 13021 and by_admin["code"] == 13021


def test_client_signature_authenticates_once_per_nonce(make_trader: Callable[..., Trader]) -> None:
    trader = make_trader(login=False)
    ts = int(time.time() * 1_000)
    nonce = secrets.token_hex(8)
    params = {"grant_type": "client_signature", "client_id": trader.client_id, "timestamp": ts,
              "nonce": nonce, "data": "", "signature": sign(trader.client_secret, ts, nonce, "")}  # fmt: skip

    tokens = trader.client.call("public/auth", **params)
    replay = trader.client.error("public/auth", **params)
    forged = trader.client.error("public/auth", **{**params, "nonce": "x", "signature": "00" * 32})
    stale = trader.client.error("public/auth", **{**params, "timestamp": ts - 3_600_000})

    assert tokens["scope"].endswith("trade:read_write")
    assert replay["code"] == 13009 and forged["code"] == 13004 and stale["code"] == 13009
    assert trader.client.call("private/get_open_orders") == []


def test_private_http_calls_accept_bearer_basic_and_deribit_signatures(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    trader = make_trader()
    tokens = trader.client.login(trader.client_id, trader.client_secret)
    uri = f"/api/v2/private/get_open_orders_by_instrument?instrument_name={instrument.name}"
    url = server.http_url + uri
    basic = base64.b64encode(f"{trader.client_id}:{trader.client_secret}".encode()).decode()
    ts, nonce = int(time.time() * 1_000), secrets.token_hex(6)
    sig = sign(trader.client_secret, ts, nonce, f"GET\n{uri}\n\n")
    deri = f"deri-hmac-sha256 id={trader.client_id},ts={ts},sig={sig},nonce={nonce}"

    answers = [
        http_get(url, {"Authorization": f"Bearer {tokens['access_token']}"}),
        http_get(url, {"Authorization": f"Basic {basic}"}),
        http_get(url, {"Authorization": deri}),
    ]
    anonymous = http_get(url)
    wrong = http_get(url, {"Authorization": "Bearer not-a-token"})

    assert [(status, body["result"]) for status, body in answers] == [(200, [])] * 3
    assert anonymous[0] == 401 and anonymous[1]["error"]["code"] == 10000
    assert wrong[0] == 401 and wrong[1]["error"]["code"] == 13009


def test_the_key_store_keeps_salted_hashes_not_secrets(
    server: RunningServer, make_trader: Callable[..., Trader]
) -> None:
    first, second = make_trader(login=False), make_trader(login=False)
    keys = server.gateway.auth.keys

    stored = [keys[first.client_id], keys[second.client_id]]

    for key, trader in zip(stored, (first, second), strict=True):
        assert trader.client_secret not in repr(key)
        assert trader.client_secret.encode() not in key.digest
    assert stored[0].salt != stored[1].salt and len(stored[0].digest) == 32


def test_logout_revokes_the_token_and_closes_the_connection(
    server: RunningServer, make_trader: Callable[..., Trader]
) -> None:
    trader = make_trader(login=False)
    tokens = trader.client.login(trader.client_id, trader.client_secret)

    answer = trader.client.call("private/logout")
    code, reason = trader.client.wait_closed()
    other = RpcClient(server.ws_url)
    reuse = other.error("private/get_open_orders", access_token=tokens["access_token"])

    assert answer == "ok" and (code, reason) == (1000, "logout")
    assert reuse["code"] == 13009
    other.close()


def test_access_tokens_expire_after_their_lifetime() -> None:
    auth = Auth(b"k" * 32, n_accounts=4, scrypt_n=1 << 4, access_ttl_s=60)
    key, secret = auth.create_key(Role.TRADER, auth.create_account("eve"), now=0)
    principal = auth.check_secret(key.client_id, secret)
    tokens = auth.issue(principal, now=0)

    alive = auth.principal(tokens.access_token, now=59 * 10**9)
    with pytest.raises(RpcError) as expired:
        auth.principal(tokens.access_token, now=60 * 10**9)

    assert alive == principal and tokens.expires_in == 60
    assert expired.value.code == 13009
