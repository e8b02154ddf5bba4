"""CSV exports of a classroom game: ``GET /game/{code}/export/{orders|trades|results}.csv``.

For administrators only: ``Authorization: Bearer <access_token>`` of an administrator key
(401 without a valid token, 403 for another role). UTF-8, a header row, one row per
order, trade or player (columns in docs/game-protocol.md). Errors answer the JSON-RPC
error body of ``docs/protocol.md`` (404 for an unknown game or export).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.auth import Role
from gateway.errors import AUTHORIZATION_REQUIRED, FORBIDDEN, RpcError
from gateway.game import debrief as db
from gateway.game.attach import game_of
from gateway.game.errors import bad
from gateway.routes.deps import GatewayDep
from gateway.wire import error_frame, now_us

router = APIRouter(tags=["classroom game"])
EXPORTS = ("orders", "trades", "results")


@router.get("/game/{code}/export/{name}")
async def export_csv(code: str, name: str, request: Request, gw: GatewayDep) -> Response:
    """Return one CSV export of game ``code`` (``orders.csv``, ``trades.csv``, ``results.csv``)."""
    us_in = now_us()
    try:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise RpcError(AUTHORIZATION_REQUIRED, "send Authorization: Bearer <access_token>")
        principal = gw.auth.principal(token.strip(), gw.wall())
        if principal.role not in (Role.ADMIN, Role.INSTRUCTOR):
            raise RpcError(FORBIDDEN, "game exports are for instructors and administrators")
        games = game_of(gw)
        if games is None:
            raise bad("the classroom game is not running on this gateway")
        kind = name.removesuffix(".csv")
        if not name.endswith(".csv") or kind not in EXPORTS:
            return _error(
                bad(f"no export {name!r} (orders.csv, trades.csv, results.csv)"),
                404,
                us_in,
                gw.settings.testnet,
            )
        try:
            game = games.get(code)
        except RpcError as exc:
            return _error(exc, 404, us_in, gw.settings.testnet)
        if kind == "orders":
            text = db.orders_csv(gw, games.recorder, game)
        elif kind == "trades":
            text = db.trades_csv(gw, games.recorder, game)
        else:
            text = db.results_csv(game, games.scores(game))
    except RpcError as exc:
        status = 403 if exc.code == FORBIDDEN.code else 401 if exc.code in (10000, 13009) else 400
        return _error(exc, status, us_in, gw.settings.testnet)
    filename = f"{game.code}-{kind}.csv"
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _error(err: RpcError, status: int, us_in: int, testnet: bool) -> Response:
    return Response(
        error_frame(None, err, us_in, testnet), status_code=status, media_type="application/json"
    )
