"""``flopex bots`` as a real process against a real gateway."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET
from tests.gateway.stubs import RpcClient, RunningServer

REPO = Path(__file__).resolve().parents[3]


def test_flopex_bots_creates_accounts_trades_for_the_duration_and_cancels_on_exit(
    server: RunningServer,
) -> None:
    env = {
        **os.environ,
        "FLOPEX_ADMIN_CLIENT_ID": ADMIN_ID,
        "FLOPEX_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "flopex", "bots", "--url", server.ws_url,
         "--market-makers", "1", "--noise", "2", "--seed", "1", "--duration", "3"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    out = proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"3 of 3 bots trading on {server.ws_url} (seed 1)" in out
    rows = re.findall(r"^\s*(mm-1|noise-1|noise-2) stopped\s+orders\s+(\d+)", out, re.M)
    assert sorted(r[0] for r in rows) == ["mm-1", "noise-1", "noise-2"], out
    assert all(int(n) > 0 for _, n in rows), out
    # Every bot cancelled its orders on the way out: the books it quoted are empty again.
    look = RpcClient(server.ws_url)
    names = [x["instrument_name"] for x in look.call("public/get_instruments", currency="any")]
    front = [n for n in names if n.split("-")[0] in ("H100", "B200", "A100")]
    books = [look.call("public/get_order_book", instrument_name=n, depth=1) for n in front]
    look.close()
    assert [b["instrument_name"] for b in books if b["bids"] or b["asks"]] == []


def test_flopex_bots_without_an_administrator_key_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOPEX_ADMIN")}
    proc = subprocess.run(
        [sys.executable, "-m", "flopex", "bots", "--url", "ws://127.0.0.1:9/ws/api/v2"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 2 and "--admin-id" in proc.stderr


def test_flopex_bots_gives_up_when_no_exchange_answers_within_the_wait() -> None:
    env = {**os.environ, "FLOPEX_ADMIN_CLIENT_ID": "a", "FLOPEX_ADMIN_CLIENT_SECRET": "b"}
    proc = subprocess.run(
        [sys.executable, "-m", "flopex", "bots", "--url", "ws://127.0.0.1:9/ws/api/v2",
         "--wait", "1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode == 1 and "did not answer" in proc.stderr


def test_flopex_bots_stops_cleanly_on_sigterm(server: RunningServer) -> None:
    env = {
        **os.environ,
        "FLOPEX_ADMIN_CLIENT_ID": ADMIN_ID,
        "FLOPEX_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "flopex", "bots", "--url", server.ws_url,
         "--market-makers", "1", "--noise", "1", "--duration", "60"],  # bounds readline
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "flopex bots: 2 of 2 bots trading on …"
        assert "2 of 2 bots trading" in first, first
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert re.search(r"^\s*mm-1 stopped", rest, re.M) and re.search(
        r"^\s*noise-1 stopped", rest, re.M
    )
