"""Kernel read-only views: the canonical state array and the invariant check (MR-13).

Both walk the whole book: O(grid + live orders). They are for tests, snapshots and
debugging, not for the hot path.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from exchange.codes import SIDE_BUY, SIDE_SELL, STATUS_UNLISTED, TIF_GTD
from exchange.kernel_book import (
    find,
    iidx,
    lidx,
    m_acct,
    m_flags,
    m_instr,
    m_side,
    m_state,
    m_tif,
    m_type,
    pidx,
)
from exchange.layout import (
    H_MAX_PRICE,
    H_N_ACCOUNTS,
    H_N_GTD,
    H_N_INSTR,
    H_N_LIVE,
    H_N_STOPS,
    H_NEXT_OID,
    H_NEXT_TRADE,
    H_POOL_HWM,
    H_SEQ,
    I_BAND,
    I_BEST_ASK,
    I_BEST_BID,
    I_BOUND_ASK,
    I_BOUND_BID,
    I_LAST,
    I_MAX_QTY,
    I_N_ASK,
    I_N_BID,
    I_PROTECTION,
    I_REF,
    I_STATUS,
    I_STOP_HEAD,
    I_TICK,
    L_COUNT,
    L_HEAD,
    L_QTY,
    L_TAIL,
    P_EXPIRE,
    P_META,
    P_NEXT,
    P_OID,
    P_PREV,
    P_PRICE,
    P_QTY,
    P_TRIGGER,
    S_FREE,
    S_RESTING,
    S_STOP,
)


@njit(cache=True)
def state_array(a):
    """Return the canonical int64 state sequence of MR-13."""
    n_instr = a[H_N_INSTR]
    out = np.empty(4 + n_instr * 11 + a[H_N_LIVE] * 10, dtype=np.int64)
    out[0] = a[H_SEQ]
    out[1] = a[H_NEXT_OID]
    out[2] = a[H_NEXT_TRADE]
    out[3] = n_instr
    k = 4
    for instr in range(n_instr):
        ib = iidx(a, instr)
        if a[ib + I_STATUS] == STATUS_UNLISTED:
            continue
        out[k] = instr
        out[k + 1] = a[ib + I_STATUS]
        out[k + 2] = a[ib + I_TICK]
        out[k + 3] = a[ib + I_MAX_QTY]
        out[k + 4] = a[ib + I_PROTECTION]
        out[k + 5] = a[ib + I_BAND]
        out[k + 6] = a[ib + I_REF]
        out[k + 7] = a[ib + I_LAST]
        k += 8
        for side in (SIDE_BUY, SIDE_SELL):
            if side == SIDE_BUY:
                p, lo, step = a[ib + I_BEST_BID], a[ib + I_BOUND_BID], -1
            else:
                p, lo, step = a[ib + I_BEST_ASK], a[ib + I_BOUND_ASK], 1
            while p != 0 and (p >= lo if side == SIDE_BUY else p <= lo):
                s = a[lidx(a, instr, side, p) + L_HEAD]
                while s != 0:
                    ps = pidx(a, s)
                    meta = a[ps + P_META]
                    out[k] = p
                    out[k + 1] = a[ps + P_OID]
                    out[k + 2] = m_acct(meta)
                    out[k + 3] = a[ps + P_QTY]
                    out[k + 4] = m_tif(meta)
                    out[k + 5] = a[ps + P_EXPIRE]
                    out[k + 6] = m_flags(meta)
                    k += 7
                    s = a[ps + P_NEXT]
                p += step
            out[k] = -1
            k += 1
        s = a[ib + I_STOP_HEAD]
        while s != 0:
            ps = pidx(a, s)
            meta = a[ps + P_META]
            out[k] = a[ps + P_OID]
            out[k + 1] = m_acct(meta)
            out[k + 2] = m_side(meta)
            out[k + 3] = m_type(meta)
            out[k + 4] = a[ps + P_PRICE]
            out[k + 5] = a[ps + P_TRIGGER]
            out[k + 6] = a[ps + P_QTY]
            out[k + 7] = m_tif(meta)
            out[k + 8] = a[ps + P_EXPIRE]
            out[k + 9] = m_flags(meta)
            k += 10
            s = a[ps + P_NEXT]
        out[k] = -1
        k += 1
    return out[:k].copy()


@njit(cache=True)
def check(a):
    """Return (0, 0) if every MR-13 invariant holds, else (problem code, detail)."""
    mx = a[H_MAX_PRICE]
    seen = 0
    stops = 0
    for instr in range(a[H_N_INSTR]):
        ib = iidx(a, instr)
        if a[ib + I_STATUS] == STATUS_UNLISTED:
            continue
        bb, ba = a[ib + I_BEST_BID], a[ib + I_BEST_ASK]
        if bb != 0 and ba != 0 and bb >= ba:
            return 1, instr  # crossed at rest
        for side in (SIDE_BUY, SIDE_SELL):
            best = 0
            n_orders = 0
            for p in range(1, mx + 1):
                li = lidx(a, instr, side, p)
                qty = 0
                cnt = 0
                prev = 0
                s = a[li + L_HEAD]
                while s != 0:
                    ps = pidx(a, s)
                    meta = a[ps + P_META]
                    if m_state(meta) != S_RESTING or a[ps + P_PRICE] != p:
                        return 2, a[ps + P_OID]  # order misplaced
                    if m_instr(meta) != instr or m_side(meta) != side:
                        return 2, a[ps + P_OID]
                    if a[ps + P_QTY] <= 0:
                        return 3, a[ps + P_OID]  # non-positive open quantity
                    if a[ps + P_PREV] != prev or find(a, a[ps + P_OID]) != s:
                        return 4, a[ps + P_OID]  # broken links or id index
                    qty += a[ps + P_QTY]
                    cnt += 1
                    prev = s
                    s = a[ps + P_NEXT]
                if a[li + L_TAIL] != prev or a[li + L_QTY] != qty or a[li + L_COUNT] != cnt:
                    return 5, p  # level totals disagree with its orders
                if cnt > 0:
                    n_orders += cnt
                    if side == SIDE_BUY:
                        best = p
                        if p < a[ib + I_BOUND_BID]:
                            return 6, p  # bound does not cover a level
                    else:
                        if best == 0:
                            best = p
                        if p > a[ib + I_BOUND_ASK]:
                            return 6, p
            if side == SIDE_BUY and (best != bb or n_orders != a[ib + I_N_BID]):
                return 7, instr  # best bid or bid count wrong
            if side == SIDE_SELL and (best != ba or n_orders != a[ib + I_N_ASK]):
                return 7, instr
            seen += n_orders
        s = a[ib + I_STOP_HEAD]
        prev = 0
        while s != 0:
            ps = pidx(a, s)
            if (
                m_state(a[ps + P_META]) != S_STOP
                or a[ps + P_PREV] != prev
                or find(a, a[ps + P_OID]) != s
            ):
                return 8, a[ps + P_OID]  # stop list broken
            seen += 1
            stops += 1
            prev = s
            s = a[ps + P_NEXT]
    if seen != a[H_N_LIVE]:
        return 9, seen  # live count wrong
    if stops != a[H_N_STOPS]:
        return 12, stops  # stop count wrong
    in_pool = 0
    gtd = 0
    for s in range(1, a[H_POOL_HWM] + 1):
        ps = pidx(a, s)
        meta = a[ps + P_META]
        if m_state(meta) == S_FREE:
            continue
        in_pool += 1
        if find(a, a[ps + P_OID]) != s:
            return 4, a[ps + P_OID]
        if m_acct(meta) >= a[H_N_ACCOUNTS] or m_instr(meta) >= a[H_N_INSTR]:
            return 10, a[ps + P_OID]  # account or instrument out of range
        if m_tif(meta) == TIF_GTD:
            gtd += 1
    if in_pool != a[H_N_LIVE] or gtd != a[H_N_GTD]:
        return 11, in_pool  # live or GTD count disagrees with the pool
    return 0, 0


PROBLEMS = {
    1: "instrument {} is crossed at rest",
    2: "order {} is not where its fields say",
    3: "order {} has a non-positive open quantity",
    4: "order {} has broken links or is not found by its id",
    5: "level at price {} disagrees with its orders",
    6: "side bound does not cover the level at price {}",
    7: "best price or order count wrong in instrument {}",
    8: "stop list broken at order {}",
    9: "live-order count wrong ({} found)",
    10: "order {} has an account or instrument out of range",
    11: "live or GTD count disagrees with the pool ({} live orders in it)",
    12: "untriggered-stop count wrong ({} found)",
}
