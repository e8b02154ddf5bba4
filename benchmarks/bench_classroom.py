"""Classroom load: 100 browser-like clients plus house bots on one gateway (DESIGN.md §8).

Run ``python -m benchmarks.bench_classroom [--clients 100] [--seconds 30]
[--baseline-seconds 10] [--market-makers 3] [--noise 6] [--no-write]``; it prints the
figures and rewrites the "## Classroom load" section of ``benchmarks/RESULTS.md``.

The server is a real ``flopex serve`` subprocess in clearing mode on a free 127.0.0.1
port. In this process: house bots (``sim.house.BotFleet``) and N students, each a
``flopex.client.Client`` with its own account that subscribes to what the student page
subscribes to: ``book.{i}.100ms``, ``trades.{i}.100ms`` and ``ticker.{i}.100ms`` of its
selected instrument ``i`` (students are spread over the bots' instruments),
``user.orders.any.any.raw``, ``user.trades.any.any.raw``, ``user.portfolio.usd`` and
``deribit_price_index.*``, and polls what the page polls every 5 s: the forward curve
(``public/get_book_summary_by_currency``), positions and the account summary. Every few
seconds each student cancels its resting order and places a new one behind the best
price; one order in four crosses the spread.

What is checked, per student:

- **No silent gaps.** Each book message chains on the previous one
  (``prev_change_id`` = the last ``change_id``) and each public trade's ``trade_seq`` is
  the last one + 1, unless the client was told in between: the server closed it
  (``slow_consumer``) and the client reconnected and resubscribed (a fresh snapshot).
- **Same book as the server.** After the bots stop and the market is quiet, each
  student's local book equals ``public/get_order_book`` at the same ``change_id``.

What is measured: the server's event-loop lag (its ``/healthz`` probe: how late a 50 ms
sleep wakes up), p50/p99/max, idle with no client, with the bots alone, and with bots and
students, as ratios against the idle baseline of the same run; the messages each
student received a second; order acknowledgement latency; the server's commands a second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shlex
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import common  # pins BLAS thread pools: must come before numpy

# isort: split
import numpy as np

from flopex.client import RECONNECTED, Client, ClientError
from sim.house import BotFleet, MarketMakerParams, NoiseParams

SECTION = "## Classroom load"
ADMIN_ID = "bench-admin"
ADMIN_SECRET = "bench-admin-secret"


# ----------------------------------------------------------------------- server
def start_server() -> common.ServeProcess:
    """Start ``flopex serve`` (clearing mode) on a free loopback port; wait ≤ 120 s."""
    env = {
        "FLOPEX_ADMIN_CLIENT_ID": ADMIN_ID,
        "FLOPEX_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "FLOPEX_CLEARING": "1",
    }
    return common.start_serve(env)


def health(http_url: str, window_s: float) -> dict[str, Any]:
    """Return the gateway's ``/healthz`` body, loop lag over the last ``window_s`` s."""
    url = f"{http_url}/healthz?lag_window_s={window_s}"
    with urllib.request.urlopen(url, timeout=10) as r:
        body: dict[str, Any] = json.loads(r.read())
    return body


async def health_async(http_url: str, window_s: float) -> dict[str, Any]:
    return await asyncio.to_thread(health, http_url, window_s)


# ----------------------------------------------------------------------- students
@dataclass
class StudentStats:
    """What one student saw and did."""

    messages: int = 0
    book_messages: int = 0
    trade_messages: int = 0
    snapshots: int = 0
    silent_gaps: int = 0
    """Chain breaks with no close or reconnect in between: lost messages nobody was told of."""
    told: int = 0
    """Closes the client was told of (e.g. ``slow_consumer``), each followed by a resubscribe."""
    close_reasons: list[str] = field(default_factory=list)
    orders: int = 0
    order_errors: int = 0
    ack_ms: list[float] = field(default_factory=list)
    polls: int = 0
    """Rounds of the page's 5 s polling (curve summary, positions, account summary)."""
    book_matches_server: bool | None = None


