"""Kernel matching: aggressor execution, fill-or-kill availability, stops, removal.

Implements ``docs/matching-rules.md`` MR-4 to MR-8 over the arena. Prices in price
units, quantities in contracts. ``match`` is O(levels crossed + orders met).
"""

from __future__ import annotations

from exchange.codes import (
    CXL_NO_LIQUIDITY,
    CXL_SELF_MATCH,
    CXL_UNFILLED,
    EV_CANCELED,
    EV_TRADE,
    EV_TRIGGERED,
    SIDE_BUY,
    SMP_CANCEL_BOTH,
    SMP_CANCEL_RESTING,
    SMP_NONE,
    TIF_FOK,
    TIF_GTC,
    TIF_GTD,
    TYPE_LIMIT,
    TYPE_MARKET,
    TYPE_STOP_MARKET,
)
from exchange.jit import kernel, kernel_inline
from exchange.kernel_book import (
    emit,
    emit_level,
    emit_order,
    iidx,
    level_append,
    level_unlink,
    lidx,
    list_append,
    list_unlink,
    m_acct,
    m_instr,
    m_side,
    m_state,
    m_tif,
    m_type,
    next_best,
    pidx,
    release,
    set_state,
    set_type,
)
from exchange.layout import (
    H_MAX_PRICE,
    H_N_FILLS,
    H_N_STOPS,
    H_NEXT_TRADE,
    H_SEQ,
    H_SMP,
    H_TRADED_QTY,
    I_BAND,
    I_BEST_ASK,
    I_BEST_BID,
    I_LAST,
    I_PROTECTION,
    I_REF,
    I_STOP_HEAD,
    I_STOP_TAIL,
    I_TICK,
    I_TRADED,
    L_HEAD,
    L_QTY,
    P_META,
    P_NEXT,
    P_OID,
    P_PREV,
    P_PRICE,
    P_QTY,
    P_TRIGGER,
    S_ACTIVE,
    S_RESTING,
    S_STOP,
)


@kernel
def crosses(side, price, limit):
    """Return True if an opposite level at ``price`` is within an aggressor's ``limit``."""
    if side == SIDE_BUY:
        return price <= limit
    return price >= limit


@kernel
def band_edges(a, instr):
    """Return the (low, high) prices the instrument's band allows (the grid when off)."""
    ib = iidx(a, instr)
    mx = a[H_MAX_PRICE]
    band = a[ib + I_BAND]
    ref = a[ib + I_REF]
    if band <= 0 or ref <= 0:
        return 1, mx
    lo = ref - band if band < ref else 1
    hi = ref + band if band <= mx else mx + mx
    return max(lo, 1), min(hi, mx)


@kernel
def market_limit(a, instr, side):
    """Return (matching limit, protection price or 0) of a market order (MR-4).

    Protection and band are clamped to the grid before any addition, so int64 cannot
    overflow. A protection price that tick rounding pushes off the grid crosses
    nothing and may not rest (``execute`` checks the grid).
    """
    ib = iidx(a, instr)
    mx = a[H_MAX_PRICE]
    band = a[ib + I_BAND]
    ref = a[ib + I_REF]
    band_on = band > 0 and ref > 0
    b = min(band, mx)
    prot = a[ib + I_PROTECTION]
    if prot <= 0:
        if side == SIDE_BUY:
            return (min(ref + b, mx) if band_on else mx), 0
        return (max(ref - b, 1) if band_on else 1), 0
    p = min(prot, mx)
    x = a[ib + I_BEST_ASK] + p if side == SIDE_BUY else a[ib + I_BEST_BID] - p
    x = min(max(x, 1), mx)
    if band_on:
        x = min(max(x, ref - b), ref + b)
    tick = a[ib + I_TICK]
    x = x // tick * tick if side == SIDE_BUY else -(-x // tick) * tick
    return x, x


