"""Trading calendar: business days, session times and date <-> nanosecond conversions.

A business day is a weekday (Monday to Friday) that is not in the calendar's holiday
set. The default calendar has no holidays; ``us_exchange_holidays`` builds a US list
(NYSE rules) for those who want one. Every business day has one trading session from
``open_time`` to ``close_time`` (UTC times of day, default 00:00 to 21:00 UTC, i.e.
17:00 New York in summer, CME's daily close). Sessions are half-open: a timestamp equal
to the close belongs to the next session. The normative description is in
``docs/products.md``.

Timestamps are integer nanoseconds since 1970-01-01 00:00 UTC (``ts_*`` everywhere in
flopex); a ``date`` is a UTC calendar date.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


# ----------------------------------------------------------------------- conversions
def date_to_ns(d: date) -> int:
    """Return midnight UTC at the start of date ``d``, in ns since the epoch."""
    if isinstance(d, datetime):
        raise TypeError(f"date_to_ns takes a date, not a datetime ({d!r}); use datetime_to_ns")
    return (d.toordinal() - _EPOCH_ORDINAL) * NS_PER_DAY


def ns_to_date(ts: int) -> date:
    """Return the UTC calendar date containing timestamp ``ts`` (ns since the epoch)."""
    return date.fromordinal(_EPOCH_ORDINAL + ts // NS_PER_DAY)


def datetime_to_ns(dt: datetime) -> int:
    """Return the timezone-aware datetime ``dt`` as ns since the epoch (exact, no floats)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"datetime_to_ns needs a timezone-aware datetime, got {dt!r}")
    delta = dt - _EPOCH
    return delta.days * NS_PER_DAY + delta.seconds * NS_PER_SECOND + delta.microseconds * 1_000