class Student:
    """One browser-like client: the page's subscriptions, a local book, an order now and then."""

    def __init__(self, no: int, url: str, creds: tuple[str, str], instrument: str) -> None:
        self.no = no
        self.url = url
        self.creds = creds
        self.instrument = instrument
        self.stats = StudentStats()
        self.rng = np.random.default_rng(np.random.SeedSequence([2026, no]))
        self.client = Client(url, request_timeout=30.0, backoff_initial=0.1, client_name="student")
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.change_id: int | None = None
        self.awaiting_snapshot = True
        self.trade_seq: int | None = None
        self.resting: str | None = None
        self.tick = 0.01
        self.band = (0.0, float("inf"))
        self.reference = 0.0
        self._reader: asyncio.Task[None] | None = None

    def channels(self) -> list[str]:
        i = self.instrument
        return [
            f"book.{i}.100ms",
            f"trades.{i}.100ms",
            f"ticker.{i}.100ms",
            "user.orders.any.any.raw",
            "user.trades.any.any.raw",
            "user.portfolio.usd",
            *(f"deribit_price_index.{p}_usd" for p in ("h100", "b200", "a100")),
        ]

    async def start(self) -> None:
        c = self.client
        await c.connect(wait=10)
        await c.auth(*self.creds)
        c.on("disconnected", self._on_disconnected)
        ticker = await c.ticker(self.instrument)
        self.band = (float(ticker["min_price"]), float(ticker["max_price"]))
        self.reference = float(ticker["mark_price"])
        sub = await c.subscribe(*self.channels(), strict=False)
        self._reader = asyncio.create_task(self._read(sub))

    def _on_disconnected(self, info: dict[str, Any]) -> None:
        self.stats.told += 1
        self.stats.close_reasons.append(str(info.get("reason")))

    async def _read(self, sub: Any) -> None:
        async for channel, data in sub:
            self.stats.messages += 1
            if channel == RECONNECTED:
                self.awaiting_snapshot, self.trade_seq = True, None
            elif channel.startswith("book."):
                self._book(data)
            elif channel.startswith("trades."):
                self._trades(data)

    def _book(self, data: dict[str, Any]) -> None:
        self.stats.book_messages += 1
        if data["type"] == "snapshot":
            self.stats.snapshots += 1
            self.bids.clear()
            self.asks.clear()
            self.awaiting_snapshot = False
        elif self.awaiting_snapshot or data.get("prev_change_id") != self.change_id:
            self.stats.silent_gaps += 1
        for side, levels in ((self.bids, data["bids"]), (self.asks, data["asks"])):
            for action, price, amount in levels:
                if action == "delete":
                    side.pop(price, None)
                else:
                    side[price] = amount
        self.change_id = data["change_id"]

    def _trades(self, data: list[dict[str, Any]]) -> None:
        for t in data:
            self.stats.trade_messages += 1
            seq = int(t["trade_seq"])
            if self.trade_seq is not None and seq != self.trade_seq + 1:
                self.stats.silent_gaps += 1
            self.trade_seq = seq

    async def poll(self, stop: asyncio.Event, every_s: float = 5.0) -> None:
        """What the page polls every ``every_s``: the product's curve in one book summary,
        positions and the account summary."""
        product = self.instrument.split("-")[0]
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s * self.rng.uniform(0.8, 1.2))
            if stop.is_set():
                return
            with contextlib.suppress(ClientError):
                await self.client.call(
                    "public/get_book_summary_by_currency", currency=product, kind="future"
                )
                await self.client.call("private/get_positions", currency="any")
                await self.client.call("private/get_account_summary", currency="USD")
                self.stats.polls += 1

    async def trade(self, stop: asyncio.Event, every_s: float) -> None:
        """Every ``every_s`` (±50 %): replace the resting order; every fourth one crosses."""
        n = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s * self.rng.uniform(0.5, 1.5))
            if stop.is_set():
                return
            n += 1
            await self._order(cross=n % 4 == 0)

    async def _order(self, cross: bool) -> None:
        c = self.client
        buy = bool(self.rng.random() < 0.5)
        away = int(self.rng.integers(1, 8))
        best_bid = max(self.bids) if self.bids else 0.0
        best_ask = min(self.asks) if self.asks else 0.0
        lo, hi = self.band
        try:
            if self.resting is not None:
                with contextlib.suppress(ClientError):  # it may have filled meanwhile
                    await c.cancel(self.resting)
                self.resting = None
            t0 = time.perf_counter()
            send = c.buy if buy else c.sell
            if cross and (best_ask if buy else best_bid) > 0:
                price = best_ask if buy else best_bid
                await send(self.instrument, 1, price=price, time_in_force="immediate_or_cancel")
            else:
                ref = (best_bid if buy else best_ask) or self.reference
                price = round(ref + (-away if buy else away) * self.tick, 2)
                price = min(max(price, lo), hi)
                res = await send(self.instrument, 1, price=price, post_only=True, label="student")
                if res["order"]["order_state"] == "open":
                    self.resting = res["order"]["order_id"]
            self.stats.ack_ms.append(1e3 * (time.perf_counter() - t0))
            self.stats.orders += 1
        except ClientError:
            self.stats.order_errors += 1

    async def check_book(self) -> None:
        """Compare the local book with the server's at the same change id."""
        book = await self.client.get_order_book(self.instrument, depth=10_000)
        if book["change_id"] != self.change_id:
            self.stats.book_matches_server = False
            return
        bids = sorted(self.bids.items(), reverse=True)
        asks = sorted(self.asks.items())
        server = ([tuple(x) for x in book["bids"]], [tuple(x) for x in book["asks"]])
        self.stats.book_matches_server = (bids, asks) == server

    async def stop(self) -> None:
        with contextlib.suppress(ClientError):
            await self.client.cancel_all()
        await self.client.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