@kernel
def available(a, instr, side, limit, acct, need):
    """Return ``need`` if a FOK aggressor could take it within ``limit`` (MR-6), else less.

    Compares each order with what is still missing instead of summing, so huge
    quantities cannot overflow int64.
    """
    smp = a[H_SMP]
    opp = 1 - side
    ib = iidx(a, instr)
    p = a[ib + I_BEST_ASK] if side == SIDE_BUY else a[ib + I_BEST_BID]
    total = 0
    while p != 0 and crosses(side, p, limit):
        m = a[lidx(a, instr, opp, p) + L_HEAD]
        while m != 0:
            pm = pidx(a, m)
            if smp != SMP_NONE and m_acct(a[pm + P_META]) == acct:
                if smp != SMP_CANCEL_RESTING:
                    return total
            else:
                q = a[pm + P_QTY]
                if q >= need - total:
                    return need
                total += q
            m = a[pm + P_NEXT]
        p = next_best(a, instr, opp, p)
    return total


@kernel_inline
def match(a, s, limit):
    """Match aggressor slot ``s`` up to ``limit`` (MR-5, MR-7); return 1 if SMP stopped it."""
    ps = pidx(a, s)
    meta = a[ps + P_META]
    instr = m_instr(meta)
    side = m_side(meta)
    acct = m_acct(meta)
    oid = a[ps + P_OID]
    opp = 1 - side
    ib = iidx(a, instr)
    smp = a[H_SMP]
    q = a[ps + P_QTY]
    while q > 0:
        bp = a[ib + I_BEST_ASK] if side == SIDE_BUY else a[ib + I_BEST_BID]
        if bp == 0 or not crosses(side, bp, limit):
            break
        li = lidx(a, instr, opp, bp)
        changed = False
        traded = False
        stop = False
        m = a[li + L_HEAD]
        while m != 0 and q > 0:
            pm = pidx(a, m)
            nxt = a[pm + P_NEXT]
            if smp != SMP_NONE and m_acct(a[pm + P_META]) == acct:
                if smp == SMP_CANCEL_RESTING or smp == SMP_CANCEL_BOTH:
                    emit_order(a, EV_CANCELED, m, a[pm + P_QTY], 0, CXL_SELF_MATCH)
                    level_unlink(a, m)
                    release(a, m)
                    changed = True
                if smp != SMP_CANCEL_RESTING:
                    stop = True
                    break
                m = nxt
                continue
            mq = a[pm + P_QTY]
            f = q if q < mq else mq
            q -= f
            mq -= f
            a[pm + P_QTY] = mq
            a[li + L_QTY] -= f
            a[ps + P_QTY] = q
            tid = a[H_NEXT_TRADE]
            a[H_NEXT_TRADE] = tid + 1
            a[H_TRADED_QTY] += f
            a[H_N_FILLS] += 1
            emit(a, EV_TRADE, instr, oid, acct, side, bp, f, q, a[pm + P_OID],
                 m_acct(a[pm + P_META]), mq, tid)  # fmt: skip
            traded = True
            changed = True
            if mq == 0:
                level_unlink(a, m)
                release(a, m)
            m = nxt
        if traded:
            a[ib + I_LAST] = bp
            a[ib + I_TRADED] = a[H_SEQ]
        if changed:
            emit_level(a, instr, opp, bp)
        if stop:
            emit_order(a, EV_CANCELED, s, q, 0, CXL_SELF_MATCH)
            a[ps + P_QTY] = 0
            return 1
    return 0


@kernel_inline
def execute(a, s, limit):
    """Match slot ``s`` up to ``limit``, then rest or cancel its remainder (MR-4, MR-5)."""
    ps = pidx(a, s)
    set_state(a, ps, S_ACTIVE)
    if match(a, s, limit) == 1:
        release(a, s)
        return
    q = a[ps + P_QTY]
    if q == 0:
        release(a, s)
        return
    meta = a[ps + P_META]
    tif = m_tif(meta)
    typ = m_type(meta)
    is_market = typ == TYPE_MARKET or typ == TYPE_STOP_MARKET
    on_grid = 1 <= a[ps + P_PRICE] <= a[H_MAX_PRICE]
    if (tif == TIF_GTC or tif == TIF_GTD) and (not is_market or on_grid):
        a[ps + P_PRICE] = limit
        set_type(a, ps, TYPE_LIMIT)
        set_state(a, ps, S_RESTING)
        level_append(a, s)
        emit_level(a, m_instr(meta), m_side(meta), limit)
    else:
        emit_order(a, EV_CANCELED, s, q, 0, CXL_UNFILLED)
        release(a, s)


