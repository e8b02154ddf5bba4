"""Kernel command handlers and the two entry points (one command, a batch).

Validation follows ``docs/matching-rules.md`` MR-3, MR-9, MR-10 and MR-11 in the order
written there. Entry points return -1 without consuming the command when the pool or
id map must grow first (the owning ``Engine`` grows the arena and calls again).
"""

from __future__ import annotations

from exchange.codes import (
    C_ACCOUNT,
    C_EXPIRE,
    C_FLAGS,
    C_INSTR,
    C_OID,
    C_OP,
    C_POSITION,
    C_PRICE,
    C_QTY,
    C_SIDE,
    C_TIF,
    C_TRIGGER,
    C_TS,
    C_TYPE,
    CXL_EXPIRED,
    CXL_MASS,
    CXL_USER,
    EV_ACCEPTED,
    EV_CANCELED,
    EV_EXPIRED,
    EV_REJECTED,
    EV_REPLACED,
    EV_STATUS,
    FLAG_ALL,
    FLAG_POST_ONLY,
    FLAG_REDUCE_ONLY,
    FLAG_REJECT_POST_ONLY,
    OP_CANCEL,
    OP_EXPIRE,
    OP_MASS_CANCEL,
    OP_NEW,
    OP_REPLACE,
    OP_SET,
    PARAM_BAND,
    PARAM_MAX_QTY,
    PARAM_PROTECTION,
    PARAM_REF_PRICE,
    PARAM_STATUS,
    PARAM_TICK,
    REJ_FOK_CANNOT_FILL,
    REJ_INSTRUMENT_EXPIRED,
    REJ_INSTRUMENT_HALTED,
    REJ_INVALID_ACCOUNT,
    REJ_INVALID_EXPIRY,
    REJ_INVALID_ORDER,
    REJ_INVALID_PARAM,
    REJ_INVALID_PRICE,
    REJ_INVALID_QUANTITY,
    REJ_INVALID_TRIGGER,
    REJ_NO_LIQUIDITY,
    REJ_NOT_OWNER,
    REJ_OUTSIDE_BAND,
    REJ_POST_ONLY_WOULD_CROSS,
    REJ_REDUCE_ONLY,
    REJ_UNKNOWN_INSTRUMENT,
    REJ_UNKNOWN_ORDER,
    REJ_WRONG_TICK,
    SIDE_BUY,
    SIDE_SELL,
    STATUS_EXPIRED,
    STATUS_HALTED,
    STATUS_OPEN,
    STATUS_UNLISTED,
    TIF_FOK,
    TIF_GTD,
    TIF_IOC,
    TYPE_LIMIT,
    TYPE_MARKET,
    TYPE_STOP_LIMIT,
    TYPE_STOP_MARKET,
)
from exchange.jit import kernel, kernel_inline
from exchange.kernel_book import (
    acct_append,
    alloc,
    emit,
    emit_level,
    emit_order,
    find,
    iidx,
    level_unlink,
    lidx,
    map_free_for,
    pidx,
)
from exchange.kernel_match import (
    available,
    band_edges,
    execute,
    market_limit,
    remove,
    run_stops,
    stop_append,
)
from exchange.layout import (
    AF,
    H_EV_CAP,
    H_EV_N,
    H_FREE_HEAD,
    H_MAX_PRICE,
    H_N_ACCOUNTS,
    H_N_GTD,
    H_N_INSTR,
    H_N_LIVE,
    H_NEXT_OID,
    H_OFF_ACCT,
    H_SEQ,
    H_TS,
    I_BAND,
    I_BEST_ASK,
    I_BEST_BID,
    I_LAST,
    I_MAX_QTY,
    I_PROTECTION,
    I_REF,
    I_STATUS,
    I_TICK,
    IF,
    L_QTY,
    P_ACCOUNT,
    P_ANEXT,
    P_EXPIRE,
    P_FLAGS,
    P_INSTR,
    P_PRICE,
    P_QTY,
    P_SIDE,
    P_STATE,
    P_TIF,
    P_TRIGGER,
    P_TYPE,
    S_STOP,
)


@kernel
def reject(a, cmds, i, code):
    """Emit EV_REJECTED for command row ``i`` with reason ``code`` (MR-12)."""
    op = cmds[i, C_OP]
    oid = cmds[i, C_OID] if op == OP_CANCEL or op == OP_REPLACE else 0
    emit(a, EV_REJECTED, cmds[i, C_INSTR], oid, cmds[i, C_ACCOUNT], cmds[i, C_SIDE],
         cmds[i, C_PRICE], cmds[i, C_QTY], 0, 0, 0, 0, code)  # fmt: skip


