"""The contracts the clearing house carries positions in, as columns of its matrices.

A ``ContractSet`` fixes the column order of every accounts × contracts matrix
(positions, margin): column ``j`` is ``contracts[j]``, an ``exchange.products.Contract``
of a product in ``products``. ``slots[j]`` is the matching engine's instrument slot
for that column (TRADE events carry slots). The default listing is product-major: all
36 months of the first product, front first, then the next product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from exchange.calendar import DEFAULT_CALENDAR, TradingCalendar
from exchange.products import Contract, ProductSpec, listed_contracts

IntArray = npt.NDArray[np.int64]


class ContractSet:
    """Columns of the clearing matrices: contracts, their products and engine slots.

    Arrays (length C, ``int64``): ``product_index`` (position in ``codes``),
    ``unit_value_micros`` (µ$ per price unit per contract), ``maker_fee_micros`` and
    ``taker_fee_micros`` (µ$ per contract per side), ``month_index`` (year·12 + month − 1),
    ``slots`` (engine instrument slot).
    """

    def __init__(
        self,
        contracts: Sequence[Contract],
        products: Mapping[str, ProductSpec],
        slots: Sequence[int] | None = None,
        calendar: TradingCalendar = DEFAULT_CALENDAR,
    ) -> None:
        if not contracts:
            raise ValueError("a contract set needs at least one contract")
        names = [c.name for c in contracts]
        if len(set(names)) != len(names):
            raise ValueError("duplicate contracts in a contract set")
        missing = sorted({c.product for c in contracts} - set(products))
        if missing:
            raise ValueError(f"no product specification for {missing}")
        self.contracts: tuple[Contract, ...] = tuple(contracts)
        self.calendar = calendar
        self.codes: tuple[str, ...] = tuple(dict.fromkeys(c.product for c in contracts))
        self.products: tuple[ProductSpec, ...] = tuple(products[c] for c in self.codes)
        specs = [products[c.product] for c in contracts]
        self.product_index: IntArray = np.array(
            [self.codes.index(c.product) for c in contracts], dtype=np.int64
        )
        self.unit_value_micros: IntArray = np.array(
            [s.unit_value_micros for s in specs], dtype=np.int64
        )
        self.maker_fee_micros: IntArray = np.array([s.maker_fee_micros for s in specs], np.int64)
        self.taker_fee_micros: IntArray = np.array([s.taker_fee_micros for s in specs], np.int64)
        self.month_index: IntArray = np.array([c.month_index for c in contracts], dtype=np.int64)
        slot_list = list(range(len(contracts))) if slots is None else [int(s) for s in slots]
        if len(slot_list) != len(contracts) or len(set(slot_list)) != len(slot_list):
            raise ValueError("need one distinct engine slot per contract")
        if min(slot_list) < 0:
            raise ValueError("engine slots must be >= 0")
        self.slots: IntArray = np.array(slot_list, dtype=np.int64)
        self._by_name = {name: j for j, name in enumerate(names)}

    @classmethod
    def listed(
        cls,
        products: Mapping[str, ProductSpec],
        on: date,
        calendar: TradingCalendar = DEFAULT_CALENDAR,
    ) -> ContractSet:
        """Return every contract listed on ``on``, product-major, slots 0 … C−1."""
        contracts = [c for spec in products.values() for c in listed_contracts(spec, on, calendar)]
        return cls(contracts, products, calendar=calendar)

    def __len__(self) -> int:
        return len(self.contracts)

    def column(self, name: str) -> int:
        """Return the column of contract ``name`` (e.g. ``"H100-31MAR27"``)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"contract {name!r} is not in this contract set") from None

    def columns_of(self, code: str) -> IntArray:
        """Return the columns of product ``code`` in column order."""
        return np.flatnonzero(self.product_index == self.codes.index(code)).astype(np.int64)

    def slot_to_column(self, n_slots: int | None = None) -> IntArray:
        """Return an array mapping engine slot → column (−1 for slots not carried)."""
        size = int(self.slots.max()) + 1 if n_slots is None else n_slots
        out = np.full(size, -1, dtype=np.int64)
        out[self.slots] = np.arange(len(self.contracts), dtype=np.int64)
        return out

    def months_ahead(self, as_of: date) -> IntArray:
        """Return each contract's month minus ``as_of``'s month (0 = the current month)."""
        return self.month_index - (as_of.year * 12 + as_of.month - 1)