@kernel
def execute_call(a, s, limit):
    """``execute`` compiled once as a called function, for the colder callers (replaces,
    triggered stops): inlining it everywhere would only add compile time."""
    execute(a, s, limit)


@kernel
def stop_append(a, s):
    """Append slot ``s`` to its instrument's untriggered-stop list."""
    ps = pidx(a, s)
    ib = iidx(a, m_instr(a[ps + P_META]))
    list_append(a, ib + I_STOP_HEAD, ib + I_STOP_TAIL, s, P_PREV, P_NEXT)
    set_state(a, ps, S_STOP)
    a[H_N_STOPS] += 1


@kernel
def stop_unlink(a, s):
    """Remove slot ``s`` from its instrument's stop list."""
    ib = iidx(a, m_instr(a[pidx(a, s) + P_META]))
    list_unlink(a, ib + I_STOP_HEAD, ib + I_STOP_TAIL, s, P_PREV, P_NEXT)
    a[H_N_STOPS] -= 1


@kernel_inline
def remove(a, s, kind, code):
    """Take live order ``s`` off the book or stop list with one event of ``kind``."""
    ps = pidx(a, s)
    emit_order(a, kind, s, a[ps + P_QTY], 0, code)
    meta = a[ps + P_META]
    if m_state(meta) == S_RESTING:
        instr = m_instr(meta)
        side = m_side(meta)
        price = a[ps + P_PRICE]
        level_unlink(a, s)
        release(a, s)
        emit_level(a, instr, side, price)
    else:
        stop_unlink(a, s)
        release(a, s)


@kernel
def fire(a, s):
    """Process triggered stop ``s`` as a new limit or market order (MR-8)."""
    ps = pidx(a, s)
    meta = a[ps + P_META]
    instr = m_instr(meta)
    side = m_side(meta)
    ib = iidx(a, instr)
    q = a[ps + P_QTY]
    if m_type(meta) == TYPE_STOP_MARKET:
        opp_best = a[ib + I_BEST_ASK] if side == SIDE_BUY else a[ib + I_BEST_BID]
        if opp_best == 0:
            emit_order(a, EV_CANCELED, s, q, 0, CXL_NO_LIQUIDITY)
            release(a, s)
            return
        limit, prot = market_limit(a, instr, side)
        a[ps + P_PRICE] = prot
    else:
        limit = a[ps + P_PRICE]
    if m_tif(meta) == TIF_FOK and available(a, instr, side, limit, m_acct(meta), q) < q:
        emit_order(a, EV_CANCELED, s, q, 0, CXL_UNFILLED)
        release(a, s)
        return
    execute_call(a, s, limit)


@kernel_inline
def run_stops(a, instr):
    """Trigger the instrument's stops while the last trade price satisfies one (MR-8).

    Inlined check, called loop: most commands trade nothing or meet no stop.
    """
    ib = iidx(a, instr)
    if a[ib + I_TRADED] == a[H_SEQ] and a[ib + I_STOP_HEAD] != 0:
        trigger_stops(a, instr)


@kernel
def trigger_stops(a, instr):
    """The loop of ``run_stops``: fire the first stop the last price satisfies, repeat."""
    ib = iidx(a, instr)
    while True:
        last = a[ib + I_LAST]
        s = a[ib + I_STOP_HEAD]
        while s != 0:
            ps = pidx(a, s)
            trig = a[ps + P_TRIGGER]
            if m_side(a[ps + P_META]) == SIDE_BUY:
                if last >= trig:
                    break
            elif last <= trig:
                break
            s = a[ps + P_NEXT]
        if s == 0:
            return
        stop_unlink(a, s)
        q = a[pidx(a, s) + P_QTY]
        emit_order(a, EV_TRIGGERED, s, q, q, 0)
        fire(a, s)
