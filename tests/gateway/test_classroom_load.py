"""A classroom's load: 100 browser-like clients and house bots, and nobody loses a message
without being told (DESIGN.md §8; the timed version is benchmarks/bench_classroom.py).

Each client subscribes as the student page does and trades every few seconds; the check
is on correctness only: every book and public-trade stream is gapless unless the client
was closed and resubscribed, and every local book ends equal to the server's.
"""

from __future__ import annotations

import asyncio

from benchmarks.bench_classroom import LoadConfig, run_load, summary
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import start_server


def test_a_hundred_students_and_house_bots_see_every_change_or_are_told() -> None:
    running = start_server(gateway_settings(clearing=True))
    cfg = LoadConfig(
        clients=100, seconds=6.0, baseline_seconds=0.5, market_makers=2, noise=4, order_every_s=2.0
    )
    try:
        r = asyncio.run(
            asyncio.wait_for(
                run_load(running.ws_url, running.http_url, cfg, (ADMIN_ID, ADMIN_SECRET)), 120
            )
        )
    finally:
        running.stop()
    s = summary(r)
    assert s["students"] == 100
    assert s["silent_gaps"] == 0, s
    assert s["books_match"] == 100, s
    assert s["snapshots_min"] >= 1
    assert s["book_messages"] > 100 and s["trade_messages"] > 0, s
    assert s["orders"] >= 100 and s["bot_fills"] > 0, s
    assert r["loaded"]["sessions"] >= 100 + 6
    assert r["loaded"]["lag_samples"] > 0  # the server's loop-lag probe reports
