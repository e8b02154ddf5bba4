"""Each agent of sim/agents/ in a controlled market: by hand against a stub session, and in
small runs through the pipeline and clearing house (docs/simulation.md, "The agent
library")."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import pytest

from sim.agents.base import MarketAgent, fair_value
from sim.agents.hedgers import AIBuyer, Neocloud
from sim.agents.market_maker import AvellanedaStoikov
from sim.agents.traders import Fundamental, MeanReversion, Momentum, Noise
from sim.events import (
    BUY,
    SELL,
    AccountUpdate,
    CancelAll,
    CurveUpdate,
    Deposit,
    IndexFixing,
    NewOrder,
    OrderAccepted,
    OrderFilled,
    SettlementPrice,
)
from sim.simulation import run_scenario
from tests.sim.run_kit import SPECS, StubSession, bind, tiny

FRONT, SECOND = "H100-30NOV26", "H100-31DEC26"
NOON = 1_795_000_000_000_000_000  # a time inside a session (Thu 19 Nov 2026, 09:46 UTC)
DAY = date(2026, 11, 19)


def market(agent: MarketAgent, index: int = 281, settles: tuple[int, ...] = ()) -> StubSession:
    """Bind ``agent`` to a stub market with the two-month curve and an index print."""
    s = StubSession(NOON)
    bind(agent, s)
    agent.on_event(CurveUpdate(NOON, "H100", (FRONT, SECOND), (7, 29)))
    agent.on_event(IndexFixing(NOON, "H100", DAY, index))
    for p in settles:
        for name in (FRONT, SECOND):
            agent.on_event(SettlementPrice(NOON, name, DAY, p * 10_000, p, 1))
    return s


def orders(s: StubSession) -> list[NewOrder]:
    return [c for c in s.sent if isinstance(c, NewOrder)]


def fill(agent: MarketAgent, name: str, side: int, qty: int, price: int = 281) -> None:
    agent.on_event(OrderAccepted(NOON, name, 900 + qty, 0, side, price, qty, False))
    agent.on_event(OrderFilled(NOON, name, 900 + qty, 0, 1, side, price, qty, 0, "taker"))


# ------------------------------------------------------------------ by hand
def test_a_neocloud_sells_the_front_month_first_and_never_below_its_floor() -> None:
    agent = Neocloud(SPECS, capacity_contracts=10, hedge_ratio=0.5, min_price_usd=2.70,
                     aggression=1.0, max_order=3)  # fmt: skip
    s = market(agent)
    s.tops = {FRONT: (260, 5, 285, 5), SECOND: (275, 5, 290, 5)}
    agent.act()  # the bid 2.60 is under the floor: it offers at the floor or above instead
    (o,) = orders(s)
    assert (o.instrument, o.side, o.tif) == (FRONT, SELL, "gtd") and o.price >= 270
    assert o.qty == 3
    s.tops[FRONT] = (280, 5, 285, 5)
    s.sent.clear()
    agent.act()  # bid above the floor, aggression 1: hits it
    (o,) = orders(s)
    assert (o.price, o.tif, o.qty) == (280, "ioc", 3)
    fill(agent, FRONT, SELL, 5)
    s.sent.clear()
    agent.act()  # front at its target (−5): works on the second month
    assert orders(s)[0].instrument == SECOND
    assert agent.exposure() == {FRONT: 10, SECOND: 10}


def test_an_ai_buyer_buys_towards_its_forecast_and_never_above_its_cap() -> None:
    agent = AIBuyer(SPECS, demand_contracts=10, demand_sd=0.0, hedge_ratio=1.0,
                    max_price_usd=2.90, aggression=1.0, max_order=4)  # fmt: skip
    s = market(agent)
    s.tops = {FRONT: (280, 5, 295, 5)}
    agent.act()  # ask 2.95 above the cap: bids inside the book at the cap or less
    (o,) = orders(s)
    assert (o.side, o.tif) == (BUY, "gtd") and o.price <= 290 and o.qty == 4
    s.tops[FRONT] = (280, 5, 286, 5)
    s.sent.clear()
    agent.act()
    (o,) = orders(s)
    assert (o.price, o.tif) == (286, "ioc")
    fill(agent, FRONT, BUY, 10)
    assert agent.target(FRONT) == 10 and agent.exposure()[FRONT] == -10
    agent.forecast[FRONT] = 2.0  # demand collapsed: sells back the excess
    s.tops[FRONT] = (280, 9, 286, 5)
    s.sent.clear()
    agent.act()
    (o,) = orders(s)
    assert (o.instrument, o.side, o.price) == (FRONT, SELL, 280)


def test_a_fundamental_trader_buys_below_and_sells_above_its_index_fair_value() -> None:
    agent = Fundamental(SPECS, threshold_bps=100, qty=2, months=1)
    s = market(agent, index=300)
    fair = fair_value(300, 7, 0.17)
    assert fair == 300  # a week before its last trading day: no depreciation to carry
    s.tops = {FRONT: (280, 5, 290, 5)}  # ask 3.3% under fair
    agent.act()
    assert [(o.side, o.price, o.tif) for o in orders(s)] == [(BUY, 290, "ioc")]
    s.tops = {FRONT: (310, 5, 320, 5)}
    s.sent.clear()
    agent.act()
    assert [(o.side, o.price, o.tif) for o in orders(s)] == [(SELL, 310, "ioc")]
    assert fair_value(300, 262, 0.17) == pytest.approx(300 * 0.83)


def test_momentum_follows_and_mean_reversion_fades_the_same_rise() -> None:
    mom = Momentum(SPECS, lookback=2, threshold_bps=100, months=1)
    rev = MeanReversion(SPECS, lookback=2, threshold_bps=100, months=1)
    for agent in (mom, rev):
        s = market(agent, settles=(270, 290))
        s.tops = {FRONT: (294, 5, 296, 5)}  # mid 2.95: up 9% on 2.70, 6.5% over the mean
        agent.act()
        (o,) = orders(s)
        assert o.tif == "ioc"
        expected = (BUY, 296) if agent is mom else (SELL, 294)
        assert (o.side, o.price) == expected


def test_a_noise_trader_stays_near_the_book_and_within_its_position_limit() -> None:
    agent = Noise(SPECS, qty=3, max_position=4, offset_ticks=8, market_prob=0.0)
    s = market(agent)
    s.tops = {FRONT: (280, 5, 282, 5), SECOND: (283, 5, 285, 5)}
    for _ in range(200):
        agent.act()
    for o in orders(s):
        mid = 281 if o.instrument == FRONT else 284
        assert 1 <= o.qty <= 3 and abs(o.price - mid) <= 9
    fill(agent, FRONT, BUY, 4)
    s.sent.clear()
    for _ in range(50):
        agent.act()
    assert all(o.side == SELL for o in orders(s) if o.instrument == FRONT)


def test_margin_calls_are_paid_from_the_reserve_reduced_or_ignored() -> None:
    payer = Noise(SPECS, reserve_usd=500.0, on_margin_call="pay")
    reducer = Noise(SPECS, reserve_usd=5_000.0, on_margin_call="reduce")
    ignorer = Noise(SPECS, on_margin_call="ignore")
    for agent in (payer, reducer, ignorer):
        s = market(agent)
        s.tops = {FRONT: (280, 9, 282, 9)}
        fill(agent, FRONT, BUY, 3)
        agent.on_margin_call(1_200_000_000, NOON + 1)
        if agent is payer:  # all it has: $500
            assert s.sent == [Deposit(500_000_000)] and agent.reserve == 0
        elif agent is reducer:  # cancel, close at the bid, then pay the call in full
            assert s.sent[0] == CancelAll(None)
            assert s.sent[1] == NewOrder(FRONT, SELL, 3, 280, "ioc")
            assert s.sent[2] == Deposit(1_200_000_000)
        else:
            assert s.sent == []
        assert agent.calls == 1


# ------------------------------------------------------- Avellaneda–Stoikov
def test_the_reservation_price_and_spread_follow_the_closed_form() -> None:
    mm = AvellanedaStoikov(SPECS, gamma=0.1, k=0.5, sigma_annual=0.3, horizon_days=2.0)
    s = 300.0
    sigma = 0.3 * s / math.sqrt(252)
    r, bid, ask = mm.quotes_for(s, 4)
    assert r == pytest.approx(s - 4 * 0.1 * sigma**2 * 2.0)
    assert ask - bid == pytest.approx(0.1 * sigma**2 * 2.0 + (2 / 0.1) * math.log(1 + 0.1 / 0.5))
    assert (bid + ask) / 2 == pytest.approx(r)
    r_flat, _, _ = mm.quotes_for(s, 0)
    r_short, _, _ = mm.quotes_for(s, -4)
    assert r < r_flat < r_short


def test_quotes_skew_against_inventory_and_respect_the_limit() -> None:
    def quotes(q: int, free: int = 900) -> list[tuple[int, int, int]]:
        mm = AvellanedaStoikov(SPECS, gamma=0.2, k=0.5, quote_qty=5, max_inventory=6,
                               months=1, anchor=0.0)  # fmt: skip
        s = market(mm)
        s.tops = {FRONT: (279, 5, 283, 5)}
        if q:
            fill(mm, FRONT, BUY if q > 0 else SELL, abs(q))
        mm.on_event(AccountUpdate(NOON, 1000, 1000, 1000 - free, free, 0))
        mm.act()
        return [(o.side, o.price, o.qty) for o in orders(s)]

    flat, long4, short4 = quotes(0), quotes(4), quotes(-4)
    assert [x[0] for x in flat] == [BUY, SELL]
    assert long4[0][1] < flat[0][1] and long4[1][1] < flat[1][1]  # both quotes lower
    assert short4[0][1] > flat[0][1] and short4[1][1] > flat[1][1]  # both higher
    assert long4[0][2] == 2 and short4[1][2] == 2  # a fill never passes 6 contracts
    assert quotes(6) == [(SELL, quotes(6)[0][1], 5)]  # at the limit: no bid
    # low free collateral: only the side that reduces the inventory
    assert [x[0] for x in quotes(4, free=50)] == [SELL]
    assert quotes(0, free=50) == []
    wide, narrow = quotes(0, free=200), quotes(0, free=900)
    assert wide[1][1] - wide[0][1] > narrow[1][1] - narrow[0][1]  # widened


# ------------------------------------------------------------- in a market
@pytest.fixture(scope="module")
def market_run():
    return run_scenario(tiny(days=3))


def test_in_a_market_the_neocloud_ends_short_and_the_ai_buyer_long(market_run) -> None:
    sim, results = market_run
    by_kind = {p.kind: p for p in sim.participants}
    trades = results.tables["trades"].to_pylist()
    neo, buyer = by_kind["neocloud"], by_kind["ai_buyer"]
    assert sum(neo.agent.position.values()) < 0
    assert all(q <= 0 for q in neo.agent.position.values())
    assert sum(buyer.agent.position.values()) > 0
    for t in trades:  # price limits hold on every fill
        seller = t["maker_account"] if t["aggressor_side"] == BUY else t["aggressor_account"]
        buyer_account = t["aggressor_account"] if t["aggressor_side"] == BUY else t["maker_account"]
        if seller == neo.account:
            assert t["price"] >= 250
        if buyer_account == buyer.account:
            assert t["price"] <= 310


def test_in_a_market_the_market_maker_stays_within_its_inventory_limit(market_run) -> None:
    sim, results = market_run
    mm = next(p for p in sim.participants if p.kind == "market_maker")
    limit = mm.agent.max_inventory  # type: ignore[attr-defined]
    pos: dict[str, int] = defaultdict(int)
    fills = 0
    for t in results.tables["trades"].to_pylist():
        sign = 1 if t["aggressor_side"] == BUY else -1
        if t["aggressor_account"] == mm.account:
            pos[t["instrument"]] += sign * t["qty"]
        elif t["maker_account"] == mm.account:
            pos[t["instrument"]] -= sign * t["qty"]
        else:
            continue
        fills += 1
        assert abs(pos[t["instrument"]]) <= limit
    assert fills > 10
    # its last quotes lean against what it holds
    quotes = mm.agent.last_quotes  # type: ignore[attr-defined]
    assert quotes
    for bid, _, ask, _, r, s, q in quotes.values():
        assert (r < s) if q > 0 else (r > s) if q < 0 else (r == s)
        assert bid < ask
