"""Money and rounding: every amount the clearing house owns is an integer of micro-dollars.

One micro-dollar (µ$) is 10⁻⁶ USD. Prices stay in integer *price units* of the
instrument grid (``ProductSpec.price_unit_micros`` µ$ per GPU-hour, $0.01 by default)
and quantities in whole contracts, so a contract's value is
``price_units * unit_value_micros`` µ$ with ``unit_value_micros =
price_unit_micros * contract_hours`` (7,300,000 µ$ = $7.30 per price unit per contract
by default). Floats appear only in models and reports (rule CR-1 in
``docs/clearing-rules.md``).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from clearing.errors import InvalidAmount
from exchange.products import MICROS_PER_USD

__all__ = [
    "MICROS_PER_USD",
    "ceil_div",
    "check_amount",
    "div_round_half_even",
    "index_print_units",
    "micros_to_usd",
    "usd_to_micros",
]


def usd_to_micros(usd: str | int | Decimal) -> int:
    """Return the exact µ$ amount of ``usd`` dollars given as a decimal string or integer.

    Raises ``ValueError`` if the amount has a fraction below one micro-dollar; floats are
    refused because a binary float rarely holds a decimal amount exactly.
    """
    if isinstance(usd, float):
        raise TypeError("pass dollars as a decimal string, int or Decimal, not a float")
    amount = Decimal(usd) * MICROS_PER_USD
    if amount != amount.to_integral_value():
        raise ValueError(f"{usd} USD is not a whole number of micro-dollars")
    return int(amount)


def micros_to_usd(micros: int) -> float:
    """Return ``micros`` µ$ as a float number of dollars (for reports only)."""
    return micros / MICROS_PER_USD


def ceil_div(num: int, den: int) -> int:
    """Return ⌈num / den⌉ for integers, ``den`` > 0 (exact, no float)."""
    return -((-num) // den)


def div_round_half_even(num: int, den: int) -> int:
    """Return num / den rounded to the nearest integer, ties to even; ``den`` > 0."""
    q, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and q % 2 == 1):
        q += 1
    return q


def index_print_units(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Return float index values (price units) as integer prints: half to even, at least 1."""
    return np.maximum(np.rint(np.asarray(values, dtype=np.float64)), 1).astype(np.int64)


def check_amount(amount: object, what: str = "amount") -> int:
    """Return ``amount`` as a Python int if it is a positive integer number of µ$.

    Raises ``clearing.errors.InvalidAmount`` for bools, floats, zero and negatives.
    """
    if isinstance(amount, bool) or not isinstance(amount, int | np.integer):
        raise InvalidAmount(f"{what} must be an integer number of micro-dollars, got {amount!r}")
    value = int(amount)
    if value <= 0:
        raise InvalidAmount(f"{what} must be positive, got {value} µ$")
    return value
