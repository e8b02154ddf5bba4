"""The test helpers themselves: book tables parse, render and fail readably."""

from __future__ import annotations

import pytest

from exchange import codes as c
from tests.exchange.book_dsl import (
    EngineLike,
    assert_book,
    book_from_levels,
    parse_table,
    render_table,
)

TABLE = """
    bid | price | ask
        |  103  | 5
        |  102  | 3 2
    4   |  101  |
        |  100  |
"""


def test_a_book_table_parses_into_levels_and_drops_empty_rows() -> None:
    assert parse_table(TABLE) == {103: ([], [5]), 102: ([], [3, 2]), 101: ([4], [])}


@pytest.mark.parametrize("bad", ["1 | 2", "x | 101 | 2", " | 101 | \n | 101 | 1"])
def test_a_malformed_book_table_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_table(bad)


def test_a_rendered_table_parses_back() -> None:
    rows = parse_table(TABLE)
    assert parse_table(render_table(rows)) == rows


def test_book_from_levels_rests_orders_in_time_priority(engine: EngineLike) -> None:
    oids = book_from_levels(engine, 0, bids=[(101, 4)], asks=[(103, 5), (102, [3, 2])], account=7)
    assert oids == [1, 2, 3, 4]
    assert engine.orders_at(0, c.SIDE_SELL, 102) == [(3, 7, 3), (4, 7, 2)]
    assert_book(engine, 0, TABLE)


def test_assert_book_fails_with_both_tables_and_a_diff(engine: EngineLike) -> None:
    book_from_levels(engine, 0, bids=[(101, 4)], asks=[(102, [2, 3])], account=7)
    with pytest.raises(AssertionError) as failure:
        assert_book(engine, 0, TABLE)
    message = str(failure.value)
    assert "expected:" in message and "actual:" in message
    assert "-    |  102  | 3 2" in message and "+    |  102  | 2 3" in message
    assert "103" in message


def test_book_from_levels_refuses_orders_that_trade(engine: EngineLike) -> None:
    with pytest.raises(AssertionError, match="did not rest cleanly"):
        book_from_levels(engine, 0, bids=[(105, 1)], asks=[(104, 1)])
