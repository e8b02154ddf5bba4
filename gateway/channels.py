"""Subscription channel names, parsed once at subscribe time.

Market data: ``book.{instrument}.{raw|100ms}``, ``trades.{instrument}.{raw|100ms}``,
``ticker.{instrument}.{raw|100ms}``. Own activity: ``user.orders.{instrument|any}.raw``,
``user.orders.{kind}.{currency}.raw`` (ccxt's ``user.orders.any.any.raw``) and the same
for ``user.trades``. For ``book`` and ``trades`` the ``100ms`` interval delivers every
change as it happens, exactly like ``raw``; for ``ticker`` it publishes at most every
``ticker_interval_s``. Clearing mode (gateway/clearing_views.py) publishes
``deribit_price_index.{h100_usd|b200_usd|a100_usd}`` (public) and ``user.portfolio.usd``
(private). The classroom game (docs/game-protocol.md) adds the public
``game.{code}`` and the private ``user.game``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.game.codes import is_code

INTERVALS = ("raw", "100ms")
MARKET_KINDS = ("book", "trades", "ticker")


@dataclass(frozen=True, slots=True)
class MarketChannel:
    """A public channel about one instrument."""

    kind: str
    instrument_name: str
    interval: str


@dataclass(frozen=True, slots=True)
class UserChannel:
    """An account's own orders or trades, in one instrument (``instrument_name``) or in a
    product (``product``; None = every product)."""

    kind: str
    instrument_name: str | None
    product: str | None

    def matches(self, instrument_name: str) -> bool:
        """Return whether an event of ``instrument_name`` belongs on this channel."""
        if self.instrument_name is not None:
            return self.instrument_name == instrument_name
        return self.product is None or instrument_name.startswith(self.product + "-")


@dataclass(frozen=True, slots=True)
class GameChannel(MarketChannel):
    """A classroom game's public channel ``game.{code}``: kind ``game``, the game code in
    ``instrument_name``. Fanned out by name like market data."""


Channel = MarketChannel | UserChannel


def parse_channel(name: str, products: set[str], instruments: set[str]) -> Channel | None:
    """Return the channel called ``name``, or None if it names nothing flopex publishes."""
    parts = name.split(".")
    if len(parts) == 2 and parts[0] == "game" and is_code(parts[1]):
        return GameChannel("game", parts[1], "raw")
    if name == "user.game":
        return UserChannel("game", None, None)
    if len(parts) == 2 and parts[0] == "deribit_price_index":
        if parts[1] in {f"{p.lower()}_usd" for p in products}:  # clearing mode publishes
            return MarketChannel("price_index", parts[1], "raw")
        return None
    if len(parts) == 3 and parts[:2] == ["user", "portfolio"]:
        return UserChannel("portfolio", None, None) if parts[2] in ("usd", "USD") else None
    if len(parts) == 3 and parts[0] in MARKET_KINDS:
        kind, instrument, interval = parts
        if instrument in instruments and interval in INTERVALS:
            return MarketChannel(kind, instrument, interval)
        return None
    if len(parts) < 4 or parts[0] != "user" or parts[1] not in ("orders", "trades"):
        return None
    if parts[-1] not in INTERVALS:
        return None
    kind = parts[1]
    if len(parts) == 4:
        target = parts[2]
        if target == "any":
            return UserChannel(kind, None, None)
        return UserChannel(kind, target, None) if target in instruments else None
    if len(parts) == 5:
        what, currency = parts[2], parts[3]
        if what not in ("any", "future"):
            return None
        if currency in ("any", "USD"):
            return UserChannel(kind, None, None)
        return UserChannel(kind, None, currency) if currency in products else None
    return None
