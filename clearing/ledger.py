"""The cash ledger: double entry in integer micro-dollars (rules CR-8 to CR-11).

Every movement of money is a ``Posting`` of two or more ``Leg``s. A leg names a
*ledger account* and a signed amount in µ$: positive credits the ledger account (its
balance rises), negative debits it. The legs of a posting sum to zero, so the sum of
all balances is zero at all times. Ledger accounts:

- ``cash:<account id>`` — a trading account's cash collateral held by the CCP;
- ``default_fund:<member id>`` — a member's contribution to the default fund;
- ``assessment:<member id>`` — minus what a member has been assessed after a default;
- ``ccp`` — the CCP's own capital (its "skin in the game");
- ``fee_income`` — fees the CCP has earned;
- ``external`` — the outside world (banks). Its balance is minus the net money ever
  brought into the CCP, so deposits make it negative.

Operations validate everything before they touch a balance: a failed operation raises
a typed error from ``clearing.errors`` and changes nothing, not even the journal's
sequence numbers. The journal replays to the same balances (``Ledger.replay``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from clearing.accounts import AccountRegistry, Origin
from clearing.errors import (
    InsufficientFreeCollateral,
    InvalidAccount,
    LedgerIntegrityError,
    UnbalancedPosting,
    UnknownAccount,
)
from clearing.money import check_amount

EXTERNAL = "external"
CCP = "ccp"
FEE_INCOME = "fee_income"
SYSTEM_ACCOUNTS = (EXTERNAL, CCP, FEE_INCOME)

RequiredMargin = Callable[[int], int]
"""Return the margin (µ$) an account must keep in cash, given its id."""


def cash_account(account_id: int) -> str:
    """Return the ledger-account name of trading account ``account_id``'s cash."""
    return f"cash:{int(account_id)}"


def default_fund_account(member_id: int) -> str:
    """Return the ledger-account name of member ``member_id``'s default-fund share."""
    return f"default_fund:{int(member_id)}"


def assessment_account(member_id: int) -> str:
    """Return the ledger-account name of member ``member_id``'s assessments (CR-30).

    Its balance is minus what the member has been assessed: money from outside the CCP.
    """
    return f"assessment:{int(member_id)}"


class PostingKind(StrEnum):
    """Why money moved."""

    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    FEE = "fee"
    DEFAULT_FUND_CONTRIBUTION = "default_fund_contribution"
    CCP_CAPITAL = "ccp_capital"
    VARIATION_MARGIN = "variation_margin"  # CR-26: cash legs only, summing to zero
    DEFAULT_FUND_REFUND = "default_fund_refund"  # CR-31: contribution above requirement
    DEFAULT_LOSS = "default_loss"  # CR-30: a waterfall layer covering a defaulter's loss
    ASSESSMENT = "assessment"  # CR-30: a survivor's assessment, from outside the CCP


@dataclass(frozen=True)
class Leg:
    """One side of a posting: ``amount`` µ$ credited (> 0) or debited (< 0) to ``account``."""

    account: str
    amount: int


@dataclass(frozen=True)
class Posting:
    """A balanced journal entry: ``seq`` 1, 2, 3, … in the order applied."""

    seq: int
    kind: PostingKind
    legs: tuple[Leg, ...]
    ref: str = ""


