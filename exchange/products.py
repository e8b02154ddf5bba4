"""Products and contracts: the one place to import product and listing names from.

A *product* (``ProductSpec``) is a GPU-hour index future such as ``H100``: 730 GPU-hours
a contract, quoted in USD per GPU-hour. A *contract* (``Contract``) is one calendar month
of a product, named after its last trading day (``H100-31MAR27``). Each product lists
``months_listed`` (36) consecutive monthly contracts; when the front one expires at the
close of its last trading day, the next month becomes the front and a new back month is
listed at the same instant, so exactly 36 trade at any time.

Units: prices in integer price units ($0.01 per GPU-hour by default), money in integer
micro-dollars, quantities in contracts, timestamps in integer ns UTC, dates UTC.
The code lives in ``exchange.product_spec`` (specifications and price conversion),
``exchange.contract_names`` (naming) and ``exchange.listing`` (contracts and the
listing schedule); the trading calendar is ``exchange.calendar``. The normative
description is ``docs/products.md``.
"""

from __future__ import annotations

from exchange.contract_names import (
    MONTH_CODES,
    check_product_code,
    contract_name,
    parse_contract_name,
)
from exchange.listing import (
    Contract,
    ListingEvent,
    combined_schedule,
    contract_for_month,
    contract_from_name,
    front_month,
    listed_contracts,
    live_contracts,
    schedule,
)
from exchange.product_spec import DEFAULT_PRODUCTS, MICROS_PER_USD, ProductSpec

__all__ = [
    "DEFAULT_PRODUCTS",
    "MICROS_PER_USD",
    "MONTH_CODES",
    "Contract",
    "ListingEvent",
    "ProductSpec",
    "check_product_code",
    "combined_schedule",
    "contract_for_month",
    "contract_from_name",
    "contract_name",
    "front_month",
    "listed_contracts",
    "live_contracts",
    "parse_contract_name",
    "schedule",
]
