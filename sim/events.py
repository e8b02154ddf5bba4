"""What agents send and what they receive, independent of the transport.

An agent's actions become *commands* (imperative: ``NewOrder``, ``CancelOrder``, …) and
the venue's answers reach it as *events* (past tense: ``OrderAccepted``,
``OrderFilled``, …), the same facts a websocket client reads from the
``user.orders``/``user.trades`` and ``trades``/``ticker``/``book`` channels. The
in-process kernel builds engine rows from the commands; a gateway client would build
JSON-RPC requests from the same objects. Nothing here refers to a book.

Units: prices in integer price units of the instrument grid, quantities in
contracts, times in integer nanoseconds (``ts_*``). Instruments are named
(``"H100-31MAR27"``); sides are ``BUY`` (0) and ``SELL`` (1) as in
``exchange.codes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from exchange import codes as c

BUY = c.SIDE_BUY
SELL = c.SIDE_SELL

#: Time in force names accepted by ``NewOrder.tif`` (Deribit's long names in brackets):
#: ``gtc`` (good_til_cancelled), ``gtd`` (good_til_day, needs ``expire_ns``),
#: ``ioc`` (immediate_or_cancel), ``fok`` (fill_or_kill).
TIF_CODES = {"gtc": c.TIF_GTC, "gtd": c.TIF_GTD, "ioc": c.TIF_IOC, "fok": c.TIF_FOK}


# ------------------------------------------------------------------------- commands
@dataclass(frozen=True, slots=True)
class NewOrder:
    """Buy or sell ``qty`` contracts; ``price`` in price units, ``None`` for a market order."""

    instrument: str
    side: int
    qty: int
    price: int | None
    tif: str = "gtc"
    post_only: bool = False
    reject_post_only: bool = False
    expire_ns: int = 0


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel order ``order_id`` (an id from ``OrderAccepted``)."""

    order_id: int


@dataclass(frozen=True, slots=True)
class ReplaceOrder:
    """Give order ``order_id`` a new limit ``price`` (price units) and open ``qty`` (contracts)."""

    order_id: int
    price: int
    qty: int


@dataclass(frozen=True, slots=True)
class CancelAll:
    """Cancel every open order of the sender, in one instrument or (``None``) all of them."""

    instrument: str | None = None


@dataclass(frozen=True, slots=True)
class Deposit:
    """Deposit ``amount`` µ$ of collateral at the clearing house (pays towards a margin
    call). Only a venue with a clearing house (``sim.clearing_venue``) accepts it."""

    amount: int


Command = NewOrder | CancelOrder | ReplaceOrder | CancelAll | Deposit


# ------------------------------------------------------------ own-order events
# ``label`` is the ref an action returned for the order's NewOrder: the agent's handle
# on an order before it knows the exchange's ``order_id`` (Deribit's ``label``).
@dataclass(frozen=True, slots=True)
class OrderAccepted:
    """The venue accepted a new order and gave it ``order_id``."""

    ts_ns: int
    instrument: str
    order_id: int
    label: int
    side: int
    price: int
    qty: int
    repriced: bool


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """The venue refused request ``ref``; ``order_id`` is the target (0 for a new order)."""

    ts_ns: int
    instrument: str
    ref: int
    order_id: int
    reason: str
    code: int


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """``qty`` contracts of the order traded at ``price``; ``remaining`` are still open.

    ``liquidity`` is ``"maker"`` for the resting order and ``"taker"`` for the aggressor.
    """

    ts_ns: int
    instrument: str
    order_id: int
    label: int
    trade_id: int
    side: int
    price: int
    qty: int
    remaining: int
    liquidity: str


@dataclass(frozen=True, slots=True)
class OrderCanceled:
    """``qty`` open contracts of the order were canceled for ``reason`` (``user``, ``mass``, …)."""

    ts_ns: int
    instrument: str
    order_id: int
    label: int
    qty: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderReplaced:
    """The order now has limit ``price`` and open ``qty``; ``lost_priority`` per MR-9."""

    ts_ns: int
    instrument: str
    order_id: int
    label: int
    price: int
    qty: int
    lost_priority: bool


