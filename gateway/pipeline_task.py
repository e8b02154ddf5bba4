"""The pipeline task: the one asyncio task that owns the engine.

Handlers ``submit`` a command and await the returned future; the task takes commands
off a bounded queue in order, stamps them with the venue clock, turns them into engine
rows, hands each to the ``Sequencer``, folds the events into the gateway's records,
publishes the notifications and resolves the future with an ``Outcome``. Nothing in a
command's processing awaits, so no other coroutine ever sees half a command.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec
import numpy as np

from exchange import codes as c
from exchange import commands as C
from exchange.pipeline import OP_CLOCK, JournalEntry
from gateway.commands import (
    CancelOrders,
    ClockTick,
    Command,
    EditOrder,
    MassCancel,
    PlaceOrder,
)
from gateway.durable import DurableSequencer, decode_note, encode_note
from gateway.errors import (
    INTERNAL_ERROR,
    INVALID_AMOUNT,
    INVALID_INSTRUMENT,
    NOT_OPEN_ORDER,
    ORDER_NOT_FOUND,
    QUEUE_FULL,
    RpcError,
    reject_error,
)
from gateway.folding import Changes, EventFolder
from gateway.instruments import Instruments
from gateway.marketdata import MarketData
from gateway.orders import CANCELLED, Fill, Order, OrderStore
from gateway.publish import Publisher
from gateway.sequencer import Sequencer
from gateway.settings import Settings

log = logging.getLogger("flopex.gateway")


@dataclass(slots=True)
class Outcome:
    """What a command did, for the handler awaiting it."""

    order: Order | None = None
    """The order placed, edited or (first) cancelled."""
    fills: list[Fill] = field(default_factory=list)
    """Fills of ``order`` in this command."""
    cancelled: list[Order] = field(default_factory=list)


class PipelineTask:
    """Sequence gateway commands through the engine, one at a time."""

    def __init__(
        self,
        settings: Settings,
        sequencer: Sequencer,
        instruments: Instruments,
        market: MarketData,
        orders: OrderStore,
        publisher: Publisher,
    ) -> None:
        self.settings = settings
        self.sequencer = sequencer
        self.instruments = instruments
        self.market = market
        self.orders = orders
        self.publisher = publisher
        self.folder = EventFolder(instruments, market, orders)
        self.queue: asyncio.Queue[tuple[Command, asyncio.Future[Outcome] | None]] = asyncio.Queue(
            settings.pipeline_queue_max
        )
        self.last_ts = 0
        self.processed = 0
        self.after_command: Callable[[], None] | None = None
        """Called between commands (the durable gateway snapshots there)."""
        self.listeners: list[Callable[[Changes], None]] = []
        """Called with each processed command's folded events, after publication (the
        classroom game records trades and orders there); a failing listener is logged."""

    # ---------------------------------------------------------------- front door
    def submit(self, cmd: Command) -> asyncio.Future[Outcome]:
        """Queue ``cmd``; return the future of its outcome. 10047 if the queue is full."""
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        try:
            self.queue.put_nowait((cmd, fut))
        except asyncio.QueueFull:
            raise RpcError(QUEUE_FULL, "the matching engine queue is full; retry") from None
        return fut

    def submit_nowait(self, cmd: Command) -> bool:
        """Queue ``cmd`` without waiting for its outcome; return False if the queue is full."""
        try:
            self.queue.put_nowait((cmd, None))
        except asyncio.QueueFull:
            return False
        return True

    async def run(self) -> None:
        """Drain the queue forever; one bad command never stops the task."""
        while True:
            cmd, fut = await self.queue.get()
            try:
                outcome = self.execute(cmd)
            except RpcError as exc:
                if fut is not None and not fut.done():
                    fut.set_exception(exc)
            except Exception:
                log.exception("pipeline: command failed: %r", cmd)
                if fut is not None and not fut.done():
                    fut.set_exception(RpcError(INTERNAL_ERROR, "the command failed; see logs"))
            else:
                if fut is not None and not fut.done():
                    fut.set_result(outcome)
            self.processed += 1
            if self.after_command is not None:
                try:
                    self.after_command()
                except Exception:
                    log.exception("pipeline: after-command hook failed")

    # ---------------------------------------------------------------- execution
    def _now(self) -> int:
        ts = max(self.settings.clock_ns(), self.last_ts)
        self.last_ts = ts
        return ts

    def execute(self, cmd: Command) -> Outcome:
        """Sequence one command and publish its effects; raise ``RpcError`` on a reject."""
        ts = self._now()
        match cmd:
            case PlaceOrder():
                return self._place(cmd, ts)
            case EditOrder():
                return self._edit(cmd, ts)
            case CancelOrders():
                return self._cancel(cmd, ts)
            case MassCancel():
                return self._mass_cancel(cmd, ts)
            case ClockTick():
                self._tick(ts)
                return Outcome()
        raise TypeError(f"not a gateway command: {cmd!r}")

    def _run(
        self,
        row: np.ndarray,
        ts: int,
        place: PlaceOrder | None = None,
        cancel_reason: str | None = None,
    ) -> Changes:
        noted = getattr(self.sequencer, "submit_noted", None)
        if noted is not None:
            events = noted(row, encode_note(place, cancel_reason))
        else:
            events = self.sequencer.submit(row)
        changes = self.folder.fold(events, ts, place, cancel_reason)
        self.publisher.publish(changes)
        self._notify(changes)
        return changes

    def _notify(self, changes: Changes) -> None:
        for listener in self.listeners:
            try:
                listener(changes)
            except Exception:
                log.exception("pipeline: listener failed")

    def _place(self, cmd: PlaceOrder, ts: int) -> Outcome:
        lst = self.instruments.by_name.get(cmd.instrument_name)
        if lst is None:
            raise RpcError(
                INVALID_INSTRUMENT, "the instrument is no longer listed", "instrument_name"
            )
        tif, expire = cmd.tif, 0
        if cmd.good_til_day:
            tif, expire = c.TIF_GTD, self.settings.calendar.next_close_ts(ts)
        position = 0
        if cmd.flags & c.FLAG_REDUCE_ONLY:
            position = self.orders.position(cmd.account, cmd.instrument_name)
        row = C.new_order(
            lst.slot, cmd.account, cmd.side, cmd.qty, cmd.price, type=cmd.type, tif=tif,
            flags=cmd.flags, trigger=cmd.trigger, expire=expire, position=position, ts=ts,
        )  # fmt: skip
        ch = self._run(row, ts, place=cmd)
        if ch.reject:
            raise reject_error(ch.reject, below_band=ch.reject_below_band)
        order = ch.placed
        fills = [f for f in ch.fills if order is not None and f.order_id == order.order_id]
        return Outcome(order, fills)

    def _edit(self, cmd: EditOrder, ts: int) -> Outcome:
        order = self.orders.orders.get(cmd.order_id)
        if order is None or order.account != cmd.account:
            raise RpcError(ORDER_NOT_FOUND, f"no order {cmd.order_id} in this account", "order_id")
        if not order.is_open:
            raise RpcError(NOT_OPEN_ORDER, f"order {cmd.order_id} is {order.state}", "order_id")
        open_qty = cmd.amount - order.filled
        if open_qty <= 0:
            raise RpcError(INVALID_AMOUNT, "amount must exceed the filled amount", "amount")
        price = cmd.price or order.price
        row = C.replace(order.order_id, price, open_qty, cmd.account, trigger=cmd.trigger, ts=ts)
        ch = self._run(row, ts)
        if ch.reject:
            raise reject_error(ch.reject, below_band=ch.reject_below_band)
        fills = [f for f in ch.fills if f.order_id == order.order_id]
        return Outcome(order, fills)

    def _cancel(self, cmd: CancelOrders, ts: int) -> Outcome:
        out = Outcome()
        for oid in cmd.order_ids:
            order = self.orders.orders.get(oid)
            if order is None or order.account != cmd.account or not order.is_open:
                if cmd.strict:
                    raise RpcError(NOT_OPEN_ORDER, f"order {oid} is not open", "order_id")
                continue
            ch = self._run(C.cancel(oid, cmd.account, ts=ts), ts, cancel_reason=cmd.reason)
            if ch.reject and cmd.strict:
                raise reject_error(ch.reject)
            if order.state == CANCELLED:
                out.cancelled.append(order)
        out.order = out.cancelled[0] if out.cancelled else None
        return out

    def _mass_cancel(self, cmd: MassCancel, ts: int) -> Outcome:
        if cmd.connection:
            ids = tuple(
                o.order_id
                for o in self.orders.live(cmd.account, cmd.instrument_name)
                if o.connection == cmd.connection
            )
            return self._cancel(
                CancelOrders(account=cmd.account, order_ids=ids, reason=cmd.reason), ts
            )
        slot = -1
        if cmd.instrument_name is not None:
            lst = self.instruments.by_name.get(cmd.instrument_name)
            if lst is None:
                return Outcome()
            slot = lst.slot
        ch = self._run(C.mass_cancel(cmd.account, slot, ts=ts), ts, cancel_reason=cmd.reason)
        cancelled = [o for o in ch.orders.values() if o.state == CANCELLED]
        return Outcome(cancelled=cancelled)

    def _tick(self, ts: int) -> None:
        self._apply_tick(self.sequencer.advance(ts), ts)

    def _apply_tick(self, events: np.ndarray, ts: int) -> None:
        listed, gone = self.instruments.sync()
        for name in listed:
            self.market.add(name)
        changes = self.folder.fold(events, ts)
        self.publisher.publish(changes)
        self._notify(changes)
        for name in gone:
            self.market.drop(name)

    # ---------------------------------------------------------------- recovery
    def recover(self, sequencer: DurableSequencer, entries: list[JournalEntry]) -> int:
        """Replay journaled commands (after the opening one) through the live fold.

        Orders, fills, positions, trade ids and book change ids are rebuilt exactly as
        the commands first built them. Orders keep no connection (theirs is gone).
        Returns the number of commands replayed.
        """
        n = 0
        for entry in entries:
            events = sequencer.replay(entry)
            if entry.cause:
                continue
            n += 1
            op, ts = int(entry.cmd[c.C_OP]), int(entry.cmd[c.C_TS])
            self.last_ts = max(self.last_ts, ts)
            if op == OP_CLOCK:
                self._apply_tick(events, ts)
                continue
            note = decode_note(sequencer.notes.get(entry.seq, b""))
            place = note.place
            if place is not None and place.connection:
                place = msgspec.structs.replace(place, connection=0)
            self.publisher.publish(self.folder.fold(events, ts, place, note.cancel_reason))
        return n
