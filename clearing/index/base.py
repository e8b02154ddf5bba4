"""The index-source protocol and the published series both sources build (rule CR-3).

An index source publishes one value per business day. Each value exists in two forms:
``value(day)``, a float in price units (for models and reports), and ``units(day)``,
the same value rounded half-to-even to an integer of price units. **The clearing house
uses the integer print** (``units``) for everything that touches money; the float is
for statistics and plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from clearing.errors import ClearingError
from clearing.money import index_print_units


class IndexNotPublished(ClearingError, LookupError):
    """No index value is published for the requested day."""


@runtime_checkable
class IndexSource(Protocol):
    """A daily index: one value per business day, in price units of its product."""

    @property
    def name(self) -> str:
        """Return the index name (e.g. ``"H100"``)."""
        ...

    @property
    def days(self) -> tuple[date, ...]:
        """Return the publication days, ascending, one per business day."""
        ...

    def value(self, day: date) -> float:
        """Return the value published for ``day``, float price units."""
        ...

    def units(self, day: date) -> int:
        """Return the value published for ``day``, integer price units (half-even)."""
        ...


class PublishedSeries:
    """A finished series of daily prints: the storage both index sources share.

    ``days`` ascending dates, ``values`` float price units (> 0). Look-ups are O(1).
    """

    def __init__(self, name: str, days: Sequence[date], values: npt.ArrayLike) -> None:
        vals = np.asarray(values, dtype=np.float64)
        if len(days) != vals.shape[0] or vals.ndim != 1:
            raise ValueError("need one value per day")
        if len(days) == 0:
            raise ValueError("an index series needs at least one day")
        self._name = name
        self._days = tuple(days)
        self._values = vals
        self._units = index_print_units(vals)
        self._pos = {d: i for i, d in enumerate(self._days)}

    @property
    def name(self) -> str:
        """Return the index name."""
        return self._name

    @property
    def days(self) -> tuple[date, ...]:
        """Return the publication days, ascending."""
        return self._days

    def _index(self, day: date) -> int:
        try:
            return self._pos[day]
        except KeyError:
            raise IndexNotPublished(
                f"{self._name}: no value for {day.isoformat()} (published business days "
                f"{self._days[0].isoformat()} .. {self._days[-1].isoformat()})"
            ) from None

    def value(self, day: date) -> float:
        """Return the float value for ``day``, price units."""
        return float(self._values[self._index(day)])

    def units(self, day: date) -> int:
        """Return the integer print for ``day``, price units (half-even, at least 1)."""
        return int(self._units[self._index(day)])

    def values_array(self) -> npt.NDArray[np.float64]:
        """Return all float values in day order (read-only view)."""
        view = self._values.view()
        view.flags.writeable = False
        return view

    def units_array(self) -> npt.NDArray[np.int64]:
        """Return all integer prints in day order (read-only view)."""
        view = self._units.view()
        view.flags.writeable = False
        return view
