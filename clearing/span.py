"""The SPAN-like scan: sixteen price scenarios, calendar-spread charges (CR-17, CR-18).

Inputs are a *risk parameter set* (``SpanRiskParameters``: per-contract price scan
ranges in µ$, spread tiers and per-tier-pair spread charges, as in a SPAN risk
parameter file) and an accounts × contracts position matrix. Everything is integer
µ$ and vectorised over accounts: one integer matrix product per product, no loop over
accounts. ``clearing.span_reference`` computes the same thing account by account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearing.accounts import AccountType

IntArray = npt.NDArray[np.int64]

MAX_ABS_POSITION = 1_000_000
"""Largest |position| (contracts) the int64 scan accepts without overflow."""

# The sixteen SPAN scenarios: price move in thirds of the scan range, and the
# volatility leg. For futures the two legs of a pair give the same loss; the rows are
# kept so that options can be added without changing the layout. Rows 15 and 16 are
# the extreme moves (``extreme_multiple`` × the range, ``extreme_cover_percent`` of
# the loss counted); they are filled in from ``SpanParams``.
SCENARIO_THIRDS = (0, 0, 1, 1, -1, -1, 2, 2, -2, -2, 3, 3, -3, -3)
SCENARIO_VOL = (1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 0, 0)
N_SCENARIOS = 16


@dataclass(frozen=True)
class SpanParams:
    """Parameters of the SPAN-like margin (rule CR-16 to CR-19).

    ``confidence`` of the scan (0.99); ``liquidation_days`` business days to close a
    defaulter's portfolio (2); extreme moves of ``extreme_multiple`` × the scan range
    with ``extreme_cover_percent`` % of the loss counted (3, 35); speculators' initial
    margin is ``speculator_initial_percent`` % of maintenance (110); ``tiers`` are
    the calendar-spread tiers as inclusive ranges of months ahead (0 = current month).
    """

    confidence: float = 0.99
    liquidation_days: int = 2
    extreme_multiple: int = 3
    extreme_cover_percent: int = 35
    speculator_initial_percent: int = 110
    tiers: tuple[tuple[int, int], ...] = ((0, 2), (3, 11), (12, 35))

    def __post_init__(self) -> None:
        if not 0.5 < self.confidence < 1.0:
            raise ValueError("confidence must be in (0.5, 1)")
        if self.liquidation_days < 1 or self.extreme_multiple < 1:
            raise ValueError("liquidation_days and extreme_multiple must be >= 1")
        if not 0 < self.extreme_cover_percent <= 100:
            raise ValueError("extreme_cover_percent must be in (0, 100]")
        if self.speculator_initial_percent < 100:
            raise ValueError("speculator_initial_percent must be >= 100")
        if not self.tiers or self.tiers[0][0] != 0:
            raise ValueError("tiers must start at month 0")
        for (lo, hi), nxt in zip(self.tiers, [*self.tiers[1:], None], strict=True):
            if hi < lo or (nxt is not None and nxt[0] != hi + 1):
                raise ValueError("tiers must be contiguous ranges of months ahead")

    @property
    def outright_factor(self) -> float:
        """Return the largest scenario loss of an outright as a multiple of its range.

        max(1, extreme_multiple × extreme_cover) — 1.05 with the defaults.
        """
        return max(1.0, self.extreme_multiple * self.extreme_cover_percent / 100.0)

    def tier_of(self, months_ahead: npt.ArrayLike) -> IntArray:
        """Return the tier index of each months-ahead value (clipped to the tiers)."""
        edges = np.array([hi for _, hi in self.tiers[:-1]], dtype=np.int64)
        m = np.maximum(np.asarray(months_ahead, dtype=np.int64), 0)
        return np.searchsorted(edges, m, side="left").astype(np.int64)


@dataclass(frozen=True)
class SpanRiskParameters:
    """A risk parameter set for one valuation (all µ$, integers).

    ``scan_up_micros``/``scan_down_micros`` (C,): the price scan range per contract for
    a rise and for a fall (the 3/3 move, ≥ 0); ``product_index`` (C,) and ``tier`` (C,)
    place each contract; ``spread_rate_micros`` (P, T, T) symmetric: the charge per
    spread between tiers i and j of product p.
    """

    scan_up_micros: IntArray
    scan_down_micros: IntArray
    product_index: IntArray
    tier: IntArray
    spread_rate_micros: IntArray

    def __post_init__(self) -> None:
        c = self.scan_up_micros.shape
        arrays = (self.scan_down_micros, self.product_index, self.tier)
        if len(c) != 1 or any(a.shape != c for a in arrays):
            raise ValueError("per-contract arrays must all have shape (C,)")
        if np.any(self.scan_up_micros < 0) or np.any(self.scan_down_micros < 0):
            raise ValueError("scan ranges must be >= 0")
        r = self.spread_rate_micros
        if r.ndim != 3 or r.shape[1] != r.shape[2] or np.any(r < 0):
            raise ValueError("spread rates must be a non-negative (P, T, T) array")
        if not np.array_equal(r, r.transpose(0, 2, 1)):
            raise ValueError("spread rates must be symmetric in the two tiers")
        if c[0] and (self.product_index.max() >= r.shape[0] or self.tier.max() >= r.shape[1]):
            raise ValueError("product or tier index outside the spread-rate array")

    def scenario_moves(self, params: SpanParams) -> IntArray:
        """Return the (16, C) price move of each scenario in µ$ per contract.

        Fractions of the range are rounded away from zero (whole µ$), so no scenario
        understates its move.
        """
        up, down = self.scan_up_micros, self.scan_down_micros
        rows = []
        for k in SCENARIO_THIRDS:
            rows.append(-((-k * up) // 3) if k >= 0 else (k * down) // 3)
        rows.append(params.extreme_multiple * up)
        rows.append(-params.extreme_multiple * down)
        return np.array(rows, dtype=np.int64)


def _covered(loss: IntArray, percent: int) -> IntArray:
    """Return ⌈loss × percent / 100⌉ elementwise without overflowing int64."""
    q, r = np.divmod(loss, 100)
    out: IntArray = q * percent - ((-r * percent) // 100)
    return out


def _scan(positions: IntArray, moves: IntArray, params: SpanParams) -> IntArray:
    """Return each account's scan risk for one product (A,), µ$, ≥ 0."""
    loss = -(positions @ moves.T)  # (A, 16) µ$, loss > 0
    loss[:, 14:] = _covered(loss[:, 14:], params.extreme_cover_percent)
    out: IntArray = np.maximum(loss.max(axis=1), 0)
    return out


