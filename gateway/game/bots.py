"""House bots for a game: market makers and noise traders on this gateway's own websocket.

The bots are ``sim.house`` clients (``BotFleet``) connecting to ``Settings.self_url``,
exactly like any bot of the public API. Each gets an account of its own, opened at the
clearing house with ``BOT_DEPOSIT_MICROS`` and a trader key made here. They are not
players: the game's pause and limits do not apply to them (a paused round still stops
the venue clock they see).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import TYPE_CHECKING, Any, Protocol

from gateway.auth import Role
from gateway.commands import MassCancel
from gateway.game.errors import bad
from gateway.game.model import Game

if TYPE_CHECKING:
    from gateway.core import Gateway

log = logging.getLogger("flopex.gateway")
KINDS = ("market_maker", "noise")
MAX_BOTS = 20
"""Most bots of one game (both kinds together)."""
BOT_DEPOSIT_MICROS = 1_000_000 * 1_000_000
"""Cash of a house bot's account, µ$ ($1M)."""
STOP_S = 10.0
"""Longest wait for a fleet to stop, s (the bots cancel their orders and disconnect)."""


class Fleet(Protocol):
    """What the game needs of ``sim.house.BotFleet``."""

    async def spawn(
        self,
        kind: str,
        count: int,
        credentials: list[tuple[str, str]],
        seed: int,
        instruments: list[str] | None = None,
    ) -> list[str]: ...

    async def stop(self) -> None: ...


def new_fleet(url: str) -> Fleet:
    """Return a ``sim.house.BotFleet`` for ``url``; 11029 if the bot library is missing."""
    try:
        house: Any = importlib.import_module("sim.house")
    except ImportError as exc:
        raise bad(f"house bots are not available: {exc}") from None
    fleet_cls = getattr(house, "BotFleet", None)
    if fleet_cls is None:
        raise bad("house bots are not available: sim.house has no BotFleet")
    fleet: Fleet = fleet_cls(url)
    return fleet


def bot_credentials(gw: Gateway, game: Game, kind: str, count: int) -> list[tuple[str, str]]:
    """Create ``count`` bot accounts and trader keys; return their (client_id, secret)."""
    out: list[tuple[str, str]] = []
    for _ in range(count):
        name = f"{game.code} {kind} bot {len(game.bot_accounts) + 1}"
        account = gw.auth.create_account(name)
        if gw.clearing is not None:
            gw.clearing.open_account(account, name, BOT_DEPOSIT_MICROS)
        key, secret = gw.auth.create_key(Role.TRADER, account, gw.wall(), name=name)
        game.bot_accounts.append(account)
        out.append((key.client_id, secret))
    return out


class GameBots:
    """The bot fleet of each game of one gateway (one fleet per game)."""

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.fleets: dict[str, Fleet] = {}

    async def spawn(
        self, game: Game, kind: str, count: int, seed: int | None, instruments: list[str] | None
    ) -> list[str]:
        """Start ``count`` bots of ``kind`` for ``game``; return their ids (11029, 10020)."""
        gw = self.gw
        if kind not in KINDS:
            raise bad(f"kind must be one of {', '.join(KINDS)}", "kind")
        room = MAX_BOTS - len(game.bot_ids)
        if not 1 <= count <= room:
            raise bad(f"count must be from 1 to {room} (at most {MAX_BOTS} bots a game)", "count")
        for name in instruments or ():
            gw.instruments.get(name)
        url = gw.settings.self_url
        if not url:
            raise bad("house bots need the gateway's own URL (Settings.self_url)")
        fleet = self.fleets.get(game.code) or new_fleet(url)
        self.fleets[game.code] = fleet
        credentials = bot_credentials(gw, game, kind, count)
        bot_seed = seed if seed is not None else gw.settings.index_seed + len(game.bot_ids)
        ids = await fleet.spawn(kind, count, credentials, bot_seed, instruments)
        game.bot_ids.extend(ids)
        return ids

    def status(self, game: Game) -> list[dict[str, object]]:
        """Return one ``{id, kind, state, ...}`` per running bot of ``game``."""
        status = getattr(self.fleets.get(game.code), "status", None)
        if status is None:
            return [{"id": bot_id} for bot_id in game.bot_ids]
        rows: list[dict[str, object]] = status()
        return rows

    async def stop(self, game: Game) -> list[str]:
        """Stop ``game``'s bots and cancel whatever they left resting; return their ids."""
        stopped = list(game.bot_ids)
        game.bot_ids.clear()
        fleet = self.fleets.pop(game.code, None)
        if fleet is None:
            return stopped
        try:
            await asyncio.wait_for(fleet.stop(), STOP_S)
        except Exception:
            log.exception("game %s: stopping the house bots failed", game.code)
        for account in game.bot_accounts:
            self.gw.pipeline.submit_nowait(MassCancel(account=account, reason="bot_stopped"))
        return stopped
