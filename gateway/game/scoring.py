"""Scores: mark-to-market P&L from the clearing house plus the role's objective term.

The formula (``docs/game-protocol.md``, "Scoring")::

    pnl        = (equity − funded) / 1e6                       dollars
    hedged     = max(0, −Σ position)  for sell_forward          contracts, over the
               = max(0, +Σ position)  for buy_forward           objective's contracts
    attainment = min(1, hedged / target)
    objective  = bonus × min(hedged, target) − penalty × max(0, target − hedged)
    total      = pnl + objective, or 0 once the account has defaulted

``equity`` is the clearing house's cash plus the value change of the positions since
their last mark (µ$); ``funded`` the cash deposited when the player joined. Speculators
have no objective term (0). Dollars are rounded to cents.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.game.scenario import Objective


@dataclass(frozen=True, slots=True)
class Score:
    """One player's score, dollars; ``hedged`` contracts, ``attainment`` 0..1."""

    pnl: float
    objective: float
    total: float
    hedged: int
    attainment: float
    defaulted: bool

    def view(self) -> dict[str, float]:
        """Return the wire shape ``{pnl, objective, total}``."""
        return {"pnl": self.pnl, "objective": self.objective, "total": self.total}


def hedged_amount(
    objective: Objective, positions: dict[str, int], contracts: tuple[str, ...]
) -> int:
    """Return how many contracts of ``contracts`` the positions hedge in the objective's
    direction (sold for ``sell_forward``, bought for ``buy_forward``; 0 for speculators)."""
    net = sum(positions.get(name, 0) for name in contracts)
    if objective.kind == "sell_forward":
        return max(0, -net)
    if objective.kind == "buy_forward":
        return max(0, net)
    return 0


def score(
    objective: Objective,
    contracts: tuple[str, ...],
    positions: dict[str, int],
    equity_micros: int,
    funded_micros: int,
    defaulted: bool,
) -> Score:
    """Return the score of one player (formula in the module docstring). O(contracts)."""
    pnl = round((equity_micros - funded_micros) / 1e6, 2)
    if objective.kind == "speculate":
        term, hedged, attainment = 0.0, 0, 0.0
    else:
        hedged = hedged_amount(objective, positions, contracts)
        target = objective.target
        covered = min(hedged, target)
        term = round(
            objective.bonus_per_contract * covered
            - objective.penalty_per_contract * (target - covered),
            2,
        )
        attainment = round(min(1.0, hedged / target), 4)
    total = 0.0 if defaulted else round(pnl + term, 2)
    return Score(pnl, term, total, hedged, attainment, defaulted)