@kernel
def price_check(a, instr, price):
    """Return 0 if ``price`` passes grid, tick and band checks (MR-3 step 6), else a reject code."""
    if price < 1 or price > a[H_MAX_PRICE]:
        return REJ_INVALID_PRICE
    tick = a[iidx(a, instr) + I_TICK]
    if tick != 1 and price % tick != 0:  # skip the division in the common case
        return REJ_WRONG_TICK
    lo, hi = band_edges(a, instr)
    if price < lo or price > hi:
        return REJ_OUTSIDE_BAND
    return 0


@kernel
def trigger_ok(a, instr, side, trig):
    """Return True if stop trigger ``trig`` is valid now (MR-3 step 8)."""
    ib = iidx(a, instr)
    if trig < 1 or trig > a[H_MAX_PRICE] or trig % a[ib + I_TICK] != 0:
        return False
    last = a[ib + I_LAST]
    if last > 0:
        if side == SIDE_BUY and trig <= last:
            return False
        if side == SIDE_SELL and trig >= last:
            return False
    return True


@kernel
def post_only_price(a, instr, side, price, flags):
    """Return (price, repriced, reject code) for a post-only order (MR-3 step 11)."""
    ib = iidx(a, instr)
    tick = a[ib + I_TICK]
    if side == SIDE_BUY:
        best = a[ib + I_BEST_ASK]
        if best == 0 or price < best:
            return price, 0, 0
        if flags & FLAG_REJECT_POST_ONLY:
            return price, 0, REJ_POST_ONLY_WOULD_CROSS
        newp = best - tick
    else:
        best = a[ib + I_BEST_BID]
        if best == 0 or price > best:
            return price, 0, 0
        if flags & FLAG_REJECT_POST_ONLY:
            return price, 0, REJ_POST_ONLY_WOULD_CROSS
        newp = best + tick
    if price_check(a, instr, newp) != 0:
        return price, 0, REJ_POST_ONLY_WOULD_CROSS
    return newp, 1, 0


@kernel
def instrument_state_code(a, instr):
    """Return 0 if new orders may enter ``instr``, else the reject code (MR-3 steps 1-2)."""
    if instr < 0 or instr >= a[H_N_INSTR]:
        return REJ_UNKNOWN_INSTRUMENT
    st = a[iidx(a, instr) + I_STATUS]
    if st == STATUS_UNLISTED:
        return REJ_UNKNOWN_INSTRUMENT
    if st == STATUS_EXPIRED:
        return REJ_INSTRUMENT_EXPIRED
    if st == STATUS_HALTED:
        return REJ_INSTRUMENT_HALTED
    return 0


@kernel
def validate_new(a, cmds, i):
    """Return (reject code, qty, price, repriced) for a new order (MR-3 steps 1-11)."""
    instr = cmds[i, C_INSTR]
    side = cmds[i, C_SIDE]
    typ = cmds[i, C_TYPE]
    tif = cmds[i, C_TIF]
    flags = cmds[i, C_FLAGS]
    qty = cmds[i, C_QTY]
    price = cmds[i, C_PRICE]
    acct = cmds[i, C_ACCOUNT]
    code = instrument_state_code(a, instr)
    if code != 0:
        return code, qty, price, 0
    if acct < 0 or acct >= a[H_N_ACCOUNTS]:
        return REJ_INVALID_ACCOUNT, qty, price, 0
    if side != SIDE_BUY and side != SIDE_SELL:
        return REJ_INVALID_ORDER, qty, price, 0
    if typ < TYPE_LIMIT or typ > TYPE_STOP_MARKET or tif < 0 or tif > TIF_FOK:
        return REJ_INVALID_ORDER, qty, price, 0
    if flags & ~FLAG_ALL:
        return REJ_INVALID_ORDER, qty, price, 0
    post_only = flags & FLAG_POST_ONLY != 0
    if post_only and (typ != TYPE_LIMIT or tif == TIF_IOC or tif == TIF_FOK):
        return REJ_INVALID_ORDER, qty, price, 0
    ib = iidx(a, instr)
    maxq = a[ib + I_MAX_QTY]
    if qty <= 0 or (maxq > 0 and qty > maxq):
        return REJ_INVALID_QUANTITY, qty, price, 0
    if typ == TYPE_LIMIT or typ == TYPE_STOP_LIMIT:
        code = price_check(a, instr, price)
        if code != 0:
            return code, qty, price, 0
    if tif == TIF_GTD and cmds[i, C_EXPIRE] <= cmds[i, C_TS]:
        return REJ_INVALID_EXPIRY, qty, price, 0
    if typ == TYPE_STOP_LIMIT or typ == TYPE_STOP_MARKET:
        if not trigger_ok(a, instr, side, cmds[i, C_TRIGGER]):
            return REJ_INVALID_TRIGGER, qty, price, 0
    if flags & FLAG_REDUCE_ONLY:
        pos = cmds[i, C_POSITION]
        if side == SIDE_BUY:
            if pos >= 0:
                return REJ_REDUCE_ONLY, qty, price, 0
            if qty + pos > 0:
                qty = -pos
        else:
            if pos <= 0:
                return REJ_REDUCE_ONLY, qty, price, 0
            if qty > pos:
                qty = pos
    if typ == TYPE_MARKET:
        opp_best = a[ib + I_BEST_ASK] if side == SIDE_BUY else a[ib + I_BEST_BID]
        if opp_best == 0:
            return REJ_NO_LIQUIDITY, qty, price, 0
    repriced = 0
    if post_only:
        price, repriced, code = post_only_price(a, instr, side, price, flags)
        if code != 0:
            return code, qty, price, 0
    return 0, qty, price, repriced


