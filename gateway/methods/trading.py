"""Trading: buy, sell, edit, cancel, mass cancel.

Wire prices (USD per GPU-hour) become price units here and must sit on the tick (10043);
amounts must be whole contracts (10021). The pipeline task sequences the command; an
engine reject comes back as its mapped error (``gateway.errors.REJECT_ERRORS``).
Before that, the classroom game (when the gateway runs one) may refuse a player's buy,
sell or edit: outside an open round (13028) or beyond the game's limits
(docs/game-protocol.md); other accounts are never affected.
"""

from __future__ import annotations

from typing import Literal

from exchange import codes as c
from gateway.commands import CancelOrders, EditOrder, MassCancel, PlaceOrder
from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import INVALID_ARGUMENTS, INVALID_PARAMS, RpcError
from gateway.instruments import contracts
from gateway.orders import Order
from gateway.pipeline_task import Outcome
from gateway.views import OrderView, order_view, user_trade_view

ORDER_TYPES = {
    "limit": c.TYPE_LIMIT,
    "market": c.TYPE_MARKET,
    "stop_limit": c.TYPE_STOP_LIMIT,
    "stop_market": c.TYPE_STOP_MARKET,
}
TIFS = {
    "good_til_cancelled": c.TIF_GTC,
    "good_til_day": c.TIF_GTD,
    "fill_or_kill": c.TIF_FOK,
    "immediate_or_cancel": c.TIF_IOC,
}
MAX_LABEL = 64


class OrderParams(Params, frozen=True, kw_only=True):
    instrument_name: str
    amount: float | None = None
    contracts: float | None = None
    type: Literal["limit", "market", "stop_limit", "stop_market"] = "limit"
    price: float | None = None
    label: str = ""
    time_in_force: Literal[
        "good_til_cancelled", "good_til_day", "fill_or_kill", "immediate_or_cancel"
    ] = "good_til_cancelled"
    post_only: bool = False
    reject_post_only: bool = False
    reduce_only: bool = False
    trigger_price: float | None = None
    trigger: str | None = None
    max_show: float | None = None


class EditParams(Params, frozen=True, kw_only=True):
    order_id: str | int
    amount: float | None = None
    contracts: float | None = None
    price: float | None = None
    trigger_price: float | None = None


class OrderIdParams(Params, frozen=True, kw_only=True):
    order_id: str | int


class CancelAllParams(Params, frozen=True, kw_only=True):
    detailed: bool = False


class CancelInstrumentParams(Params, frozen=True, kw_only=True):
    instrument_name: str
    type: Literal["all", "limit", "market", "stop", "trigger_all", "stop_limit", "stop_market"] = (
        "all"
    )
    detailed: bool = False


def parse_order_id(value: str | int) -> int:
    """Return a wire order id (a string of digits, or an int) as an engine id; -32602 if not one."""
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and 0 < len(value) <= 18:
        return int(value)
    raise RpcError(INVALID_PARAMS, "order_id must be a flopex order id (digits)", "order_id")


def account_of(call: Call) -> int:
    """Return the calling account (the method's access level guarantees one)."""
    assert call.principal is not None and call.principal.account is not None
    return call.principal.account


def _amount(amount: float | None, n_contracts: float | None) -> int:
    value = amount if amount is not None else n_contracts
    if value is None:
        raise RpcError(INVALID_PARAMS, "amount is required", "amount")
    return contracts(value)


def place_command(call: Call, side: int, p: OrderParams) -> PlaceOrder:
    listing = call.gw.instruments.get(p.instrument_name)
    qty = _amount(p.amount, p.contracts)
    otype = ORDER_TYPES[p.type]
    if len(p.label) > MAX_LABEL:
        raise RpcError(INVALID_ARGUMENTS, f"label is longer than {MAX_LABEL} characters", "label")
    if p.max_show is not None and p.max_show != qty:
        raise RpcError(INVALID_ARGUMENTS, "iceberg orders (max_show) are not supported", "max_show")
    price = trigger = 0
    if otype in (c.TYPE_LIMIT, c.TYPE_STOP_LIMIT):
        if p.price is None:
            raise RpcError(INVALID_PARAMS, f"price is required for {p.type} orders", "price")
        price = listing.price_units(p.price)
    if otype in (c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET):
        if p.trigger_price is None:
            raise RpcError(
                INVALID_PARAMS, f"trigger_price is required for {p.type}", "trigger_price"
            )
        if p.trigger not in (None, "last_price"):
            raise RpcError(INVALID_ARGUMENTS, "stops trigger on last_price only", "trigger")
        trigger = listing.price_units(p.trigger_price, "trigger_price")
    tif = TIFS[p.time_in_force]
    if p.post_only and (otype != c.TYPE_LIMIT or tif in (c.TIF_IOC, c.TIF_FOK)):
        raise RpcError(
            INVALID_ARGUMENTS, "post_only applies to resting limit orders only", "post_only"
        )
    flags = 0
    if p.post_only:
        flags |= c.FLAG_POST_ONLY | (c.FLAG_REJECT_POST_ONLY if p.reject_post_only else 0)
    if p.reduce_only:
        flags |= c.FLAG_REDUCE_ONLY
    return PlaceOrder(
        account=account_of(call),
        instrument_name=listing.name,
        side=side,
        type=otype,
        tif=c.TIF_GTC if tif == c.TIF_GTD else tif,
        good_til_day=tif == c.TIF_GTD,
        flags=flags,
        qty=qty,
        price=price,
        trigger=trigger,
        label=p.label,
        connection=call.session.id if call.session is not None else 0,
    )