def ns_to_datetime(ts: int) -> datetime:
    """Return timestamp ``ts`` (ns) as a UTC datetime, truncated to whole microseconds."""
    return _EPOCH + timedelta(microseconds=ts // 1_000)


def time_of_day_ns(t: time) -> int:
    """Return the UTC time of day ``t`` as ns after midnight (naive times are UTC)."""
    offset = t.utcoffset()
    if offset is not None and offset != timedelta(0):
        raise ValueError(f"session times are UTC; got a time with offset {offset}: {t!r}")
    seconds = t.hour * 3_600 + t.minute * 60 + t.second
    return seconds * NS_PER_SECOND + t.microsecond * 1_000


def month_last_day(year: int, month: int) -> date:
    """Return the last calendar day of ``month`` (1-12) of ``year``."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_of_next - _ONE_DAY


# ----------------------------------------------------------------------- the calendar
@dataclass(frozen=True)
class TradingCalendar:
    """Business days (weekdays minus ``holidays``) and one UTC session per business day.

    ``open_time`` and ``close_time`` are UTC times of day with ``open_time <
    close_time``; the session of business day ``d`` is ``[open_ts(d), close_ts(d))`` in
    ns. Instances are immutable and hashable, so they can key caches.
    """

    holidays: frozenset[date] = frozenset()
    open_time: time = time(0, 0)
    close_time: time = time(21, 0)

    def __post_init__(self) -> None:
        # Accept any iterable of dates but store a frozenset so the calendar stays hashable.
        if not isinstance(self.holidays, frozenset):
            object.__setattr__(self, "holidays", frozenset(self.holidays))
        for h in self.holidays:
            if not isinstance(h, date) or isinstance(h, datetime):
                raise TypeError(f"holidays must be dates, got {h!r}")
        if time_of_day_ns(self.open_time) >= time_of_day_ns(self.close_time):
            raise ValueError(
                f"open_time {self.open_time} must be before close_time {self.close_time} (UTC)"
            )

    @classmethod
    def us(cls, first_year: int = 2000, last_year: int = 2099, **kwargs: time) -> TradingCalendar:
        """Return a calendar with US exchange holidays (NYSE rules) for the given years."""
        return cls(holidays=us_exchange_holidays(first_year, last_year), **kwargs)

    # -------------------------------------------------------------------- days
    def is_business_day(self, d: date) -> bool:
        """Return whether ``d`` is a weekday that is not a holiday."""
        return d.weekday() < _SATURDAY and d not in self.holidays

    def business_days(self, start: date, end: date) -> tuple[date, ...]:
        """Return the business days from ``start`` to ``end``, both inclusive, in order.

        O(number of calendar days in the range); empty when ``end < start``.
        """
        days = []
        d = start
        while d <= end:
            if self.is_business_day(d):
                days.append(d)
            d += _ONE_DAY
        return tuple(days)

    def month_business_days(self, year: int, month: int) -> tuple[date, ...]:
        """Return the business days of ``month`` of ``year`` (cached per calendar)."""
        return _month_business_days(self, year, month)

    def last_business_day(self, year: int, month: int) -> date:
        """Return the last business day of ``month`` of ``year``.

        Raises ``ValueError`` if the holiday set leaves the month without one.
        """
        days = _month_business_days(self, year, month)
        if not days:
            raise ValueError(f"{year}-{month:02d} has no business day in this calendar")
        return days[-1]

    def next_business_day(self, d: date) -> date:
        """Return the first business day strictly after ``d``."""
        return self._step(d, _ONE_DAY)

    def previous_business_day(self, d: date) -> date:
        """Return the last business day strictly before ``d``."""
        return self._step(d, -_ONE_DAY)

    def _step(self, d: date, step: timedelta) -> date:
        # A year without a business day means the holiday set is broken; stop rather than loop.
        for _ in range(366):
            d += step
            if self.is_business_day(d):
                return d
        raise ValueError(f"no business day within a year of {d} in this calendar")

    # -------------------------------------------------------------------- times
    def open_ts(self, d: date) -> int:
        """Return the session open of date ``d`` in ns UTC (whether or not ``d`` trades)."""
        return date_to_ns(d) + time_of_day_ns(self.open_time)

    def close_ts(self, d: date) -> int:
        """Return the session close of date ``d`` in ns UTC (whether or not ``d`` trades)."""
        return date_to_ns(d) + time_of_day_ns(self.close_time)

    def is_open(self, ts: int) -> bool:
        """Return whether ``ts`` (ns) lies inside a session: ``open_ts(d) <= ts < close_ts(d)``."""
        d = ns_to_date(ts)
        return self.is_business_day(d) and self.open_ts(d) <= ts < self.close_ts(d)

    def trading_day(self, ts: int) -> date:
        """Return the business day whose close is the first close strictly after ``ts`` (ns).

        This is the day a trade or event at ``ts`` is settled with: during a session it is
        that session's day; after a close (or at it exactly) it is the next business day.
        """
        d = ns_to_date(ts)
        if self.is_business_day(d) and ts < self.close_ts(d):
            return d
        return self.next_business_day(d)

    def next_close_ts(self, ts: int) -> int:
        """Return the first session close strictly after ``ts``, in ns."""
        return self.close_ts(self.trading_day(ts))


DEFAULT_CALENDAR = TradingCalendar()
"""Weekdays, no holidays, sessions 00:00-21:00 UTC."""


@functools.lru_cache(maxsize=8192)
def _month_business_days(calendar: TradingCalendar, year: int, month: int) -> tuple[date, ...]:
    return calendar.business_days(date(year, month, 1), month_last_day(year, month))


# ---------------------------------------------------------------------- US holidays
def easter_sunday(year: int) -> date:
    """Return Western (Gregorian) Easter Sunday of ``year`` (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """Return the ``n``-th (1-based; -1 = last) ``weekday`` (0 = Monday) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = month_last_day(year, month)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    """Move a fixed-date holiday off the weekend: Saturday -> Friday, Sunday -> Monday."""
    if d.weekday() == 5:
        return d - _ONE_DAY
    if d.weekday() == 6:
        return d + _ONE_DAY
    return d


def us_exchange_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """Return the full-day US exchange holidays of ``first_year..last_year`` (NYSE rules).

    New Year's Day, Martin Luther King Jr. Day, Washington's Birthday, Good Friday,
    Memorial Day, Juneteenth (from 2022), Independence Day, Labor Day, Thanksgiving and
    Christmas, with weekend dates observed on the nearest weekday — except that, as at
    NYSE, a Saturday New Year's Day is not observed on the Friday before. One-off
    closures (national days of mourning, storms) and early closes are not included.
    """
    days: set[date] = set()
    for y in range(first_year, last_year + 1):
        new_year = date(y, 1, 1)
        if new_year.weekday() != 5:
            days.add(_observed(new_year))
        days.add(_nth_weekday(y, 1, 0, 3))  # Martin Luther King Jr. Day
        days.add(_nth_weekday(y, 2, 0, 3))  # Washington's Birthday
        days.add(easter_sunday(y) - timedelta(days=2))  # Good Friday
        days.add(_nth_weekday(y, 5, 0, -1))  # Memorial Day
        if y >= 2022:
            days.add(_observed(date(y, 6, 19)))  # Juneteenth
        days.add(_observed(date(y, 7, 4)))
        days.add(_nth_weekday(y, 9, 0, 1))  # Labor Day
        days.add(_nth_weekday(y, 11, 3, 4))  # Thanksgiving
        days.add(_observed(date(y, 12, 25)))
    return frozenset(days)


def holidays_from(dates: Iterable[date | str]) -> frozenset[date]:
    """Return a holiday set from dates or ISO strings (``"2027-12-24"``), e.g. from a scenario."""
    return frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in dates)
