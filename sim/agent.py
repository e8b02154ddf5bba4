"""The agent interface (DESIGN §7): lifecycle hooks, actions and callbacks.

An agent is written once against this class and runs wherever a ``Session`` is bound
to it: in-process under ``sim.kernel.Kernel`` (simulated time, latency applied by the
kernel), or later as a remote bot whose session speaks the websocket protocol. So an
agent never holds a book or an engine. It acts through its session (``buy``, ``sell``,
``cancel``, ``replace``, ``cancel_all``), learns the outcome from events about its own
orders (``on_accepted``, ``on_filled``, ``on_canceled``, ``on_rejected``, …) and from
the market-data channels it subscribed to (``on_trade``, ``on_top_of_book``,
``on_book``), and may read the current top of book (``top``).

Lifecycle: ``on_start`` when the session opens, ``on_wakeup`` at times the agent asked
for, ``on_event`` for every event delivered (it dispatches to the callbacks below;
override it to see everything in one place), ``on_stop`` when the session closes.

Units: prices in integer price units, quantities in contracts, times in ns.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sim.events import (
    BUY,
    SELL,
    AccountUpdate,
    BookLevel,
    CancelAll,
    CancelOrder,
    Command,
    CurveUpdate,
    DefaultNotice,
    Deposit,
    Event,
    IndexFixing,
    MarginCallNotice,
    NewOrder,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderTriggered,
    ReplaceOrder,
    SettlementPrice,
    TopOfBook,
    TradeTick,
)


class Session(Protocol):
    """What an agent's actions go through: the kernel in process, a client remotely."""

    def now_ns(self) -> int:
        """Return the session's current time in ns."""
        ...

    def send(self, command: Command) -> int:
        """Send ``command`` to the venue; return its reference (a positive integer)."""
        ...

    def wake_at(self, ts_ns: int, tag: str) -> None:
        """Call the agent's ``on_wakeup(tag)`` at time ``ts_ns`` (≥ now)."""
        ...

    def subscribe(self, channel: str, instrument: str) -> None:
        """Deliver ``channel`` (``trades``, ``ticker``, ``book``) of ``instrument``."""
        ...

    def top_of_book(self, instrument: str) -> TopOfBook:
        """Return the best bid and ask of ``instrument`` now."""
        ...