def game_gate(
    call: Call, instrument_name: str, side: int, amount: int, replacing: Order | None = None
) -> None:
    """Raise the classroom game's refusal of this order, if the game has one."""
    gate = getattr(call.gw, "game_gate", None)
    if gate is not None:
        refusal = gate(account_of(call), instrument_name, side, amount, replacing)
        if refusal is not None:
            raise refusal


def order_and_trades(call: Call, out: Outcome) -> dict[str, object]:
    order = out.order
    assert order is not None
    listing = call.gw.instruments.find(order.instrument_name)
    assert listing is not None
    return {
        "order": order_view(order, listing),
        "trades": [user_trade_view(f, listing) for f in out.fills],
    }


@REGISTRY.method("private/buy", OrderParams, access="trade")
async def buy(call: Call, p: OrderParams) -> dict[str, object]:
    """Place a buy order; return it and the trades it made at once."""
    cmd = place_command(call, c.SIDE_BUY, p)
    game_gate(call, cmd.instrument_name, cmd.side, cmd.qty)
    out = await call.gw.pipeline.submit(cmd)
    return order_and_trades(call, out)


@REGISTRY.method("private/sell", OrderParams, access="trade")
async def sell(call: Call, p: OrderParams) -> dict[str, object]:
    """Place a sell order; return it and the trades it made at once."""
    cmd = place_command(call, c.SIDE_SELL, p)
    game_gate(call, cmd.instrument_name, cmd.side, cmd.qty)
    out = await call.gw.pipeline.submit(cmd)
    return order_and_trades(call, out)


def _owned(call: Call, order_id: str | int) -> Order:
    return call.gw.orders.owned(account_of(call), parse_order_id(order_id))


@REGISTRY.method("private/edit", EditParams, access="trade")
async def edit(call: Call, p: EditParams) -> dict[str, object]:
    """Change an open order's total amount and/or price (priority per MR-9)."""
    order = _owned(call, p.order_id)
    listing = call.gw.instruments.get(order.instrument_name)
    amount = (
        order.amount if p.amount is None and p.contracts is None else _amount(p.amount, p.contracts)
    )
    price = listing.price_units(p.price) if p.price is not None else 0
    trigger = listing.price_units(p.trigger_price, "trigger_price") if p.trigger_price else 0
    game_gate(call, order.instrument_name, order.side, amount, replacing=order)
    cmd = EditOrder(
        account=order.account, order_id=order.order_id, amount=amount, price=price, trigger=trigger
    )
    return order_and_trades(call, await call.gw.pipeline.submit(cmd))


@REGISTRY.method("private/cancel", OrderIdParams, access="trade")
async def cancel(call: Call, p: OrderIdParams) -> OrderView:
    """Cancel one open order; return it."""
    order = _owned(call, p.order_id)
    cmd = CancelOrders(account=order.account, order_ids=(order.order_id,), strict=True)
    await call.gw.pipeline.submit(cmd)
    listing = call.gw.instruments.find(order.instrument_name)
    assert listing is not None
    return order_view(order, listing)


@REGISTRY.method("private/cancel_all", CancelAllParams, access="trade")
async def cancel_all(call: Call, p: CancelAllParams) -> int:
    """Cancel every open order of the account; return how many."""
    out = await call.gw.pipeline.submit(MassCancel(account=account_of(call)))
    return len(out.cancelled)


@REGISTRY.method("private/cancel_all_by_instrument", CancelInstrumentParams, access="trade")
async def cancel_all_by_instrument(call: Call, p: CancelInstrumentParams) -> int:
    """Cancel the account's open orders in one instrument (optionally one type); return how many."""
    gw, account = call.gw, account_of(call)
    listing = gw.instruments.get(p.instrument_name)
    if p.type == "all":
        out = await gw.pipeline.submit(MassCancel(account=account, instrument_name=listing.name))
        return len(out.cancelled)
    wanted = _TYPE_FILTER[p.type]
    ids = tuple(o.order_id for o in gw.orders.live(account, listing.name) if o.type in wanted)
    if not ids:
        return 0
    out = await gw.pipeline.submit(CancelOrders(account=account, order_ids=ids))
    return len(out.cancelled)


_TYPE_FILTER = {
    "limit": {c.TYPE_LIMIT},
    "market": {c.TYPE_MARKET},
    "stop": {c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET},
    "trigger_all": {c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET},
    "stop_limit": {c.TYPE_STOP_LIMIT},
    "stop_market": {c.TYPE_STOP_MARKET},
}
