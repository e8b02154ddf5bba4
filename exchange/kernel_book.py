"""Kernel primitives over the arena: events, order slots, the id map, accounts, levels.

Free kernel functions (``exchange.jit``); ``a`` is always the arena (``exchange/layout.py``).
Prices in price units, quantities in contracts. Every function is O(1) except
``next_best`` (O(levels scanned), bounded by the side's price range) and ``sort_slots``
(O(n log n)).
"""

from __future__ import annotations

from exchange.codes import (
    E_ACCOUNT,
    E_CODE,
    E_INSTR,
    E_KIND,
    E_OID,
    E_OTHER_ACCOUNT,
    E_OTHER_OID,
    E_OTHER_REMAINING,
    E_PRICE,
    E_QTY,
    E_REMAINING,
    E_SEQ,
    E_SIDE,
    E_TS,
    EV_BOOK,
    EV_WIDTH,
    SIDE_BUY,
    TIF_GTD,
)
from exchange.jit import kernel, kernel_inline
from exchange.layout import (
    H_EMIT,
    H_EV_N,
    H_FREE_HEAD,
    H_GRID,
    H_MAP_MASK,
    H_N_GTD,
    H_N_LIVE,
    H_OFF_EV,
    H_OFF_INSTR,
    H_OFF_LEVELS,
    H_OFF_MAP,
    H_POOL_HWM,
    H_SEQ,
    H_TS,
    I_BEST_ASK,
    I_BEST_BID,
    I_BOUND_ASK,
    I_BOUND_BID,
    I_N_ASK,
    I_N_BID,
    IF,
    INDEX_MASK,
    L_COUNT,
    L_HEAD,
    L_QTY,
    L_TAIL,
    LF,
    M_ACCOUNT,
    M_FLAGS,
    M_INSTR,
    M_SIDE,
    M_STATE,
    M_TIF,
    M_TYPE,
    MASK_ACCOUNT,
    MASK_FLAGS,
    MASK_INSTR,
    MASK_SIDE,
    MASK_STATE,
    MASK_TIF,
    MASK_TYPE,
    P_META,
    P_NEXT,
    P_OID,
    P_PREV,
    P_PRICE,
    P_QTY,
    PF,
    POOL_BASE,
    S_FREE,
)


@kernel
def nn(i):
    """Return arena index ``i`` unchanged, in a form the compiler can see is not negative.

    numba turns every ``a[i]`` with a signed ``i`` into "``i + len(a)`` if ``i < 0``"
    (a compare and a conditional move). Every arena index is below 2**48, so masking
    with ``layout.INDEX_MASK`` changes nothing, but it proves ``i >= 0`` to LLVM, which
    then drops that code for every field read at a constant offset from ``i``. The
    index helpers below (``pidx``, ``iidx``, ``lidx``, ``map_pos``) all return through it.
    """
    return i & INDEX_MASK


# ------------------------------------------------------------------ P_META bit fields
@kernel
def pack_meta(state, side, typ, tif, flags, instr, acct):
    """Return the ``P_META`` word of an order (fields in range, see ``layout.M_*``)."""
    return (
        (state << M_STATE)
        | (side << M_SIDE)
        | (typ << M_TYPE)
        | (tif << M_TIF)
        | (flags << M_FLAGS)
        | (instr << M_INSTR)
        | (acct << M_ACCOUNT)
    )


@kernel
def m_state(m):
    """Return the state (``S_*``) in meta word ``m``."""
    return (m >> M_STATE) & MASK_STATE


@kernel
def m_side(m):
    """Return the side in meta word ``m``."""
    return (m >> M_SIDE) & MASK_SIDE


@kernel
def m_type(m):
    """Return the order type in meta word ``m``."""
    return (m >> M_TYPE) & MASK_TYPE


@kernel
def m_tif(m):
    """Return the time in force in meta word ``m``."""
    return (m >> M_TIF) & MASK_TIF


@kernel
def m_flags(m):
    """Return the flags in meta word ``m``."""
    return (m >> M_FLAGS) & MASK_FLAGS


@kernel
def m_instr(m):
    """Return the instrument slot in meta word ``m``."""
    return (m >> M_INSTR) & MASK_INSTR


@kernel
def m_acct(m):
    """Return the account in meta word ``m``."""
    return (m >> M_ACCOUNT) & MASK_ACCOUNT


@kernel
def set_state(a, p, state):
    """Set the state of the order whose row starts at arena index ``p``."""
    a[p + P_META] = (a[p + P_META] & ~(MASK_STATE << M_STATE)) | (state << M_STATE)


@kernel
def set_type(a, p, typ):
    """Set the order type of the order whose row starts at arena index ``p``."""
    a[p + P_META] = (a[p + P_META] & ~(MASK_TYPE << M_TYPE)) | (typ << M_TYPE)