@dataclass(frozen=True, slots=True)
class OrderExpired:
    """A good-till-date order reached its expiry with ``qty`` contracts open."""

    ts_ns: int
    instrument: str
    order_id: int
    label: int
    qty: int


@dataclass(frozen=True, slots=True)
class OrderTriggered:
    """A stop order triggered and now works as a limit at ``price`` (0 = market)."""

    ts_ns: int
    instrument: str
    order_id: int
    label: int
    price: int
    qty: int


OrderEvent = (
    OrderAccepted
    | OrderRejected
    | OrderFilled
    | OrderCanceled
    | OrderReplaced
    | OrderExpired
    | OrderTriggered
)


# ------------------------------------------------------------------ market data
@dataclass(frozen=True, slots=True)
class TradeTick:
    """A public trade (channel ``trades``): ``aggressor_side`` is Deribit's ``direction``."""

    ts_ns: int
    instrument: str
    trade_id: int
    price: int
    qty: int
    aggressor_side: int


@dataclass(frozen=True, slots=True)
class TopOfBook:
    """Best bid and ask (channel ``ticker``); a price of 0 with qty 0 means an empty side."""

    ts_ns: int
    instrument: str
    bid: int
    bid_qty: int
    ask: int
    ask_qty: int


@dataclass(frozen=True, slots=True)
class BookLevel:
    """A price level's new total (channel ``book``): ``qty`` 0 means the level is gone."""

    ts_ns: int
    instrument: str
    side: int
    price: int
    qty: int
    orders: int


MarketEvent = TradeTick | TopOfBook | BookLevel


# ------------------------------------------------------------- clearing and index
# Sent by the clearing-aware runner (``sim.clearing_venue``), not by the matching engine.
@dataclass(frozen=True, slots=True)
class IndexFixing:
    """The daily index of ``product`` for business ``day`` printed ``units`` price units."""

    ts_ns: int
    product: str
    day: date
    units: int


@dataclass(frozen=True, slots=True)
class SettlementPrice:
    """Contract ``instrument`` settled at ``price_micros`` µ$ per GPU-hour on ``day``
    (``price_units``: the same rounded half-even to price units; ``tier`` as
    ``clearing.records.Tier``: 1 VWAP, 2 mid, 3 neighbour, 4 index, 6 final)."""

    ts_ns: int
    instrument: str
    day: date
    price_micros: int
    price_units: int
    tier: int


@dataclass(frozen=True, slots=True)
class MarginCallNotice:
    """The clearing house calls ``amount`` µ$ from the agent's account, due by
    ``deadline_ns``; unpaid then, the account defaults."""

    ts_ns: int
    call_id: int
    amount: int
    deadline_ns: int


@dataclass(frozen=True, slots=True)
class DefaultNotice:
    """The agent's account was declared in default: its orders are canceled and its
    positions closed out by the clearing house; it can no longer trade."""

    ts_ns: int
    reason: str


@dataclass(frozen=True, slots=True)
class CurveUpdate:
    """The contracts of ``product`` the scenario trades, front month first, with the
    business days left to each one's last trading day (``days_to_expiry``, 0 on that
    day): sent at each session's open, after any expiry and listing."""

    ts_ns: int
    product: str
    instruments: tuple[str, ...]
    days_to_expiry: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """The account's figures at the clearing house, µ$ (as an account summary reports
    them): ``equity`` = cash + value change since the last mark, ``required`` = initial
    margin of the worst case with open orders, ``free`` = equity − required."""

    ts_ns: int
    cash: int
    equity: int
    required: int
    free: int
    call_outstanding: int


ClearingEvent = (
    IndexFixing | SettlementPrice | MarginCallNotice | DefaultNotice | CurveUpdate | AccountUpdate
)
Event = OrderEvent | MarketEvent | ClearingEvent

#: Market-data channels an agent may subscribe to, per instrument.
CHANNELS = ("trades", "ticker", "book")
