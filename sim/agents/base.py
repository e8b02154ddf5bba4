"""``MarketAgent``: what every agent of the clearing-aware simulation shares.

A market agent trades the front ``months`` contracts of its ``products`` through a
clearing house (``sim.clearing_venue``). It keeps, from the events it receives:

- the curve of each product (``CurveUpdate``: names front first, business days to
  each last trading day), the daily index prints (``IndexFixing``) and the settlement
  prices (``SettlementPrice``), in price units;
- its own position per contract, from its fills (contracts, signed), and its account
  figures (``AccountUpdate``: cash, equity, required margin, free collateral, µ$);
- a ``reserve`` of cash held outside the exchange (µ$), from which it pays margin
  calls.

It wakes at exponentially distributed intervals (mean ``mean_wait_minutes``) during
trading sessions only, and then calls ``act()``, which each strategy overrides. A
margin call is answered by ``on_margin_call`` per ``on_margin_call``:

- ``pay``: deposit what was called, as far as the reserve allows (what it cannot pay
  leads to a default at the deadline);
- ``reduce``: cancel every order and close every position with IOC orders at the best
  prices, again at each decision until flat, and open no new position for the rest of
  the run; then pay as ``pay`` does (the call's amount does not shrink, but the
  exposure that caused it goes);
- ``ignore``: do nothing: the account defaults at the deadline.

After a default the agent stops. Units: prices in price units, quantities in
contracts, money in µ$, times in ns; scenario keys ending in ``_usd`` are US dollars.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from exchange.calendar import DEFAULT_CALENDAR, TradingCalendar
from exchange.product_spec import ProductSpec
from sim.agent import Agent
from sim.events import (
    BUY,
    SELL,
    AccountUpdate,
    CurveUpdate,
    DefaultNotice,
    IndexFixing,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    SettlementPrice,
)
from sim.params import Param

MINUTE_NS = 60 * 1_000_000_000
USD = 1_000_000  # µ$ per US dollar
DAYS_PER_YEAR = 252

#: Parameters every market agent takes (scenario keys of an ``[[agents]]`` table).
COMMON_PARAMS: dict[str, Param] = {
    "products": Param(
        list, [], "product codes", "products traded; empty: every product of the scenario"
    ),
    "months": Param(
        int,
        0,
        "months",
        "front months traded per product; 0: the product's months_traded",
        "non_negative",
    ),
    "mean_wait_minutes": Param(
        float, 30.0, "minutes", "mean time between decisions (exponential)", "positive"
    ),
    "capital_usd": Param(float, 100_000.0, "USD", "collateral deposited at the start", "positive"),
    "reserve_usd": Param(
        float, 100_000.0, "USD", "cash outside the exchange for margin calls", "non_negative"
    ),
    "on_margin_call": Param(
        str,
        "pay",
        "",
        "answer to a margin call: pay, reduce or ignore",
        "choice",
        ("pay", "reduce", "ignore"),
    ),
}


def fair_value(index_units: float, days_to_expiry: int, depreciation: float) -> float:
    """Return an index-based fair price of a month, price units.

    The index drifts down by ``depreciation`` a year (older GPUs lose value); the
    contract settles on the mean index over its month, whose middle is about 10
    business days before its last trading day, so
    ``fair = index × (1 − depreciation)^(max(0, dte − 10) / 252)``.
    """
    years = max(0, days_to_expiry - 10) / DAYS_PER_YEAR
    return index_units * (1.0 - depreciation) ** years


class MarketAgent(Agent):
    """Base of the scenario agents; see the module docstring. ``specs`` are the
    product specifications of the scenario (tick, price unit, contract size)."""

    PARAMS: ClassVar[dict[str, Param]] = {}
    account_type: ClassVar[str] = "speculator"  # or "hedger" (margin treatment, CR-19)

    def __init__(
        self,
        specs: Mapping[str, ProductSpec],
        *,
        products: Sequence[str] = (),
        months: int = 0,
        months_traded: Mapping[str, int] | None = None,
        mean_wait_minutes: float = 30.0,
        capital_usd: float = 100_000.0,
        reserve_usd: float = 100_000.0,
        on_margin_call: str = "pay",
        calendar: TradingCalendar = DEFAULT_CALENDAR,
        name: str = "",
    ) -> None:
        super().__init__(name)
        self.specs = dict(specs)
        self.products = list(products) or list(self.specs)
        unknown = [p for p in self.products if p not in self.specs]
        if unknown:
            raise ValueError(f"unknown products {unknown}; the scenario has {list(self.specs)}")
        traded = months_traded or {}
        self.months = {p: months or traded.get(p, 3) for p in self.products}
        self.mean_wait_ns = max(1, round(mean_wait_minutes * MINUTE_NS))
        self.capital = round(capital_usd * USD)
        self.reserve = round(reserve_usd * USD)
        if on_margin_call not in ("pay", "reduce", "ignore"):
            raise ValueError(f"on_margin_call must be pay, reduce or ignore: {on_margin_call!r}")
        self.on_call = on_margin_call
        self.calendar = calendar
        # what the agent has learnt
        self.curves: dict[str, tuple[str, ...]] = {}
        self.dte: dict[str, int] = {}  # instrument -> business days to its last trading day
        self.product_of: dict[str, str] = {}  # instrument -> product
        self.index: dict[str, int] = {}  # product -> latest print, price units
        self.index_history: dict[str, list[int]] = {p: [] for p in self.products}
        self.settles: dict[str, int] = {}  # instrument -> latest settlement, price units
        self.settle_history: dict[str, list[int]] = {}
        self.position: dict[str, int] = {}  # instrument -> contracts, signed
        self.orders: dict[int, tuple[str, int, int]] = {}  # id -> (instrument, side, open)
        self.account: AccountUpdate | None = None
        self.defaulted = False
        self.reducing = False  # answered a call with "reduce": closing out, then idle
        self.calls = 0  # margin calls received
        self.paid = 0  # µ$ paid towards calls
        self.rejected = 0  # requests refused
        self.funds_rejected = 0  # orders refused for lack of margin

    # ------------------------------------------------------------------ helpers
    def traded(self, product: str) -> tuple[str, ...]:
        """Return the contracts of ``product`` this agent trades, front first."""
        return self.curves.get(product, ())[: self.months.get(product, 0)]

    def all_traded(self) -> list[str]:
        """Return every contract this agent trades, product by product, front first."""
        return [k for p in self.products for k in self.traded(p)]

    def spec_of(self, instrument: str) -> ProductSpec:
        """Return the product specification of ``instrument``."""
        return self.specs[self.product_of[instrument]]

    def tick(self, instrument: str) -> int:
        """Return the tick of ``instrument``, price units."""
        return self.spec_of(instrument).tick_units

    def to_units(self, product: str, usd_per_hour: float) -> int:
        """Return ``usd_per_hour`` (USD per GPU-hour) in price units of ``product``."""
        return round(usd_per_hour * USD / self.specs[product].price_unit_micros)

    def on_tick(self, instrument: str, price: float, up: bool) -> int:
        """Return ``price`` rounded to a tick of ``instrument`` (up or down), at least one
        tick and at most the product's top price."""
        t = self.tick(instrument)
        units = math.ceil(price / t) if up else math.floor(price / t)
        return min(max(t, units * t), self.spec_of(instrument).max_price_units // t * t)

    def mid(self, instrument: str) -> float | None:
        """Return the mid of the book (price units), else None."""
        top = self.top(instrument)
        if top.bid and top.ask:
            return (top.bid + top.ask) / 2
        return None

    def reference(self, instrument: str) -> float | None:
        """Return the best price reference for ``instrument``: the book mid, else the
        last settlement, else the index (price units); None if nothing is known."""
        m = self.mid(instrument)
        if m is not None:
            return m
        if instrument in self.settles:
            return float(self.settles[instrument])
        product = self.product_of.get(instrument)
        if product is not None and product in self.index:
            return float(self.index[product])
        return None

    def free_fraction(self) -> float:
        """Return free collateral / equity from the last account update (1.0 if none)."""
        a = self.account
        if a is None or a.equity <= 0:
            return 1.0 if a is None else 0.0
        return a.free / a.equity

    def gross(self) -> int:
        """Return the sum of absolute positions over every contract, contracts."""
        return sum(abs(q) for q in self.position.values())

    # -------------------------------------------------------------------- lifecycle
    def on_start(self) -> None:
        """Schedule the first decision."""
        self._schedule()

    def on_wakeup(self, tag: str) -> None:
        """Act if a session is open and the account is alive; schedule the next decision."""
        if self.defaulted:
            return
        if self.calendar.is_open(self.now):
            if not self.reducing:
                self.act()
            elif any(self.position.values()):
                self.flatten()
        self._schedule()

    def _schedule(self) -> None:
        t = self.now + 1 + int(self.rng.exponential(self.mean_wait_ns))
        if not self.calendar.is_open(t):
            day = self.calendar.trading_day(t)
            t = self.calendar.open_ts(day) + 1 + int(self.rng.exponential(self.mean_wait_ns))
        self.wake_at(t)

    def act(self) -> None:
        """Make one decision (the strategy); called during sessions only."""

    # ---------------------------------------------------------------- information
    def on_curve(self, event: CurveUpdate) -> None:
        """Remember the product's live contracts and their days to expiry."""
        if event.product not in self.months:
            return
        self.curves[event.product] = event.instruments
        for name, days in zip(event.instruments, event.days_to_expiry, strict=True):
            self.dte[name] = days
            self.product_of[name] = event.product

    def on_index(self, event: IndexFixing) -> None:
        """Remember the index print (price units)."""
        if event.product in self.index_history:
            self.index[event.product] = event.units
            self.index_history[event.product].append(event.units)

    def on_settlement(self, event: SettlementPrice) -> None:
        """Remember the settlement price (price units); a final one closes the position."""
        self.settles[event.instrument] = event.price_units
        self.settle_history.setdefault(event.instrument, []).append(event.price_units)
        if event.tier == 6:  # final: the position is settled in cash
            self.position.pop(event.instrument, None)

    def on_account(self, event: AccountUpdate) -> None:
        """Keep the latest account figures."""
        self.account = event

    def open_qty(self, instrument: str, side: int) -> int:
        """Return the open quantity of the agent's known orders on ``side``, contracts."""
        return sum(q for k, s, q in self.orders.values() if k == instrument and s == side)

    def on_accepted(self, event: OrderAccepted) -> None:
        """Track the order's open quantity."""
        self.orders[event.order_id] = (event.instrument, event.side, event.qty)

    def on_filled(self, event: OrderFilled) -> None:
        """Book the fill into the position and the order's open quantity."""
        signed = event.qty if event.side == BUY else -event.qty
        self.position[event.instrument] = self.position.get(event.instrument, 0) + signed
        if event.remaining == 0:
            self.orders.pop(event.order_id, None)
        elif event.order_id in self.orders:
            self.orders[event.order_id] = (event.instrument, event.side, event.remaining)

    def on_canceled(self, event: OrderCanceled) -> None:
        """The order is gone."""
        self.orders.pop(event.order_id, None)

    def on_expired(self, event: OrderExpired) -> None:
        """The order is gone."""
        self.orders.pop(event.order_id, None)

    def on_replaced(self, event: OrderReplaced) -> None:
        """The order has a new open quantity."""
        if event.order_id in self.orders:
            name, side, _ = self.orders[event.order_id]
            self.orders[event.order_id] = (name, side, event.qty)

    def on_rejected(self, event: OrderRejected) -> None:
        """Count refusals; lack of margin is counted apart (strategies read it)."""
        self.rejected += 1
        if event.reason in ("not_enough_funds", "margin_call_pending"):
            self.funds_rejected += 1

    def on_default(self, event: DefaultNotice) -> None:
        """Stop for good: the clearing house has taken over the account."""
        self.defaulted = True

    # ---------------------------------------------------------------- margin calls
    def on_margin_call(self, amount: int, deadline_ns: int) -> None:
        """Answer a call of ``amount`` µ$ per ``on_margin_call`` (see the module)."""
        self.calls += 1
        if self.on_call == "ignore" or self.defaulted:
            return
        if self.on_call == "reduce":
            self.reducing = True
            self.flatten()
        pay = min(amount, self.reserve)
        if pay > 0:
            self.reserve -= pay
            self.paid += pay
            self.deposit(pay)

    def flatten(self) -> None:
        """Cancel every order and close every position with IOC orders at the book."""
        self.cancel_all()
        for name, qty in sorted(self.position.items()):
            if qty == 0 or name not in self.dte:
                continue
            top = self.top(name)
            if qty > 0 and top.bid:
                self.sell(name, qty, top.bid, tif="ioc")
            elif qty < 0 and top.ask:
                self.buy(name, -qty, top.ask, tif="ioc")

    # --------------------------------------------------------------------- trading
    def take(self, instrument: str, side: int, qty: int, limit: int | None = None) -> None:
        """Cross the spread for ``qty`` contracts with an IOC order at the best opposite
        price (or ``limit``, price units, if it is worse for the agent: never pay more)."""
        top = self.top(instrument)
        if side == BUY:
            if not top.ask or (limit is not None and top.ask > limit):
                return
            self.buy(instrument, qty, top.ask, tif="ioc")
        else:
            if not top.bid or (limit is not None and top.bid < limit):
                return
            self.sell(instrument, qty, top.bid, tif="ioc")

    def post(self, instrument: str, side: int, qty: int, price: int, ttl_minutes: float) -> None:
        """Rest a good-till-date order of ``qty`` at ``price`` for ``ttl_minutes``."""
        expire = self.now + max(1, round(ttl_minutes * MINUTE_NS))
        if side == BUY:
            self.buy(instrument, qty, price, tif="gtd", expire_ns=expire)
        else:
            self.sell(instrument, qty, price, tif="gtd", expire_ns=expire)

    def exposure(self) -> dict[str, int]:
        """Return the physical exposure the agent hedges, contracts per instrument
        (long > 0); none for a speculator."""
        return {}

    @classmethod
    def params(cls) -> dict[str, Param]:
        """Return every scenario key of this kind: the common ones and its own."""
        return {**COMMON_PARAMS, **cls.PARAMS}

    @classmethod
    def build(
        cls,
        specs: Mapping[str, ProductSpec],
        months_traded: Mapping[str, int],
        calendar: TradingCalendar,
        name: str,
        values: Mapping[str, Any],
    ) -> MarketAgent:
        """Return an agent from checked scenario ``values``."""
        return cls(specs, months_traded=months_traded, calendar=calendar, name=name, **values)


SIDES = (BUY, SELL)
