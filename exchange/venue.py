"""The venue: one engine with every listed contract of several products behind a router.

The router maps contract names (``H100-31MAR27``) to engine instrument slots, lists the
36 live months of each product at start, and turns the listing schedule into
``OP_SET`` status commands as time passes (expire the front, free its slot, list the
new back month). Prices in price units, quantities in contracts, times in ns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import commands as C
from exchange.calendar import DEFAULT_CALENDAR, TradingCalendar, ns_to_date
from exchange.engine import Engine
from exchange.listing import Contract, live_contracts, schedule
from exchange.product_spec import DEFAULT_PRODUCTS, ProductSpec

Events = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ListingParams:
    """Engine parameters a new contract gets, as fractions of its product's reference level.

    ``band`` and ``protection`` are fractions of the reference price (0.2 = ±20%);
    ``max_qty`` is contracts per order (0 = no limit).
    """

    band: float = 0.20
    protection: float = 0.05
    max_qty: int = 1_000


class UnknownInstrument(KeyError):
    """Raised for a contract name the venue does not list."""


class Venue:
    """Route orders for every listed contract of ``products`` to one matching engine."""

    def __init__(
        self,
        products: Mapping[str, ProductSpec] | None = None,
        calendar: TradingCalendar = DEFAULT_CALENDAR,
        n_accounts: int = 1_024,
        smp: int = c.SMP_CANCEL_RESTING,
        emit: int = c.EMIT_ALL,
        params: ListingParams | None = None,
    ) -> None:
        self.products = dict(products if products is not None else DEFAULT_PRODUCTS)
        self.calendar = calendar
        self.params = params or ListingParams()
        n_slots = sum(p.months_listed for p in self.products.values()) + len(self.products)
        max_price = max(p.max_price_units for p in self.products.values())
        self.engine = Engine(n_slots, max_price, n_accounts, smp, emit)
        self.slot_of: dict[str, int] = {}
        self.contract_of: dict[int, Contract] = {}
        self._free = list(range(n_slots - 1, -1, -1))
        self.now: int | None = None

    # -------------------------------------------------------------------- listing
    def open(self, ts: int) -> Events:
        """List every contract live at ``ts`` ns; return the engine events."""
        if self.now is not None:
            raise RuntimeError("the venue is already open")
        self.now = ts
        out = [
            self._list(k, ts)
            for p in self.products.values()
            for k in live_contracts(p, ts, self.calendar)
        ]
        return np.concatenate(out)

    def advance(self, ts: int) -> Events:
        """Move the venue clock to ``ts`` ns, applying expiries and listings on the way."""
        if self.now is None:
            raise RuntimeError("open the venue first")
        if ts < self.now:
            raise ValueError(f"time goes forward only: {ts} < {self.now}")
        events = [np.zeros((0, c.EV_WIDTH), dtype=np.int64)]
        start = ns_to_date(self.now)
        end = ns_to_date(ts)
        for p in self.products.values():
            for ev in schedule(p, start, end, self.calendar):
                if not self.now < ev.ts <= ts:
                    continue
                if ev.kind == "expire" and ev.contract.name in self.slot_of:
                    events.append(self._expire(ev.contract.name, ev.ts))
                elif ev.kind == "list" and ev.contract.name not in self.slot_of:
                    events.append(self._list(ev.contract, ev.ts))
        events.append(self.engine.process(C.expire(ts)))
        self.now = ts
        return np.concatenate(events)

    def _list(self, contract: Contract, ts: int) -> Events:
        spec = self.products[contract.product]
        slot = self._free.pop()
        self.slot_of[contract.name] = slot
        self.contract_of[slot] = contract
        ref = spec.ref_price_units
        rows = [
            C.list_instrument(slot, ts=ts),
            C.set_param(slot, c.PARAM_TICK, spec.tick_units, ts=ts),
            C.set_param(slot, c.PARAM_MAX_QTY, self.params.max_qty, ts=ts),
            C.set_param(slot, c.PARAM_REF_PRICE, ref, ts=ts),
            C.set_param(
                slot, c.PARAM_BAND, max(spec.tick_units, round(ref * self.params.band)), ts=ts
            ),
            C.set_param(
                slot,
                c.PARAM_PROTECTION,
                max(spec.tick_units, round(ref * self.params.protection)),
                ts=ts,
            ),
        ]
        return self.engine.process_batch(C.stack(rows))

    def _expire(self, name: str, ts: int) -> Events:
        slot = self.slot_of.pop(name)
        del self.contract_of[slot]
        rows = [
            C.set_param(slot, c.PARAM_STATUS, c.STATUS_EXPIRED, ts=ts),
            C.set_param(slot, c.PARAM_STATUS, c.STATUS_UNLISTED, ts=ts),
        ]
        self._free.append(slot)
        return self.engine.process_batch(C.stack(rows))

    # ------------------------------------------------------------------- routing
    def slot(self, name: str) -> int:
        """Return the engine slot of contract ``name``; raise UnknownInstrument."""
        try:
            return self.slot_of[name]
        except KeyError:
            raise UnknownInstrument(f"{name!r} is not a listed instrument") from None

    def curve(self, product: str) -> list[Contract]:
        """Return the listed contracts of ``product``, front month first."""
        ks = [k for k in self.contract_of.values() if k.product == product]
        return sorted(ks, key=lambda k: k.month_index)

    def set_reference(self, name: str, price: int) -> Events:
        """Move the price-band reference of contract ``name`` to ``price`` price units."""
        return self.engine.process(
            C.set_param(self.slot(name), c.PARAM_REF_PRICE, price, ts=self.now or 0)
        )
