"""Wire objects of market data (Deribit field names, floats): instruments, tickers, books.

Built from the gateway's integer records: prices become USD per GPU-hour, amounts JSON
numbers of contracts, times milliseconds.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from exchange import codes as c
from gateway.instruments import Listing, ms
from gateway.marketdata import BookChange, BookMirror, MarketData
from gateway.orders import OrderStore
from gateway.views import usd


class TickerStats(msgspec.Struct):
    """24-hour statistics: volume in contracts, ``volume_usd`` notional, price change in %."""

    volume: float
    volume_usd: float
    high: float | None
    low: float | None
    price_change: float | None


class TickerView(msgspec.Struct):
    """A Deribit ticker object."""

    timestamp: int
    instrument_name: str
    state: str
    best_bid_price: float
    best_bid_amount: float
    best_ask_price: float
    best_ask_amount: float
    last_price: float | None
    mark_price: float
    index_price: float
    estimated_delivery_price: float
    settlement_price: float
    open_interest: float
    min_price: float
    max_price: float
    stats: TickerStats


class OrderBookView(msgspec.Struct):
    """``public/get_order_book``: the ticker fields plus ``[price, amount]`` levels."""

    timestamp: int
    instrument_name: str
    change_id: int
    state: str
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]
    best_bid_price: float
    best_bid_amount: float
    best_ask_price: float
    best_ask_amount: float
    last_price: float | None
    mark_price: float
    index_price: float
    settlement_price: float
    open_interest: float
    min_price: float
    max_price: float
    stats: TickerStats


class BookMessage(msgspec.Struct, omit_defaults=True):
    """A ``book.{instrument}.raw`` notification: a snapshot, or a change chained by id."""

    type: str
    timestamp: int
    instrument_name: str
    change_id: int
    bids: list[tuple[str, float, float]]
    asks: list[tuple[str, float, float]]
    prev_change_id: int | UnsetType = UNSET


class InstrumentView(msgspec.Struct):
    """A Deribit instrument object plus flopex's fields (``unit`` … ``settlement_method``)."""

    instrument_name: str
    instrument_id: int
    kind: str
    future_type: str
    instrument_type: str
    base_currency: str
    counter_currency: str
    quote_currency: str
    settlement_currency: str
    settlement_period: str
    price_index: str
    creation_timestamp: int
    expiration_timestamp: int
    contract_size: float
    tick_size: float
    min_trade_amount: float
    max_order_amount: float | None
    is_active: bool
    maker_commission: float
    taker_commission: float
    maker_fee_per_contract: float
    taker_fee_per_contract: float
    unit: str
    delivery_start: str
    delivery_end: str
    settlement_type: str
    index_name: str
    settlement_method: str
    rfq: bool = False
    block_trade_commission: float = 0.0


def book_snapshot(listing: Listing, book: BookMirror, ts: int) -> BookMessage:
    """Return the full book of ``listing`` as a ``snapshot`` message at its current change id."""
    w = listing.to_wire
    n = max(len(book.bids), len(book.asks))
    return BookMessage(
        type="snapshot",
        timestamp=ms(book.ts or ts),
        instrument_name=listing.name,
        change_id=book.change_id,
        bids=[("new", w(p), float(q)) for p, q in book.top(c.SIDE_BUY, n)],
        asks=[("new", w(p), float(q)) for p, q in book.top(c.SIDE_SELL, n)],
    )


def book_change(listing: Listing, ch: BookChange) -> BookMessage:
    """Return one command's level changes as a ``change`` message."""
    w = listing.to_wire
    return BookMessage(
        type="change",
        timestamp=ms(ch.ts),
        instrument_name=ch.instrument_name,
        change_id=ch.change_id,
        prev_change_id=ch.prev_change_id,
        bids=[(a, w(p), float(q)) for a, p, q in ch.bids],
        asks=[(a, w(p), float(q)) for a, p, q in ch.asks],
    )


