"""Bad parameters to every game method get a clear error and change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.game.conftest import GameHandle, ref_price
from tests.gateway.stubs import RpcClient, RunningServer

VOLATILE = ("clock", "round_ends_in_ms", "index")


def _snapshot(game: GameHandle) -> tuple[dict[str, Any], int, int]:
    state = game.instructor.call("admin/game/get_state", code=game.code)
    for key in VOLATILE:
        state.pop(key, None)
    gw = game.server.gateway
    return state, len(gw.auth.accounts), len(game.server.gateway.orders.orders)


@pytest.fixture
def lobby(make_game: Callable[..., GameHandle]) -> Iterator[GameHandle]:
    """A game in its lobby with one neocloud."""
    game = make_game()
    game.join("neo")
    yield game


def _cases(game: GameHandle, server: RunningServer) -> list[tuple[str, dict[str, Any], int, str]]:
    """(method, params, expected code, text the reason or param must contain)."""
    code, name = game.code, game.contract("neocloud")
    price = ref_price(server, name)
    pid = game.students[0].player_id
    tender = {
        "code": code,
        "player_id": pid,
        "instrument": name,
        "side": "sell",
        "amount": 1,
        "price": price,
    }
    return [
        ("public/game/get_info", {}, -32602, "code"),
        ("public/game/get_info", {"code": 7}, -32602, "code"),
        ("public/game/get_info", {"code": "ZZZZZZ"}, 11050, "no game with code"),
        ("public/game/join", {"code": code, "name": ""}, 11029, "1 to 32 printable"),
        ("public/game/join", {"code": code, "name": "x" * 33}, 11029, "1 to 32 printable"),
        ("public/game/join", {"code": code, "name": "bell\x07"}, 11029, "1 to 32 printable"),
        ("public/game/join", {"code": code, "name": "NEO"}, 11029, "name taken"),
        ("public/game/join", {"code": "ZZZZZZ", "name": "x"}, 11050, "no game with code"),
        ("public/game/join", {"code": code}, -32602, "name"),
        ("private/game/get_state", {}, 13021, "may not call"),
        ("private/game/respond_tender", {"tender_id": 1, "accept": True}, 13021, "may not call"),
        ("admin/game/create", {"scenario": "nope"}, 11029, "no scenario 'nope'"),
        ("admin/game/create", {"scenario": "../intro"}, 11029, "lower-case letters"),
        ("admin/game/create", {"scenario": "intro", "title": " "}, 11029, "title"),
        ("admin/game/create", {"scenario": "intro", "title": "x" * 81}, 11029, "title"),
        ("admin/game/get_state", {"code": "ZZZZZZ"}, 11050, "no game"),
        ("admin/game/assign_role", {"code": code, "player_id": 99, "role": "speculator"}, 11029, "no player 99"),
        ("admin/game/assign_role", {"code": code, "player_id": pid, "role": "ceo"}, 11029, "no role 'ceo'"),
        ("admin/game/round", {"code": code, "action": "explode"}, 11029, "open, pause, resume or close"),
        ("admin/game/round", {"code": code, "action": "pause"}, 11029, "cannot pause"),
        ("admin/game/round", {"code": code, "action": "resume"}, 11029, "cannot resume"),
        ("admin/game/round", {"code": code, "action": "close"}, 11029, "cannot close"),
        ("admin/game/news", {"code": code, "headline": " "}, 11029, "headline"),
        ("admin/game/news", {"code": code, "headline": "x" * 201}, 11029, "headline"),
        ("admin/game/news", {"code": code, "headline": "ok", "body": "x" * 2001}, 11029, "body"),
        ("admin/game/shock", {"code": code, "kind": "meteor"}, 11029, "kind must be one of"),
        ("admin/game/shock", {"code": code, "kind": "custom"}, 11029, "needs size_pct"),
        ("admin/game/shock", {"code": code, "kind": "custom", "size_pct": 0}, 11029, "not 0"),
        ("admin/game/shock", {"code": code, "kind": "custom", "size_pct": 500}, 11029, "-90 to 300"),
        ("admin/game/shock", {"code": code, "kind": "custom", "product": "TPU", "size_pct": 5}, 11029, "no product 'TPU'"),
        ("admin/game/shock", {"code": code, "kind": "gpu_glut", "product": "TPU"}, 11029, "does not move TPU"),
        ("admin/game/shock", {"code": code, "kind": "gpu_glut", "size_pct": -5}, 11029, "above 0"),
        ("admin/game/shock", {"code": code, "kind": "gpu_glut", "headline": ""}, 11029, "headline"),
        ("admin/game/tender", {**tender, "role": "neocloud"}, 11029, "exactly one of role and player_id"),
        ("admin/game/tender", {**tender, "player_id": None}, 11029, "exactly one of role and player_id"),
        ("admin/game/tender", {**tender, "player_id": None, "role": "speculator"}, 11029, "no player"),
        ("admin/game/tender", {**tender, "player_id": None, "role": "ceo"}, 11029, "no role"),
        ("admin/game/tender", {**tender, "instrument": "H100-NOPE"}, 10020, "instrument"),
        ("admin/game/tender", {**tender, "instrument": None}, 11029, "instrument is required"),
        ("admin/game/tender", {**tender, "side": "hold"}, 11029, "side must be buy or sell"),
        ("admin/game/tender", {**tender, "amount": 0}, 11029, "whole number of contracts"),
        ("admin/game/tender", {**tender, "amount": 1.5}, 11029, "whole number of contracts"),
        ("admin/game/tender", {**tender, "price": 0}, 10023, "price"),
        ("admin/game/tender", {**tender, "price": price + 0.005}, 10043, "tick"),
        ("admin/game/tender", {**tender, "expires_in_s": 1}, 11029, "expires_in_s"),
        ("admin/game/set_limits", {"code": code, "max_order_amount": -1}, 11029, "max_order_amount"),
        ("admin/game/set_limits", {"code": code, "max_position": 10**6}, 11029, "max_position"),
        ("admin/game/spawn_bots", {"code": code, "kind": "shark"}, 11029, "market_maker, noise"),
        ("admin/game/spawn_bots", {"code": code, "kind": "noise", "count": 0}, 11029, "count"),
        ("admin/game/spawn_bots", {"code": code, "kind": "noise", "count": 21}, 11029, "count"),
        ("admin/game/spawn_bots", {"code": code, "kind": "noise", "instruments": ["X-1"]}, 10020, "instrument"),
        ("admin/game/stop_bots", {"code": "ZZZZZZ"}, 11050, "no game"),
        ("admin/game/leaderboard", {"code": code, "visible": "yes"}, -32602, "visible"),
        ("admin/game/end", {"code": "ZZZZZZ"}, 11050, "no game"),
        ("admin/game/debrief", {"code": "ZZZZZZ"}, 11050, "no game"),
    ]  # fmt: skip


def test_every_game_method_refuses_bad_parameters_clearly_and_changes_nothing(
    lobby: GameHandle, game_server: RunningServer
) -> None:
    before = _snapshot(lobby)
    games_before = len(game_server.gateway.game.games)  # type: ignore[attr-defined]

    for method, params, code, text in _cases(lobby, game_server):
        err = lobby.instructor.error(method, **params)
        where = f"{method} {params}: {err}"
        assert err["code"] == code, where
        data = err.get("data", {})
        assert text in f"{data.get('reason')} {data.get('param')} {err['message']}", where

    assert _snapshot(lobby) == before
    assert len(game_server.gateway.game.games) == games_before  # type: ignore[attr-defined]


def test_player_methods_refuse_accounts_that_are_not_players(
    lobby: GameHandle, game_server: RunningServer
) -> None:
    creds = lobby.instructor.call("admin/create_account", name="bystander")
    bystander = RpcClient(game_server.ws_url)
    bystander.login(creds["client_id"], creds["client_secret"])
    try:
        state = bystander.error("private/game/get_state")
        tender = bystander.error("private/game/respond_tender", tender_id=1, accept=True)
    finally:
        bystander.close()

    assert state["code"] == tender["code"] == 11029
    assert state["data"]["reason"] == "this account is not a player of any game"


_codes = st.text(min_size=0, max_size=12)
_actions = st.text(max_size=10).filter(lambda a: a not in ("open", "pause", "resume", "close"))
_amounts = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda a: a != int(a) or not 1 <= a <= 100_000
)
_names = st.text(max_size=40).filter(
    lambda n: not (0 < len(n.strip()) <= 32 and n.strip().isprintable())
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(code=_codes, action=_actions, amount=_amounts, name=_names)
def test_random_bad_parameters_are_refused_without_an_internal_error(
    lobby: GameHandle, game_server: RunningServer, code: str, action: str, amount: float, name: str
) -> None:
    before = _snapshot(lobby)
    ins, real = lobby.instructor, lobby.code
    instrument = lobby.contract("neocloud")
    pid = lobby.students[0].player_id

    errors = [
        ins.request(
            "public/game/get_info", code=code if code.strip().upper() != real else "ZZZZZZ"
        ),
        ins.request("admin/game/round", code=real, action=action),
        ins.request(
            "admin/game/tender",
            code=real,
            player_id=pid,
            instrument=instrument,
            side="buy",
            amount=amount,
            price=ref_price(game_server, instrument),
        ),
        ins.request("public/game/join", code=real, name=name),
    ]

    for msg in errors:
        assert "error" in msg, msg
        assert msg["error"]["code"] in (11050, 11029, -32602, -32700, 10021), msg
    assert _snapshot(lobby) == before


def test_a_player_answering_a_tender_badly_is_refused_clearly(lobby: GameHandle) -> None:
    student = lobby.students[0].client
    before = _snapshot(lobby)

    wrong_type = student.error("private/game/respond_tender", tender_id="one", accept=True)
    no_answer = student.error("private/game/respond_tender", tender_id=1)
    unknown = student.error("private/game/respond_tender", tender_id=999_999, accept=False)

    assert (wrong_type["code"], wrong_type["data"]["param"]) == (-32602, "tender_id")
    assert no_answer["code"] == -32602 and "accept" in no_answer["data"]["reason"]
    assert (unknown["code"], unknown["data"]["reason"]) == (11029, "you have no tender 999999")
    assert _snapshot(lobby) == before


def test_two_students_joining_at_once_under_one_name_make_one_player(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    """Joins hash the key's secret off the event loop, then check everything again: the
    second of two simultaneous joins under one name is refused and changes nothing."""
    game = make_game()
    accounts = len(game_server.gateway.auth.accounts)
    a, b = RpcClient(game_server.ws_url), RpcClient(game_server.ws_url)
    try:
        for i, client in enumerate((a, b)):
            client.send_raw(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": 100 + i,
                        "method": "public/game/join",
                        "params": {"code": game.code, "name": "Twin"},
                    }
                )
            )
        answers = [a.response(100), b.response(101)]
    finally:
        a.close()
        b.close()
    ok = [x for x in answers if "result" in x]
    refused = [x for x in answers if "error" in x]
    assert len(ok) == 1 and len(refused) == 1
    assert "name taken" in json.dumps(refused[0]["error"])
    players = game.admin("get_state")["players"]
    assert [p["name"] for p in players] == ["Twin"]
    assert len(game_server.gateway.auth.accounts) == accounts + 1
