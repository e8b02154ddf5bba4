"""Default-fund sizing by Cover-2 and members' contributions (rule CR-31).

Stress scenarios move prices by fixed fractions (``stress_moves_bps``, basis points):
each product alone, and every product together. An account's *stressed loss* in a
scenario is ``−Σ position × move`` (µ$; moves rounded away from zero to whole µ$), its
*uncollateralised* loss the part above its cash at the CCP. A member's figure is the sum
over its accounts (it answers for its customers). The fund must cover, in the worst
scenario, the two members with the largest uncollateralised losses together (Cover-2),
and at least ``min_fund_micros``.

Contributions: every eligible member pays ``min_contribution_micros``, and the rest of the
fund is split pro rata to the members' initial margin (equally if no one has any), by
largest remainders so the contributions sum to the fund exactly. The clearing house
resizes the fund after every daily settlement: shortfalls are paid in from outside,
excess is refunded (so contributions used in a default are replenished).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearing.waterfall import allocate_pro_rata

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class FundParams:
    """Cover-2 and waterfall settings. Money in µ$; moves in basis points of price;
    ``assessment_percent``: cap of a survivor's assessment per default, % of its
    contribution (275, CME's figure)."""

    stress_moves_bps: tuple[int, ...] = (-3_000, -1_500, 1_500, 3_000)
    min_fund_micros: int = 0
    min_contribution_micros: int = 0
    assessment_percent: int = 275

    def __post_init__(self) -> None:
        if not self.stress_moves_bps or any(abs(b) > 10_000 for b in self.stress_moves_bps):
            raise ValueError("stress moves must be given, each within ±10,000 bps")
        if self.min_fund_micros < 0 or self.min_contribution_micros < 0:
            raise ValueError("fund minimums must be >= 0")
        if self.assessment_percent < 0:
            raise ValueError("assessment_percent must be >= 0")


def stress_scenarios(product_index: IntArray, moves_bps: tuple[int, ...]) -> IntArray:
    """Return (S, C) moves in bps: each product alone, then all together, per move."""
    n_products = int(product_index.max()) + 1 if product_index.size else 0
    rows = []
    for bps in moves_bps:
        for p in range(n_products):
            rows.append(np.where(product_index == p, bps, 0))
        if n_products > 1:
            rows.append(np.full(product_index.shape, bps))
    return np.array(rows, dtype=np.int64).reshape(len(rows), product_index.size)


def member_stress(
    positions: IntArray,
    values: IntArray,
    scenarios: IntArray,
    collateral: IntArray,
    member_of: IntArray,
    n_members: int,
) -> IntArray:
    """Return (M, S) uncollateralised stressed losses per member and scenario, µ$.

    ``positions`` (A, C) contracts; ``values`` (C,) µ$ per contract at the mark;
    ``scenarios`` (S, C) bps; ``collateral`` (A,) µ$ (negative counts as 0);
    ``member_of`` (A,) member ids. Positions ≤ 10⁶ contracts keep int64 exact. O(A·C·S).
    """
    scaled = values[None, :] * np.abs(scenarios)
    moves = np.sign(scenarios) * (-((-scaled) // 10_000))  # away from zero, whole µ$
    loss = -(positions @ moves.T)  # (A, S)
    uncovered = np.maximum(loss - np.maximum(collateral, 0)[:, None], 0)
    out = np.zeros((n_members, scenarios.shape[0]), dtype=np.int64)
    np.add.at(out, member_of, uncovered)
    return out


def cover2(stress: IntArray, minimum: int = 0) -> int:
    """Return the fund size: the largest, over scenarios, sum of the two largest member
    losses (Cover-2), and at least ``minimum`` µ$."""
    if stress.size == 0:
        return minimum
    top = np.sort(stress, axis=0)[::-1][:2].sum(axis=0)
    return max(minimum, int(top.max()))


def contributions(
    fund: int, weights: IntArray, eligible: BoolArray, min_contribution: int
) -> IntArray:
    """Return each member's required contribution (M,), µ$, summing to the fund.

    Eligible members pay ``min_contribution`` each and share the rest pro rata to
    ``weights`` (initial margin, µ$), equally when all weights are 0; others pay 0. The
    fund is raised to ``min_contribution × eligible members`` if smaller.
    """
    out = np.zeros(len(weights), dtype=np.int64)
    ids = np.flatnonzero(eligible)
    if ids.size == 0:
        return out
    rest = max(0, fund - min_contribution * ids.size)
    w = [int(weights[i]) for i in ids]
    if sum(w) == 0:
        w = [1] * ids.size
    out[ids] = min_contribution + np.array(allocate_pro_rata(rest, w), dtype=np.int64)
    return out
