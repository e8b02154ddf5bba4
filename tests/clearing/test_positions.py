"""Novation of engine fills into positions, P&L and fees (docs/clearing-rules.md CR-12 to CR-14)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearing.contracts import ContractSet
from clearing.errors import InvalidTradeEvent, PositionInvariantError
from clearing.positions import PositionBook
from exchange import codes as c
from exchange.products import DEFAULT_PRODUCTS

H100 = DEFAULT_PRODUCTS["H100"]
ON = date(2026, 11, 16)
BUY, SELL = c.SIDE_BUY, c.SIDE_SELL


def trade(slot: int, taker: int, side: int, maker: int, price: int, qty: int, tid: int = 1):
    """Return one EV_TRADE row: ``taker`` aggresses on ``side`` against ``maker``."""
    row = np.zeros(c.EV_WIDTH, dtype=np.int64)
    row[c.E_KIND] = c.EV_TRADE
    row[c.E_INSTR] = slot
    row[c.E_ACCOUNT] = taker
    row[c.E_SIDE] = side
    row[c.E_OTHER_ACCOUNT] = maker
    row[c.E_PRICE] = price
    row[c.E_QTY] = qty
    row[c.E_CODE] = tid
    return row


def events(*rows) -> np.ndarray:
    return np.vstack(rows).astype(np.int64)


def book_for(n_accounts: int = 4, products=None) -> PositionBook:
    contracts = ContractSet.listed(products or {"H100": H100}, ON)
    return PositionBook(n_accounts, contracts)


# --------------------------------------------------------------- CR-12 novation
def test_an_aggressive_buy_makes_the_taker_long_and_the_maker_short() -> None:
    book = book_for()

    booking = book.book(events(trade(3, taker=0, side=BUY, maker=1, price=281, qty=5)))

    assert booking.fills == 1
    assert book.positions[0, 3] == 5 and book.positions[1, 3] == -5
    longs, shorts = book.open_interest()
    assert longs[3] == shorts[3] == 5
    book.check_invariants()


def test_an_aggressive_sell_makes_the_taker_short() -> None:
    book = book_for()

    book.book(events(trade(0, taker=2, side=SELL, maker=3, price=281, qty=2)))

    assert book.positions[2, 0] == -2 and book.positions[3, 0] == 2


def test_events_other_than_trades_are_ignored() -> None:
    book = book_for()
    other = trade(0, 0, BUY, 1, 281, 1)
    other[c.E_KIND] = c.EV_ACCEPTED

    booking = book.book(events(other, trade(1, 0, BUY, 1, 281, 1)))

    assert booking.fills == 1 and book.positions[0, 0] == 0 and book.positions[0, 1] == 1


def test_engine_slots_map_to_contract_columns() -> None:
    listed = ContractSet.listed({"H100": H100}, ON)
    contracts = ContractSet(listed.contracts, {"H100": H100}, slots=range(100, 136))
    book = PositionBook(2, contracts)

    book.book(events(trade(102, 0, BUY, 1, 281, 1)))

    assert book.positions[0, 2] == 1
    with pytest.raises(InvalidTradeEvent, match="slot 2"):
        book.book(events(trade(2, 0, BUY, 1, 281, 1)))


# ------------------------------------------------------- CR-13 average price, P&L
def test_average_price_and_realised_pnl_are_kept_in_integer_units() -> None:
    book = book_for()
    book.book(
        events(
            trade(0, 0, BUY, 1, price=100, qty=2),
            trade(0, 0, BUY, 1, price=103, qty=1),
            trade(0, 0, SELL, 1, price=110, qty=1),
        )
    )

    assert book.positions[0, 0] == 2
    assert book.average_price(0, 0) == 101.0
    assert book.realised[0, 0] == 9  # (110 - 101) x 1
    assert book.realised[1, 0] == -9
    assert book.realised_micros()[0, 0] == 9 * 7_300_000


def test_an_uneven_cost_share_is_rounded_half_to_even_and_nothing_is_lost() -> None:
    # Open 1 at 100 and 1 at 101 (cost 201); selling one removes 100.5 -> 100.
    book = book_for()
    book.book(events(trade(0, 0, BUY, 1, 100, 1), trade(0, 0, BUY, 1, 101, 1)))

    book.book(events(trade(0, 0, SELL, 1, 105, 1)))
    assert book.realised[0, 0] == 5 and book.cost[0, 0] == 101

    book.book(events(trade(0, 0, SELL, 1, 105, 1)))
    assert book.realised[0, 0] == 9 == 2 * 105 - 201  # exact once flat
    assert book.cost[0, 0] == 0


def test_a_fill_through_zero_closes_then_opens_at_the_fill_price() -> None:
    book = book_for()
    book.book(events(trade(0, 0, BUY, 1, 100, 2)))

    book.book(events(trade(0, 0, SELL, 1, 110, 5)))

    assert book.positions[0, 0] == -3
    assert book.realised[0, 0] == 20
    assert book.average_price(0, 0) == 110.0 and book.cost[0, 0] == -330


def test_unrealised_pnl_marks_the_open_position_to_a_price() -> None:
    book = book_for()
    book.book(events(trade(0, 0, BUY, 1, 281, 4)))
    prices = np.full(36, 290, dtype=np.int64)

    unreal = book.unrealised_micros(prices)

    assert unreal[0, 0] == 4 * 9 * 7_300_000 and unreal[1, 0] == -unreal[0, 0]


def test_a_self_trade_leaves_no_position_but_pays_both_fees() -> None:
    book = book_for()

    booking = book.book(events(trade(0, 2, BUY, 2, 281, 3)))

    assert book.positions[2, 0] == 0 and book.realised[2, 0] == 0
    assert booking.fees_micros[2] == 2 * 3 * 3_650_000


# ------------------------------------------------------------------- CR-12 fees
def test_fees_are_charged_per_side_from_the_product() -> None:
    spec = dataclasses.replace(H100, maker_fee_micros=-1_000_000, taker_fee_micros=5_500_000)
    book = book_for(products={"H100": spec})

    booking = book.book(events(trade(0, 0, BUY, 1, 281, 10), trade(1, 1, SELL, 2, 281, 1)))

    assert booking.fees_micros.tolist() == [55_000_000, -10_000_000 + 5_500_000, -1_000_000, 0]
    assert booking.volume[0] == 10 and booking.volume[1] == 1
    assert book.fees_paid.tolist() == booking.fees_micros.tolist()


# ---------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("row", "message"),
    [
        (trade(36, 0, BUY, 1, 281, 1, tid=7), "trade 7 .* instrument slot"),
        (trade(0, 4, BUY, 1, 281, 1, tid=8), "trade 8 .* bad taker"),
        (trade(0, 0, BUY, -1, 281, 1, tid=9), "trade 9 .* bad maker"),
        (trade(0, 0, BUY, 1, 281, 0), "quantity"),
        (trade(0, 0, BUY, 1, 0, 1), "price"),
        (trade(0, 0, 5, 1, 281, 1), "side"),
    ],
)
def test_a_bad_trade_rejects_the_whole_batch_and_books_nothing(row, message: str) -> None:
    book = book_for()

    with pytest.raises(InvalidTradeEvent, match=message):
        book.book(events(trade(0, 0, BUY, 1, 281, 1), row))

    assert not book.positions.any() and not book.fees_paid.any()


def test_the_exported_matrices_are_read_only_int64() -> None:
    book = book_for(n_accounts=3)

    matrix = book.positions

    assert matrix.shape == (3, 36) and matrix.dtype == np.int64
    with pytest.raises(ValueError):
        matrix[0, 0] = 1


def test_growing_the_book_keeps_positions_and_admits_new_accounts() -> None:
    book = book_for(n_accounts=2)
    book.book(events(trade(0, 0, BUY, 1, 281, 1)))

    book.grow(5)
    book.book(events(trade(0, 4, BUY, 0, 281, 1)))

    assert book.positions[:, 0].tolist() == [0, -1, 0, 0, 1]


def test_the_invariant_check_reports_unbalanced_open_interest() -> None:
    book = book_for()
    book.book(events(trade(2, 0, BUY, 1, 281, 4)))
    book._qty[1, 2] = -3  # corrupt on purpose

    with pytest.raises(
        PositionInvariantError, match="H100-29JAN27: long open interest 4 != short open interest 3"
    ):
        book.check_invariants()


# --------------------------------------------------- CR-14 invariants, property
fills = st.lists(
    st.tuples(
        st.integers(0, 3),  # column
        st.integers(0, 5),  # taker
        st.sampled_from([BUY, SELL]),
        st.integers(0, 5),  # maker
        st.integers(1, 5_000),  # price
        st.integers(1, 50),  # quantity
    ),
    min_size=1,
    max_size=80,
)


@settings(max_examples=80, deadline=None)
@given(fills)
def test_any_fill_sequence_keeps_open_interest_balanced_and_pnl_exact(rows) -> None:
    # realised − cost is each account's cash flow from trading (exact, whatever the
    # rounding of cost shares), and positions sum to zero per contract.
    book = book_for(n_accounts=6)
    qty = np.zeros((6, 4), dtype=np.int64)
    cash = np.zeros((6, 4), dtype=np.int64)
    batch = []
    for i, (col, taker, side, maker, price, q) in enumerate(rows, start=1):
        batch.append(trade(col, taker, side, maker, price, q, tid=i))
        d = q if side == BUY else -q
        qty[taker, col] += d
        qty[maker, col] -= d
        cash[taker, col] -= d * price
        cash[maker, col] += d * price

    book.book(events(*batch))

    assert np.array_equal(book.positions[:, :4], qty)
    assert np.array_equal(book.realised[:, :4] - book.cost[:, :4], cash)
    assert book.positions.sum(axis=0).tolist() == [0] * 36
    book.check_invariants()
