"""The debrief series and the CSV exports (docs/game-protocol.md): every trade with both
sides, every order, the index and price paths, results by player and by role."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from collections.abc import Callable

from tests.game.conftest import GameHandle, ref_price
from tests.gateway.stubs import RunningServer


def _get(url: str, token: str | None) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers.get("content-type", ""), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("content-type", ""), err.read().decode()


def _played(make_game: Callable[..., GameHandle], server: RunningServer) -> GameHandle:
    """Return an ended game in which a neocloud sold 3 to an AI startup and a speculator
    left an order resting (cancelled at the end)."""
    game = make_game()
    neo, startup, spec = game.join("neo"), game.join("startup"), game.join("spec")
    name = game.contract("neocloud")
    price = ref_price(server, name, -2)
    game.admin("round", action="open")
    neo.client.call("private/sell", instrument_name=name, amount=3, price=price)
    startup.client.call("private/buy", instrument_name=name, amount=3, price=price)
    spec.client.call(
        "private/buy", instrument_name=name, amount=1, price=ref_price(server, name, -30)
    )
    game.admin("shock", kind="gpu_glut")
    game.admin("end")
    return game


def test_the_debrief_has_every_series_of_the_game(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = _played(make_game, game_server)
    name = game.contract("neocloud")

    d = game.admin("debrief")

    assert name in d["instruments"] and d["prices"][name][-1][1] == ref_price(game_server, name, -2)
    assert set(d["index"]) == {"H100", "B200", "A100"}
    assert all(len(series) >= 2 for series in d["index"].values())  # before and after the shock
    assert d["curves"] and {"instrument", "months_out", "price"} <= set(
        d["curves"][-1]["points"][0]
    )
    totals = [r["total"] for r in d["results"]]
    assert totals == sorted(totals, reverse=True) and len(totals) == 3
    assert {r["role"] for r in d["by_role"]} == {"neocloud", "ai_startup", "speculator"}
    assert all(r["players"] == 1 for r in d["by_role"])
    assert {"buyer": "ai_startup", "seller": "neocloud", "amount": 3} in d["flows"]
    assert d["margin_calls"] == [] and d["defaults"] == []
    assert [t["state"] for t in d["timeline"]] == ["lobby", "open", "ended"]
    assert d["news"][-1]["kind"] == "gpu_glut"


def test_csv_exports_return_one_row_per_order_trade_and_player_to_administrators_only(
    make_game: Callable[..., GameHandle], game_server: RunningServer
) -> None:
    game = _played(make_game, game_server)
    token = game.instructor.login("admin", "admin-secret-for-tests")["access_token"]
    student = game.students[0].client.login(
        game.students[0].joined["client_id"], game.students[0].joined["client_secret"]
    )["access_token"]
    base = f"{game_server.http_url}/game/{game.code}/export"

    status, ctype, trades_text = _get(f"{base}/trades.csv", token)
    orders = list(csv.DictReader(io.StringIO(_get(f"{base}/orders.csv", token)[2])))
    results = list(csv.DictReader(io.StringIO(_get(f"{base}/results.csv", token)[2])))
    trades = list(csv.DictReader(io.StringIO(trades_text)))
    forbidden = _get(f"{base}/trades.csv", student)[0]
    anonymous = _get(f"{base}/trades.csv", None)[0]
    unknown = _get(f"{game_server.http_url}/game/ZZZZZZ/export/trades.csv", token)[0]
    no_such = _get(f"{base}/positions.csv", token)[0]

    assert status == 200 and ctype.startswith("text/csv")
    assert [
        (t["buyer"], t["buyer_role"], t["seller"], t["seller_role"], t["amount"]) for t in trades
    ] == [("startup", "ai_startup", "neo", "neocloud", "3")]
    assert sorted((o["name"], o["side"], o["state"]) for o in orders) == [
        ("neo", "sell", "filled"), ("spec", "buy", "cancelled"), ("startup", "buy", "filled"),
    ]  # fmt: skip
    assert sorted(r["name"] for r in results) == ["neo", "spec", "startup"]
    assert {"pnl", "objective", "total", "attainment", "defaulted"} <= set(results[0])
    assert (forbidden, anonymous, unknown, no_such) == (403, 401, 404, 404)
