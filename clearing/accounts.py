"""Clearing members and their accounts (rule CR-7).

A *member* is a firm that clears through the CCP. Each member owns accounts; an
account id is the integer the matching engine uses for it (``E_ACCOUNT``), assigned
0, 1, 2, … in opening order. An account has an *origin* (the member's own ``HOUSE``
business or its ``CUSTOMER``s', kept apart as at real CCPs) and a *type* that sets its
margin treatment (hedgers and members post initial = maintenance margin, speculators
110% of it, rule CR-19).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from clearing.errors import InvalidAccount, UnknownAccount


class Origin(IntEnum):
    """Whose business an account carries."""

    HOUSE = 0
    CUSTOMER = 1


class AccountType(IntEnum):
    """Margin category of an account (values are stored in ``int8`` arrays)."""

    HEDGER = 0
    SPECULATOR = 1
    MEMBER = 2  # a clearing member's own (house) account


@dataclass(frozen=True)
class Member:
    """A clearing member: ``id`` 0, 1, 2, … in admission order."""

    id: int
    name: str


@dataclass(frozen=True)
class Account:
    """A trading account: ``id`` is the engine's account number."""

    id: int
    member_id: int
    origin: Origin
    kind: AccountType
    name: str


class AccountRegistry:
    """Members and accounts, append-only. Look-ups O(1)."""

    def __init__(self) -> None:
        self._members: list[Member] = []
        self._accounts: list[Account] = []
        self._kinds: list[int] = []
        self._member_ids: list[int] = []

    def add_member(self, name: str) -> Member:
        """Admit a member called ``name`` (unique, non-empty) and return it."""
        if not name or any(m.name == name for m in self._members):
            raise InvalidAccount(f"member name must be non-empty and unique, got {name!r}")
        member = Member(len(self._members), name)
        self._members.append(member)
        return member

    def open_account(
        self, member_id: int, origin: Origin, kind: AccountType, name: str = ""
    ) -> Account:
        """Open an account for member ``member_id`` and return it (next engine id).

        A ``MEMBER``-type account must have ``HOUSE`` origin.
        """
        self.member(member_id)
        origin, kind = Origin(origin), AccountType(kind)
        if kind is AccountType.MEMBER and origin is not Origin.HOUSE:
            raise InvalidAccount("a MEMBER-type account must have HOUSE origin")
        account = Account(len(self._accounts), member_id, origin, kind, name)
        self._accounts.append(account)
        self._kinds.append(int(kind))
        self._member_ids.append(member_id)
        return account

    def member(self, member_id: int) -> Member:
        """Return member ``member_id`` or raise ``UnknownAccount``."""
        if isinstance(member_id, bool) or not 0 <= member_id < len(self._members):
            raise UnknownAccount(f"unknown member {member_id!r}")
        return self._members[member_id]

    def account(self, account_id: int) -> Account:
        """Return account ``account_id`` or raise ``UnknownAccount``."""
        if (
            isinstance(account_id, bool)
            or not isinstance(account_id, int | np.integer)
            or not 0 <= account_id < len(self._accounts)
        ):
            raise UnknownAccount(f"unknown account {account_id!r}")
        return self._accounts[int(account_id)]

    @property
    def members(self) -> tuple[Member, ...]:
        """Return all members in id order."""
        return tuple(self._members)

    @property
    def accounts(self) -> tuple[Account, ...]:
        """Return all accounts in id order."""
        return tuple(self._accounts)

    def __len__(self) -> int:
        return len(self._accounts)

    def kinds(self) -> npt.NDArray[np.int8]:
        """Return every account's ``AccountType`` as an ``int8`` array indexed by id."""
        return np.array(self._kinds, dtype=np.int8)

    def member_ids(self) -> npt.NDArray[np.int64]:
        """Return every account's member id as an ``int64`` array indexed by account id."""
        return np.array(self._member_ids, dtype=np.int64)
