"""The gateway's long-lived objects, built once by the app's lifespan.

``Gateway`` opens the venue through the sequencer, builds the registries, the pipeline
task and the background timers (venue clock, 100 ms tickers), and tears them down.
With ``Settings.seconds_per_day`` > 0 the venue clock is a ``GameClock`` (``gw.clock``,
gateway/clock.py); in clearing mode the gateway runs the simulated index
(``gw.index_feed``, gateway/index_feed.py), the clearing house's daily cycles on the
venue clock (gateway/clearing_mode.py) and the clearing channels
(``gw.clearing_publisher``, gateway/clearing_views.py).
Request handlers reach it as ``call.gw`` (websocket) or through the ``get_gateway``
dependency (HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from datetime import date
from pathlib import Path

from exchange import codes as c
from exchange.calendar import ns_to_date
from exchange.venue import Venue
from gateway.auth import Auth
from gateway.clearing_mode import ClearedSequencer
from gateway.clearing_views import ClearingPublisher
from gateway.clock import GameClock
from gateway.commands import ClockTick
from gateway.durable import KEYS_FILE, DurableSequencer, durable_factory, write_snapshot
from gateway.index_feed import IndexFeed
from gateway.instruments import Instruments
from gateway.marketdata import MarketData
from gateway.orders import OrderStore
from gateway.pipeline_task import PipelineTask
from gateway.publish import Publisher
from gateway.ratelimit import RateLimiter
from gateway.sequencer import EngineSequencer, SequencerFactory
from gateway.session import Hub, Session
from gateway.settings import Settings

log = logging.getLogger("flopex.gateway")


class Gateway:
    """Venue, records, sessions and tasks of one running gateway."""

    def __init__(
        self, settings: Settings, sequencer_factory: SequencerFactory = EngineSequencer
    ) -> None:
        self.clock: GameClock | None = None
        """The simulated venue clock (None: ``settings.clock_ns``, real time)."""
        if settings.seconds_per_day > 0:
            start = settings.start_date
            first = date.fromisoformat(start) if start else ns_to_date(time.time_ns())
            self.clock = GameClock(settings.seconds_per_day, first, settings.calendar)
            settings = dataclasses.replace(settings, clock_ns=self.clock.now_ns)
        self.settings = settings
        """The settings; with a game clock their ``clock_ns`` is ``clock.now_ns``."""
        self.venue = Venue(settings.products, settings.calendar, settings.n_accounts)
        if settings.data_dir is not None and sequencer_factory is EngineSequencer:
            sequencer_factory = durable_factory(settings.data_dir, settings.journal_fsync)
        if settings.clearing and sequencer_factory is EngineSequencer:
            sequencer_factory = ClearedSequencer
        self.sequencer = sequencer_factory(self.venue)
        self.clearing = self.sequencer if isinstance(self.sequencer, ClearedSequencer) else None
        """The clearing house's sequencer in clearing mode, else None."""
        ts0 = settings.clock_ns()
        self.index_feed: IndexFeed | None = None
        """The simulated index the clearing house marks to (clearing mode only)."""
        if self.clearing is not None:
            first_day = settings.calendar.trading_day(ts0)
            self.index_feed = IndexFeed(
                self.venue.products, settings.calendar, settings.index_seed, first_day, self.now
            )
            self.clearing.use_index(self.index_feed)
            self.clearing.skip_non_business_deadlines = self.clock is not None
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
        self.clearing_publisher: ClearingPublisher | None = None
        """Margin calls, index and portfolio notifications (clearing mode only)."""
        if self.clearing is not None and self.index_feed is not None:
            self.clearing_publisher = ClearingPublisher(self.hub, self.clearing, self.index_feed)
            self.market.index_of = self.index_feed.level  # tickers quote the live index
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
        self.rate_limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
        """Per-key request limits (gateway/ratelimit.py)."""
        self.sessions: dict[int, Session] = {}
        self.account_cancel_on_disconnect: set[int] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        """The event loop the gateway runs on (set by ``start``): other threads reach the
        gateway only through it (``loop.call_soon_threadsafe``)."""

    def now(self) -> int:
        """Return the venue clock, ns (orders, trades, listings; the game clock if any)."""
        if self.clock is not None:
            return self.clock.now_ns()
        return self.settings.clock_ns()

    @staticmethod
    def wall() -> int:
        """Return the wall clock, ns (tokens and signatures expire by it, never by the venue)."""
        return time.time_ns()

    async def start(self) -> None:
        """Start the pipeline task and the timers."""
        self.loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self.pipeline.run(), name="flopex-pipeline"),
            asyncio.create_task(self._clock(), name="flopex-clock"),
            asyncio.create_task(self._tickers(), name="flopex-tickers"),
        ]
        if self.clearing_publisher is not None:
            self._tasks.append(asyncio.create_task(self._portfolios(), name="flopex-portfolio"))

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

    def clock_interval_s(self) -> float:
        """Return the period of venue clock ticks, s: ``settings.clock_interval_s``, and
        with a game clock at most a tenth of a simulated day."""
        interval = self.settings.clock_interval_s
        if self.clock is not None:
            interval = min(interval, self.clock.seconds_per_day / 10)
        return interval

    async def _clock(self) -> None:
        interval = self.clock_interval_s()
        while True:
            await asyncio.sleep(interval)
            if not self.pipeline.submit_nowait(ClockTick()):
                log.warning("clock tick skipped: pipeline queue full")

    async def _portfolios(self) -> None:
        publisher = self.clearing_publisher
        assert publisher is not None
        while True:
            await asyncio.sleep(0.05)
            try:
                publisher.flush()
            except Exception:
                log.exception("portfolio publication failed")

    async def _tickers(self) -> None:
        while True:
            await asyncio.sleep(self.settings.ticker_interval_s)
            try:
                self.publisher.publish_tickers(self.now())
            except Exception:
                log.exception("ticker publication failed")
