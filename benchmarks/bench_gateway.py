"""Gateway throughput and latency over real websockets on loopback (DESIGN.md §9).

Run ``python -m benchmarks.bench_gateway [--clients N] [--window W] [--seconds S]
[--subscribers M] [--no-write]``; it prints the figures and rewrites the "## Gateway"
section of ``benchmarks/RESULTS.md``.

The server is a real ``flopex serve`` subprocess on a free 127.0.0.1 port (one process:
the event loop and the one pipeline task); the clients run in this process on their own
event loop. Three parts, each bounded in time:

1. **Baseline**: ``public/get_time`` round trips from N connections, each keeping W
   requests in flight. Everything but the exchange: frames, JSON, dispatch.
2. **Order round trips**: the same connections, authenticated as N accounts, each
   alternating ``private/buy`` of a resting limit order and ``private/cancel`` of it
   (both sequenced through the pipeline, journaled in memory, published on the
   account's channels). A round trip is one request answered; p50/p99 acknowledgement
   latency is measured from send to answer. Reported as a ratio of the baseline.
3. **Market-data fan-out**: M connections subscribed to ``book.{instrument}.100ms``;
   one connection adds and cancels orders at distinct prices; every subscriber's
   notification is matched to the order that caused it, latency from the order's send.

Figures are ratios against the baseline of the same run (machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import common  # pins BLAS thread pools: must come before numpy

# isort: split
import msgspec
from websockets.asyncio.client import ClientConnection, connect

SECTION = "## Gateway"
ADMIN_ID = "bench-admin"
ADMIN_SECRET = "bench-admin-secret"
TARGET_RT = 20_000
LEVELS = 20
"""Price levels used on each side, ticks."""
_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder()


# ----------------------------------------------------------------------- server
def start_server(n_accounts: int) -> common.ServeProcess:
    """Start ``flopex serve`` on a free loopback port; wait (≤ 120 s) until it is healthy."""
    env = {
        "FLOPEX_ADMIN_CLIENT_ID": ADMIN_ID,
        "FLOPEX_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "FLOPEX_N_ACCOUNTS": str(n_accounts),
        "FLOPEX_RATE_LIMIT_PER_S": "0",  # raw throughput: no per-key request limit
    }
    return common.start_serve(env)


# ----------------------------------------------------------------------- client
class Conn:
    """One pipelining JSON-RPC connection: requests resolved by id by one reader task."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.on_notification: Any = None
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str) -> Conn:
        ws = await connect(url, max_size=1 << 22, max_queue=None, compression=None)
        return cls(ws)

    async def _read(self) -> None:
        async for frame in self.ws:
            msg = _dec.decode(frame)
            rid = msg.get("id")
            if rid is not None:
                fut = self.pending.pop(rid, None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
            elif self.on_notification is not None:
                self.on_notification(msg)

    async def send(self, method: str, params: dict[str, Any]) -> asyncio.Future[Any]:
        """Send one request; return the future of its answer."""
        rid = next(self.ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        frame = _enc.encode({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        await self.ws.send(frame.decode())
        return fut

    async def call(self, method: str, **params: Any) -> Any:
        msg = await asyncio.wait_for(await self.send(method, params), timeout=30)
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg["result"]

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


@dataclass
class Tally:
    """Round trips answered and their latencies (ns), inside the measured window."""

    done: int = 0
    errors: int = 0
    latencies: list[int] = field(default_factory=list)


def _percentile(values: Sequence[int], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return float(s[min(len(s) - 1, int(q * len(s)))])


async def _loop_requests(
    conn: Conn, window: int, stop_at: float, tally: Tally, make: Any, lock_step: bool
) -> None:
    """Keep ``window`` requests in flight on ``conn`` until ``stop_at`` (monotonic s)."""

    async def lane(lane_no: int) -> None:
        state: dict[str, Any] = {}
        for _ in range(10_000_000):  # bounded; the clock ends it long before
            if time.monotonic() >= stop_at:
                return
            method, params = make(lane_no, state)
            t0 = time.perf_counter_ns()
            msg = await asyncio.wait_for(await conn.send(method, params), timeout=30)
            tally.latencies.append(time.perf_counter_ns() - t0)
            tally.done += 1
            if "error" in msg:
                tally.errors += 1
                state.clear()
            elif lock_step:
                state["last"] = msg["result"]

    await asyncio.gather(*(lane(i) for i in range(window)))


async def measure_round_trips(
    conns: list[Conn], window: int, seconds: float, make: Any, lock_step: bool = False
) -> tuple[float, Tally]:
    """Run the request loops on every connection for ``seconds``; return (rt/s, tally)."""
    tally = Tally()
    t0 = time.monotonic()
    stop_at = t0 + seconds
    await asyncio.gather(
        *(_loop_requests(c, window, stop_at, tally, make, lock_step) for c in conns)
    )
    elapsed = time.monotonic() - t0
    return tally.done / elapsed, tally


def _get_time(_lane: int, _state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "public/get_time", {}


def _order_maker(instrument: str, low: float, tick: float) -> Any:
    """Alternate a resting buy far below the market and the cancel of it, per lane.

    Prices are ``LEVELS`` ticks from ``low`` ($/GPU-hour) up; the loop ends with at most
    one order resting per lane.
    """
    counter = itertools.count()

    def make(lane: int, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        last = state.pop("last", None)
        if last is not None and "order" in last:
            return "private/cancel", {"order_id": last["order"]["order_id"]}
        price = round(low + (next(counter) % LEVELS) * tick, 2)
        return "private/buy", {
            "instrument_name": instrument,
            "amount": 1,
            "type": "limit",
            "price": price,
        }

    return make


# ----------------------------------------------------------------------- fan-out
async def measure_fanout(
    url: str, driver: Conn, instrument: str, high: float, tick: float, subscribers: int, n: int
) -> dict[str, float]:
    """Subscribe ``subscribers`` connections to the book; send ``n`` order/cancel pairs.

    Each step rests a sell at one of ``LEVELS`` empty ask levels below ``high`` ($/GPU-hour) and
    cancels it, so every subscriber must see one ``new`` ask level per step.
    """
    channel = f"book.{instrument}.100ms"
    sent_at: dict[float, int] = {}
    lat: list[int] = []
    received = 0

    def on_note(msg: dict[str, Any]) -> None:
        nonlocal received
        params = msg.get("params") or {}
        if params.get("channel") != channel:
            return
        now = time.perf_counter_ns()
        for level in params["data"].get("asks", []):
            if level[0] == "new":
                t = sent_at.get(level[1])
                if t is not None:
                    lat.append(now - t)
                    received += 1

    subs = [await Conn.open(url) for _ in range(subscribers)]
    for s in subs:
        await s.call("public/subscribe", channels=[channel])
        s.on_notification = on_note
    await asyncio.sleep(0.5)
    t0 = time.monotonic()
    for i in range(n):
        price = round(high - (i % LEVELS) * tick, 2)
        sent_at[price] = time.perf_counter_ns()
        order = await driver.call(
            "private/sell", instrument_name=instrument, amount=1, type="limit", price=price
        )
        await driver.call("private/cancel", order_id=order["order"]["order_id"])
    for _ in range(100):  # up to 10 s for the last notifications
        if received >= n * subscribers:
            break
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - t0
    for s in subs:
        await s.close()
    return {
        "changes": 2.0 * n,
        "delivered": float(received),
        "expected": float(n * subscribers),
        "deliveries_per_s": received / elapsed,
        "p50_ms": _percentile(lat, 0.50) / 1e6,
        "p99_ms": _percentile(lat, 0.99) / 1e6,
    }


# ----------------------------------------------------------------------- main
async def run(args: argparse.Namespace, server: common.ServeProcess) -> dict[str, Any]:
    url = server.ws_url
    admin = await Conn.open(url)
    await admin.call(
        "public/auth",
        grant_type="client_credentials",
        client_id=ADMIN_ID,
        client_secret=ADMIN_SECRET,
    )
    instruments = await admin.call("public/get_instruments", currency="any", kind="future")
    h100 = [x for x in instruments if x["instrument_name"].startswith("H100-")]
    inst = sorted(h100, key=lambda x: x["expiration_timestamp"])[3]  # not a month that rolls
    name, tick = inst["instrument_name"], float(inst["tick_size"])
    book = await admin.call("public/ticker", instrument_name=name)
    # Resting buys at the bottom of the price band, fan-out sells at its top: LEVELS ticks
    # each, far apart, so nothing ever trades.
    low = round(float(book["min_price"]) + tick, 2)
    high = round(float(book["max_price"]) - tick, 2)
    if low + LEVELS * tick >= high - LEVELS * tick:
        raise RuntimeError(f"price band of {name} too narrow for the benchmark")

    conns = [await Conn.open(url) for _ in range(args.clients)]
    for i, conn in enumerate(conns):
        acct = await admin.call("admin/create_account", name=f"bench-{i}")
        await conn.call(
            "public/auth",
            grant_type="client_credentials",
            client_id=acct["client_id"],
            client_secret=acct["client_secret"],
        )
    # warm-up: both paths once, not measured
    await measure_round_trips(conns, args.window, 1.0, _get_time)
    await measure_round_trips(conns, args.window, 1.0, _order_maker(name, low, tick), True)

    base_rate, base = await measure_round_trips(conns, args.window, args.seconds, _get_time)
    ord_rate, ords = await measure_round_trips(
        conns, args.window, args.seconds, _order_maker(name, low, tick), True
    )
    fan = await measure_fanout(url, conns[0], name, high, tick, args.subscribers, args.changes)
    for c in conns:
        await c.close()
    await admin.close()
    return {
        "instrument": name,
        "base_rate": base_rate,
        "base_p50": _percentile(base.latencies, 0.5) / 1e6,
        "base_p99": _percentile(base.latencies, 0.99) / 1e6,
        "order_rate": ord_rate,
        "order_errors": ords.errors,
        "order_p50": _percentile(ords.latencies, 0.5) / 1e6,
        "order_p99": _percentile(ords.latencies, 0.99) / 1e6,
        "fanout": fan,
    }


def report(r: dict[str, Any], args: argparse.Namespace, command: str) -> tuple[str, bool]:
    """Return the markdown section and whether the round-trip target is met."""
    fan = r["fanout"]
    met = r["order_rate"] >= TARGET_RT
    rows = [
        [
            "baseline: public/get_time",
            common.fmt_rate(r["base_rate"]),
            "1.00",
            f"{r['base_p50']:.2f}",
            f"{r['base_p99']:.2f}",
        ],
        [
            "order round trips (buy, cancel)",
            common.fmt_rate(r["order_rate"]),
            common.fmt_ratio(r["order_rate"], r["base_rate"]),
            f"{r['order_p50']:.2f}",
            f"{r['order_p99']:.2f}",
        ],
    ]
    table = common.markdown_table(["part", "round trips/s", "× baseline", "p50 ms", "p99 ms"], rows)
    fan_rows = [
        [
            f"book.{r['instrument']}.100ms",
            str(args.subscribers),
            f"{int(fan['delivered']):,} of {int(fan['expected']):,}",
            common.fmt_rate(fan["deliveries_per_s"]),
            f"{fan['p50_ms']:.2f}",
            f"{fan['p99_ms']:.2f}",
        ]
    ]
    fan_table = common.markdown_table(
        ["channel", "subscribers", "adds delivered", "deliveries/s", "p50 ms", "p99 ms"], fan_rows
    )
    machine = common.markdown_table(["", ""], [list(x) for x in common.machine_info(("msgspec",))])
    body = "\n\n".join(
        [
            f"Command: `{command}`",
            f"{args.clients} connections × {args.window} requests in flight, {args.seconds:g} s "
            "per part; server: one `flopex serve` process on 127.0.0.1 (in-memory, no "
            "clearing); clients in a second process.",
            table,
            f"Target ≥ {TARGET_RT:,} order round trips/s: "
            f"**{'met' if met else 'not met'}** ({common.fmt_rate(r['order_rate'])}/s, "
            f"{r['order_errors']} refused).",
            "Market-data fan-out (one order added then cancelled per step, every subscriber "
            "must see every added level; latency from the order's send):",
            fan_table,
            machine,
        ]
    )
    return body, met


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print it and update RESULTS.md; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_gateway", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--clients", type=int, default=16, help="order connections (16)")
    ap.add_argument("--window", type=int, default=8, help="requests in flight each (8)")
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds per part (5)")
    ap.add_argument("--subscribers", type=int, default=200, help="book subscribers (200)")
    ap.add_argument("--changes", type=int, default=300, help="orders in the fan-out part")
    results = common.repo_root() / "benchmarks" / "RESULTS.md"
    ap.add_argument("--results", type=Path, default=results, help="markdown file to update")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    command = "python -m benchmarks.bench_gateway " + shlex.join(argv)
    server = start_server(n_accounts=max(64, args.clients + 8))
    try:
        r = asyncio.run(run(args, server))
    finally:
        server.stop()
    body, _met = report(r, args, command.strip())
    print(body)
    fan = r["fanout"]
    complete = fan["delivered"] == fan["expected"] and r["order_errors"] == 0
    if not args.no_write:
        common.write_section(args.results, SECTION, body)
        print(f"\nwrote the {SECTION!r} section of {args.results}")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