def _spread_charge(positions: IntArray, tier: IntArray, rates: IntArray) -> IntArray:
    """Return each account's intra-product calendar-spread charge (A,), µ$.

    Spreads pair long and short contracts: first inside each tier, then between tiers,
    cheapest tier pair first (ties by tier order). ``rates`` is (T, T).
    """
    n_tiers = rates.shape[0]
    longs = np.zeros((n_tiers, positions.shape[0]), dtype=np.int64)
    shorts = np.zeros_like(longs)
    for t in range(n_tiers):
        cols = tier == t
        if cols.any():
            block = positions[:, cols]
            longs[t] = np.where(block > 0, block, 0).sum(axis=1)
            shorts[t] = np.where(block < 0, -block, 0).sum(axis=1)
    charge = np.zeros(positions.shape[0], dtype=np.int64)
    for t in range(n_tiers):
        n = np.minimum(longs[t], shorts[t])
        charge += n * rates[t, t]
        longs[t] -= n
        shorts[t] -= n
    pairs = sorted((int(rates[i, j]), i, j) for i in range(n_tiers) for j in range(i + 1, n_tiers))
    for rate, i, j in pairs:
        for a, b in ((i, j), (j, i)):  # long in a, short in b
            n = np.minimum(longs[a], shorts[b])
            charge += n * rate
            longs[a] -= n
            shorts[b] -= n
    return charge


def span_scan(
    positions: npt.ArrayLike, risk: SpanRiskParameters, params: SpanParams
) -> tuple[IntArray, IntArray]:
    """Return (scan risk, spread charge), each (A, P) µ$, for a position matrix.

    ``positions`` accounts × contracts, contracts, |position| ≤ ``MAX_ABS_POSITION``.
    Cost O(A·C·16) integer multiply-adds.
    """
    pos = np.asarray(positions)
    if pos.ndim != 2 or pos.shape[1] != risk.scan_up_micros.shape[0]:
        raise ValueError(
            f"positions must be accounts x {risk.scan_up_micros.shape[0]} contracts, "
            f"got shape {pos.shape}"
        )
    if not np.issubdtype(pos.dtype, np.integer):
        raise ValueError("positions must be integers (contracts)")
    pos = pos.astype(np.int64, copy=False)
    if pos.size and np.abs(pos).max() > MAX_ABS_POSITION:
        raise ValueError(f"|position| above {MAX_ABS_POSITION} contracts")
    moves = risk.scenario_moves(params)
    n_products = risk.spread_rate_micros.shape[0]
    scan = np.zeros((pos.shape[0], n_products), dtype=np.int64)
    spread = np.zeros_like(scan)
    for p in range(n_products):
        cols = np.flatnonzero(risk.product_index == p)
        if cols.size == 0:
            continue
        block = np.ascontiguousarray(pos[:, cols])
        scan[:, p] = _scan(block, moves[:, cols], params)
        spread[:, p] = _spread_charge(block, risk.tier[cols], risk.spread_rate_micros[p])
    return scan, spread


def initial_from_maintenance(
    maintenance: IntArray, account_types: npt.ArrayLike, params: SpanParams
) -> IntArray:
    """Return initial margin (A,) µ$: maintenance for hedgers and members, and
    ⌈maintenance × speculator_initial_percent / 100⌉ for speculators."""
    kinds = np.asarray(account_types)
    if kinds.shape != maintenance.shape:
        raise ValueError("need one account type per account")
    spec = _covered(maintenance, params.speculator_initial_percent)
    out: IntArray = np.where(kinds == AccountType.SPECULATOR, spec, maintenance)
    return out