# ----------------------------------------------------------------------- the run
@dataclass(frozen=True)
class LoadConfig:
    """What to run; times in seconds."""

    clients: int = 100
    seconds: float = 30.0
    baseline_seconds: float = 10.0
    market_makers: int = 3
    noise: int = 6
    order_every_s: float = 3.0
    seed: int = 1


async def create_accounts(
    url: str, n: int, prefix: str, admin_key: tuple[str, str] = (ADMIN_ID, ADMIN_SECRET)
) -> list[tuple[str, str]]:
    """Create ``n`` trading accounts with the administrator key; return their keys."""
    async with Client(url, request_timeout=60) as admin:
        await admin.auth(*admin_key)
        out = []
        for i in range(n):
            made = await admin.call("admin/create_account", name=f"{prefix}-{i + 1}")
            out.append((str(made["client_id"]), str(made["client_secret"])))
    return out


def _phase(h0: dict[str, Any], h1: dict[str, Any], seconds: float) -> dict[str, Any]:
    lag = h1["loop_lag"]
    return {
        "seconds": seconds,
        "lag_p50_ms": lag["p50_ms"],
        "lag_p99_ms": lag["p99_ms"],
        "lag_max_ms": lag["max_ms"],
        "lag_samples": lag["samples"],
        "commands_per_s": (h1["commands"] - h0["commands"]) / seconds,
    }


