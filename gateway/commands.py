"""Commands the gateway sends to its pipeline task: imperative, frozen, one tagged union.

Handlers build these after decoding and authorising a request; the pipeline task
stamps them with the venue clock, turns them into engine rows and sequences them. They
carry engine units (price units, contracts) and the acting account, never wire floats.
Being tagged msgspec Structs, they can be journaled and read back with one decoder.
"""

from __future__ import annotations

import msgspec


class PlaceOrder(msgspec.Struct, frozen=True, tag_field="command", tag="place", kw_only=True):
    """Enter a new order for ``account`` (price units, contracts; ``price`` 0 for market)."""

    account: int
    instrument_name: str
    side: int
    type: int
    tif: int
    flags: int
    qty: int
    price: int = 0
    trigger: int = 0
    good_til_day: bool = False
    label: str = ""
    connection: int = 0


class EditOrder(msgspec.Struct, frozen=True, tag_field="command", tag="edit", kw_only=True):
    """Change an order's price and total amount (``amount`` includes what already filled)."""

    account: int
    order_id: int
    amount: int
    price: int
    trigger: int = 0


class CancelOrders(msgspec.Struct, frozen=True, tag_field="command", tag="cancel", kw_only=True):
    """Cancel the listed orders of ``account``, each on its own.

    Orders no longer open are skipped, or, with ``strict``, make the command fail.
    """

    account: int
    order_ids: tuple[int, ...]
    reason: str = "user_request"
    strict: bool = False


class MassCancel(msgspec.Struct, frozen=True, tag_field="command", tag="mass_cancel", kw_only=True):
    """Cancel every open order of ``account``, in one instrument or (``None``) all of them.

    ``connection`` > 0 limits it to the orders placed through that websocket connection,
    chosen when the command is sequenced (so orders queued before it are included).
    """

    account: int
    instrument_name: str | None = None
    connection: int = 0
    reason: str = "user_request"


class ClockTick(msgspec.Struct, frozen=True, tag_field="command", tag="tick"):
    """Move the venue clock to now: roll contracts and expire good-til-day orders."""


Command = PlaceOrder | EditOrder | CancelOrders | MassCancel | ClockTick
