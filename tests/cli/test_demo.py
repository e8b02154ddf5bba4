"""``flopex demo`` (what ``make demo`` runs) as a real process: the exchange, house bots and
a classroom game come up, and the printed URLs and keys work."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.gateway.stubs import RpcClient

REPO = Path(__file__).resolve().parents[2]


def test_flopex_demo_serves_a_game_with_house_bots_and_prints_working_urls() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOPEX_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flopex", "demo", "--port", "0", "--duration", "120",
         "--seconds-per-day", "5", "--market-makers", "1", "--noise", "2"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # bounded: the banner or the process's end
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        assert "Press Ctrl-C" in text, text
        code = re.search(r"game code\s+([A-Z0-9]{6})", text)
        student = re.search(r"student screen\s+(\S+)", text)
        console = re.search(r"instructor console\s+(\S+)", text)
        ws_url = re.search(r"websocket API\s+(\S+)", text)
        assert code and student and console and ws_url, text

        with urllib.request.urlopen(student.group(1), timeout=10) as resp:
            assert resp.status == 200 and b'type="module"' in resp.read()
        url = urlparse(console.group(1))
        assert parse_qs(url.query)["code"] == [code.group(1)]
        creds = parse_qs(url.fragment)
        teacher = RpcClient(ws_url.group(1))
        try:
            auth = teacher.login(creds["client_id"][0], creds["client_secret"][0])
            assert auth["scope"] == "connection instructor"  # not the administrator key
            state = teacher.call("admin/game/get_state", code=code.group(1))
            assert state["state"] == "lobby"
            assert sorted(b["id"] for b in state["bots"]) == ["mm-1", "noise-1", "noise-2"]
            assert teacher.error("admin/create_account", name="x")["code"] == 13021
            quoted = []
            for _ in range(100):  # up to 20 s for the market maker's first quotes
                rows = teacher.call("public/get_book_summary_by_currency", currency="H100")
                quoted = [r for r in rows if r["bid_price"] and r["ask_price"]]
                if quoted:
                    break
                time.sleep(0.2)
            assert quoted, "the house market maker never quoted H100"
        finally:
            teacher.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(lines) + out
    assert "flopex demo: stopped" in out
