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
    alloc,
    emit,
    emit_level,
    emit_order,
    find,
    iidx,
    level_unlink,
    lidx,
    m_acct,
    m_flags,
    m_instr,
    m_side,
    m_state,
    m_tif,
    m_type,
    map_free_for,
    nn,
    pack_meta,
    pidx,
    sort_slots,
)
from exchange.kernel_match import (
    available,
    band_edges,
    execute,
    execute_call,
    market_limit,
    remove,
    run_stops,
    stop_append,
)
from exchange.layout import (
    H_EV_CAP,
    H_EV_N,
    H_FREE_HEAD,
    H_MAX_PRICE,
    H_N_ACCOUNTS,
    H_N_GTD,
    H_N_INSTR,
    H_N_LIVE,
    H_N_STOPS,
    H_NEXT_OID,
    H_OFF_SCRATCH,
    H_POOL_HWM,
    H_SEQ,
    H_TS,
    I_BAND,
    I_BEST_ASK,
    I_BEST_BID,
    I_LAST,
    I_MAX_QTY,
    I_N_ASK,
    I_N_BID,
    I_PROTECTION,
    I_REF,
    I_STATUS,
    I_TICK,
    IF,
    L_QTY,
    P_EXPIRE,
    P_META,
    P_PRICE,
    P_QTY,
    P_TRIGGER,
    S_ACTIVE,
    S_FREE,
    S_STOP,
)


@kernel
def reject(a, cmds, i, code):
    """Emit EV_REJECTED for command row ``i`` with reason ``code`` (MR-12)."""
    op = cmds[i, C_OP]
    oid = cmds[i, C_OID] if op == OP_CANCEL or op == OP_REPLACE else 0
    emit(a, EV_REJECTED, cmds[i, C_INSTR], oid, cmds[i, C_ACCOUNT], cmds[i, C_SIDE],
         cmds[i, C_PRICE], cmds[i, C_QTY], 0, 0, 0, 0, code)  # fmt: skip


@kernel_inline
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


@kernel_inline
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


@kernel_inline
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
    a[ps + P_META] = pack_meta(S_ACTIVE, side, typ, tif, cmds[i, C_FLAGS], instr, acct)
    a[ps + P_PRICE] = shown
    a[ps + P_QTY] = qty
    a[ps + P_TRIGGER] = cmds[i, C_TRIGGER] if typ >= TYPE_STOP_LIMIT else 0
    a[ps + P_EXPIRE] = cmds[i, C_EXPIRE] if tif == TIF_GTD else 0
    a[H_N_LIVE] += 1
    if tif == TIF_GTD:
        a[H_N_GTD] += 1
    emit_order(a, EV_ACCEPTED, s, qty, qty, repriced)
    if typ == TYPE_STOP_LIMIT or typ == TYPE_STOP_MARKET:
        stop_append(a, s)
        return
    execute(a, s, limit)
    run_stops(a, instr)


@kernel_inline
def owned_order(a, cmds, i):
    """Return (slot, reject code) for the order a cancel or replace names (MR-9, MR-10)."""
    acct = cmds[i, C_ACCOUNT]
    if acct < -1 or acct >= a[H_N_ACCOUNTS]:
        return 0, REJ_INVALID_ACCOUNT
    s = find(a, cmds[i, C_OID])
    if s == 0:
        return 0, REJ_UNKNOWN_ORDER
    if acct != -1 and m_acct(a[pidx(a, s) + P_META]) != acct:
        return 0, REJ_NOT_OWNER
    return s, 0


@kernel_inline
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
    meta = a[ps + P_META]
    instr = m_instr(meta)
    side = m_side(meta)
    ib = iidx(a, instr)
    price = cmds[i, C_PRICE]
    qty = cmds[i, C_QTY]
    trig = cmds[i, C_TRIGGER]
    if a[ib + I_STATUS] == STATUS_HALTED:
        return REJ_INSTRUMENT_HALTED, price, trig
    maxq = a[ib + I_MAX_QTY]
    if qty <= 0 or (maxq > 0 and qty > maxq):
        return REJ_INVALID_QUANTITY, price, trig
    is_stop = m_state(meta) == S_STOP
    if is_stop and m_type(meta) == TYPE_STOP_MARKET:
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
    elif m_flags(meta) & FLAG_POST_ONLY:
        price, _, code = post_only_price(a, instr, side, price, m_flags(meta))
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
    meta = a[ps + P_META]
    if m_state(meta) == S_STOP:
        a[ps + P_PRICE] = price
        a[ps + P_QTY] = qty
        a[ps + P_TRIGGER] = trig
        emit_order(a, EV_REPLACED, s, qty, qty, 0)
        return
    instr = m_instr(meta)
    side = m_side(meta)
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
    execute_call(a, s, price)
    run_stops(a, instr)


