"""The post-trade consumer: novation of fills into positions, fees into the ledger (CR-23).

For each batch of engine events the pipeline delivers, every ``EV_TRADE`` row is booked
into the ``PositionBook`` (CR-12, CR-13), the batch's net fees per account (maker and
taker, per contract per side, from the product) are posted to the ledger as one ``FEE``
posting (CR-10), and the trades are kept on the ``TradeTape`` for the closing-window
VWAP (CR-24). Other event kinds are ignored.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clearing.ledger import Ledger
from clearing.positions import Booking, PositionBook
from clearing.settlement import TradeTape
from exchange import codes as c

IntArray = npt.NDArray[np.int64]


class PostTrade:
    """Book trades and fees. ``book`` is replaced by the clearing house when its
    contracts change (a listing or a final settlement)."""

    def __init__(self, book: PositionBook, ledger: Ledger, tape: TradeTape | None = None) -> None:
        self.book = book
        self.ledger = ledger
        self.tape = tape if tape is not None else TradeTape()
        self.fills = 0

    def on_events(self, events: IntArray) -> Booking | None:
        """Book the ``EV_TRADE`` rows of ``events``; return the booking (None if none).

        Raises ``InvalidTradeEvent`` (nothing booked, nothing posted) for a trade the
        book cannot carry. O(trades + accounts).
        """
        trades = events[events[:, c.E_KIND] == c.EV_TRADE]
        if len(trades) == 0:
            return None
        booking = self.book.book(trades)
        seqs = np.unique(trades[:, c.E_SEQ])
        ref = f"fills of seq {int(seqs[0])}" + (f"..{int(seqs[-1])}" if len(seqs) > 1 else "")
        self.ledger.charge_fees(booking.fees_micros, ref=ref)
        self.tape.add(trades)
        self.fills += booking.fills
        return booking
