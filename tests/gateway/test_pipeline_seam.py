"""The sequencing seam: the journaled pipeline of ``exchange.pipeline`` drops in for the
direct engine calls (gateway/sequencer.py), and its pre-trade rejects reach the wire."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from exchange import codes as c
from exchange.pipeline import Pipeline
from exchange.venue import Venue
from gateway import create_app
from gateway.sequencer import Sequencer
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server

BLOCKED_REJECT = 19_042


class BlockAccountTwo:
    """A pre-trade gate refusing every new order of account 2."""

    def check(self, cmd: np.ndarray) -> int:
        is_new = cmd[c.C_OP] == c.OP_NEW
        return BLOCKED_REJECT if is_new and cmd[c.C_ACCOUNT] == 2 else 0


pipelines: list[Pipeline] = []


def journaled(venue: Venue) -> Sequencer:
    pipeline = Pipeline(venue, gate=BlockAccountTwo())
    pipelines.append(pipeline)
    return pipeline


@pytest.fixture
def pipeline_server() -> Iterator[RunningServer]:
    pipelines.clear()
    running = start_server(gateway_settings(), app_factory=lambda s: create_app(s, journaled))
    yield running
    running.stop()


def test_orders_go_through_the_journal_and_the_gate(pipeline_server: RunningServer) -> None:
    admin = RpcClient(pipeline_server.ws_url)
    admin.login(ADMIN_ID, ADMIN_SECRET)
    clients = []
    for name in ("one", "two"):
        creds = admin.call("admin/create_account", name=name)
        client = RpcClient(pipeline_server.ws_url)
        client.login(creds["client_id"], creds["client_secret"])
        clients.append(client)
    one, two = clients
    name = one.call("public/get_instruments", currency="B200")[4]["instrument_name"]

    placed = one.call("private/sell", instrument_name=name, amount=2, price=5.90)
    refused = two.error("private/buy", instrument_name=name, amount=1, price=5.90)

    (pipeline,) = pipelines
    journal_ops = [int(e.cmd[c.C_OP]) for e in pipeline.journal]
    assert placed["order"]["order_state"] == "open"
    assert (refused["code"], refused["message"]) == (BLOCKED_REJECT, "pre_trade_reject")
    assert journal_ops.count(c.OP_NEW) == 2
    assert one.call("public/get_order_book", instrument_name=name)["asks"] == [[5.90, 2]]
