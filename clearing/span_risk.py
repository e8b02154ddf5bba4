"""Risk parameters from the index model: scan ranges by tenor, spread charges (CR-16, CR-18).

Exposure of a contract to the two factors (rule CR-16). A contract settles on the
mean of the index over the N business days of its month. On valuation day t, let
``k(u)`` be the number of business days from t to fixing day u. Over a liquidation
period of ``h`` business days the contract's log price moves by
``Σ_j (w_short[j]·δX_j + w_long[j]·δY_j)`` (j = 1 … h, δ the factors' daily
innovations) with::

    w_short[j] = (1/N) · Σ_{u: k(u) ≥ j} a^{k(u) − j}      (a = e^{−κ·dt})
    w_long[j]  = (1/N) · #{u: k(u) ≥ j}

``w_long`` is the averaging-month shrink: 1 before the month starts, falling linearly
to 0 at the last fixing (a fixing already known no longer moves, and one that falls
inside the liquidation period only sees the days before it). ``w_short`` adds the
mean-reversion damping of back months: a short-factor shock has mostly decayed by the
time a far month fixes.

Scan range of contract c at price F_c (price units), with q_lo, q_hi the
(1 − confidence) and confidence quantiles of that h-day log move under the product's
index model (``distribution.daily_exposure_quantiles``, mode "futures")::

    scan_up   = ⌈F_c · (e^{q_hi} − 1) · unit_value / outright_factor⌉   µ$
    scan_down = ⌈F_c · (1 − e^{q_lo}) · unit_value / outright_factor⌉   µ$

Dividing by ``outright_factor`` (1.05: the extreme scenario counts 35% of three
ranges) makes an outright position's scan risk exactly the 99% h-day move.

Spread charges (rule CR-18) are fixed per product when this object is built, from
representative months (month m fixes on business days 21m+1 … 21m+21): the rate for
tiers (i, j) is the smallest fraction of price such that, for every pair of months
(a, b) in those tiers and either orientation, scan risk + charge ≥ the
``confidence`` quantile of the spread's loss, ``|W_a − W_b|`` times the short
factor's centred h-day move (W = w_short[h], the exposure to the short factor at the
end of the period; the long factor cancels in a calendar spread). On a valuation day
the rate in µ$ is ⌈fraction × mean price of the product's live contracts × unit_value⌉.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import numpy as np
import numpy.typing as npt

from clearing.busdays import business_days_after
from clearing.contracts import ContractSet
from clearing.index.distribution import daily_exposure_quantiles, log_move_quantiles
from clearing.index.model import IndexModel
from clearing.span import SpanParams, SpanRiskParameters

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BUSINESS_DAYS_PER_MONTH = 21


def _ceil_micros(x: FloatArray) -> IntArray:
    """Round non-negative float µ$ up to whole µ$; 1e-9 absorbs float noise above an integer."""
    return np.ceil(np.maximum(x, 0.0) - 1e-9).astype(np.int64)


class ModelRiskParameters:
    """Compute ``SpanRiskParameters`` for ``contracts`` from each product's index model.

    ``models`` maps product code → ``IndexModel`` (default: ``IndexModel.for_product``
    of each product). Building costs one FFT batch per product (spread rates);
    ``compute`` one FFT batch over the live contracts (about 80 ms for 108).
    """

    def __init__(
        self,
        contracts: ContractSet,
        models: Mapping[str, IndexModel] | None = None,
        params: SpanParams | None = None,
    ) -> None:
        self.contracts = contracts
        self.params = params or SpanParams()
        given = dict(models or {})
        self.models: dict[str, IndexModel] = {
            spec.code: given.get(spec.code) or IndexModel.for_product(spec)
            for spec in contracts.products
        }
        p = self.params
        self._probs = (1.0 - p.confidence, p.confidence)
        self.spread_fractions: FloatArray = np.stack(
            [
                self._spread_fractions(self.models[spec.code], spec.months_listed)
                for spec in contracts.products
            ]
        )
        # Fixing days of every contract, flattened, with their owner column.
        days = [c.business_days for c in contracts.contracts]
        self._n_fixings = np.array([len(d) for d in days], dtype=np.float64)
        self._owner = np.repeat(np.arange(len(days)), [len(d) for d in days])
        self._fix_days = np.array([d for ds in days for d in ds], dtype="datetime64[D]")
        self._decay = np.array(
            [self.models[c.product].decay for c in contracts.contracts], dtype=np.float64
        )

    # ------------------------------------------------------------------ exposures
    def exposures(self, as_of: date) -> tuple[FloatArray, FloatArray]:
        """Return per-day exposures (w_short, w_long), each (C, h), on ``as_of``.

        Column j − 1 is day j of the liquidation period (see module docstring).
        """
        k = business_days_after(self.contracts.calendar, as_of, self._fix_days)
        return self._daily_exposures(k, self._owner, self._decay[self._owner], self._n_fixings)

    def _daily_exposures(
        self, k: IntArray, owner: IntArray, decay: FloatArray, n_fixings: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        h = self.params.liquidation_days
        n = n_fixings.size
        w_short = np.empty((n, h))
        w_long = np.empty((n, h))
        for j in range(1, h + 1):
            ahead = k >= j
            lag = np.where(ahead, k - j, 0).astype(np.float64)
            weights = np.where(ahead, decay**lag, 0.0)
            w_short[:, j - 1] = np.bincount(owner, weights=weights, minlength=n) / n_fixings
            w_long[:, j - 1] = (
                np.bincount(owner, weights=ahead.astype(np.float64), minlength=n) / n_fixings
            )
        return w_short, w_long

    def log_quantiles(
        self, as_of: date, exposures: tuple[FloatArray, FloatArray] | None = None
    ) -> FloatArray:
        """Return (C, 2) lower and upper log-move quantiles per contract on ``as_of``."""
        w_short, w_long = exposures or self.exposures(as_of)
        out = np.zeros((len(self.contracts), 2))
        for p, spec in enumerate(self.contracts.products):
            cols = np.flatnonzero((self.contracts.product_index == p) & (w_long[:, 0] > 0))
            if cols.size:
                out[cols] = daily_exposure_quantiles(
                    self.models[spec.code], w_short[cols], w_long[cols], self._probs, "futures"
                )
        return out

    # ------------------------------------------------------------------ parameters
    def compute(self, as_of: date, prices: npt.ArrayLike) -> SpanRiskParameters:
        """Return the risk parameters for valuation day ``as_of`` at ``prices``.

        ``prices`` one settlement price per column, price units (> 0 for live contracts).
        """
        f = np.asarray(prices, dtype=np.float64)
        if f.shape != (len(self.contracts),):
            raise ValueError(f"need {len(self.contracts)} prices, got shape {f.shape}")
        exposures = self.exposures(as_of)
        q = self.log_quantiles(as_of, exposures)
        unit = self.contracts.unit_value_micros.astype(np.float64)
        factor = self.params.outright_factor
        up = _ceil_micros(f * np.expm1(np.maximum(q[:, 1], 0.0)) * unit / factor)
        down = _ceil_micros(-f * np.expm1(np.minimum(q[:, 0], 0.0)) * unit / factor)
        live = exposures[1][:, 0] > 0
        rates = np.zeros_like(self.spread_fractions, dtype=np.int64)
        for p, spec in enumerate(self.contracts.products):
            cols = (self.contracts.product_index == p) & live
            if cols.any():
                mean_price = float(f[cols].mean())
                value = self.spread_fractions[p] * mean_price * spec.unit_value_micros
                rates[p] = _ceil_micros(value)
        tier = self.params.tier_of(self.contracts.months_ahead(as_of))
        return SpanRiskParameters(
            scan_up_micros=up,
            scan_down_micros=down,
            product_index=self.contracts.product_index,
            tier=tier,
            spread_rate_micros=rates,
        )

    # ------------------------------------------------------------------ spreads
    def _spread_fractions(self, model: IndexModel, months: int) -> FloatArray:
        """Return the (T, T) spread charge per unit price for one product (see module)."""
        p = self.params
        h = p.liquidation_days
        per_month = BUSINESS_DAYS_PER_MONTH
        k = (np.arange(months * per_month) + 1).astype(np.int64)
        owner = np.repeat(np.arange(months), per_month)
        decay = np.full(k.size, model.decay)
        ws, wl = self._daily_exposures(k, owner, decay, np.full(months, float(per_month)))
        q = daily_exposure_quantiles(model, ws, wl, self._probs, "futures")
        w = ws[:, -1]
        factor = p.outright_factor
        s_up = np.expm1(np.maximum(q[:, 1], 0.0)) / factor
        s_dn = -np.expm1(np.minimum(q[:, 0], 0.0)) / factor
        qx = log_move_quantiles(model, 1.0, 0.0, h, self._probs, mode="centred")[0]
        x_lo, x_hi = -math.expm1(min(qx[0], 0.0)), math.expm1(max(qx[1], 0.0))
        dw = w[:, None] - w[None, :]  # long a, short b: gains when the short factor rises
        need = np.where(dw > 0, dw * x_lo, -dw * x_hi)
        scan = factor * np.maximum.reduce(
            [np.zeros_like(dw), s_up[None, :] - s_up[:, None], s_dn[:, None] - s_dn[None, :]]
        )
        shortfall = np.maximum(need - scan, 0.0)
        np.fill_diagonal(shortfall, 0.0)
        tiers = p.tier_of(np.arange(months))
        n_t = len(p.tiers)
        out = np.zeros((n_t, n_t))
        for i in range(n_t):
            for j in range(n_t):
                block = shortfall[np.ix_(tiers == i, tiers == j)]
                if block.size:
                    out[i, j] = block.max()
        return np.maximum(out, out.T)
