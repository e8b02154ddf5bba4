"""The gateway's long-lived objects, built once by the app's lifespan.

``Gateway`` opens the venue through the sequencer, builds the registries, the pipeline
task and the background timers (venue clock, 100 ms tickers), and tears them down.
Request handlers reach it as ``call.gw`` (websocket) or through the ``get_gateway``
dependency (HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from exchange import codes as c
from exchange.venue import Venue
from gateway.auth import Auth
from gateway.clearing_mode import ClearedSequencer
from gateway.commands import ClockTick
from gateway.durable import KEYS_FILE, DurableSequencer, durable_factory, write_snapshot
from gateway.instruments import Instruments
from gateway.marketdata import MarketData
from gateway.orders import OrderStore
from gateway.pipeline_task import PipelineTask
from gateway.publish import Publisher
from gateway.sequencer import EngineSequencer, SequencerFactory
from gateway.session import Hub, Session
from gateway.settings import Settings

log = logging.getLogger("flopex.gateway")


class Gateway:
    """Venue, records, sessions and tasks of one running gateway."""

    def __init__(
        self, settings: Settings, sequencer_factory: SequencerFactory = EngineSequencer
    ) -> None:
        self.settings = settings
        self.venue = Venue(settings.products, settings.calendar, settings.n_accounts)
        if settings.data_dir is not None and sequencer_factory is EngineSequencer:
            sequencer_factory = durable_factory(settings.data_dir, settings.journal_fsync)
        if settings.clearing and sequencer_factory is EngineSequencer:
            sequencer_factory = ClearedSequencer
        self.sequencer = sequencer_factory(self.venue)
        self.clearing = self.sequencer if isinstance(self.sequencer, ClearedSequencer) else None
        """The clearing house's sequencer in clearing mode, else None."""
        ts0 = settings.clock_ns()
        durable = self.sequencer if isinstance(self.sequencer, DurableSequencer) else None
        self.durable = durable
        t_start = time.perf_counter()
        snap = durable.snapshot.state if durable is not None and durable.snapshot else None
        backlog = durable.backlog if durable is not None else []
        if snap is not None:
            self.venue = snap["venue"]
            self.instruments: Instruments = snap["instruments"]
            self.market: MarketData = snap["market"]
            self.orders: OrderStore = snap["orders"]
        else:
            if durable is not None and backlog:
                open_events = durable.replay(backlog[0])
                backlog = backlog[1:]
            else:
                open_events = self.sequencer.open(ts0)
                self.sequencer.advance(ts0)  # also loads the one-command kernel
            self.instruments = Instruments(self.venue)
            self.market = MarketData(settings.trade_history)
            for name in self.instruments.by_name:
                self.market.add(name)
            for row in open_events[open_events[:, c.E_KIND] == c.EV_STATUS].tolist():
                self.instruments.apply_status(row[c.E_INSTR], row[c.E_SIDE], row[c.E_PRICE])
            self.orders = OrderStore(settings.closed_order_history, settings.user_trade_history)
        self.hub = Hub()
        self.publisher = Publisher(self.hub, self.instruments, self.market, self.orders)
        self.pipeline = PipelineTask(
            settings, self.sequencer, self.instruments, self.market, self.orders, self.publisher
        )
        self._snapshot_seq = 0
        if durable is not None and durable.recovering:
            if snap is not None:
                self.pipeline.last_ts = snap["last_ts"]
                self._snapshot_seq = durable.pipeline.seq
            n = self.pipeline.recover(durable, backlog)
            durable.end_recovery()
            log.info(
                "recovered %d journaled commands (seq %d%s) in %.3f s",
                n + (snap is None), durable.pipeline.seq,
                f", snapshot at seq {self._snapshot_seq}" if snap is not None else "",
                time.perf_counter() - t_start,
            )  # fmt: skip
        if durable is not None:
            self.pipeline.after_command = self.maybe_snapshot
        self.auth = Auth(
            settings.master_key,
            n_accounts=settings.n_accounts,
            scrypt_n=settings.scrypt_n,
            access_ttl_s=settings.access_token_ttl_s,
            refresh_ttl_s=settings.refresh_token_ttl_s,
            signature_window_s=settings.signature_window_s,
            store=None if settings.data_dir is None else Path(settings.data_dir) / KEYS_FILE,
        )
        if settings.admin_client_id and settings.admin_client_secret:
            self.auth.add_bootstrap_admin(
                settings.admin_client_id, settings.admin_client_secret, self.wall()
            )
        self.sessions: dict[int, Session] = {}
        self.account_cancel_on_disconnect: set[int] = set()
        self._tasks: list[asyncio.Task[None]] = []

    def now(self) -> int:
        """Return the venue clock, ns (orders, trades, listings; may be simulated)."""
        return self.settings.clock_ns()

    @staticmethod
    def wall() -> int:
        """Return the wall clock, ns (tokens and signatures expire by it, never by the venue)."""
        return time.time_ns()

    async def start(self) -> None:
        """Start the pipeline task and the timers."""
        self._tasks = [
            asyncio.create_task(self.pipeline.run(), name="flopex-pipeline"),
            asyncio.create_task(self._clock(), name="flopex-clock"),
            asyncio.create_task(self._tickers(), name="flopex-tickers"),
        ]

    async def stop(self) -> None:
        """Stop the tasks (queued commands that were not processed are dropped)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.durable is not None:
            if self.settings.snapshot_every > 0 and self.durable.pipeline.seq > self._snapshot_seq:
                self.snapshot()  # a clean stop restarts without replay
            self.durable.close()

    def snapshot(self) -> Path | None:
        """Write a snapshot of the whole gateway state now (durable gateways only).

        Called between commands (never inside one). The journal is fsynced first, so a
        snapshot is never ahead of it.
        """
        durable = self.durable
        if durable is None:
            return None
        durable.journal.sync()
        seq = durable.pipeline.seq
        state = {
            "venue": self.venue,
            "instruments": self.instruments,
            "market": self.market,
            "orders": self.orders,
            "last_ts": self.pipeline.last_ts,
        }
        path = write_snapshot(durable.journal.path.parent, seq, state)
        self._snapshot_seq = seq
        return path

    def maybe_snapshot(self) -> None:
        """Snapshot when ``settings.snapshot_every`` commands passed since the last one."""
        every = self.settings.snapshot_every
        if self.durable is None or every <= 0:
            return
        if self.durable.pipeline.seq - self._snapshot_seq >= every:
            t = time.perf_counter()
            path = self.snapshot()
            log.info("snapshot %s written in %.3f s", path, time.perf_counter() - t)

    def state_hash(self) -> str:
        """Return the state hash of the sequencer (pipeline) or, without one, the engine."""
        fn = getattr(self.sequencer, "state_hash", None)
        return str(fn()) if fn is not None else self.venue.engine.state_hash()

    @property
    def healthy(self) -> bool:
        """Return whether every background task is still running."""
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    async def _clock(self) -> None:
        while True:
            await asyncio.sleep(self.settings.clock_interval_s)
            if not self.pipeline.submit_nowait(ClockTick()):
                log.warning("clock tick skipped: pipeline queue full")

    async def _tickers(self) -> None:
        while True:
            await asyncio.sleep(self.settings.ticker_interval_s)
            try:
                self.publisher.publish_tickers(self.now())
            except Exception:
                log.exception("ticker publication failed")
