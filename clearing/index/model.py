"""The calibrated two-factor index model (rule CR-4).

The log index is ``ln S_k = ln S_0 + X_k + Y_k`` on business day ``k`` (time step
``dt = 1/days_per_year`` years):

- ``X`` — short-term factor, mean-reverting (Ornstein–Uhlenbeck, speed κ per year),
  exact daily step ``X_k = a·X_{k-1} + s_X·ξ_k + J^spike_k`` with ``a = e^{-κ·dt}``
  and ``s_X = σ_X·√((1−a²)/(2κ))``; demand spikes ``J^spike`` arrive as a compound
  Poisson process (rate λ_s per year, sizes exponential with mean ``spike_mean``, all
  upward) and decay with the factor.
- ``Y`` — long-term factor, a random walk with drift ``μ = ln(1 − depreciation)``
  per year (incumbent GPUs lose value), ``Y_k = Y_{k-1} + μ·dt + σ_Y·√dt·η_k +
  J^prov_k``; provider-change jumps ``J^prov`` (rate λ_p per year, magnitude uniform
  in [provider_jump_min, provider_jump_max], sign ±1 with equal odds) are permanent.

Calibration (all variances per year, stationary): the variance of daily log changes is
``V = annual_vol²``, split into shares::

    λ_p·E[J_p²]                                = provider_jump_share·V
    (2/(1+a))·λ_s·E[J_s²]                      = spike_share·V
    σ_X²·(1−a)/(κ·dt)                          = short_share·D
    σ_Y²                                       = (1−short_share)·D
    D = (1 − provider_jump_share − spike_share)·V

The factors (1−a)/(κ·dt) and 2/(1+a) are the exact stationary variance of a daily
change of an AR(1) factor, so the published daily log changes have annualised variance
exactly ``V`` in the stationary state (sticky prints redistribute, but do not change,
the expected sum of squared changes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from exchange.products import ProductSpec

FloatArray = npt.NDArray[np.float64]


class Factor(StrEnum):
    """Which factor of the index model a shock or jump moves."""

    SHORT = "short"  # mean-reverting: the move decays with the short factor's half-life
    LONG = "long"  # permanent: the move stays in the level


@dataclass(frozen=True)
class IndexModel:
    """Parameters of the two-factor jump-diffusion index model (see module docstring).

    ``annual_vol`` annualised volatility of daily log changes of the random part (a
    fraction, 0.26 = 26%); ``mean_reversion`` κ per year; shares are fractions of
    variance; jump sizes are in log points (0.05 = about 5%); ``sticky_prob`` the
    probability that a business day's print repeats the previous one.
    """

    annual_vol: float
    mean_reversion: float = 4.0
    short_share: float = 0.5
    depreciation: float = 0.17
    provider_jump_share: float = 0.25
    provider_jump_min: float = 0.04
    provider_jump_max: float = 0.07
    spike_share: float = 0.10
    spike_mean: float = 0.08
    sticky_prob: float = 0.3
    days_per_year: int = 252

    def __post_init__(self) -> None:
        problems = []
        if not self.annual_vol > 0.0:
            problems.append("annual_vol must be > 0")
        if not self.mean_reversion > 0.0:
            problems.append("mean_reversion must be > 0")
        if not 0.0 <= self.short_share <= 1.0:
            problems.append("short_share must be in [0, 1]")
        if not 0.0 <= self.depreciation < 1.0:
            problems.append("depreciation must be in [0, 1)")
        if not (self.provider_jump_share >= 0.0 and self.spike_share >= 0.0):
            problems.append("jump shares must be >= 0")
        if not self.provider_jump_share + self.spike_share < 1.0:
            problems.append("provider_jump_share + spike_share must be < 1")
        if not 0.0 < self.provider_jump_min <= self.provider_jump_max:
            problems.append("need 0 < provider_jump_min <= provider_jump_max")
        if not 0.0 < self.spike_mean < 1.0:
            problems.append("spike_mean must be in (0, 1)")
        if not 0.0 <= self.sticky_prob < 1.0:
            problems.append("sticky_prob must be in [0, 1)")
        if self.days_per_year <= 0:
            problems.append("days_per_year must be > 0")
        if problems:
            raise ValueError("invalid index model: " + "; ".join(problems))

    @classmethod
    def for_product(cls, spec: ProductSpec, **overrides: Any) -> IndexModel:
        """Return the default model for ``spec``: its ``annual_vol`` and these defaults."""
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown index model parameters: {sorted(unknown)}")
        return replace(cls(annual_vol=spec.annual_vol), **overrides)

    # ------------------------------------------------------------------ derived values
    @property
    def dt(self) -> float:
        """Return one business day in years."""
        return 1.0 / self.days_per_year

    @property
    def decay(self) -> float:
        """Return a = e^{−κ·dt}, the short factor's one-day persistence."""
        return math.exp(-self.mean_reversion * self.dt)

    @property
    def drift(self) -> float:
        """Return μ = ln(1 − depreciation), the long factor's drift per year."""
        return math.log1p(-self.depreciation)

    @property
    def provider_jump_m2(self) -> float:
        """Return E[J_p²] of one provider jump (uniform magnitude on [min, max])."""
        a, b = self.provider_jump_min, self.provider_jump_max
        return (a * a + a * b + b * b) / 3.0

    @property
    def spike_m2(self) -> float:
        """Return E[J_s²] = 2·spike_mean² of one demand spike (exponential size)."""
        return 2.0 * self.spike_mean**2

    @property
    def provider_rate(self) -> float:
        """Return λ_p, provider jumps per year."""
        return self.provider_jump_share * self.annual_vol**2 / self.provider_jump_m2

    @property
    def spike_rate(self) -> float:
        """Return λ_s, demand spikes per year."""
        v = self.annual_vol**2
        return self.spike_share * v * (1.0 + self.decay) / (2.0 * self.spike_m2)

    @property
    def diffusive_variance(self) -> float:
        """Return D, the annual variance of daily changes due to the two diffusions."""
        return (1.0 - self.provider_jump_share - self.spike_share) * self.annual_vol**2

    @property
    def short_vol(self) -> float:
        """Return σ_X, the short factor's instantaneous volatility per √year."""
        a, k = self.decay, self.mean_reversion
        return math.sqrt(self.short_share * self.diffusive_variance * k * self.dt / (1.0 - a))

    @property
    def long_vol(self) -> float:
        """Return σ_Y, the long factor's volatility per √year."""
        return math.sqrt((1.0 - self.short_share) * self.diffusive_variance)

    @property
    def short_step_sd(self) -> float:
        """Return s_X, the standard deviation of the short factor's daily innovation."""
        a, k = self.decay, self.mean_reversion
        return self.short_vol * math.sqrt((1.0 - a * a) / (2.0 * k))

    @property
    def long_step_sd(self) -> float:
        """Return σ_Y·√dt, the standard deviation of the long factor's daily diffusion."""
        return self.long_vol * math.sqrt(self.dt)

    def stationary_daily_variance(self) -> float:
        """Return the annualised stationary variance of daily log changes (= annual_vol²)."""
        a, dt = self.decay, self.dt
        short = self.short_step_sd**2 * 2.0 / (1.0 + a) / dt
        spikes = self.spike_rate * self.spike_m2 * 2.0 / (1.0 + a)
        return short + spikes + self.long_vol**2 + self.provider_rate * self.provider_jump_m2

    # ------------------------------------------------------------- moment functions
    def provider_mgf(self, c: npt.ArrayLike) -> FloatArray:
        """Return E[exp(c·J_p)] for a provider jump, elementwise in ``c``."""
        a, b = self.provider_jump_min, self.provider_jump_max
        c = np.asarray(c, dtype=np.float64)
        safe = np.where(c == 0.0, 1.0, c)
        value = (np.sinh(safe * b) - np.sinh(safe * a)) / (safe * (b - a))
        return np.where(c == 0.0, 1.0, value)

    def spike_mgf(self, c: npt.ArrayLike) -> FloatArray:
        """Return E[exp(c·J_s)] = 1/(1 − c·spike_mean) for a demand spike (c·mean < 1)."""
        return 1.0 / (1.0 - np.asarray(c, dtype=np.float64) * self.spike_mean)

    def forward_log_offset(self, days_ahead: npt.ArrayLike) -> FloatArray:
        """Return A(m) with ln E_k[S_{k+m}] = ln S_0 + a^m·X_k + Y_k + A(m), m ≥ 0 days.

        Exact for the daily discretisation, scheduled shocks excluded (they are
        surprises to the market).
        """
        m = np.asarray(days_ahead, dtype=np.int64)
        if m.size and m.min() < 0:
            raise ValueError("days ahead must be >= 0")
        top = int(m.max()) if m.size else 0
        a, dt = self.decay, self.dt
        powers = a ** np.arange(top, dtype=np.float64)  # a^j, j = 0 .. top-1
        spike_terms = self.spike_rate * dt * (self.spike_mgf(powers) - 1.0)
        short_terms = 0.5 * self.short_step_sd**2 * powers**2
        cum = np.concatenate(([0.0], np.cumsum(spike_terms + short_terms)))
        per_day_long = (
            self.drift * dt
            + 0.5 * self.long_step_sd**2
            + self.provider_rate * dt * (float(self.provider_mgf(1.0)) - 1.0)
        )
        out = np.asarray(m * per_day_long + cum[m], dtype=np.float64)
        return out

    def forward_log(
        self, short: npt.ArrayLike, long: npt.ArrayLike, days_ahead: npt.ArrayLike
    ) -> FloatArray:
        """Return ln(E[S_{k+m}]/S_0) given factor values ``short``, ``long`` (broadcast)."""
        m = np.asarray(days_ahead, dtype=np.int64)
        out: FloatArray = self.decay**m * np.asarray(short) + np.asarray(long)
        return out + self.forward_log_offset(m)