@kernel_inline
def emit(a, kind, instr, oid, acct, side, price, qty, rem, ooid, oacct, orem, code):
    """Append one event (if its kind is in the emission mask) stamped with seq and ts."""
    if (a[H_EMIT] >> kind) & 1 == 0:
        return
    n = a[H_EV_N]
    b = nn(a[H_OFF_EV] + n * EV_WIDTH)
    a[b + E_KIND] = kind
    a[b + E_SEQ] = a[H_SEQ]
    a[b + E_TS] = a[H_TS]
    a[b + E_INSTR] = instr
    a[b + E_OID] = oid
    a[b + E_ACCOUNT] = acct
    a[b + E_SIDE] = side
    a[b + E_PRICE] = price
    a[b + E_QTY] = qty
    a[b + E_REMAINING] = rem
    a[b + E_OTHER_OID] = ooid
    a[b + E_OTHER_ACCOUNT] = oacct
    a[b + E_OTHER_REMAINING] = orem
    a[b + E_CODE] = code
    a[H_EV_N] = n + 1


@kernel_inline
def emit_order(a, kind, s, qty, rem, code):
    """Append an event about the order in slot ``s``."""
    p = nn(POOL_BASE + s * PF)
    m = a[p + P_META]
    emit(a, kind, m_instr(m), a[p + P_OID], m_acct(m), m_side(m), a[p + P_PRICE],
         qty, rem, 0, 0, 0, code)  # fmt: skip


@kernel
def pidx(a, s):
    """Return the arena index of pool slot ``s``."""
    return nn(POOL_BASE + s * PF)


@kernel
def iidx(a, instr):
    """Return the arena index of instrument slot ``instr``."""
    return nn(a[H_OFF_INSTR] + instr * IF)


@kernel
def lidx(a, instr, side, price):
    """Return the arena index of the level at ``price`` on ``side`` of ``instr``."""
    return nn(a[H_OFF_LEVELS] + ((instr * 2 + side) * a[H_GRID] + price) * LF)


# ----------------------------------------------------------------------- slots and ids
@kernel
def map_pos(a, oid):
    """Return the id-map index for order id ``oid``."""
    return nn(a[H_OFF_MAP] + (oid & a[H_MAP_MASK]))


@kernel
def map_free_for(a, oid):
    """Return True if ``oid`` can be entered in the id map without evicting a live order."""
    s = a[map_pos(a, oid)]
    if s == 0:
        return True
    p = pidx(a, s)
    return m_state(a[p + P_META]) == S_FREE or a[p + P_OID] == oid


@kernel
def find(a, oid):
    """Return the slot of live order ``oid``, or 0."""
    if oid <= 0:
        return 0
    s = a[map_pos(a, oid)]
    if s == 0:
        return 0
    p = pidx(a, s)
    if m_state(a[p + P_META]) == S_FREE or a[p + P_OID] != oid:
        return 0
    return s


@kernel
def alloc(a, oid):
    """Take a free slot for order ``oid`` (caller checked capacity) and index it."""
    s = a[H_FREE_HEAD]
    p = pidx(a, s)
    a[H_FREE_HEAD] = a[p + P_NEXT]
    if s > a[H_POOL_HWM]:
        a[H_POOL_HWM] = s
    a[p + P_OID] = oid
    a[p + P_PREV] = 0
    a[p + P_NEXT] = 0
    a[map_pos(a, oid)] = s
    return s


@kernel
def release(a, s):
    """Return slot ``s`` to the free list and drop it from the id map."""
    p = pidx(a, s)
    if m_tif(a[p + P_META]) == TIF_GTD:
        a[H_N_GTD] -= 1
    a[H_N_LIVE] -= 1
    m = map_pos(a, a[p + P_OID])
    if a[m] == s:
        a[m] = 0
    a[p + P_META] = 0  # S_FREE
    a[p + P_QTY] = 0
    a[p + P_NEXT] = a[H_FREE_HEAD]
    a[H_FREE_HEAD] = s


# ---------------------------------------------------------------------------- lists
# Orders sit in two kinds of doubly-linked lists through P_PREV/P_NEXT: a price level's
# FIFO and an instrument's stop list. ``head_at`` and ``tail_at`` are the arena indices
# holding the list's ends.
@kernel
def list_append(a, head_at, tail_at, s, prev_f, next_f):
    """Append slot ``s`` to the list whose ends are at ``head_at``/``tail_at``. O(1)."""
    p = pidx(a, s)
    tail = a[tail_at]
    a[p + prev_f] = tail
    a[p + next_f] = 0
    if tail == 0:
        a[head_at] = s
    else:
        a[pidx(a, tail) + next_f] = s
    a[tail_at] = s


@kernel
def list_unlink(a, head_at, tail_at, s, prev_f, next_f):
    """Remove slot ``s`` from the list whose ends are at ``head_at``/``tail_at``. O(1)."""
    p = pidx(a, s)
    prv = a[p + prev_f]
    nxt = a[p + next_f]
    if prv == 0:
        a[head_at] = nxt
    else:
        a[pidx(a, prv) + next_f] = nxt
    if nxt == 0:
        a[tail_at] = prv
    else:
        a[pidx(a, nxt) + prev_f] = prv
    a[p + prev_f] = 0
    a[p + next_f] = 0


