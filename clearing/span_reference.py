"""Reference SPAN-like scan: one account at a time in plain Python integers.

The same rules as ``clearing.span`` (CR-17, CR-18) written the obvious way, kept for
differential tests and as the benchmark baseline. O(C·16) Python operations per
account.
"""

from __future__ import annotations

from collections.abc import Sequence

from clearing.money import ceil_div
from clearing.span import SCENARIO_THIRDS, SpanParams, SpanRiskParameters


def _moves(risk: SpanRiskParameters, params: SpanParams) -> list[list[int]]:
    """Return the 16 scenario moves per contract, µ$, as nested lists."""
    up = [int(x) for x in risk.scan_up_micros]
    down = [int(x) for x in risk.scan_down_micros]
    rows = []
    for k in SCENARIO_THIRDS:
        if k >= 0:
            rows.append([ceil_div(k * u, 3) for u in up])
        else:
            rows.append([-ceil_div(-k * d, 3) for d in down])
    rows.append([params.extreme_multiple * u for u in up])
    rows.append([-params.extreme_multiple * d for d in down])
    return rows


class ReferenceSpan:
    """Per-account SPAN-like scan over one risk parameter set."""

    def __init__(self, risk: SpanRiskParameters, params: SpanParams) -> None:
        self.params = params
        self.moves = _moves(risk, params)
        self.product = [int(p) for p in risk.product_index]
        self.tier = [int(t) for t in risk.tier]
        self.rates = [[[int(x) for x in row] for row in prod] for prod in risk.spread_rate_micros]

    def account(self, positions: Sequence[int]) -> tuple[list[int], list[int]]:
        """Return (scan risk per product, spread charge per product) for one account, µ$."""
        n_products = len(self.rates)
        scan = [0] * n_products
        spread = [0] * n_products
        for p in range(n_products):
            cols = [c for c in range(len(positions)) if self.product[c] == p and positions[c]]
            worst = 0
            for s, row in enumerate(self.moves):
                loss = -sum(int(positions[c]) * row[c] for c in cols)
                if s >= 14:
                    loss = ceil_div(loss * self.params.extreme_cover_percent, 100)
                worst = max(worst, loss)
            scan[p] = worst
            spread[p] = self._spread(p, positions, cols)
        return scan, spread

    def _spread(self, p: int, positions: Sequence[int], cols: list[int]) -> int:
        rates = self.rates[p]
        n_tiers = len(rates)
        longs = [0] * n_tiers
        shorts = [0] * n_tiers
        for c in cols:
            q = int(positions[c])
            if q > 0:
                longs[self.tier[c]] += q
            else:
                shorts[self.tier[c]] -= q
        charge = 0
        for t in range(n_tiers):
            n = min(longs[t], shorts[t])
            charge += n * rates[t][t]
            longs[t] -= n
            shorts[t] -= n
        pairs = sorted((rates[i][j], i, j) for i in range(n_tiers) for j in range(i + 1, n_tiers))
        for rate, i, j in pairs:
            for a, b in ((i, j), (j, i)):
                n = min(longs[a], shorts[b])
                charge += n * rate
                longs[a] -= n
                shorts[b] -= n
        return charge

    def maintenance(self, positions: Sequence[int]) -> int:
        """Return one account's maintenance margin, µ$."""
        scan, spread = self.account(positions)
        return sum(scan) + sum(spread)
