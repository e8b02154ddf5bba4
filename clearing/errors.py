"""Typed errors of the clearing house.

Every operation that raises one of these has changed nothing (rules CR-8 and CR-9).
"""

from __future__ import annotations


class ClearingError(Exception):
    """Base class of every error the clearing house raises on purpose."""


class UnknownAccount(ClearingError, LookupError):
    """The account, member or ledger account does not exist."""


class InvalidAccount(ClearingError, ValueError):
    """An account cannot be opened with these attributes."""


class InvalidAmount(ClearingError, ValueError):
    """A money amount is not a positive integer of micro-dollars."""


class InsufficientFreeCollateral(ClearingError):
    """A withdrawal or transfer asks for more than the account's free collateral.

    ``available`` is the free collateral in µ$ (cash minus required margin, may be
    negative) and ``requested`` the amount asked for.
    """

    def __init__(self, account_id: int, requested: int, available: int) -> None:
        self.account_id = account_id
        self.requested = requested
        self.available = available
        super().__init__(
            f"account {account_id}: withdrawal of {requested} µ$ exceeds free collateral "
            f"of {available} µ$"
        )


class UnbalancedPosting(ClearingError, ValueError):
    """A posting's legs do not sum to zero, or a leg is malformed."""


class LedgerIntegrityError(ClearingError):
    """The ledger's balances disagree with its journal or do not sum to zero."""


class InvalidTradeEvent(ClearingError, ValueError):
    """A TRADE event cannot be booked (unknown account or contract, bad price or size)."""


class PositionInvariantError(ClearingError):
    """Positions violate an invariant (long open interest ≠ short open interest)."""


class AccountInDefault(ClearingError):
    """The account is in default: only the clearing house acts for it (CR-29)."""


class SettlementError(ClearingError, ValueError):
    """A settlement cannot run as asked (day out of order, contract still trading, …)."""
