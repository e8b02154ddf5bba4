"""The game's check of a player's order before it reaches the engine.

Asked by the trading methods through ``Games.gate`` for every ``private/buy``,
``private/sell`` and ``private/edit`` of a player's account: outside an open round the
order is refused with 13028 (``Game.refusal``), beyond the game's limits with 10021 or
10018 (docs/game-protocol.md, "Limits"). Amounts are contracts.
"""

from __future__ import annotations

from exchange import codes as c
from gateway.errors import RpcError
from gateway.game.errors import INVALID_AMOUNT, POSITION_LIMIT
from gateway.game.model import Game
from gateway.orders import Order, OrderStore


def order_refusal(
    game: Game,
    orders: OrderStore,
    account: int,
    instrument_name: str,
    side: int,
    amount: int,
    replacing: Order | None = None,
) -> RpcError | None:
    """Return why a player's order may not go to the engine now, or None.

    ``amount`` is the order's total in contracts (for an edit, the new total of the order
    ``replacing``, whose own open amount is then not counted twice). The position check
    is worst case: the current position plus every open order of the same side plus this
    one. O(open orders of the account in the instrument).
    """
    refusal = game.refusal()
    if refusal is not None:
        return refusal
    if game.max_order_amount is not None and amount > game.max_order_amount:
        return RpcError(
            INVALID_AMOUNT,
            f"the game allows at most {game.max_order_amount} contracts per order",
            "amount",
        )
    if game.max_position is None:
        return None
    resting = sum(
        o.amount - o.filled
        for o in orders.live(account, instrument_name)
        if o.side == side and o is not replacing
    )
    adding = amount - (replacing.filled if replacing is not None else 0)
    sign = 1 if side == c.SIDE_BUY else -1
    worst = orders.position(account, instrument_name) + sign * (resting + adding)
    if abs(worst) <= game.max_position:
        return None
    return RpcError(
        POSITION_LIMIT,
        f"the game's position limit is {game.max_position} contracts: with your open "
        f"orders this order could take your {instrument_name} position to {worst}",
        "amount",
    )
