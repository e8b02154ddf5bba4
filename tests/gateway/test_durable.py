"""Durable gateway in process: snapshots plus journal tail restore the same state as a
full replay, damaged snapshots are skipped, labels and keys survive (GW-11)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import gateway.methods  # noqa: F401  (registers every method)
from exchange import codes as c
from gateway.auth import Role
from gateway.commands import CancelOrders, PlaceOrder
from gateway.core import Gateway
from gateway.durable import JOURNAL_FILE, KEYS_FILE
from gateway.settings import Settings


def _settings(data_dir: Path, **kw: object) -> Settings:
    base: dict[str, object] = {"data_dir": str(data_dir), "journal_fsync": "never",
                               "scrypt_n": 1 << 10}  # fmt: skip
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def _trade(gw: Gateway, n: int, snapshot: bool = True) -> None:
    name = [x for x in sorted(gw.instruments.by_name) if x.startswith("B200")][4]
    ref = gw.instruments.by_name[name].ref
    for i in range(n):
        out = gw.pipeline.execute(PlaceOrder(
            account=1 + i % 3, instrument_name=name, side=i % 2, type=c.TYPE_LIMIT,
            tif=c.TIF_GTC, flags=0, qty=1 + i % 4, price=ref + i % 5 - 2, label=f"L{i}",
        ))  # fmt: skip
        if i % 7 == 3 and out.order is not None and out.order.is_open:
            gw.pipeline.execute(CancelOrders(account=out.order.account,
                                             order_ids=(out.order.order_id,)))  # fmt: skip
        if snapshot:
            gw.maybe_snapshot()


def _picture(gw: Gateway) -> tuple[object, ...]:
    orders = sorted((o.order_id, o.label, o.state, o.filled, o.cancel_reason)
                    for o in gw.orders.orders.values())  # fmt: skip
    fills = sorted((f.trade_id, f.order_id, f.qty) for a in (1, 2, 3) for f in gw.orders.fills(a))
    books = sorted((n, d.book.change_id) for n, d in gw.market.data.items())
    return gw.state_hash(), orders, fills, books, gw.pipeline.last_ts


def _stop(gw: Gateway) -> None:
    asyncio.run(gw.stop())


def test_snapshot_plus_tail_equals_full_replay(tmp_path: Path) -> None:
    gw = Gateway(_settings(tmp_path, snapshot_every=25))
    _trade(gw, 90)
    before = _picture(gw)
    assert gw.durable is not None
    gw.durable.close()  # a crash: no snapshot at stop
    snaps = sorted(tmp_path.glob("snapshot-*.flxs"))
    assert len(snaps) == 2

    again = Gateway(_settings(tmp_path, snapshot_every=25))
    assert _picture(again) == before
    _stop(again)

    for s in tmp_path.glob("snapshot-*.flxs"):
        s.unlink()
    full = Gateway(_settings(tmp_path, snapshot_every=0))
    assert _picture(full)[:3] == before[:3]  # book change ids restart from a new base
    _stop(full)


def test_a_damaged_snapshot_is_skipped_for_an_older_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gw = Gateway(_settings(tmp_path, snapshot_every=20))
    _trade(gw, 60)
    before = _picture(gw)
    assert gw.durable is not None
    gw.durable.close()
    newest = sorted(tmp_path.glob("snapshot-*.flxs"))[-1]
    data = bytearray(newest.read_bytes())
    data[-10] ^= 1
    newest.write_bytes(bytes(data))
    again = Gateway(_settings(tmp_path, snapshot_every=20))
    assert "checksum mismatch" in caplog.text
    assert _picture(again)[:3] == before[:3]
    _stop(again)


def test_a_clean_stop_snapshots_and_restarts_without_replay(tmp_path: Path) -> None:
    gw = Gateway(_settings(tmp_path))
    _trade(gw, 30, snapshot=False)
    before = _picture(gw)
    _stop(gw)
    again = Gateway(_settings(tmp_path))
    assert again.durable is not None
    assert _picture(again) == before
    assert sorted(tmp_path.glob("snapshot-*.flxs"))[-1].name.endswith(
        f"{again.durable.pipeline.seq:012d}.flxs"
    )
    _stop(again)


def test_accounts_and_keys_survive_without_secrets_on_disk(tmp_path: Path) -> None:
    gw = Gateway(_settings(tmp_path))
    account = gw.auth.create_account("alice")
    key, secret = gw.auth.create_key(Role.TRADER, account, 1, name="alice")
    _stop(gw)
    assert secret not in (tmp_path / KEYS_FILE).read_text()
    again = Gateway(_settings(tmp_path))
    assert again.auth.check_secret(key.client_id, secret).account == account
    assert again.auth.create_account("bob") == account + 1
    _stop(again)


def test_without_a_data_dir_nothing_is_written(tmp_path: Path) -> None:
    gw = Gateway(Settings(scrypt_n=1 << 10))
    _trade(gw, 5)
    assert gw.durable is None and not (tmp_path / JOURNAL_FILE).exists()
