"""The trading calendar (docs/products.md PR-4): business days, sessions, ns times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.calendar import (
    DEFAULT_CALENDAR,
    NS_PER_DAY,
    TradingCalendar,
    date_to_ns,
    datetime_to_ns,
    easter_sunday,
    holidays_from,
    month_last_day,
    ns_to_date,
    ns_to_datetime,
    us_exchange_holidays,
)

CAL = DEFAULT_CALENDAR
US = TradingCalendar.us(2020, 2040)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def utc_ns(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return datetime_to_ns(datetime(year, month, day, hour, minute, tzinfo=UTC))


# ---------------------------------------------------------------------- PR-4 conversions
def test_the_epoch_is_zero_nanoseconds() -> None:
    assert date_to_ns(date(1970, 1, 1)) == 0
    assert ns_to_date(0) == date(1970, 1, 1)


def test_a_date_converts_to_midnight_utc_in_nanoseconds() -> None:
    assert date_to_ns(date(2027, 3, 31)) == utc_ns(2027, 3, 31) == 1_806_451_200 * 10**9


def test_a_timestamp_just_before_midnight_belongs_to_the_earlier_date() -> None:
    assert ns_to_date(date_to_ns(date(2027, 4, 1)) - 1) == date(2027, 3, 31)
    assert ns_to_date(-1) == date(1969, 12, 31)


@given(dates, st.integers(min_value=0, max_value=NS_PER_DAY - 1))
def test_any_time_of_day_maps_back_to_its_date(d: date, ns_into_day: int) -> None:
    assert ns_to_date(date_to_ns(d) + ns_into_day) == d


def test_aware_datetimes_in_any_zone_convert_exactly() -> None:
    new_york_summer = timezone(timedelta(hours=-4))
    five_pm_new_york = datetime(2027, 6, 1, 17, 0, 0, 123_456, tzinfo=new_york_summer)
    assert datetime_to_ns(five_pm_new_york) == utc_ns(2027, 6, 1, 21) + 123_456_000
    assert ns_to_datetime(datetime_to_ns(five_pm_new_york)) == five_pm_new_york


def test_naive_datetimes_and_datetimes_passed_as_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        datetime_to_ns(datetime(2027, 1, 1))
    with pytest.raises(TypeError, match="not a datetime"):
        date_to_ns(datetime(2027, 1, 1, tzinfo=UTC))


def test_month_last_day_knows_leap_years_and_december() -> None:
    assert month_last_day(2028, 2) == date(2028, 2, 29)
    assert month_last_day(2027, 2) == date(2027, 2, 28)
    assert month_last_day(2100, 2) == date(2100, 2, 28)
    assert month_last_day(2027, 12) == date(2027, 12, 31)
    with pytest.raises(ValueError, match="month"):
        month_last_day(2027, 13)


# -------------------------------------------------------------------- PR-4 business days
def test_the_default_calendar_trades_every_weekday_and_no_weekend_day() -> None:
    week = [date(2027, 3, 29) + timedelta(days=i) for i in range(7)]  # Monday to Sunday
    assert [CAL.is_business_day(d) for d in week] == [True] * 5 + [False] * 2


def test_the_default_calendar_has_no_holidays_so_christmas_day_trades() -> None:
    assert CAL.holidays == frozenset()
    assert CAL.is_business_day(date(2026, 12, 25))  # a Friday


def test_business_days_include_both_ends_and_skip_weekends() -> None:
    days = CAL.business_days(date(2027, 3, 26), date(2027, 3, 31))  # Friday .. Wednesday
    assert days == (date(2027, 3, 26), date(2027, 3, 29), date(2027, 3, 30), date(2027, 3, 31))
    assert CAL.business_days(date(2027, 3, 31), date(2027, 3, 30)) == ()


def test_march_2027_has_23_business_days_and_ends_on_wednesday_the_31st() -> None:
    assert len(CAL.month_business_days(2027, 3)) == 23
    assert CAL.last_business_day(2027, 3) == date(2027, 3, 31)


def test_a_month_ending_on_a_sunday_ends_its_business_days_on_the_friday() -> None:
    assert CAL.last_business_day(2027, 1) == date(2027, 1, 29)  # 31 Jan 2027 is a Sunday


def test_a_month_ending_on_a_saturday_ends_its_business_days_on_the_friday() -> None:
    assert CAL.last_business_day(2026, 10) == date(2026, 10, 30)  # 31 Oct 2026 is a Saturday


def test_a_holiday_on_the_last_day_moves_the_last_business_day_back() -> None:
    cal = TradingCalendar(holidays=frozenset({date(2027, 3, 31)}))
    assert cal.last_business_day(2027, 3) == date(2027, 3, 30)
    assert len(cal.month_business_days(2027, 3)) == 22


def test_a_month_made_entirely_of_holidays_has_no_last_business_day() -> None:
    february = frozenset(date(2027, 2, 1) + timedelta(days=i) for i in range(28))
    with pytest.raises(ValueError, match="no business day"):
        TradingCalendar(holidays=february).last_business_day(2027, 2)


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)), st.sampled_from([CAL, US])
)
def test_the_last_business_day_is_a_business_day_with_none_after_it_in_the_month(
    d: date, cal: TradingCalendar
) -> None:
    ltd = cal.last_business_day(d.year, d.month)
    assert (ltd.year, ltd.month) == (d.year, d.month)
    assert cal.is_business_day(ltd)
    assert cal.business_days(ltd + timedelta(days=1), month_last_day(d.year, d.month)) == ()


def test_next_and_previous_business_day_step_over_weekends_and_holidays() -> None:
    cal = TradingCalendar(holidays=frozenset({date(2027, 4, 5)}))  # a Monday
    assert cal.next_business_day(date(2027, 4, 2)) == date(2027, 4, 6)  # Friday -> Tuesday
    assert cal.previous_business_day(date(2027, 4, 6)) == date(2027, 4, 2)
    assert cal.next_business_day(date(2027, 4, 6)) == date(2027, 4, 7)


def test_holidays_given_as_a_set_or_iso_strings_become_a_hashable_frozenset() -> None:
    cal = TradingCalendar(holidays={date(2027, 12, 24)})  # type: ignore[arg-type]
    assert isinstance(cal.holidays, frozenset)
    assert hash(cal) == hash(TradingCalendar(holidays=holidays_from(["2027-12-24"])))
    assert not cal.is_business_day(date(2027, 12, 24))


# ---------------------------------------------------------------------- PR-4 US holidays
def test_us_holidays_for_2027_match_the_nyse_list() -> None:
    assert sorted(us_exchange_holidays(2027, 2027)) == [
        date(2027, 1, 1),
        date(2027, 1, 18),  # Martin Luther King Jr. Day
        date(2027, 2, 15),  # Washington's Birthday
        date(2027, 3, 26),  # Good Friday
        date(2027, 5, 31),  # Memorial Day
        date(2027, 6, 18),  # Juneteenth, Saturday observed on Friday
        date(2027, 7, 5),  # Independence Day, Sunday observed on Monday
        date(2027, 9, 6),  # Labor Day
        date(2027, 11, 25),  # Thanksgiving
        date(2027, 12, 24),  # Christmas, Saturday observed on Friday
    ]


def test_a_saturday_new_years_day_is_not_moved_to_the_friday_before() -> None:
    holidays = us_exchange_holidays(2021, 2022)  # 1 Jan 2022 was a Saturday
    assert date(2021, 12, 31) not in holidays
    assert date(2022, 1, 1) not in holidays  # a weekend day anyway


def test_juneteenth_is_a_holiday_only_from_2022() -> None:
    assert date(2021, 6, 18) not in us_exchange_holidays(2021, 2021)
    assert date(2022, 6, 20) in us_exchange_holidays(2022, 2022)  # Sunday -> Monday


@pytest.mark.parametrize(
    "year, easter",
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2027, date(2027, 3, 28)),
     (2029, date(2029, 4, 1)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))],
)  # fmt: skip
def test_easter_sunday_matches_published_dates(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_memorial_day_on_the_31st_makes_friday_the_28th_the_last_business_day_of_may_2027() -> None:
    assert US.last_business_day(2027, 5) == date(2027, 5, 28)
    assert len(US.month_business_days(2027, 5)) == 20  # 21 weekdays less Memorial Day


def test_good_friday_on_the_last_weekday_of_march_2029_moves_it_to_thursday() -> None:
    assert US.last_business_day(2029, 3) == date(2029, 3, 29)


# ------------------------------------------------------------------------- PR-4 sessions
def test_the_default_session_runs_from_midnight_to_21_00_utc() -> None:
    assert CAL.open_ts(date(2027, 3, 31)) == utc_ns(2027, 3, 31)
    assert CAL.close_ts(date(2027, 3, 31)) == utc_ns(2027, 3, 31, 21)


def test_session_times_are_configurable() -> None:
    cal = TradingCalendar(open_time=time(13, 30), close_time=time(20, 0, 0, 500))
    assert cal.open_ts(date(2027, 3, 31)) == utc_ns(2027, 3, 31, 13, 30)
    assert cal.close_ts(date(2027, 3, 31)) == utc_ns(2027, 3, 31, 20) + 500_000
    assert cal.is_open(utc_ns(2027, 3, 31, 13, 30))
    assert not cal.is_open(utc_ns(2027, 3, 31, 13, 29))


def test_a_session_must_open_before_it_closes_and_times_must_be_utc() -> None:
    with pytest.raises(ValueError, match="before close_time"):
        TradingCalendar(open_time=time(21), close_time=time(21))
    with pytest.raises(ValueError, match="UTC"):
        TradingCalendar(close_time=time(17, tzinfo=timezone(timedelta(hours=-4))))


def test_the_close_instant_is_outside_the_session_and_belongs_to_the_next_trading_day() -> None:
    friday_close = CAL.close_ts(date(2027, 4, 2))
    assert CAL.is_open(friday_close - 1)
    assert not CAL.is_open(friday_close)
    assert CAL.trading_day(friday_close - 1) == date(2027, 4, 2)
    assert CAL.trading_day(friday_close) == date(2027, 4, 5)  # Monday
    assert CAL.next_close_ts(friday_close) == CAL.close_ts(date(2027, 4, 5))


def test_weekend_timestamps_are_closed_and_belong_to_monday() -> None:
    saturday_noon = utc_ns(2027, 4, 3, 12)
    assert not CAL.is_open(saturday_noon)
    assert CAL.trading_day(saturday_noon) == date(2027, 4, 5)
