"""Errors of the classroom game: the wire codes it answers with and helpers to build them.

Every refusal names what was wrong in words a student or a teacher can act on. The codes
are Deribit's: 13028 ``temporarily_unavailable`` for trading outside an open round, 11050
``bad_request`` for an unknown game, 11029 ``invalid_arguments`` for a bad parameter or
an action the game's state does not allow, 10021 and 10018 for the game's order limits.
"""

from __future__ import annotations

from gateway.errors import (
    BAD_REQUEST,
    INVALID_AMOUNT,
    INVALID_ARGUMENTS,
    POSITION_LIMIT,
    ErrorCode,
    RpcError,
)

TEMPORARILY_UNAVAILABLE = ErrorCode(13028, "temporarily_unavailable")

__all__ = [
    "BAD_REQUEST",
    "INVALID_AMOUNT",
    "INVALID_ARGUMENTS",
    "POSITION_LIMIT",
    "TEMPORARILY_UNAVAILABLE",
    "bad",
    "no_game",
]


def bad(reason: str, param: str | None = None) -> RpcError:
    """Return an 11029 ``invalid_arguments`` error with ``reason`` (and the parameter)."""
    return RpcError(INVALID_ARGUMENTS, reason, param)


def no_game(code: str) -> RpcError:
    """Return the 11050 ``bad_request`` error for an unknown game code."""
    return RpcError(BAD_REQUEST, f"no game with code {code!r}", "code")
