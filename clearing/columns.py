"""The contracts the clearing house carries, as columns, with their marks (rule CR-32).

Columns follow the venue's listings: a contract gets a column when it is listed and loses
it when it has been finally settled. A contract the venue has expired before its final
settlement keeps its column, with a *phantom* slot number beyond the engine's slots (no
trade can name it). Per column the house keeps its mark (the last price variation margin
was paid at) and its last daily settlement price, both µ$ per GPU-hour, and per account
and column the variation margin paid so far (µ$). ``rebuild`` carries all of it by
contract name; a new contract's first mark is the last settlement of the nearest month of
its product, or the index when it is the product's only contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

from clearing.contracts import ContractSet
from exchange.calendar import TradingCalendar
from exchange.products import Contract, ProductSpec

IntArray = npt.NDArray[np.int64]


class Columns:
    """A ``ContractSet`` over the carried contracts plus per-column prices and VM paid."""

    def __init__(
        self, products: Mapping[str, ProductSpec], calendar: TradingCalendar, n_slots: int
    ) -> None:
        self.products = dict(products)
        self.codes = list(self.products)
        self.calendar = calendar
        self.n_slots = n_slots
        self.contracts: ContractSet | None = None
        self.names: list[str] = []
        self.marks = np.zeros(0, dtype=np.int64)
        self.settles = np.zeros(0, dtype=np.int64)
        self.vm_paid = np.zeros((0, 0), dtype=np.int64)
        self.slot_col = np.full(n_slots, -1, dtype=np.int64)
        self._set_static([])

    def __len__(self) -> int:
        return len(self.names)

    def _set_static(self, ks: list[Contract]) -> None:
        specs = [self.products[k.product] for k in ks]
        self.price_unit_micros = np.array([s.price_unit_micros for s in specs], dtype=np.int64)
        self.contract_hours = np.array([s.contract_hours for s in specs], dtype=np.int64)
        self.tick_micros = np.array([s.tick_micros for s in specs], dtype=np.int64)
        self.tick_units = np.array([s.tick_units for s in specs], dtype=np.int64)
        self.max_units = np.array([s.max_price_units for s in specs], dtype=np.int64)
        self.product_pos = np.array([self.codes.index(k.product) for k in ks], dtype=np.int64)
        self.month_index = np.array([k.month_index for k in ks], dtype=np.int64)

    def grow(self, n_accounts: int) -> None:
        """Make room for ``n_accounts`` rows of VM paid."""
        extra = n_accounts - self.vm_paid.shape[0]
        if extra > 0:
            pad = np.zeros((extra, self.vm_paid.shape[1]), dtype=np.int64)
            self.vm_paid = np.vstack([self.vm_paid, pad])

    def rebuild(
        self,
        live: Mapping[int, Contract],
        keep: list[Contract],
        first_mark: Callable[[Contract], int],
    ) -> bool:
        """Set the columns to ``live`` (engine slot → contract) plus ``keep`` (expired,
        not yet settled); return whether anything changed. O(A·C)."""
        by_slot = {k.name: s for s, k in live.items()}
        ks = [*live.values(), *[k for k in keep if k.name not in by_slot]]
        ks.sort(key=lambda k: (self.codes.index(k.product), k.month_index))
        slots, phantom = [], self.n_slots
        for k in ks:
            if k.name in by_slot:
                slots.append(by_slot[k.name])
            else:
                slots.append(phantom)
                phantom += 1
        old = self.contracts
        if old is not None and [k.name for k in ks] == self.names and old.slots.tolist() == slots:
            return False
        old_pos = {name: j for j, name in enumerate(self.names)}
        marks = np.zeros(len(ks), dtype=np.int64)
        settles = np.zeros(len(ks), dtype=np.int64)
        vm = np.zeros((self.vm_paid.shape[0], len(ks)), dtype=np.int64)
        for j, k in enumerate(ks):
            i = old_pos.get(k.name)
            if i is not None:
                marks[j], settles[j], vm[:, j] = self.marks[i], self.settles[i], self.vm_paid[:, i]
        for j, k in enumerate(ks):
            if k.name not in old_pos:
                marks[j] = settles[j] = self._nearest(k, ks, settles, old_pos) or first_mark(k)
        self.names = [k.name for k in ks]
        self.marks, self.settles, self.vm_paid = marks, settles, vm
        self._set_static(ks)
        self.contracts = ContractSet(ks, self.products, slots, self.calendar) if ks else None
        self.slot_col = np.full(self.n_slots, -1, dtype=np.int64)
        for j, s in enumerate(slots):
            if s < self.n_slots:
                self.slot_col[s] = j
        return True

    @staticmethod
    def _nearest(k: Contract, ks: list[Contract], settles: IntArray, old: Mapping[str, int]) -> int:
        """Return the settlement of the carried month of ``k``'s product nearest to it
        (earlier month on a tie), 0 if there is none."""
        peers = [(abs(p.month_index - k.month_index), p.month_index, j) for j, p in enumerate(ks)]
        peers = [t for t in peers if ks[t[2]].product == k.product and ks[t[2]].name in old]
        return int(settles[min(peers)[2]]) if peers else 0

    def column(self, name: str) -> int:
        """Return the column of contract ``name``; raise ``KeyError``."""
        return self.names.index(name)

    def mark_units(self, prices: IntArray | None = None) -> IntArray:
        """Return ``prices`` (default the marks), µ$/GPU-hour, as price units rounded half
        to even and clamped to the product's grid (for margin and price bands)."""
        p = self.marks if prices is None else prices
        if len(p) == 0:
            return np.zeros(0, dtype=np.int64)
        units = np.rint(p / self.price_unit_micros).astype(np.int64)
        return np.clip(units, 1, self.max_units)

    def spot_columns(self) -> IntArray:
        """Return, per column, True when it is its product's front traded contract."""
        out = np.zeros(len(self.names), dtype=bool)
        traded = np.zeros(len(self.names), dtype=bool)
        traded[self.slot_col[self.slot_col >= 0]] = True
        for p in np.unique(self.product_pos):
            cols = np.flatnonzero((self.product_pos == p) & traded)
            if cols.size:
                out[cols[np.argmin(self.month_index[cols])]] = True
        return out
