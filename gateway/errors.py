"""Error codes of the wire protocol: one table, Deribit v2 numbers, and the engine's rejects.

Every error a client can see is an ``RpcError`` carrying a Deribit v2 numeric code, its
message and, in ``data``, a human ``reason`` and the offending ``param``. The JSON-RPC
codes (-32700 ... -32602) cover envelopes and parameters; the gateway's own codes live
in 19050-19099. ``REJECT_ERRORS`` maps every engine reject (``exchange.codes.REJ_*``)
and ``CLEARING_ERRORS`` every clearing-house reject (``clearing.ops.ClearingReject``, to
the Deribit code of ``clearing.ops.WIRE_CODES`` where there is one) to one of them;
other pre-trade rejects of the sequencer (19000-19049) go out as themselves.
``tests/gateway/test_errors.py`` checks that the maps cover them all.
``docs/protocol.md`` prints the table.
"""

from __future__ import annotations

from typing import NamedTuple

from clearing.errors import (
    AccountInDefault,
    InsufficientFreeCollateral,
    InvalidAmount,
    UnknownAccount,
)
from clearing.index.base import IndexNotPublished
from clearing.ops import ClearingReject as R
from exchange import codes as c


class ErrorCode(NamedTuple):
    """A numeric code and its Deribit message text."""

    code: int
    message: str


# JSON-RPC 2.0
PARSE_ERROR = ErrorCode(-32700, "Parse error")
INVALID_REQUEST = ErrorCode(-32600, "Invalid Request")
METHOD_NOT_FOUND = ErrorCode(-32601, "Method not found")
INVALID_PARAMS = ErrorCode(-32602, "Invalid params")

# Deribit v2
AUTHORIZATION_REQUIRED = ErrorCode(10000, "authorization_required")
ORDER_NOT_FOUND = ErrorCode(10004, "order_not_found")
PRICE_TOO_LOW = ErrorCode(10005, "price_too_low")
PRICE_TOO_HIGH = ErrorCode(10007, "price_too_high")
NOT_ENOUGH_FUNDS = ErrorCode(10009, "not_enough_funds")
BOOK_CLOSED = ErrorCode(10012, "book_closed")
POSITION_LIMIT = ErrorCode(10018, "non_pme_max_future_position_size")
LOCKED_BY_ADMIN = ErrorCode(10019, "locked_by_admin")
INVALID_INSTRUMENT = ErrorCode(10020, "invalid_or_unsupported_instrument")
INVALID_AMOUNT = ErrorCode(10021, "invalid_amount")
TOO_MANY_REQUESTS = ErrorCode(10028, "too_many_requests")
INVALID_PRICE = ErrorCode(10023, "invalid_price")
NOT_OWNER = ErrorCode(10029, "not_owner_of_order")
MUST_BE_WEBSOCKET = ErrorCode(10030, "must_be_websocket_request")
PRICE_WRONG_TICK = ErrorCode(10043, "price_wrong_tick")
STOP_PRICE_WRONG_TICK = ErrorCode(10044, "stop_price_wrong_tick")
QUEUE_FULL = ErrorCode(10047, "matching_engine_queue_full")
INVALID_ARGUMENTS = ErrorCode(11029, "invalid_arguments")
OTHER_REJECT = ErrorCode(11030, "other_reject")
INVALID_TRIGGER = ErrorCode(11036, "invalid_stoppx_for_index_or_last")
NOT_OPEN_ORDER = ErrorCode(11044, "not_open_order")
BAD_REQUEST = ErrorCode(11050, "bad_request")
POST_ONLY_REJECT = ErrorCode(11054, "post_only_reject")
INTERNAL_ERROR = ErrorCode(11094, "internal_server_error")
INVALID_CREDENTIALS = ErrorCode(13004, "invalid_credentials")
UNAUTHORIZED = ErrorCode(13009, "unauthorized")
FORBIDDEN = ErrorCode(13021, "forbidden")

# flopex extensions. 19000-19049 belong to the sequencer and the clearing house (their
# pre-trade rejects reach the wire as themselves, see ``reject_error``); the gateway's
# own codes are 19050-19099.
FILL_OR_KILL_UNFILLED = ErrorCode(19050, "fill_or_kill_unfilled")
NO_LIQUIDITY = ErrorCode(19051, "no_liquidity")
REDUCE_ONLY_REJECT = ErrorCode(19052, "reduce_only_would_increase")
ACCOUNTS_EXHAUSTED = ErrorCode(19053, "accounts_exhausted")
PRE_TRADE_REJECT_MIN, PRE_TRADE_REJECT_MAX = 19_000, 19_049
# Clearing rejects with no Deribit equivalent go out as themselves (clearing/ops.py).
UNKNOWN_ACCOUNT = ErrorCode(int(R.UNKNOWN_ACCOUNT), "clearing_account_unknown")
ACCOUNT_IN_DEFAULT = ErrorCode(int(R.ACCOUNT_IN_DEFAULT), "account_in_default")
MARGIN_CALL_PENDING = ErrorCode(int(R.MARGIN_CALL_PENDING), "margin_call_pending")
INDEX_NOT_PUBLISHED = ErrorCode(int(R.INDEX_NOT_PUBLISHED), "index_not_published")
INVALID_CLEARING_COMMAND = ErrorCode(int(R.INVALID_COMMAND), "invalid_clearing_command")


