"""House bots refused by the server keep running: they count, log, back off and go on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from sim.house import BotFleet, NoiseParams
from tests.client.test_client import run
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server


@pytest.fixture(scope="module")
def unfunded() -> Iterator[RunningServer]:
    """A clearing-mode gateway whose new accounts get no cash: every order is 10009."""
    running = start_server(gateway_settings(clearing=True, clearing_deposit_micros=0))
    yield running
    running.stop()


def test_bots_whose_every_order_is_refused_for_funds_keep_running_and_stop_cleanly(
    unfunded: RunningServer,
) -> None:
    admin = RpcClient(unfunded.ws_url)
    admin.login(ADMIN_ID, ADMIN_SECRET)
    creds = []
    for i in range(2):
        made = admin.call("admin/create_account", name=f"broke-{i}")
        creds.append((made["client_id"], made["client_secret"]))
    admin.close()

    async def body() -> None:
        fleet = BotFleet(unfunded.ws_url, noise=NoiseParams(rate_per_s=20.0, marketable_share=0))
        await fleet.spawn("market_maker", 1, creds[:1], seed=3)
        await fleet.spawn("noise", 1, creds[1:], seed=3)
        await asyncio.sleep(2.0)
        during = {s["id"]: s for s in fleet.status()}
        alive = [not t.done() for t in fleet._tasks.values()]
        await fleet.stop()
        for s in during.values():
            assert s["state"] in ("running", "backing_off"), s
            assert s["refusals"].get("10009", 0) >= 2, s
            assert s["orders"] == 0 and "not_enough_funds" in (s["last_error"] or ""), s
        assert all(alive)
        assert during["mm-1"]["state"] == "backing_off"
        assert {s["state"] for s in fleet.status()} == {"stopped"}

    run(body(), timeout=30)
