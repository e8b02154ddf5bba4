"""House bots (docs/game-protocol.md): the instructor starts market makers that quote over
this gateway's own websocket, and stops them (their orders are cancelled)."""

from __future__ import annotations

import time
from collections.abc import Callable

from exchange import codes as c
from gateway.orders import Order
from tests.game.conftest import GameHandle
from tests.gateway.stubs import RunningServer


def test_spawned_market_makers_quote_on_the_gateway_and_stopping_them_cancels_their_orders(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    name = game.contract("neocloud")
    gw = game_server.gateway

    started = game.admin("spawn_bots", kind="market_maker", count=1, seed=7, instruments=[name])
    state = game.admin("get_state")
    deadline = time.monotonic() + 10
    quoting: list[Order] = []
    while time.monotonic() < deadline and len({o.side for o in quoting}) < 2:
        accounts = gw.game.games[game.code].bot_accounts  # type: ignore[attr-defined]
        quoting = [o for a in accounts for o in gw.orders.live(a, name)]
        time.sleep(0.1)
    stopped = game.admin("stop_bots")
    deadline = time.monotonic() + 10
    left = quoting
    while time.monotonic() < deadline and left:
        left = [o for a in accounts for o in gw.orders.live(a)]
        time.sleep(0.1)

    assert started["started"] == ["mm-1"] and started["bots"] == ["mm-1"]
    assert [b["id"] for b in state["bots"]] == ["mm-1"]
    assert quoting, "the market maker never quoted"
    assert {o.side for o in quoting} == {c.SIDE_BUY, c.SIDE_SELL}
    assert stopped == {"code": game.code, "stopped": ["mm-1"]}
    assert left == [] and game.admin("get_state")["bots"] == []


def test_the_games_house_bots_are_refused_while_it_is_paused_and_only_then(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    name = game.contract("neocloud")
    gw = game_server.gateway
    service = gw.game  # type: ignore[attr-defined]
    bot = 10**6  # an account id no one has: the gate only looks it up
    service.games[game.code].bot_accounts.append(bot)
    try:
        assert service.gate(bot, name, c.SIDE_BUY, 1) is None  # lobby: the bots make prices
        game.admin("round", action="open")
        assert service.gate(bot, name, c.SIDE_BUY, 1) is None
        game.admin("round", action="pause")
        refusal = service.gate(bot, name, c.SIDE_SELL, 1)
        assert refusal is not None and refusal.code == 13028
        assert "paused by the instructor" in (refusal.reason or "")
        game.admin("round", action="resume")
        assert service.gate(bot, name, c.SIDE_BUY, 1) is None
        assert service.gate(bot + 1, name, c.SIDE_BUY, 1) is None  # not a bot of the game
    finally:
        service.games[game.code].bot_accounts.remove(bot)
