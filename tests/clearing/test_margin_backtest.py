"""Backtest of initial margin on simulated index paths (docs/clearing-rules.md CR-20).

For each product, 4,000 simulated paths of the index model through January 2027
give, per contract and side, 40,000 two-day windows (ten non-overlapping windows a
path). A window's futures prices come from the model itself: a contract's price on a
day is the mean over its fixing days of the known fixings and of the model forward
E[S_u] (``IndexModel.forward_log``) for the fixings still to come; so its changes in
different windows depend on disjoint innovations and are independent. A *breach* is a
two-day loss of a one-lot position larger than the hedger's initial margin at the
window's start (hedger IM = maintenance).

Kupiec's POF test compares the breach count with the nominal 1%: with n = 40,000 the
expected count is 400 (standard deviation 20). Each (product, contract, side) must
not be rejected at 0.1% significance (24 tests: a family-wise false-alarm chance of
about 2.4% on a new seed); a margin 15% too low must be rejected at 1e-6, showing the
test has the power to tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest

from clearing.accounts import AccountType
from clearing.busdays import business_days_after
from clearing.contracts import ContractSet
from clearing.index import IndexModel, simulate_paths
from clearing.margin import MarketState, SpanLikeMargin
from clearing.stats import kupiec_pof
from exchange.calendar import DEFAULT_CALENDAR as CAL
from exchange.products import DEFAULT_PRODUCTS, contract_for_month

MONTHS = [
    (2027, 1),
    (2027, 2),
    (2027, 7),
    (2028, 12),
]  # in its averaging month, then 1, 6, 23 ahead
DAYS = CAL.business_days(date(2027, 1, 1), date(2027, 1, 29))  # January 2027: 21 days
N_PATHS = 4_000
HORIZON = 2


@dataclass
class Backtest:
    returns: np.ndarray  # (contracts, windows, paths): F(t+2)/F(t) − 1
    im_long: np.ndarray  # (contracts, windows): hedger IM of one long, fraction of notional
    im_short: np.ndarray
    spec_long: np.ndarray  # speculator IM of one long, fraction of notional


def futures_prices(model, paths, contract, day_index: int, start: float) -> np.ndarray:
    """Return the model futures price of ``contract`` on ``DAYS[day_index]`` per path."""
    ahead = business_days_after(CAL, DAYS[day_index], contract.business_days)
    total = np.zeros(paths.latent.shape[0])
    for fixing, k in zip(contract.business_days, ahead, strict=True):
        if k <= 0:
            total += paths.latent[:, DAYS.index(fixing)]
        else:
            log_fwd = model.forward_log(paths.short[:, day_index], paths.long[:, day_index], int(k))
            total += start * np.exp(log_fwd)
    return total / contract.n_fixings


def run_backtest(code: str, seed: int) -> Backtest:
    spec = DEFAULT_PRODUCTS[code]
    model = IndexModel.for_product(spec, sticky_prob=0.0)
    contracts = [contract_for_month(spec, y, m, CAL) for y, m in MONTHS]
    margin = SpanLikeMargin(ContractSet(contracts, {code: spec}), models={code: model})
    start = float(spec.ref_price_units)
    paths = simulate_paths(model, start, len(DAYS), N_PATHS, seed=seed)
    n = len(contracts)
    positions = np.vstack(
        [np.eye(n, dtype=np.int64), -np.eye(n, dtype=np.int64), np.eye(n, dtype=np.int64)]
    )
    kinds = np.array([AccountType.HEDGER] * 2 * n + [AccountType.SPECULATOR] * n, dtype=np.int8)
    prices = np.full(n, spec.ref_price_units, dtype=np.int64)
    notional = spec.ref_price_units * spec.unit_value_micros

    starts = range(0, len(DAYS) - HORIZON, HORIZON)
    returns = np.empty((n, len(starts), N_PATHS))
    im = np.empty((3 * n, len(starts)))
    for w, t in enumerate(starts):
        # Margin is proportional to price (tested in test_margin_model), so one
        # valuation at the reference price gives IM as a fraction of notional.
        im[:, w] = margin.requirements(positions, kinds, MarketState(DAYS[t], prices)).initial
        for c, contract in enumerate(contracts):
            before = futures_prices(model, paths, contract, t, start)
            after = futures_prices(model, paths, contract, t + HORIZON, start)
            returns[c, w] = after / before - 1.0
    im /= notional
    return Backtest(returns, im[:n], im[n : 2 * n], im[2 * n :])


@pytest.fixture(scope="module", params=["H100", "B200", "A100"])
def backtest(request: pytest.FixtureRequest) -> tuple[str, Backtest]:
    seeds = {"H100": 2027, "B200": 2028, "A100": 2029}
    return request.param, run_backtest(request.param, seeds[request.param])


def breaches(bt: Backtest, scale: float = 1.0) -> list[tuple[str, str, int, int]]:
    out = []
    for c, (year, month) in enumerate(MONTHS):
        loss_long = -bt.returns[c]
        loss_short = bt.returns[c]
        label = f"{year}-{month:02d}"
        out.append(
            (label, "long", int((loss_long > scale * bt.im_long[c][:, None]).sum()), loss_long.size)
        )
        out.append(
            (
                label,
                "short",
                int((loss_short > scale * bt.im_short[c][:, None]).sum()),
                loss_short.size,
            )
        )
    return out


def test_initial_margin_is_breached_on_one_two_day_window_in_a_hundred(backtest) -> None:
    # CR-20: Kupiec POF at the nominal 1% for every contract and side.
    code, bt = backtest
    table = [(month, side, b, n, kupiec_pof(n, b, 0.01)) for month, side, b, n in breaches(bt)]
    report = "\n".join(
        f"{code} {month} {side}: {b}/{n} = {b / n:.4%}, p = {r.p_value:.3f}"
        for month, side, b, n, r in table
    )

    for *_, result in table:
        assert result.accepts(0.001), report


def test_a_margin_fifteen_percent_too_low_is_rejected(backtest) -> None:
    code, bt = backtest
    for month, side, b, n in breaches(bt, scale=0.85):
        result = kupiec_pof(n, b, 0.01)
        assert b > n * 0.01 and result.p_value < 1e-6, (code, month, side, b, n)


def test_speculators_margin_is_breached_less_often_than_one_in_a_hundred(backtest) -> None:
    # CR-19: speculators post 110% of maintenance, so their IM covers more than 99%.
    # Pooled over 160,000 windows (4 contracts); even if the contracts moved as one,
    # the standard error of the rate would be √(0.0085·0.99/40,000) ≈ 0.05%.
    code, bt = backtest
    loss = -bt.returns
    rate = (loss > bt.spec_long[:, :, None]).mean()

    assert rate < 0.0095, (code, rate)