# ------------------------------------------------------------------------ sorting
@kernel
def slot_before(a, s, t):
    """Return True if live slot ``s`` comes before ``t`` in (account, order id) order."""
    ms = m_acct(a[pidx(a, s) + P_META])
    mt = m_acct(a[pidx(a, t) + P_META])
    if ms != mt:
        return ms < mt
    return a[pidx(a, s) + P_OID] < a[pidx(a, t) + P_OID]


@kernel
def sift_down(a, base, root, n):
    """Restore the max-heap below ``root`` among the ``n`` slots at ``a[base:]``."""
    while True:
        child = 2 * root + 1
        if child >= n:
            return
        if child + 1 < n and slot_before(a, a[base + child], a[base + child + 1]):
            child += 1
        if not slot_before(a, a[base + root], a[base + child]):
            return
        t = a[base + root]
        a[base + root] = a[base + child]
        a[base + child] = t
        root = child


@kernel
def sort_slots(a, base, n):
    """Sort the ``n`` live slots at ``a[base:]`` by (account, order id), in place (heapsort)."""
    for root in range(n // 2 - 1, -1, -1):
        sift_down(a, base, root, n)
    for end in range(n - 1, 0, -1):
        t = a[base]
        a[base] = a[base + end]
        a[base + end] = t
        sift_down(a, base, 0, end)


# --------------------------------------------------------------------------- levels
@kernel
def next_best(a, instr, side, price):
    """Return the best non-empty price on ``side`` strictly worse than ``price``, or 0."""
    ib = iidx(a, instr)
    if side == SIDE_BUY:
        if a[ib + I_N_BID] == 0:
            return 0
        bound = a[ib + I_BOUND_BID]
        p = price - 1
        li = lidx(a, instr, side, p)
        while p >= bound:
            if a[li + L_COUNT] != 0:
                return p
            p -= 1
            li -= LF
    else:
        if a[ib + I_N_ASK] == 0:
            return 0
        bound = a[ib + I_BOUND_ASK]
        p = price + 1
        li = lidx(a, instr, side, p)
        while p <= bound:
            if a[li + L_COUNT] != 0:
                return p
            p += 1
            li += LF
    return 0


@kernel_inline
def level_append(a, s):
    """Rest slot ``s`` at the back of its price level and update best and bounds."""
    p = pidx(a, s)
    m = a[p + P_META]
    instr = m_instr(m)
    side = m_side(m)
    price = a[p + P_PRICE]
    li = lidx(a, instr, side, price)
    list_append(a, li + L_HEAD, li + L_TAIL, s, P_PREV, P_NEXT)
    a[li + L_QTY] += a[p + P_QTY]
    a[li + L_COUNT] += 1
    ib = iidx(a, instr)
    if side == SIDE_BUY:
        if a[ib + I_N_BID] == 0:
            a[ib + I_BEST_BID] = price
            a[ib + I_BOUND_BID] = price
        else:
            if price > a[ib + I_BEST_BID]:
                a[ib + I_BEST_BID] = price
            if price < a[ib + I_BOUND_BID]:
                a[ib + I_BOUND_BID] = price
        a[ib + I_N_BID] += 1
    else:
        if a[ib + I_N_ASK] == 0:
            a[ib + I_BEST_ASK] = price
            a[ib + I_BOUND_ASK] = price
        else:
            if price < a[ib + I_BEST_ASK]:
                a[ib + I_BEST_ASK] = price
            if price > a[ib + I_BOUND_ASK]:
                a[ib + I_BOUND_ASK] = price
        a[ib + I_N_ASK] += 1


@kernel_inline
def level_unlink(a, s):
    """Take slot ``s`` out of its price level, updating totals, best and counts."""
    p = pidx(a, s)
    m = a[p + P_META]
    instr = m_instr(m)
    side = m_side(m)
    price = a[p + P_PRICE]
    li = lidx(a, instr, side, price)
    list_unlink(a, li + L_HEAD, li + L_TAIL, s, P_PREV, P_NEXT)
    a[li + L_QTY] -= a[p + P_QTY]
    a[li + L_COUNT] -= 1
    ib = iidx(a, instr)
    if side == SIDE_BUY:
        a[ib + I_N_BID] -= 1
        if a[li + L_COUNT] == 0 and price == a[ib + I_BEST_BID]:
            a[ib + I_BEST_BID] = next_best(a, instr, side, price)
    else:
        a[ib + I_N_ASK] -= 1
        if a[li + L_COUNT] == 0 and price == a[ib + I_BEST_ASK]:
            a[ib + I_BEST_ASK] = next_best(a, instr, side, price)


@kernel_inline
def emit_level(a, instr, side, price):
    """Emit the EV_BOOK event for one level (new total and order count)."""
    li = lidx(a, instr, side, price)
    emit(a, EV_BOOK, instr, 0, 0, side, price, a[li + L_QTY], a[li + L_COUNT], 0, 0, 0, 0)
