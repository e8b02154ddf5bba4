"""Wire views of a game: what a student, the public channel and the instructor see.

Shapes are those of ``docs/game-protocol.md``. Prices dollars per GPU-hour, money
dollars, amounts contracts, ``*_ms`` durations and ``ts`` venue times in ms.
"""

from __future__ import annotations

from gateway.game.model import OFFERED, Game, NewsItem, Player, Tender
from gateway.game.scenario import RoleSpec
from gateway.game.scoring import Score


def brief_text(role: RoleSpec, contracts: tuple[str, ...]) -> str:
    """Return the role's brief with ``{contracts}`` and ``{target}`` filled in."""
    names = ", ".join(contracts) if contracts else "the listed contracts"
    text = role.brief.replace("{contracts}", names)
    return text.replace("{target}", str(role.objective.target))


def role_view(game: Game, role_id: str) -> dict[str, object]:
    """Return ``{id, title, brief, objective}`` of a role in ``game``."""
    role = game.role(role_id)
    contracts = game.contracts.get(role_id, ())
    obj = role.objective
    return {
        "id": role.id,
        "title": role.title,
        "brief": brief_text(role, contracts),
        "objective": {
            "kind": obj.kind,
            "product": obj.product,
            "months": list(contracts),
            "target": obj.target,
            "bonus_per_contract": obj.bonus_per_contract,
            "penalty_per_contract": obj.penalty_per_contract,
        },
    }


def objective_view(game: Game, player: Player, score: Score) -> dict[str, object]:
    """Return ``{kind, months, target, hedged, attainment}`` of a player."""
    obj = game.role(player.role).objective
    return {
        "kind": obj.kind,
        "product": obj.product,
        "months": list(game.contracts.get(player.role, ())),
        "target": obj.target,
        "hedged": score.hedged,
        "attainment": score.attainment,
    }


def tender_view(t: Tender, now_wall: int) -> dict[str, object]:
    """Return one tender; ``expires_in_ms`` counts down while it is offered."""
    left = max(0, (t.expires_ts - now_wall) // 1_000_000) if t.state == OFFERED else 0
    return {
        "tender_id": t.tender_id,
        "code": t.code,
        "player_id": t.player_id,
        "role": t.role,
        "instrument_name": t.instrument_name,
        "side": t.side,
        "amount": t.amount,
        "price": t.price,
        "state": t.state,
        "expires_in_ms": left,
        "booked_price": t.booked_price,
        "premium": t.premium_usd,
    }


def news_view(n: NewsItem) -> dict[str, object]:
    """Return one headline ``{headline, body, ts, round, kind, moves}``."""
    return {
        "headline": n.headline,
        "body": n.body,
        "ts": n.ts,
        "round": n.round,
        "kind": n.kind,
        "moves": n.moves,
    }


def leaderboard_rows(game: Game, scores: dict[int, Score]) -> list[dict[str, object]]:
    """Return players ranked by total score (ties: name), ``{rank, player_id, name, role,
    total}``; the role is its title."""
    ranked = sorted(
        game.players.values(), key=lambda p: (-scores[p.player_id].total, p.name.lower())
    )
    return [
        {
            "rank": i + 1,
            "player_id": p.player_id,
            "name": p.name,
            "role": game.role(p.role).title,
            "total": scores[p.player_id].total,
        }
        for i, p in enumerate(ranked)
    ]


def public_state(game: Game, now_mono: int, clock: dict[str, object]) -> dict[str, object]:
    """Return the ``{type: "state", ...}`` notification of ``game.{code}``."""
    n = game.round
    return {
        "type": "state",
        "code": game.code,
        "title": game.title,
        "state": game.state,
        "round": n,
        "rounds_total": game.rounds_total,
        "round_title": game.scenario.rounds[n - 1].title if n else None,
        "round_ends_in_ms": game.round_ends_in_ms(now_mono),
        "clock": clock,
        "players": len(game.players),
        "leaderboard_visible": game.leaderboard_visible,
    }


def limits_view(game: Game) -> dict[str, int | None]:
    """Return ``{max_order_amount, max_position}`` (None: no limit)."""
    return {"max_order_amount": game.max_order_amount, "max_position": game.max_position}


def player_row(game: Game, p: Player, score: Score) -> dict[str, object]:
    """Return one row of the instructor's players table."""
    return {
        "player_id": p.player_id,
        "name": p.name,
        "account_id": p.account,
        "role": p.role,
        "role_title": game.role(p.role).title,
        **score.view(),
        "hedged": score.hedged,
        "attainment": score.attainment,
        "margin_calls": p.margin_calls,
        "defaulted": p.defaulted,
    }


def player_view(
    game: Game, player: Player, score: Score, now_mono: int, now_wall: int
) -> dict[str, object]:
    """Return ``private/game/get_state`` but its ``clock``, ``leaderboard`` and ``index``."""
    return {
        "code": game.code,
        "title": game.title,
        "state": game.state,
        "round": game.round,
        "rounds_total": game.rounds_total,
        "round_ends_in_ms": game.round_ends_in_ms(now_mono),
        "player_id": player.player_id,
        "name": player.name,
        "account_id": player.account,
        "role": role_view(game, player.role),
        "objective": objective_view(game, player, score),
        "score": score.view(),
        "tenders": [
            tender_view(t, now_wall)
            for t in game.tenders.values()
            if t.player_id == player.player_id
        ],
        "news": [news_view(n) for n in game.news],
        "limits": limits_view(game),
    }


def player_update(game: Game, player: Player, score: Score) -> dict[str, object]:
    """Return the ``{type: "player", ...}`` notification of ``user.game``."""
    return {
        "type": "player",
        "code": game.code,
        "player_id": player.player_id,
        "state": game.state,
        "role": role_view(game, player.role),
        "objective": objective_view(game, player, score),
        "score": score.view(),
        "limits": limits_view(game),
        "margin_calls": player.margin_calls,
        "defaulted": score.defaulted,
    }
