"""Build command rows for the matching engine (see ``docs/matching-rules.md``).

Each function returns one ``int64`` row of ``CMD_WIDTH`` fields; ``stack`` turns a list
of rows into a batch. Prices in price units, quantities in contracts, times in ns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from exchange import codes as c

Row = npt.NDArray[np.int64]


def row(op: int, ts: int = 0, instr: int = 0, account: int = 0) -> Row:
    """Return a zeroed command row with its op, time (ns), instrument and account set."""
    r = np.zeros(c.CMD_WIDTH, dtype=np.int64)
    r[c.C_OP] = op
    r[c.C_TS] = ts
    r[c.C_INSTR] = instr
    r[c.C_ACCOUNT] = account
    return r


def new_order(
    instr: int,
    account: int,
    side: int,
    qty: int,
    price: int = 0,
    *,
    type: int = c.TYPE_LIMIT,
    tif: int = c.TIF_GTC,
    flags: int = 0,
    trigger: int = 0,
    expire: int = 0,
    position: int = 0,
    ts: int = 0,
) -> Row:
    """Return an OP_NEW row: ``qty`` contracts at ``price`` price units."""
    r = row(c.OP_NEW, ts, instr, account)
    r[c.C_SIDE] = side
    r[c.C_TYPE] = type
    r[c.C_TIF] = tif
    r[c.C_FLAGS] = flags
    r[c.C_PRICE] = price
    r[c.C_QTY] = qty
    r[c.C_TRIGGER] = trigger
    r[c.C_EXPIRE] = expire
    r[c.C_POSITION] = position
    return r


def limit(instr: int, account: int, side: int, qty: int, price: int, **kw: int) -> Row:
    """Return a limit order row (GTC unless ``tif`` says otherwise)."""
    return new_order(instr, account, side, qty, price, **kw)


def market(instr: int, account: int, side: int, qty: int, **kw: int) -> Row:
    """Return a market order row (IOC unless ``tif`` says otherwise)."""
    kw.setdefault("tif", c.TIF_IOC)
    return new_order(instr, account, side, qty, 0, type=c.TYPE_MARKET, **kw)


def cancel(oid: int, account: int = -1, *, ts: int = 0) -> Row:
    """Return an OP_CANCEL row for order ``oid`` (``account`` -1 = administrator)."""
    r = row(c.OP_CANCEL, ts, 0, account)
    r[c.C_OID] = oid
    return r


def replace(
    oid: int, price: int, qty: int, account: int = -1, *, trigger: int = 0, ts: int = 0
) -> Row:
    """Return an OP_REPLACE row: new ``price`` and new open ``qty`` for order ``oid``."""
    r = row(c.OP_REPLACE, ts, 0, account)
    r[c.C_OID] = oid
    r[c.C_PRICE] = price
    r[c.C_QTY] = qty
    r[c.C_TRIGGER] = trigger
    return r


def mass_cancel(account: int = -1, instr: int = -1, side: int = -1, *, ts: int = 0) -> Row:
    """Return an OP_MASS_CANCEL row; -1 in any filter means "all"."""
    r = row(c.OP_MASS_CANCEL, ts, instr, account)
    r[c.C_SIDE] = side
    return r


def expire(ts: int) -> Row:
    """Return an OP_EXPIRE row expiring GTD orders whose expiry is <= ``ts`` ns."""
    return row(c.OP_EXPIRE, ts, 0, 0)


def set_param(instr: int, param: int, value: int, *, ts: int = 0) -> Row:
    """Return an OP_SET row setting instrument parameter ``param`` to ``value``."""
    r = row(c.OP_SET, ts, instr, 0)
    r[c.C_TYPE] = param
    r[c.C_PRICE] = value
    return r


def list_instrument(instr: int, *, ts: int = 0) -> Row:
    """Return the OP_SET row that lists slot ``instr`` (status OPEN)."""
    return set_param(instr, c.PARAM_STATUS, c.STATUS_OPEN, ts=ts)


def stack(rows: Sequence[Row]) -> npt.NDArray[np.int64]:
    """Return rows as one C-contiguous (n, CMD_WIDTH) int64 batch."""
    if not rows:
        return np.zeros((0, c.CMD_WIDTH), dtype=np.int64)
    return np.ascontiguousarray(np.vstack(rows), dtype=np.int64)
