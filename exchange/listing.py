"""Monthly contracts and the listing schedule of a product.

A contract is one calendar month of a product, named after its last trading day
(``H100-31MAR27``). A product lists ``months_listed`` (36) consecutive monthly contracts;
when the front one expires at the close of its last trading day, the next month becomes
the front and a new back month is listed at the same instant, so exactly 36 trade at any
time. Dates are UTC dates, ``*_ts`` integer ns UTC. Import from ``exchange.products``;
the normative description is ``docs/products.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

from exchange.calendar import TradingCalendar, month_last_day, ns_to_date
from exchange.contract_names import contract_name, parse_contract_name
from exchange.product_spec import DEFAULT_PRODUCTS, ProductSpec


# ------------------------------------------------------------------------ contracts
@dataclass(frozen=True)
class Contract:
    """One monthly contract of a product. Dates are UTC dates; ``*_ts`` are ns UTC.

    The contract trades on ``[listing_ts, expiry_ts)``; it settles finally at the
    arithmetic mean of the daily index over ``business_days``.
    """

    name: str
    """``{PRODUCT}-{DMMMYY}`` of the last trading day, e.g. ``"H100-31MAR27"``."""
    product: str
    year: int
    month: int
    delivery_start: date
    """First calendar day of the contract month."""
    delivery_end: date
    """Last calendar day of the contract month."""
    last_trading_day: date
    """Last business day of the contract month."""
    business_days: tuple[date, ...]
    """Business days of the contract month: the averaging days of final settlement."""
    listing_ts: int
    """When it starts trading: the expiry of the contract ``months_listed`` months earlier."""
    expiry_ts: int
    """Close of the last trading day: the contract stops trading at this instant."""

    @property
    def month_index(self) -> int:
        """Months since January of year 0 (``year * 12 + month - 1``): orders contracts."""
        return self.year * 12 + self.month - 1

    @property
    def n_fixings(self) -> int:
        """Number of daily index fixings averaged in the final settlement price."""
        return len(self.business_days)

    def is_live(self, ts: int) -> bool:
        """Return whether the contract is trading at ``ts`` ns: ``listing_ts <= ts < expiry_ts``."""
        return self.listing_ts <= ts < self.expiry_ts


def _month_from_index(month_index: int) -> tuple[int, int]:
    year, m0 = divmod(month_index, 12)
    return year, m0 + 1


@functools.lru_cache(maxsize=16_384)
def contract_for_month(
    product: ProductSpec, year: int, month: int, calendar: TradingCalendar
) -> Contract:
    """Return the contract of ``product`` for ``month`` (1-12) of ``year`` (cached)."""
    days = calendar.month_business_days(year, month)
    if not days:
        raise ValueError(f"{year}-{month:02d} has no business day: no {product.code} contract")
    ltd = days[-1]
    prev_year, prev_month = _month_from_index(year * 12 + month - 1 - product.months_listed)
    return Contract(
        name=contract_name(product.code, ltd),
        product=product.code,
        year=year,
        month=month,
        delivery_start=date(year, month, 1),
        delivery_end=month_last_day(year, month),
        last_trading_day=ltd,
        business_days=days,
        listing_ts=calendar.close_ts(calendar.last_business_day(prev_year, prev_month)),
        expiry_ts=calendar.close_ts(ltd),
    )


def contract_from_name(
    name: str,
    calendar: TradingCalendar,
    products: Mapping[str, ProductSpec] | None = None,
) -> Contract:
    """Return the contract called ``name`` under ``calendar``.

    ``products`` defaults to ``DEFAULT_PRODUCTS``. Raises ``ValueError`` for a malformed
    name, an unknown product, or a date that is not the last business day of its month.
    """
    products = DEFAULT_PRODUCTS if products is None else products
    code, ltd = parse_contract_name(name)
    if code not in products:
        raise ValueError(f"unknown product {code!r} in {name!r}; known: {', '.join(products)}")
    contract = contract_for_month(products[code], ltd.year, ltd.month, calendar)
    if contract.last_trading_day != ltd:
        raise ValueError(
            f"no contract {name!r}: the last trading day of {ltd:%B %Y} is "
            f"{contract.last_trading_day:%a %d %b %Y} ({contract.name})"
        )
    return contract


# -------------------------------------------------------------------------- listing
def front_month(on: date, calendar: TradingCalendar) -> tuple[int, int]:
    """Return ``(year, month)`` of the front contract trading on date ``on``.

    The front is the month containing ``on`` up to and including its last trading day,
    then the next month (so on a weekend after the last trading day it is the next one).
    """
    if on <= calendar.last_business_day(on.year, on.month):
        return on.year, on.month
    return _month_from_index(on.year * 12 + on.month)


def listed_contracts(product: ProductSpec, on: date, calendar: TradingCalendar) -> list[Contract]:
    """Return the ``months_listed`` contracts trading on date ``on``, front month first."""
    year, month = front_month(on, calendar)
    return _strip(product, year * 12 + month - 1, calendar)


def live_contracts(product: ProductSpec, ts: int, calendar: TradingCalendar) -> list[Contract]:
    """Return the contracts with ``listing_ts <= ts < expiry_ts`` (ns), front month first.

    Unlike ``listed_contracts`` this sees the roll at the close: at the close of the
    front's last trading day the front is gone and the new back month is in.
    """
    d = ns_to_date(ts)
    first = d.year * 12 + d.month - 1
    if ts >= calendar.close_ts(calendar.last_business_day(d.year, d.month)):
        first += 1
    return _strip(product, first, calendar)


def _strip(
    product: ProductSpec, first_month_index: int, calendar: TradingCalendar
) -> list[Contract]:
    """Return ``months_listed`` consecutive contracts from ``first_month_index``."""
    return [
        contract_for_month(product, *_month_from_index(first_month_index + i), calendar)
        for i in range(product.months_listed)
    ]


class ListingEvent(NamedTuple):
    """A listing or expiry at ``ts`` ns: what a sequencer turns into ``OP_SET`` status commands."""

    ts: int
    kind: Literal["list", "expire"]
    contract: Contract


_KIND_ORDER = {"expire": 0, "list": 1}


def schedule(
    product: ProductSpec, start: date, end: date, calendar: TradingCalendar
) -> list[ListingEvent]:
    """Return the expiries and listings of ``product`` at closes on dates ``start..end``.

    Both ends are inclusive. Each expiry of a front month at the close of its last trading
    day is followed, at the same ts, by the listing of the new back month (``expire``
    before ``list``, so an engine slot can be freed and reused). Contracts already live
    before ``start`` are not listed again: a sequencer starting cold lists
    ``live_contracts(product, ts0, calendar)`` first.
    """
    if end < start:
        raise ValueError(f"schedule end {end} is before start {start}")
    events: list[ListingEvent] = []
    for mi in range(start.year * 12 + start.month - 1, end.year * 12 + end.month):
        expiring = contract_for_month(product, *_month_from_index(mi), calendar)
        if not start <= expiring.last_trading_day <= end:
            continue
        listed = contract_for_month(
            product, *_month_from_index(mi + product.months_listed), calendar
        )
        events.append(ListingEvent(expiring.expiry_ts, "expire", expiring))
        events.append(ListingEvent(listed.listing_ts, "list", listed))
    return events


def combined_schedule(
    products: Iterable[ProductSpec], start: date, end: date, calendar: TradingCalendar
) -> list[ListingEvent]:
    """Return ``schedule`` of several products merged in one deterministic order.

    Sorted by ts, then expiries before listings, then product code, then contract month.
    """
    specs = list(products)
    codes = [p.code for p in specs]
    if len(set(codes)) != len(codes):
        raise ValueError(f"duplicate product codes: {codes}")
    events = [e for p in specs for e in schedule(p, start, end, calendar)]
    events.sort(
        key=lambda e: (e.ts, _KIND_ORDER[e.kind], e.contract.product, e.contract.month_index)
    )
    return events
