"""The error table (gateway/errors.py, docs/protocol.md GW-8) covers every engine and
clearing-house reject."""

from __future__ import annotations

from pathlib import Path

from clearing.ops import ClearingReject, wire_code
from exchange import codes as c
from gateway import errors
from gateway.errors import CLEARING_ERRORS, REJECT_ERRORS, reject_error


def test_every_engine_reject_has_a_wire_error() -> None:
    rejects = {v for k, v in vars(c).items() if k.startswith("REJ_")}

    assert set(REJECT_ERRORS) == rejects


def test_a_band_reject_names_the_side_of_the_band_that_was_crossed() -> None:
    above = reject_error(c.REJ_OUTSIDE_BAND)
    below = reject_error(c.REJ_OUTSIDE_BAND, below_band=True)

    assert (above.code, above.message, above.param) == (10007, "price_too_high", "price")
    assert (below.code, below.message) == (10005, "price_too_low")


def test_the_protocol_page_lists_every_error_code_the_gateway_can_send() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    codes = [v for v in vars(errors).values() if isinstance(v, errors.ErrorCode)]

    missing = [e for e in codes if f"| {e.code} | {e.message} |" not in page]

    assert missing == []


def test_every_clearing_reject_has_a_wire_error_with_its_deribit_code() -> None:
    assert set(CLEARING_ERRORS) == set(ClearingReject)
    assert {r: CLEARING_ERRORS[r].code for r in ClearingReject} == {
        r: wire_code(r) for r in ClearingReject
    }


def test_clearing_rejects_reach_the_wire_as_deribit_codes() -> None:
    funds = reject_error(ClearingReject.NOT_ENOUGH_FUNDS)
    limit = reject_error(ClearingReject.POSITION_LIMIT)
    default = reject_error(ClearingReject.ACCOUNT_IN_DEFAULT)

    assert (funds.code, funds.message) == (10009, "not_enough_funds")
    assert limit.code == 10018
    assert (default.code, default.message) == (19012, "account_in_default")
