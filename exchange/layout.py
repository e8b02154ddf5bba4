"""Layout of the matching engine's arena: one preallocated ``int64`` array.

All book state lives in a single array addressed by offsets, because numba calls are
cheapest with one argument and the hot loop then touches one object (measured for this
job: ~35 ns a message with one arena against ~160 ns with a dozen separate arrays).

Sections, in order: header (``HEADER`` fields), order pool (``PF`` fields per slot;
slot 0 is the null slot, so 0 means "no order" in every link), instruments (``IF``
fields per slot), price levels (``LF`` fields per instrument, side and price), scratch
(one word per pool slot, for sorting the orders a mass removal takes), the order-id map
(a power-of-two ring of slots indexed by ``oid & mask``) and the event buffer
(``EV_WIDTH`` fields per event). The header stores every section's offset, so growing a
section is a copy into a larger arena. The pool comes first so that a slot's address,
``POOL_BASE + slot * PF``, needs no load: numba cannot prove a store into the arena
leaves the header alone, so an offset read from the header would be read again after
every store on the hot path.

A pool row is 8 words, one 64-byte cache line: the arena starts on a 64-byte boundary
(``aligned_empty``) and so does every row, so an order costs one cache line however its
fields are used. The small fields (state, side, type, time in force, flags, instrument,
account) share one word, ``P_META``, as bit fields (``M_*`` below).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from exchange.codes import EV_WIDTH, FLAG_ALL, SIDE_SELL, TIF_FOK, TYPE_STOP_MARKET

Arena = npt.NDArray[np.int64]

# Header fields.
H_SEQ = 0  # sequence number of the command being (or last) processed
H_TS = 1  # its time, ns
H_NEXT_OID = 2
H_NEXT_TRADE = 3
H_N_INSTR = 4
H_MAX_PRICE = 5  # valid prices are 1 .. max_price
H_GRID = 6  # max_price + 1 (price-level entries per instrument side)
H_N_ACCOUNTS = 7
H_SMP = 8
H_EMIT = 9
H_POOL_CAP = 10  # usable slots 1 .. pool_cap
H_FREE_HEAD = 11  # head of the free-slot list (0 = pool full)
H_POOL_HWM = 12  # highest slot ever handed out
H_N_LIVE = 13  # resting orders + untriggered stops
H_N_GTD = 14  # live GTD orders (skip expiry scans when 0)
H_MAP_MASK = 15
H_EV_CAP = 16
H_EV_N = 17
H_TRADED_QTY = 18  # contracts traded since start (all instruments)
H_N_FILLS = 19
H_OFF_INSTR = 20
H_OFF_LEVELS = 21
H_OFF_POOL = 22
H_OFF_SCRATCH = 23
H_OFF_MAP = 24
H_OFF_EV = 25
H_TOTAL = 26
H_N_STOPS = 27  # untriggered stops, all instruments
HEADER = 32
POOL_BASE = HEADER  # the pool's offset, fixed (see the module docstring)
INDEX_MASK = (1 << 48) - 1  # every arena index is below 2**48 (kernel_book.nn)

# Instrument fields.
I_STATUS = 0
I_TICK = 1
I_MAX_QTY = 2
I_PROTECTION = 3
I_BAND = 4
I_REF = 5
I_LAST = 6  # last trade price, 0 = none yet
I_BEST_BID = 7  # 0 = no bid
I_BEST_ASK = 8  # 0 = no ask
I_N_BID = 9  # resting orders on the bid
I_N_ASK = 10
I_BOUND_BID = 11  # lowest bid price rested since the bid side was last empty
I_BOUND_ASK = 12  # highest ask price rested since the ask side was last empty
I_STOP_HEAD = 13
I_STOP_TAIL = 14
I_TRADED = 15  # 1 if the current command traded in this instrument
IF = 16

# Price-level fields.
L_HEAD = 0
L_TAIL = 1
L_QTY = 2
L_COUNT = 3
LF = 4

# Order-pool fields: PF = 8 words, one 64-byte cache line per slot.
P_OID = 0
P_META = 1  # state, side, type, tif, flags, instrument and account (bit fields below)
P_PRICE = 2  # price units (0 for a stop-market order's shown price)
P_QTY = 3  # open quantity, contracts
P_PREV = 4  # level / stop-list / free-list links
P_NEXT = 5
P_TRIGGER = 6  # stop trigger price, price units (0 unless the order was a stop)
P_EXPIRE = 7  # GTD expiry time, ns (0 unless GTD)
PF = 8

# P_META bit fields: field = (meta >> M_x) & MASK_x.
M_STATE = 0  # 2 bits: S_FREE .. S_ACTIVE
M_SIDE = 2  # 1 bit: SIDE_BUY / SIDE_SELL
M_TYPE = 3  # 2 bits: TYPE_LIMIT .. TYPE_STOP_MARKET
M_TIF = 5  # 2 bits: TIF_GTC .. TIF_FOK
M_FLAGS = 8  # 8 bits: FLAG_* as sent
M_INSTR = 16  # 16 bits: instrument slot, 0 .. MAX_INSTRUMENTS - 1
M_ACCOUNT = 32  # 31 bits: account, 0 .. MAX_ACCOUNTS - 1 (bit 63 stays 0)
MASK_STATE = 3
MASK_SIDE = 1
MASK_TYPE = 3
MASK_TIF = 3
MASK_FLAGS = 0xFF
MASK_INSTR = 0xFFFF
MASK_ACCOUNT = 0x7FFFFFFF
MAX_INSTRUMENTS = MASK_INSTR + 1
MAX_ACCOUNTS = MASK_ACCOUNT + 1
assert SIDE_SELL <= MASK_SIDE and TYPE_STOP_MARKET <= MASK_TYPE and TIF_FOK <= MASK_TIF
assert FLAG_ALL <= MASK_FLAGS

S_FREE = 0
S_RESTING = 1
S_STOP = 2
S_ACTIVE = 3  # accepted and matching, not resting yet
assert S_ACTIVE <= MASK_STATE

ALIGN_BYTES = 64  # cache line: the arena's start, and so every pool row, is aligned to it


def aligned_empty(n: int) -> Arena:
    """Return an uninitialised ``int64`` array of ``n`` words starting on a cache line."""
    words = ALIGN_BYTES // 8
    buf = np.empty(n + words, dtype=np.int64)
    skip = (-buf.ctypes.data % ALIGN_BYTES) // 8
    return buf[skip : skip + n]


def aligned(a: Arena) -> Arena:
    """Return ``a`` if it starts on a cache line, else an aligned copy (e.g. after unpickling)."""
    if a.ctypes.data % ALIGN_BYTES == 0:
        return a
    b = aligned_empty(len(a))
    b[:] = a
    return b


def _pow2_at_least(n: int) -> int:
    return 1 << max(4, (n - 1).bit_length())


def events_needed(n_live: int) -> int:
    """Return the event room one command may need if it can reach ``n_live`` live orders.

    Worst case: six events per order it reaches, plus a few of its own. A new order
    reaches only its own book (``kernel_commands.events_bound`` says which part), a
    cancel none, and the other commands every live order.
    """
    return 6 * (n_live + 1) + 16


def section_sizes(
    n_instr: int, max_price: int, pool_cap: int, map_size: int, ev_cap: int
) -> list[int]:
    """Return the sizes (in int64 words) of the sections after the header."""
    return [
        (pool_cap + 1) * PF,
        n_instr * IF,
        n_instr * 2 * (max_price + 1) * LF,
        pool_cap + 1,
        map_size,
        ev_cap * EV_WIDTH,
    ]


def allocate(
    n_instr: int,
    max_price: int,
    n_accounts: int,
    pool_cap: int,
    smp: int,
    emit: int,
    map_size: int = 0,
    ev_cap: int = 1 << 14,
    copied_rows: int = -1,
) -> Arena:
    """Return a fresh, pre-faulted arena for the given capacities (counts, prices in units).

    ``copied_rows`` is for ``grow``: pool rows 0 .. copied_rows and the instrument and
    level sections are left unwritten, since ``grow`` copies them in (one pass over
    that memory rather than two).

    ``ev_cap`` (events) starts small: the engine grows it when the live orders could
    need more room for one command than it has (``events_needed``). Accounts take no
    room (an order stores its account in ``P_META``), but their number is bounded by
    the bit field: ``MAX_ACCOUNTS``, and instruments by ``MAX_INSTRUMENTS``.
    """
    if n_instr < 1 or max_price < 1 or n_accounts < 1 or pool_cap < 1:
        raise ValueError("instruments, max_price, accounts and pool capacity must be >= 1")
    if n_instr > MAX_INSTRUMENTS or n_accounts > MAX_ACCOUNTS:
        raise ValueError(
            f"at most {MAX_INSTRUMENTS} instruments and {MAX_ACCOUNTS} accounts (P_META fields)"
        )
    map_size = _pow2_at_least(max(map_size, 4 * pool_cap))
    ev_cap = max(ev_cap, events_needed(0))
    sizes = section_sizes(n_instr, max_price, pool_cap, map_size, ev_cap)
    total = HEADER + sum(sizes)
    if total > INDEX_MASK:
        raise ValueError("the arena would exceed 2**48 words")
    # np.zeros maps large arrays lazily (zero pages on first touch); writing every page
    # now keeps page faults out of the first commands.
    a = aligned_empty(total)
    if copied_rows < 0:
        a.fill(0)
    else:
        a[:HEADER] = 0
        a[HEADER + (copied_rows + 1) * PF : HEADER + sizes[0]] = 0
        a[HEADER + sizes[0] + sizes[1] + sizes[2] :] = 0
    off = HEADER
    for field, size in zip(
        (H_OFF_POOL, H_OFF_INSTR, H_OFF_LEVELS, H_OFF_SCRATCH, H_OFF_MAP, H_OFF_EV),
        sizes,
        strict=True,
    ):
        a[field] = off
        off += size
    a[H_TOTAL] = total
    a[H_NEXT_OID] = 1
    a[H_NEXT_TRADE] = 1
    a[H_N_INSTR] = n_instr
    a[H_MAX_PRICE] = max_price
    a[H_GRID] = max_price + 1
    a[H_N_ACCOUNTS] = n_accounts
    a[H_SMP] = smp
    a[H_EMIT] = emit
    a[H_POOL_CAP] = pool_cap
    a[H_MAP_MASK] = map_size - 1
    a[H_EV_CAP] = ev_cap
    # Free list: every slot 1..pool_cap linked through P_NEXT (grow links its own).
    if copied_rows < 0:
        pool = a[a[H_OFF_POOL] : a[H_OFF_POOL] + (pool_cap + 1) * PF].reshape(pool_cap + 1, PF)
        pool[1:pool_cap, P_NEXT] = np.arange(2, pool_cap + 1)
        a[H_FREE_HEAD] = 1
    return a


def grow(a: Arena, pool_cap: int, map_size: int, ev_cap: int) -> Arena:
    """Return a copy of arena ``a`` with the given (not smaller) pool, id map and event room."""
    n_instr, max_price, n_acc = int(a[H_N_INSTR]), int(a[H_MAX_PRICE]), int(a[H_N_ACCOUNTS])
    old_cap = int(a[H_POOL_CAP])
    if pool_cap < old_cap:
        raise ValueError("the order pool never shrinks")
    b = allocate(
        n_instr,
        max_price,
        n_acc,
        pool_cap,
        int(a[H_SMP]),
        int(a[H_EMIT]),
        map_size,
        ev_cap,
        copied_rows=old_cap,
    )
    keep = {H_OFF_INSTR, H_OFF_LEVELS, H_OFF_POOL, H_OFF_SCRATCH, H_OFF_MAP, H_OFF_EV}
    keep |= {H_TOTAL, H_POOL_CAP, H_FREE_HEAD, H_MAP_MASK, H_EV_CAP, H_EV_N}
    for f in range(HEADER):
        if f not in keep:
            b[f] = a[f]
    for off, size in (
        (H_OFF_INSTR, n_instr * IF),
        (H_OFF_LEVELS, n_instr * 2 * (max_price + 1) * LF),
    ):
        b[b[off] : b[off] + size] = a[a[off] : a[off] + size]
    # Pool rows keep their slot numbers (all links stay valid).
    po, pn = int(a[H_OFF_POOL]), int(b[H_OFF_POOL])
    b[pn : pn + (old_cap + 1) * PF] = a[po : po + (old_cap + 1) * PF]
    # Free list: the old free list, then the new slots (if the pool grew at all).
    pool = b[pn : pn + (pool_cap + 1) * PF].reshape(pool_cap + 1, PF)
    head = int(a[H_FREE_HEAD])
    b[H_FREE_HEAD] = head
    if pool_cap > old_cap:
        pool[old_cap + 1 : pool_cap, P_NEXT] = np.arange(old_cap + 2, pool_cap + 1)
        pool[pool_cap, P_NEXT] = 0
        if head == 0:
            b[H_FREE_HEAD] = old_cap + 1
        else:
            s = head
            while pool[s, P_NEXT] != 0:
                s = int(pool[s, P_NEXT])
            pool[s, P_NEXT] = old_cap + 1
    # Id map: rehash the live orders.
    mask = int(b[H_MAP_MASK])
    mo = int(b[H_OFF_MAP])
    live = np.nonzero((pool[1 : old_cap + 1, P_META] >> M_STATE) & MASK_STATE != S_FREE)[0] + 1
    idx = pool[live, P_OID] & mask
    if len(np.unique(idx)) != len(idx):
        raise RuntimeError("order-id map still collides after growth")
    b[mo + idx] = live
    # Pending events move too.
    n_ev = int(a[H_EV_N])
    b[b[H_OFF_EV] : b[H_OFF_EV] + n_ev * EV_WIDTH] = a[a[H_OFF_EV] : a[H_OFF_EV] + n_ev * EV_WIDTH]
    b[H_EV_N] = n_ev
    return b
