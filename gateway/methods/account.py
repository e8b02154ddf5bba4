"""Own orders and trades: open orders, order state, trade history (one's own account only)."""

from __future__ import annotations

from typing import Literal

from exchange import codes as c
from gateway.dispatch import REGISTRY, Call, Params
from gateway.methods.paging import TradeQuery, select
from gateway.methods.trading import OrderIdParams, account_of, parse_order_id
from gateway.orders import Order
from gateway.views import OrderView, order_view, user_trade_view

OrderFilter = Literal["all", "limit", "stop_all", "stop_limit", "stop_market", "trigger_all"]
_FILTERS = {
    "all": None,
    "limit": {c.TYPE_LIMIT, c.TYPE_MARKET},
    "stop_all": {c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET},
    "trigger_all": {c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET},
    "stop_limit": {c.TYPE_STOP_LIMIT},
    "stop_market": {c.TYPE_STOP_MARKET},
}


class OpenOrdersParams(Params, frozen=True, kw_only=True):
    instrument_name: str
    type: OrderFilter = "all"


class AllOpenOrdersParams(Params, frozen=True, kw_only=True):
    type: OrderFilter = "all"


def _views(call: Call, orders: list[Order], kind: OrderFilter) -> list[OrderView]:
    wanted = _FILTERS[kind]
    out = []
    for o in orders:
        listing = call.gw.instruments.find(o.instrument_name)
        if listing is not None and (wanted is None or o.type in wanted):
            out.append(order_view(o, listing))
    return out


@REGISTRY.method("private/get_open_orders_by_instrument", OpenOrdersParams, access="read")
async def open_orders_by_instrument(call: Call, p: OpenOrdersParams) -> list[OrderView]:
    """Return the account's open orders in one instrument, oldest first."""
    listing = call.gw.instruments.get(p.instrument_name)
    return _views(call, call.gw.orders.live(account_of(call), listing.name), p.type)


@REGISTRY.method("private/get_open_orders", AllOpenOrdersParams, access="read")
async def open_orders(call: Call, p: AllOpenOrdersParams) -> list[OrderView]:
    """Return all the account's open orders, oldest first."""
    return _views(call, call.gw.orders.live(account_of(call)), p.type)


@REGISTRY.method("private/get_order_state", OrderIdParams, access="read")
async def order_state(call: Call, p: OrderIdParams) -> OrderView:
    """Return one of the account's orders, open or recently closed."""
    order = call.gw.orders.owned(account_of(call), parse_order_id(p.order_id))
    listing = call.gw.instruments.find(order.instrument_name)
    assert listing is not None
    return order_view(order, listing)


@REGISTRY.method("private/get_user_trades_by_instrument", TradeQuery, access="read")
async def user_trades(call: Call, p: TradeQuery) -> dict[str, object]:
    """Return the account's recent trades in one instrument (newest first by default)."""
    listing = call.gw.instruments.find(p.instrument_name) or call.gw.instruments.get(
        p.instrument_name
    )
    fills = [f for f in call.gw.orders.fills(account_of(call)) if f.instrument_name == listing.name]
    page, more = select(fills, p, lambda f: f.trade_seq, lambda f: f.ts)
    return {"trades": [user_trade_view(f, listing) for f in page], "has_more": more}
