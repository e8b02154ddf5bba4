"""Plug the classroom game into a running gateway, and find it again.

``attach(gw)`` builds the ``Games`` service, hooks its recorder into the pipeline task,
installs ``gw.game_gate`` (asked by the trading methods before a student's order goes to
the engine) and starts its timer; ``detach`` stops it. The app's lifespan calls both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.game.service import Games

if TYPE_CHECKING:
    from gateway.core import Gateway

_ATTR = "game"


def attach(gw: Gateway) -> Games:
    """Attach a started ``Games`` service to ``gw`` (once); return it."""
    games = game_of(gw)
    if games is None:
        games = Games(gw)
        setattr(gw, _ATTR, games)
        setattr(gw, "game_gate", games.gate)  # noqa: B010  (the gateway declares neither)
        games.start()
    return games


async def detach(gw: Gateway) -> None:
    """Stop and remove the game service of ``gw``, if any."""
    games = game_of(gw)
    if games is not None:
        await games.stop()
        setattr(gw, "game_gate", None)  # noqa: B010


def game_of(gw: Gateway) -> Games | None:
    """Return the game service attached to ``gw``, or None."""
    games = getattr(gw, _ATTR, None)
    return games if isinstance(games, Games) else None
