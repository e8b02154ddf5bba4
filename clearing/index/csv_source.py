"""A user-supplied daily index in a CSV file (rule CR-6).

Format: UTF-8 text, one ``date,value`` row per line. ``date`` is ISO ``YYYY-MM-DD``;
``value`` is the index in USD per GPU-hour as a decimal number (``2.81``). An optional
first line ``date,value`` (any case) is a header; blank lines and lines starting with
``#`` are ignored. Rows must be in strictly ascending date order, one per date, on
business days, with positive values. Values are converted exactly (decimal
arithmetic) to price units of ``price_unit_micros`` µ$.

Missing business days between two rows follow ``MissingDayRule``: ``CARRY_FORWARD``
(the default) repeats the last published value for at most ``max_carry_days``
consecutive business days (``None`` = no limit); ``ERROR`` refuses any gap. Days
before the first row and after the last are not published.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearing.index.base import PublishedSeries
from clearing.money import MICROS_PER_USD
from exchange.calendar import DEFAULT_CALENDAR, TradingCalendar

if TYPE_CHECKING:
    from exchange.products import ProductSpec


class IndexDataError(ValueError):
    """A CSV index file is malformed; ``path`` and 1-based ``line`` say where."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}" if line is None else f"{path} line {line}"
        super().__init__(f"{where}: {message}")


class MissingDayRule(StrEnum):
    """What a missing business day between two CSV rows gets."""

    CARRY_FORWARD = "carry_forward"
    ERROR = "error"


class CsvIndex(PublishedSeries):
    """Daily index read from ``path`` (see module docstring for the format and rules).

    ``non_business_days``: ``"error"`` (default) rejects rows dated on weekends or
    holidays; ``"skip"`` ignores them (for seven-day series).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        price_unit_micros: int = 10_000,
        missing: MissingDayRule = MissingDayRule.CARRY_FORWARD,
        max_carry_days: int | None = 5,
        non_business_days: str = "error",
        calendar: TradingCalendar = DEFAULT_CALENDAR,
    ) -> None:
        if non_business_days not in ("error", "skip"):
            raise ValueError("non_business_days must be 'error' or 'skip'")
        if price_unit_micros <= 0:
            raise ValueError("price_unit_micros must be > 0")
        self.path = Path(path)
        self.missing = MissingDayRule(missing)
        self.max_carry_days = max_carry_days
        cal = calendar
        rows = self._read(cal, non_business_days == "skip")
        per_unit = Decimal(MICROS_PER_USD) / Decimal(price_unit_micros)
        days: list[date] = []
        values: list[float] = []
        carried: list[date] = []
        for i, (line, day, usd) in enumerate(rows):
            if i:
                prev_line, prev_day, _ = rows[i - 1]
                gap = list(cal.business_days(prev_day, day)[1:-1])
                if gap:
                    self._check_gap(prev_line, line, gap)
                    days.extend(gap)
                    values.extend([values[-1]] * len(gap))
                    carried.extend(gap)
            days.append(day)
            values.append(float(usd * per_unit))
        self.carried: tuple[date, ...] = tuple(carried)  # business days carried forward
        super().__init__(name or self.path.stem, days, values)

    @classmethod
    def for_product(cls, path: str | Path, spec: ProductSpec, **kwargs: Any) -> CsvIndex:
        """Return the CSV index of product ``spec`` (its name and price unit)."""
        return cls(
            path,
            name=spec.index_name,
            price_unit_micros=spec.price_unit_micros,
            **kwargs,
        )

    def _error(self, line: int | None, message: str) -> IndexDataError:
        return IndexDataError(self.path, line, message)

    def _check_gap(self, prev_line: int, line: int, gap: list[date]) -> None:
        first, n = gap[0].isoformat(), len(gap)
        if self.missing is MissingDayRule.ERROR:
            raise self._error(
                line,
                f"{n} business day(s) missing since line {prev_line} (first {first}); "
                "missing days are errors for this index",
            )
        if self.max_carry_days is not None and n > self.max_carry_days:
            raise self._error(
                line,
                f"{n} business days missing since line {prev_line} (first {first}); at most "
                f"{self.max_carry_days} may be carried forward",
            )

    def _read(self, cal: TradingCalendar, skip: bool) -> list[tuple[int, date, Decimal]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise self._error(None, "file not found") from None
        except UnicodeDecodeError as exc:
            raise self._error(None, f"not UTF-8 text ({exc.reason})") from None
        rows: list[tuple[int, date, Decimal]] = []
        seen_data = False
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            fields = [f.strip() for f in line.split(",")]
            if not seen_data and [f.lower() for f in fields] == ["date", "value"]:
                seen_data = True
                continue
            seen_data = True
            if len(fields) != 2:
                raise self._error(number, f"expected 2 fields 'date,value', got {len(fields)}")
            try:
                day = date.fromisoformat(fields[0])
            except ValueError:
                raise self._error(number, f"bad date {fields[0]!r}, expected YYYY-MM-DD") from None
            try:
                usd = Decimal(fields[1])
            except InvalidOperation:
                raise self._error(number, f"bad value {fields[1]!r}, expected a number") from None
            if not usd.is_finite():
                raise self._error(number, f"value {fields[1]!r} is not a finite number")
            if usd <= 0:
                raise self._error(number, f"value {fields[1]} must be positive")
            if not cal.is_business_day(day):
                if skip:
                    continue
                raise self._error(
                    number, f"{day.isoformat()} ({day.strftime('%A')}) is not a business day"
                )
            if rows:
                prev_line, prev_day, _ = rows[-1]
                if day == prev_day:
                    raise self._error(
                        number, f"duplicate date {day.isoformat()} (also on line {prev_line})"
                    )
                if day < prev_day:
                    raise self._error(
                        number,
                        f"dates not sorted: {day.isoformat()} after {prev_day.isoformat()} "
                        f"on line {prev_line}",
                    )
            rows.append((number, day, usd))
        if not rows:
            raise self._error(None, "no data rows")
        return rows
