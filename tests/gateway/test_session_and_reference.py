"""Session methods, reference data and the HTTP transport (docs/protocol.md GW-1, GW-2, GW-4)."""

from __future__ import annotations

import json
import time

from tests.gateway.conftest import Instrument
from tests.gateway.stubs import RpcClient, RunningServer, http_get, http_post


def test_every_answer_carries_the_deribit_envelope(server: RunningServer) -> None:
    client = RpcClient(server.ws_url)
    before_us = time.time_ns() // 1_000

    msg = client.request("public/test")

    assert msg["jsonrpc"] == "2.0" and msg["id"] == 1
    assert msg["result"]["version"]
    assert before_us <= msg["usIn"] <= msg["usOut"]
    assert msg["usDiff"] == msg["usOut"] - msg["usIn"]
    assert msg["testnet"] is True
    client.close()


def test_hello_time_and_status_answer(server: RunningServer) -> None:
    client = RpcClient(server.ws_url)

    hello = client.call("public/hello", client_name="bot", client_version="1")
    now_ms = client.call("public/get_time")
    status = client.call("public/status")

    assert "version" in hello
    assert abs(now_ms - time.time() * 1_000) < 5_000
    assert status["locked"] == "false"
    client.close()


def test_instruments_are_deribit_shaped_with_the_gpu_hour_fields(server: RunningServer) -> None:
    client = RpcClient(server.ws_url)

    h100 = client.call("public/get_instruments", currency="H100", kind="future")
    everything = client.call("public/get_instruments", currency="any")
    currencies = client.call("public/get_currencies")

    assert len(h100) == 36 and len(everything) == 108
    first = h100[0]
    assert first["instrument_name"].startswith("H100-") and "." not in first["instrument_name"]
    assert first["kind"] == "future" and first["base_currency"] == "H100"
    assert first["settlement_currency"] == "USD" and first["settlement_period"] == "month"
    assert first["contract_size"] == 730 and first["tick_size"] == 0.01
    assert first["unit"] == "gpu_hour" and first["settlement_type"] == "cash"
    assert first["settlement_method"] == "monthly_average" and first["index_name"] == "h100_usd"
    assert first["delivery_start"] < first["delivery_end"]
    assert first["creation_timestamp"] < first["expiration_timestamp"]
    expiries = [x["expiration_timestamp"] for x in h100]
    assert expiries == sorted(expiries)
    assert [c["currency"] for c in currencies] == ["USD"]
    client.close()


def test_an_unknown_currency_is_an_invalid_params_error(server: RunningServer) -> None:
    client = RpcClient(server.ws_url)

    err = client.error("public/get_instruments", currency="BTC")

    assert err["code"] == 10020 and err["data"]["param"] == "currency"
    client.close()


def test_http_get_and_post_reach_the_same_dispatcher(
    server: RunningServer, instrument: Instrument
) -> None:
    base = server.http_url

    status, book = http_get(
        f"{base}/api/v2/public/get_order_book?instrument_name={instrument.name}&depth=5"
    )
    post_status, post = http_post(
        f"{base}/api/v2",
        json.dumps({"jsonrpc": "2.0", "id": 7, "method": "public/ticker",
                    "params": {"instrument_name": instrument.name}}).encode(),
    )  # fmt: skip
    bad_status, bad = http_get(f"{base}/api/v2/public/no_such_method")
    ws_only_status, ws_only = http_get(f"{base}/api/v2/public/subscribe?channels=x")

    assert status == 200 and book["result"]["instrument_name"] == instrument.name
    assert "usIn" in book and book["jsonrpc"] == "2.0"
    assert post_status == 200 and post["id"] == 7
    assert post["result"]["min_price"] < instrument.ref < post["result"]["max_price"]
    assert bad_status == 400 and bad["error"]["code"] == -32601
    assert ws_only_status == 400 and ws_only["error"]["code"] == 10030


def test_healthz_reports_the_running_pipeline(server: RunningServer) -> None:
    status, body = http_get(f"{server.http_url}/healthz")

    assert status == 200
    assert body["status"] == "ok" and body["instruments"] == 108
