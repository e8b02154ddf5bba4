"""SPAN-like margin calibrated from the index model (docs/clearing-rules.md CR-15 to CR-19)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from clearing.accounts import AccountType
from clearing.contracts import ContractSet
from clearing.index import IndexModel
from clearing.index.distribution import daily_exposure_quantiles, log_move_quantiles
from clearing.margin import MarginModel, MarketState, SpanLikeMargin
from clearing.span import SpanParams
from clearing.span_reference import ReferenceSpan
from exchange.products import DEFAULT_PRODUCTS

AS_OF = date(2026, 11, 2)  # first business day of November 2026: Nov is the front month
CONTRACTS = ContractSet.listed(DEFAULT_PRODUCTS, AS_OF)
PRICES = np.array(
    [DEFAULT_PRODUCTS[c.product].ref_price_units for c in CONTRACTS.contracts], dtype=np.int64
)


@pytest.fixture(scope="module")
def margin() -> SpanLikeMargin:
    return SpanLikeMargin(CONTRACTS)


def one_lot(column: int, qty: int = 1) -> np.ndarray:
    pos = np.zeros((1, len(CONTRACTS)), dtype=np.int64)
    pos[0, column] = qty
    return pos


def mm(margin: SpanLikeMargin, positions: np.ndarray, as_of: date = AS_OF, prices=PRICES) -> int:
    kinds = np.zeros(positions.shape[0], dtype=np.int8)
    return int(margin.requirements(positions, kinds, MarketState(as_of, prices)).maintenance[0])


# ------------------------------------------------------------- CR-15 protocol
def test_span_like_margin_is_a_margin_model_with_integer_outputs(margin: SpanLikeMargin) -> None:
    pos = np.zeros((3, len(CONTRACTS)), dtype=np.int64)
    pos[0, 4], pos[1, 40], pos[2, 80] = 5, -2, 7
    kinds = np.array([AccountType.HEDGER, AccountType.SPECULATOR, AccountType.MEMBER], np.int8)

    req = margin.requirements(pos, kinds, MarketState(AS_OF, PRICES))

    assert isinstance(margin, MarginModel)
    assert req.maintenance.dtype == np.int64 and req.initial.dtype == np.int64
    assert req.scan_risk.shape == (3, 3) and req.spread_charge.shape == (3, 3)
    assert req.initial[0] == req.maintenance[0] and req.initial[2] == req.maintenance[2]
    assert req.initial[1] == math.ceil(req.maintenance[1] * 110 / 100)
    assert np.all(req.maintenance > 0)


def test_the_parameters_of_one_valuation_are_computed_once(margin: SpanLikeMargin) -> None:
    market = MarketState(AS_OF, PRICES)

    assert margin.risk_parameters(market) is margin.risk_parameters(market)


# ------------------------------------------------------------- CR-16 scan range
@pytest.mark.parametrize("code", ["H100", "B200", "A100"])
def test_an_outright_is_charged_exactly_the_99_percent_two_day_move(
    margin: SpanLikeMargin, code: str
) -> None:
    # The extreme scenario (3 ranges × 35%) is the worst for an outright, and the range
    # is sized so that it equals the model's 1% quantile of the 2-day futures move.
    col = int(CONTRACTS.columns_of(code)[6])
    w_short, w_long = margin.source.exposures(AS_OF)
    q = daily_exposure_quantiles(
        margin.source.models[code], w_short[[col]], w_long[[col]], [0.01, 0.99], "futures"
    )[0]
    unit = DEFAULT_PRODUCTS[code].unit_value_micros
    fall = PRICES[col] * -math.expm1(q[0]) * unit
    rise = PRICES[col] * math.expm1(q[1]) * unit

    assert fall <= mm(margin, one_lot(col)) <= fall + 3
    assert rise <= mm(margin, one_lot(col, -1)) <= rise + 3


def test_back_months_have_narrower_ranges_down_to_the_long_factor_alone(
    margin: SpanLikeMargin,
) -> None:
    # CR-16: mean reversion damps the short factor for far months. (Beyond a year the
    # ranges agree to 1e-6: the FFT's rounding, not the model, separates them.)
    risk = margin.risk_parameters(MarketState(AS_OF, PRICES))
    cols = CONTRACTS.columns_of("H100")
    notional = PRICES[cols] * CONTRACTS.unit_value_micros[cols]
    model = margin.source.models["H100"]
    for ranges, tail, sign in (
        (risk.scan_down_micros, 0.01, -1.0),
        (risk.scan_up_micros, 0.99, 1.0),
    ):
        fraction = ranges[cols] / notional
        long_only = sign * math.expm1(log_move_quantiles(model, 0.0, 1.0, 2, [tail])[0, 0]) / 1.05
        spot = sign * math.expm1(log_move_quantiles(model, 1.0, 1.0, 2, [tail])[0, 0]) / 1.05

        assert np.all(np.diff(fraction[1:]) <= 1e-6 * fraction[1])
        assert long_only < fraction[1] < spot
        assert fraction[-1] == pytest.approx(long_only, rel=1e-4)


def test_the_front_month_range_shrinks_through_its_averaging_month(margin: SpanLikeMargin) -> None:
    # CR-16: after k of N fixings only R = N − k fixings still move; over the two days
    # R/N of the price moves with day 1 and (R − 1)/N with day 2. So the log move lies
    # between (R − 1)/N times the long factor's alone and R/N times a full exposure
    # to both factors on both days.
    front = CONTRACTS.contracts[0]
    days = front.business_days
    n = len(days)
    model = margin.source.models["H100"]
    long_only = -log_move_quantiles(model, 0.0, 1.0, 2, [0.01])[0, 0]
    full = -daily_exposure_quantiles(model, np.ones((1, 2)), np.ones((1, 2)), [0.01])[0, 0]
    notional = PRICES[0] * CONTRACTS.unit_value_micros[0]

    fractions = []
    for k, day in enumerate(days, start=1):
        risk = margin.source.compute(day, PRICES)
        fractions.append(risk.scan_down_micros[0] / notional)
        log_move = -math.log1p(-1.05 * fractions[-1])
        remaining = n - k
        lower = max(remaining - 1, 0) / n * long_only
        assert lower * 0.999 <= log_move <= remaining / n * full * 1.001

    assert np.all(np.diff(fractions) < 0)
    assert fractions[-1] == 0.0  # every fixing known on the last trading day


def test_ranges_are_proportional_to_the_price(margin: SpanLikeMargin) -> None:
    base = margin.source.compute(AS_OF, PRICES)
    double = margin.source.compute(AS_OF, 2 * PRICES)

    assert np.all(np.abs(double.scan_up_micros - 2 * base.scan_up_micros) <= 1)
    assert np.all(np.abs(double.spread_rate_micros - 2 * base.spread_rate_micros) <= 1)


def test_more_volatile_products_get_wider_ranges(margin: SpanLikeMargin) -> None:
    risk = margin.risk_parameters(MarketState(AS_OF, PRICES))
    notional = PRICES * CONTRACTS.unit_value_micros
    width = {
        code: float(
            risk.scan_down_micros[CONTRACTS.columns_of(code)[6]]
            / notional[CONTRACTS.columns_of(code)[6]]
        )
        for code in ("H100", "B200", "A100")
    }

    assert width["B200"] > width["H100"] > width["A100"]


def test_a_higher_confidence_level_widens_every_range() -> None:
    base = SpanLikeMargin(CONTRACTS).source.compute(AS_OF, PRICES)
    strict = SpanLikeMargin(CONTRACTS, params=SpanParams(confidence=0.995)).source.compute(
        AS_OF, PRICES
    )

    assert np.all(strict.scan_down_micros >= base.scan_down_micros)
    assert np.all(strict.scan_up_micros > base.scan_up_micros)


def test_custom_index_models_drive_the_ranges() -> None:
    calm = {"H100": IndexModel(annual_vol=0.10), "B200": IndexModel(annual_vol=0.10)}
    a100 = CONTRACTS.columns_of("A100")[6]
    h100 = CONTRACTS.columns_of("H100")[6]

    risk = SpanLikeMargin(CONTRACTS, models=calm).source.compute(AS_OF, PRICES)
    notional = PRICES * CONTRACTS.unit_value_micros

    assert (
        risk.scan_down_micros[h100] / notional[h100] < risk.scan_down_micros[a100] / notional[a100]
    )


# ------------------------------------------------------ CR-18 calendar spreads
@pytest.mark.parametrize(("a", "b"), [(1, 2), (1, 6), (2, 14), (4, 30), (13, 35), (0, 3)])
def test_a_calendar_spread_is_covered_at_99_percent_for_less_than_two_outrights(
    margin: SpanLikeMargin, a: int, b: int
) -> None:
    # CR-18: scan + spread charge ≥ the 99% loss of the spread (short factor, daily
    # exposures w_a − w_b; 2% allowed for the representative months the rates use).
    model = margin.source.models["H100"]
    w_short, _ = margin.source.exposures(AS_OF)
    dw = w_short[a] - w_short[b]
    assert np.all(dw > 0)
    q = daily_exposure_quantiles(model, dw[None, :], 0 * dw[None, :], [0.01, 0.99], "centred")[0]
    notional = PRICES[a] * CONTRACTS.unit_value_micros[a]
    pos = np.zeros((2, len(CONTRACTS)), dtype=np.int64)
    pos[0, a], pos[0, b] = 1, -1
    pos[1, a], pos[1, b] = -1, 1
    loss_long_a = notional * -math.expm1(q[0])  # the near month falls against the far one
    loss_short_a = notional * math.expm1(q[1])

    req = margin.requirements(pos, np.zeros(2, np.int8), MarketState(AS_OF, PRICES))
    outrights = mm(margin, one_lot(a)) + mm(margin, one_lot(b, -1))

    assert req.maintenance[0] >= 0.98 * loss_long_a and req.maintenance[1] >= 0.98 * loss_short_a
    assert req.maintenance[0] < outrights and req.maintenance[1] < outrights
    assert req.spread_charge[0, 0] > 0


def test_spread_charges_are_symmetric_and_grow_with_the_distance_between_tiers(
    margin: SpanLikeMargin,
) -> None:
    rates = margin.source.spread_fractions

    assert np.array_equal(rates, rates.transpose(0, 2, 1))
    assert np.all(rates[:, 0, 2] >= rates[:, 0, 1]) and np.all(rates[:, 0, 1] > rates[:, 1, 1])


def test_the_worked_spread_example_of_the_rules_page_holds(margin: SpanLikeMargin) -> None:
    # docs/clearing-rules.md CR-18: Dec 2026 / Dec 2027 H100 spread on 2 Nov 2026.
    pos = np.zeros((3, len(CONTRACTS)), dtype=np.int64)
    dec26, dec27 = CONTRACTS.column("H100-31DEC26"), CONTRACTS.column("H100-31DEC27")
    pos[0, dec26], pos[0, dec27] = 1, -1
    pos[1, dec26], pos[2, dec27] = 1, -1

    req = margin.requirements(pos, np.zeros(3, np.int8), MarketState(AS_OF, PRICES))

    dollars = [round(int(x) / 1e6, 2) for x in req.maintenance]
    assert dollars == [51.63, 113.45, 118.17]
    assert round(int(req.scan_risk[0, 0]) / 1e6, 2) == 1.12
    assert round(int(req.spread_charge[0, 0]) / 1e6, 2) == 50.50


# --------------------------------------------------------------- exposures
def test_exposures_are_full_before_the_month_and_zero_after_its_last_fixing(
    margin: SpanLikeMargin,
) -> None:
    w_short, w_long = margin.source.exposures(AS_OF)
    last_day = margin.source.exposures(CONTRACTS.contracts[0].last_trading_day)

    assert np.all(w_long[CONTRACTS.months_ahead(AS_OF) > 0] == 1.0)
    # 2 Nov is fixed: 20 of 21 fixings move on day 1 of the period, 19 on day 2.
    assert w_long[0].tolist() == pytest.approx([20 / 21, 19 / 21])
    assert np.all(last_day[0][0] == 0.0) and np.all(last_day[1][0] == 0.0)
    h100 = CONTRACTS.columns_of("H100")
    assert np.all(np.diff(w_short[h100][1:, -1]) < 0) and w_short[h100][-1, -1] < 0.01
    assert np.all(w_short[h100[1:], 0] < w_short[h100[1:], 1])  # day 1 decays one day more


def test_the_model_parameters_agree_with_the_per_account_reference(margin: SpanLikeMargin) -> None:
    rng = np.random.default_rng(5)
    pos = rng.integers(-30, 31, size=(40, len(CONTRACTS)))
    pos[rng.random(pos.shape) < 0.8] = 0
    market = MarketState(AS_OF, PRICES)

    req = margin.requirements(pos, np.zeros(40, np.int8), market)
    ref = ReferenceSpan(margin.risk_parameters(market), margin.params)

    assert req.maintenance.tolist() == [ref.maintenance(p.tolist()) for p in pos]