@kernel
def new_order(a, cmds, i):
    """Validate, accept and execute (or store, for stops) a new order."""
    code, qty, price, repriced = validate_new(a, cmds, i)
    instr = cmds[i, C_INSTR]
    side = cmds[i, C_SIDE]
    typ = cmds[i, C_TYPE]
    tif = cmds[i, C_TIF]
    acct = cmds[i, C_ACCOUNT]
    limit = price
    shown = price
    if code == 0:
        if typ == TYPE_MARKET:
            limit, shown = market_limit(a, instr, side)
        elif typ == TYPE_STOP_MARKET:
            shown = 0
        if tif == TIF_FOK and typ != TYPE_STOP_LIMIT and typ != TYPE_STOP_MARKET:
            if available(a, instr, side, limit, acct, qty) < qty:
                code = REJ_FOK_CANNOT_FILL
    if code != 0:
        reject(a, cmds, i, code)
        return
    oid = a[H_NEXT_OID]
    a[H_NEXT_OID] = oid + 1
    s = alloc(a, oid)
    ps = pidx(a, s)
    a[ps + P_INSTR] = instr
    a[ps + P_SIDE] = side
    a[ps + P_PRICE] = shown
    a[ps + P_QTY] = qty
    a[ps + P_ACCOUNT] = acct
    a[ps + P_TYPE] = typ
    a[ps + P_TIF] = tif
    a[ps + P_FLAGS] = cmds[i, C_FLAGS]
    a[ps + P_TRIGGER] = cmds[i, C_TRIGGER] if typ >= TYPE_STOP_LIMIT else 0
    a[ps + P_EXPIRE] = cmds[i, C_EXPIRE] if tif == TIF_GTD else 0
    a[H_N_LIVE] += 1
    if tif == TIF_GTD:
        a[H_N_GTD] += 1
    acct_append(a, s)
    emit_order(a, EV_ACCEPTED, s, qty, qty, repriced)
    if typ == TYPE_STOP_LIMIT or typ == TYPE_STOP_MARKET:
        stop_append(a, s)
        return
    execute(a, s, limit)
    run_stops(a, instr)


@kernel
def owned_order(a, cmds, i):
    """Return (slot, reject code) for the order a cancel or replace names (MR-9, MR-10)."""
    acct = cmds[i, C_ACCOUNT]
    if acct < -1 or acct >= a[H_N_ACCOUNTS]:
        return 0, REJ_INVALID_ACCOUNT
    s = find(a, cmds[i, C_OID])
    if s == 0:
        return 0, REJ_UNKNOWN_ORDER
    if acct != -1 and a[pidx(a, s) + P_ACCOUNT] != acct:
        return 0, REJ_NOT_OWNER
    return s, 0


@kernel
def cancel(a, cmds, i):
    """Cancel one order (MR-10)."""
    s, code = owned_order(a, cmds, i)
    if code != 0:
        reject(a, cmds, i, code)
        return
    remove(a, s, EV_CANCELED, CXL_USER)


