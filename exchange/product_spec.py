"""Product specifications: contract size, price grid, fees, limits and index defaults.

Units, as everywhere in the engine: prices in integer *price units* (one unit =
``price_unit_micros`` micro-dollars per GPU-hour, $0.01 by default), money in integer
micro-dollars, quantities in contracts. Floats appear only in ``units_to_price`` and
``tick_size`` (for the wire and reports) and in ``annual_vol``. Import from
``exchange.products``; the normative description is ``docs/products.md`` and the
default figures come from ``MARKET-FACTS.md``.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from exchange.contract_names import check_product_code

MICROS_PER_USD = 1_000_000
_INDEX_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")


# ------------------------------------------------------------------------- products
@dataclass(frozen=True, kw_only=True)
class ProductSpec:
    """One futures product: contract size, price grid, fees, limits and index defaults.

    Construct with keywords; every field has the unit in its name or comment. Invalid
    combinations raise ``ValueError`` at construction. Change a default product with
    ``dataclasses.replace(DEFAULT_PRODUCTS["H100"], tick_units=2)``.
    """

    code: str
    """Product code, upper-case letters and digits starting with a letter: ``"H100"``."""
    index_name: str
    """Lower-case Deribit-style name of the underlying index: ``"h100_usd"``."""
    description: str
    """One line for people: what the index measures and how the contract settles."""
    contract_hours: int = 730
    """GPU-hours per contract (one GPU for an average month)."""
    price_unit_micros: int = 10_000
    """Micro-dollars per GPU-hour in one engine price unit ($0.01 by default)."""
    tick_units: int = 1
    """Tick size in price units: outright order prices must be multiples of it."""
    spread_tick_units: int = 1
    """Tick of calendar-spread prices in price units; must divide ``tick_units``. The
    filed contracts' $0.005 spread tick needs a finer grid: ``price_unit_micros=5_000,
    tick_units=2, spread_tick_units=1`` (see docs/products.md)."""
    months_listed: int = 36
    """Consecutive monthly contracts trading at any time."""
    max_price_units: int = 5_000
    """Top of the engine price grid for this product, price units ($50/GPU-hour, about
    8x the B200 index). Every listed contract carries a dense grid of this many levels
    a side, so it is kept near the prices the product can reach."""
    ref_price_units: int
    """Default index level, price units (281 = $2.81/GPU-hour for H100)."""
    annual_vol: float
    """Realised annualised volatility of daily log changes of the index (0.26 = 26%)."""
    maker_fee_micros: int = 3_650_000
    """Fee per contract per side for the resting order, micro-dollars (negative = rebate)."""
    taker_fee_micros: int = 3_650_000
    """Fee per contract per side for the aggressor, micro-dollars."""
    spot_month_position_limit: int
    """Largest net position in the front (spot) month per account, contracts."""
    cash_settlement_fee_micros: int = 900_000
    """Fee per contract held to final cash settlement, micro-dollars ($0.90)."""
    reportable_level: int = 25
    """Open position (contracts, any one month) at which an account becomes reportable."""

    def __post_init__(self) -> None:
        check_product_code(self.code)
        if not _INDEX_NAME_RE.fullmatch(self.index_name):
            raise ValueError(
                f"{self.code}: index_name {self.index_name!r} must be lower-case letters, "
                "digits and underscores, starting with a letter (e.g. 'h100_usd')"
            )
        for name in (
            "contract_hours",
            "price_unit_micros",
            "tick_units",
            "spread_tick_units",
            "months_listed",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{self.code}: {name} must be >= 1, got {getattr(self, name)}")
        if self.tick_units % self.spread_tick_units:
            raise ValueError(f"{self.code}: spread_tick_units must divide tick_units")
        if self.max_price_units < self.tick_units:
            raise ValueError(f"{self.code}: max_price_units must be at least one tick")
        if not 1 <= self.ref_price_units <= self.max_price_units:
            raise ValueError(
                f"{self.code}: ref_price_units {self.ref_price_units} is outside the grid "
                f"1..{self.max_price_units}"
            )
        if self.ref_price_units % self.tick_units:
            raise ValueError(f"{self.code}: ref_price_units must be a multiple of tick_units")
        if not (math.isfinite(self.annual_vol) and self.annual_vol > 0):
            raise ValueError(f"{self.code}: annual_vol must be a positive number")
        if self.taker_fee_micros < 0 or self.maker_fee_micros + self.taker_fee_micros < 0:
            raise ValueError(
                f"{self.code}: taker fee must be >= 0 and maker + taker fees >= 0 "
                "(the exchange never pays out on a trade)"
            )
        if self.cash_settlement_fee_micros < 0:
            raise ValueError(f"{self.code}: cash_settlement_fee_micros must be >= 0")
        if self.spot_month_position_limit < 1 or self.reportable_level < 1:
            raise ValueError(
                f"{self.code}: position limit and reportable level must be >= 1 contract"
            )

    # ------------------------------------------------------------------- derived
    @property
    def unit_value_micros(self) -> int:
        """Money per price unit per contract, micro-dollars (7_300_000 = $7.30 by default)."""
        return self.price_unit_micros * self.contract_hours

    @property
    def tick_micros(self) -> int:
        """Tick size in micro-dollars per GPU-hour (10_000 = $0.01 by default)."""
        return self.price_unit_micros * self.tick_units

    @property
    def tick_value_micros(self) -> int:
        """Money per tick per contract, micro-dollars (7_300_000 = $7.30 by default)."""
        return self.unit_value_micros * self.tick_units

    @property
    def spread_tick_micros(self) -> int:
        """Calendar-spread tick in micro-dollars per GPU-hour (10_000 = $0.01 by default)."""
        return self.price_unit_micros * self.spread_tick_units

    @property
    def tick_size(self) -> float:
        """Tick size in USD per GPU-hour, for the wire (Deribit ``tick_size``)."""
        return self.tick_micros / MICROS_PER_USD

    # ------------------------------------------------------------------- prices
    def price_to_units(self, usd: float | Decimal | str | int, *, spread: bool = False) -> int:
        """Return a price in USD per GPU-hour as integer price units; never rounds.

        Accepts a float (read as its shortest decimal repr, so ``2.81`` is 2.81), a
        ``Decimal``, a decimal string or an int. Raises ``ValueError`` if the price is not
        finite or is not a whole number of ticks (``2.815`` with a $0.01 tick), and
        ``TypeError`` for other types. ``spread=True`` checks against the calendar-spread
        tick (``spread_tick_units``) instead of the outright tick. The grid range is not
        checked here: the engine rejects out-of-grid prices with ``REJ_INVALID_PRICE``,
        and spread prices may be zero or negative.
        """
        exact = _exact_value(usd)
        tick = self.spread_tick_units if spread else self.tick_units
        units = exact * MICROS_PER_USD / self.price_unit_micros
        if units.denominator != 1 or units.numerator % tick:
            kind = "spread ticks" if spread else "ticks"
            tick_usd = Decimal(tick * self.price_unit_micros) / MICROS_PER_USD
            raise ValueError(
                f"{usd!r} USD/GPU-hour is not a whole number of {self.code} {kind} "
                f"(tick ${tick_usd} per GPU-hour)"
            )
        return units.numerator

    def units_to_price(self, units: int) -> float:
        """Return ``units`` price units as USD per GPU-hour (float, for the wire and reports).

        Correctly rounded, so ``price_to_units(units_to_price(u)) == u`` for on-tick ``u``.
        """
        return int(units) * self.price_unit_micros / MICROS_PER_USD

    def units_to_decimal(self, units: int) -> Decimal:
        """Return ``units`` price units as an exact ``Decimal`` of USD per GPU-hour."""
        return Decimal(int(units) * self.price_unit_micros) / MICROS_PER_USD

    # ------------------------------------------------------------------- money
    def notional_micros(self, price_units: int, contracts: int) -> int:
        """Return the value of ``contracts`` at ``price_units``, micro-dollars."""
        return price_units * self.unit_value_micros * contracts

    def fee_micros(self, contracts: int, *, maker: bool) -> int:
        """Return the trading fee for one side of a fill of ``contracts``, micro-dollars."""
        return contracts * (self.maker_fee_micros if maker else self.taker_fee_micros)


def _exact_value(usd: float | Decimal | str | int) -> Fraction:
    """Return ``usd`` as an exact rational, reading floats by their shortest repr."""
    if isinstance(usd, bool) or not isinstance(usd, float | Decimal | str | numbers.Integral):
        raise TypeError(f"a price must be a float, Decimal, str or int, got {type(usd).__name__}")
    if isinstance(usd, numbers.Integral):
        return Fraction(int(usd))
    if isinstance(usd, float):
        if not math.isfinite(usd):
            raise ValueError(f"a price must be finite, got {usd!r}")
        # repr is the shortest decimal that reads back as this float: what the user typed.
        return Fraction(repr(usd))
    if isinstance(usd, str):
        try:
            dec = Decimal(usd)
        except InvalidOperation:
            raise ValueError(f"not a decimal price: {usd!r}") from None
    else:
        dec = usd
    if not dec.is_finite():
        raise ValueError(f"a price must be finite, got {usd!r}")
    return Fraction(dec)


DEFAULT_PRODUCTS: dict[str, ProductSpec] = {
    p.code: p
    for p in (
        ProductSpec(
            code="H100",
            index_name="h100_usd",
            description="NVIDIA H100 GPU-hour rental index future (neocloud), cash-settled",
            ref_price_units=281,
            annual_vol=0.26,
            spot_month_position_limit=7_500,
        ),
        ProductSpec(
            code="B200",
            index_name="b200_usd",
            description="NVIDIA B200 GPU-hour rental index future (neocloud), cash-settled",
            ref_price_units=587,
            annual_vol=0.30,
            spot_month_position_limit=5_500,
        ),
        ProductSpec(
            code="A100",
            index_name="a100_usd",
            description="NVIDIA A100 GPU-hour rental index future (neocloud), cash-settled",
            ref_price_units=150,
            annual_vol=0.15,
            # No exchange has filed an A100 contract; we take the lower of the two filed
            # limits because the A100 rental fleet is shrinking (see docs/products.md).
            spot_month_position_limit=5_500,
        ),
    )
}
"""The default products by code: H100, B200 and A100 (figures from MARKET-FACTS.md)."""
