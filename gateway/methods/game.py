"""The classroom game's methods: ``public/game/*``, ``private/game/*``, ``admin/game/*``.

Thin handlers over ``gateway.game.service.Games`` (docs/game-protocol.md is the
contract). Parameters are decoded by their Structs (-32602 when a type is wrong); every
other refusal comes from the service with a message naming the problem, and changes
nothing.
"""

from __future__ import annotations

from gateway.dispatch import REGISTRY, Call, Params
from gateway.game.attach import game_of
from gateway.game.errors import bad
from gateway.game.service import Games
from gateway.methods.trading import account_of


class CodeParams(Params, frozen=True, kw_only=True):
    code: str


class JoinParams(Params, frozen=True, kw_only=True):
    code: str
    name: str


class RespondParams(Params, frozen=True, kw_only=True):
    tender_id: int
    accept: bool


class CreateParams(Params, frozen=True, kw_only=True):
    scenario: str
    title: str | None = None


class AssignParams(Params, frozen=True, kw_only=True):
    code: str
    player_id: int
    role: str


class RoundParams(Params, frozen=True, kw_only=True):
    code: str
    action: str


class NewsParams(Params, frozen=True, kw_only=True):
    code: str
    headline: str
    body: str = ""


class ShockParams(Params, frozen=True, kw_only=True):
    code: str
    kind: str
    product: str | None = None
    size_pct: float | None = None
    headline: str | None = None


class TenderParams(Params, frozen=True, kw_only=True):
    code: str
    role: str | None = None
    player_id: int | None = None
    instrument: str | None = None
    instrument_name: str | None = None
    side: str
    amount: float
    price: float
    expires_in_s: float = 120.0


class LimitParams(Params, frozen=True, kw_only=True):
    code: str
    max_order_amount: int | None = None
    max_position: int | None = None


class BotParams(Params, frozen=True, kw_only=True):
    code: str
    kind: str
    count: int = 1
    seed: int | None = None
    instruments: list[str] | None = None


class BoardParams(Params, frozen=True, kw_only=True):
    code: str
    visible: bool


def games(call: Call) -> Games:
    """Return the gateway's game service; 11029 if the gateway runs none."""
    service = game_of(call.gw)
    if service is None:
        raise bad("the classroom game is not running on this gateway")
    return service


# ---------------------------------------------------------------------- public
@REGISTRY.method("public/game/get_info", CodeParams)
async def get_info(call: Call, p: CodeParams) -> dict[str, object]:
    """Return a game's code, title, scenario, state, round and player count."""
    return games(call).info(p.code)


@REGISTRY.method("public/game/join", JoinParams)
async def join(call: Call, p: JoinParams) -> dict[str, object]:
    """Join a game by code and name; return the new player's role and API key."""
    return await games(call).join(p.code, p.name)


# ---------------------------------------------------------------------- players
@REGISTRY.method("private/game/get_state", Params, access="read")
async def get_state(call: Call, p: Params) -> dict[str, object]:
    """Return the calling player's whole view of their game."""
    return games(call).player_state(account_of(call))


@REGISTRY.method("private/game/respond_tender", RespondParams, access="trade")
async def respond_tender(call: Call, p: RespondParams) -> dict[str, object]:
    """Accept (book the trade) or decline one of the caller's tenders."""
    return await games(call).respond_tender(account_of(call), p.tender_id, p.accept)


# ---------------------------------------------------------------------- instructor
@REGISTRY.method("admin/game/list_scenarios", Params, access="instructor")
async def list_scenarios(call: Call, p: Params) -> list[dict[str, object]]:
    """Return the shipped scenarios."""
    return games(call).list_scenarios()


@REGISTRY.method("admin/game/create", CreateParams, access="instructor")
async def create(call: Call, p: CreateParams) -> dict[str, object]:
    """Create a game in the lobby; return its state."""
    service = games(call)
    game = service.create(p.scenario, p.title)
    return service.admin_state(game.code)


@REGISTRY.method("admin/game/get_state", CodeParams, access="instructor")
async def admin_get_state(call: Call, p: CodeParams) -> dict[str, object]:
    """Return everything about a game: players with roles, accounts and scores."""
    return games(call).admin_state(p.code)


@REGISTRY.method("admin/game/assign_role", AssignParams, access="instructor")
async def assign_role(call: Call, p: AssignParams) -> dict[str, object]:
    """Give a player another role."""
    return games(call).assign_role(p.code, p.player_id, p.role)


@REGISTRY.method("admin/game/round", RoundParams, access="instructor")
async def round_action(call: Call, p: RoundParams) -> dict[str, object]:
    """Open, pause, resume or close a round."""
    return games(call).round(p.code, p.action)


@REGISTRY.method("admin/game/news", NewsParams, access="instructor")
async def news(call: Call, p: NewsParams) -> dict[str, object]:
    """Publish a headline to the game's ticker."""
    return games(call).news(p.code, p.headline, p.body)


@REGISTRY.method("admin/game/shock", ShockParams, access="instructor")
async def shock(call: Call, p: ShockParams) -> dict[str, object]:
    """Move the index by a shock and publish its headline."""
    return games(call).shock(p.code, p.kind, p.product, p.size_pct, p.headline)


@REGISTRY.method("admin/game/tender", TenderParams, access="instructor")
async def tender(call: Call, p: TenderParams) -> dict[str, object]:
    """Offer a tender to every player of a role or to one player."""
    instrument = p.instrument if p.instrument is not None else p.instrument_name
    if instrument is None:
        raise bad("instrument is required", "instrument")
    offered = games(call).offer_tender(
        p.code, p.role, p.player_id, instrument, p.side, p.amount, p.price, p.expires_in_s
    )
    return {"tenders": offered}


@REGISTRY.method("admin/game/set_limits", LimitParams, access="instructor")
async def set_limits(call: Call, p: LimitParams) -> dict[str, object]:
    """Set the players' order limits (omitted: unchanged; 0: none)."""
    return dict(games(call).set_limits(p.code, p.max_order_amount, p.max_position))


@REGISTRY.method("admin/game/spawn_bots", BotParams, access="instructor")
async def spawn_bots(call: Call, p: BotParams) -> dict[str, object]:
    """Start house bots that trade over this gateway's websocket."""
    return await games(call).spawn_bots(p.code, p.kind, p.count, p.seed, p.instruments)


@REGISTRY.method("admin/game/stop_bots", CodeParams, access="instructor")
async def stop_bots(call: Call, p: CodeParams) -> dict[str, object]:
    """Stop a game's house bots."""
    return await games(call).stop_bots(p.code)


@REGISTRY.method("admin/game/leaderboard", BoardParams, access="instructor")
async def leaderboard(call: Call, p: BoardParams) -> dict[str, object]:
    """Show or hide the leaderboard to students."""
    return games(call).leaderboard(p.code, p.visible)


@REGISTRY.method("admin/game/end", CodeParams, access="instructor")
async def end(call: Call, p: CodeParams) -> dict[str, object]:
    """End a game and freeze its scores."""
    return games(call).end(p.code)


@REGISTRY.method("admin/game/debrief", CodeParams, access="instructor")
async def debrief(call: Call, p: CodeParams) -> dict[str, object]:
    """Return the debrief series of a game."""
    return games(call).debrief(p.code)
