"""docs/examples/quote_bot.py quotes, logs its fills and cancels its quotes at the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.gateway.stubs import RpcClient, RunningServer

REPO = Path(__file__).resolve().parents[2]


def test_the_example_bot_quotes_both_sides_logs_a_fill_and_cancels_on_exit(
    server: RunningServer, new_account: Callable[[], tuple[str, str]]
) -> None:
    bot_id, bot_secret = new_account()
    look = RpcClient(server.ws_url)
    name = look.call("public/get_instruments", currency="A100")[7]["instrument_name"]
    env = {**os.environ, "FLOPEX_CLIENT_ID": bot_id, "FLOPEX_CLIENT_SECRET": bot_secret}
    proc = subprocess.Popen(
        [sys.executable, "docs/examples/quote_bot.py", "--url", server.ws_url,
         "--instrument", name, "--seconds", "4"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        book: dict[str, object] = {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            book = look.call("public/get_order_book", instrument_name=name, depth=1)
            if book["bids"] and book["asks"]:
                break
            time.sleep(0.1)
        assert book.get("bids") and book.get("asks"), "the bot did not quote both sides"
        taker = RpcClient(server.ws_url)
        taker.login(*new_account())
        sold = taker.call(
            "private/sell", instrument_name=name, amount=1, price=book["best_bid_price"],
            time_in_force="immediate_or_cancel",
        )  # fmt: skip
        taker.close()
        assert len(sold["trades"]) == 1
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert f"filled: buy {name} 1 @ {book['best_bid_price']:.2f}" in output, output
    assert re.search(r"cancelled [12] quotes", output), output
    after = look.call("public/get_order_book", instrument_name=name, depth=1)
    look.close()
    assert after["bids"] == [] and after["asks"] == []
