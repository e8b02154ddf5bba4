"""A small quoting bot: one bid and one ask around the mid of one instrument; logs fills.

    FLOPEX_CLIENT_ID=... FLOPEX_CLIENT_SECRET=... python docs/examples/quote_bot.py \
        --url ws://127.0.0.1:8000/ws/api/v2 --instrument H100-31MAR27

Prices are $/GPU-hour, amounts contracts. Stop it with Ctrl-C: it cancels its quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os

from flopex.client import Client, RpcError

log = logging.getLogger("quote_bot")


async def main(
    url: str, instrument: str, half_spread_ticks: int, size: int, seconds: float
) -> None:
    async with Client(url) as c:
        await c.auth(os.environ["FLOPEX_CLIENT_ID"], os.environ["FLOPEX_CLIENT_SECRET"])
        await c.enable_cancel_on_disconnect()  # no stale quotes if this bot dies
        tick = (await c.call("public/get_instrument", instrument_name=instrument))["tick_size"]

        def on_fill(channel: str, trades: list[dict]) -> None:
            if channel == "reconnected":
                return
            for t in trades:
                log.info("filled: %s %s %g @ %.2f", t["direction"], t["instrument_name"],
                         t["amount"], t["price"])  # fmt: skip

        await c.subscribe("user.trades.any.any.raw", callback=on_fill)
        quotes: dict[str, str] = {}  # side -> order id
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            book = await c.get_order_book(instrument, depth=1)
            bid, ask = book["best_bid_price"], book["best_ask_price"]
            mid = (bid + ask) / 2 if bid and ask else book["mark_price"]
            targets = {
                "buy": round(mid - half_spread_ticks * tick, 2),
                "sell": round(mid + half_spread_ticks * tick, 2),
            }
            for side, price in targets.items():
                try:
                    if side in quotes:  # move the resting quote (keeps its id)
                        await c.edit(quotes[side], size, price=price)
                    else:
                        send = c.buy if side == "buy" else c.sell
                        placed = await send(instrument, size, price=price, post_only=True)
                        quotes[side] = placed["order"]["order_id"]
                except RpcError as exc:
                    if exc.code in (10004, 11044, 10021):  # filled or gone: place anew next time
                        quotes.pop(side, None)
                    else:  # e.g. 10009 not enough funds: log, wait, carry on
                        log.warning("%s refused: %s", side, exc)
            await asyncio.sleep(1.0)
        log.info("cancelled %d quotes", await c.cancel_all())


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", default="ws://127.0.0.1:8000/ws/api/v2")
    p.add_argument("--instrument", required=True)
    p.add_argument("--half-spread-ticks", type=int, default=2)
    p.add_argument("--size", type=int, default=1, help="contracts a quote")
    p.add_argument("--seconds", type=float, default=3600.0, help="run time")
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(a.url, a.instrument, a.half_spread_ticks, a.size, a.seconds))
