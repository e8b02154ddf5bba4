"""Initial and maintenance margin: the plug-in protocol and the SPAN-like default (CR-15, CR-19).

A margin model turns an accounts × contracts position matrix into per-account margin
requirements in integer µ$, for one valuation (``MarketState``: a date and a
settlement price per contract). ``SpanLikeMargin`` is the default: risk parameters
(scan ranges by tenor, spread charges) from ``span_risk.ModelRiskParameters`` or a
fixed ``SpanRiskParameters`` set, then the sixteen-scenario scan of ``span``.

Maintenance margin = Σ over products of (scan risk + calendar-spread charge). Initial
margin = maintenance for hedgers and members, ⌈110% × maintenance⌉ for speculators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from clearing.contracts import ContractSet
from clearing.index.model import IndexModel
from clearing.span import SpanParams, SpanRiskParameters, initial_from_maintenance, span_scan
from clearing.span_risk import ModelRiskParameters

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MarketState:
    """One valuation: ``as_of`` date and ``prices`` (C,) settlement prices, price units."""

    as_of: date
    prices: IntArray


@dataclass(frozen=True)
class MarginRequirements:
    """Margin per account, µ$: ``maintenance`` and ``initial`` (A,), and the
    maintenance split into ``scan_risk`` and ``spread_charge`` per product (A, P)."""

    maintenance: IntArray
    initial: IntArray
    scan_risk: IntArray
    spread_charge: IntArray


@runtime_checkable
class MarginModel(Protocol):
    """A margin model: positions in, integer µ$ requirements out, vectorised."""

    def requirements(
        self, positions: npt.ArrayLike, account_types: npt.ArrayLike, market: MarketState
    ) -> MarginRequirements:
        """Return the requirements of every account (rows of ``positions``)."""
        ...


class SpanLikeMargin:
    """The SPAN-like margin model over the columns of ``contracts``.

    ``risk`` is either a fixed ``SpanRiskParameters`` set (used for every valuation)
    or ``None`` for parameters from the index models (``models``, default one per
    product). The parameters of the last valuation are reused when the same
    ``MarketState`` object comes back (pre-trade checks during a day).
    """

    def __init__(
        self,
        contracts: ContractSet,
        risk: SpanRiskParameters | None = None,
        params: SpanParams | None = None,
        models: dict[str, IndexModel] | None = None,
    ) -> None:
        self.contracts = contracts
        self.params = params or SpanParams()
        self.fixed = risk
        self.source = None if risk else ModelRiskParameters(contracts, models, self.params)
        self._last: tuple[MarketState, SpanRiskParameters] | None = None

    def risk_parameters(self, market: MarketState) -> SpanRiskParameters:
        """Return the risk parameters used for ``market``."""
        if self.fixed is not None:
            return self.fixed
        if self._last is not None and self._last[0] is market:
            return self._last[1]
        assert self.source is not None
        risk = self.source.compute(market.as_of, market.prices)
        self._last = (market, risk)
        return risk

    def requirements(
        self, positions: npt.ArrayLike, account_types: npt.ArrayLike, market: MarketState
    ) -> MarginRequirements:
        """Return maintenance and initial margin for every account, µ$.

        ``positions`` accounts × contracts (contracts); ``account_types`` (A,)
        ``AccountType`` values. O(A·C·16).
        """
        return self.requirements_with(positions, account_types, self.risk_parameters(market))

    def requirements_with(
        self, positions: npt.ArrayLike, account_types: npt.ArrayLike, risk: SpanRiskParameters
    ) -> MarginRequirements:
        """Return the requirements under an explicit risk parameter set."""
        scan, spread = span_scan(positions, risk, self.params)
        maintenance = (scan + spread).sum(axis=1)
        initial = initial_from_maintenance(maintenance, account_types, self.params)
        return MarginRequirements(maintenance, initial, scan, spread)