class Agent:
    """Base class of every trading agent. Subclasses override the hooks they need.

    The runner binds a session, a random generator (the agent's own stream, spawned
    from the run's root seed: draw from ``self.rng`` and nothing else) and an agent
    id before ``on_start``.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name or type(self).__name__
        self.agent_id = -1
        self.rng: np.random.Generator = np.random.default_rng(0)
        self._session: Session | None = None

    def bind(self, session: Session, rng: np.random.Generator, agent_id: int) -> None:
        """Attach the agent to ``session`` with random stream ``rng`` as agent ``agent_id``."""
        self._session = session
        self.rng = rng
        self.agent_id = agent_id

    @property
    def session(self) -> Session:
        """The session the agent is bound to; raise if it is not bound."""
        if self._session is None:
            raise RuntimeError(f"agent {self.name} is not bound to a session")
        return self._session

    @property
    def now(self) -> int:
        """Current time in ns."""
        return self.session.now_ns()

    # -------------------------------------------------------------- lifecycle hooks
    def on_start(self) -> None:
        """Run when the session opens (subscribe and schedule the first wake-up here)."""

    def on_wakeup(self, tag: str) -> None:
        """Run at a time asked for with ``wake_at``/``wake_after``, with that ``tag``."""

    def on_stop(self) -> None:
        """Run when the session closes; actions are refused from here on."""

    def on_event(self, event: Event) -> None:
        """Receive one event; the default dispatches it to the callback of its type."""
        match event:
            case OrderFilled():
                self.on_filled(event)
            case OrderAccepted():
                self.on_accepted(event)
            case OrderCanceled():
                self.on_canceled(event)
            case OrderRejected():
                self.on_rejected(event)
            case OrderReplaced():
                self.on_replaced(event)
            case OrderExpired():
                self.on_expired(event)
            case OrderTriggered():
                self.on_triggered(event)
            case TradeTick():
                self.on_trade(event)
            case TopOfBook():
                self.on_top_of_book(event)
            case BookLevel():
                self.on_book(event)
            case IndexFixing():
                self.on_index(event)
            case SettlementPrice():
                self.on_settlement(event)
            case CurveUpdate():
                self.on_curve(event)
            case MarginCallNotice():
                self.on_margin_call(event.amount, event.deadline_ns)
            case DefaultNotice():
                self.on_default(event)
            case AccountUpdate():
                self.on_account(event)

    # -------------------------------------------------------- own-order callbacks
    def on_accepted(self, event: OrderAccepted) -> None:
        """One of the agent's new orders was accepted (now it has an ``order_id``)."""

    def on_filled(self, event: OrderFilled) -> None:
        """One of the agent's orders traded ``event.qty`` at ``event.price``."""

    def on_canceled(self, event: OrderCanceled) -> None:
        """One of the agent's orders was canceled (``event.reason``: user, mass, …)."""

    def on_rejected(self, event: OrderRejected) -> None:
        """A request of the agent was refused (``event.reason`` names why)."""

    def on_replaced(self, event: OrderReplaced) -> None:
        """One of the agent's orders now has a new price or quantity."""

    def on_expired(self, event: OrderExpired) -> None:
        """One of the agent's good-till-date orders expired."""

    def on_triggered(self, event: OrderTriggered) -> None:
        """One of the agent's stop orders triggered."""

    # ------------------------------------------------------- market-data callbacks
    def on_trade(self, event: TradeTick) -> None:
        """A trade printed in an instrument the agent subscribed to (``trades``)."""

    def on_top_of_book(self, event: TopOfBook) -> None:
        """The best bid or ask changed in a subscribed instrument (``ticker``)."""

    def on_book(self, event: BookLevel) -> None:
        """A price level changed in a subscribed instrument (``book``)."""

    # ------------------------------------------------- clearing callbacks
    # Delivered only by a venue with a clearing house (``sim.clearing_venue``).
    def on_index(self, event: IndexFixing) -> None:
        """The daily index of a product printed (at each session's open)."""

    def on_settlement(self, event: SettlementPrice) -> None:
        """A contract got its daily (or final) settlement price at the close."""

    def on_curve(self, event: CurveUpdate) -> None:
        """The traded contracts of a product, front first (each session's open)."""

    def on_margin_call(self, amount: int, deadline_ns: int) -> None:
        """The clearing house calls ``amount`` µ$, due by ``deadline_ns``; pay with
        ``deposit``, or the account defaults at the deadline."""

    def on_default(self, event: DefaultNotice) -> None:
        """The account was declared in default; it can no longer trade."""

    def on_account(self, event: AccountUpdate) -> None:
        """The account's cash, equity, required margin and free collateral (µ$), sent
        at each clock tick and after each daily cycle."""

    # --------------------------------------------------------------------- actions
    def deposit(self, amount: int) -> int:
        """Deposit ``amount`` µ$ of collateral at the clearing house; return the reference."""
        return self.session.send(Deposit(int(amount)))

    def buy(
        self,
        instrument: str,
        qty: int,
        price: int | None = None,
        *,
        tif: str = "gtc",
        post_only: bool = False,
        reject_post_only: bool = False,
        expire_ns: int = 0,
    ) -> int:
        """Send a buy order of ``qty`` contracts at ``price`` price units (``None`` = market).

        ``tif`` is ``gtc``, ``gtd`` (until ``expire_ns``), ``ioc`` or ``fok``. Return the
        order's label: its handle until ``on_accepted`` gives the exchange's order id.
        """
        order = NewOrder(instrument, BUY, qty, price, tif, post_only, reject_post_only, expire_ns)
        return self.session.send(order)

    def sell(
        self,
        instrument: str,
        qty: int,
        price: int | None = None,
        *,
        tif: str = "gtc",
        post_only: bool = False,
        reject_post_only: bool = False,
        expire_ns: int = 0,
    ) -> int:
        """Send a sell order; arguments and result as ``buy``."""
        order = NewOrder(instrument, SELL, qty, price, tif, post_only, reject_post_only, expire_ns)
        return self.session.send(order)

    def cancel(self, order_id: int) -> int:
        """Ask to cancel order ``order_id``; return the request's reference."""
        return self.session.send(CancelOrder(order_id))

    def replace(self, order_id: int, price: int, qty: int) -> int:
        """Ask to move order ``order_id`` to ``price`` price units with ``qty`` open contracts."""
        return self.session.send(ReplaceOrder(order_id, price, qty))

    def cancel_all(self, instrument: str | None = None) -> int:
        """Ask to cancel all the agent's orders (in ``instrument``, or everywhere)."""
        return self.session.send(CancelAll(instrument))

    def subscribe(self, channel: str, instrument: str) -> None:
        """Receive ``channel`` (``trades``, ``ticker`` or ``book``) of ``instrument``.

        ``ticker`` and ``book`` open with a snapshot (the top of book; every level), as
        their websocket channels do; then every change follows.
        """
        self.session.subscribe(channel, instrument)

    def wake_at(self, ts_ns: int, tag: str = "") -> None:
        """Have ``on_wakeup(tag)`` called at time ``ts_ns`` ns."""
        self.session.wake_at(ts_ns, tag)

    def wake_after(self, delay_ns: int, tag: str = "") -> None:
        """Have ``on_wakeup(tag)`` called ``delay_ns`` ns from now."""
        self.session.wake_at(self.now + int(delay_ns), tag)

    def top(self, instrument: str) -> TopOfBook:
        """Return the best bid and ask of ``instrument`` now (a cheap read, no latency)."""
        return self.session.top_of_book(instrument)