async def run_load(
    ws_url: str,
    http_url: str,
    cfg: LoadConfig,
    admin_key: tuple[str, str] = (ADMIN_ID, ADMIN_SECRET),
) -> dict[str, Any]:
    """Run the three phases against a running gateway; return the figures and checks."""
    out: dict[str, Any] = {"config": cfg}
    n = cfg.market_makers + cfg.noise + cfg.clients
    creds = await create_accounts(ws_url, n, "load", admin_key)
    bot_creds, student_creds = (
        creds[: cfg.market_makers + cfg.noise],
        creds[len(creds) - cfg.clients :],
    )

    # Phase 1: idle, nobody connected.
    h0 = await health_async(http_url, cfg.baseline_seconds)
    await asyncio.sleep(cfg.baseline_seconds)
    out["idle"] = _phase(
        h0, await health_async(http_url, cfg.baseline_seconds), cfg.baseline_seconds
    )

    # Phase 2: the house bots alone.
    fleet = BotFleet(
        ws_url,
        market_maker=MarketMakerParams(months=3),
        noise=NoiseParams(months=3, rate_per_s=2.0),
    )
    await fleet.spawn("market_maker", cfg.market_makers, bot_creds[: cfg.market_makers], cfg.seed)
    await fleet.spawn("noise", cfg.noise, bot_creds[cfg.market_makers :], cfg.seed)
    instruments = next(iter(fleet.bots.values())).instruments
    h0 = await health_async(http_url, cfg.baseline_seconds)
    await asyncio.sleep(cfg.baseline_seconds)
    out["bots"] = _phase(
        h0, await health_async(http_url, cfg.baseline_seconds), cfg.baseline_seconds
    )

    # Phase 3: bots and students.
    students = [
        Student(i, ws_url, c, instruments[i % len(instruments)])
        for i, c in enumerate(student_creds)
    ]
    t_connect = time.perf_counter()
    await asyncio.gather(*(s.start() for s in students))
    out["connect_s"] = time.perf_counter() - t_connect
    stop_orders = asyncio.Event()
    traders = [asyncio.create_task(s.trade(stop_orders, cfg.order_every_s)) for s in students]
    traders += [asyncio.create_task(s.poll(stop_orders)) for s in students]
    received0 = sum(s.stats.messages for s in students)
    h0 = await health_async(http_url, cfg.seconds)
    await asyncio.sleep(cfg.seconds)
    h1 = await health_async(http_url, cfg.seconds)
    out["loaded"] = _phase(h0, h1, cfg.seconds)
    out["loaded"]["sessions"] = h1["sessions"]
    received = sum(s.stats.messages for s in students) - received0
    stop_orders.set()
    await asyncio.gather(*traders)

    # Quiesce: stop the bots, let the last changes arrive, compare every local book.
    out["bot_status"] = fleet.status()
    await fleet.stop()
    for s in students:
        if s.resting is not None:
            with contextlib.suppress(ClientError):
                await s.client.cancel(s.resting)
    await asyncio.sleep(1.0)
    await asyncio.gather(*(s.check_book() for s in students))
    await asyncio.gather(*(s.stop() for s in students))
    out["students"] = [s.stats for s in students]
    out["messages_per_student_s"] = received / max(1, len(students)) / cfg.seconds
    out["instruments"] = instruments
    return out


# ----------------------------------------------------------------------- report
def summary(r: dict[str, Any]) -> dict[str, Any]:
    """Return the checks and aggregate figures of a ``run_load`` result."""
    st: list[StudentStats] = r["students"]
    acks = sorted(x for s in st for x in s.ack_ms)

    def q(f: float) -> float:
        return acks[min(len(acks) - 1, int(f * len(acks)))] if acks else 0.0

    return {
        "students": len(st),
        "silent_gaps": sum(s.silent_gaps for s in st),
        "told": sum(s.told for s in st),
        "close_reasons": sorted({reason for s in st for reason in s.close_reasons}),
        "books_match": sum(bool(s.book_matches_server) for s in st),
        "snapshots_min": min((s.snapshots for s in st), default=0),
        "book_messages": sum(s.book_messages for s in st),
        "trade_messages": sum(s.trade_messages for s in st),
        "orders": sum(s.orders for s in st),
        "order_errors": sum(s.order_errors for s in st),
        "ack_p50_ms": q(0.5),
        "ack_p99_ms": q(0.99),
        "bot_fills": sum(b["fills"] for b in r["bot_status"]),
        "bot_orders": sum(b["orders"] + b["edits"] for b in r["bot_status"]),
    }


