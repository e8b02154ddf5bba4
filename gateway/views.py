"""Wire objects of orders and trades (Deribit field names, floats), from integer records.

Everything here is presentation: prices become USD per GPU-hour, amounts become JSON
numbers of contracts, times become milliseconds, order and trade ids become strings.
Optional Deribit fields are ``msgspec.UNSET`` when they do not apply, and are omitted.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from exchange import codes as c
from exchange.product_spec import MICROS_PER_USD
from gateway.instruments import Listing, ms
from gateway.marketdata import PublicTrade
from gateway.orders import Fill, Order

DIRECTIONS = {c.SIDE_BUY: "buy", c.SIDE_SELL: "sell"}
ORDER_TYPES = {
    c.TYPE_LIMIT: "limit",
    c.TYPE_MARKET: "market",
    c.TYPE_STOP_LIMIT: "stop_limit",
    c.TYPE_STOP_MARKET: "stop_market",
}
TIME_IN_FORCE = {
    c.TIF_GTC: "good_til_cancelled",
    c.TIF_GTD: "good_til_day",
    c.TIF_IOC: "immediate_or_cancel",
    c.TIF_FOK: "fill_or_kill",
}


class OrderView(msgspec.Struct, omit_defaults=True):
    """A Deribit order object."""

    order_id: str
    instrument_name: str
    direction: str
    order_type: str
    order_state: str
    price: float | str
    amount: float
    contracts: float
    filled_amount: float
    average_price: float
    commission: float
    time_in_force: str
    post_only: bool
    reject_post_only: bool
    reduce_only: bool
    label: str
    creation_timestamp: int
    last_update_timestamp: int
    replaced: bool
    max_show: float
    api: bool = True
    web: bool = False
    is_liquidation: bool = False
    risk_reducing: bool = False
    mmp: bool = False
    trigger_price: float | UnsetType = UNSET
    trigger: str | UnsetType = UNSET
    triggered: bool | UnsetType = UNSET
    cancel_reason: str | UnsetType = UNSET


class UserTradeView(msgspec.Struct, omit_defaults=True):
    """A Deribit trade object of one's own trade."""

    trade_id: str
    trade_seq: int
    timestamp: int
    instrument_name: str
    order_id: str
    order_type: str
    state: str
    direction: str
    price: float
    amount: float
    contracts: float
    liquidity: str
    fee: float
    fee_currency: str
    tick_direction: int
    mark_price: float
    index_price: float
    post_only: bool
    reduce_only: bool
    self_trade: bool = False
    matching_id: None = None
    label: str | UnsetType = UNSET


class TradeView(msgspec.Struct):
    """A Deribit public trade object."""

    trade_id: str
    trade_seq: int
    timestamp: int
    instrument_name: str
    direction: str
    price: float
    amount: float
    contracts: float
    tick_direction: int
    mark_price: float
    index_price: float


def usd(micros: int) -> float:
    """Return micro-dollars as dollars."""
    return micros / MICROS_PER_USD


def order_view(o: Order, listing: Listing) -> OrderView:
    """Return the wire order object of ``o``."""
    avg = o.cost * listing.spec.price_unit_micros / (o.filled * MICROS_PER_USD) if o.filled else 0.0
    return OrderView(
        order_id=str(o.order_id),
        instrument_name=o.instrument_name,
        direction=DIRECTIONS[o.side],
        order_type=ORDER_TYPES[o.type],
        order_state=o.state,
        price=listing.to_wire(o.price) if o.price else "market_price",
        amount=float(o.amount),
        contracts=float(o.amount),
        filled_amount=float(o.filled),
        average_price=avg,
        commission=usd(o.fee_micros),
        time_in_force=TIME_IN_FORCE[o.tif],
        post_only=bool(o.flags & c.FLAG_POST_ONLY),
        reject_post_only=bool(o.flags & c.FLAG_REJECT_POST_ONLY),
        reduce_only=bool(o.flags & c.FLAG_REDUCE_ONLY),
        label=o.label,
        creation_timestamp=ms(o.ts_created),
        last_update_timestamp=ms(o.ts_updated),
        replaced=o.replaced,
        max_show=float(o.amount),
        trigger_price=listing.to_wire(o.trigger) if o.is_stop else UNSET,
        trigger="last_price" if o.is_stop else UNSET,
        triggered=o.triggered if o.is_stop else UNSET,
        cancel_reason=o.cancel_reason if o.cancel_reason else UNSET,
    )


def user_trade_view(f: Fill, listing: Listing) -> UserTradeView:
    """Return the wire object of one's own trade ``f``."""
    return UserTradeView(
        trade_id=str(f.trade_id),
        trade_seq=f.trade_seq,
        timestamp=ms(f.ts),
        instrument_name=f.instrument_name,
        order_id=str(f.order_id),
        order_type=ORDER_TYPES[f.order_type],
        state=f.order_state,
        direction=DIRECTIONS[f.side],
        price=listing.to_wire(f.price),
        amount=float(f.qty),
        contracts=float(f.qty),
        liquidity="M" if f.maker else "T",
        fee=usd(f.fee_micros),
        fee_currency="USD",
        tick_direction=f.tick_direction,
        mark_price=listing.to_wire(f.mark),
        index_price=listing.to_wire(f.index),
        post_only=bool(f.flags & c.FLAG_POST_ONLY),
        reduce_only=bool(f.flags & c.FLAG_REDUCE_ONLY),
        label=f.label or UNSET,
    )


def trade_view(t: PublicTrade, listing: Listing) -> TradeView:
    """Return the wire object of public trade ``t``."""
    return TradeView(
        trade_id=str(t.trade_id),
        trade_seq=t.trade_seq,
        timestamp=ms(t.ts),
        instrument_name=t.instrument_name,
        direction=DIRECTIONS[t.side],
        price=listing.to_wire(t.price),
        amount=float(t.qty),
        contracts=float(t.qty),
        tick_direction=t.tick_direction,
        mark_price=listing.to_wire(t.mark),
        index_price=listing.to_wire(t.index),
    )
