"""The few statistics the clearing house needs, without scipy.

- ``norm_cdf`` / ``norm_ppf``: the standard normal distribution (``math.erfc`` and
  Acklam's rational approximation refined by two Newton steps, |error| < 1e-12).
- ``chi2_sf_1dof``: the tail of a chi-square with one degree of freedom,
  P(χ²₁ > x) = erfc(√(x/2)).
- ``kupiec_pof``: Kupiec's (1995) proportion-of-failures likelihood-ratio test for a
  VaR or margin backtest (rule CR-20).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def norm_cdf(x: float) -> float:
    """Return P(Z ≤ x) for a standard normal Z."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_ppf(p: float) -> float:
    """Return the standard normal quantile z with P(Z ≤ z) = p, for 0 < p < 1."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {p}")
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        num = ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
        x = num / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0)
    elif p <= 1.0 - _P_LOW:
        q = p - 0.5
        r = q * q
        num = (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
        x = num / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
    else:
        q = math.sqrt(-2.0 * math.log1p(-p))
        num = ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
        x = -num / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0)
    for _ in range(2):  # Newton on Φ(x) − p; Acklam's start is within 1.2e-9
        err = norm_cdf(x) - p
        x -= err / (math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi))
    return x


def chi2_sf_1dof(x: float) -> float:
    """Return P(χ²₁ > x) = erfc(√(x/2)) for x ≥ 0."""
    if x < 0.0:
        raise ValueError(f"chi-square statistic must be non-negative, got {x}")
    return math.erfc(math.sqrt(x / 2.0))


@dataclass(frozen=True)
class KupiecResult:
    """Outcome of Kupiec's proportion-of-failures test.

    ``observations`` trials, ``breaches`` of them failures, ``expected_rate`` the
    nominal failure probability (0.01 for a 99% margin), ``lr`` the likelihood ratio
    (asymptotically χ²₁ under the null) and ``p_value`` its tail probability.
    """

    observations: int
    breaches: int
    expected_rate: float
    lr: float
    p_value: float

    @property
    def breach_rate(self) -> float:
        """Return the observed failure frequency."""
        return self.breaches / self.observations

    def accepts(self, significance: float = 0.05) -> bool:
        """Return True if the test does not reject the nominal rate at ``significance``."""
        return self.p_value >= significance


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * math.log(y)


def kupiec_pof(observations: int, breaches: int, expected_rate: float) -> KupiecResult:
    """Return Kupiec's POF likelihood-ratio test of ``breaches`` out of ``observations``.

    LR = −2 ln[(1−p)^(n−x) p^x] + 2 ln[(1−x/n)^(n−x) (x/n)^x], with 0·ln 0 = 0.
    """
    n, x, p = observations, breaches, expected_rate
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"need 0 <= breaches <= observations, observations > 0: {x}/{n}")
    if not 0.0 < p < 1.0:
        raise ValueError(f"expected rate must be in (0, 1), got {p}")
    rate = x / n
    log_null = _xlogy(n - x, 1.0 - p) + _xlogy(x, p)
    log_alt = _xlogy(n - x, 1.0 - rate) + _xlogy(x, rate)
    lr = max(0.0, -2.0 * (log_null - log_alt))
    return KupiecResult(n, x, p, lr, chi2_sf_1dof(lr))
