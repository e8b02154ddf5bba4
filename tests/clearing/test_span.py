"""The SPAN-like scan on hand-worked risk parameters (docs/clearing-rules.md CR-17 to CR-19).

The risk parameter set below is one product with four months: months 0 and 1 in tier
0, months 2 and 3 in tier 1; scan ranges of $3.00 (month 0 and 1) and $2.40 (months 2
and 3) a contract, both ways; spread charges $0.50 inside tier 0, $0.20 inside tier 1,
$0.80 between tiers 0 and 1. Amounts are µ$.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clearing.accounts import AccountType
from clearing.span import SpanParams, SpanRiskParameters, initial_from_maintenance, span_scan
from clearing.span_reference import ReferenceSpan

PARAMS = SpanParams()
HEDGER, SPECULATOR, MEMBER = AccountType.HEDGER, AccountType.SPECULATOR, AccountType.MEMBER


def risk(up=(3_000_000, 3_000_000, 2_400_000, 2_400_000), down=None, n_products=1):
    up_arr = np.array(up * n_products, dtype=np.int64)
    down_arr = up_arr.copy() if down is None else np.array(down * n_products, dtype=np.int64)
    rates = np.array([[500_000, 800_000], [800_000, 200_000]], dtype=np.int64)
    return SpanRiskParameters(
        scan_up_micros=up_arr,
        scan_down_micros=down_arr,
        product_index=np.repeat(np.arange(n_products), len(up)).astype(np.int64),
        tier=np.tile([0, 0, 1, 1], n_products).astype(np.int64),
        spread_rate_micros=np.stack([rates] * n_products),
    )


def maintenance(positions, r=None) -> list[int]:
    scan, spread = span_scan(np.array(positions, dtype=np.int64), r or risk(), PARAMS)
    return (scan + spread).sum(axis=1).tolist()


# ------------------------------------------------------------ CR-17 scenarios
def test_the_sixteen_scenarios_move_by_thirds_of_the_range_and_three_ranges() -> None:
    moves = risk(up=(3_000_000, 1, 0, 0), down=(2_400_000, 1, 0, 0)).scenario_moves(PARAMS)

    assert moves[:, 0].tolist() == [
        0, 0,
        1_000_000, 1_000_000, -800_000, -800_000,
        2_000_000, 2_000_000, -1_600_000, -1_600_000,
        3_000_000, 3_000_000, -2_400_000, -2_400_000,
        9_000_000, -7_200_000,
    ]  # fmt: skip
    # Fractions of a range are rounded away from zero to whole µ$.
    assert moves[:, 1].tolist()[2:14:2] == [1, -1, 1, -1, 1, -1]


def test_a_single_long_is_charged_the_extreme_fall_at_35_percent() -> None:
    # Worst scenario: 3 ranges down, 35% counted: 3 x 3,000,000 x 0.35 = 3,150,000 µ$,
    # more than the 3/3 fall (3,000,000).
    assert maintenance([[1, 0, 0, 0]]) == [3_150_000]


def test_the_charge_grows_linearly_with_the_position() -> None:
    assert maintenance([[10, 0, 0, 0], [-10, 0, 0, 0]]) == [31_500_000, 31_500_000]


def test_a_short_is_charged_on_the_up_range_and_a_long_on_the_down_range() -> None:
    r = risk(up=(3_000_000, 0, 0, 0), down=(1_500_000, 0, 0, 0))

    assert maintenance([[1, 0, 0, 0], [-1, 0, 0, 0]], r) == [1_575_000, 3_150_000]


# ------------------------------------------------------- CR-18 spread charges
def test_a_calendar_spread_in_one_tier_pays_the_spread_charge_not_two_outrights() -> None:
    # Long month 0, short month 1: the scan nets to zero (equal ranges); one intra-tier
    # spread at 500,000. Two outrights would cost 6,300,000.
    assert maintenance([[1, -1, 0, 0]]) == [500_000]


def test_netting_across_months_offsets_the_scan_and_charges_one_inter_tier_spread() -> None:
    # Long 2 of month 0 (range 3.0M), short 1 of month 2 (range 2.4M).
    # Extreme fall: −(2 × −9.0M) − (−1 × −7.2M) = 10.8M, × 35% = 3,780,000 (the worst;
    # 3/3 fall: 6.0M − 2.4M = 3.6M). One spread between tiers 0 and 1: 800,000.
    scan, spread = span_scan(np.array([[2, 0, -1, 0]]), risk(), PARAMS)

    assert scan.tolist() == [[3_780_000]]
    assert spread.tolist() == [[800_000]]
    assert maintenance([[2, 0, -1, 0]]) == [4_580_000] and 4_580_000 < 2 * 3_150_000 + 2_520_000


def test_spreads_form_inside_tiers_before_between_them() -> None:
    # Long 1 of month 0, short 1 of month 1, long 1 of month 2, short 1 of month 3:
    # two intra-tier spreads (500,000 + 200,000), none between tiers.
    _, spread = span_scan(np.array([[1, -1, 1, -1]]), risk(), PARAMS)

    assert spread.tolist() == [[700_000]]


def test_positions_all_on_one_side_form_no_spread() -> None:
    _, spread = span_scan(np.array([[3, 1, 2, 5]]), risk(), PARAMS)

    assert spread.tolist() == [[0]]


def test_products_are_scanned_separately_without_cross_product_netting() -> None:
    # Long product 0 month 0 against short product 1 month 0: two outrights.
    r = risk(n_products=2)
    positions = np.zeros((1, 8), dtype=np.int64)
    positions[0, 0], positions[0, 4] = 1, -1

    scan, spread = span_scan(positions, r, PARAMS)

    assert scan.tolist() == [[3_150_000, 3_150_000]] and spread.sum() == 0


def test_a_flat_account_owes_nothing() -> None:
    assert maintenance([[0, 0, 0, 0]]) == [0]


# ------------------------------------------------------- CR-19 initial margin
def test_speculators_post_110_percent_and_hedgers_and_members_the_maintenance() -> None:
    mm = np.array([3_150_000, 3_150_000, 3_150_000, 1], dtype=np.int64)
    kinds = np.array([HEDGER, MEMBER, SPECULATOR, SPECULATOR], dtype=np.int8)

    im = initial_from_maintenance(mm, kinds, PARAMS)

    assert im.tolist() == [3_150_000, 3_150_000, 3_465_000, 2]  # rounded up to a whole µ$


# --------------------------------------------------------------- validation
def test_positions_of_the_wrong_shape_or_type_are_refused() -> None:
    with pytest.raises(ValueError, match="accounts x 4 contracts"):
        span_scan(np.zeros((2, 3), dtype=np.int64), risk(), PARAMS)
    with pytest.raises(ValueError, match="integers"):
        span_scan(np.zeros((2, 4)), risk(), PARAMS)
    with pytest.raises(ValueError, match="above 1000000"):
        span_scan(np.array([[2_000_000, 0, 0, 0]]), risk(), PARAMS)


def test_risk_parameters_must_be_consistent() -> None:
    good = risk()
    with pytest.raises(ValueError, match="symmetric"):
        SpanRiskParameters(
            good.scan_up_micros,
            good.scan_down_micros,
            good.product_index,
            good.tier,
            np.array([[[1, 2], [3, 4]]], dtype=np.int64),
        )
    with pytest.raises(ValueError, match=">= 0"):
        SpanRiskParameters(
            -good.scan_up_micros,
            good.scan_down_micros,
            good.product_index,
            good.tier,
            good.spread_rate_micros,
        )


def test_span_parameters_are_validated() -> None:
    with pytest.raises(ValueError, match="contiguous"):
        SpanParams(tiers=((0, 2), (4, 11)))
    with pytest.raises(ValueError, match="speculator"):
        SpanParams(speculator_initial_percent=90)
    assert SpanParams().outright_factor == pytest.approx(1.05)
    assert SpanParams().tier_of([0, 2, 3, 11, 12, 40, -1]).tolist() == [0, 0, 1, 1, 2, 2, 0]


# ------------------------------------------ properties: reference, symmetry, scaling
portfolios = hnp.arrays(np.int64, (6, 8), elements=st.integers(-40, 40))
ranges = st.lists(st.integers(0, 10**9), min_size=8, max_size=8)


@settings(max_examples=60, deadline=None)
@given(portfolios, ranges, ranges)
def test_the_vectorised_scan_equals_the_per_account_reference(pos, up, down) -> None:
    base = risk(n_products=2)
    r = SpanRiskParameters(
        np.array(up, dtype=np.int64),
        np.array(down, dtype=np.int64),
        base.product_index,
        base.tier,
        base.spread_rate_micros,
    )
    scan, spread = span_scan(pos, r, PARAMS)
    ref = ReferenceSpan(r, PARAMS)

    for a in range(pos.shape[0]):
        ref_scan, ref_spread = ref.account(pos[a].tolist())
        assert scan[a].tolist() == ref_scan and spread[a].tolist() == ref_spread


@settings(max_examples=60, deadline=None)
@given(portfolios, ranges, ranges)
def test_reversing_every_position_swaps_the_roles_of_the_up_and_down_ranges(pos, up, down) -> None:
    base = risk(n_products=2)
    r = SpanRiskParameters(
        np.array(up, np.int64),
        np.array(down, np.int64),
        base.product_index,
        base.tier,
        base.spread_rate_micros,
    )
    mirrored = SpanRiskParameters(
        r.scan_down_micros, r.scan_up_micros, r.product_index, r.tier, r.spread_rate_micros
    )

    assert maintenance(pos, r) == maintenance(-pos, mirrored)
    if up == down:
        assert maintenance(pos, r) == maintenance(-pos, r)


@settings(max_examples=60, deadline=None)
@given(portfolios, st.integers(2, 9))
def test_scaling_a_portfolio_scales_its_margin_up_to_rounding(pos, k) -> None:
    r = risk(n_products=2)
    one = np.array(maintenance(pos, r))
    many = np.array(maintenance(k * pos, r))

    assert np.all(many <= k * one) and np.all(many >= k * one - k)


@settings(max_examples=60, deadline=None)
@given(portfolios, st.integers(0, 7), st.integers(1, 20))
def test_adding_to_an_outright_position_never_lowers_its_margin(pos, col, extra) -> None:
    # For portfolios holding one contract only, margin rises with the size.
    single = np.zeros_like(pos)
    single[:, col] = pos[:, col]
    bigger = single.copy()
    bigger[:, col] += np.sign(single[:, col]) * extra

    r = risk(n_products=2)
    assert np.all(np.array(maintenance(bigger, r)) >= np.array(maintenance(single, r)))


@settings(max_examples=60, deadline=None)
@given(portfolios, st.integers(0, 10**8), st.sampled_from([1, -1]))
def test_wider_scan_ranges_never_lower_the_margin_of_a_directional_portfolio(
    pos, widen, direction
) -> None:
    # Only for portfolios whose positions all share a sign: there every adverse
    # scenario's loss grows with each range. A portfolio mixing long and short months
    # can lose margin when ranges widen, because the up and down scenarios move in
    # opposite directions (hypothesis found [-8, 3, 3, 3, -8, 3, 3, 3] losing 2 micro$).
    pos = np.abs(pos) * direction
    r = risk(n_products=2)
    wider = SpanRiskParameters(
        r.scan_up_micros + widen,
        r.scan_down_micros + widen,
        r.product_index,
        r.tier,
        r.spread_rate_micros,
    )

    assert np.all(np.array(maintenance(pos, wider)) >= np.array(maintenance(pos, r)))
