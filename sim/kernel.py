"""The discrete-event kernel: simulated time, latency, agents and one venue.

Everything that happens is a message on one heap of ``(time ns, seq, target,
message)``: an agent's wake-up, a command travelling to the venue, a frame of events
travelling to an agent. The kernel pops the earliest message, moves the clock to its
time and delivers it; messages due at the same time are delivered in the order they
were scheduled (``seq``, a counter the kernel owns), so nothing depends on how Python
compares objects or orders hashes.

- A command is delivered to the venue at ``send time + latency``; the venue port
  processes it at once (one ``submit`` call, stamped with the delivery time) and the
  router sorts its events into one frame per agent that may see them, delivered at
  ``processing time + latency``. Each direction of each agent's connection stays
  first-in first-out whatever the latency model draws.
- Randomness comes from one root seed: ``SeedSequence(root).spawn(n + 1)`` gives agent
  ``i`` child ``i`` and the latency model child ``n``. Order ids and trade ids are the
  venue's; command references, message sequence numbers and agent ids are the
  kernel's counters. Same seed, same agents, same venue: the same journal hash.

The kernel drives any ``sim.venue_port.VenuePort``; agents only see
``sim.agent.Session``. Times in ns, prices in price units, quantities in contracts.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import commands as C
from sim.agent import Agent
from sim.events import (
    TIF_CODES,
    CancelAll,
    CancelOrder,
    Command,
    Deposit,
    Event,
    NewOrder,
    ReplaceOrder,
    TopOfBook,
)
from sim.latency import ConstantLatency, Direction, LatencyModel
from sim.router import Frames, Router
from sim.venue_port import Events, Row, VenuePort

VENUE = -1  # the heap target of messages to the venue; agents are 0, 1, 2, …
UNKNOWN_SLOT = 2**31 - 1  # an instrument slot no venue lists: the venue rejects it

#: Called after every command the venue processed: (time ns, command row, events).
VenueObserver = Callable[[int, Row, Events], None]


@dataclass(frozen=True, slots=True)
class Wakeup:
    """A wake-up an agent asked for, with its ``tag``."""

    tag: str


@dataclass(frozen=True, slots=True)
class Submission:
    """A command row on its way to the venue, from ``agent``, with reference ``ref``."""

    agent: int
    ref: int
    row: Row


class KernelSession:
    """The ``sim.agent.Session`` of agent ``index`` inside a kernel."""

    __slots__ = ("_index", "_kernel")

    def __init__(self, kernel: Kernel, index: int) -> None:
        self._kernel = kernel
        self._index = index

    def now_ns(self) -> int:
        """Return the simulated time in ns."""
        return self._kernel.now

    def send(self, command: Command) -> int:
        """Send ``command`` to the venue after the latency; return its reference."""
        return self._kernel.send(self._index, command)

    def wake_at(self, ts_ns: int, tag: str) -> None:
        """Schedule ``on_wakeup(tag)`` at ``ts_ns``."""
        self._kernel.wake(self._index, ts_ns, tag)

    def subscribe(self, channel: str, instrument: str) -> None:
        """Deliver ``channel`` of ``instrument`` to this agent, starting with a snapshot."""
        self._kernel.subscribe(self._index, channel, instrument)

    def top_of_book(self, instrument: str) -> TopOfBook:
        """Return the venue's best bid and ask of ``instrument`` as of now."""
        return self._kernel.router.top(instrument, self._kernel.now)


