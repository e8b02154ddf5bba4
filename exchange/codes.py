"""Numeric codes and row layouts shared by the numba kernel and the reference book.

Everything the matching engine reads or writes is an ``int64``. A command is one row
of ``CMD_WIDTH`` integers, an event one row of ``EV_WIDTH`` integers; the column
indices below name the fields. Kernel code uses the module-level integer constants
(numba freezes them as compile-time constants); Python code uses the ``IntEnum``
mirrors. ``tests/exchange/test_codes.py`` checks that the two agree.

Units: prices in integer price units of the instrument grid (one unit = the
instrument's price increment, $0.01 per GPU-hour by default), quantities in
contracts, timestamps in integer nanoseconds, ids are positive integers the engine
assigns. The normative rules are in ``docs/matching-rules.md``.
"""

from __future__ import annotations

from enum import IntEnum

# --------------------------------------------------------------------------- commands
# Command row columns.
C_OP = 0  # operation, one of OP_*
C_TS = 1  # command time, ns
C_INSTR = 2  # instrument slot (0-based); -1 = every instrument (mass cancel)
C_ACCOUNT = 3  # account id (0-based, < account capacity); -1 = any (admin)
C_SIDE = 4  # SIDE_BUY / SIDE_SELL; -1 = both sides (mass cancel)
C_TYPE = 5  # TYPE_* for OP_NEW; parameter id PARAM_* for OP_SET
C_TIF = 6  # TIF_*
C_FLAGS = 7  # bit set of FLAG_*
C_PRICE = 8  # limit price (price units); value for OP_SET
C_QTY = 9  # quantity (contracts); new open quantity for OP_REPLACE
C_OID = 10  # target order id (cancel, replace)
C_TRIGGER = 11  # stop trigger price (price units); 0 = unchanged for OP_REPLACE
C_EXPIRE = 12  # GTD expiry time, ns
C_POSITION = 13  # account's signed position in the instrument (reduce-only), contracts
CMD_WIDTH = 14

OP_NEW = 0
OP_CANCEL = 1
OP_REPLACE = 2
OP_MASS_CANCEL = 3
OP_EXPIRE = 4  # expire GTD orders whose expiry time is <= C_TS
OP_SET = 5  # set instrument parameter C_TYPE to C_PRICE

SIDE_BUY = 0
SIDE_SELL = 1

TYPE_LIMIT = 0
TYPE_MARKET = 1
TYPE_STOP_LIMIT = 2
TYPE_STOP_MARKET = 3

TIF_GTC = 0
TIF_GTD = 1  # good till date (C_EXPIRE); "good for the day" is GTD at the day's end
TIF_IOC = 2
TIF_FOK = 3

FLAG_POST_ONLY = 1
FLAG_REJECT_POST_ONLY = 2  # with FLAG_POST_ONLY: reject instead of repricing
FLAG_REDUCE_ONLY = 4
FLAG_ALL = 7

# Instrument parameters set by OP_SET (C_TYPE = parameter, C_PRICE = value).
PARAM_STATUS = 0  # STATUS_*
PARAM_TICK = 1  # tick size in price units (prices must be multiples of it), >= 1
PARAM_MAX_QTY = 2  # largest order quantity, contracts; 0 = no limit
PARAM_PROTECTION = 3  # market-order protection, price units; 0 = none (sweep, never rest)
PARAM_BAND = 4  # price band half-width around the reference, price units; 0 = off
PARAM_REF_PRICE = 5  # reference price for the band, price units; 0 = none
N_PARAMS = 6

STATUS_UNLISTED = 0  # slot not in use: commands get REJ_UNKNOWN_INSTRUMENT
STATUS_OPEN = 1
STATUS_HALTED = 2  # no new orders or replaces; cancels allowed
STATUS_EXPIRED = 3  # all orders removed (CANCELED, reason CXL_EXPIRED); nothing accepted

