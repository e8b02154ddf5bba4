"""Clearing mode: the gateway's sequencer is the journaled pipeline with the clearing house.

With ``Settings.clearing`` (``FLOPEX_CLEARING=1``) the gateway sequences every command
through an ``exchange.pipeline.Pipeline`` whose pre-trade gate and post-trade consumer
are a ``clearing.house.ClearingHouse``: orders the account cannot margin are refused
before matching (10009 ``not_enough_funds``, … see ``gateway/errors.py``), trades are
booked into positions and cash. Each account the gateway creates is opened in the
house's registry under the same id and receives ``Settings.clearing_deposit_micros``.

Account 0 is the house's own placeholder (the gateway hands out ids from 1). There is no
index feed here: first marks are the products' reference prices, and the daily cycle is
not run by the gateway (yet). Money in µ$.
"""

from __future__ import annotations

from clearing.accounts import AccountRegistry, AccountType, Origin
from clearing.house import ClearingHouse
from exchange.pipeline import Pipeline
from exchange.venue import Venue
from gateway.sequencer import Events, Row

MEMBER_NAME = "flopex gateway"


class ClearedSequencer:
    """A ``Sequencer`` (gateway/sequencer.py): a pipeline gated and consumed by a house."""

    def __init__(self, venue: Venue) -> None:
        self.registry = AccountRegistry()
        member = self.registry.add_member(MEMBER_NAME)
        self.registry.open_account(member.id, Origin.HOUSE, AccountType.MEMBER, "house")
        self.pipeline = Pipeline(venue)
        self.house = ClearingHouse(self.pipeline, self.registry, {})

    def open(self, ts: int) -> Events:
        """Open the venue at ``ts`` ns (journaled)."""
        return self.pipeline.open(ts)

    def submit(self, cmd: Row) -> Events:
        """Sequence ``cmd`` through the gate, the engine and the house."""
        return self.pipeline.submit(cmd)

    def advance(self, ts: int) -> Events:
        """Move the venue clock to ``ts`` ns (journaled)."""
        return self.pipeline.advance(ts)

    def state_hash(self) -> str:
        """Return the pipeline's state hash (engine and house)."""
        return self.pipeline.state_hash()

    def open_account(self, account: int, name: str, deposit: int) -> None:
        """Open gateway account ``account`` in the house and deposit ``deposit`` µ$."""
        opened = self.registry.open_account(
            self.registry.members[0].id, Origin.CUSTOMER, AccountType.SPECULATOR, name
        )
        if opened.id != account:
            raise RuntimeError(f"clearing account {opened.id} is not gateway account {account}")
        self.house.sync()
        if deposit > 0:
            self.house.deposit(account, deposit)
