"""``flopex demo``: the exchange, house bots and a classroom game on one laptop.

Starts the gateway in clearing mode on a simulated, pausable venue clock (one trading day
every ``seconds_per_day`` wall seconds), then, as the instructor over the websocket
protocol, creates a game from a scenario and spawns house bots (market makers and noise
traders) that trade the curve through the same protocol. Prints the URLs of the student
screen, the instructor console and the websocket API, and serves until interrupted (or
for ``duration_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
from dataclasses import dataclass
from typing import TextIO

import uvicorn

from gateway.app import create_app
from gateway.settings import Settings

log = logging.getLogger("flopex.demo")


@dataclass(frozen=True)
class DemoOptions:
    """What ``flopex demo`` runs. Times in wall seconds."""

    host: str = "127.0.0.1"
    port: int = 8000
    scenario: str = "intro"
    seconds_per_day: float = 20.0
    market_makers: int = 3
    noise_traders: int = 6
    seed: int = 1
    duration_s: float | None = None
    """Stop after this long (None: serve until interrupted)."""


@dataclass(frozen=True)
class DemoUrls:
    """Where to point browsers and bots."""

    student: str
    instructor: str
    websocket: str
    api_docs: str


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(
            f"flopex demo: cannot listen on {host}:{port} ({exc.strerror}); "
            f"is another flopex running? Try: flopex demo --port {port + 1}"
        ) from None
    sock.listen(256)
    return sock


def _urls(host: str, port: int, code: str, key_id: str, key_secret: str) -> DemoUrls:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    return DemoUrls(
        student=f"{base}/play?code={code}",
        instructor=f"{base}/instructor?code={code}#client_id={key_id}&client_secret={key_secret}",
        websocket=f"ws://{shown}:{port}/ws/api/v2",
        api_docs=f"{base}/docs",
    )


def banner(urls: DemoUrls, code: str, admin_id: str, admin_secret: str, opts: DemoOptions) -> str:
    """Return the text printed once everything runs."""
    return "\n".join(
        [
            "",
            "flopex is running: GPU-hour futures (H100, B200, A100; 36 monthly contracts each)",
            f"  game code           {code}   (scenario {opts.scenario!r})",
            f"  student screen      {urls.student}",
            f"  instructor console  {urls.instructor}",
            f"  websocket API       {urls.websocket}   (Deribit v2 dialect, docs/protocol.md)",
            f"  HTTP API docs       {urls.api_docs}",
            f"  administrator key   client_id={admin_id} client_secret={admin_secret}",
            f"  house bots          {opts.market_makers} market makers, "
            f"{opts.noise_traders} noise traders",
            f"  clock               one trading day every {opts.seconds_per_day:g} s",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


async def _set_up_game(
    url: str, admin_id: str, admin_secret: str, opts: DemoOptions
) -> tuple[str, str, str]:
    """As the administrator, make an instructor key; as the instructor, create the demo
    game and spawn its house bots. Return (game code, instructor id, instructor secret)."""
    from flopex.client import Client

    async with Client(url) as admin:
        await admin.auth(admin_id, admin_secret)
        key = await admin.call("admin/create_api_key", role="instructor", name="demo instructor")
    async with Client(url) as client:
        await client.auth(key["client_id"], key["client_secret"])
        game = await client.call("admin/game/create", scenario=opts.scenario, title="flopex demo")
        code = str(game["code"])
        for kind, count in (("market_maker", opts.market_makers), ("noise", opts.noise_traders)):
            if count > 0:
                await client.call("admin/game/spawn_bots", code=code, kind=kind, count=count)
    return code, str(key["client_id"]), str(key["client_secret"])


async def run(opts: DemoOptions, out: TextIO = sys.stdout) -> int:
    """Serve the demo until interrupted or ``opts.duration_s``; return an exit status."""
    admin_id = os.environ.get("FLOPEX_ADMIN_CLIENT_ID", "instructor")
    admin_secret = os.environ.get("FLOPEX_ADMIN_CLIENT_SECRET") or secrets.token_urlsafe(12)
    sock = _bind(opts.host, opts.port)
    port = sock.getsockname()[1]
    self_url = f"ws://127.0.0.1:{port}/ws/api/v2"
    settings = Settings.from_env(
        admin_client_id=admin_id,
        admin_client_secret=admin_secret,
        clearing=True,
        seconds_per_day=opts.seconds_per_day,
        index_seed=opts.seed,
        self_url=self_url,
    )
    config = uvicorn.Config(
        create_app(settings),
        log_level="warning",
        lifespan="on",
        ws_max_size=settings.ws_max_size,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]), name="flopex-demo-server")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        for _ in range(600):  # bounded: 60 s for the first compilation on a cold machine
            if server.started or serving.done():
                break
            await asyncio.sleep(0.1)
        if not server.started:
            print("flopex demo: the exchange did not start", file=sys.stderr)
            return 1
        code, instructor_id, instructor_secret = await _set_up_game(
            self_url, admin_id, admin_secret, opts
        )
        urls = _urls(opts.host, port, code, instructor_id, instructor_secret)
        print(banner(urls, code, admin_id, admin_secret, opts), file=out, flush=True)
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait(
            [stopping, serving], timeout=opts.duration_s, return_when=asyncio.FIRST_COMPLETED
        )
        stopping.cancel()
        return 1 if serving in done and serving.exception() is not None else 0
    finally:
        server.should_exit = True  # the lifespan stops the house bots and the pipeline
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(serving), timeout=15)
        print("flopex demo: stopped", file=out, flush=True)


def main(opts: DemoOptions) -> int:
    """Run ``flopex demo`` with ``opts``."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(name)s: %(message)s")
    print("flopex: starting (the matching engine compiles on the first run)...", flush=True)
    return asyncio.run(run(opts))
