"""Validation steps of the reference engine: MR-3 (new order), MR-9 (replace), MR-11 (set).

Each check returns a reject code (0 = passed) and never changes state, except
``set_value`` which applies a valid parameter. Prices in price units, quantities in
contracts, times in ns.
"""

from __future__ import annotations

from exchange import codes as c
from exchange import reference_rules as rules
from exchange.reference_book import Book, Order

PRICED_TYPES = (c.TYPE_LIMIT, c.TYPE_STOP_LIMIT)
STOP_TYPES = (c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET)


def check_new(f: list[int], bk: Book | None, n_accounts: int, max_price: int) -> int:
    """Return the reject code of MR-3 steps 1-8 for new-order row ``f`` on listed ``bk``."""
    if bk is None:
        return c.REJ_UNKNOWN_INSTRUMENT
    if bk.status == c.STATUS_EXPIRED:
        return c.REJ_INSTRUMENT_EXPIRED
    if bk.status == c.STATUS_HALTED:
        return c.REJ_INSTRUMENT_HALTED
    if not 0 <= f[c.C_ACCOUNT] < n_accounts:
        return c.REJ_INVALID_ACCOUNT
    side, typ, tif, flags = f[c.C_SIDE], f[c.C_TYPE], f[c.C_TIF], f[c.C_FLAGS]
    if side not in (c.SIDE_BUY, c.SIDE_SELL) or not 0 <= typ <= 3 or not 0 <= tif <= 3:
        return c.REJ_INVALID_ORDER
    if flags & ~c.FLAG_ALL:  # also catches every negative value
        return c.REJ_INVALID_ORDER
    if flags & c.FLAG_POST_ONLY and (typ != c.TYPE_LIMIT or tif in (c.TIF_IOC, c.TIF_FOK)):
        return c.REJ_INVALID_ORDER
    qty = f[c.C_QTY]
    if qty <= 0 or 0 < bk.max_qty < qty:
        return c.REJ_INVALID_QUANTITY
    if typ in PRICED_TYPES:
        code = rules.price_reject(f[c.C_PRICE], bk.tick, bk.band, bk.ref, max_price)
        if code:
            return code
    if tif == c.TIF_GTD and f[c.C_EXPIRE] <= f[c.C_TS]:
        return c.REJ_INVALID_EXPIRY
    if typ in STOP_TYPES:
        return rules.trigger_reject(side, f[c.C_TRIGGER], bk.tick, bk.last, max_price)
    return 0


def post_only(bk: Book, side: int, price: int, flags: int, max_price: int) -> tuple[int, int]:
    """Return (reject code, price) after MR-3 step 11 for a post-only order at ``price``."""
    best_opp = bk.best(1 - side)
    if not flags & c.FLAG_POST_ONLY or not rules.would_cross(side, price, best_opp):
        return 0, price
    moved = rules.post_only_price(side, best_opp, bk.tick)
    if flags & c.FLAG_REJECT_POST_ONLY or rules.price_reject(
        moved, bk.tick, bk.band, bk.ref, max_price
    ):
        return c.REJ_POST_ONLY_WOULD_CROSS, price
    return 0, moved


def check_replace(o: Order, bk: Book, f: list[int], max_price: int) -> tuple[int, int, int]:
    """Return (reject code, new price, new trigger) of the MR-9 checks after ownership."""
    if bk.status == c.STATUS_HALTED:
        return c.REJ_INSTRUMENT_HALTED, 0, 0
    qty = f[c.C_QTY]
    if qty <= 0 or 0 < bk.max_qty < qty:
        return c.REJ_INVALID_QUANTITY, 0, 0
    price = 0
    if o.type != c.TYPE_STOP_MARKET:
        price = f[c.C_PRICE]
        code = rules.price_reject(price, bk.tick, bk.band, bk.ref, max_price)
        if code:
            return code, 0, 0
    trigger = o.trigger
    if o.oid in bk.stops and f[c.C_TRIGGER] != 0:
        trigger = f[c.C_TRIGGER]
        code = rules.trigger_reject(o.side, trigger, bk.tick, bk.last, max_price)
        if code:
            return code, 0, 0
    code, price = post_only(bk, o.side, price, o.flags, max_price)
    return code, price, trigger


def set_value(bk: Book, param: int, value: int, max_price: int) -> int:
    """Set non-status parameter ``param`` of listed ``bk``; return REJ_INVALID_PARAM if out of range."""
    if param == c.PARAM_TICK and 1 <= value <= max_price:
        bk.tick = value
    elif param == c.PARAM_MAX_QTY and value >= 0:
        bk.max_qty = value
    elif param == c.PARAM_PROTECTION and value >= 0:
        bk.protection = value
    elif param == c.PARAM_BAND and value >= 0:
        bk.band = value
    elif param == c.PARAM_REF_PRICE and 0 <= value <= max_price:
        bk.ref = value
    else:
        return c.REJ_INVALID_PARAM
    return 0
