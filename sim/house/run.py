"""``flopex bots``: a population of house bots trading on a running gateway.

Waits for the gateway, creates one account a bot with the administrator's key
(``admin/create_account``), runs a ``BotFleet`` until the duration is over, SIGINT or
SIGTERM, then stops it (every bot cancels its orders) and prints what each bot did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from flopex.client import Client, ClientError
from sim.house.fleet import BotFleet

log = logging.getLogger("flopex.house")
STATUS_EVERY_S = 30.0


@dataclass(frozen=True)
class BotsOptions:
    """What ``flopex bots`` was asked to run."""

    url: str
    admin_id: str
    admin_secret: str
    market_makers: int = 3
    noise: int = 10
    seed: int = 1
    duration_s: float | None = None
    wait_s: float = 60.0
    """How long to wait for the gateway to accept connections, s."""


async def run_bots(opts: BotsOptions, out: TextIO = sys.stdout) -> int:
    """Run the fleet described by ``opts``; return the process exit status."""
    admin = Client(opts.url, reconnect=False)
    try:
        await admin.connect(wait=opts.wait_s)
    except ClientError as exc:
        print(f"flopex bots: the exchange did not answer: {exc}", file=sys.stderr)
        return 1
    run = secrets.token_hex(3)  # account names stay unique across restarts of this command
    names = [f"house-mm-{run}-{i + 1}" for i in range(opts.market_makers)]
    names += [f"house-noise-{run}-{i + 1}" for i in range(opts.noise)]
    try:
        await admin.auth(opts.admin_id, opts.admin_secret)
        creds = []
        for name in names:
            made = await admin.call("admin/create_account", name=name, role="trader")
            creds.append((str(made["client_id"]), str(made["client_secret"])))
    except ClientError as exc:
        print(f"flopex bots: cannot create the bots' accounts: {exc}", file=sys.stderr)
        return 1
    finally:
        await admin.close()

    fleet = BotFleet(opts.url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        mm = opts.market_makers
        await fleet.spawn("market_maker", mm, creds[:mm], opts.seed)
        await fleet.spawn("noise", opts.noise, creds[mm:], opts.seed)
        states = [s["state"] for s in fleet.status()]
        print(
            f"flopex bots: {states.count('running')} of {len(states)} bots trading on "
            f"{opts.url} (seed {opts.seed})",
            file=out,
            flush=True,
        )
        t_end = None if opts.duration_s is None else time.monotonic() + opts.duration_s
        next_summary = time.monotonic() + STATUS_EVERY_S
        while not stop.is_set():
            now = time.monotonic()
            if t_end is not None and now >= t_end:
                break
            if all(s["state"] == "failed" for s in fleet.status()):
                break  # e.g. the exchange restarted and forgot the bots' keys
            if now >= next_summary:
                next_summary = now + STATUS_EVERY_S
                _summary(fleet, out)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0 if t_end is None else min(1.0, t_end - now))
    finally:
        await fleet.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    _summary(fleet, out)
    failed = [s["id"] for s in fleet.status() if s["state"] == "failed"]
    if failed:
        print(f"flopex bots: failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed and len(failed) == len(names) else 0  # compose restarts it then


def _summary(fleet: BotFleet, out: TextIO) -> None:
    for s in fleet.status():
        print(
            f"{s['id']:>9} {s['state']:<11} orders {s['orders']:>6} edits {s['edits']:>6} "
            f"fills {s['fills']:>5} refused {s['errors']:>4} reconnects {s['reconnects']}",
            file=out,
        )
    out.flush()


def main(opts: BotsOptions) -> int:
    """Run ``flopex bots`` (blocking)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    logging.getLogger("websockets").setLevel(logging.WARNING)
    return asyncio.run(run_bots(opts))
