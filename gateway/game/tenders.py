"""Booking an accepted tender through the exchange, against the game's tender desk.

A tender is a block the instructor offers one player at a fixed price. It is booked as
an ordinary trade so it shows in fills, positions and margin: the desk rests a post-only
limit order and the player's fill-or-kill order crosses it, then the desk's remainder
(if any) is cancelled: three commands queued back to back, so no other command runs
between them.

For the desk to be the only counterparty the trade must print at a price strictly inside
the spread of everyone else's orders (better than every other order on the desk's
side, not crossing the player's side). A tender priced there books at its price. One
priced through the market (the usual premium tender: a buyer paying above the best
offer) books at the nearest such price instead, and the difference
``(tender − booked) × amount × contract hours`` is paid in cash between desk and player
through the clearing house, so the player's P&L is exactly that of a trade at the
tender price. When the spread is a single tick there is no such price and acceptance is
refused (try again a moment later). Prices are price units unless named ``*_usd``/wire.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clearing.errors import ClearingError
from exchange import codes as c
from gateway.commands import MassCancel, PlaceOrder
from gateway.errors import RpcError
from gateway.game.errors import bad
from gateway.game.model import Game, Player
from gateway.instruments import Listing

if TYPE_CHECKING:
    from gateway.core import Gateway

log = logging.getLogger("flopex.gateway")
DESK_DEPOSIT_MICROS = 100_000_000 * 1_000_000
"""Cash of a game's tender desk account, µ$ ($100M: it never lacks margin)."""
MAX_AMOUNT = 100_000
"""Largest tender, contracts (when the instrument sets no maximum order size)."""
MIN_EXPIRY_S, MAX_EXPIRY_S = 5, 3_600


@dataclass(frozen=True, slots=True)
class Booking:
    """A booked tender: contracts traded with the desk, the printed price (units) and the
    cash the desk paid the player (µ$; negative: the player paid the desk)."""

    amount: int
    price: int
    premium_micros: int


def offer_targets(game: Game, role: str | None, player_id: int | None) -> list[Player]:
    """Return who a tender goes to: every player of ``role``, or player ``player_id``
    (exactly one of them); 11029 otherwise."""
    if (role is None) == (player_id is None):
        raise bad("give exactly one of role and player_id", "role")
    if role is None:
        assert player_id is not None
        return [game.player(player_id)]
    game.role(role)
    targets = [p for p in game.players.values() if p.role == role]
    if not targets:
        raise bad(f"no player of game {game.code} has role {role!r}", "role")
    return targets


def check_offer(
    gw: Gateway, instrument_name: str, side: str, amount: float, price: float, expires_in_s: float
) -> tuple[Listing, int]:
    """Check a tender's terms; return the listing and the amount in contracts.

    ``side`` is the player's (``buy``/``sell``), ``amount`` whole contracts up to the
    instrument's maximum order size, ``price`` $/GPU-hour on the tick, ``expires_in_s``
    from 5 to 3,600. Raises 10020, 10023/10043 or 11029.
    """
    listing = gw.instruments.get(instrument_name)
    if side not in ("buy", "sell"):
        raise bad("side must be buy or sell (the player's side)", "side")
    limit = listing.max_qty or MAX_AMOUNT
    if (
        isinstance(amount, bool)
        or not math.isfinite(amount)
        or amount != int(amount)
        or not 1 <= amount <= limit
    ):
        raise bad(f"amount must be a whole number of contracts from 1 to {limit}", "amount")
    listing.price_units(price)
    if not math.isfinite(expires_in_s) or not MIN_EXPIRY_S <= expires_in_s <= MAX_EXPIRY_S:
        raise bad(
            f"expires_in_s must be from {MIN_EXPIRY_S} to {MAX_EXPIRY_S} seconds", "expires_in_s"
        )
    return listing, int(amount)