class RpcError(Exception):
    """An error answer: ``code``/``message`` from the table, ``reason`` and ``param`` for people."""

    def __init__(self, error: ErrorCode, reason: str | None = None, param: str | None = None):
        super().__init__(f"{error.code} {error.message}: {reason or ''}")
        self.code = error.code
        self.message = error.message
        self.reason = reason
        self.param = param


# Engine reject reason -> wire error. OUTSIDE_BAND is split into too low / too high by
# ``reject_error`` because Deribit reports the side of the band that was crossed.
REJECT_ERRORS: dict[int, ErrorCode] = {
    c.REJ_UNKNOWN_INSTRUMENT: INVALID_INSTRUMENT,
    c.REJ_INSTRUMENT_HALTED: BOOK_CLOSED,
    c.REJ_INSTRUMENT_EXPIRED: BOOK_CLOSED,
    c.REJ_INVALID_QUANTITY: INVALID_AMOUNT,
    c.REJ_INVALID_PRICE: INVALID_PRICE,
    c.REJ_WRONG_TICK: PRICE_WRONG_TICK,
    c.REJ_OUTSIDE_BAND: PRICE_TOO_HIGH,
    c.REJ_UNKNOWN_ORDER: NOT_OPEN_ORDER,
    c.REJ_NOT_OWNER: NOT_OWNER,
    c.REJ_POST_ONLY_WOULD_CROSS: POST_ONLY_REJECT,
    c.REJ_FOK_CANNOT_FILL: FILL_OR_KILL_UNFILLED,
    c.REJ_NO_LIQUIDITY: NO_LIQUIDITY,
    c.REJ_REDUCE_ONLY: REDUCE_ONLY_REJECT,
    c.REJ_INVALID_ORDER: INVALID_ARGUMENTS,
    c.REJ_INVALID_TRIGGER: INVALID_TRIGGER,
    c.REJ_INVALID_EXPIRY: INVALID_ARGUMENTS,
    c.REJ_INVALID_ACCOUNT: FORBIDDEN,
    c.REJ_INVALID_PARAM: INVALID_ARGUMENTS,
}

_REJECT_REASONS: dict[int, str] = {
    c.REJ_UNKNOWN_INSTRUMENT: "the instrument is not listed",
    c.REJ_INSTRUMENT_HALTED: "trading in the instrument is halted",
    c.REJ_INSTRUMENT_EXPIRED: "the instrument has expired",
    c.REJ_INVALID_QUANTITY: "amount must be a positive whole number of contracts within the "
    "instrument's maximum order size",
    c.REJ_INVALID_PRICE: "price is outside the instrument's price grid",
    c.REJ_WRONG_TICK: "price is not a multiple of the tick size",
    c.REJ_OUTSIDE_BAND: "price is outside the price band (min_price .. max_price in ticker)",
    c.REJ_UNKNOWN_ORDER: "the order is no longer open",
    c.REJ_NOT_OWNER: "the order belongs to another account",
    c.REJ_POST_ONLY_WOULD_CROSS: "a post-only order would have traded immediately",
    c.REJ_FOK_CANNOT_FILL: "not enough quantity at or better than the limit to fill the "
    "fill_or_kill order completely",
    c.REJ_NO_LIQUIDITY: "no orders on the opposite side for a market order",
    c.REJ_REDUCE_ONLY: "a reduce_only order must reduce the current position",
    c.REJ_INVALID_ORDER: "this combination of order type, time in force and flags is not allowed",
    c.REJ_INVALID_TRIGGER: "trigger_price is off the grid or already reached by the last trade",
    c.REJ_INVALID_EXPIRY: "the order's expiry time has already passed",
    c.REJ_INVALID_ACCOUNT: "the account cannot trade",
    c.REJ_INVALID_PARAM: "invalid instrument parameter",
}

_REJECT_PARAMS: dict[int, str] = {
    c.REJ_UNKNOWN_INSTRUMENT: "instrument_name",
    c.REJ_INSTRUMENT_EXPIRED: "instrument_name",
    c.REJ_INVALID_QUANTITY: "amount",
    c.REJ_INVALID_PRICE: "price",
    c.REJ_WRONG_TICK: "price",
    c.REJ_OUTSIDE_BAND: "price",
    c.REJ_UNKNOWN_ORDER: "order_id",
    c.REJ_NOT_OWNER: "order_id",
    c.REJ_REDUCE_ONLY: "reduce_only",
    c.REJ_POST_ONLY_WOULD_CROSS: "post_only",
    c.REJ_INVALID_TRIGGER: "trigger_price",
}