class Kernel:
    """Run ``agents`` against ``venue`` in simulated time.

    ``instruments`` maps names to venue slots; ``accounts[i]`` is agent ``i``'s venue
    account (default ``i``). ``seed`` is the root seed (an int or a ``SeedSequence``).
    ``latency`` defaults to ``ConstantLatency()`` (1 ms each way). ``observers`` see
    every venue command and its events (recorders, metrics). With ``record`` the
    kernel keeps every delivered message in ``log``. ``cancel_on_stop`` cancels the
    agents' open orders when the session closes, as cancel-on-disconnect does.
    """

    def __init__(
        self,
        venue: VenuePort,
        agents: Sequence[Agent],
        *,
        instruments: Mapping[str, int],
        seed: int | np.random.SeedSequence,
        latency: LatencyModel | None = None,
        accounts: Sequence[int] | None = None,
        start_ns: int = 0,
        reject_names: Mapping[int, str] | None = None,
        observers: Sequence[VenueObserver] = (),
        cancel_on_stop: bool = True,
        record: bool = False,
    ) -> None:
        self.venue = venue
        self.agents = list(agents)
        n = len(self.agents)
        self.accounts = list(range(n)) if accounts is None else [int(a) for a in accounts]
        if len(self.accounts) != n:
            raise ValueError(f"{n} agents but {len(self.accounts)} accounts")
        self.router = Router(self.accounts, instruments, reject_names)
        self.latency = latency if latency is not None else ConstantLatency()
        self.observers = list(observers)
        self.cancel_on_stop = cancel_on_stop
        self.now = int(start_ns)
        self.state = "new"  # new -> running -> closing -> closed
        self.log: list[tuple[int, int, int, object]] | None = [] if record else None
        self.delivered = 0  # messages delivered
        self.commands = 0  # commands the venue processed
        self.dropped = 0  # messages discarded at close
        self._heap: list[tuple[int, int, int, object]] = []
        self._seq = 0
        self._next_ref = 0
        self._fifo_out = [self.now] * n  # last delivery time, agent -> venue
        self._fifo_in = [self.now] * n  # last delivery time, venue -> agent
        self._journal = hashlib.sha256()
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        children = root.spawn(n + 1)
        self.latency_rng = np.random.default_rng(children[n])
        for i, agent in enumerate(self.agents):
            agent.bind(KernelSession(self, i), np.random.default_rng(children[i]), i)

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        """Open the session: call every agent's ``on_start`` in agent order."""
        if self.state != "new":
            raise RuntimeError(f"the kernel is {self.state}, not new")
        self.state = "running"
        for agent in self.agents:
            agent.on_start()

    def run(self, until_ns: int, stop_when: Callable[[], bool] | None = None) -> None:
        """Deliver every message due at or before ``until_ns`` ns, then set the clock there.

        Starts the session first if needed. If ``stop_when()`` turns true after a
        delivery, return at once with the clock at that delivery's time.
        """
        if self.state == "new":
            self.start()
        if self.state != "running":
            raise RuntimeError(f"the kernel is {self.state}")
        heap = self._heap
        while heap and heap[0][0] <= until_ns:
            self._deliver(heapq.heappop(heap))
            if stop_when is not None and stop_when():
                return
        self.now = max(self.now, until_ns)

    def close(self) -> None:
        """Close the session at the current time.

        Wake-ups and commands still on their way to the venue are dropped (the venue
        has closed); with ``cancel_on_stop`` the agents' open orders are canceled;
        every frame the venue has sent is still delivered, with its latency, and the
        clock moves on to the last of them. Then every agent's ``on_stop`` runs.
        Actions from here on are dropped.
        """
        if self.state == "new":  # never started: nothing to cancel, no one to stop
            self.state = "closed"
        if self.state == "closed":
            return
        self.state = "closing"
        kept = [m for m in self._heap if m[2] != VENUE and type(m[3]) is not Wakeup]
        self.dropped += len(self._heap) - len(kept)
        heapq.heapify(kept)
        self._heap = kept
        if self.cancel_on_stop:
            for account in self.accounts:
                self._dispatch(self._process(C.mass_cancel(account, ts=self.now), 0))
        while self._heap:
            self._deliver(heapq.heappop(self._heap))
        self.state = "closed"
        for agent in self.agents:
            agent.on_stop()

    # ----------------------------------------------------------- session services
    def send(self, agent: int, command: Command) -> int:
        """Queue ``command`` from ``agent`` for the venue; return its reference."""
        self._next_ref += 1
        ref = self._next_ref
        if self.state in ("closing", "closed"):
            self.dropped += 1
            return ref
        row = self._row(self.accounts[agent], command)
        t = self.now + self.latency.delay_ns(agent, Direction.TO_VENUE, self.latency_rng)
        t = max(t, self._fifo_out[agent])
        self._fifo_out[agent] = t
        self._push(t, VENUE, Submission(agent, ref, row))
        return ref

    def wake(self, agent: int, ts_ns: int, tag: str) -> None:
        """Schedule ``on_wakeup(tag)`` of ``agent`` at ``ts_ns`` (not in the past)."""
        if ts_ns < self.now:
            raise ValueError(f"wake-up at {ts_ns} ns is before now ({self.now} ns)")
        if self.state in ("closing", "closed"):
            self.dropped += 1
            return
        self._push(int(ts_ns), agent, Wakeup(tag))

    def subscribe(self, agent: int, channel: str, instrument: str) -> None:
        """Subscribe ``agent`` to ``channel`` of ``instrument``; its snapshot (if any)
        reaches the agent after the latency, like any frame from the venue."""
        snapshot = self.router.subscribe(agent, channel, instrument, self.now)
        if snapshot and self.state not in ("closing", "closed"):
            self._dispatch({agent: snapshot})

    def venue_events(self, events: Events, label: str) -> None:
        """Take ``events`` the venue produced on its own at the current time (a clock
        tick, a settlement, a default's close-out: commands no agent sent) and route
        them to the agents like any others. ``label`` names the cause in the journal."""
        self._journal.update(f"venue:{label}@{self.now}".encode())
        self._journal.update(np.ascontiguousarray(events, dtype="<i8").tobytes())
        if len(events) and self.state == "running":
            self._dispatch(self.router.route(events, 0))
        elif len(events):
            self.router.route(events, 0)  # keep the local books exact

    def notify(self, agent: int, events: Sequence[Event]) -> None:
        """Send ``events`` (clearing notices, index prints) to ``agent`` after the latency."""
        if events and self.state == "running":
            self._journal.update(f"notify:{agent}:{events!r}".encode())
            self._dispatch({agent: list(events)})

    def relist(self, instruments: Mapping[str, int]) -> None:
        """The venue listed or expired contracts: trade by the names of ``instruments``."""
        self.router.relist(instruments)

    def journal_hash(self) -> str:
        """Return the SHA-256 hex digest of every command row and event row so far."""
        return self._journal.hexdigest()

    @property
    def pending(self) -> int:
        """Messages scheduled and not yet delivered."""
        return len(self._heap)

    # ------------------------------------------------------------------ internals
    def _push(self, t: int, target: int, msg: object) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, target, msg))

    def _deliver(self, item: tuple[int, int, int, object]) -> None:
        t, _, target, msg = item
        self.now = t
        self.delivered += 1
        if self.log is not None:
            self.log.append(item)
        if target == VENUE:
            self._to_venue(msg)  # type: ignore[arg-type]
        elif type(msg) is Wakeup:
            self.agents[target].on_wakeup(msg.tag)
        else:
            on_event = self.agents[target].on_event
            for ev in msg:  # type: ignore[attr-defined]
                on_event(ev)

    def _to_venue(self, sub: Submission) -> None:
        self._dispatch(self._process(sub.row, sub.ref))

    def _process(self, row: Row, ref: int) -> Frames:
        row[c.C_TS] = self.now
        events = self.venue.submit(row)
        self.commands += 1
        self._journal.update(row.astype("<i8", copy=False).tobytes())
        self._journal.update(np.ascontiguousarray(events, dtype="<i8").tobytes())
        for observe in self.observers:
            observe(self.now, row, events)
        return self.router.route(events, ref) if len(events) else {}

    def _dispatch(self, frames: Frames) -> None:
        for agent, frame in frames.items():
            t = self.now + self.latency.delay_ns(agent, Direction.TO_AGENT, self.latency_rng)
            t = max(t, self._fifo_in[agent])
            self._fifo_in[agent] = t
            self._push(t, agent, tuple(frame))

    def _slot(self, instrument: str) -> int:
        return self.router.slot_of.get(instrument, UNKNOWN_SLOT)

    def _row(self, account: int, command: Command) -> npt.NDArray[np.int64]:
        match command:
            case NewOrder():
                return self._new_order_row(account, command)
            case CancelOrder(order_id=oid):
                return C.cancel(oid, account)
            case ReplaceOrder(order_id=oid, price=price, qty=qty):
                return C.replace(oid, price, qty, account)
            case CancelAll(instrument=name):
                return C.mass_cancel(account, -1 if name is None else self._slot(name))
            case Deposit(amount=amount):
                from clearing.ops import deposit_row  # only a clearing venue handles it

                return deposit_row(account, amount, self.now)
        raise TypeError(f"not a command: {command!r}")

    def _new_order_row(self, account: int, o: NewOrder) -> npt.NDArray[np.int64]:
        try:
            tif = TIF_CODES[o.tif]
        except KeyError:
            raise ValueError(
                f"unknown time in force {o.tif!r}; use one of {list(TIF_CODES)}"
            ) from None
        flags = (c.FLAG_POST_ONLY if o.post_only else 0) | (
            c.FLAG_REJECT_POST_ONLY if o.reject_post_only else 0
        )
        kind = c.TYPE_LIMIT if o.price is not None else c.TYPE_MARKET
        return C.new_order(
            self._slot(o.instrument), account, o.side, o.qty, o.price or 0,
            type=kind, tif=tif, flags=flags, expire=o.expire_ns,
        )  # fmt: skip