def report(r: dict[str, Any], command: str) -> str:
    """Return the markdown section."""

    s, cfg = summary(r), r["config"]
    idle, bots, loaded = r["idle"], r["bots"], r["loaded"]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.1f}×" if b > 0 else "—"

    rows = [
        ("idle: no client", idle),
        (f"house bots ({cfg.market_makers} market makers, {cfg.noise} noise)", bots),
        (f"bots + {s['students']} students", loaded),
    ]
    table = [
        "| phase | loop lag p50 | p99 | max | p50 ÷ idle | p99 ÷ idle | commands/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, ph in rows:
        table.append(
            f"| {name} | {ph['lag_p50_ms']:.2f} ms | {ph['lag_p99_ms']:.2f} ms | "
            f"{ph['lag_max_ms']:.1f} ms | {ratio(ph['lag_p50_ms'], idle['lag_p50_ms'])} | "
            f"{ratio(ph['lag_p99_ms'], idle['lag_p99_ms'])} | {ph['commands_per_s']:,.0f} |"
        )
    machine = "; ".join(f"{k}: {v}" for k, v in common.machine_info())
    told_why = f" ({', '.join(s['close_reasons'])})" if s["close_reasons"] else ""
    return "\n".join(
        [
            f"Command: `{command}`",
            "",
            f"One `flopex serve` process in clearing mode; in a second process {s['students']} "
            f"students (each its own account and websocket, subscribed as the student page: "
            f"book, trades and ticker of one instrument, own orders, trades and portfolio, "
            f"the indices; polling the curve summary, positions and account every 5 s) and "
            f"{cfg.market_makers + cfg.noise} house bots "
            f"over {len(r['instruments'])} instruments. Each student replaces an order every "
            f"{cfg.order_every_s:g} s on average; one in four crosses. Loaded phase "
            f"{cfg.seconds:g} s, idle and bots-only phases {cfg.baseline_seconds:g} s each. Loop "
            "lag: how late the server's 50 ms probe sleep wakes up (`/healthz`).",
            "",
            *table,
            "",
            f"- Correctness: silent gaps {s['silent_gaps']} (book `prev_change_id` chains and "
            f"public `trade_seq` chains of every student); closes told to clients "
            f"{s['told']}{told_why}; local book equal to the server's at the end: "
            f"{s['books_match']} of {s['students']}.",
            f"- Each student received {r['messages_per_student_s']:.1f} messages/s "
            f"({s['book_messages']:,} book and {s['trade_messages']:,} public-trade messages "
            f"in all); {s['students']} connected and subscribed in {r['connect_s']:.2f} s.",
            f"- Student orders: {s['orders']:,} acknowledged, {s['order_errors']} refused; "
            f"acknowledgement p50 {s['ack_p50_ms']:.1f} ms, p99 {s['ack_p99_ms']:.1f} ms "
            f"(from this process, whose event loop is shared by all the clients and bots).",
            f"- House bots: {s['bot_orders']:,} orders and edits, {s['bot_fills']:,} fills.",
            f"- Machine: {machine}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print it and update RESULTS.md; return 0 if no gap went untold."""

    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_classroom", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--clients", type=int, default=100, help="students (100)")
    ap.add_argument("--seconds", type=float, default=30.0, help="loaded phase, s (30)")
    ap.add_argument(
        "--baseline-seconds", type=float, default=10.0, help="idle and bots phases (10)"
    )
    ap.add_argument("--market-makers", type=int, default=3, help="house market makers (3)")
    ap.add_argument("--noise", type=int, default=6, help="house noise traders (6)")
    ap.add_argument("--order-every", type=float, default=3.0, help="s between student orders (3)")
    results = common.repo_root() / "benchmarks" / "RESULTS.md"
    ap.add_argument("--results", type=Path, default=results, help="markdown file to update")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    cfg = LoadConfig(
        clients=args.clients, seconds=args.seconds, baseline_seconds=args.baseline_seconds,
        market_makers=args.market_makers, noise=args.noise, order_every_s=args.order_every,
    )  # fmt: skip
    command = ("python -m benchmarks.bench_classroom " + shlex.join(argv)).strip()
    server = start_server()
    try:
        r = asyncio.run(run_load(server.ws_url, f"http://127.0.0.1:{server.port}", cfg))
    finally:
        server.stop()
    body = report(r, command)
    print(body)
    if not args.no_write:
        common.write_section(args.results, SECTION, body)
        print(f"\nwrote the {SECTION!r} section of {args.results}")
    s = summary(r)
    return 0 if s["silent_gaps"] == 0 and s["books_match"] == s["students"] else 1


if __name__ == "__main__":
    sys.exit(main())
