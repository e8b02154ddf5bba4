"""Tenders (docs/game-protocol.md): offered to a role or a player on ``user.game``, then
accepted (booked against the tender desk through the exchange), declined or expired."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.game.conftest import GameHandle
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET
from tests.gateway.stubs import RpcClient, RunningServer


def _instrument(server: RunningServer, product: str, month: int) -> str:
    listings = sorted(
        (x for x in server.gateway.instruments.by_name.values() if x.spec.code == product),
        key=lambda x: x.contract.expiry_ts,
    )
    return listings[month - 1].name


def _wire(server: RunningServer, name: str, ticks: int) -> float:
    lst = server.gateway.instruments.get(name)
    return lst.to_wire(lst.ref + ticks * lst.tick)


def test_a_tender_offered_to_a_role_is_booked_at_its_price_and_shows_in_trades_and_positions(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    neo, startup = game.join(), game.join()
    neo.client.call("private/subscribe", channels=["user.game"])
    name = _instrument(game_server, "B200", 7)
    price = _wire(game_server, name, 3)
    game.admin("round", action="open")

    offered = game.admin(
        "tender", role="neocloud", instrument=name, side="sell", amount=5, price=price,
        expires_in_s=60,
    )["tenders"]  # fmt: skip
    note = neo.client.next_on("user.game")
    while note["type"] != "tender":
        note = neo.client.next_on("user.game")
    stranger = startup.client.error(
        "private/game/respond_tender", tender_id=offered[0]["tender_id"], accept=True
    )
    accepted = neo.client.call(
        "private/game/respond_tender", tender_id=offered[0]["tender_id"], accept=True
    )
    trades = neo.client.call("private/get_user_trades_by_instrument", instrument_name=name)
    position = neo.client.call("private/get_position", instrument_name=name)
    again = neo.client.error(
        "private/game/respond_tender", tender_id=offered[0]["tender_id"], accept=True
    )
    book = neo.client.call("public/get_order_book", instrument_name=name)

    assert [t["player_id"] for t in offered] == [neo.player_id]
    assert (note["event"], note["state"], note["amount"], note["price"]) == (
        "offered", "offered", 5, price,
    )  # fmt: skip
    assert 0 < note["expires_in_ms"] <= 60_000
    assert stranger["code"] == 11029 and "no tender" in stranger["data"]["reason"]
    assert accepted["state"] == "accepted"
    assert (accepted["booked_price"], accepted["premium"]) == (price, 0.0)
    assert [(t["direction"], t["amount"], t["price"]) for t in trades["trades"]] == [
        ("sell", 5.0, price)
    ]
    assert (position["size"], position["average_price"]) == (-5.0, price)
    assert again["code"] == 11029 and "accepted" in again["data"]["reason"]
    assert book["bids"] == [] and book["asks"] == []


def test_a_tender_priced_through_the_market_books_inside_the_spread_and_pays_the_difference(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    neo = game.join()
    name = _instrument(game_server, "B200", 8)
    gw = game_server.gateway
    maker = RpcClient(game_server.ws_url)
    maker.login(ADMIN_ID, ADMIN_SECRET)
    creds = maker.call("admin/create_account", name="market maker")
    maker.login(creds["client_id"], creds["client_secret"])
    try:
        maker.call(
            "private/buy", instrument_name=name, amount=3, price=_wire(game_server, name, -5)
        )
        maker.call(
            "private/sell", instrument_name=name, amount=3, price=_wire(game_server, name, 0)
        )
        game.admin("round", action="open")
        tender_price = _wire(game_server, name, 10)  # a premium: above the best offer
        offered = game.admin(
            "tender", player_id=neo.player_id, instrument=name, side="sell", amount=4,
            price=tender_price,
        )["tenders"]  # fmt: skip
        assert gw.clearing is not None
        cash_before = gw.clearing.house.ledger.cash(neo.account)
        accepted = neo.client.call(
            "private/game/respond_tender", tender_id=offered[0]["tender_id"], accept=True
        )
        cash_after = gw.clearing.house.ledger.cash(neo.account)
        position = neo.client.call("private/get_position", instrument_name=name)
        book = maker.call("public/get_order_book", instrument_name=name)
    finally:
        maker.close()

    booked = _wire(
        game_server, name, -1
    )  # best inside price next to the tender: one tick under the ask
    lst = gw.instruments.get(name)
    premium = round((tender_price - booked) * 4 * lst.spec.contract_hours, 2)
    fees = 4 * lst.spec.taker_fee_micros / 1e6
    assert (accepted["booked_price"], accepted["premium"]) == (booked, premium)
    assert round((cash_after - cash_before) / 1e6, 2) == round(premium - fees, 2)
    assert position["size"] == -4.0
    assert [b[0] for b in book["bids"]] == [_wire(game_server, name, -5)]
    assert [a[0] for a in book["asks"]] == [_wire(game_server, name, 0)]


def test_tenders_can_be_declined_and_expire_and_are_refused_outside_an_open_round(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    neo = game.join()
    neo.client.call("private/subscribe", channels=["user.game"])
    name = _instrument(game_server, "A100", 9)
    price = _wire(game_server, name, 0)

    first, second, third = (
        game.admin(
            "tender", player_id=neo.player_id, instrument=name, side="buy", amount=1,
            price=price, expires_in_s=5 if i == 2 else 120,
        )["tenders"][0]["tender_id"]
        for i in range(3)
    )  # fmt: skip
    lobby = neo.client.error("private/game/respond_tender", tender_id=first, accept=True)
    declined = neo.client.call("private/game/respond_tender", tender_id=second, accept=False)
    deadline = time.monotonic() + 10
    expired = None
    while time.monotonic() < deadline:
        tenders = neo.client.call("private/game/get_state")["tenders"]
        expired = next(t for t in tenders if t["tender_id"] == third)
        if expired["state"] == "expired":
            break
        time.sleep(0.25)
    late = neo.client.error("private/game/respond_tender", tender_id=third, accept=True)

    assert lobby["code"] == 13028 and "lobby" in lobby["data"]["reason"]
    assert declined["state"] == "declined"
    assert expired is not None and expired["state"] == "expired"
    assert late["code"] == 11029 and "expired" in late["data"]["reason"]
    assert neo.client.call("private/get_positions") == []
