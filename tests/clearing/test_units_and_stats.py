"""Money units, rounding, business-day counts and the statistics (CR-1, CR-2, CR-20)."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearing.busdays import business_days_after
from clearing.money import ceil_div, div_round_half_even, micros_to_usd, usd_to_micros
from clearing.positions import _div_half_even
from clearing.stats import chi2_sf_1dof, kupiec_pof, norm_cdf, norm_ppf
from exchange.calendar import DEFAULT_CALENDAR, TradingCalendar


# ------------------------------------------------------------------- CR-1 money
def test_dollars_convert_exactly_to_micro_dollars() -> None:
    assert usd_to_micros("3.65") == 3_650_000
    assert usd_to_micros(Decimal("0.000001")) == 1
    assert usd_to_micros(7) == 7_000_000
    assert micros_to_usd(7_300_000) == 7.3


def test_floats_and_sub_micro_amounts_are_refused() -> None:
    with pytest.raises(TypeError, match="not a float"):
        usd_to_micros(3.65)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number of micro-dollars"):
        usd_to_micros("0.0000005")


@given(st.integers(-(10**12), 10**12), st.integers(1, 10**6))
def test_integer_division_helpers_round_as_documented(num: int, den: int) -> None:
    exact = num / den
    assert ceil_div(num, den) == math.ceil(num / den) or abs(ceil_div(num, den) - exact) < 1
    assert ceil_div(num, den) * den >= num > (ceil_div(num, den) - 1) * den
    q = div_round_half_even(num, den)
    assert abs(2 * (num - q * den)) <= den
    if 2 * abs(num - q * den) == den:
        assert q % 2 == 0
    assert _div_half_even(num, den) == q  # the position kernel agrees


def test_half_even_division_breaks_ties_to_even() -> None:
    assert [div_round_half_even(n, 2) for n in (1, 3, 5, -1, -3)] == [0, 2, 2, 0, -2]


# ------------------------------------------------------------ CR-2 business days
def test_business_days_are_counted_after_the_valuation_day() -> None:
    days = [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 9), date(2026, 10, 30)]

    counts = business_days_after(DEFAULT_CALENDAR, date(2026, 11, 2), days)

    assert counts[:3].tolist() == [0, 1, 5]
    assert counts[3] < 0  # days before the valuation day are in the past


def test_holidays_are_not_counted() -> None:
    thanksgiving = TradingCalendar(holidays=frozenset({date(2026, 11, 26)}))

    counts = business_days_after(thanksgiving, date(2026, 11, 25), [date(2026, 11, 27)])

    assert counts.tolist() == [1]


# ----------------------------------------------------------- CR-20 statistics
@pytest.mark.parametrize(
    ("p", "z"),
    [
        (0.5, 0.0),
        (0.99, 2.3263478740408408),
        (0.975, 1.959963984540054),
        (1e-6, -4.753424308822899),
    ],
)
def test_the_normal_quantile_matches_published_values(p: float, z: float) -> None:
    assert norm_ppf(p) == pytest.approx(z, abs=1e-12)
    assert norm_cdf(norm_ppf(p)) == pytest.approx(p, rel=1e-12)


def test_the_chi_square_tail_gives_the_familiar_critical_values() -> None:
    assert chi2_sf_1dof(3.841458820694124) == pytest.approx(0.05, rel=1e-12)
    assert chi2_sf_1dof(6.634896601021214) == pytest.approx(0.01, rel=1e-12)
    assert chi2_sf_1dof(0.0) == 1.0


def test_kupiec_accepts_the_nominal_rate_and_rejects_a_doubled_one() -> None:
    at_rate = kupiec_pof(10_000, 100, 0.01)
    doubled = kupiec_pof(10_000, 200, 0.01)
    none = kupiec_pof(1_000, 0, 0.01)

    assert at_rate.lr == pytest.approx(0.0, abs=1e-9) and at_rate.accepts()
    # LR = 2[200 ln 2 + 9,800 ln(0.98/0.99)] = 77.0…
    expected = 2 * (200 * math.log(2) + 9_800 * math.log(0.98 / 0.99))
    assert doubled.lr == pytest.approx(expected) and not doubled.accepts(1e-6)
    assert none.lr == pytest.approx(-2 * 1_000 * math.log(0.99)) and none.breach_rate == 0.0


def test_kupiec_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        kupiec_pof(10, 11, 0.01)
    with pytest.raises(ValueError):
        kupiec_pof(10, 1, 1.5)


def test_norm_ppf_refuses_probabilities_outside_zero_one() -> None:
    for p in (0.0, 1.0, -0.1, np.nan):
        with pytest.raises(ValueError):
            norm_ppf(p)