@kernel
def validate_replace(a, cmds, i, s):
    """Return (reject code, new price, new trigger) for a replace of slot ``s`` (MR-9)."""
    ps = pidx(a, s)
    instr = a[ps + P_INSTR]
    side = a[ps + P_SIDE]
    ib = iidx(a, instr)
    price = cmds[i, C_PRICE]
    qty = cmds[i, C_QTY]
    trig = cmds[i, C_TRIGGER]
    if a[ib + I_STATUS] == STATUS_HALTED:
        return REJ_INSTRUMENT_HALTED, price, trig
    maxq = a[ib + I_MAX_QTY]
    if qty <= 0 or (maxq > 0 and qty > maxq):
        return REJ_INVALID_QUANTITY, price, trig
    is_stop = a[ps + P_STATE] == S_STOP
    if is_stop and a[ps + P_TYPE] == TYPE_STOP_MARKET:
        price = 0
    else:
        code = price_check(a, instr, price)
        if code != 0:
            return code, price, trig
    if is_stop:
        if trig == 0:
            trig = a[ps + P_TRIGGER]
        elif not trigger_ok(a, instr, side, trig):
            return REJ_INVALID_TRIGGER, price, trig
    elif a[ps + P_FLAGS] & FLAG_POST_ONLY:
        price, _, code = post_only_price(a, instr, side, price, a[ps + P_FLAGS])
        if code != 0:
            return code, price, trig
    return 0, price, trig


@kernel
def replace(a, cmds, i):
    """Change an order's price and open quantity (MR-9)."""
    s, code = owned_order(a, cmds, i)
    if code == 0:
        code, price, trig = validate_replace(a, cmds, i, s)
    if code != 0:
        reject(a, cmds, i, code)
        return
    ps = pidx(a, s)
    qty = cmds[i, C_QTY]
    if a[ps + P_STATE] == S_STOP:
        a[ps + P_PRICE] = price
        a[ps + P_QTY] = qty
        a[ps + P_TRIGGER] = trig
        emit_order(a, EV_REPLACED, s, qty, qty, 0)
        return
    instr = a[ps + P_INSTR]
    side = a[ps + P_SIDE]
    old_price = a[ps + P_PRICE]
    old_qty = a[ps + P_QTY]
    if price == old_price and qty <= old_qty:
        a[ps + P_QTY] = qty
        a[lidx(a, instr, side, price) + L_QTY] -= old_qty - qty
        emit_order(a, EV_REPLACED, s, qty, qty, 0)
        if qty != old_qty:
            emit_level(a, instr, side, price)
        return
    level_unlink(a, s)
    a[ps + P_PRICE] = price
    a[ps + P_QTY] = qty
    emit_order(a, EV_REPLACED, s, qty, qty, 1)
    emit_level(a, instr, side, old_price)
    execute(a, s, price)
    run_stops(a, instr)


@kernel
def matches_filter(a, s, instr, side):
    """Return True if live slot ``s`` is in instrument ``instr`` and on ``side`` (-1 = any)."""
    ps = pidx(a, s)
    return (instr == -1 or a[ps + P_INSTR] == instr) and (side == -1 or a[ps + P_SIDE] == side)


@kernel
def remove_matching(a, acct, instr, side, kind, code):
    """Remove the live orders of one account (-1 = all) that match, in ascending id order."""
    first = 0 if acct == -1 else acct
    last = a[H_N_ACCOUNTS] - 1 if acct == -1 else acct
    for ac in range(first, last + 1):
        s = a[a[H_OFF_ACCT] + ac * AF]
        while s != 0:
            nxt = a[pidx(a, s) + P_ANEXT]
            if matches_filter(a, s, instr, side):
                remove(a, s, kind, code)
            s = nxt


@kernel
def mass_cancel(a, cmds, i):
    """Cancel every order matching account, instrument and side filters (MR-10)."""
    instr = cmds[i, C_INSTR]
    acct = cmds[i, C_ACCOUNT]
    side = cmds[i, C_SIDE]
    if instr != -1 and (
        instr < 0 or instr >= a[H_N_INSTR] or a[iidx(a, instr) + I_STATUS] == STATUS_UNLISTED
    ):
        reject(a, cmds, i, REJ_UNKNOWN_INSTRUMENT)
        return
    if acct < -1 or acct >= a[H_N_ACCOUNTS]:
        reject(a, cmds, i, REJ_INVALID_ACCOUNT)
        return
    if side < -1 or side > SIDE_SELL:
        reject(a, cmds, i, REJ_INVALID_ORDER)
        return
    remove_matching(a, acct, instr, side, EV_CANCELED, CXL_MASS)


@kernel
def expire(a, cmds, i):
    """Expire every GTD order whose expiry is <= the command time (MR-10)."""
    if a[H_N_GTD] == 0:
        return
    ts = cmds[i, C_TS]
    for ac in range(a[H_N_ACCOUNTS]):
        s = a[a[H_OFF_ACCT] + ac * AF]
        while s != 0:
            ps = pidx(a, s)
            nxt = a[ps + P_ANEXT]
            if a[ps + P_TIF] == TIF_GTD and a[ps + P_EXPIRE] <= ts:
                remove(a, s, EV_EXPIRED, 0)
            s = nxt