# Clearing house reject (clearing/ops.py) -> wire error: the Deribit code of
# ``clearing.ops.WIRE_CODES`` where there is one, else the clearing code itself.
CLEARING_ERRORS: dict[int, ErrorCode] = {
    R.NOT_ENOUGH_FUNDS: NOT_ENOUGH_FUNDS,
    R.INSUFFICIENT_FREE_COLLATERAL: NOT_ENOUGH_FUNDS,
    R.POSITION_LIMIT: POSITION_LIMIT,
    R.ACCOUNT_SUSPENDED: LOCKED_BY_ADMIN,
    R.MAX_ORDER_SIZE: INVALID_AMOUNT,
    R.INVALID_AMOUNT: INVALID_AMOUNT,
    R.CONTRACT_NOT_CLEARED: INVALID_INSTRUMENT,
    R.UNKNOWN_ACCOUNT: UNKNOWN_ACCOUNT,
    R.ACCOUNT_IN_DEFAULT: ACCOUNT_IN_DEFAULT,
    R.MARGIN_CALL_PENDING: MARGIN_CALL_PENDING,
    R.INDEX_NOT_PUBLISHED: INDEX_NOT_PUBLISHED,
    R.INVALID_COMMAND: INVALID_CLEARING_COMMAND,
}

_CLEARING_REASONS: dict[int, str] = {
    R.NOT_ENOUGH_FUNDS: "the account's equity does not cover the initial margin of its "
    "positions and open orders with this order",
    R.INSUFFICIENT_FREE_COLLATERAL: "the amount exceeds the account's free collateral",
    R.POSITION_LIMIT: "the order could take the position beyond the position limit",
    R.ACCOUNT_SUSPENDED: "the account is suspended: reduce-only orders and cancels only",
    R.MAX_ORDER_SIZE: "amount is above the clearing house's maximum order size",
    R.INVALID_AMOUNT: "amount must be positive",
    R.CONTRACT_NOT_CLEARED: "the clearing house does not clear this instrument",
    R.UNKNOWN_ACCOUNT: "the account is not open at the clearing house",
    R.ACCOUNT_IN_DEFAULT: "the account is in default: it cannot place orders",
    R.MARGIN_CALL_PENDING: "the account has an unpaid margin call",
    R.INDEX_NOT_PUBLISHED: "the index has not been published for that day",
    R.INVALID_COMMAND: "the clearing house refused the command",
}

_CLEARING_PARAMS: dict[int, str] = {
    R.NOT_ENOUGH_FUNDS: "amount",
    R.POSITION_LIMIT: "amount",
    R.MAX_ORDER_SIZE: "amount",
    R.INVALID_AMOUNT: "amount",
    R.CONTRACT_NOT_CLEARED: "instrument_name",
}


def reject_error(reason: int, *, below_band: bool = False) -> RpcError:
    """Return the wire error for reject ``reason`` of an ``EV_REJECTED`` event.

    Engine rejects (``REJ_*``) map through ``REJECT_ERRORS``; ``below_band`` picks
    ``price_too_low`` over ``price_too_high`` for ``REJ_OUTSIDE_BAND``. Codes 19000-19049
    come from the sequencer's plug-ins: the clearing house's map through
    ``CLEARING_ERRORS``, the others go out as themselves.
    """
    if reason in CLEARING_ERRORS:
        error = CLEARING_ERRORS[reason]
        return RpcError(error, _CLEARING_REASONS[reason], _CLEARING_PARAMS.get(reason))
    if PRE_TRADE_REJECT_MIN <= reason <= PRE_TRADE_REJECT_MAX:
        return RpcError(
            ErrorCode(reason, "pre_trade_reject"), f"refused before matching ({reason})"
        )
    error = REJECT_ERRORS.get(reason, OTHER_REJECT)
    if reason == c.REJ_OUTSIDE_BAND and below_band:
        error = PRICE_TOO_LOW
    return RpcError(
        error, _REJECT_REASONS.get(reason, f"engine reject {reason}"), _REJECT_PARAMS.get(reason)
    )


def clearing_error(exc: Exception, account_param: str = "account_id") -> RpcError:
    """Return the wire error for a ``ClearingError`` the house raised (nothing changed).

    An unknown account → ``UNKNOWN_ACCOUNT`` (param ``account_param``); an amount that is
    not positive → ``INVALID_AMOUNT``; more than the free collateral →
    ``NOT_ENOUGH_FUNDS``; an account in default → ``ACCOUNT_IN_DEFAULT``; a missing
    index print → ``INDEX_NOT_PUBLISHED``; anything else → ``INVALID_CLEARING_COMMAND``.
    The house's message is the reason.
    """
    if isinstance(exc, UnknownAccount):
        return RpcError(UNKNOWN_ACCOUNT, str(exc), account_param)
    if isinstance(exc, InvalidAmount):
        return RpcError(INVALID_AMOUNT, str(exc), "amount")
    if isinstance(exc, InsufficientFreeCollateral):
        return RpcError(NOT_ENOUGH_FUNDS, str(exc), "amount")
    if isinstance(exc, AccountInDefault):
        return RpcError(ACCOUNT_IN_DEFAULT, str(exc), account_param)
    if isinstance(exc, IndexNotPublished):
        return RpcError(INDEX_NOT_PUBLISHED, str(exc))
    return RpcError(INVALID_CLEARING_COMMAND, str(exc))
