"""Simulated index paths and the SimulatedIndex source (docs/clearing-rules.md CR-3 to CR-5).

Tolerances are sampling errors computed from the sample itself, stated per test; each
test uses a fixed seed, so it is deterministic, and a 4-standard-error band keeps the
chance that a correct model fails a test on some other seed below 1 in 15,000.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from clearing.index import (
    Factor,
    IndexModel,
    IndexNotPublished,
    IndexSource,
    Shock,
    SimulatedIndex,
    simulate_paths,
)
from clearing.index.distribution import log_move_cdf
from clearing.stats import norm_cdf
from exchange.products import DEFAULT_PRODUCTS

H100 = DEFAULT_PRODUCTS["H100"]
TEN_YEARS = 2521  # business days, start print included


@pytest.fixture(scope="module")
def long_paths() -> tuple[IndexModel, object]:
    model = IndexModel.for_product(H100)
    return model, simulate_paths(model, 281.0, TEN_YEARS, 200, seed=7)


def test_realised_volatility_of_long_paths_matches_the_annual_vol(long_paths) -> None:
    # CR-4. Per path, the annualised variance of daily log changes of the published
    # (sticky) float print; across 200 independent paths their mean has standard error
    # sd/√200 (about 0.8% of V here: jumps make the estimate noisy). Allowed: 4 standard
    # errors plus 1% of V for the start from X = 0 (the first months are not yet
    # stationary) and the mean-reversion pull across sticky runs.
    model, paths = long_paths
    changes = np.diff(np.log(paths.published), axis=1)
    per_path = changes.var(axis=1, ddof=1) * model.days_per_year

    v = model.annual_vol**2
    se = per_path.std(ddof=1) / math.sqrt(per_path.size)
    assert abs(per_path.mean() - v) < 4 * se + 0.01 * v


def test_the_share_of_sticky_days_matches_the_probability(long_paths) -> None:
    # CR-4: each day after the first repeats the previous print with probability p;
    # binomial standard error √(p(1−p)/n) over n = 200 × 2,520 days.
    model, paths = long_paths
    unchanged = paths.published[:, 1:] == paths.published[:, :-1]

    p, n = model.sticky_prob, unchanged.size
    assert abs(unchanged.mean() - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert np.array_equal(unchanged, paths.sticky[:, 1:])


def test_jump_counts_are_poisson_with_the_calibrated_rates(long_paths) -> None:
    # CR-4: the number of jumps over n days is Poisson(λ·n·dt): mean = variance.
    model, paths = long_paths
    days = paths.provider_counts[:, 1:].size
    for counts, rate in (
        (paths.provider_counts, model.provider_rate),
        (paths.spike_counts, model.spike_rate),
    ):
        expected = rate * model.dt * days
        assert abs(int(counts.sum()) - expected) < 4 * math.sqrt(expected)
        assert counts[:, 0].sum() == 0


def test_provider_jumps_are_four_to_seven_percent_either_way(long_paths) -> None:
    # CR-4: magnitude uniform on [0.04, 0.07] (mean 0.055, sd 0.03/√12); sign ±1.
    _, paths = long_paths
    sizes = paths.provider_sizes
    magnitude = np.abs(sizes)

    assert sizes.size == paths.provider_counts.sum()
    assert magnitude.min() >= 0.04 and magnitude.max() <= 0.07
    assert abs(magnitude.mean() - 0.055) < 4 * (0.03 / math.sqrt(12)) / math.sqrt(sizes.size)
    ups = int((sizes > 0).sum())
    assert abs(ups - sizes.size / 2) < 4 * math.sqrt(sizes.size / 4)


def test_demand_spikes_are_upward_with_the_mean_size(long_paths) -> None:
    # CR-4: exponential sizes, standard error of the mean = mean/√n.
    model, paths = long_paths
    sizes = paths.spike_sizes

    assert np.all(sizes > 0)
    assert abs(sizes.mean() - model.spike_mean) < 4 * model.spike_mean / math.sqrt(sizes.size)


def test_large_daily_moves_are_as_frequent_as_the_jump_model_says() -> None:
    # CR-4: P(|daily log change| > 5%) of the non-sticky print against the model's
    # exact distribution (clearing.index.distribution); binomial standard error.
    # A Gaussian with the same volatility would give about a sixth as many.
    model = IndexModel.for_product(H100, sticky_prob=0.0)
    paths = simulate_paths(model, 281.0, TEN_YEARS, 200, seed=8)
    changes = np.diff(np.log(paths.published), axis=1).ravel()
    u = 0.05

    observed = float((np.abs(changes) > u).mean())
    cdf = log_move_cdf(model, 1.0, 1.0, 1, [-u, u], mode="index")
    expected = float(cdf[0] + 1.0 - cdf[1])
    gaussian = 2 * norm_cdf(-u / (model.annual_vol * math.sqrt(model.dt)))
    assert abs(observed - expected) < 4 * math.sqrt(expected * (1 - expected) / changes.size)
    assert observed > 4 * gaussian


def test_a_generation_launch_moves_the_index_on_its_date_and_for_good() -> None:
    # CR-5: same seed with and without the shock: identical before the date, exactly
    # e^{-0.22} times the path without it from that date on (long factor, permanent).
    start, end, launch = date(2027, 1, 4), date(2027, 6, 30), date(2027, 3, 15)
    base = SimulatedIndex.for_product(H100, start, end, seed=3)
    shocked = SimulatedIndex.for_product(
        H100, start, end, seed=3, shocks=[Shock.generation_launch(launch)]
    )
    ratio = shocked.values_array() / base.values_array()
    on = base.days.index(launch)

    assert np.all(ratio[:on] == 1.0)
    # The launch day always prints; without the shock it may have been a sticky day.
    assert shocked.value(launch) == pytest.approx(
        math.exp(-0.22) * base.paths.latent[0, on], rel=1e-12
    )
    assert ratio[on + 1 :] == pytest.approx(math.exp(-0.22), rel=1e-12)


def test_a_demand_spike_decays_with_the_short_factor() -> None:
    # CR-5: a short-factor shock of +0.20 contributes 0.20·a^n to the log index n days on.
    model = IndexModel.for_product(H100)
    base = simulate_paths(model, 281.0, 200, 1, seed=5)
    spiked = simulate_paths(model, 281.0, 200, 1, seed=5, shocks=[(10, 0.2, Factor.SHORT)])
    lift = np.log(spiked.latent[0] / base.latent[0])

    n = np.arange(200 - 10)
    assert np.all(lift[:10] == 0.0)
    assert lift[10:] == pytest.approx(0.2 * model.decay**n, abs=1e-12)


def test_shocks_must_fall_on_a_business_day_inside_the_series() -> None:
    with pytest.raises(ValueError, match="must fall on a business day"):
        SimulatedIndex.for_product(
            H100, date(2027, 1, 4), date(2027, 2, 26), 1, [Shock.glut(date(2027, 1, 9))]
        )
    with pytest.raises(ValueError, match="must fall on a business day"):
        SimulatedIndex.for_product(
            H100, date(2027, 1, 4), date(2027, 2, 26), 1, [Shock.demand_spike(date(2027, 1, 4))]
        )


def test_the_same_seed_gives_the_same_paths_and_another_seed_does_not() -> None:
    model = IndexModel.for_product(H100)
    seq = np.random.SeedSequence(42)

    a = simulate_paths(model, 281.0, 300, 4, seed=seq)
    b = simulate_paths(model, 281.0, 300, 4, seed=seq)
    c = simulate_paths(model, 281.0, 300, 4, seed=43)

    assert np.array_equal(a.published, b.published)
    assert np.array_equal(a.sticky, b.sticky)
    assert not np.array_equal(a.published, c.published)
    assert np.array_equal(simulate_paths(model, 281.0, 300, 4, seed=42).published, a.published)


def test_a_generator_seed_is_consumed_so_successive_draws_differ() -> None:
    model = IndexModel.for_product(H100)
    gen = np.random.default_rng(9)

    first = simulate_paths(model, 281.0, 50, 2, seed=gen)
    second = simulate_paths(model, 281.0, 50, 2, seed=gen)

    assert not np.array_equal(first.published, second.published)


def test_turning_jumps_off_leaves_the_diffusion_draws_unchanged() -> None:
    # Independent streams per component (CR-4): removing jumps changes only jump terms.
    with_jumps = IndexModel(annual_vol=0.26, sticky_prob=0.0)
    without = IndexModel(annual_vol=0.26, sticky_prob=0.0, provider_jump_share=0.0)
    a = simulate_paths(with_jumps, 100.0, 100, 3, seed=1)
    b = simulate_paths(without, 100.0, 100, 3, seed=1)

    assert np.array_equal(a.sticky, b.sticky)
    assert np.array_equal(a.spike_counts, b.spike_counts)
    assert b.provider_counts.sum() == 0


def test_the_simulated_index_publishes_every_business_day_from_the_reference_level() -> None:
    index = SimulatedIndex.for_product(H100, date(2027, 1, 1), date(2027, 1, 31), seed=1)

    assert isinstance(index, IndexSource)
    assert index.name == "h100_usd"
    assert index.days[0] == date(2027, 1, 1) and index.days[-1] == date(2027, 1, 29)
    assert all(d.weekday() < 5 for d in index.days) and len(index.days) == 21
    assert index.value(date(2027, 1, 1)) == 281.0 and index.units(date(2027, 1, 1)) == 281
    with pytest.raises(IndexNotPublished, match="2027-01-02"):
        index.value(date(2027, 1, 2))


def test_the_integer_print_is_the_float_value_rounded_half_to_even() -> None:
    # CR-3: clearing uses units(day) = round-half-even(value(day)).
    index = SimulatedIndex.for_product(H100, date(2027, 1, 1), date(2029, 12, 31), seed=2)

    for day in index.days:
        assert index.units(day) == round(index.value(day))
    assert np.array_equal(index.units_array(), np.rint(index.values_array()).astype(np.int64))
