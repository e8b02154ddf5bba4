"""Builders for clearing-house tests: a small venue, pipeline and house, and helpers.

Defaults: one product, ``H100`` with 3 listed months (Nov 26, Dec 26, Jan 27 on the
start day), a constant index of 281 price units ($2.81), and a flat margin model (a
fixed amount per contract) so that figures can be worked out by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
import numpy.typing as npt

from clearing.accounts import AccountRegistry, AccountType, Origin
from clearing.contracts import ContractSet
from clearing.house import ClearingHouse, HouseParams
from clearing.index.base import IndexSource, PublishedSeries
from clearing.margin import MarginModel, MarginRequirements, MarketState
from clearing.span import SpanParams, initial_from_maintenance
from exchange import codes as c
from exchange import commands as C
from exchange.calendar import DEFAULT_CALENDAR as CAL
from exchange.calendar import datetime_to_ns
from exchange.pipeline import Pipeline
from exchange.products import DEFAULT_PRODUCTS, ProductSpec
from exchange.venue import Venue

IntArray = npt.NDArray[np.int64]
USD = 1_000_000
H100 = dataclasses.replace(DEFAULT_PRODUCTS["H100"], months_listed=3)
START = date(2026, 11, 16)  # a Monday; the front month is November 2026
DEC = 1  # column of H100-31DEC26 in the default set-up
UNIT = H100.unit_value_micros  # 7.30 USD per price unit per contract
BUY, SELL = c.SIDE_BUY, c.SIDE_SELL


class FlatMargin:
    """A margin model charging ``per_contract`` µ$ of maintenance per contract held
    (Σ|position| over contracts); initial per CR-19 (speculators 110%)."""

    def __init__(self, contracts: ContractSet, per_contract: int = 100 * USD) -> None:
        self.contracts = contracts
        self.per_contract = per_contract

    def requirements(
        self, positions: npt.ArrayLike, account_types: npt.ArrayLike, market: MarketState
    ) -> MarginRequirements:
        pos = np.asarray(positions, dtype=np.int64)
        maintenance = np.abs(pos).sum(axis=1) * self.per_contract
        initial = initial_from_maintenance(maintenance, account_types, SpanParams())
        scan = maintenance[:, None]
        return MarginRequirements(maintenance, initial, scan, np.zeros_like(scan))


def flat_margin(contracts: ContractSet) -> MarginModel:
    """Return a ``FlatMargin`` of $100 a contract."""
    return FlatMargin(contracts)


def constant_index(units: int = 281, name: str = "h100_usd") -> PublishedSeries:
    """Return an index printing ``units`` price units on every business day of 2026-27."""
    days = CAL.business_days(date(2026, 9, 1), date(2027, 12, 31))
    return PublishedSeries(name, days, np.full(len(days), float(units)))


def at(day: date, hh: int, mm: int = 0) -> int:
    """Return ``hh:mm`` UTC on ``day`` in ns."""
    return datetime_to_ns(datetime.combine(day, time(hh, mm), tzinfo=UTC))


@dataclass
class Market:
    """A venue, its pipeline and clearing house, and the registry behind them."""

    venue: Venue
    pipe: Pipeline
    registry: AccountRegistry
    house: ClearingHouse

    def slot(self, column: int) -> int:
        """Return the engine slot of the contract in ``column``."""
        return int(self.house.cols.contracts.slots[column])  # type: ignore[union-attr]

    def order(
        self, account: int, column: int, side: int, qty: int, price: int, ts: int, **kw: int
    ) -> IntArray:
        """Submit a limit order (GTC unless ``tif``) through the pipeline; return events."""
        return self.pipe.submit(C.limit(self.slot(column), account, side, qty, price, ts=ts, **kw))

    def market_order(self, account: int, column: int, side: int, qty: int, ts: int) -> IntArray:
        """Submit an IOC market order through the pipeline; return events."""
        return self.pipe.submit(C.market(self.slot(column), account, side, qty, ts=ts))

    def cash(self, account: int) -> int:
        """Return the account's cash, µ$."""
        return self.house.ledger.cash(account)


def build_market(
    accounts: list[tuple[int, AccountType]] | None = None,
    *,
    n_members: int = 3,
    params: HouseParams | None = None,
    products: Mapping[str, ProductSpec] | None = None,
    index: Mapping[str, IndexSource] | None = None,
    margin: object = flat_margin,
    start: date = START,
) -> Market:
    """Return an opened market. ``accounts`` lists (member, type) in id order; by
    default one MEMBER house account per member. Origins follow the type."""
    registry = AccountRegistry()
    for i in range(n_members):
        registry.add_member(f"member {i}")
    for member, kind in accounts or [(m, AccountType.MEMBER) for m in range(n_members)]:
        origin = Origin.HOUSE if kind is AccountType.MEMBER else Origin.CUSTOMER
        registry.open_account(member, origin, kind)
    products = products or {"H100": H100}
    venue = Venue(products, n_accounts=64)
    pipe = Pipeline(venue)
    house = ClearingHouse(
        pipe,
        registry,
        index or {"H100": constant_index()},
        params,
        margin,  # type: ignore[arg-type]
    )
    pipe.open(CAL.open_ts(start))
    return Market(venue, pipe, registry, house)


def rejects(events: IntArray) -> list[int]:
    """Return the reject codes among ``events``."""
    return [int(e[c.E_CODE]) for e in events if e[c.E_KIND] == c.EV_REJECTED]


def kinds(events: IntArray) -> list[int]:
    """Return the event kinds of ``events`` in order."""
    return [int(k) for k in events[:, c.E_KIND]]
