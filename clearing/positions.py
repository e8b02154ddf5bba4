"""Novation of engine fills into positions (rules CR-12 to CR-14).

The CCP becomes the buyer to every seller and the seller to every buyer: each
``EV_TRADE`` event of the matching engine (aggressor ``E_ACCOUNT`` on side ``E_SIDE``,
maker ``E_OTHER_ACCOUNT`` on the other side, ``E_QTY`` contracts at ``E_PRICE`` price
units) becomes two positions against the CCP, so the CCP's net position in every
contract is zero: long open interest equals short open interest.

Per account and contract the book keeps, all ``int64``:

- ``qty``: signed position, contracts (long > 0);
- ``cost``: signed cost of the open position, price units × contracts (the sum of
  signed quantity × price over the open lots); the average price is ``cost / qty``;
- ``realised``: realised P&L, price units × contracts (× ``unit_value_micros`` for µ$).

Reducing a position of size |q| by c contracts at price p removes the share
``cost·c/|q|`` of the cost (rounded half to even; exact when the position closes) and
realises ``sign(q)·c·p − removed``. Hence ``realised − cost`` always equals the
account's cash flow from trading, whatever the rounding. Fees are charged per side
from the product: ``maker_fee_micros`` to the maker, ``taker_fee_micros`` to the
aggressor, per contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from clearing.contracts import ContractSet
from clearing.errors import InvalidTradeEvent, PositionInvariantError
from exchange import codes as c

IntArray = npt.NDArray[np.int64]

_KIND, _INSTR, _ACCOUNT, _SIDE = c.E_KIND, c.E_INSTR, c.E_ACCOUNT, c.E_SIDE
_PRICE, _QTY, _MAKER, _TRADE_ID = c.E_PRICE, c.E_QTY, c.E_OTHER_ACCOUNT, c.E_CODE
_EV_TRADE, _BUY = c.EV_TRADE, c.SIDE_BUY


@njit(cache=True)
def _div_half_even(num: int, den: int) -> int:
    """Return num / den rounded half to even, den > 0."""
    q = num // den
    r = num - q * den
    if 2 * r > den or (2 * r == den and q % 2 == 1):
        q += 1
    return q


@njit(cache=True)
def _fill(
    qty: IntArray, cost: IntArray, realised: IntArray, a: int, col: int, d: int, price: int
) -> None:
    """Apply a signed fill of ``d`` contracts at ``price`` to account ``a``, column ``col``."""
    q0 = qty[a, col]
    if q0 == 0 or (q0 > 0) == (d > 0):
        qty[a, col] = q0 + d
        cost[a, col] += d * price
        return
    size0 = abs(q0)
    close = min(abs(d), size0)
    removed = _div_half_even(cost[a, col] * close, size0)
    sign = 1 if q0 > 0 else -1
    realised[a, col] += sign * close * price - removed
    cost[a, col] -= removed
    qty[a, col] = q0 + d
    rest = abs(d) - close
    if rest > 0:  # the fill flipped the position: the rest opens at this price
        cost[a, col] += (rest if d > 0 else -rest) * price


@njit(cache=True)
def _book(
    events: IntArray,
    slot_col: IntArray,
    qty: IntArray,
    cost: IntArray,
    realised: IntArray,
    fees: IntArray,
    volume: IntArray,
    maker_fee: IntArray,
    taker_fee: IntArray,
) -> int:
    """Book every EV_TRADE row of ``events`` (validated by the caller); return fills."""
    fills = 0
    for i in range(events.shape[0]):
        if events[i, _KIND] != _EV_TRADE:
            continue
        col = slot_col[events[i, _INSTR]]
        taker = events[i, _ACCOUNT]
        maker = events[i, _MAKER]
        price = events[i, _PRICE]
        q = events[i, _QTY]
        d = q if events[i, _SIDE] == _BUY else -q
        _fill(qty, cost, realised, taker, col, d, price)
        _fill(qty, cost, realised, maker, col, -d, price)
        fees[taker] += taker_fee[col] * q
        fees[maker] += maker_fee[col] * q
        volume[col] += q
        fills += 1
    return fills


@dataclass(frozen=True)
class Booking:
    """What one batch of events did: ``fills`` trades booked, ``fees_micros`` owed
    per account (µ$, indexed by account id) and ``volume`` per column (contracts)."""

    fills: int
    fees_micros: IntArray
    volume: IntArray


class PositionBook:
    """Positions of ``n_accounts`` accounts in the columns of ``contracts``.

    ``book(events)`` is O(events) in a compiled kernel; the matrices are exported as
    read-only views, O(1).
    """

    def __init__(self, n_accounts: int, contracts: ContractSet) -> None:
        if n_accounts < 0:
            raise ValueError("n_accounts must be >= 0")
        self.contracts = contracts
        n_cols = len(contracts)
        self._slot_col = contracts.slot_to_column()
        self._qty = np.zeros((n_accounts, n_cols), dtype=np.int64)
        self._cost = np.zeros((n_accounts, n_cols), dtype=np.int64)
        self._realised = np.zeros((n_accounts, n_cols), dtype=np.int64)
        self._fees = np.zeros(n_accounts, dtype=np.int64)

    @property
    def n_accounts(self) -> int:
        """Return the number of accounts the book has room for."""
        return int(self._qty.shape[0])

    def grow(self, n_accounts: int) -> None:
        """Make room for accounts up to ``n_accounts`` − 1 (never shrinks). O(A·C)."""
        extra = n_accounts - self.n_accounts
        if extra <= 0:
            return
        pad = np.zeros((extra, self._qty.shape[1]), dtype=np.int64)
        self._qty = np.vstack([self._qty, pad])
        self._cost = np.vstack([self._cost, pad])
        self._realised = np.vstack([self._realised, pad])
        self._fees = np.concatenate([self._fees, np.zeros(extra, dtype=np.int64)])

    # ------------------------------------------------------------------ booking
    def _validate(self, events: IntArray) -> None:
        if events.ndim != 2 or events.shape[1] != c.EV_WIDTH or events.dtype != np.int64:
            raise InvalidTradeEvent(f"events must be an int64 array of shape (n, {c.EV_WIDTH})")
        trades = events[events[:, _KIND] == _EV_TRADE]
        if trades.size == 0:
            return
        instr = trades[:, _INSTR]
        in_range = (instr >= 0) & (instr < self._slot_col.size)
        known = np.zeros(len(trades), dtype=bool)
        known[in_range] = self._slot_col[instr[in_range]] >= 0
        checks = (
            (known, "instrument slot is not carried by this contract set"),
            (
                (trades[:, _ACCOUNT] >= 0) & (trades[:, _ACCOUNT] < self.n_accounts),
                "bad taker account",
            ),
            ((trades[:, _MAKER] >= 0) & (trades[:, _MAKER] < self.n_accounts), "bad maker account"),
            (trades[:, _QTY] > 0, "quantity must be > 0"),
            (trades[:, _PRICE] > 0, "price must be > 0"),
            ((trades[:, _SIDE] == c.SIDE_BUY) | (trades[:, _SIDE] == c.SIDE_SELL), "bad side"),
        )
        for ok, why in checks:
            bad = np.flatnonzero(~ok)
            if bad.size:
                row = trades[bad[0]]
                raise InvalidTradeEvent(
                    f"trade {int(row[_TRADE_ID])} (slot {int(row[_INSTR])}, taker "
                    f"{int(row[_ACCOUNT])}, maker {int(row[_MAKER])}): {why}; nothing booked"
                )

    def book(self, events: IntArray, *, charge_fees: bool = True) -> Booking:
        """Book every ``EV_TRADE`` row of engine ``events``; ignore other kinds.

        The whole batch is validated first: on ``InvalidTradeEvent`` nothing changes.
        ``charge_fees=False`` books transfers that pay no fee (a default auction, CR-29).
        """
        events = np.asarray(events)
        self._validate(events)
        fees = np.zeros(self.n_accounts, dtype=np.int64)
        volume = np.zeros(self._qty.shape[1], dtype=np.int64)
        no_fee = np.zeros(len(self.contracts), dtype=np.int64)
        fills = _book(
            events,
            self._slot_col,
            self._qty,
            self._cost,
            self._realised,
            fees,
            volume,
            self.contracts.maker_fee_micros if charge_fees else no_fee,
            self.contracts.taker_fee_micros if charge_fees else no_fee,
        )
        self._fees += fees
        return Booking(int(fills), fees, volume)

    def rebase(self, contracts: ContractSet) -> PositionBook:
        """Return a book over ``contracts`` carrying, by contract name, every column the
        two sets share; the others are dropped (settle them in cash first). O(A·C)."""
        new = PositionBook(self.n_accounts, contracts)
        old = {k.name: j for j, k in enumerate(self.contracts.contracts)}
        for j, k in enumerate(contracts.contracts):
            i = old.get(k.name)
            if i is not None:
                new._qty[:, j] = self._qty[:, i]
                new._cost[:, j] = self._cost[:, i]
                new._realised[:, j] = self._realised[:, i]
        new._fees[:] = self._fees
        return new

    # ------------------------------------------------------------------ exports
    @staticmethod
    def _readonly(a: IntArray) -> IntArray:
        view = a.view()
        view.flags.writeable = False
        return view

    @property
    def positions(self) -> IntArray:
        """Return the accounts × contracts signed positions (contracts), read-only."""
        return self._readonly(self._qty)

    @property
    def cost(self) -> IntArray:
        """Return the accounts × contracts open cost (price units × contracts), read-only."""
        return self._readonly(self._cost)

    @property
    def realised(self) -> IntArray:
        """Return realised P&L, accounts × contracts (price units × contracts), read-only."""
        return self._readonly(self._realised)

    @property
    def fees_paid(self) -> IntArray:
        """Return every account's fees booked so far, µ$, read-only."""
        return self._readonly(self._fees)

    def realised_micros(self) -> IntArray:
        """Return realised P&L per account and contract in µ$."""
        out: IntArray = self._realised * self.contracts.unit_value_micros
        return out

    def unrealised_micros(self, prices: npt.ArrayLike) -> IntArray:
        """Return (qty·price − cost)·unit value per account and contract, µ$.

        ``prices`` one mark per column in price units.
        """
        p = np.asarray(prices, dtype=np.int64)
        out: IntArray = (self._qty * p - self._cost) * self.contracts.unit_value_micros
        return out

    def average_price(self, account_id: int, column: int) -> float | None:
        """Return the average open price in price units (a float, for reports)."""
        q = int(self._qty[account_id, column])
        return None if q == 0 else int(self._cost[account_id, column]) / q

    def open_interest(self) -> tuple[IntArray, IntArray]:
        """Return (long open interest, short open interest) per column, contracts."""
        longs = np.where(self._qty > 0, self._qty, 0).sum(axis=0)
        shorts = np.where(self._qty < 0, -self._qty, 0).sum(axis=0)
        return longs, shorts

    def check_invariants(self) -> None:
        """Raise ``PositionInvariantError`` if long OI ≠ short OI or a flat cost ≠ 0."""
        longs, shorts = self.open_interest()
        bad = np.flatnonzero(longs != shorts)
        if bad.size:
            j = int(bad[0])
            raise PositionInvariantError(
                f"{self.contracts.contracts[j].name}: long open interest {int(longs[j])} "
                f"!= short open interest {int(shorts[j])}"
            )
        if np.any((self._qty == 0) & (self._cost != 0)):
            raise PositionInvariantError("a flat position carries a non-zero cost")
