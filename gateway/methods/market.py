"""Market data over request/response: order book, ticker, recent trades."""

from __future__ import annotations

from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import INVALID_ARGUMENTS, RpcError
from gateway.instruments import Listing
from gateway.market_views import OrderBookView, TickerView, order_book_view, ticker_view
from gateway.methods.paging import TradeQuery, select
from gateway.views import trade_view


class BookParams(Params, frozen=True, kw_only=True):
    instrument_name: str
    depth: int = 20


class InstrumentParams(Params, frozen=True, kw_only=True):
    instrument_name: str


@REGISTRY.method("public/get_order_book", BookParams)
async def get_order_book(call: Call, p: BookParams) -> OrderBookView:
    """Return up to ``depth`` levels a side, with the book's ``change_id``."""
    if not 1 <= p.depth <= 10_000:
        raise RpcError(INVALID_ARGUMENTS, "depth must be 1..10000", "depth")
    gw = call.gw
    listing = gw.instruments.get(p.instrument_name)
    return order_book_view(listing, gw.market, gw.orders, p.depth, gw.now())


@REGISTRY.method("public/ticker", InstrumentParams)
async def ticker(call: Call, p: InstrumentParams) -> TickerView:
    """Return best prices, last, mark, band and 24 h statistics."""
    gw = call.gw
    listing = gw.instruments.get(p.instrument_name)
    return ticker_view(listing, gw.market, gw.orders, gw.now())


@REGISTRY.method("public/get_last_trades_by_instrument", TradeQuery)
async def last_trades(call: Call, p: TradeQuery) -> dict[str, object]:
    """Return recent public trades of an instrument (newest first unless ``sorting=asc``)."""
    gw = call.gw
    listing = gw.instruments.get(p.instrument_name)
    data = gw.market.data.get(listing.name)
    trades = list(data.trades) if data is not None else []
    page, more = select(trades, p, lambda t: t.trade_seq, lambda t: t.ts)
    return {"trades": [trade_view(t, listing) for t in page], "has_more": more}


class SummaryParams(Params, frozen=True, kw_only=True):
    currency: str = "any"
    """``any``, ``USD`` or a product code (``H100``)."""
    kind: str = "future"


def _summary(call: Call, listing: Listing) -> dict[str, object]:
    gw = call.gw
    t = ticker_view(listing, gw.market, gw.orders, gw.now())
    bid, ask = t.best_bid_price, t.best_ask_price
    return {
        "instrument_name": listing.name,
        "base_currency": listing.contract.product,
        "quote_currency": "USD",
        "creation_timestamp": t.timestamp,
        "bid_price": bid or None,
        "ask_price": ask or None,
        "mid_price": round((bid + ask) / 2, 6) if bid and ask else None,
        "last": t.last_price,
        "mark_price": t.mark_price,
        "estimated_delivery_price": t.estimated_delivery_price,
        "high": t.stats.high,
        "low": t.stats.low,
        "price_change": t.stats.price_change,
        "volume": t.stats.volume,
        "volume_usd": t.stats.volume_usd,
        "open_interest": t.open_interest,
    }


@REGISTRY.method("public/get_book_summary_by_currency", SummaryParams)
async def book_summary_by_currency(call: Call, p: SummaryParams) -> list[dict[str, object]]:
    """Return one summary per listed future (bid, ask, mid, last, mark, volume, open
    interest; prices $/GPU-hour, amounts contracts), front month first: a whole forward
    curve in one request."""
    reg = call.gw.instruments
    products = reg.products_matching(p.currency)
    if p.kind not in ("future", "any"):
        return []
    listings = [
        x for x in reg.by_name.values() if products is None or x.contract.product in products
    ]
    listings.sort(key=lambda x: (x.contract.product, x.contract.month_index))
    return [_summary(call, x) for x in listings]


@REGISTRY.method("public/get_book_summary_by_instrument", InstrumentParams)
async def book_summary_by_instrument(call: Call, p: InstrumentParams) -> list[dict[str, object]]:
    """Return the summary of one instrument, as a one-element list (as Deribit does)."""
    return [_summary(call, call.gw.instruments.get(p.instrument_name))]
