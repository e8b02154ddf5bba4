"""Typed records of what the clearing house did, with amounts (rules CR-24 to CR-32).

Every settlement price, variation-margin payment, margin call, default step, waterfall
layer and default-fund change is appended to ``ClearingHouse.records`` as one of these
frozen records, so results can show who paid what and when. Money in µ$ (int), prices
in µ$ per GPU-hour (``*_micros_per_hour``) or price units (``*_units``), quantities in
contracts, times in ns, days as ``datetime.date``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum


class Tier(IntEnum):
    """How a settlement price was found (CR-24), best first."""

    VWAP = 1  # volume-weighted average of the trades in the closing window
    MID = 2  # mid of the best bid and ask at the close
    NEIGHBOUR = 3  # prior settle moved by the nearest month's change
    INDEX = 4  # prior settle moved by the index change (no month of the product traded)
    UNCHANGED = 5  # intraday cycle only: no trade and no two-sided book, mark kept
    FINAL = 6  # final settlement: mean of the index over the contract month


class Layer(IntEnum):
    """Default waterfall layers (CR-30), in the order they must be used."""

    DEFAULTER_MARGIN = 1
    DEFAULTER_FUND = 2
    CCP_CAPITAL = 3
    SURVIVORS_FUND = 4
    ASSESSMENTS = 5
    UNCOVERED = 6  # what no layer covered: a recorded default loss


class CallStatus(StrEnum):
    """Life of a margin call (CR-28)."""

    ISSUED = "issued"
    PAID = "paid"  # a payment towards it (``amount``), maybe not all of it
    MET = "met"  # nothing left to pay: the account is active again
    DEFAULTED = "defaulted"  # unpaid at the deadline


@dataclass(frozen=True)
class SettlementRecord:
    """The settlement price of one contract on ``day`` (``intraday``: a cycle at ``ts``)."""

    ts: int
    day: date
    contract: str
    price_micros_per_hour: int
    tier: Tier
    volume: int  # contracts traded in the closing window
    intraday: bool = False


@dataclass(frozen=True)
class VariationMarginRecord:
    """Net variation margin ``amount`` µ$ paid to (> 0) or by (< 0) ``account`` at ``ts``."""

    ts: int
    account: int
    amount: int


@dataclass(frozen=True)
class CashSettlementFeeRecord:
    """Fee ``amount`` µ$ charged to ``account`` for ``contracts`` held to final settlement."""

    ts: int
    account: int
    contract: str
    contracts: int
    amount: int


@dataclass(frozen=True)
class MarginCallRecord:
    """One step of margin call ``call_id`` of ``account`` (amounts µ$, deadline ns)."""

    ts: int
    call_id: int
    account: int
    status: CallStatus
    amount: int  # the call (ISSUED), the payment (PAID), what was left unpaid (DEFAULTED)
    outstanding: int
    deadline_ts: int
    equity: int
    maintenance: int
    initial: int


@dataclass(frozen=True)
class DefaultDeclared:
    """``account`` (of ``member``) declared in default: frozen, with ``cash`` µ$ then."""

    ts: int
    account: int
    member: int
    cash: int
    reason: str


@dataclass(frozen=True)
class OrdersCanceled:
    """The defaulter's resting orders and stops canceled (``orders`` of them)."""

    ts: int
    account: int
    orders: int


@dataclass(frozen=True)
class CloseOutTrade:
    """``qty`` contracts (signed, the defaulter's side) of ``contract`` closed at
    ``price_units`` by ``method`` ("auction" or "liquidation") against ``counterparty``."""

    ts: int
    account: int
    contract: str
    qty: int
    price_units: int
    method: str
    counterparty: int


@dataclass(frozen=True)
class WaterfallStep:
    """Layer ``layer`` paid ``amount`` µ$ of ``account``'s default loss from ledger
    account ``payer`` (``member`` = the member it belongs to, −1 for the CCP and
    for the uncovered rest), out of ``available`` µ$ in that layer."""

    ts: int
    account: int
    layer: Layer
    payer: str
    member: int
    amount: int
    available: int


@dataclass(frozen=True)
class DefaultResolved:
    """``account``'s default closed: ``loss`` µ$ in all, ``covered`` by the layers,
    ``uncovered`` left as a recorded default loss, ``surplus`` cash left after it."""

    ts: int
    account: int
    loss: int
    covered: int
    uncovered: int
    surplus: int


@dataclass(frozen=True)
class DefaultFundResized:
    """``member``'s contribution set to ``required`` µ$ (``change`` paid in, < 0 refunded)
    for a fund of ``fund_size`` µ$ (Cover-2 on ``day``)."""

    ts: int
    day: date
    member: int
    required: int
    change: int
    fund_size: int


ClearingRecord = (
    SettlementRecord
    | VariationMarginRecord
    | CashSettlementFeeRecord
    | MarginCallRecord
    | DefaultDeclared
    | OrdersCanceled
    | CloseOutTrade
    | WaterfallStep
    | DefaultResolved
    | DefaultFundResized
)
