"""The simulated GPU rental price index of each product, published day by day.

``IndexFeed`` draws, per product, a path of the two-factor model of
``clearing.index`` (CR-4; ``IndexModel.for_product``, sticky prints included) from
``Settings.index_seed``, and publishes it one business day at a time through a
``LiveIndex`` per product, the ``IndexSource`` the clearing house reads:

- **History.** At start the prints of every business day from the first of the month two
  months before the start day up to the business day before it are published, so final
  settlement has its month's fixings and margin its latest print. The path is scaled so
  that its print on the eve of the start is the product's ``ref_price_units``: the index
  starts where the listed contracts' reference prices are.
- **Daily prints.** The print of business day ``D`` is published at ``D``'s close,
  just before the clearing house's daily cycle of ``D`` (gateway/clearing_mode.py).
- **Shocks.** ``shock(product, pct)`` multiplies the index from now on by
  ``1 + pct/100``: the current level at once, and every later print (a persistent level
  shift on top of the model path). Shocks compose multiplicatively.

Units: the model and the prints are in price units of the product (integer prints,
half-even, CR-3, are what the house settles with); ``level``, ``levels`` and ``history``
answer in USD per GPU-hour (floats, for the wire and the game). Times in ns.
"""

from __future__ import annotations

import bisect
import math
import zlib
from collections.abc import Callable, Mapping
from datetime import date

import numpy as np

from clearing.index.base import IndexNotPublished
from clearing.index.model import IndexModel
from clearing.index.simulate import simulate_paths
from clearing.money import index_print_units
from exchange.calendar import TradingCalendar
from exchange.product_spec import ProductSpec

CHUNK_DAYS = 512
"""Business days of model path drawn at a time (more are drawn when the clock needs them)."""
HISTORY_MONTHS = 2
"""Whole months of prints published before the start month."""

IndexListener = Callable[[str, float, int], None]
"""Called with (product code, level in USD per GPU-hour, venue ns) when a level changes."""


class LiveIndex:
    """One product's published prints: an ``IndexSource`` (CR-3) that grows each day.

    ``days`` are the business days published so far, ascending; ``value`` is the float
    print (price units) and ``units`` the integer print (price units, half-even, ≥ 1).
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._days: tuple[date, ...] = ()
        self._values: list[float] = []
        self._units: list[int] = []

    @property
    def name(self) -> str:
        """Return the index name (``h100_usd`` …)."""
        return self._name

    @property
    def days(self) -> tuple[date, ...]:
        """Return the published business days, ascending."""
        return self._days

    def _pos(self, day: date) -> int:
        i = bisect.bisect_left(self._days, day)
        if i == len(self._days) or self._days[i] != day:
            first = self._days[0].isoformat() if self._days else "-"
            last = self._days[-1].isoformat() if self._days else "-"
            raise IndexNotPublished(
                f"{self._name}: no value for {day.isoformat()} (published business days "
                f"{first} .. {last})"
            )
        return i

    def value(self, day: date) -> float:
        """Return the float print of ``day``, price units."""
        return self._values[self._pos(day)]

    def units(self, day: date) -> int:
        """Return the integer print of ``day``, price units."""
        return self._units[self._pos(day)]

    def append(self, day: date, value: float) -> None:
        """Publish ``value`` (price units, > 0) for ``day``, after every published day."""
        if self._days and day <= self._days[-1]:
            raise ValueError(f"{self._name}: {day} is not after {self._days[-1]}")
        self._days = (*self._days, day)
        self._values.append(float(value))
        self._units.append(int(index_print_units([value])[0]))

    def last(self) -> tuple[date, float] | None:
        """Return the latest (day, float print) or None before the first print."""
        return (self._days[-1], self._values[-1]) if self._days else None


class _Path:
    """One product's model path over consecutive business days, drawn in chunks."""

    def __init__(self, model: IndexModel, start_value: float, seed: tuple[int, ...]) -> None:
        self.model = model
        self.seed = seed
        self.values: list[float] = []
        self.start_value = start_value

    def value(self, k: int) -> float:
        """Return the model print of the ``k``-th business day from the first (price units)."""
        while len(self.values) <= k:
            n = len(self.values) // CHUNK_DAYS
            start = self.values[-1] if self.values else self.start_value
            paths = simulate_paths(
                self.model, start, CHUNK_DAYS + 1, 1, np.random.SeedSequence([*self.seed, n])
            )
            drawn = paths.published[0].tolist()
            # The first chunk prints its start value on day 0; later chunks continue
            # from the previous chunk's last print, which is not repeated.
            self.values.extend(drawn[:CHUNK_DAYS] if n == 0 else drawn[1:])
        return self.values[k]

    def anchor(self, k: int, target: float) -> None:
        """Scale the path so that business day ``k`` prints ``target`` (price units)."""
        factor = target / self.value(k)
        self.values = [v * factor for v in self.values]
        self.start_value *= factor


