"""The game clock: a simulated, pausable venue clock that runs through trading sessions.

With ``Settings.seconds_per_day`` > 0 the gateway's venue clock is a ``GameClock``. It
starts at the trading open of ``Settings.start_date`` (or of the first business day
after it, if that date does not trade) and runs through the calendar's business days
only: one session (``open_ts(d)`` to ``close_ts(d)``, 21 h with the default calendar)
passes in ``seconds_per_day`` wall seconds, at a constant rate. Nights, weekends and
holidays are skipped: venue time goes from just before a business day's close straight
to the next business day's open, so every wall second is trading time. The close
instant itself is never returned by ``now_ns``; the clearing cycle of the day runs at
its close as soon as the clock has passed it (gateway/clearing_mode.py).

While the clock is paused venue time stands still; ``resume`` carries on from where it
stopped. Venue times are integer ns since the epoch; wall times are the monotonic clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from exchange.calendar import DEFAULT_CALENDAR, NS_PER_SECOND, TradingCalendar

NS_PER_S = NS_PER_SECOND


class GameClock:
    """A venue clock where one business day lasts ``seconds_per_day`` wall seconds.

    ``start`` is the first date (the clock starts at the open of the first business day
    on or after it). ``wall_ns`` is the wall clock (monotonic ns; tests pass their own).
    """

    def __init__(
        self,
        seconds_per_day: float,
        start: date,
        calendar: TradingCalendar = DEFAULT_CALENDAR,
        wall_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        if not seconds_per_day > 0:
            raise ValueError(f"seconds_per_day must be positive, got {seconds_per_day!r}")
        self.calendar = calendar
        self._seconds_per_day = float(seconds_per_day)
        self._day_ns = max(1, round(self._seconds_per_day * NS_PER_S))
        first = start if calendar.is_business_day(start) else calendar.next_business_day(start)
        self.start_day = first
        self._days: list[date] = [first]
        """Business days from ``start_day`` on, grown on demand (index = days elapsed)."""
        self._wall = wall_ns
        self._elapsed = 0
        """Wall ns the clock ran before the last resume."""
        self._since: int | None = wall_ns()
        """Wall ns of the last resume (None while paused)."""

    # ------------------------------------------------------------------ state
    @property
    def seconds_per_day(self) -> float:
        """Return the wall seconds one business day lasts."""
        return self._seconds_per_day

    @property
    def paused(self) -> bool:
        """Return whether venue time stands still."""
        return self._since is None

    def pause(self) -> None:
        """Stop venue time (no effect if already paused)."""
        if self._since is not None:
            self._elapsed += max(0, self._wall() - self._since)
            self._since = None

    def resume(self) -> None:
        """Let venue time run again from where it stopped (no effect if running)."""
        if self._since is None:
            self._since = self._wall()

    def elapsed_wall_ns(self) -> int:
        """Return the wall ns the clock has run (pauses excluded)."""
        running = 0 if self._since is None else max(0, self._wall() - self._since)
        return self._elapsed + running

    # ------------------------------------------------------------------ reading
    def _business_day(self, k: int) -> date:
        days = self._days
        while len(days) <= k:
            days.append(self.calendar.next_business_day(days[-1]))
        return days[k]

    def now_ns(self) -> int:
        """Return venue time, ns since the epoch (never at a close; see the module)."""
        k, into = divmod(self.elapsed_wall_ns(), self._day_ns)
        d = self._business_day(k)
        open_ts = self.calendar.open_ts(d)
        session = self.calendar.close_ts(d) - open_ts
        return open_ts + into * session // self._day_ns

    def day(self) -> date:
        """Return the business day venue time is in."""
        return self._business_day(self.elapsed_wall_ns() // self._day_ns)

    def days_elapsed(self) -> int:
        """Return the number of business days completed since the start."""
        return self.elapsed_wall_ns() // self._day_ns

    def wall_seconds_until(self, venue_ts: int) -> float | None:
        """Return the running wall seconds until the clock shows ``venue_ts`` ns (0 if
        already passed; None if it falls outside every session, e.g. on a weekend, in
        which case the clock jumps past it at the next open)."""
        now = self.now_ns()
        if venue_ts <= now:
            return 0.0
        d = self.day()
        k = self.days_elapsed()
        for _ in range(10_000):
            open_ts, close_ts = self.calendar.open_ts(d), self.calendar.close_ts(d)
            if venue_ts < open_ts:
                return None
            if venue_ts < close_ts:
                into = (venue_ts - open_ts) * self._day_ns // (close_ts - open_ts)
                return (k * self._day_ns + into - self.elapsed_wall_ns()) / NS_PER_S
            k += 1
            d = self._business_day(k)
        return None
