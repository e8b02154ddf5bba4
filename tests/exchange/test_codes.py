"""The kernel's module-level codes and their Python IntEnum mirrors agree (exchange/codes.py)."""

from __future__ import annotations

from enum import IntEnum

import pytest

from exchange import codes as c

# enum -> prefix of the module constants it mirrors
MIRRORS: list[tuple[type[IntEnum], str]] = [
    (c.Op, "OP_"),
    (c.Side, "SIDE_"),
    (c.OrderType, "TYPE_"),
    (c.Tif, "TIF_"),
    (c.Param, "PARAM_"),
    (c.Status, "STATUS_"),
    (c.Smp, "SMP_"),
    (c.Ev, "EV_"),
    (c.Reject, "REJ_"),
    (c.CancelReason, "CXL_"),
]
NOT_CODES = {"EV_WIDTH", "FLAG_ALL"}


def constants(prefix: str) -> dict[str, int]:
    """Return the module's int constants named ``prefix...`` (suffix -> value)."""
    return {
        name.removeprefix(prefix): value
        for name, value in vars(c).items()
        if name.startswith(prefix) and name not in NOT_CODES and isinstance(value, int)
    }


@pytest.mark.parametrize(("enum", "prefix"), MIRRORS, ids=[e.__name__ for e, _ in MIRRORS])
def test_every_kernel_constant_has_an_enum_member_with_the_same_value(
    enum: type[IntEnum], prefix: str
) -> None:
    expected = constants(prefix)
    assert {m.name: int(m.value) for m in enum} == expected


def test_flags_mirror_the_flag_bits_and_flag_all_covers_them() -> None:
    assert {m.name: int(m.value) for m in c.Flag} == constants("FLAG_")
    bits = [int(m) for m in c.Flag]
    assert all(b & (b - 1) == 0 for b in bits)  # one bit each
    assert sum(bits) == c.FLAG_ALL


def test_counts_and_masks_match_the_codes_they_count() -> None:
    assert max(c.Reject) + 1 == c.N_REJECTS
    assert max(c.Ev) + 1 == c.N_EVENT_KINDS
    assert max(c.Param) + 1 == c.N_PARAMS
    assert all((c.EMIT_ALL >> int(k)) & 1 for k in c.Ev)
    assert c.EMIT_TRADES == 1 << c.EV_TRADE


def test_row_columns_are_distinct_and_fill_their_widths() -> None:
    cmd = sorted(v for k, v in vars(c).items() if k.startswith("C_") and isinstance(v, int))
    ev = sorted(v for k, v in vars(c).items() if k.startswith("E_") and isinstance(v, int))
    assert cmd == list(range(c.CMD_WIDTH))
    assert ev == list(range(c.EV_WIDTH))
