"""The debrief of a game: series for the charts and the three CSV exports.

Built from the ``Recorder`` (trades with both accounts, orders, sampled index and curve)
restricted to the game's time span (venue clock from its creation), and from the
players' scores. Accounts are labelled for people: a player's name and role, ``house
bot``, ``tender desk`` or ``other``. Prices dollars per GPU-hour, money dollars,
amounts contracts, ``ts`` venue ms.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from exchange import codes as c
from gateway.game.model import Game
from gateway.game.recorder import Recorder, TradeRecord
from gateway.game.scoring import Score
from gateway.orders import Order

if TYPE_CHECKING:
    from gateway.core import Gateway

BOT, DESK, OTHER = "house bot", "tender desk", "other"
_TYPES = {c.TYPE_LIMIT: "limit", c.TYPE_MARKET: "market", 2: "stop_limit", 3: "stop_market"}


class Labels:
    """Who an account is, in a game: (name, role id or group)."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self.by_account: dict[int, tuple[str, str]] = {
            p.account: (p.name, p.role) for p in game.players.values()
        }
        for i, account in enumerate(game.bot_accounts):
            self.by_account[account] = (f"bot {i + 1}", BOT)
        self.by_account[game.desk_account] = (DESK, DESK)

    def name(self, account: int) -> str:
        """Return the account's display name."""
        return self.by_account.get(account, (OTHER, OTHER))[0]

    def group(self, account: int) -> str:
        """Return the account's role id, ``house bot``, ``tender desk`` or ``other``."""
        return self.by_account.get(account, (OTHER, OTHER))[1]


def _wire(gw: Gateway, instrument: str, units: int) -> float:
    lst = gw.instruments.find(instrument)
    if lst is not None:
        return lst.to_wire(units)
    product = instrument.split("-", 1)[0]
    return gw.venue.products[product].units_to_price(units)


def game_trades(rec: Recorder, game: Game) -> list[TradeRecord]:
    """Return the trades made since the game was created (and before it ended)."""
    end = game.ended_ts or None
    return [t for t in rec.trades if t.ts >= game.created_ts and (end is None or t.ts <= end)]


def game_orders(rec: Recorder, game: Game) -> list[Order]:
    """Return the orders placed since the game was created, oldest first."""
    end = game.ended_ts or None
    return [
        o
        for o in rec.orders.values()
        if o.ts_created >= game.created_ts and (end is None or o.ts_created <= end)
    ]


