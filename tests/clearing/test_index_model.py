"""The two-factor index model's calibration and forward curve (docs/clearing-rules.md CR-4)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clearing.index import IndexModel, simulate_paths
from exchange.products import DEFAULT_PRODUCTS


@pytest.mark.parametrize("code", ["H100", "B200", "A100"])
def test_the_calibrated_model_has_the_products_annual_volatility(code: str) -> None:
    # CR-4: the stationary variance of daily log changes is annual_vol².
    model = IndexModel.for_product(DEFAULT_PRODUCTS[code])

    assert model.annual_vol == DEFAULT_PRODUCTS[code].annual_vol
    assert model.stationary_daily_variance() == pytest.approx(model.annual_vol**2, rel=1e-12)


def test_jump_intensities_carry_their_share_of_the_variance() -> None:
    # CR-4: λ_p·E[J_p²] = provider share·V and (2/(1+a))·λ_s·E[J_s²] = spike share·V.
    model = IndexModel(annual_vol=0.26, provider_jump_share=0.2, spike_share=0.1)
    v = 0.26**2

    assert model.provider_rate * model.provider_jump_m2 == pytest.approx(0.2 * v)
    assert model.spike_rate * model.spike_m2 * 2 / (1 + model.decay) == pytest.approx(0.1 * v)
    assert model.provider_jump_m2 == pytest.approx((0.07**3 - 0.04**3) / (3 * 0.03))


def test_a_model_without_jumps_splits_diffusion_by_the_short_share() -> None:
    model = IndexModel(annual_vol=0.2, provider_jump_share=0, spike_share=0, short_share=0.25)

    assert model.long_vol**2 == pytest.approx(0.75 * 0.04)
    assert model.provider_rate == 0 and model.spike_rate == 0


def test_the_long_factor_drifts_down_by_the_depreciation_rate() -> None:
    model = IndexModel(annual_vol=0.26, depreciation=0.17)

    assert math.exp(model.drift) == pytest.approx(0.83)


def test_overrides_replace_defaults_and_unknown_parameters_are_refused() -> None:
    spec = DEFAULT_PRODUCTS["A100"]

    assert IndexModel.for_product(spec, sticky_prob=0.0).sticky_prob == 0.0
    with pytest.raises(TypeError, match="unknown index model parameters"):
        IndexModel.for_product(spec, stickiness=0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"annual_vol": 0.0}, "annual_vol"),
        ({"annual_vol": 0.2, "mean_reversion": 0.0}, "mean_reversion"),
        ({"annual_vol": 0.2, "provider_jump_share": 0.6, "spike_share": 0.5}, "must be < 1"),
        ({"annual_vol": 0.2, "provider_jump_min": 0.08}, "provider_jump_min"),
        ({"annual_vol": 0.2, "sticky_prob": 1.0}, "sticky_prob"),
        ({"annual_vol": 0.2, "spike_mean": 1.5}, "spike_mean"),
    ],
)
def test_invalid_parameters_are_refused_with_the_reason(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IndexModel(**kwargs)


@pytest.mark.parametrize("days_ahead", [5, 60])
def test_the_model_forward_is_the_expected_future_index(days_ahead: int) -> None:
    # CR-4: forward_log(x, y, m) = ln E[S_{k+m} | X_k = x, Y_k = y] - ln S_0, exactly
    # for the daily scheme. Monte Carlo over 40,000 paths: the mean of S_m/S_0 has a
    # relative standard error of sd/√n; 4 standard errors is the tolerance.
    model = IndexModel(annual_vol=0.26, sticky_prob=0.0)
    paths = simulate_paths(model, 1.0, days_ahead + 1, 40_000, seed=11)
    final = paths.latent[:, -1]

    expected = math.exp(float(model.forward_log(0.0, 0.0, days_ahead)))
    se = final.std(ddof=1) / math.sqrt(final.size)
    assert abs(final.mean() - expected) < 4 * se


def test_the_forward_from_a_raised_short_factor_decays_towards_the_long_factor() -> None:
    model = IndexModel(annual_vol=0.26)
    m = np.array([0, 21, 252, 2520])

    lift = model.forward_log(0.2, 0.0, m) - model.forward_log(0.0, 0.0, m)

    assert lift == pytest.approx(0.2 * model.decay**m)
    assert lift[-1] < 1e-4
