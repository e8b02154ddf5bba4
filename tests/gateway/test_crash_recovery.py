"""kill -9 in the middle of trading loses nothing that was acknowledged.

``flopex serve --data-dir`` runs as a real process; two accounts trade over real
websockets while a thread records every acknowledged order and trade; the process is
SIGKILLed mid-stream and restarted on the same directory. Every acknowledged order and
trade is still there, positions (from the trades) agree, and the state hash equals that
of a fresh in-process pipeline fed the journaled commands. The server snapshots every
30 commands, so the restart restores the newest snapshot plus the journal after it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exchange.journal import encode_record, scan
from exchange.pipeline import JournalEntry, Pipeline
from exchange.venue import Venue
from gateway.durable import JOURNAL_FILE
from tests.gateway.stubs import RpcClient, http_get
from tests.gateway.test_serve_command import REPO, free_port

ADMIN, SECRET = "root", "pw"
MAX_ROUNDS = 400
KILL_AFTER_ACKS = 40
START_TIMEOUT_S = 60.0
SNAPSHOT_EVERY = 30


class Server:
    """One ``flopex serve --data-dir`` process."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "FLOPEX_ADMIN_CLIENT_ID": ADMIN,
            "FLOPEX_ADMIN_CLIENT_SECRET": SECRET,
            "FLOPEX_MASTER_KEY": "11" * 32,
            "FLOPEX_SNAPSHOT_EVERY": str(SNAPSHOT_EVERY),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flopex", "serve", "--port", str(self.port),
             "--data-dir", str(data_dir), "--fsync", "always"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if http_get(f"http://127.0.0.1:{self.port}/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server did not start: {self.output}")

    output = ""

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/api/v2"

    def client(self, client_id: str, secret: str) -> RpcClient:
        client = RpcClient(self.url)
        client.login(client_id, secret)
        return client

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.output, _ = self.proc.communicate(timeout=20)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.output, _ = self.proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.output, _ = self.proc.communicate(timeout=20)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    made: list[Server] = []
    yield made
    for s in made:
        s.stop()


class Trading(threading.Thread):
    """Two accounts trading: a sells 2, b lifts 1 of it; every ack is recorded."""

    def __init__(self, a: RpcClient, b: RpcClient, instrument: str) -> None:
        super().__init__(daemon=True)
        self.a, self.b, self.instrument = a, b, instrument
        self.orders: dict[str, tuple[str, dict[str, Any]]] = {}
        """Acknowledged order id -> (who, order as acknowledged)."""
        self.trades: dict[str, tuple[str, dict[str, Any]]] = {}
        self.acks = 0
        self.error: BaseException | None = None

    def _ack(self, who: str, answer: dict[str, Any]) -> None:
        order = answer["order"]
        self.orders[order["order_id"]] = (who, order)
        for t in answer["trades"]:
            self.trades[t["trade_id"]] = (who, t)
        self.acks += 1

    def run(self) -> None:
        try:
            for i in range(MAX_ROUNDS):
                px = round(5.80 + (i % 10) * 0.01, 2)
                self._ack("a", self.a.call("private/sell", instrument_name=self.instrument,
                                           amount=2, price=px, label=f"s{i}"))  # fmt: skip
                self._ack("b", self.b.call("private/buy", instrument_name=self.instrument,
                                           amount=1, price=px, label=f"b{i}"))  # fmt: skip
        except BaseException as exc:  # the server was killed under us
            self.error = exc


def test_sigkill_mid_trading_then_restart_keeps_every_acknowledged_order_and_trade(
    tmp_path: Path, servers: list[Server]
) -> None:
    first = Server(tmp_path)
    servers.append(first)
    admin = first.client(ADMIN, SECRET)
    creds = {who: admin.call("admin/create_account", name=who) for who in ("a", "b")}
    admin.close()
    clients = {w: first.client(c["client_id"], c["client_secret"]) for w, c in creds.items()}
    name = clients["a"].call("public/get_instruments", currency="B200")[4]["instrument_name"]

    trading = Trading(clients["a"], clients["b"], name)
    trading.start()
    deadline = time.monotonic() + 60
    while trading.acks < KILL_AFTER_ACKS and trading.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert trading.is_alive(), f"trading stopped early: {trading.error!r}"
    first.kill()  # mid-stream: the thread is still sending
    trading.join(timeout=20)
    assert not trading.is_alive()
    for c in clients.values():
        c.ws.close_socket()
    orders, trades = dict(trading.orders), dict(trading.trades)
    assert len(orders) >= KILL_AFTER_ACKS and trades
    # As if the kill had landed in the middle of writing one more record.
    journal = tmp_path / JOURNAL_FILE
    found = scan(journal)
    torn_at = found.good_end
    last, _ = found.records[-1]
    with open(journal, "ab") as f:
        f.write(encode_record(JournalEntry(last.seq + 1, last.cmd))[:-7])

    second = Server(tmp_path)
    servers.append(second)
    again = {w: second.client(c["client_id"], c["client_secret"]) for w, c in creds.items()}

    for oid, (who, acked) in orders.items():
        now = again[who].call("private/get_order_state", order_id=oid)
        for key in ("instrument_name", "direction", "price", "amount", "label"):
            assert now[key] == acked[key], (oid, key)
        assert now["filled_amount"] >= acked["filled_amount"], oid
        assert now["order_state"] in ("open", "filled"), oid
    position = {}
    for who, client in again.items():
        mine = client.call(
            "private/get_user_trades_by_instrument", instrument_name=name, count=1_000
        )["trades"]
        by_id = {t["trade_id"]: t for t in mine}
        for tid, (owner, acked) in trades.items():
            if owner == who:
                assert tid in by_id, tid
                for key in ("order_id", "price", "amount", "direction"):
                    assert by_id[tid][key] == acked[key], (tid, key)
        position[who] = sum(t["amount"] * (1 if t["direction"] == "buy" else -1) for t in mine)
    assert position["a"] == -position["b"] < 0

    admin = second.client(ADMIN, SECRET)
    answer = admin.call("private/get_state_hash")
    refused = again["a"].error("private/get_state_hash")
    admin.close()
    for c in again.values():
        c.close()
    assert refused["code"] != 0

    fresh = Pipeline(Venue())
    fresh.replay(e for e, _ in scan(tmp_path / JOURNAL_FILE).records if e.seq <= answer["seq"])
    assert fresh.seq == answer["seq"]
    assert fresh.state_hash() == answer["state_hash"]
    second.stop()
    assert f"torn last record at offset {torn_at}" in second.output, second.output
    assert f"(seq {last.seq}, snapshot at seq " in second.output, second.output