def _ticker_fields(
    listing: Listing, market: MarketData, orders: OrderStore, now: int
) -> dict[str, Any]:
    w = listing.to_wire
    d = market.data.get(listing.name)
    book = d.book if d is not None else BookMirror()
    bid, bid_qty = book.best(c.SIDE_BUY)
    ask, ask_qty = book.best(c.SIDE_SELL)
    volume, notional, high, low, first = market.stats(listing.name, now)
    last = d.last_price if d is not None else 0
    volume_usd = usd(notional * listing.spec.unit_value_micros)
    change = (last - first) * 100.0 / first if first and last else None
    ref = w(listing.ref) if listing.ref else 0.0
    index = market.index_of(listing.contract.product) if market.index_of is not None else ref
    return {
        "timestamp": ms(now),
        "instrument_name": listing.name,
        "state": "open" if listing.status == c.STATUS_OPEN else "closed",
        "best_bid_price": w(bid) if bid else 0.0,
        "best_bid_amount": float(bid_qty),
        "best_ask_price": w(ask) if ask else 0.0,
        "best_ask_amount": float(ask_qty),
        "last_price": w(last) if last else None,
        "mark_price": w(market.mark(listing)),
        "index_price": index,
        "settlement_price": ref,
        "open_interest": float(orders.open_interest.get(listing.name, 0)),
        "min_price": w(listing.min_price),
        "max_price": w(listing.max_price),
        "stats": TickerStats(
            float(volume), volume_usd, w(high) if high else None, w(low) if low else None, change
        ),
    }


def ticker_view(listing: Listing, market: MarketData, orders: OrderStore, now: int) -> TickerView:
    """Return the ticker of ``listing`` at ``now`` ns."""
    f = _ticker_fields(listing, market, orders, now)
    return TickerView(estimated_delivery_price=f["index_price"], **f)


def order_book_view(
    listing: Listing, market: MarketData, orders: OrderStore, depth: int, now: int
) -> OrderBookView:
    """Return ``public/get_order_book``: up to ``depth`` levels a side and the ticker fields."""
    f = _ticker_fields(listing, market, orders, now)
    book = market.book(listing.name)
    w = listing.to_wire
    return OrderBookView(
        change_id=book.change_id,
        bids=[(w(p), float(q)) for p, q in book.top(c.SIDE_BUY, depth)],
        asks=[(w(p), float(q)) for p, q in book.top(c.SIDE_SELL, depth)],
        **f,
    )


def instrument_view(listing: Listing) -> InstrumentView:
    """Return the Deribit instrument object of ``listing``, with flopex's extra fields."""
    k, spec = listing.contract, listing.spec
    ref_notional = spec.ref_price_units * spec.unit_value_micros
    return InstrumentView(
        instrument_name=k.name,
        instrument_id=listing.slot,
        kind="future",
        future_type="linear",
        instrument_type="linear",
        base_currency=spec.code,
        counter_currency="USD",
        quote_currency="USD",
        settlement_currency="USD",
        settlement_period="month",
        price_index=spec.index_name,
        creation_timestamp=ms(k.listing_ts),
        expiration_timestamp=ms(k.expiry_ts),
        contract_size=float(spec.contract_hours),
        tick_size=listing.to_wire(listing.tick),
        min_trade_amount=1.0,
        max_order_amount=float(listing.max_qty) if listing.max_qty else None,
        is_active=listing.status == c.STATUS_OPEN,
        maker_commission=spec.maker_fee_micros / ref_notional,
        taker_commission=spec.taker_fee_micros / ref_notional,
        maker_fee_per_contract=usd(spec.maker_fee_micros),
        taker_fee_per_contract=usd(spec.taker_fee_micros),
        unit="gpu_hour",
        delivery_start=k.delivery_start.isoformat(),
        delivery_end=k.delivery_end.isoformat(),
        settlement_type="cash",
        index_name=spec.index_name,
        settlement_method="monthly_average",
    )
