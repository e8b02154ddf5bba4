"""Orders by label and closing a position (Deribit's ``*_by_label`` and ``close_position``).

A label is the free text (≤ 64 characters) given with ``private/buy``/``sell``; bots use
it to name their quotes. ``edit_by_label`` needs the label to name exactly one open
order in the instrument. ``close_position`` sends a reduce-only order of the opposite
side for the whole position: a market order, or a limit order at ``price`` ($/GPU-hour).
Amounts are contracts.
"""

from __future__ import annotations

from typing import Literal

from exchange import codes as c
from gateway.commands import CancelOrders
from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import INVALID_ARGUMENTS, ORDER_NOT_FOUND, RpcError
from gateway.methods.trading import (
    EditParams,
    OrderParams,
    account_of,
    edit,
    game_gate,
    order_and_trades,
    place_command,
)
from gateway.orders import Order
from gateway.views import OrderView, order_view


class LabelParams(Params, frozen=True, kw_only=True):
    label: str
    currency: str = "any"
    """``any``, ``USD`` or a product code (``H100``)."""


class EditLabelParams(Params, frozen=True, kw_only=True):
    label: str
    instrument_name: str
    amount: float | None = None
    contracts: float | None = None
    price: float | None = None


class CloseParams(Params, frozen=True, kw_only=True):
    instrument_name: str
    type: Literal["limit", "market"] = "market"
    price: float | None = None


def _labelled(call: Call, label: str, currency: str) -> list[Order]:
    """Return the caller's open orders with ``label`` in the products ``currency`` selects."""
    if not label:
        raise RpcError(INVALID_ARGUMENTS, "label must not be empty", "label")
    products = call.gw.instruments.products_matching(currency)
    return [
        o
        for o in call.gw.orders.live(account_of(call))
        if o.label == label and (products is None or o.instrument_name.split("-", 1)[0] in products)
    ]


def _views(call: Call, orders: list[Order]) -> list[OrderView]:
    views = []
    for o in orders:
        listing = call.gw.instruments.find(o.instrument_name)
        assert listing is not None
        views.append(order_view(o, listing))
    return views


@REGISTRY.method("private/get_open_orders_by_label", LabelParams, access="read")
async def get_open_orders_by_label(call: Call, p: LabelParams) -> list[OrderView]:
    """Return the caller's open orders with ``label``, oldest first."""
    return _views(call, _labelled(call, p.label, p.currency))


@REGISTRY.method("private/cancel_by_label", LabelParams, access="trade")
async def cancel_by_label(call: Call, p: LabelParams) -> int:
    """Cancel the caller's open orders with ``label``; return how many were cancelled."""
    orders = _labelled(call, p.label, p.currency)
    if not orders:
        return 0
    cmd = CancelOrders(account=account_of(call), order_ids=tuple(o.order_id for o in orders))
    out = await call.gw.pipeline.submit(cmd)
    return len(out.cancelled)


@REGISTRY.method("private/edit_by_label", EditLabelParams, access="trade")
async def edit_by_label(call: Call, p: EditLabelParams) -> dict[str, object]:
    """Edit the one open order with ``label`` in ``instrument_name`` (as ``private/edit``)."""
    listing = call.gw.instruments.get(p.instrument_name)
    orders = [o for o in _labelled(call, p.label, "any") if o.instrument_name == listing.name]
    if not orders:
        raise RpcError(ORDER_NOT_FOUND, f"no open order labelled {p.label!r} in {listing.name}")
    if len(orders) > 1:
        raise RpcError(
            INVALID_ARGUMENTS,
            f"{len(orders)} open orders are labelled {p.label!r} in {listing.name}; "
            "edit_by_label needs exactly one",
            "label",
        )
    params = EditParams(
        order_id=orders[0].order_id, amount=p.amount, contracts=p.contracts, price=p.price
    )
    result: dict[str, object] = await edit(call, params)
    return result


@REGISTRY.method("private/close_position", CloseParams, access="trade")
async def close_position(call: Call, p: CloseParams) -> dict[str, object]:
    """Close the caller's whole position in ``instrument_name`` with a reduce-only order."""
    listing = call.gw.instruments.get(p.instrument_name)
    position = call.gw.orders.position(account_of(call), listing.name)
    if position == 0:
        raise RpcError(INVALID_ARGUMENTS, f"no position in {listing.name} to close")
    if p.type == "limit" and p.price is None:
        raise RpcError(INVALID_ARGUMENTS, "price is required for a limit close", "price")
    side = c.SIDE_SELL if position > 0 else c.SIDE_BUY
    order = OrderParams(
        instrument_name=listing.name,
        amount=float(abs(position)),
        type=p.type,
        price=p.price if p.type == "limit" else None,
        reduce_only=True,
        time_in_force="good_til_cancelled" if p.type == "limit" else "immediate_or_cancel",
    )
    cmd = place_command(call, side, order)
    game_gate(call, cmd.instrument_name, cmd.side, cmd.qty)
    return order_and_trades(call, await call.gw.pipeline.submit(cmd))