# Self-match prevention modes (engine-wide).
SMP_NONE = 0  # self trades allowed
SMP_CANCEL_RESTING = 1  # default: the resting order of the same account is canceled
SMP_CANCEL_AGGRESSOR = 2  # the aggressor's remaining quantity is canceled
SMP_CANCEL_BOTH = 3

# ----------------------------------------------------------------------------- events
# Event row columns.
E_KIND = 0  # EV_*
E_SEQ = 1  # sequence number of the command that caused the event (1, 2, 3, ...)
E_TS = 2  # the command's time, ns
E_INSTR = 3
E_OID = 4  # the order (the aggressor for EV_TRADE)
E_ACCOUNT = 5  # the order's account
E_SIDE = 6  # the order's side (the aggressor's side for EV_TRADE; level side for EV_BOOK)
E_PRICE = 7  # order price / trade price / level price
E_QTY = 8  # order quantity / fill quantity / canceled quantity / level total
E_REMAINING = 9  # order's open quantity after the event; level order count for EV_BOOK
E_OTHER_OID = 10  # EV_TRADE: maker order id
E_OTHER_ACCOUNT = 11  # EV_TRADE: maker account
E_OTHER_REMAINING = 12  # EV_TRADE: maker open quantity after the fill
E_CODE = 13  # reject/cancel reason; trade id for EV_TRADE; flags for others (see docs)
EV_WIDTH = 14

EV_ACCEPTED = 1  # E_CODE = 1 if a post-only price was repriced
EV_REJECTED = 2  # E_CODE = REJ_*; E_OID = 0 for a rejected new order
EV_TRADE = 3  # E_CODE = trade id (1, 2, 3, ... engine-wide)
EV_CANCELED = 4  # E_CODE = CXL_*
EV_EXPIRED = 5  # GTD expiry
EV_TRIGGERED = 6  # a stop order triggered; E_PRICE = its limit price (0 for stop market)
EV_REPLACED = 7  # E_CODE = 1 if the order lost time priority
EV_BOOK = 8  # level changed: E_QTY = new total (0 = level gone), E_REMAINING = order count
EV_STATUS = 9  # instrument parameter changed: E_SIDE = PARAM_*, E_PRICE = new value
N_EVENT_KINDS = 10

# Emission mask bits: bit k set = emit events of kind k.
EMIT_ALL = (1 << N_EVENT_KINDS) - 2
EMIT_TRADES = 1 << EV_TRADE

# Reject reasons (EV_REJECTED.E_CODE).
REJ_UNKNOWN_INSTRUMENT = 1
REJ_INSTRUMENT_HALTED = 2
REJ_INSTRUMENT_EXPIRED = 3
REJ_INVALID_QUANTITY = 4  # non-positive, or above the instrument's maximum order size
REJ_INVALID_PRICE = 5  # outside the instrument's price grid
REJ_WRONG_TICK = 6  # not a multiple of the tick size
REJ_OUTSIDE_BAND = 7
REJ_UNKNOWN_ORDER = 8
REJ_NOT_OWNER = 9
REJ_POST_ONLY_WOULD_CROSS = 10
REJ_FOK_CANNOT_FILL = 11
REJ_NO_LIQUIDITY = 12  # market order with no opposite liquidity
REJ_REDUCE_ONLY = 13  # reduce-only order that would not reduce the position
REJ_INVALID_ORDER = 14  # bad op/side/type/tif/flag, or a combination that is not allowed
REJ_INVALID_TRIGGER = 15  # non-positive, off grid, or already satisfied by the last trade
REJ_INVALID_EXPIRY = 16  # GTD with expiry <= command time
REJ_INVALID_ACCOUNT = 17
REJ_INVALID_PARAM = 18  # OP_SET with an unknown parameter or an invalid value
N_REJECTS = 19

# Cancel reasons (EV_CANCELED.E_CODE).
CXL_USER = 1
CXL_MASS = 2
CXL_SELF_MATCH = 3
CXL_UNFILLED = 4  # IOC / market remainder that may not rest
CXL_EXPIRED = 5  # the instrument expired
CXL_NO_LIQUIDITY = 6  # triggered stop-market with nothing to trade against


