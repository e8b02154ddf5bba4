"""``flopex serve`` runs the gateway as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.gateway.stubs import RpcClient, http_get

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_flopex_serve_answers_on_http_and_websocket_until_interrupted() -> None:
    port = free_port()
    env = {**os.environ, "FLOPEX_ADMIN_CLIENT_ID": "root", "FLOPEX_ADMIN_CLIENT_SECRET": "pw"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flopex", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        status, health = 0, {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, health = http_get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        client = RpcClient(f"ws://127.0.0.1:{port}/ws/api/v2")
        tokens = client.login("root", "pw")
        client.close()
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)

    assert status == 200 and health["status"] == "ok", output
    assert tokens["scope"] == "connection admin"
    assert proc.returncode == 0, output
