"""Positions and margin from the clearing house (clearing mode only, GW-12).

``private/get_position``, ``private/get_positions`` and ``private/get_account_summary``
answer in Deribit's shapes from the house's position book, marks and margin model;
amounts are contracts, money USD. Without clearing mode they answer -32601 like any
unknown method. Floating P&L is the value change since the last mark (what variation
margin would pay now); margins are the house's SPAN-like requirements valued now.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from clearing import cycle
from clearing.house import ClearingHouse
from gateway.clearing_mode import ClearedSequencer
from gateway.clearing_views import account_summary_view, requirements
from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import METHOD_NOT_FOUND, RpcError
from gateway.instruments import Listing
from gateway.methods.trading import account_of
from gateway.views import usd

Kind = Literal["future", "option", "spot", "future_combo", "option_combo", "any"]


class PositionParams(Params, frozen=True, kw_only=True):
    instrument_name: str


class PositionsParams(Params, frozen=True, kw_only=True):
    currency: str = "any"
    kind: Kind | None = None


class SummaryParams(Params, frozen=True, kw_only=True):
    currency: str = "USD"
    extended: bool = False


def _clearing(call: Call, method: str) -> ClearedSequencer:
    cleared = call.gw.clearing
    if cleared is None:
        raise RpcError(METHOD_NOT_FOUND, f"{method} needs clearing mode", "method")
    return cleared


def position_view(house: ClearingHouse, account: int, listing: Listing) -> dict[str, object]:
    """Return ``account``'s position in ``listing`` in Deribit's shape."""
    house.sync()
    spec = listing.spec
    cols = house.cols
    col = cols.names.index(listing.name) if listing.name in cols.names else -1
    size = floating = realised = initial = maintenance = 0
    avg = 0.0
    mark = listing.to_wire(listing.ref)
    if col >= 0 and house.post_trade is not None:
        book = house.book
        size = int(book.positions[account, col])
        rows = slice(account, account + 1)
        value = cycle.value_at_rows(book, cols, cols.marks, rows)
        floating = int(value[0, col] - cols.vm_paid[account, col])
        realised = int(book.realised_micros()[account, col])
        units = book.average_price(account, col)
        avg = 0.0 if units is None else round(units * spec.price_unit_micros / 1e6, 6)
        mark = listing.to_wire(int(cols.mark_units()[col]))
        alone = np.zeros(len(cols), dtype=np.int64)
        alone[col] = size
        initial, maintenance = requirements(house, account, alone) if size else (0, 0)
    return {
        "instrument_name": listing.name,
        "kind": "future",
        "direction": "buy" if size > 0 else "sell" if size < 0 else "zero",
        "size": float(size),
        "average_price": avg,
        "mark_price": mark,
        "floating_profit_loss": usd(floating),
        "realized_profit_loss": usd(realised),
        "total_profit_loss": usd(floating + realised),
        "initial_margin": usd(initial),
        "maintenance_margin": usd(maintenance),
        "settlement_price": listing.to_wire(int(cols.mark_units()[col])) if col >= 0 else mark,
    }


@REGISTRY.method("private/get_position", PositionParams, access="read")
async def get_position(call: Call, p: PositionParams) -> dict[str, object]:
    """Return the account's position in one instrument (size 0, direction ``zero`` if none)."""
    cleared = _clearing(call, "private/get_position")
    listing = call.gw.instruments.get(p.instrument_name)
    return position_view(cleared.house, account_of(call), listing)


@REGISTRY.method("private/get_positions", PositionsParams, access="read")
async def get_positions(call: Call, p: PositionsParams) -> list[dict[str, object]]:
    """Return the account's open positions (non-zero), filtered by product and kind."""
    cleared = _clearing(call, "private/get_positions")
    products = call.gw.instruments.products_matching(p.currency)
    if p.kind not in (None, "future", "any"):
        return []
    house, account = cleared.house, account_of(call)
    house.sync()
    if house.post_trade is None:
        return []
    held = house.book.positions[account]
    out = []
    for col in np.flatnonzero(held).tolist():
        listing = call.gw.instruments.find(house.cols.names[col])
        if listing is None or (products is not None and listing.spec.code not in products):
            continue
        out.append(position_view(house, account, listing))
    return out


@REGISTRY.method("private/get_account_summary", SummaryParams, access="read")
async def get_account_summary(call: Call, p: SummaryParams) -> dict[str, object]:
    """Return the account's cash, equity, margin and margin call (USD; one cross-margined
    account; ``margin_call_deadline`` in ms). Also published on ``user.portfolio.usd``."""
    cleared = _clearing(call, "private/get_account_summary")
    call.gw.instruments.products_matching(p.currency)  # validates the currency
    return account_summary_view(cleared, account_of(call))
