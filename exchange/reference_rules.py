"""Pure rule helpers of the reference engine (``docs/matching-rules.md``).

Every function here is stateless integer arithmetic on Python ints. Each one is written
so that the same expression evaluated in ``int64`` (the numba kernel) cannot overflow
and therefore gives the same result: sums that could leave ``int64`` are clamped first
(see ``market_limit``) and negations of unbounded inputs are avoided
(see ``reduce_only_qty``). Prices are in price units, quantities in contracts.
"""

from __future__ import annotations

from exchange import codes as c

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def wrap_i64(x: int) -> int:
    """Return ``x`` wrapped to a two's-complement int64, as numba arithmetic does."""
    return ((x - INT64_MIN) % (1 << 64)) + INT64_MIN


def in_grid(price: int, max_price: int) -> bool:
    """Return whether ``price`` lies in ``1 … max_price`` price units."""
    return 1 <= price <= max_price


def price_reject(price: int, tick: int, band: int, ref: int, max_price: int) -> int:
    """Return the MR-3 step 6 reject code for a limit ``price``, or 0 if it is valid."""
    if not in_grid(price, max_price):
        return c.REJ_INVALID_PRICE
    if price % tick != 0:
        return c.REJ_WRONG_TICK
    # price and ref both lie in 0 … max_price here, so the difference cannot overflow.
    if band > 0 and ref > 0 and abs(price - ref) > band:
        return c.REJ_OUTSIDE_BAND
    return 0


def stop_holds(side: int, trigger: int, last: int) -> bool:
    """Return whether a stop on ``side`` triggers at last trade price ``last`` (MR-8)."""
    if last <= 0:
        return False
    return last >= trigger if side == c.SIDE_BUY else last <= trigger


def trigger_reject(side: int, trigger: int, tick: int, last: int, max_price: int) -> int:
    """Return ``REJ_INVALID_TRIGGER`` if a stop ``trigger`` fails MR-3 step 8, else 0."""
    if not in_grid(trigger, max_price) or trigger % tick != 0 or stop_holds(side, trigger, last):
        return c.REJ_INVALID_TRIGGER
    return 0


def reduce_only_qty(side: int, qty: int, position: int) -> int:
    """Return the MR-3 step 9 quantity cut (contracts), or 0 when the order must be rejected.

    ``-position`` is never formed for positions below ``-qty``, so an int64 position of
    ``INT64_MIN`` cannot overflow (``qty`` is known to be positive).
    """
    if side == c.SIDE_BUY:
        if position >= 0:
            return 0
        return qty if position <= -qty else -position
    if position <= 0:
        return 0
    return min(qty, position)


def crosses(side: int, level_price: int, limit: int) -> bool:
    """Return whether an aggressor on ``side`` with ``limit`` may trade at ``level_price``."""
    return level_price <= limit if side == c.SIDE_BUY else level_price >= limit


def market_limit(
    side: int,
    best_opposite: int,
    protection: int,
    band: int,
    ref: int,
    tick: int,
    max_price: int,
) -> tuple[int, int, bool]:
    """Return ``(limit, order price, may rest)`` of a market order (MR-4), in price units.

    ``protection`` and ``band`` are clamped to ``max_price`` before any addition; the
    result is unchanged (both are then clamped to the grid) but ``int64`` cannot
    overflow. When rounding to the tick leaves the grid (buy: below the first tick
    multiple, sell: above the last one) the limit crosses nothing and may not rest.
    """
    band_on = band > 0 and ref > 0
    b = min(band, max_price)
    if protection <= 0:
        if side == c.SIDE_BUY:
            limit = min(ref + b, max_price) if band_on else max_price
        else:
            limit = max(ref - b, 1) if band_on else 1
        return limit, 0, False
    p = min(protection, max_price)
    x = best_opposite + p if side == c.SIDE_BUY else best_opposite - p
    x = min(max(x, 1), max_price)
    if band_on:
        x = min(max(x, ref - b), ref + b)
    x = (x // tick) * tick if side == c.SIDE_BUY else -((-x) // tick) * tick
    return x, x, in_grid(x, max_price)


def post_only_price(side: int, best_opposite: int, tick: int) -> int:
    """Return the MR-3 step 11 repriced post-only price: one tick inside the spread."""
    return best_opposite - tick if side == c.SIDE_BUY else best_opposite + tick


def would_cross(side: int, price: int, best_opposite: int) -> bool:
    """Return whether a passive ``price`` on ``side`` crosses ``best_opposite`` (0 = none)."""
    if best_opposite <= 0:
        return False
    return price >= best_opposite if side == c.SIDE_BUY else price <= best_opposite