@kernel
def set_status(a, instr, new):
    """Apply a status transition (MR-11); return 0 or REJ_INVALID_PARAM."""
    ib = iidx(a, instr)
    cur = a[ib + I_STATUS]
    if cur == STATUS_UNLISTED and new == STATUS_OPEN:
        for f in range(IF):
            a[ib + f] = 0
        a[ib + I_TICK] = 1
    elif (cur == STATUS_OPEN and new == STATUS_HALTED) or (
        cur == STATUS_HALTED and new == STATUS_OPEN
    ):
        pass
    elif (cur == STATUS_OPEN or cur == STATUS_HALTED) and new == STATUS_EXPIRED:
        remove_matching(a, -1, instr, -1, EV_CANCELED, CXL_EXPIRED)
    elif cur == STATUS_EXPIRED and new == STATUS_UNLISTED:
        pass
    else:
        return REJ_INVALID_PARAM
    a[ib + I_STATUS] = new
    return 0


@kernel
def set_param(a, cmds, i):
    """Set one instrument parameter (MR-11)."""
    instr = cmds[i, C_INSTR]
    param = cmds[i, C_TYPE]
    value = cmds[i, C_PRICE]
    mx = a[H_MAX_PRICE]
    if instr < 0 or instr >= a[H_N_INSTR]:
        reject(a, cmds, i, REJ_UNKNOWN_INSTRUMENT)
        return
    if param < PARAM_STATUS or param > PARAM_REF_PRICE:
        reject(a, cmds, i, REJ_INVALID_PARAM)
        return
    ib = iidx(a, instr)
    if param != PARAM_STATUS and a[ib + I_STATUS] == STATUS_UNLISTED:
        reject(a, cmds, i, REJ_UNKNOWN_INSTRUMENT)
        return
    code = 0
    if param == PARAM_STATUS:
        code = set_status(a, instr, value)
    elif param == PARAM_TICK:
        if value < 1 or value > mx:
            code = REJ_INVALID_PARAM
        else:
            a[ib + I_TICK] = value
    elif param == PARAM_REF_PRICE:
        if value < 0 or value > mx:
            code = REJ_INVALID_PARAM
        else:
            a[ib + I_REF] = value
    elif value < 0:
        code = REJ_INVALID_PARAM
    elif param == PARAM_MAX_QTY:
        a[ib + I_MAX_QTY] = value
    elif param == PARAM_PROTECTION:
        a[ib + I_PROTECTION] = value
    elif param == PARAM_BAND:
        a[ib + I_BAND] = value
    if code != 0:
        reject(a, cmds, i, code)
        return
    emit(a, EV_STATUS, instr, 0, 0, param, value, 0, 0, 0, 0, 0, 0)


@kernel_inline
def process(a, cmds, i):
    """Process command row ``i``; return events written, or -1 if the arena must grow."""
    op = cmds[i, C_OP]
    if op == OP_NEW and (a[H_FREE_HEAD] == 0 or not map_free_for(a, a[H_NEXT_OID])):
        return -1
    n0 = a[H_EV_N]
    a[H_SEQ] += 1
    a[H_TS] = cmds[i, C_TS]
    if op == OP_NEW:
        new_order(a, cmds, i)
    elif op == OP_CANCEL:
        cancel(a, cmds, i)
    elif op == OP_REPLACE:
        replace(a, cmds, i)
    elif op == OP_MASS_CANCEL:
        mass_cancel(a, cmds, i)
    elif op == OP_EXPIRE:
        expire(a, cmds, i)
    elif op == OP_SET:
        set_param(a, cmds, i)
    else:
        reject(a, cmds, i, REJ_INVALID_ORDER)
    return a[H_EV_N] - n0


@kernel
def step(a, cmds, i):
    """Process one command with an empty event buffer; return its event count or -1."""
    a[H_EV_N] = 0
    if a[H_EV_CAP] < 6 * (a[H_N_LIVE] + 1) + 16:  # layout.events_needed
        return -1
    return process(a, cmds, i)


@kernel
def run_batch(a, cmds, start, stop):
    """Process rows ``start..stop-1`` while events surely fit; return the next row to do."""
    i = start
    while i < stop:
        if a[H_EV_CAP] - a[H_EV_N] < 6 * (a[H_N_LIVE] + 1) + 16:  # layout.events_needed
            break
        if process(a, cmds, i) < 0:
            break
        i += 1
    return i
