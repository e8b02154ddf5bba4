"""Market data over request/response: order book, ticker, recent trades."""

from __future__ import annotations

from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import INVALID_ARGUMENTS, RpcError
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