def exclusive_price(gw: Gateway, listing: Listing, wanted: int) -> int:
    """Return the price nearest ``wanted`` at which a new order would be alone at the top
    of either side (strictly inside everyone's spread, within the band); 11029 if none."""
    book = gw.market.book(listing.name)
    bid, _ = book.best(c.SIDE_BUY)
    ask, _ = book.best(c.SIDE_SELL)
    tick = listing.tick
    lo = max(listing.min_price, bid + tick if bid else 1)
    hi = min(listing.max_price, ask - tick if ask else listing.spec.max_price_units)
    lo = -(-lo // tick) * tick
    hi = hi // tick * tick
    if lo > hi:
        raise bad(
            f"the {listing.name} book has no room for the tender right now (best bid "
            f"{listing.to_wire(bid)}, best ask {listing.to_wire(ask)}); try again in a moment",
            "tender_id",
        )
    return min(max(wanted, lo), hi)


def premium_micros(listing: Listing, player_side: int, tender: int, booked: int, qty: int) -> int:
    """Return what the desk owes the player for booking ``qty`` at ``booked`` instead of
    ``tender`` (price units), µ$: positive when the booked price is worse for the player."""
    sign = 1 if player_side == c.SIDE_BUY else -1
    per_unit = listing.spec.price_unit_micros * listing.spec.contract_hours
    return sign * (booked - tender) * qty * per_unit


async def book(
    gw: Gateway,
    desk: int,
    player: int,
    listing: Listing,
    side: int,
    qty: int,
    price: int,
    label: str,
) -> Booking:
    """Trade ``qty`` contracts between ``player`` (on ``side``) and ``desk`` at ``price``
    (price units), as described in the module; return the booking.

    Raises the exchange's or the clearing house's refusal (nothing traded) or 11029.
    """
    cleared = gw.clearing
    if cleared is None:
        raise bad("tenders need clearing mode")
    booked = exclusive_price(gw, listing, price)
    owed = premium_micros(listing, side, price, booked, qty)
    if owed < 0 and cleared.house.summary(player).free < -owed:
        raise bad("not enough free collateral to pay the tender's price difference", "accept")
    name = listing.name
    resting = PlaceOrder(
        account=desk, instrument_name=name, side=1 - side, type=c.TYPE_LIMIT, tif=c.TIF_GTC,
        flags=c.FLAG_POST_ONLY | c.FLAG_REJECT_POST_ONLY, qty=qty, price=booked, label=label,
    )  # fmt: skip
    crossing = PlaceOrder(
        account=player, instrument_name=name, side=side, type=c.TYPE_LIMIT, tif=c.TIF_FOK,
        flags=0, qty=qty, price=booked, label=label,
    )  # fmt: skip
    pipeline = gw.pipeline
    f_rest = pipeline.submit(resting)
    try:
        f_cross = pipeline.submit(crossing)
    finally:
        f_clean = pipeline.submit(MassCancel(account=desk, instrument_name=listing.name))
    rest, cross, _ = await asyncio.gather(f_rest, f_cross, f_clean, return_exceptions=True)
    if isinstance(rest, BaseException):
        raise bad(f"the market moved while booking the tender; try again ({rest})", "accept")
    if isinstance(cross, BaseException):
        if isinstance(cross, RpcError):
            raise cross
        raise bad(f"the tender could not be booked ({cross})", "accept")
    desk_order = rest.order
    traded = desk_order.filled if desk_order is not None else 0
    if traded == 0:
        raise bad("the tender could not be booked: the book changed; try again", "accept")
    owed = premium_micros(listing, side, price, booked, traded)
    payer, payee = (desk, player) if owed > 0 else (player, desk)
    if owed and not _move_cash(gw, payer, payee, abs(owed)):
        owed = 0
    return Booking(traded, booked, owed)


def _move_cash(gw: Gateway, payer: int, payee: int, amount: int) -> bool:
    """Pay ``amount`` µ$ from ``payer`` to ``payee`` through the clearing house; return
    False (nothing moved, logged) when the house refuses the withdrawal."""
    cleared = gw.clearing
    assert cleared is not None
    withdraw = getattr(cleared, "withdraw", cleared.house.withdraw)
    deposit = getattr(cleared, "deposit", cleared.house.deposit)
    try:
        withdraw(payer, amount)
    except ClearingError as exc:
        log.warning("tender premium of %d µ$ from account %d refused: %s", amount, payer, exc)
        return False
    deposit(payee, amount)
    return True