class Op(IntEnum):
    NEW = OP_NEW
    CANCEL = OP_CANCEL
    REPLACE = OP_REPLACE
    MASS_CANCEL = OP_MASS_CANCEL
    EXPIRE = OP_EXPIRE
    SET = OP_SET


class Side(IntEnum):
    BUY = SIDE_BUY
    SELL = SIDE_SELL


class OrderType(IntEnum):
    LIMIT = TYPE_LIMIT
    MARKET = TYPE_MARKET
    STOP_LIMIT = TYPE_STOP_LIMIT
    STOP_MARKET = TYPE_STOP_MARKET


class Tif(IntEnum):
    GTC = TIF_GTC
    GTD = TIF_GTD
    IOC = TIF_IOC
    FOK = TIF_FOK


class Flag(IntEnum):
    POST_ONLY = FLAG_POST_ONLY
    REJECT_POST_ONLY = FLAG_REJECT_POST_ONLY
    REDUCE_ONLY = FLAG_REDUCE_ONLY


class Param(IntEnum):
    STATUS = PARAM_STATUS
    TICK = PARAM_TICK
    MAX_QTY = PARAM_MAX_QTY
    PROTECTION = PARAM_PROTECTION
    BAND = PARAM_BAND
    REF_PRICE = PARAM_REF_PRICE


class Status(IntEnum):
    UNLISTED = STATUS_UNLISTED
    OPEN = STATUS_OPEN
    HALTED = STATUS_HALTED
    EXPIRED = STATUS_EXPIRED


class Smp(IntEnum):
    NONE = SMP_NONE
    CANCEL_RESTING = SMP_CANCEL_RESTING
    CANCEL_AGGRESSOR = SMP_CANCEL_AGGRESSOR
    CANCEL_BOTH = SMP_CANCEL_BOTH


class Ev(IntEnum):
    ACCEPTED = EV_ACCEPTED
    REJECTED = EV_REJECTED
    TRADE = EV_TRADE
    CANCELED = EV_CANCELED
    EXPIRED = EV_EXPIRED
    TRIGGERED = EV_TRIGGERED
    REPLACED = EV_REPLACED
    BOOK = EV_BOOK
    STATUS = EV_STATUS


class Reject(IntEnum):
    UNKNOWN_INSTRUMENT = REJ_UNKNOWN_INSTRUMENT
    INSTRUMENT_HALTED = REJ_INSTRUMENT_HALTED
    INSTRUMENT_EXPIRED = REJ_INSTRUMENT_EXPIRED
    INVALID_QUANTITY = REJ_INVALID_QUANTITY
    INVALID_PRICE = REJ_INVALID_PRICE
    WRONG_TICK = REJ_WRONG_TICK
    OUTSIDE_BAND = REJ_OUTSIDE_BAND
    UNKNOWN_ORDER = REJ_UNKNOWN_ORDER
    NOT_OWNER = REJ_NOT_OWNER
    POST_ONLY_WOULD_CROSS = REJ_POST_ONLY_WOULD_CROSS
    FOK_CANNOT_FILL = REJ_FOK_CANNOT_FILL
    NO_LIQUIDITY = REJ_NO_LIQUIDITY
    REDUCE_ONLY = REJ_REDUCE_ONLY
    INVALID_ORDER = REJ_INVALID_ORDER
    INVALID_TRIGGER = REJ_INVALID_TRIGGER
    INVALID_EXPIRY = REJ_INVALID_EXPIRY
    INVALID_ACCOUNT = REJ_INVALID_ACCOUNT
    INVALID_PARAM = REJ_INVALID_PARAM


class CancelReason(IntEnum):
    USER = CXL_USER
    MASS = CXL_MASS
    SELF_MATCH = CXL_SELF_MATCH
    UNFILLED = CXL_UNFILLED
    EXPIRED = CXL_EXPIRED
    NO_LIQUIDITY = CXL_NO_LIQUIDITY
