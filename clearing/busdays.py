"""Vectorised business-day counts over ``exchange.calendar.TradingCalendar``.

The clearing house measures model time in business days of the exchange's trading
calendar (a year is ``days_per_year`` = 252 of them, rule CR-2). The calendar decides
which days are business days; this module only counts them fast with numpy.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from exchange.calendar import TradingCalendar


@functools.lru_cache(maxsize=64)
def _numpy_calendar(calendar: TradingCalendar) -> np.busdaycalendar:
    holidays = np.array(sorted(calendar.holidays), dtype="datetime64[D]")
    return np.busdaycalendar(weekmask="1111100", holidays=holidays)


def business_days_after(
    calendar: TradingCalendar, as_of: date, days: Sequence[date] | npt.NDArray[np.datetime64]
) -> npt.NDArray[np.int64]:
    """Return, for each of ``days``, the number of business days in (as_of, day].

    The next business day after ``as_of`` counts 1, the one after 2, and so on; days on
    or before ``as_of`` count 0 or less. O(len(days)).
    """
    ends = np.asarray(days, dtype="datetime64[D]") + np.timedelta64(1, "D")
    begin = np.datetime64(as_of, "D") + np.timedelta64(1, "D")
    counts = np.busday_count(begin, ends, busdaycal=_numpy_calendar(calendar))
    return np.asarray(counts, dtype=np.int64)