class IndexFeed:
    """The simulated index of every product, published as the venue clock passes days.

    ``products`` by code; ``seed`` the root seed (``Settings.index_seed``); ``start``
    the first business day not yet published (the venue's first trading day);
    ``clock_ns`` the venue clock (stamps shock notifications).
    """

    def __init__(
        self,
        products: Mapping[str, ProductSpec],
        calendar: TradingCalendar,
        seed: int,
        start: date,
        clock_ns: Callable[[], int],
    ) -> None:
        if not products:
            raise ValueError("an index feed needs at least one product")
        self.products = dict(products)
        self.calendar = calendar
        self.seed = seed
        self.clock_ns = clock_ns
        y, m = start.year, start.month - HISTORY_MONTHS
        while m < 1:
            y, m = y - 1, m + 12
        first = date(y, m, 1)
        if not calendar.is_business_day(first):
            first = calendar.next_business_day(first)
        self.first_day = first
        self._days: list[date] = [first]
        self.sources: dict[str, LiveIndex] = {}
        self._paths: dict[str, _Path] = {}
        self._factor: dict[str, float] = {}
        self._print_factor: dict[str, float] = {}
        for code, spec in self.products.items():
            model = IndexModel.for_product(spec)
            tag = zlib.crc32(code.encode())
            self._paths[code] = _Path(model, float(spec.ref_price_units), (seed, tag))
            self.sources[code] = LiveIndex(spec.index_name)
            self._factor[code] = 1.0
            self._print_factor[code] = 1.0
        self._next = 0
        """Index (in business days from ``first_day``) of the next day to publish."""
        self.listeners: list[IndexListener] = []
        if start > first:
            eve = self.calendar.previous_business_day(start)
            k_eve = 0
            while self._day(k_eve) < eve:
                k_eve += 1
            # The history ends at the product's reference price on the eve of the start,
            # where the listed contracts' reference prices and first marks are.
            for code, spec in self.products.items():
                self._paths[code].anchor(k_eve, float(spec.ref_price_units))
            self.publish_through(eve, notify=False)

    # ------------------------------------------------------------------ publication
    def _day(self, k: int) -> date:
        while len(self._days) <= k:
            self._days.append(self.calendar.next_business_day(self._days[-1]))
        return self._days[k]

    @property
    def last_day(self) -> date | None:
        """Return the latest published business day (None before the first)."""
        return self._day(self._next - 1) if self._next else None

    def publish_through(self, day: date, ts: int | None = None, notify: bool = True) -> int:
        """Publish the prints of every business day up to ``day`` not published yet;
        return how many days were published. Listeners hear each product's new level,
        stamped ``ts`` ns (default: the venue clock)."""
        n = 0
        while self._day(self._next) <= day:
            d = self._day(self._next)
            for code, path in self._paths.items():
                factor = self._factor[code]
                self.sources[code].append(d, path.value(self._next) * factor)
                self._print_factor[code] = factor
            self._next += 1
            n += 1
        if n and notify:
            self._notify(tuple(self.products), ts)
        return n

    def _notify(self, codes: tuple[str, ...], ts: int | None) -> None:
        stamp = self.clock_ns() if ts is None else ts
        for code in codes:
            level = self.level(code)
            for listener in list(self.listeners):
                listener(code, level, stamp)

    # ------------------------------------------------------------------ reading
    def _spec(self, product: str) -> ProductSpec:
        spec = self.products.get(product)
        if spec is None:
            known = ", ".join(sorted(self.products))
            raise ValueError(f"unknown product {product!r} (one of {known})")
        return spec

    def _level_units(self, product: str) -> float:
        last = self.sources[product].last()
        base = self._paths[product].start_value if last is None else last[1]
        return base * self._factor[product] / self._print_factor[product]

    def level(self, product: str) -> float:
        """Return the current level of ``product``'s index, USD per GPU-hour: the latest
        print times the shocks applied since it."""
        spec = self._spec(product)
        return round(self._level_units(product) * spec.price_unit_micros / 1e6, 6)

    def levels(self) -> dict[str, float]:
        """Return the current level of every product, USD per GPU-hour, by code."""
        return {code: self.level(code) for code in self.products}

    def history(self, product: str) -> list[tuple[date, float]]:
        """Return the published prints of ``product``, (day, USD per GPU-hour), oldest first."""
        spec = self._spec(product)
        src = self.sources[product]
        scale = spec.price_unit_micros / 1e6
        return [(d, round(src.value(d) * scale, 6)) for d in src.days]

    def month_prints(self, product: str, year: int, month: int) -> tuple[list[int], int]:
        """Return (the integer prints published so far of ``month``'s business days,
        the number of business days of the month), price units."""
        self._spec(product)
        src = self.sources[product]
        days = self.calendar.month_business_days(year, month)
        published = set(src.days)
        return [src.units(d) for d in days if d in published], len(days)

    # ------------------------------------------------------------------ shocks
    def shock(self, product: str | None, pct: float) -> None:
        """Multiply the index of ``product`` (None: every product) by ``1 + pct/100`` from
        now on: the current level and every later print. ``pct`` in percent, > −100.

        Raises ``ValueError`` (nothing changed) for an unknown product or a ``pct`` that
        is not a finite number above −100.
        """
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not math.isfinite(pct):
            raise ValueError(f"pct must be a finite number of percent, got {pct!r}")
        if pct <= -100:
            raise ValueError(f"pct must be above -100, got {pct}")
        codes = tuple(self.products) if product is None else (product,)
        for code in codes:
            self._spec(code)
        if pct == 0:
            return
        for code in codes:
            self._factor[code] *= 1.0 + pct / 100.0
        self._notify(codes, None)
