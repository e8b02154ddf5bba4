"""Waterfall layers, pro-rata splits and Cover-2 sizing as pure functions
(docs/clearing-rules.md CR-30, CR-31)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearing.default_fund import contributions, cover2, member_stress, stress_scenarios
from clearing.records import Layer
from clearing.waterfall import Step, allocate_pro_rata, check_strict_order, plan_waterfall

USD = 1_000_000


# --------------------------------------------------------------------- pro rata
@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10**12),
    st.lists(st.integers(0, 10**9), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
)
def test_pro_rata_shares_sum_exactly_and_stay_within_a_unit_of_the_exact_share(
    amount, weights
) -> None:
    shares = allocate_pro_rata(amount, weights)

    assert sum(shares) == amount
    for share, w in zip(shares, weights, strict=True):
        exact = Fraction(amount * w, sum(weights))
        assert exact - 1 < share < exact + 1


def test_pro_rata_leftover_units_go_to_the_largest_remainders_then_the_first() -> None:
    assert allocate_pro_rata(100, [500, 400]) == [56, 44]
    assert allocate_pro_rata(10, [1, 1, 1]) == [4, 3, 3]
    with pytest.raises(ValueError):
        allocate_pro_rata(5, [0, 0])


# --------------------------------------------------------------------- waterfall
def layers(steps: list[Step]) -> dict[Layer, int]:
    out: dict[Layer, int] = {}
    for s in steps:
        out[s.layer] = out.get(s.layer, 0) + s.amount
    return out


def test_a_loss_within_the_margin_stops_at_the_first_layer() -> None:
    steps = plan_waterfall(3, 1, 500, 800, 100, 100, {0: 100}, 275)

    assert [(s.layer, s.amount, s.available) for s in steps] == [(Layer.DEFAULTER_MARGIN, 500, 800)]


def test_a_loss_beyond_every_layer_leaves_an_uncovered_rest() -> None:
    # 10 + 20 + 30 + (40 + 60) + 275% × (40 + 60) = 435 available; loss 500
    steps = plan_waterfall(3, 1, 500, 10, 20, 30, {0: 40, 2: 60}, 275)

    assert layers(steps) == {
        Layer.DEFAULTER_MARGIN: 10,
        Layer.DEFAULTER_FUND: 20,
        Layer.CCP_CAPITAL: 30,
        Layer.SURVIVORS_FUND: 100,
        Layer.ASSESSMENTS: 275,
        Layer.UNCOVERED: 65,
    }
    assessed = {s.payer: (s.amount, s.available) for s in steps if s.layer is Layer.ASSESSMENTS}
    assert assessed == {"assessment:0": (110, 110), "assessment:2": (165, 165)}
    check_strict_order(steps)


@settings(max_examples=300, deadline=None)
@given(
    loss=st.integers(0, 10**9),
    margin=st.integers(0, 10**8),
    own=st.integers(0, 10**8),
    ccp=st.integers(0, 10**8),
    funds=st.dictionaries(st.integers(0, 9), st.integers(0, 10**8), max_size=6),
    percent=st.integers(0, 600),
)
def test_layers_are_used_strictly_in_order_and_cover_exactly_the_loss(
    loss, margin, own, ccp, funds, percent
) -> None:
    steps = plan_waterfall(99, 42, loss, margin, own, ccp, funds, percent)

    check_strict_order(steps)
    assert sum(s.amount for s in steps) == loss
    assert all(0 <= s.amount <= s.available for s in steps)
    for s in steps:
        if s.layer is Layer.ASSESSMENTS:
            assert s.amount <= funds[s.member] * percent // 100


def test_the_order_check_catches_a_skipped_layer() -> None:
    steps = [
        Step(Layer.DEFAULTER_MARGIN, "cash:1", 0, 5, 5),
        Step(Layer.DEFAULTER_FUND, "default_fund:0", 0, 3, 10),
        Step(Layer.CCP_CAPITAL, "ccp", -1, 1, 10),
    ]

    with pytest.raises(AssertionError, match="CCP_CAPITAL used while DEFAULTER_FUND"):
        check_strict_order(steps)


# --------------------------------------------------------------------- Cover-2
def test_stress_scenarios_move_each_product_alone_then_all_together() -> None:
    scen = stress_scenarios(np.array([0, 0, 1]), (-100, 200))

    assert scen.tolist() == [
        [-100, -100, 0],
        [0, 0, -100],
        [-100, -100, -100],
        [200, 200, 0],
        [0, 0, 200],
        [200, 200, 200],
    ]


def test_uncollateralised_losses_are_summed_per_member() -> None:
    positions = np.array([[10, 0], [-4, 0], [0, 3]])  # accounts 0, 1 of member 0; 2 of member 1
    values = np.array([2_000 * USD, 1_000 * USD])  # per contract
    scenarios = np.array([[-1_000, 0], [1_000, 0], [0, -3_000]])  # -10%, +10%, -30% second
    cash = np.array([500 * USD, -50 * USD, 100 * USD])

    stress = member_stress(positions, values, scenarios, cash, np.array([0, 0, 1]), 2)

    # -10%: account 0 loses $2,000, $1,500 over its cash; account 1 gains
    # +10%: account 1 loses $800 (negative cash counts as 0); -30%: account 2 loses
    # $900, $800 over its cash.
    assert stress.tolist() == [[1_500 * USD, 800 * USD, 0], [0, 0, 800 * USD]]


def test_cover2_is_the_worst_scenario_sum_of_the_two_largest_members() -> None:
    stress = np.array([[5, 1], [4, 9], [3, 8]])  # members × scenarios

    assert cover2(stress) == 17  # scenario 2: 9 + 8
    assert cover2(stress, minimum=20) == 20
    assert cover2(np.zeros((0, 2), dtype=np.int64), minimum=7) == 7


def test_contributions_are_a_floor_plus_a_share_by_initial_margin() -> None:
    eligible = np.array([True, True, False, True])

    out = contributions(1_000, np.array([300, 100, 999, 0]), eligible, 100)

    assert out.tolist() == [100 + 525, 100 + 175, 0, 100]
    assert contributions(90, np.zeros(4, dtype=np.int64), eligible, 0).tolist() == [30, 30, 0, 30]
