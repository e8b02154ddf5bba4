"""Products, contract names and the listing schedule (docs/products.md, cited as PR-n)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.calendar import DEFAULT_CALENDAR, TradingCalendar, date_to_ns, month_last_day
from exchange.products import (
    DEFAULT_PRODUCTS,
    Contract,
    ProductSpec,
    combined_schedule,
    contract_for_month,
    contract_from_name,
    contract_name,
    front_month,
    listed_contracts,
    live_contracts,
    parse_contract_name,
    schedule,
)

CAL = DEFAULT_CALENDAR
US = TradingCalendar.us(2020, 2045)
H100 = DEFAULT_PRODUCTS["H100"]
B200 = DEFAULT_PRODUCTS["B200"]
A100 = DEFAULT_PRODUCTS["A100"]
product_codes = st.from_regex(r"[A-Z][A-Z0-9]{0,15}", fullmatch=True)
name_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


# ----------------------------------------------------------------- PR-2 default products
def test_the_default_products_are_h100_b200_and_a100() -> None:
    assert list(DEFAULT_PRODUCTS) == ["H100", "B200", "A100"]
    assert all(code == spec.code for code, spec in DEFAULT_PRODUCTS.items())
    assert [p.index_name for p in DEFAULT_PRODUCTS.values()] == ["h100_usd", "b200_usd", "a100_usd"]


@pytest.mark.parametrize(
    "code, level_usd, vol, spot_limit",
    [("H100", "2.81", 0.26, 7_500), ("B200", "5.87", 0.30, 5_500), ("A100", "1.50", 0.15, 5_500)],
)
def test_default_levels_vols_and_limits_match_market_facts(
    code: str, level_usd: str, vol: float, spot_limit: int
) -> None:
    spec = DEFAULT_PRODUCTS[code]
    assert spec.units_to_decimal(spec.ref_price_units) == Decimal(level_usd)
    assert spec.annual_vol == vol
    assert spec.spot_month_position_limit == spot_limit


def test_the_a100_reference_level_lies_inside_the_published_range() -> None:
    assert A100.price_to_units("1.43") <= A100.ref_price_units <= A100.price_to_units("1.65")


@pytest.mark.parametrize("spec", DEFAULT_PRODUCTS.values(), ids=DEFAULT_PRODUCTS.keys())
def test_every_default_contract_is_730_gpu_hours_36_months_and_a_7_30_dollar_tick(
    spec: ProductSpec,
) -> None:
    assert spec.contract_hours == 730
    assert spec.months_listed == 36
    assert spec.tick_micros == 10_000  # $0.01 per GPU-hour
    assert spec.tick_size == 0.01
    assert spec.unit_value_micros == 7_300_000  # $7.30 per price unit per contract
    assert spec.tick_value_micros == 7_300_000
    assert spec.maker_fee_micros == spec.taker_fee_micros == 3_650_000  # $3.65 a side
    assert spec.cash_settlement_fee_micros == 900_000  # $0.90
    assert spec.reportable_level == 25
    assert spec.max_price_units == 5_000  # $50 per GPU-hour


def test_notional_and_fees_are_integer_micro_dollars() -> None:
    assert H100.notional_micros(281, 10) == 20_513_000_000  # 10 x 730 h x $2.81
    assert H100.fee_micros(10, maker=True) == 36_500_000
    rebate = dataclasses.replace(H100, maker_fee_micros=-1_000_000)
    assert rebate.fee_micros(3, maker=True) == -3_000_000


# ----------------------------------------------------------------- PR-1 price conversion
@pytest.mark.parametrize("usd", [2.81, "2.81", Decimal("2.81"), " 2.810 ", "281e-2"])
def test_a_price_on_the_tick_converts_to_price_units(usd: float | str | Decimal) -> None:
    assert H100.price_to_units(usd) == 281


def test_whole_dollars_and_non_positive_spread_prices_convert() -> None:
    assert H100.price_to_units(3) == 300
    assert H100.price_to_units("-0.05") == -5
    assert H100.price_to_units(0.0) == 0


@pytest.mark.parametrize("usd", [2.815, "2.815", Decimal("2.8100001"), 0.1 + 0.2, "0.000001"])
def test_a_price_off_the_tick_is_rejected_never_rounded(usd: float | str | Decimal) -> None:
    with pytest.raises(ValueError, match="not a whole number of H100 ticks"):
        H100.price_to_units(usd)


def test_a_coarser_tick_rejects_prices_between_ticks() -> None:
    five_cents = dataclasses.replace(H100, tick_units=5, ref_price_units=280)
    assert five_cents.price_to_units("2.85") == 285
    with pytest.raises(ValueError, match=r"tick \$0\.05"):
        five_cents.price_to_units("2.81")


def test_the_default_grid_has_no_half_cent_spread_tick() -> None:
    assert H100.spread_tick_micros == 10_000
    with pytest.raises(ValueError, match="spread ticks"):
        H100.price_to_units("0.005", spread=True)


def test_a_half_cent_grid_holds_the_filed_half_tick_calendar_spread_price() -> None:
    half_cent_grid = dataclasses.replace(
        H100, price_unit_micros=5_000, tick_units=2, ref_price_units=562, max_price_units=40_000
    )
    assert half_cent_grid.tick_micros == 10_000  # outrights still on a $0.01 tick ($7.30)
    assert half_cent_grid.tick_value_micros == 7_300_000
    assert half_cent_grid.spread_tick_micros == 5_000
    assert half_cent_grid.price_to_units("-0.005", spread=True) == -1
    assert half_cent_grid.price_to_units("2.81") == 562
    with pytest.raises(ValueError, match="not a whole number of H100 ticks"):
        half_cent_grid.price_to_units("2.815")


def test_the_spread_tick_must_divide_the_outright_tick() -> None:
    with pytest.raises(ValueError, match="spread_tick_units must divide"):
        dataclasses.replace(H100, tick_units=2, spread_tick_units=3, ref_price_units=280)


@pytest.mark.parametrize("usd", ["nan", "inf", float("nan"), float("-inf"), "2,81", "", "1/3"])
def test_non_finite_or_non_decimal_prices_are_rejected(usd: float | str) -> None:
    with pytest.raises(ValueError):
        H100.price_to_units(usd)


@pytest.mark.parametrize("usd", [True, None, [2.81]])
def test_prices_of_other_types_are_a_type_error(usd: object) -> None:
    with pytest.raises(TypeError):
        H100.price_to_units(usd)  # type: ignore[arg-type]


@given(st.integers(min_value=-20_000, max_value=20_000))
def test_price_units_survive_a_round_trip_through_float_and_decimal(units: int) -> None:
    assert H100.price_to_units(H100.units_to_price(units)) == units
    assert H100.price_to_units(H100.units_to_decimal(units)) == units
    assert H100.price_to_units(str(H100.units_to_price(units))) == units


def test_units_to_price_gives_dollars_per_gpu_hour() -> None:
    assert H100.units_to_price(281) == 2.81
    assert H100.units_to_decimal(281) == Decimal("2.81")


# ------------------------------------------------------------------ PR-2 spec validation
@pytest.mark.parametrize(
    "change, message",
    [
        ({"code": "h100"}, "invalid product code"),
        ({"code": "H-100"}, "invalid product code"),
        ({"code": "H100.1"}, "invalid product code"),
        ({"index_name": "H100 USD"}, "index_name"),
        ({"tick_units": 0}, "tick_units must be >= 1"),
        ({"ref_price_units": 0}, "outside the grid"),
        ({"ref_price_units": 20_001}, "outside the grid"),
        ({"tick_units": 2}, "multiple of tick_units"),  # 281 is odd
        ({"annual_vol": 0.0}, "annual_vol"),
        ({"annual_vol": float("nan")}, "annual_vol"),
        ({"maker_fee_micros": -4_000_000}, "never pays out"),
        ({"spot_month_position_limit": 0}, "position limit"),
    ],
)
def test_an_inconsistent_product_spec_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(H100, **change)  # type: ignore[arg-type]


def test_product_specs_are_immutable_and_hashable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        H100.tick_units = 2  # type: ignore[misc]
    assert len({H100, dataclasses.replace(H100), B200}) == 2


# ---------------------------------------------------------------------------- PR-3 names
def test_march_2027_is_named_after_wednesday_the_31st() -> None:
    assert contract_name("H100", date(2027, 3, 31)) == "H100-31MAR27"


def test_single_digit_days_have_no_leading_zero_as_on_deribit() -> None:
    assert contract_name("BTC", date(2025, 1, 3)) == "BTC-3JAN25"
    assert parse_contract_name("BTC-3JAN25") == ("BTC", date(2025, 1, 3))


def test_years_outside_2000_to_2099_cannot_be_named() -> None:
    with pytest.raises(ValueError, match="two-digit year"):
        contract_name("H100", date(2100, 1, 29))


@given(product_codes, name_dates)
def test_names_round_trip_and_never_contain_a_dot(product: str, ltd: date) -> None:
    name = contract_name(product, ltd)
    assert "." not in name
    assert name == name.upper()
    assert parse_contract_name(name) == (product, ltd)


@pytest.mark.parametrize(
    "name, problem",
    [
        ("H100-03JAN25", "leading zero"),
        ("H100-123JAN25", "leading zero"),
        ("h100-31MAR27", "invalid product code"),
        ("H100-31mar27", "month 'mar'"),
        ("H100-31MRZ27", "month 'MRZ'"),
        ("H100-31MAR2027", "two digits"),
        ("H100-32MAR27", "day is out of range"),
        ("H100-29FEB27", "day is out of range"),
        ("H100-31MAR27.5", "malformed"),
        ("H100_31MAR27", "malformed"),
        ("H100-MAR27", "malformed"),
        ("-31MAR27", "invalid product code"),
        ("H100-31MAR27-C", "malformed"),
        ("", "malformed"),
    ],
)
def test_malformed_names_are_rejected_with_the_reason(name: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_contract_name(name)


def test_a_leap_day_parses_in_a_leap_year() -> None:
    assert parse_contract_name("A100-29FEB28") == ("A100", date(2028, 2, 29))


# ------------------------------------------------------------------------ PR-5 contracts
def test_the_march_2027_h100_contract() -> None:
    c = contract_for_month(H100, 2027, 3, CAL)
    assert c.name == "H100-31MAR27"
    assert (c.product, c.year, c.month) == ("H100", 2027, 3)
    assert (c.delivery_start, c.delivery_end) == (date(2027, 3, 1), date(2027, 3, 31))
    assert c.last_trading_day == date(2027, 3, 31)
    assert c.n_fixings == 23
    assert c.business_days[0] == date(2027, 3, 1) and c.business_days[-1] == date(2027, 3, 31)
    assert c.expiry_ts == CAL.close_ts(date(2027, 3, 31))
    assert c.listing_ts == CAL.close_ts(date(2024, 3, 29))  # March 2024's last business day


def test_a_month_ending_on_a_weekend_is_named_after_its_last_friday() -> None:
    c = contract_for_month(H100, 2027, 1, CAL)  # 31 Jan 2027 is a Sunday
    assert c.name == "H100-29JAN27"
    assert c.delivery_end == date(2027, 1, 31)  # delivery still covers the whole month


def test_a_holiday_on_the_last_day_renames_the_contract() -> None:
    cal = TradingCalendar(holidays=frozenset({date(2027, 3, 31)}))
    c = contract_for_month(H100, 2027, 3, cal)
    assert c.name == "H100-30MAR27"
    assert c.n_fixings == 22
    assert c.expiry_ts == cal.close_ts(date(2027, 3, 30))


def test_under_us_holidays_may_2027_ends_before_memorial_day() -> None:
    c = contract_for_month(B200, 2027, 5, US)
    assert c.name == "B200-28MAY27"
    assert c.n_fixings == 20
    assert date(2027, 5, 31) not in c.business_days


@pytest.mark.parametrize(
    "year, month, fixings",
    [(2027, 1, 21), (2027, 2, 20), (2027, 3, 23), (2028, 2, 21), (2026, 10, 22), (2027, 12, 23)],
)
def test_averaging_days_are_the_weekdays_of_the_month(year: int, month: int, fixings: int) -> None:
    c = contract_for_month(H100, year, month, CAL)
    assert c.n_fixings == fixings
    assert all(d.weekday() < 5 and (d.year, d.month) == (year, month) for d in c.business_days)
    assert list(c.business_days) == sorted(set(c.business_days))


def test_a_contract_is_found_from_its_name() -> None:
    c = contract_from_name("H100-31MAR27", CAL)
    assert c == contract_for_month(H100, 2027, 3, CAL)
    assert contract_from_name("B200-28MAY27", US).month == 5


def test_a_well_formed_name_that_is_not_a_last_trading_day_is_refused() -> None:
    with pytest.raises(ValueError, match=r"last trading day of March 2027 is .* \(H100-31MAR27\)"):
        contract_from_name("H100-30MAR27", CAL)


def test_a_name_of_an_unknown_product_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown product 'H200'"):
        contract_from_name("H200-31MAR27", CAL)
    h200 = dataclasses.replace(H100, code="H200", index_name="h200_usd", ref_price_units=325)
    assert contract_from_name("H200-31MAR27", CAL, {"H200": h200}).product == "H200"


# -------------------------------------------------------------------------- PR-6 listing
def test_on_the_last_trading_day_the_expiring_month_is_still_the_front() -> None:
    contracts = listed_contracts(H100, date(2027, 3, 31), CAL)
    assert contracts[0].name == "H100-31MAR27"
    assert contracts[-1].name == "H100-28FEB30"


def test_after_the_last_trading_day_the_next_month_is_the_front_even_before_month_end() -> None:
    saturday_after_expiry = date(2027, 1, 30)
    assert front_month(saturday_after_expiry, CAL) == (2027, 2)
    contracts = listed_contracts(H100, saturday_after_expiry, CAL)
    assert [c.name for c in contracts[:2]] == ["H100-26FEB27", "H100-31MAR27"]
    assert (contracts[-1].year, contracts[-1].month) == (2030, 1)


def test_a_rolling_daily_walk_always_has_36_consecutive_contracts_without_gaps() -> None:
    day, last = date(2026, 10, 1), date(2032, 12, 31)
    previous: list[Contract] | None = None
    fronts: list[Contract] = []
    while day <= last:
        contracts = listed_contracts(H100, day, US)
        months = [c.month_index for c in contracts]
        assert len(contracts) == 36
        assert months == list(range(months[0], months[0] + 36))
        assert len({c.name for c in contracts}) == 36
        assert contracts[0].last_trading_day >= day
        assert all(c.is_live(US.open_ts(day)) for c in contracts)
        if previous is not None and previous[0] != contracts[0]:
            assert previous[0].last_trading_day < day  # rolled only after the expiry
            assert contracts[:-1] == previous[1:]  # front dropped, one back month added
            fronts.append(contracts[0])
        previous = contracts
        day += timedelta(days=1)
    assert [f.month_index for f in fronts] == list(
        range(fronts[0].month_index, fronts[0].month_index + len(fronts))
    )
    assert len(fronts) == 74  # Nov 2026 .. Dec 2032 all became the front in turn


def test_a_new_back_month_is_listed_at_the_instant_the_front_expires() -> None:
    for year, month in [(2027, 1), (2027, 3), (2030, 12)]:
        expiring = contract_for_month(H100, year, month, CAL)
        listed = contract_for_month(H100, year + 3, month, CAL)
        assert listed.listing_ts == expiring.expiry_ts


def test_live_contracts_roll_exactly_at_the_close_of_the_last_trading_day() -> None:
    close = CAL.close_ts(date(2027, 3, 31))
    before, at = live_contracts(H100, close - 1, CAL), live_contracts(H100, close, CAL)
    assert before[0].name == "H100-31MAR27" and before[-1].name == "H100-28FEB30"
    assert at[0].name == "H100-30APR27" and at[-1].name == "H100-29MAR30"
    assert all(c.is_live(close - 1) for c in before)
    assert all(c.is_live(close) for c in at)


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2040, 12, 31)))
def test_contracts_listed_on_a_date_are_those_live_during_its_session(day: date) -> None:
    by_date = listed_contracts(A100, day, US)
    assert live_contracts(A100, US.open_ts(day), US) == by_date
    if US.is_business_day(day):
        assert live_contracts(A100, US.close_ts(day) - 1, US) == by_date


# ------------------------------------------------------------------------- PR-6 schedule
def test_the_2027_schedule_expires_each_front_and_lists_a_back_month_at_the_same_close() -> None:
    events = schedule(H100, date(2027, 1, 1), date(2027, 12, 31), CAL)
    assert len(events) == 24
    assert [e.kind for e in events[:4]] == ["expire", "list", "expire", "list"]
    assert [e.contract.name for e in events[:4]] == [
        "H100-29JAN27",
        "H100-31JAN30",
        "H100-26FEB27",
        "H100-28FEB30",
    ]
    for expire, listing in zip(events[::2], events[1::2], strict=True):
        assert expire.ts == listing.ts == expire.contract.expiry_ts == listing.contract.listing_ts
        assert listing.contract.month_index == expire.contract.month_index + 36
    assert [e.ts for e in events] == sorted(e.ts for e in events)


def test_schedule_dates_are_inclusive_and_see_only_expiries_in_the_window() -> None:
    assert len(schedule(H100, date(2027, 3, 31), date(2027, 3, 31), CAL)) == 2
    assert schedule(H100, date(2027, 3, 1), date(2027, 3, 30), CAL) == []
    with pytest.raises(ValueError, match="before start"):
        schedule(H100, date(2027, 3, 31), date(2027, 3, 1), CAL)


def test_replaying_the_schedule_keeps_exactly_the_live_contracts() -> None:
    start, end = date(2026, 11, 15), date(2031, 6, 30)
    live = {c.name for c in live_contracts(H100, date_to_ns(start), US)}
    for e in schedule(H100, start, end, US):
        if e.kind == "expire":
            live.remove(e.contract.name)
        else:
            assert e.contract.name not in live
            live.add(e.contract.name)
            assert live == {c.name for c in live_contracts(H100, e.ts, US)}
    assert live == {c.name for c in listed_contracts(H100, end + timedelta(days=1), US)}


def test_a_combined_schedule_orders_by_time_then_expiry_first_then_product() -> None:
    events = combined_schedule(DEFAULT_PRODUCTS.values(), date(2027, 3, 1), date(2027, 4, 30), CAL)
    assert [(e.kind, e.contract.name) for e in events[:6]] == [
        ("expire", "A100-31MAR27"),
        ("expire", "B200-31MAR27"),
        ("expire", "H100-31MAR27"),
        ("list", "A100-29MAR30"),
        ("list", "B200-29MAR30"),
        ("list", "H100-29MAR30"),
    ]
    assert len(events) == 12
    assert events == combined_schedule(
        reversed(list(DEFAULT_PRODUCTS.values())), date(2027, 3, 1), date(2027, 4, 30), CAL
    )


def test_a_combined_schedule_refuses_two_products_with_one_code() -> None:
    with pytest.raises(ValueError, match="duplicate product codes"):
        combined_schedule([H100, H100], date(2027, 1, 1), date(2027, 2, 1), CAL)


def test_contract_months_span_whole_calendar_months() -> None:
    for c in listed_contracts(B200, date(2027, 6, 15), CAL):
        assert c.delivery_start == date(c.year, c.month, 1)
        assert c.delivery_end == month_last_day(c.year, c.month)
        assert c.delivery_start <= c.last_trading_day <= c.delivery_end