def debrief(gw: Gateway, rec: Recorder, game: Game, scores: dict[int, Score]) -> dict[str, object]:
    """Return the debrief series of ``docs/game-protocol.md``."""
    labels = Labels(game)
    trades = game_trades(rec, game)
    start_ms = game.created_ts // 1_000_000
    prices: dict[str, list[list[float]]] = defaultdict(list)
    flows: dict[tuple[str, str], int] = defaultdict(int)
    for t in trades:
        prices[t.instrument_name].append([t.ts // 1_000_000, _wire(gw, t.instrument_name, t.price)])
        flows[(labels.group(t.buyer), labels.group(t.seller))] += t.qty
    objective_names = {n for names in game.contracts.values() for n in names}
    instruments = sorted(set(prices) | objective_names)
    index = {product: _since(series, start_ms) for product, series in rec.index.items()}
    curves = [cv for cv in rec.curves if int(str(cv["ts"])) >= start_ms]
    results = results_rows(game, scores)
    return {
        "code": game.code,
        "title": game.title,
        "state": game.state,
        "instruments": instruments,
        "index": index,
        "prices": dict(prices),
        "curves": curves,
        "results": results,
        "by_role": by_role(game, scores),
        "margin_calls": list(game.margin_calls),
        "defaults": list(game.defaults),
        "flows": [{"buyer": b, "seller": s, "amount": n} for (b, s), n in sorted(flows.items())],
        "news": [{"headline": n.headline, "ts": n.ts, "kind": n.kind} for n in game.news],
        "timeline": list(game.timeline),
    }


def _since(series: Iterable[tuple[int, float]], start_ms: int) -> list[list[float]]:
    """Return the points of a step series from ``start_ms`` on, starting with the level
    in force at ``start_ms`` (the last point before it, moved to ``start_ms``)."""
    out: list[list[float]] = []
    before: float | None = None
    for ts, level in series:
        if ts < start_ms:
            before = level
            continue
        if not out and before is not None and ts > start_ms:
            out.append([start_ms, before])
        out.append([ts, level])
    if not out and before is not None:
        out.append([start_ms, before])
    return out


def results_rows(game: Game, scores: dict[int, Score]) -> list[dict[str, object]]:
    """Return one result per player, best total first."""
    rows = []
    for p in sorted(game.players.values(), key=lambda p: (-scores[p.player_id].total, p.name)):
        s = scores[p.player_id]
        rows.append(
            {
                "player_id": p.player_id,
                "name": p.name,
                "role": p.role,
                "account_id": p.account,
                "pnl": s.pnl,
                "objective": s.objective,
                "total": s.total,
                "hedged": s.hedged,
                "target": game.role(p.role).objective.target,
                "attainment": s.attainment,
                "margin_calls": p.margin_calls,
                "defaulted": p.defaulted,
            }
        )
    return rows


def by_role(game: Game, scores: dict[int, Score]) -> list[dict[str, object]]:
    """Return per role: players, mean P&L, objective, total and attainment."""
    out = []
    for role in game.scenario.roles:
        ps = [scores[p.player_id] for p in game.players.values() if p.role == role.id]
        n = len(ps)
        out.append(
            {
                "role": role.id,
                "title": role.title,
                "players": n,
                "mean_pnl": round(sum(s.pnl for s in ps) / n, 2) if n else 0.0,
                "mean_objective": round(sum(s.objective for s in ps) / n, 2) if n else 0.0,
                "mean_total": round(sum(s.total for s in ps) / n, 2) if n else 0.0,
                "mean_attainment": round(sum(s.attainment for s in ps) / n, 4) if n else 0.0,
            }
        )
    return out


def _csv(header: list[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def trades_csv(gw: Gateway, rec: Recorder, game: Game) -> str:
    """Return trades.csv: one row per trade, with both sides."""
    labels = Labels(game)
    header = [
        "trade_id", "ts_ms", "instrument", "price", "amount", "aggressor", "buyer_account",
        "buyer", "buyer_role", "seller_account", "seller", "seller_role",
    ]  # fmt: skip
    rows = (
        [
            t.trade_id,
            t.ts // 1_000_000,
            t.instrument_name,
            _wire(gw, t.instrument_name, t.price),
            t.qty,
            "buy" if t.aggressor_side == c.SIDE_BUY else "sell",
            t.buyer,
            labels.name(t.buyer),
            labels.group(t.buyer),
            t.seller,
            labels.name(t.seller),
            labels.group(t.seller),
        ]
        for t in game_trades(rec, game)
    )
    return _csv(header, rows)


def orders_csv(gw: Gateway, rec: Recorder, game: Game) -> str:
    """Return orders.csv: one row per order placed during the game, in its latest state."""
    labels = Labels(game)
    header = [
        "order_id", "ts_ms", "account", "name", "role", "instrument", "side", "type", "price",
        "amount", "filled", "average_price", "state", "cancel_reason", "label", "updated_ms",
    ]  # fmt: skip
    rows = []
    for o in game_orders(rec, game):
        unit = gw.venue.products[o.instrument_name.split("-", 1)[0]].price_unit_micros
        avg = round(o.cost / o.filled * unit / 1e6, 6) if o.filled else ""
        price = _wire(gw, o.instrument_name, o.price) if o.price else ""
        rows.append(
            [
                o.order_id,
                o.ts_created // 1_000_000,
                o.account,
                labels.name(o.account),
                labels.group(o.account),
                o.instrument_name,
                "buy" if o.side == c.SIDE_BUY else "sell",
                _TYPES.get(o.type, str(o.type)),
                price,
                o.amount,
                o.filled,
                avg,
                o.state,
                o.cancel_reason or "",
                o.label,
                o.ts_updated // 1_000_000,
            ]
        )
    return _csv(header, rows)


def results_csv(game: Game, scores: dict[int, Score]) -> str:
    """Return results.csv: one row per player, best total first."""
    header = [
        "player_id", "name", "role", "account_id", "pnl", "objective", "total", "hedged",
        "target", "attainment", "margin_calls", "defaulted",
    ]  # fmt: skip
    rows = [[r[k] for k in header] for r in results_rows(game, scores)]
    return _csv(header, rows)
