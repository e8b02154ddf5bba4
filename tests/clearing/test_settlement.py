"""Settlement prices by tier, variation margin and final settlement, through the real
pipeline and engine (docs/clearing-rules.md CR-24 to CR-27, CR-32)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import numpy as np
import pytest

from clearing.errors import SettlementError
from clearing.index.base import IndexNotPublished, PublishedSeries
from clearing.ops import ClearingReject as R
from clearing.records import CashSettlementFeeRecord, SettlementRecord, Tier
from exchange import codes as c
from exchange import commands as C
from exchange.calendar import DEFAULT_CALENDAR as CAL
from tests.clearing.house_kit import BUY, DEC, SELL, START, USD, at, build_market, rejects

NOV, JAN = 0, 2
DAY2 = date(2026, 11, 17)
LTD = date(2026, 11, 30)  # last trading day of November 2026


def series(prints: dict[date, int], default: int = 281) -> PublishedSeries:
    days = CAL.business_days(date(2026, 9, 1), date(2027, 12, 31))
    return PublishedSeries("h100_usd", days, [float(prints.get(d, default)) for d in days])


def funded(index: PublishedSeries | None = None, n: int = 3):
    m = build_market(n_members=n, index={"H100": index} if index else None)
    for a in range(n):
        m.house.deposit(a, 1_000_000 * USD)
    return m


def trade(m, column: int, buyer: int, seller: int, qty: int, price: int, ts: int) -> None:
    m.order(seller, column, SELL, qty, price, ts)
    events = m.order(buyer, column, BUY, qty, price, ts)
    assert int(events[events[:, c.E_KIND] == c.EV_TRADE][:, c.E_QTY].sum()) == qty


def settled(m, day: date) -> dict[str, tuple[int, Tier]]:
    return {
        r.contract: (r.price_micros_per_hour, r.tier)
        for r in m.house.records
        if isinstance(r, SettlementRecord) and r.day == day and not r.intraday
    }


# ------------------------------------------------------------------ CR-24 tiers
def test_vwap_of_the_closing_window_settles_rounded_half_to_even_to_a_tick() -> None:
    m = funded()
    trade(m, DEC, 0, 1, 5, 290, at(START, 12))  # before the window: ignored
    trade(m, DEC, 0, 1, 1, 281, at(START, 20, 31))
    trade(m, DEC, 0, 1, 1, 282, at(START, 20, 59))

    cycle = m.house.end_of_day(START)

    # (281 + 282) / 2 = 281.5 ticks -> 282 (even)
    assert settled(m, START)["H100-31DEC26"] == (2_820_000, Tier.VWAP)
    assert cycle.tiers[DEC] == Tier.VWAP and cycle.prices[DEC] == 2_820_000


def test_without_trades_the_mid_of_a_two_sided_book_settles() -> None:
    m = funded()
    m.order(0, DEC, BUY, 1, 279, at(START, 20))
    m.order(1, DEC, SELL, 1, 282, at(START, 20))

    m.house.end_of_day(START)

    assert settled(m, START)["H100-31DEC26"] == (2_800_000, Tier.MID)  # 280.5 -> 280


def test_a_month_without_a_price_moves_with_its_nearest_priced_month() -> None:
    m = funded()
    trade(m, NOV, 0, 1, 2, 285, at(START, 20, 45))  # Nov: +4 ticks
    m.order(0, JAN, BUY, 1, 276, at(START, 20))  # Jan mid 277: -4 ticks
    m.order(1, JAN, SELL, 1, 278, at(START, 20))

    m.house.end_of_day(START)

    # Dec is one month from both; the earlier month (Nov) wins the tie.
    got = settled(m, START)
    assert got["H100-31DEC26"] == (2_850_000, Tier.NEIGHBOUR)
    assert got["H100-30NOV26"] == (2_850_000, Tier.VWAP)
    assert got["H100-29JAN27"] == (2_770_000, Tier.MID)


def test_a_product_without_any_price_moves_with_the_index() -> None:
    m = funded(series({DAY2: 300}))
    trade(m, DEC, 0, 1, 1, 285, at(START, 20, 45))
    m.house.end_of_day(START)  # Nov, Jan: neighbours of Dec -> 285

    m.house.end_of_day(DAY2)  # nothing trades, no quotes: index 281 -> 300

    got = settled(m, DAY2)
    # 285 × 300 / 281 = 304.27 -> 304
    assert got["H100-31DEC26"] == (3_040_000, Tier.INDEX)
    assert {p for p, _ in got.values()} == {3_040_000}


# ------------------------------------------------------------------ CR-26 variation margin
def test_variation_margin_is_each_positions_value_change_and_sums_to_zero() -> None:
    m = funded()
    trade(m, DEC, 0, 1, 3, 280, at(START, 11))
    trade(m, DEC, 2, 0, 1, 283, at(START, 20, 40))  # settles Dec at 283
    cash = [m.cash(a) for a in range(3)]

    cycle = m.house.end_of_day(START)

    unit = 7_300_000  # µ$ per price unit per contract
    assert cycle.variation[:, DEC].tolist() == [3 * 3 * unit, -3 * 3 * unit, 0]
    assert [m.cash(a) - cash[a] for a in range(3)] == [9 * unit, -9 * unit, 0]
    assert cycle.variation.sum(axis=0).tolist() == [0, 0, 0]
    m.house.check_invariants()

    m.order(1, DEC, BUY, 1, 280, at(DAY2, 20, 50))
    m.order(2, DEC, SELL, 1, 284, at(DAY2, 20, 50))  # mid 282
    cycle2 = m.house.end_of_day(DAY2)
    assert cycle2.variation[:, DEC].tolist() == [-2 * unit, 3 * unit, -unit]


# ------------------------------------------------------------------ CR-27 final settlement
def november_prints() -> dict[date, int]:
    days = CAL.month_business_days(2026, 11)
    return {d: (290 if d == days[5] else 281) for d in days}


def test_the_expiring_contract_settles_at_the_mean_index_of_its_month_and_is_closed() -> None:
    prints = november_prints()
    m = funded(series(prints))
    trade(m, NOV, 0, 1, 3, 280, at(START, 11))
    cash = [m.cash(a) for a in range(2)]

    cycle = m.house.end_of_day(LTD)

    days = CAL.month_business_days(2026, 11)
    mean = Fraction(sum(prints[d] for d in days) * 10_000, len(days))
    final = round(mean / 100) * 100  # half to even, whole 100 µ$ per GPU-hour
    assert final == 2_814_300
    assert cycle.tiers[NOV] == Tier.FINAL and cycle.prices[NOV] == final
    vm = 3 * (final - 2_800_000) * 730
    fee = 3 * 900_000
    assert m.cash(0) - cash[0] == vm - fee and m.cash(1) - cash[1] == -vm - fee
    fees = [r for r in m.house.records if isinstance(r, CashSettlementFeeRecord)]
    assert {(r.account, r.contracts, r.amount) for r in fees} == {(0, 3, fee), (1, 3, fee)}
    assert "H100-30NOV26" not in m.house.cols.names
    assert rejects(m.pipe.submit(C.limit(m.venue.slot("H100-30NOV26"), 0, BUY, 1, 280))) == [
        R.CONTRACT_NOT_CLEARED
    ]
    m.house.check_invariants()


def test_after_the_roll_the_new_back_month_starts_at_its_neighbours_settlement() -> None:
    m = funded(series(november_prints()))
    trade(m, JAN, 0, 1, 1, 290, at(LTD, 20, 45))
    m.house.end_of_day(LTD)

    m.pipe.advance(at(date(2026, 12, 1), 9))

    assert m.house.cols.names == ["H100-31DEC26", "H100-29JAN27", "H100-26FEB27"]
    assert m.house.cols.settles.tolist()[1:] == [2_900_000, 2_900_000]
    assert np.all(m.house.book.positions[:, :2] == np.array([[0, 1], [0, -1], [0, 0]]))


def test_expire_settles_one_contract_once_its_trading_has_ended() -> None:
    m = funded(series(november_prints()))
    trade(m, NOV, 0, 1, 2, 280, at(START, 11))
    contract = m.house.cols.contracts.contracts[NOV]

    with pytest.raises(SettlementError, match="trades until"):
        m.house.expire(contract, ts=at(LTD, 12))
    m.pipe.advance(at(date(2026, 12, 1), 9))  # the venue expires November first
    assert "H100-30NOV26" in m.house.cols.names and m.house.position_row(0)[0] == 2

    cycle = m.house.expire(contract)

    assert cycle.kind == "final" and cycle.variation[:, 0].sum() == 0
    assert "H100-30NOV26" not in m.house.cols.names
    m.house.check_invariants()


def test_a_final_settlement_with_a_missing_fixing_is_refused_and_changes_nothing() -> None:
    days = CAL.business_days(date(2026, 9, 1), date(2027, 12, 31))
    gap = [d for d in days if d != date(2026, 11, 20)]
    m = funded(PublishedSeries("h100_usd", gap, np.full(len(gap), 281.0)))
    trade(m, NOV, 0, 1, 2, 280, at(START, 11))
    before = (m.pipe.seq, len(m.pipe.journal), m.pipe.state_hash())

    with pytest.raises(IndexNotPublished, match="2026-11-20"):
        m.house.end_of_day(LTD)

    assert (m.pipe.seq, len(m.pipe.journal), m.pipe.state_hash()) == before


def test_orders_left_in_a_finally_settled_contract_are_canceled_and_cannot_be_replaced() -> None:
    m = funded(series(november_prints()))
    oid = int(m.order(0, NOV, BUY, 2, 270, at(LTD, 12))[0, c.E_OID])
    held = m.house.gate.hold(0)

    m.house.end_of_day(LTD)

    assert held > 0 and m.house.gate.hold(0) == 0
    assert m.house.gate.open_quantity(0, m.venue.slot("H100-30NOV26"), BUY) == 0
    assert rejects(m.pipe.submit(C.replace(oid, 271, 3, 0))) == [c.REJ_UNKNOWN_ORDER]
