"""Gateway settings: one frozen object built from keywords or ``FLOPEX_*`` environment variables.

``create_app(settings)`` takes it explicitly; ``get_settings()`` is the cached default the
``flopex serve`` command uses. Times are seconds (``*_s``) unless named ``*_ns``.
"""

from __future__ import annotations

import datetime
import functools
import math
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from exchange.calendar import DEFAULT_CALENDAR, TradingCalendar
from exchange.journal import FsyncPolicy
from exchange.product_spec import ProductSpec


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the gateway reads at start-up. Defaults suit a laptop."""

    testnet: bool = True
    """Value of the envelope's ``testnet`` field."""
    admin_client_id: str | None = None
    """Client id of the bootstrap administrator key (None: no administrator)."""
    admin_client_secret: str | None = None
    """Its secret; stored hashed like every other key."""
    master_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """Server key that client secrets are derived from (HMAC signatures need the secret on
    both sides; the key store itself holds only scrypt hashes). Random per process unless
    ``FLOPEX_MASTER_KEY`` (hex) is set."""
    scrypt_n: int = 1 << 14
    """scrypt cost parameter N for hashing client secrets (r = 8, p = 1)."""
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 86_400
    signature_window_s: float = 60.0
    """How far a ``client_signature`` timestamp may be from the server clock."""

    n_accounts: int = 1_024
    """Engine account capacity; account ids 1 .. n_accounts-1 are handed out."""
    products: Mapping[str, ProductSpec] | None = None
    """Products to list (None: H100, B200, A100)."""
    calendar: TradingCalendar = DEFAULT_CALENDAR
    clock_ns: Callable[[], int] = time.time_ns
    """Venue clock in ns since the epoch: orders are stamped and contracts roll by it.
    With ``seconds_per_day`` > 0 the gateway replaces it with its ``GameClock``."""

    clock_interval_s: float = 1.0
    """How often the venue clock ticks (listings, expiries, good-til-day expiry)."""
    ticker_interval_s: float = 0.1
    """Period of ``ticker.{instrument}.100ms`` publication."""
    min_heartbeat_interval_s: float = 10.0
    """Smallest ``public/set_heartbeat`` interval accepted (Deribit: 10 s)."""

    max_frame_bytes: int = 64 * 1_024
    """Largest request frame answered; larger ones get 11050 bad_request."""
    ws_max_size: int = 1 << 20
    """Transport cap: a frame above it closes the connection (1009)."""
    send_queue_max: int = 4_096
    """Messages waiting for one slow socket before it is closed with ``slow_consumer``."""
    slow_consumer_close_s: float = 5.0
    """How long to wait for a slow socket to take its close frame."""
    pipeline_queue_max: int = 65_536
    """Commands waiting for the sequencer before 10047 matching_engine_queue_full."""
    rate_limit_per_s: float = 500.0
    """Sustained requests a second one key may make (all its connections together;
    administrator keys are not limited). Above it requests answer 10028
    ``too_many_requests`` and do nothing. 0: no limit."""
    rate_limit_burst: int = 1_000
    """Requests a key may make at once before the sustained rate applies."""
    max_connections_per_key: int = 32
    """Websocket connections one key may be logged in on at once (administrator keys are
    not limited); one more login answers 10028. 0: no limit."""
    max_channels: int = 1_024
    """Subscriptions per connection."""
    trade_history: int = 10_000
    """Public trades kept per instrument (``public/get_last_trades_by_instrument``)."""
    user_trade_history: int = 10_000
    """Own trades kept per account."""
    closed_order_history: int = 1_000
    """Closed orders kept per account for ``private/get_order_state``."""

    data_dir: str | None = None
    """Directory of the journal and key store (None: keep everything in memory). With
    it, every command is journaled before it takes effect and a restart recovers."""
    journal_fsync: str = "always"
    """When the journal fsyncs: ``always``, ``batch:N``, ``batch:Tms`` or ``never``
    (see ``exchange.journal``)."""

    snapshot_every: int = 10_000
    """With ``data_dir``: snapshot the whole state every this many commands (0: never),
    so a restart replays only the journal after the newest snapshot."""

    clearing: bool = False
    """Clearing mode (gateway/clearing_mode.py): sequence through the pipeline with the
    clearing house's pre-trade margin gate and post-trade booking. In memory only for
    now (not with ``data_dir``)."""
    clearing_deposit_micros: int = 10_000 * 1_000_000
    """In clearing mode: cash deposited into every new account, µ$ (0: none)."""

    seconds_per_day: float = 0.0
    """Game clock (gateway/clock.py): with a positive value the venue clock is simulated
    and one trading day passes in this many wall seconds, from ``start_date``; it can be
    paused and resumed. 0: the venue clock is ``clock_ns`` (real time)."""
    start_date: str | None = None
    """ISO date the simulated venue clock starts at (None: today's date). Only with
    ``seconds_per_day``."""
    index_seed: int = 1
    """Root seed (≥ 0) of the simulated GPU rental price index the clearing house marks to
    in clearing mode (gateway/index_feed.py); the same seed and start give the same
    index."""
    self_url: str | None = None
    """Websocket URL of this gateway as seen from its own process (``ws://127.0.0.1:PORT
    /ws/api/v2``), for house bots it starts; ``flopex serve`` sets it."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Return settings from ``FLOPEX_*`` variables (``FLOPEX_ADMIN_CLIENT_ID`` …)."""
        env = os.environ if environ is None else environ
        kw: dict[str, object] = {}
        if "FLOPEX_ADMIN_CLIENT_ID" in env:
            kw["admin_client_id"] = env["FLOPEX_ADMIN_CLIENT_ID"]
        if "FLOPEX_ADMIN_CLIENT_SECRET" in env:
            kw["admin_client_secret"] = env["FLOPEX_ADMIN_CLIENT_SECRET"]
        if "FLOPEX_MASTER_KEY" in env:
            kw["master_key"] = bytes.fromhex(env["FLOPEX_MASTER_KEY"])
        if "FLOPEX_TESTNET" in env:
            kw["testnet"] = env["FLOPEX_TESTNET"].lower() not in ("0", "false", "no")
        if "FLOPEX_N_ACCOUNTS" in env:
            kw["n_accounts"] = int(env["FLOPEX_N_ACCOUNTS"])
        if "FLOPEX_DATA_DIR" in env:
            kw["data_dir"] = env["FLOPEX_DATA_DIR"]
        if "FLOPEX_JOURNAL_FSYNC" in env:
            kw["journal_fsync"] = env["FLOPEX_JOURNAL_FSYNC"]
        if "FLOPEX_SNAPSHOT_EVERY" in env:
            kw["snapshot_every"] = int(env["FLOPEX_SNAPSHOT_EVERY"])
        if "FLOPEX_CLEARING" in env:
            kw["clearing"] = env["FLOPEX_CLEARING"].lower() not in ("", "0", "false", "no")
        if "FLOPEX_CLEARING_DEPOSIT_MICROS" in env:
            kw["clearing_deposit_micros"] = int(env["FLOPEX_CLEARING_DEPOSIT_MICROS"])
        if "FLOPEX_SECONDS_PER_DAY" in env:
            kw["seconds_per_day"] = float(env["FLOPEX_SECONDS_PER_DAY"])
        if "FLOPEX_START_DATE" in env:
            kw["start_date"] = env["FLOPEX_START_DATE"]
        if "FLOPEX_INDEX_SEED" in env:
            kw["index_seed"] = int(env["FLOPEX_INDEX_SEED"])
        if "FLOPEX_RATE_LIMIT_PER_S" in env:
            kw["rate_limit_per_s"] = float(env["FLOPEX_RATE_LIMIT_PER_S"])
        if "FLOPEX_SELF_URL" in env:
            kw["self_url"] = env["FLOPEX_SELF_URL"]
        kw.update(overrides)
        return cls(**kw)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if (self.admin_client_id is None) != (self.admin_client_secret is None):
            raise ValueError("set both admin_client_id and admin_client_secret, or neither")
        if self.n_accounts < 2:
            raise ValueError("n_accounts must be at least 2")
        if min(self.clock_interval_s, self.ticker_interval_s, self.min_heartbeat_interval_s) <= 0:
            raise ValueError("intervals must be positive")
        FsyncPolicy.parse(self.journal_fsync)
        if self.clearing and self.data_dir is not None:
            raise ValueError("clearing mode is in memory only for now: unset data_dir")
        if self.max_connections_per_key < 0:
            raise ValueError("max_connections_per_key must not be negative")
        if self.rate_limit_per_s < 0 or self.rate_limit_burst < 1:
            raise ValueError("rate_limit_per_s must not be negative; rate_limit_burst >= 1")
        if self.seconds_per_day < 0:
            raise ValueError("seconds_per_day must not be negative")
        if self.clearing_deposit_micros < 0:
            raise ValueError("clearing_deposit_micros must not be negative")
        if not math.isfinite(self.seconds_per_day):
            raise ValueError("seconds_per_day must be a finite number")
        if self.start_date is not None:
            try:
                datetime.date.fromisoformat(self.start_date)
            except (TypeError, ValueError):
                raise ValueError(
                    f"start_date must be an ISO date YYYY-MM-DD, got {self.start_date!r}"
                ) from None
        if self.index_seed < 0:
            raise ValueError("index_seed must not be negative")


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings from the environment (cached)."""
    return Settings.from_env()
