"""A house market maker: Avellaneda–Stoikov quotes around an index-anchored curve.

Fair value of a contract ``m`` months out (0 = the front month) is

    s = I · (1 + slope · m)

where ``I`` is the product's index ($/GPU-hour: ``public/get_index_price`` and the
``deribit_price_index.{index}`` channel where the server has them, else the ticker's
``index_price``) and ``slope`` the curve's slope per month (a fraction of the index).
With a position of ``q`` contracts the bot quotes around the reservation price

    r = s − q · γ · σ² · τ

with the total spread ``δ = γ · σ² · τ + (2/γ) · ln(1 + γ/k)`` (Avellaneda & Stoikov
2008), ``σ`` the price volatility in $/GPU-hour per √day, ``τ`` the horizon in days,
``γ`` the risk aversion per $/GPU-hour and ``k`` the decay of the order arrival rate
per $/GPU-hour of distance from the mid. A long bot shades both quotes down, so it
sells more readily than it buys, and the other way round.

One resting order a side per instrument, post-only; moved with ``private/edit`` when
its target moves by ``requote_ticks`` or more; none on a side where a fill could take the
position beyond ``max_position``. A refused side (not enough funds, position limit,
trading paused) is left alone for ``refusal_pause_s`` and retried.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import Any

from flopex.client import ClientError, RpcError
from sim.house.base import INSTRUMENT_GONE, ORDER_GONE, HouseBot, front_months, round_to_tick


@dataclass(frozen=True)
class MarketMakerParams:
    """Parameters of ``MarketMaker``, with their units."""

    months: int = 12
    """Front months of each product quoted when no instruments are given (a year of the
    curve)."""
    size: int = 5
    """Contracts a quote."""
    gamma: float = 1.0
    """Risk aversion γ, per $/GPU-hour."""
    sigma: float = 0.02
    """Volatility σ as a fraction of the fair value per √day (0.02: 2 % a day)."""
    tau_days: float = 1.0
    """Horizon τ over which inventory risk counts, days."""
    k: float = 40.0
    """Order-arrival decay k, per $/GPU-hour (arrivals ∝ e^(−k·distance))."""
    curve_slope: float = -0.005
    """Fair value change per month out, fraction of the index (negative: the curve falls
    as GPUs age; −0.005 puts month 12 about 6% and month 36 about 18% under the index,
    a moderate structural backwardation)."""
    max_position: int = 20
    """Largest position the bot may take in one instrument, contracts either way."""
    min_half_spread_ticks: int = 1
    requote_ticks: int = 1
    """Move a resting quote only when its target moved at least this many ticks."""
    requote_interval_s: float = 0.5
    """Mean pause between quoting rounds (±20 %, seeded), s."""
    anchor_refresh_s: float = 1.0
    """How often the index is read, s."""
    instruments_refresh_s: float = 30.0
    """How often the listing is read (contracts expire and new months list), s."""
    refusal_pause_s: float = 2.0
    """How long a refused side is left alone, s."""


@dataclass
class Quote:
    """A resting order of the bot on one side of one instrument."""

    order_id: str
    price: float
    amount: float
    """Total amount of the order, contracts (filled part included)."""
    filled: float = 0.0
    dirty: bool = False
    """Filled in part since the last answer about it: resize at the next round."""

    @property
    def open(self) -> float:
        return self.amount - self.filled


@dataclass
class Listing:
    """What the bot knows of an instrument it quotes."""

    name: str
    product: str
    index_name: str
    months_out: int
    tick: float
    min_price: float = 0.0
    max_price: float = math.inf


class MarketMaker(HouseBot):
    """Quotes two-sided markets on a set of instruments (see the module docstring)."""

    kind = "market_maker"

    def __init__(self, *args: Any, params: MarketMakerParams | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.params = params or MarketMakerParams()
        self.listings: dict[str, Listing] = {}
        self.anchor: dict[str, float] = {}
        """Index level by product, $/GPU-hour."""
        self.quotes: dict[tuple[str, str], Quote] = {}
        self.paused_until: dict[tuple[str, str], float] = {}
        self.index_method = True
        self._next_anchor = 0.0
        self._next_listing = 0.0

    # -- set-up ------------------------------------------------------------------------

    async def setup(self) -> None:
        await self._refresh_listings()
        if not self.listings:
            raise ClientError("no instrument to quote")
        indices = sorted({x.index_name for x in self.listings.values()})
        assert self.client is not None
        await self.client.subscribe(
            *(f"deribit_price_index.{i}" for i in indices), callback=self._on_index, strict=False
        )

    def _on_index(self, channel: str, data: Any) -> None:
        if not isinstance(data, dict) or "price" not in data:
            return
        for x in self.listings.values():
            if x.index_name == data.get("index_name"):
                self.anchor[x.product] = float(data["price"])
        self.wake.set()

    async def _refresh_listings(self) -> None:
        assert self.client is not None
        self._next_listing = time.monotonic() + self.params.instruments_refresh_s
        listed = await self.guard("get_instruments", self.client.get_instruments())
        if listed is None:
            return
        by_name = {x["instrument_name"]: x for x in listed}
        if self.requested_instruments:
            names = [n for n in self.requested_instruments if n in by_name]
        else:
            names = front_months(listed, self.params.months)
        month_of: dict[str, int] = {}
        seen: dict[str, int] = {}
        for x in listed:
            product = x["base_currency"]
            month_of[x["instrument_name"]] = seen.get(product, 0)
            seen[product] = seen.get(product, 0) + 1
        for gone in set(self.listings) - set(names):
            await self._withdraw(gone)
            del self.listings[gone]
        for name in names:
            x = by_name[name]
            old = self.listings.get(name)
            listing = Listing(
                name, x["base_currency"], x.get("index_name") or x["price_index"],
                month_of[name], float(x["tick_size"]),
            )  # fmt: skip
            if old is not None:
                listing.min_price, listing.max_price = old.min_price, old.max_price
            self.listings[name] = listing
            ticker = await self.guard("ticker", self.client.ticker(name))
            if ticker is not None:
                listing.min_price = float(ticker["min_price"])
                listing.max_price = float(ticker["max_price"])
                self.anchor.setdefault(listing.product, float(ticker["index_price"]))
        self.instruments = list(self.listings)

    async def _refresh_anchor(self) -> None:
        assert self.client is not None
        for product, index_name in sorted(
            {(x.product, x.index_name) for x in self.listings.values()}
        ):
            if self.index_method:
                try:
                    res = await self.client.call("public/get_index_price", index_name=index_name)
                    self.anchor[product] = float(res["index_price"])
                    continue
                except RpcError as exc:
                    if exc.code != -32601:
                        self._failed("get_index_price", exc, exc.code)
                        continue
                    self.index_method = False  # not served here: read the ticker from now on
                except ClientError as exc:
                    self._failed("get_index_price", exc)
                    continue
            first = next(x.name for x in self.listings.values() if x.product == product)
            ticker = await self.guard("ticker", self.client.ticker(first))
            if ticker is not None and ticker.get("index_price"):
                self.anchor[product] = float(ticker["index_price"])

    # -- quoting -----------------------------------------------------------------------

    def fair_value(self, listing: Listing) -> float | None:
        """Return the fair value of ``listing``, $/GPU-hour (None before the first index)."""
        index = self.anchor.get(listing.product)
        if index is None:
            return None
        return index * (1.0 + self.params.curve_slope * listing.months_out)

    def targets(self, listing: Listing) -> tuple[float, float, float, float] | None:
        """Return (bid price, bid size, ask price, ask size) for ``listing`` now."""
        p = self.params
        s = self.fair_value(listing)
        if s is None:
            return None
        q = self.position.get(listing.name, 0.0)
        var = (p.sigma * s) ** 2 * p.tau_days
        r = s - q * p.gamma * var
        half = (p.gamma * var + (2.0 / p.gamma) * math.log(1.0 + p.gamma / p.k)) / 2.0
        half = max(half, p.min_half_spread_ticks * listing.tick)
        bid = round_to_tick(r - half, listing.tick, "down")
        ask = round_to_tick(r + half, listing.tick, "up")
        bid = min(max(bid, listing.min_price), listing.max_price - listing.tick)
        ask = max(min(ask, listing.max_price), listing.min_price + listing.tick)
        bid = round_to_tick(bid, listing.tick, "nearest")  # the band's edges ± a tick
        ask = round_to_tick(ask, listing.tick, "nearest")
        bid_size = float(max(0, min(p.size, p.max_position - q)))
        ask_size = float(max(0, min(p.size, p.max_position + q)))
        return bid, bid_size, ask, ask_size

    async def step(self) -> float:
        now = time.monotonic()
        if now >= self._next_listing:
            await self._refresh_listings()
        if now >= self._next_anchor:
            self._next_anchor = now + self.params.anchor_refresh_s
            await self._refresh_anchor()
        for listing in list(self.listings.values()):
            await self._requote(listing)
        p = self.params
        return float(p.requote_interval_s * self.rng.uniform(0.8, 1.2))

    async def _requote(self, listing: Listing) -> None:
        target = self.targets(listing)
        if target is None:
            return
        bid, bid_size, ask, ask_size = target
        resting_ask = self.quotes.get((listing.name, "sell"))
        sides = [("buy", bid, bid_size), ("sell", ask, ask_size)]
        if resting_ask is not None and bid >= resting_ask.price:
            sides.reverse()  # move the ask out of the way first: never cross ourselves
        for side, price, size in sides:
            if listing.name not in self.listings:
                return
            await self._quote(listing, side, price, size)

    async def _quote(self, listing: Listing, side: str, price: float, size: float) -> None:
        assert self.client is not None
        key = (listing.name, side)
        if self.paused_until.get(key, 0.0) > time.monotonic():
            return
        cur = self.quotes.get(key)
        if size <= 0:
            if cur is not None:
                await self._cancel(key, cur)
            return
        if cur is None:
            send = self.client.buy if side == "buy" else self.client.sell
            res = await self.guard(
                f"{side} {listing.name}",
                send(listing.name, size, price=price, post_only=True, label=self.id),
            )
            if res is None:
                self._refused(listing, key)
                return
            order = res["order"]
            self.stats.orders += 1
            if order["order_state"] == "open":
                self.quotes[key] = Quote(
                    order["order_id"], float(order["price"]), float(order["amount"]),
                    float(order["filled_amount"]),
                )  # fmt: skip
            return
        moved = abs(cur.price - price) >= self.params.requote_ticks * listing.tick - 1e-9
        if not moved and not cur.dirty and cur.open == size:
            return
        res = await self.guard(
            f"edit {listing.name}", self.client.edit(cur.order_id, cur.filled + size, price)
        )
        if res is None:
            if self.last_code in ORDER_GONE:
                self.quotes.pop(key, None)
                self.wake.set()
            else:
                self._refused(listing, key)
            return
        self.stats.edits += 1
        order = res["order"]
        if order["order_state"] != "open":
            self.quotes.pop(key, None)
        else:
            cur.price, cur.amount = float(order["price"]), float(order["amount"])
            cur.filled = float(order["filled_amount"])
            cur.dirty = False

    def _refused(self, listing: Listing, key: tuple[str, str]) -> None:
        if self.last_code in INSTRUMENT_GONE:
            self.listings.pop(listing.name, None)
            self._next_listing = 0.0
            return
        self.paused_until[key] = time.monotonic() + self.params.refusal_pause_s

    async def _cancel(self, key: tuple[str, str], cur: Quote) -> None:
        assert self.client is not None
        res = await self.guard(f"cancel {key[0]}", self.client.cancel(cur.order_id))
        if res is not None:
            self.stats.cancels += 1
        if res is not None or self.last_code in ORDER_GONE:
            self.quotes.pop(key, None)

    async def _withdraw(self, name: str) -> None:
        for side in ("buy", "sell"):
            cur = self.quotes.get((name, side))
            if cur is not None:
                with contextlib.suppress(ClientError):
                    await self._cancel((name, side), cur)

    def on_fill(self, trade: dict[str, Any]) -> None:
        key = (trade.get("instrument_name", ""), trade.get("direction", ""))
        cur = self.quotes.get(key)
        if cur is None or cur.order_id != trade.get("order_id"):
            return
        # Partial fills are not counted here: a trade may be read before or after the
        # answer that already includes it; the next edit's answer carries the truth.
        if trade.get("state") in ("filled", "cancelled"):
            del self.quotes[key]
        else:
            cur.dirty = True

    async def on_reconnected(self) -> None:
        self.quotes.clear()  # cancel-on-disconnect removed them