@kernel
def collect(a, acct, instr, side, gtd_only, gtd_until):
    """Gather the live orders that match into the scratch section, sorted; return how many.

    Filters: account, instrument and side (-1 = any); with ``gtd_only`` only GTD orders
    whose expiry is <= ``gtd_until`` (ns). Orders keep no per-account list, so this
    reads every pool row up to the high-water mark (O(pool high-water mark + k log k)
    for k matches): mass cancels, expiries and instrument expiries are rare, while the
    list links cost every order two cache misses on the hot path.
    """
    base = a[H_OFF_SCRATCH]
    n = 0
    for s in range(1, a[H_POOL_HWM] + 1):
        ps = pidx(a, s)
        meta = a[ps + P_META]
        if m_state(meta) == S_FREE:
            continue
        if acct != -1 and m_acct(meta) != acct:
            continue
        if instr != -1 and m_instr(meta) != instr:
            continue
        if side != -1 and m_side(meta) != side:
            continue
        if gtd_only and (m_tif(meta) != TIF_GTD or a[ps + P_EXPIRE] > gtd_until):
            continue
        a[base + n] = s
        n += 1
    sort_slots(a, base, n)
    return n


@kernel
def remove_collected(a, n, kind, code):
    """Remove the ``n`` orders ``collect`` gathered, in (account, order id) order."""
    base = a[H_OFF_SCRATCH]
    for j in range(n):
        remove(a, a[base + j], kind, code)


@kernel
def remove_matching(a, acct, instr, side, kind, code):
    """Remove the live orders of one account (-1 = all) that match, by (account, order id)."""
    remove_collected(a, collect(a, acct, instr, side, False, 0), kind, code)


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
    remove_collected(a, collect(a, -1, -1, -1, True, cmds[i, C_TS]), EV_EXPIRED, 0)


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
    """Process command row ``i`` (0 <= i < len(cmds)); return events written, or -1 if
    the arena must grow."""
    i = nn(i)  # not negative: lets LLVM drop numba's negative-index code for cmds[i, f]
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


@kernel_inline
def events_bound(a, cmds, i):
    """Return the most events command row ``i`` can emit (``layout.events_needed``).

    A cancel reaches no other order. A new order reaches only its own instrument: the
    opposite side's resting orders, and when there are untriggered stops (which trade
    either way once triggered) both sides and the stops. Other commands may reach every
    live order. Bounding by book keeps the event room (and its growth) to one book's
    size rather than the whole venue's.
    """
    op = cmds[i, C_OP]
    n = a[H_N_LIVE]
    if op == OP_CANCEL:
        n = 0
    elif op == OP_NEW:
        instr = cmds[i, C_INSTR]
        if 0 <= instr < a[H_N_INSTR]:
            ib = iidx(a, instr)
            stops = a[H_N_STOPS]
            if stops > 0:
                n = a[ib + I_N_BID] + a[ib + I_N_ASK] + stops
            elif cmds[i, C_SIDE] == SIDE_BUY:
                n = a[ib + I_N_ASK]
            else:
                n = a[ib + I_N_BID]  # (an invalid side is rejected)
        else:
            n = 0  # rejected
    return 6 * (n + 1) + 16  # layout.events_needed(n)


@kernel
def run_batch(a, cmds, start, stop):
    """Process rows ``start..stop-1`` while events surely fit; return the next row to do.

    ``0 <= start`` and ``stop <= len(cmds)``: rows are not bounds-checked.
    """
    i = start
    while i < stop:
        if a[H_EV_CAP] - a[H_EV_N] < events_bound(a, cmds, i):
            break
        if process(a, cmds, i) < 0:
            break
        i += 1
    return i


@kernel
def step(a, cmds, i):
    """Process row ``i`` (``0 <= i < len(cmds)``) with an empty event buffer; return its
    event count or -1.

    It runs ``run_batch`` on the one row, so the hot code (inlined into ``run_batch``)
    is compiled once.
    """
    a[H_EV_N] = 0
    if run_batch(a, cmds, i, i + 1) == i:
        return -1
    return a[H_EV_N]
