"""Contract names: ``{PRODUCT}-{D}{MMM}{YY}`` of the last trading day, Deribit style.

``H100-31MAR27`` is the H100 contract whose last trading day is 31 March 2027. The day
has no leading zero (``BTC-3JAN25`` on Deribit), the month is an upper-case English
abbreviation, the year has two digits (2000-2099), and there are no dots, ever. A
product code is upper-case letters and digits starting with a letter, so the hyphen
separates product and date unambiguously. Each contract has exactly one name:
``parse_contract_name`` rejects leading zeros, lower case and impossible dates rather
than normalising them. Re-exported by ``exchange.products``.
"""

from __future__ import annotations

import re
from datetime import date

MONTH_CODES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_NUMBER = {code: i + 1 for i, code in enumerate(MONTH_CODES)}

PRODUCT_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{0,15}")
_NAME_RE = re.compile(r"(?P<product>[^-]*)-(?P<day>[0-9]+)(?P<month>[A-Za-z]+)(?P<year>[0-9]+)")


def check_product_code(code: str) -> None:
    """Raise ``ValueError`` unless ``code`` is 1-16 upper-case letters/digits, letter first."""
    if not PRODUCT_CODE_RE.fullmatch(code):
        raise ValueError(
            f"invalid product code {code!r}: use 1-16 upper-case letters and digits, "
            "starting with a letter (e.g. 'H100')"
        )


def contract_name(product: str, last_trading_day: date) -> str:
    """Return the contract name for ``product`` and its ``last_trading_day``.

    >>> contract_name("H100", date(2027, 3, 31))
    'H100-31MAR27'
    """
    check_product_code(product)
    if not 2000 <= last_trading_day.year <= 2099:
        raise ValueError(
            f"contract names carry a two-digit year; {last_trading_day.year} is outside 2000-2099"
        )
    month = MONTH_CODES[last_trading_day.month - 1]
    return f"{product}-{last_trading_day.day}{month}{last_trading_day.year % 100:02d}"


def parse_contract_name(name: str) -> tuple[str, date]:
    """Return ``(product, last_trading_day)`` from a name such as ``"H100-31MAR27"``.

    Raises ``ValueError`` naming the problem for anything that ``contract_name`` would not
    produce. It does not check that the date is a business day: that needs a calendar
    (``exchange.products.contract_from_name`` does).
    """
    if not isinstance(name, str):
        raise ValueError(f"contract name must be a string, got {type(name).__name__}")
    m = _NAME_RE.fullmatch(name)
    if m is None:
        raise ValueError(
            f"malformed contract name {name!r}: expected PRODUCT-DMMMYY, e.g. 'H100-31MAR27'"
        )
    product, day_s, month_s, year_s = m.group("product", "day", "month", "year")
    try:
        check_product_code(product)
    except ValueError as e:
        raise ValueError(f"malformed contract name {name!r}: {e}") from None
    if month_s not in _MONTH_NUMBER:
        raise ValueError(
            f"malformed contract name {name!r}: month {month_s!r} is not one of "
            f"{', '.join(MONTH_CODES)}"
        )
    if len(year_s) != 2:
        raise ValueError(f"malformed contract name {name!r}: the year must have two digits")
    if day_s.startswith("0") or len(day_s) > 2:
        raise ValueError(
            f"malformed contract name {name!r}: the day is 1 or 2 digits without a leading zero"
        )
    try:
        d = date(2000 + int(year_s), _MONTH_NUMBER[month_s], int(day_s))
    except ValueError as e:
        raise ValueError(f"malformed contract name {name!r}: {e}") from None
    return product, d
