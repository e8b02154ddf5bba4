"""Malformed input of any kind gets an error answer; the connection and pipeline live on
(docs/protocol.md GW-7, GW-8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.dispatch import REGISTRY
from tests.gateway.conftest import Instrument, Trader
from tests.gateway.stubs import RpcClient, RunningServer

# Methods that change the connection itself (heartbeats, subscriptions, logout) would
# make the next message something other than the answer; they are tested elsewhere.
SAFE_METHODS = sorted(
    m for m in REGISTRY.methods
    if not any(w in m for w in ("heartbeat", "subscribe", "logout"))
)  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
param_names = st.sampled_from(
    ["instrument_name", "amount", "price", "type", "order_id", "currency", "depth",
     "grant_type", "client_id", "channels", "label", "time_in_force", "count"]
)  # fmt: skip
requests = st.fixed_dictionaries(
    {"method": st.sampled_from(SAFE_METHODS) | st.text(max_size=30)},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", 2]),
        "id": st.integers() | st.text(max_size=8) | st.none() | st.floats(allow_nan=False),
        "params": st.dictionaries(param_names, json_values, max_size=5) | json_values,
    },
)
well_formed = st.fixed_dictionaries(
    {
        "jsonrpc": st.just("2.0"),
        "id": st.integers(0, 2**31),
        "method": st.sampled_from(SAFE_METHODS),
        "params": st.dictionaries(param_names, json_values, max_size=5),
    }
)
frames = (
    well_formed.map(json.dumps)
    | requests.map(json.dumps)
    | json_values.map(json.dumps)
    | st.text(max_size=200)
    | st.binary(max_size=200)
)


def test_each_malformed_request_gets_its_json_rpc_error(server: RunningServer) -> None:
    client = RpcClient(server.ws_url)
    cases: list[tuple[Any, int]] = [
        ("{not json", -32700),
        ("[1, 2, 3]", -32600),
        ('{"jsonrpc":"1.0","id":5,"method":"public/test"}', -32600),
        ('{"jsonrpc":"2.0","id":6,"method":42}', -32600),
        ('{"jsonrpc":"2.0","id":7,"method":"public/frobnicate"}', -32601),
        (
            '{"jsonrpc":"2.0","id":8,"method":"public/get_order_book","params":{"instrument_name":7}}',
            -32602,
        ),
        ('{"jsonrpc":"2.0","id":9,"method":"public/get_order_book","params":[1]}', -32602),
        (
            '{"jsonrpc":"2.0","id":10,"method":"public/get_time","params":{"x":'
            + "1" * 20_000
            + "}}",
            11050,
        ),
        (b"\xff\xfe\x00garbage", -32700),
    ]

    answers = []
    for frame, _ in cases:
        client.send_raw(frame)
        answers.append(client.recv())

    assert [a["error"]["code"] for a in answers] == [code for _, code in cases]
    assert [a["id"] for a in answers] == [None, None, 5, 6, 7, 8, 9, None, None]
    assert answers[5]["error"]["data"]["param"] == "instrument_name"
    assert client.call("public/test")["version"]
    client.close()


def test_fuzzed_frames_never_break_the_connection_or_the_pipeline(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    client = RpcClient(server.ws_url)

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(frame=frames)
    def answered(frame: str | bytes) -> None:
        client.send_raw(frame)
        msg = client.recv()
        assert msg["jsonrpc"] == "2.0" and ("result" in msg or "error" in msg)
        if "error" in msg:
            assert isinstance(msg["error"]["code"], int) and msg["error"]["message"]

    answered()

    assert client.call("public/test")["version"]
    alice, bob = make_trader().client, make_trader().client
    alice.call("private/sell", instrument_name=instrument.name, amount=1, price=instrument.ref)
    filled = bob.call(
        "private/buy", instrument_name=instrument.name, amount=1, price=instrument.ref
    )
    assert filled["order"]["order_state"] == "filled"
    client.close()
