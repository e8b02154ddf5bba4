"""The classroom game over a real gateway (docs/game-protocol.md): joining, rounds,
refusals while not open, trading and scores, news and shocks, limits, leaderboard, end."""

from __future__ import annotations

import time
from collections.abc import Callable

from gateway.game.codes import ALPHABET, LENGTH
from tests.game.conftest import USD, GameHandle, ref_price
from tests.gateway.stubs import RpcClient, RunningServer


def test_an_administrator_creates_a_game_in_the_lobby_that_anyone_can_look_up(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game("intro")
    anyone = RpcClient(game_server.ws_url)
    try:
        info = anyone.call("public/game/get_info", code=game.code.lower())
        unknown = anyone.error("public/game/get_info", code="ZZZZZZ")
        refused = anyone.error("admin/game/create", scenario="intro")
    finally:
        anyone.close()

    assert len(game.code) == LENGTH and set(game.code) <= set(ALPHABET)
    assert info == {
        "code": game.code, "title": "Compute futures: a first market", "scenario": "intro",
        "state": "lobby", "round": 0, "rounds_total": 4, "players": 0,
    }  # fmt: skip
    assert (unknown["code"], unknown["data"]["reason"]) == (11050, "no game with code 'ZZZZZZ'")
    assert refused["code"] == 10000


def test_students_join_with_a_name_and_get_roles_in_turn(
    make_game: Callable[..., GameHandle],
) -> None:
    game = make_game("intro")

    roles = [game.join(f"s{i}").role for i in range(4)]
    taken = game.students[0].client.error("public/game/join", code=game.code, name="S0")
    blank = game.students[0].client.error("public/game/join", code=game.code, name="  ")
    view = game.students[0].client.call("private/game/get_state")
    contract = game.contract("neocloud")

    assert roles == ["neocloud", "ai_startup", "speculator", "neocloud"]
    assert taken["code"] == 11029 and "name taken" in taken["data"]["reason"]
    assert blank["code"] == 11029 and blank["data"]["param"] == "name"
    assert view["role"]["title"] == "Neocloud" and contract in view["role"]["brief"]
    assert "{contracts}" not in view["role"]["brief"]
    assert view["objective"] == {
        "kind": "sell_forward", "product": "H100", "months": [contract], "target": 20,
        "hedged": 0, "attainment": 0.0,
    }  # fmt: skip
    assert view["score"] == {"pnl": 0.0, "objective": -2400.0, "total": -2400.0}
    assert view["state"] == "lobby" and view["leaderboard"] is None
    assert view["limits"] == {"max_order_amount": 10, "max_position": 40}
    assert set(view["index"]) == {"H100", "B200", "A100"}


def test_the_lobby_refuses_student_orders_with_a_message_naming_the_state(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    alice = game.join()
    name = game.contract("neocloud")
    book_before = alice.client.call("public/get_order_book", instrument_name=name)

    refused = alice.client.error(
        "private/sell", instrument_name=name, amount=1, price=ref_price(game_server, name)
    )

    assert (refused["code"], refused["message"]) == (13028, "temporarily_unavailable")
    assert "trading has not started" in refused["data"]["reason"]
    assert "lobby" in refused["data"]["reason"]
    assert alice.client.call("private/get_open_orders") == []
    book_after = alice.client.call("public/get_order_book", instrument_name=name)
    assert (book_after["bids"], book_after["asks"]) == (book_before["bids"], book_before["asks"])


def test_in_an_open_round_students_trade_and_their_positions_and_scores_move(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    seller, buyer = game.join(), game.join()  # neocloud, ai_startup
    name = game.contract("neocloud")
    seller.client.call("private/subscribe", channels=["user.game"])
    price = ref_price(game_server, name)

    opened = game.admin("round", action="open")
    seller.client.call("private/sell", instrument_name=name, amount=4, price=price)
    bought = buyer.client.call("private/buy", instrument_name=name, amount=4, price=price)
    position = seller.client.call("private/get_position", instrument_name=name)
    view = seller.client.call("private/game/get_state")
    update = seller.client.next_on("user.game")

    assert opened["state"] == "open" and opened["round"] == 1
    assert 0 < opened["round_ends_in_ms"] <= 8 * 60_000
    assert bought["order"]["order_state"] == "filled"
    assert (position["size"], position["direction"]) == (-4.0, "sell")
    assert view["objective"]["hedged"] == 4 and view["objective"]["attainment"] == 0.2
    assert view["score"]["objective"] == 4 * 20.0 - 16 * 120.0
    assert view["score"]["total"] == round(view["score"]["pnl"] + view["score"]["objective"], 2)
    assert update["type"] == "player" and update["objective"]["hedged"] == 4


def test_pausing_refuses_student_orders_and_stops_the_clock_and_resuming_allows_them(
    make_game: Callable[..., GameHandle], game_server: RunningServer, instructor: RpcClient
) -> None:
    game = make_game()
    alice = game.join()
    name = game.contract("neocloud")
    clock = game_server.gateway.clock
    assert clock is not None
    outsider = instructor.call("admin/create_account", name="not a player")
    other = RpcClient(game_server.ws_url)
    other.login(outsider["client_id"], outsider["client_secret"])
    price = ref_price(game_server, name, 5)

    try:
        game.admin("round", action="open")
        own = alice.client.call("private/sell", instrument_name=name, amount=1, price=price)
        own = own["order"]["order_id"]
        running = clock.paused
        paused = game.admin("round", action="pause")
        refused = alice.client.error("private/sell", instrument_name=name, amount=1, price=price)
        stopped = clock.paused
        not_a_player = other.call("private/sell", instrument_name=name, amount=1, price=price)
        edit_refused = alice.client.error("private/edit", order_id=own, amount=2, price=price)
        resumed = game.admin("round", action="resume")
        allowed = alice.client.call("private/sell", instrument_name=name, amount=1, price=price)
    finally:
        other.close()

    assert running is False and stopped is True and clock.paused is False
    assert paused["state"] == "paused" and paused["clock"]["paused"] is True
    assert refused["code"] == 13028
    assert refused["data"]["reason"] == "trading is paused: round 1 was paused by the instructor"
    assert not_a_player["order"]["order_state"] == "open"
    assert edit_refused["code"] == 13028 and "paused" in edit_refused["data"]["reason"]
    assert resumed["state"] == "open" and allowed["order"]["order_state"] == "open"


def test_closing_a_round_refuses_orders_and_cancels_the_players_resting_ones(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    alice = game.join()
    name = game.contract("neocloud")
    game.admin("round", action="open")
    alice.client.call(
        "private/sell", instrument_name=name, amount=1, price=ref_price(game_server, name, 7)
    )

    closed = game.admin("round", action="close")
    refused = alice.client.error(
        "private/sell", instrument_name=name, amount=1, price=ref_price(game_server, name, 7)
    )
    reopened = game.admin("round", action="open")

    assert closed["state"] == "closed"
    assert "round 1 is over; wait for round 2" in refused["data"]["reason"]
    assert alice.client.call("private/get_open_orders") == []
    assert (reopened["state"], reopened["round"]) == ("open", 2)


def test_news_and_shocks_arrive_on_the_game_channel_and_move_the_index(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    watcher = RpcClient(game_server.ws_url)
    feed = game_server.gateway.index_feed
    assert feed is not None
    try:
        assert watcher.call("public/subscribe", channels=[f"game.{game.code}"]) == [
            f"game.{game.code}"
        ]
        before = feed.levels()
        game.admin("news", headline="Rumour: a lab is buying", body="Details soon")
        news = watcher.next_on(f"game.{game.code}")
        while news["type"] != "news":
            news = watcher.next_on(f"game.{game.code}")
        shock = game.admin("shock", kind="generation_launch")
        shocked = watcher.next_on(f"game.{game.code}")
        while shocked["type"] != "news":
            shocked = watcher.next_on(f"game.{game.code}")
        after = feed.levels()
        index = watcher.next_on(f"game.{game.code}")
        while index["type"] != "index":
            index = watcher.next_on(f"game.{game.code}")
    finally:
        watcher.close()

    assert (news["headline"], news["body"], news["kind"]) == (
        "Rumour: a lab is buying",
        "Details soon",
        "news",
    )
    assert shocked["kind"] == "generation_launch" and shocked == {"type": "news", **shock}
    assert shock["moves"] == {"B200": 6.0, "H100": -20.0, "A100": -15.0}
    assert after["B200"] > before["B200"] and after["H100"] < before["H100"]
    assert after["A100"] < before["A100"]
    assert index["prices"] == after


def test_limits_refuse_orders_before_they_reach_the_engine(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    alice = game.join()
    name = game.contract("neocloud")
    price = ref_price(game_server, name, 9)
    game.admin("round", action="open")

    limits = game.admin("set_limits", max_order_amount=3, max_position=5)
    too_big = alice.client.error("private/sell", instrument_name=name, amount=4, price=price)
    resting = alice.client.call("private/sell", instrument_name=name, amount=3, price=price)
    too_far = alice.client.error("private/sell", instrument_name=name, amount=3, price=price)
    edit_id = resting["order"]["order_id"]
    edit_too_big = alice.client.error("private/edit", order_id=edit_id, amount=4, price=price)
    edit_within = alice.client.call("private/edit", order_id=edit_id, amount=2, price=price)
    lifted = game.admin("set_limits", max_order_amount=0)

    assert limits == {"max_order_amount": 3, "max_position": 5}
    assert too_big["code"] == 10021
    assert too_big["data"]["reason"] == "the game allows at most 3 contracts per order"
    assert too_far["code"] == 10018 and "position limit is 5" in too_far["data"]["reason"]
    assert f"{name} position to -6" in too_far["data"]["reason"]
    assert edit_too_big["code"] == 10021 and edit_within["order"]["amount"] == 2
    assert len(alice.client.call("private/get_open_orders")) == 1
    assert lifted == {"max_order_amount": None, "max_position": 5}


def test_the_leaderboard_is_shown_to_students_only_when_the_instructor_says_so(
    make_game: Callable[..., GameHandle],
) -> None:
    game = make_game()
    alice, bob = game.join("alice"), game.join("bob")
    alice.client.call("public/subscribe", channels=[f"game.{game.code}"])

    hidden = alice.client.call("private/game/get_state")["leaderboard"]
    shown = game.admin("leaderboard", visible=True)
    pushed = alice.client.next_on(f"game.{game.code}")
    while pushed["type"] != "leaderboard":
        pushed = alice.client.next_on(f"game.{game.code}")
    seen = bob.client.call("private/game/get_state")["leaderboard"]
    game.admin("leaderboard", visible=False)

    assert hidden is None
    assert [r["name"] for r in shown["rows"]] == [r["name"] for r in seen]
    assert {r["name"] for r in seen} == {"alice", "bob"}
    assert [r["rank"] for r in seen] == [1, 2]
    assert pushed["visible"] is True and pushed["rows"] == seen
    assert alice.client.call("private/game/get_state")["leaderboard"] is None


def test_ending_the_game_freezes_the_scores_and_refuses_orders_and_joins(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    alice, bob = game.join(), game.join()
    name = game.contract("neocloud")
    price = ref_price(game_server, name)
    game.admin("round", action="open")
    alice.client.call("private/sell", instrument_name=name, amount=2, price=price)
    bob.client.call("private/buy", instrument_name=name, amount=2, price=price)

    ended = game.admin("end")
    frozen = alice.client.call("private/game/get_state")["score"]
    cleared = game_server.gateway.clearing
    assert cleared is not None
    cleared.deposit(alice.account, 1_000 * USD)
    later = alice.client.call("private/game/get_state")
    refused = alice.client.error("private/sell", instrument_name=name, amount=1, price=price)
    no_join = bob.client.error("public/game/join", code=game.code, name="late")

    assert ended["state"] == "ended" and len(ended["results"]) == 2
    result = next(r for r in ended["results"] if r["player_id"] == alice.player_id)
    assert frozen == {
        "pnl": result["pnl"],
        "objective": result["objective"],
        "total": result["total"],
    }
    assert later["score"] == frozen and later["state"] == "ended"
    assert refused["code"] == 13028 and "has ended" in refused["data"]["reason"]
    assert no_join["code"] == 11029 and "has ended" in no_join["data"]["reason"]


def _wait_for(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_round_closes_by_itself_when_its_time_is_up(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    alice = game.join()
    game.admin("round", action="open")
    games = game_server.gateway.game  # type: ignore[attr-defined]

    games.games[game.code].round_ends_ns = time.monotonic_ns()  # the round's time is up
    closed = _wait_for(
        lambda: alice.client.call("public/game/get_info", code=game.code)["state"] == "closed"
    )
    view = alice.client.call("private/game/get_state")

    assert closed and (view["state"], view["round"], view["round_ends_in_ms"]) == (
        "closed",
        1,
        None,
    )
    assert game_server.gateway.clock is not None and game_server.gateway.clock.paused


def test_a_margin_call_on_a_player_is_pushed_to_them_and_kept_for_the_debrief(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = make_game()
    alice = game.join("alice")
    alice.client.call("private/subscribe", channels=["user.game"])
    cleared = game_server.gateway.clearing
    assert cleared is not None
    now = game_server.gateway.now()

    call = cleared.house.calls.issue(alice.account, now, 0, 1, 1_500 * USD, intraday=True)
    note = alice.client.next_on("user.game")
    while note["type"] != "margin_call":
        note = alice.client.next_on("user.game")
    debrief = game.admin("debrief")

    assert call is not None
    assert note == {
        "type": "margin_call",
        "amount": 1500.0,
        "deadline_ts": call.deadline_ts // 1_000_000,
    }
    assert debrief["margin_calls"] == [
        {"ts": now // 1_000_000, "player_id": alice.player_id, "name": "alice", "role": "neocloud",
         "amount": 1500.0, "deadline_ts": call.deadline_ts // 1_000_000}
    ]  # fmt: skip
    assert debrief["results"][0]["margin_calls"] == 1
    cleared.house.calls.open.pop(alice.account)  # leave the house as it was for other tests
