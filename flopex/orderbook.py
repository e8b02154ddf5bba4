"""A local order book kept from the ``book.{instrument}.{interval}`` channel, with gap detection.

The recipe of docs/protocol.md (GW-6): the first message of a subscription is a
``snapshot``; each ``change`` carries ``prev_change_id``, which must equal the
``change_id`` of the message before it. When it does not (a message was lost) the book
is stale and must not be used until a new snapshot arrives: ``watch_book`` then
resubscribes, which makes the server send one. Levels are ``[action, price, amount]``
with action ``new``, ``change`` or ``delete``; prices in US dollars per GPU-hour,
amounts in contracts.

```python
async with Client(url) as c:
    async for book in watch_book(c, "H100-31MAR27"):
        print(book.best_bid(), book.best_ask(), book.change_id)
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flopex.client import Client


class LocalOrderBook:
    """Price levels of one instrument rebuilt from snapshot and change messages."""

    def __init__(self, instrument: str) -> None:
        self.instrument = instrument
        self.bids: dict[float, float] = {}
        """Bid price → amount resting at it."""
        self.asks: dict[float, float] = {}
        self.change_id: int | None = None
        self.stale = True
        """True until the first snapshot and after a gap, until the next snapshot."""
        self.gaps = 0
        """Gaps seen (changes whose ``prev_change_id`` did not chain)."""

    def apply(self, data: dict[str, Any]) -> bool:
        """Apply one message of the book channel; return False if it revealed a gap (or
        arrived while stale), leaving the book stale until the next snapshot."""
        if data.get("instrument_name") not in (None, self.instrument):
            raise ValueError(f"a message of {data.get('instrument_name')}, not {self.instrument}")
        if data["type"] == "snapshot":
            self.bids.clear()
            self.asks.clear()
            self.stale = False
        elif self.stale:
            return False
        elif data.get("prev_change_id") != self.change_id:
            self.stale = True
            self.gaps += 1
            return False
        for side, levels in ((self.bids, data["bids"]), (self.asks, data["asks"])):
            for action, price, amount in levels:
                if action == "delete" or amount == 0:
                    side.pop(price, None)
                else:
                    side[price] = amount
        self.change_id = int(data["change_id"])
        return True

    def mark_stale(self) -> None:
        """Forget the chain (after a reconnect): wait for the next snapshot."""
        self.stale = True

    def best_bid(self) -> tuple[float, float] | None:
        """Return (price, amount) of the best bid, or None."""
        if not self.bids:
            return None
        p = max(self.bids)
        return p, self.bids[p]

    def best_ask(self) -> tuple[float, float] | None:
        """Return (price, amount) of the best ask, or None."""
        if not self.asks:
            return None
        p = min(self.asks)
        return p, self.asks[p]

    def levels(self, depth: int = 10) -> tuple[list[list[float]], list[list[float]]]:
        """Return up to ``depth`` [price, amount] levels a side, best first (as
        ``public/get_order_book`` lists them)."""
        bids = sorted(self.bids.items(), key=lambda x: -x[0])[:depth]
        asks = sorted(self.asks.items())[:depth]
        return [list(x) for x in bids], [list(x) for x in asks]


async def watch_book(
    client: Client, instrument: str, interval: str = "100ms", max_resyncs: int = 1_000
) -> AsyncIterator[LocalOrderBook]:
    """Yield the local book of ``instrument`` after every message that leaves it usable.

    On a gap the channel is resubscribed (a fresh snapshot follows); after a reconnect
    the client resubscribes by itself. Gives up with ``RuntimeError`` after
    ``max_resyncs`` resubscriptions.
    """
    from flopex.client import RECONNECTED

    channel = f"book.{instrument}.{interval}"
    book = LocalOrderBook(instrument)
    resyncs = 0
    sub = await client.subscribe(channel)
    try:
        while True:
            name, data = await sub.get()
            if name == RECONNECTED:
                book.mark_stale()
                continue
            if book.apply(data):
                yield book
            elif book.stale and data["type"] != "snapshot":
                resyncs += 1
                if resyncs > max_resyncs:
                    raise RuntimeError(f"{channel}: gave up after {max_resyncs} resyncs")
                await sub.close()
                sub = await client.subscribe(channel)
    finally:
        await sub.close()