class Ledger:
    """Balances of every ledger account plus the journal that produced them.

    ``required_margin`` supplies the margin each account must keep (µ$) for
    withdrawals; it can be overridden per call. Postings cost O(legs).
    """

    def __init__(
        self, registry: AccountRegistry, required_margin: RequiredMargin | None = None
    ) -> None:
        self.registry = registry
        self.required_margin = required_margin
        self._balances: dict[str, int] = {}
        self._journal: list[Posting] = []
        self._cash_names: list[str] = []  # cash_account(i) for i < len(self._cash_names)

    # ------------------------------------------------------------------ queries
    def _check_name(self, name: str) -> None:
        if name in SYSTEM_ACCOUNTS:
            return
        prefix, _, number = name.partition(":")
        if number.isdigit() and str(int(number)) == number:
            if prefix == "cash" and int(number) < len(self.registry):
                return
            if prefix in ("default_fund", "assessment") and int(number) < len(
                self.registry.members
            ):
                return
        raise UnknownAccount(f"unknown ledger account {name!r}")

    def balance(self, name: str) -> int:
        """Return the balance of ledger account ``name``, µ$."""
        self._check_name(name)
        return self._balances.get(name, 0)

    def cash(self, account_id: int) -> int:
        """Return trading account ``account_id``'s cash, µ$ (may be negative after fees)."""
        self.registry.account(account_id)
        return self._balances.get(cash_account(account_id), 0)

    def cash_balances(self) -> npt.NDArray[np.int64]:
        """Return every trading account's cash as an ``int64`` array indexed by id, µ$."""
        get = self._balances.get
        return np.array([get(name, 0) for name in self._names(len(self.registry))], dtype=np.int64)

    def _names(self, n: int) -> list[str]:
        """Return the cash ledger-account names of accounts 0 … n − 1 (cached)."""
        names = self._cash_names
        if len(names) < n:
            names.extend(cash_account(i) for i in range(len(names), n))
        return names if len(names) == n else names[:n]

    def balances(self) -> dict[str, int]:
        """Return a copy of every non-zero balance by ledger-account name, µ$."""
        return {k: v for k, v in self._balances.items() if v}

    def free_collateral(self, account_id: int, required_margin: int | None = None) -> int:
        """Return cash minus required margin for ``account_id``, µ$ (may be negative)."""
        cash = self.cash(account_id)
        if required_margin is None:
            required_margin = self.required_margin(account_id) if self.required_margin else 0
        return cash - int(required_margin)

    @property
    def journal(self) -> tuple[Posting, ...]:
        """Return every posting applied so far, in order."""
        return tuple(self._journal)

    # --------------------------------------------------------------- operations
    def post(self, kind: PostingKind, legs: Iterable[Leg], ref: str = "") -> Posting:
        """Validate and apply a posting; return it. Raises ``UnbalancedPosting``."""
        posting = Posting(len(self._journal) + 1, PostingKind(kind), tuple(legs), ref)
        self._validate(posting)
        self._apply(posting)
        return posting

    def post_cash(
        self, kind: PostingKind, accounts: npt.ArrayLike, amounts: npt.ArrayLike, ref: str = ""
    ) -> Posting:
        """Validate and apply a posting whose legs are all trading accounts' cash; return it.

        ``amounts[i]`` µ$ go to ``cash:<accounts[i]>``. The same posting as ``post`` with
        one ``Leg`` per entry, in the given order, under the same rules (at least two legs,
        non-zero integer amounts, each account once, known accounts, legs summing to
        zero), checked on the arrays: a bulk posting such as a cycle's variation margin
        costs O(legs) without a Python check per leg. Raises ``UnbalancedPosting`` or
        ``UnknownAccount`` and changes nothing when a rule is broken.
        """
        ids, amt = np.asarray(accounts), np.asarray(amounts)
        if (
            ids.ndim != 1
            or amt.shape != ids.shape
            or not np.issubdtype(ids.dtype, np.integer)
            or not np.issubdtype(amt.dtype, np.integer)
        ):
            raise UnbalancedPosting("accounts and amounts must be 1-D integer arrays of one length")
        if ids.size < 2:
            raise UnbalancedPosting(f"posting needs at least two legs, got {ids.size}")
        if not amt.all():
            raise UnbalancedPosting("leg amount must be a non-zero int, got 0")
        n = len(self.registry)
        bad = np.flatnonzero((ids < 0) | (ids >= n))
        if bad.size:
            raise UnknownAccount(f"unknown ledger account {cash_account(int(ids[bad[0]]))!r}")
        uniq, counts = np.unique(ids, return_counts=True)
        if uniq.size != ids.size:
            twice = cash_account(int(uniq[np.argmax(counts > 1)]))
            raise UnbalancedPosting(f"ledger account {twice!r} appears twice")
        id_list, amount_list = ids.tolist(), amt.tolist()  # Python ints: exact sums
        total = sum(amount_list)
        if total != 0:
            raise UnbalancedPosting(f"legs sum to {total} µ$, not 0")
        names = self._names(n)
        legs = tuple(map(Leg, [names[i] for i in id_list], amount_list))
        posting = Posting(len(self._journal) + 1, PostingKind(kind), legs, ref)
        self._apply(posting)
        return posting

    def deposit(self, account_id: int, amount: int, ref: str = "") -> Posting:
        """Move ``amount`` µ$ (> 0) from outside into ``account_id``'s cash."""
        self.registry.account(account_id)
        amount = check_amount(amount)
        legs = (Leg(EXTERNAL, -amount), Leg(cash_account(account_id), amount))
        return self.post(PostingKind.DEPOSIT, legs, ref)

    def withdraw(
        self, account_id: int, amount: int, ref: str = "", required_margin: int | None = None
    ) -> Posting:
        """Pay ``amount`` µ$ (> 0) out of ``account_id``'s cash, at most its free collateral.

        Free collateral = cash − required margin (``required_margin`` or the ledger's
        callback; 0 without either). Raises ``InsufficientFreeCollateral``.
        """
        self.registry.account(account_id)
        amount = check_amount(amount)
        self._require_free(account_id, amount, required_margin)
        legs = (Leg(cash_account(account_id), -amount), Leg(EXTERNAL, amount))
        return self.post(PostingKind.WITHDRAWAL, legs, ref)

    def charge_fee(self, account_id: int, amount: int, ref: str = "") -> Posting:
        """Move a fee of ``amount`` µ$ (> 0) from ``account_id``'s cash to fee income.

        Fees are owed whatever the cash: the balance may go negative (a debt).
        """
        self.registry.account(account_id)
        amount = check_amount(amount, "fee")
        legs = (Leg(cash_account(account_id), -amount), Leg(FEE_INCOME, amount))
        return self.post(PostingKind.FEE, legs, ref)

    def charge_fees(self, fees: npt.ArrayLike, ref: str = "") -> Posting | None:
        """Post every account's net fee ``fees[i]`` µ$ against fee income in one posting.

        ``fees`` is an integer array indexed by account id (shorter is fine); a
        negative entry is a net rebate paid out of fee income. Returns None when every
        entry is zero. O(accounts).
        """
        arr = np.asarray(fees)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise UnbalancedPosting("fees must be a 1-D integer array indexed by account id")
        if arr.size > len(self.registry):
            raise UnknownAccount(f"fees for {arr.size} accounts, only {len(self.registry)} exist")
        ids = np.flatnonzero(arr)
        if ids.size == 0:
            return None
        legs = [Leg(cash_account(int(i)), -int(arr[i])) for i in ids]
        total = sum(int(arr[i]) for i in ids)
        if total:
            legs.append(Leg(FEE_INCOME, total))
        return self.post(PostingKind.FEE, legs, ref)

    def contribute_to_default_fund(
        self, account_id: int, amount: int, ref: str = "", required_margin: int | None = None
    ) -> Posting:
        """Move ``amount`` µ$ from a HOUSE account's free collateral to its member's share."""
        account = self.registry.account(account_id)
        if account.origin is not Origin.HOUSE:
            raise InvalidAccount(
                f"account {account_id} is a customer account: default-fund contributions "
                "come from the member's house account"
            )
        amount = check_amount(amount)
        self._require_free(account_id, amount, required_margin)
        legs = (
            Leg(cash_account(account_id), -amount),
            Leg(default_fund_account(account.member_id), amount),
        )
        return self.post(PostingKind.DEFAULT_FUND_CONTRIBUTION, legs, ref)

    def fund_ccp(self, amount: int, ref: str = "") -> Posting:
        """Bring ``amount`` µ$ of the CCP's own capital in from outside."""
        amount = check_amount(amount)
        return self.post(PostingKind.CCP_CAPITAL, (Leg(EXTERNAL, -amount), Leg(CCP, amount)), ref)

    # ----------------------------------------------------------------- internals
    def _require_free(self, account_id: int, amount: int, required_margin: int | None) -> None:
        free = self.free_collateral(account_id, required_margin)
        if amount > free:
            raise InsufficientFreeCollateral(account_id, amount, free)

    def _validate(self, posting: Posting) -> None:
        if len(posting.legs) < 2:
            raise UnbalancedPosting(f"posting needs at least two legs, got {len(posting.legs)}")
        seen: set[str] = set()
        total = 0
        for leg in posting.legs:
            if not isinstance(leg, Leg):
                raise UnbalancedPosting(f"not a Leg: {leg!r}")
            if isinstance(leg.amount, bool) or not isinstance(leg.amount, int) or not leg.amount:
                raise UnbalancedPosting(f"leg amount must be a non-zero int, got {leg.amount!r}")
            if leg.account in seen:
                raise UnbalancedPosting(f"ledger account {leg.account!r} appears twice")
            self._check_name(leg.account)
            seen.add(leg.account)
            total += leg.amount
        if total != 0:
            raise UnbalancedPosting(f"legs sum to {total} µ$, not 0")

    def _apply(self, posting: Posting) -> None:
        bal = self._balances
        for leg in posting.legs:
            bal[leg.account] = bal.get(leg.account, 0) + leg.amount
        self._journal.append(posting)

    # ------------------------------------------------------------------ integrity
    @classmethod
    def replay(
        cls,
        registry: AccountRegistry,
        journal: Sequence[Posting],
        required_margin: RequiredMargin | None = None,
    ) -> Ledger:
        """Return a new ledger holding the balances that ``journal`` produces.

        Each posting is re-validated (balanced, known ledger accounts) and must carry
        the next sequence number. O(total legs).
        """
        ledger = cls(registry, required_margin)
        for expected, posting in enumerate(journal, start=1):
            if posting.seq != expected:
                raise LedgerIntegrityError(
                    f"journal out of order: seq {posting.seq}, expected {expected}"
                )
            ledger._validate(posting)
            ledger._apply(posting)
        return ledger

    def check_conservation(self) -> None:
        """Raise ``LedgerIntegrityError`` unless money is conserved.

        Checks that balances sum to zero and equal a replay of the journal. O(legs).
        """
        total = sum(self._balances.values())
        if total != 0:
            raise LedgerIntegrityError(f"balances sum to {total} µ$, not 0")
        replayed = Ledger.replay(self.registry, self._journal).balances()
        if replayed != self.balances():
            diff = {
                k: (self._balances.get(k, 0), replayed.get(k, 0))
                for k in set(replayed) | set(self._balances)
                if self._balances.get(k, 0) != replayed.get(k, 0)
            }
            raise LedgerIntegrityError(f"balances differ from journal replay: {diff}")

    def state_hash(self) -> str:
        """Return a SHA-256 of the non-zero balances and the journal length."""
        h = hashlib.sha256(f"postings={len(self._journal)}\n".encode())
        for name in sorted(self.balances()):
            h.update(f"{name}={self._balances[name]}\n".encode())
        return h.hexdigest()
