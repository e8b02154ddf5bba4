"""Listed instruments as the gateway sees them: names, engine slots, parameters, wire prices.

The venue owns the contract-name ↔ slot routing; this registry follows it after every
clock tick (``sync``) and mirrors each slot's engine parameters (tick, band, reference,
maximum order size) from ``EV_STATUS`` events, so reading them never touches the engine.
Prices cross the wire as floats in USD per GPU-hour and are turned into integer price
units here, exactly or not at all (``price_units``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from exchange import codes as c
from exchange.listing import Contract
from exchange.product_spec import MICROS_PER_USD, ProductSpec
from exchange.venue import Venue
from gateway.errors import (
    INVALID_AMOUNT,
    INVALID_INSTRUMENT,
    INVALID_PRICE,
    PRICE_WRONG_TICK,
    STOP_PRICE_WRONG_TICK,
    RpcError,
)

NS_PER_MS = 1_000_000
MAX_AMOUNT = 1 << 53
"""Largest amount (contracts) read from a float exactly; the engine's limit is far lower."""


@dataclass(slots=True)
class Listing:
    """One contract and its engine slot; parameters are price units and contracts."""

    contract: Contract
    spec: ProductSpec
    slot: int
    status: int = c.STATUS_UNLISTED
    tick: int = 1
    max_qty: int = 0
    band: int = 0
    ref: int = 0

    @property
    def name(self) -> str:
        """Return the contract name, e.g. ``H100-31MAR27``."""
        return self.contract.name

    @property
    def min_price(self) -> int:
        """Return the lowest price accepted now, price units (band floor, or 1)."""
        return max(self.ref - self.band, 1) if self.band and self.ref else 1

    @property
    def max_price(self) -> int:
        """Return the highest price accepted now, price units (band ceiling, or the grid)."""
        top = self.spec.max_price_units
        return min(self.ref + self.band, top) if self.band and self.ref else top

    def to_wire(self, units: int) -> float:
        """Return ``units`` price units as USD per GPU-hour."""
        return self.spec.units_to_price(units)

    def price_units(self, price: float, param: str = "price") -> int:
        """Return wire ``price`` (USD/GPU-hour) as price units; raise 10023 or 10043/10044."""
        if isinstance(price, bool) or not math.isfinite(price) or price <= 0:
            raise RpcError(INVALID_PRICE, f"{param} must be a positive number", param)
        if price * MICROS_PER_USD / self.spec.price_unit_micros > self.spec.max_price_units:
            raise RpcError(INVALID_PRICE, f"{param} is above the price grid", param)
        try:
            units = self.spec.price_to_units(price)
        except ValueError:
            units = -1
        if units < 0 or units % self.tick:
            wrong_tick = PRICE_WRONG_TICK if param == "price" else STOP_PRICE_WRONG_TICK
            tick = self.to_wire(self.tick)
            raise RpcError(wrong_tick, f"{param} must be a multiple of tick_size {tick}", param)
        return units


def contracts(amount: float) -> int:
    """Return wire ``amount`` as whole contracts; raise 10021 if it is not a positive integer."""
    if isinstance(amount, bool) or not math.isfinite(amount) or amount != int(amount):
        raise RpcError(INVALID_AMOUNT, "amount must be a whole number of contracts", "amount")
    if not 0 < amount <= MAX_AMOUNT:
        raise RpcError(INVALID_AMOUNT, "amount must be a positive number of contracts", "amount")
    return int(amount)


class Instruments:
    """Registry of the venue's listed contracts by name and by slot, plus expired ones."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.by_name: dict[str, Listing] = {}
        self.by_slot: dict[int, Listing] = {}
        self.expired: dict[str, Listing] = {}
        self.sync()

    def sync(self) -> tuple[list[str], list[str]]:
        """Follow the venue's listing; return the names (listed, expired) since last time."""
        listed: list[str] = []
        gone = [n for n in self.by_name if n not in self.venue.slot_of]
        for name in gone:
            old = self.by_name.pop(name)
            if self.by_slot.get(old.slot) is old:
                del self.by_slot[old.slot]
            old.status = c.STATUS_EXPIRED
            self.expired[name] = old
        for name, slot in self.venue.slot_of.items():
            if name not in self.by_name:
                contract = self.venue.contract_of[slot]
                lst = Listing(contract, self.venue.products[contract.product], slot)
                self.by_name[name] = lst
                self.by_slot[slot] = lst
                listed.append(name)
        return listed, gone

    def apply_status(self, slot: int, param: int, value: int) -> None:
        """Mirror one ``EV_STATUS`` event: parameter ``param`` of ``slot`` is now ``value``."""
        lst = self.by_slot.get(slot)
        if lst is None:
            return
        if param == c.PARAM_STATUS:
            lst.status = value
        elif param == c.PARAM_TICK:
            lst.tick = value
        elif param == c.PARAM_MAX_QTY:
            lst.max_qty = value
        elif param == c.PARAM_BAND:
            lst.band = value
        elif param == c.PARAM_REF_PRICE:
            lst.ref = value

    def get(self, name: str) -> Listing:
        """Return the live listing called ``name``; raise 10020 otherwise."""
        lst = self.by_name.get(name)
        if lst is None:
            why = "has expired" if name in self.expired else "is not a listed instrument"
            raise RpcError(INVALID_INSTRUMENT, f"{name!r} {why}", "instrument_name")
        return lst

    def find(self, name: str) -> Listing | None:
        """Return the listing called ``name``, live or expired, or None."""
        return self.by_name.get(name) or self.expired.get(name)

    def products_matching(self, currency: str) -> set[str] | None:
        """Return the product codes a Deribit ``currency`` filter selects (None = all)."""
        cur = currency.upper()
        if cur in ("ANY", "USD"):
            return None
        if cur in self.venue.products:
            return {cur}
        raise RpcError(
            INVALID_INSTRUMENT,
            f"currency must be 'any', 'USD' or a product ({', '.join(self.venue.products)})",
            "currency",
        )


def ms(ts_ns: int) -> int:
    """Return ns as whole milliseconds (Deribit timestamps)."""
    return ts_ns // NS_PER_MS
