"""Clearing mode methods: index prices, margin calls, deposits and withdrawals (GW-13).

``public/get_index_price`` answers the simulated index of a product (USD per GPU-hour);
``private/get_margin_calls`` lists the caller's margin calls; ``admin/deposit`` and
``admin/withdraw`` move cash in and out of an account at the clearing house (USD on the
wire, µ$ inside: an amount must be a whole number of µ$). Without clearing mode they
answer -32601 like any unknown method. A refused request changes nothing.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from clearing.errors import ClearingError
from gateway.clearing_mode import ClearedSequencer
from gateway.clearing_views import ClearingPublisher
from gateway.dispatch import REGISTRY, Call, Params
from gateway.errors import (
    INVALID_AMOUNT,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    UNKNOWN_ACCOUNT,
    RpcError,
    clearing_error,
)
from gateway.methods.trading import account_of
from gateway.views import usd

MAX_TRANSFER_USD = 1_000_000_000_000
"""Largest single deposit or withdrawal, USD (keeps every balance far inside int64 µ$)."""


class IndexPriceParams(Params, frozen=True, kw_only=True):
    index_name: str


class TransferParams(Params, frozen=True, kw_only=True):
    account_id: int
    amount: float


def _cleared(call: Call, method: str) -> tuple[ClearedSequencer, ClearingPublisher]:
    cleared, publisher = call.gw.clearing, call.gw.clearing_publisher
    if cleared is None or publisher is None:
        raise RpcError(METHOD_NOT_FOUND, f"{method} needs clearing mode", "method")
    return cleared, publisher


def micros_of_usd(amount: float) -> int:
    """Return a positive USD amount as µ$; ``RpcError`` ``INVALID_AMOUNT`` unless it is a
    finite number above 0, at most ``MAX_TRANSFER_USD``, with at most 6 decimals."""
    if not math.isfinite(amount) or amount <= 0:
        raise RpcError(
            INVALID_AMOUNT, f"amount must be a positive number of USD, got {amount}", "amount"
        )
    if amount > MAX_TRANSFER_USD:
        raise RpcError(INVALID_AMOUNT, f"amount must be at most {MAX_TRANSFER_USD} USD", "amount")
    try:
        micros = Decimal(repr(amount)) * 1_000_000
    except InvalidOperation:  # pragma: no cover - repr of a finite float always parses
        raise RpcError(INVALID_AMOUNT, "amount is not a number", "amount") from None
    if micros != micros.to_integral_value():
        raise RpcError(INVALID_AMOUNT, "amount must be a whole number of micro-dollars", "amount")
    return int(micros)


def _transfer(call: Call, p: TransferParams, method: str, deposit: bool) -> dict[str, object]:
    cleared, _ = _cleared(call, method)
    micros = micros_of_usd(p.amount)
    if p.account_id not in call.gw.auth.accounts:
        raise RpcError(UNKNOWN_ACCOUNT, f"no account {p.account_id}", "account_id")
    try:
        if deposit:
            cleared.deposit(p.account_id, micros)
        else:
            cleared.withdraw(p.account_id, micros)
    except ClearingError as exc:
        raise clearing_error(exc) from None
    house = cleared.house
    margin_call = house.calls.open.get(p.account_id)
    return {
        "account_id": p.account_id,
        "currency": "USD",
        "amount": usd(micros),
        "balance": usd(house.ledger.cash(p.account_id)),
        "equity": usd(house.equity(p.account_id)),
        "margin_call_outstanding": usd(margin_call.outstanding if margin_call else 0),
    }


@REGISTRY.method("public/get_index_price", IndexPriceParams)
async def get_index_price(call: Call, p: IndexPriceParams) -> dict[str, object]:
    """Return ``{index_price, estimated_delivery_price}`` of index ``index_name``
    (``h100_usd`` …), USD per GPU-hour."""
    _, publisher = _cleared(call, "public/get_index_price")
    for code, spec in publisher.feed.products.items():
        if spec.index_name == p.index_name:
            return publisher.index_view(code)
    names = ", ".join(sorted(s.index_name for s in publisher.feed.products.values()))
    raise RpcError(INVALID_PARAMS, f"unknown index {p.index_name!r} (one of {names})", "index_name")


@REGISTRY.method("private/get_margin_calls", Params, access="read")
async def get_margin_calls(call: Call, p: Params) -> list[dict[str, object]]:
    """Return the account's margin calls, newest first: ``state`` (``open``, ``met``,
    ``defaulted``), ``amount``, ``paid``, ``outstanding`` (USD), ``timestamp`` and
    ``deadline`` (ms, venue clock)."""
    _, publisher = _cleared(call, "private/get_margin_calls")
    return publisher.margin_calls(account_of(call))


@REGISTRY.method("admin/deposit", TransferParams, access="admin")
async def deposit(call: Call, p: TransferParams) -> dict[str, object]:
    """Deposit ``amount`` USD into ``account_id`` at the clearing house (pays towards a
    margin call); return the new balance."""
    return _transfer(call, p, "admin/deposit", deposit=True)


@REGISTRY.method("admin/withdraw", TransferParams, access="admin")
async def withdraw(call: Call, p: TransferParams) -> dict[str, object]:
    """Withdraw ``amount`` USD of ``account_id``'s free collateral; return the new
    balance (10009 ``not_enough_funds`` above the free collateral)."""
    return _transfer(call, p, "admin/withdraw", deposit=False)
