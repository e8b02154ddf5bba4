"""The instructor role (docs/protocol.md GW-3, docs/game-protocol.md): an instructor key
runs classroom games and downloads their exports, and can do nothing else an
administrator can; an administrator can do everything an instructor can."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.gateway.stubs import RpcClient, RunningServer


@pytest.fixture
def teacher(game_server: RunningServer, instructor: RpcClient) -> Iterator[RpcClient]:
    """A client logged in with an instructor key made by the administrator; its access
    token is kept as ``client.token``."""
    key = instructor.call("admin/create_api_key", role="instructor", name="teacher")
    assert key["role"] == "instructor" and key["account_id"] is None
    client = RpcClient(game_server.ws_url)
    auth = client.login(key["client_id"], key["client_secret"])
    assert auth["scope"] == "connection instructor"
    client.token = auth["access_token"]  # type: ignore[attr-defined]
    yield client
    client.close()


def _export(server: RunningServer, code: str, token: str) -> int:
    req = urllib.request.Request(
        f"{server.http_url}/game/{code}/export/results.csv",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def test_an_instructor_runs_a_game_and_downloads_its_exports(
    game_server: RunningServer, teacher: RpcClient
) -> None:
    code = teacher.call("admin/game/create", scenario="intro")["code"]
    assert teacher.call("admin/game/round", code=code, action="open")["state"] == "open"
    teacher.call("admin/game/news", code=code, headline="Prices are in dollars per GPU-hour")
    assert teacher.call("admin/game/end", code=code)["state"] == "ended"
    assert teacher.call("admin/game/debrief", code=code)["code"] == code
    assert _export(game_server, code, teacher.token) == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("admin/create_account", {"name": "someone"}),
        ("admin/create_api_key", {"role": "admin"}),
        ("admin/deposit", {"account_id": 1, "amount": 100.0}),
        ("private/get_state_hash", {}),
    ],
)
def test_an_instructor_cannot_administer_the_exchange(
    teacher: RpcClient, method: str, params: dict[str, object]
) -> None:
    err = teacher.error(method, **params)
    assert err["code"] == 13021 and "instructor" in str(err)


def test_traders_cannot_run_games(game_server: RunningServer, instructor: RpcClient) -> None:
    acct = instructor.call("admin/create_account", name="not a teacher")
    trader = RpcClient(game_server.ws_url)
    try:
        token = trader.login(acct["client_id"], acct["client_secret"])["access_token"]
        assert trader.error("admin/game/create", scenario="intro")["code"] == 13021
        code = instructor.call("admin/game/create", scenario="intro")["code"]
        assert _export(game_server, code, token) == 403
    finally:
        trader.close()


def test_instructor_keys_have_no_account(instructor: RpcClient) -> None:
    err = instructor.error("admin/create_api_key", role="instructor", account_id=1)
    assert err["code"] != 0 and "no account" in str(err)
