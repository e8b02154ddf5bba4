"""Fixtures: one real clearing-mode gateway with the game clock for tests/game, an
instructor client, and a factory of games with logged-in students."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server

USD = 1_000_000
_names = itertools.count(1)


@pytest.fixture(scope="session")
def game_server() -> Iterator[RunningServer]:
    """A clearing-mode gateway with a slow game clock (no daily close while tests run)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = gateway_settings(
        clearing=True,
        seconds_per_day=3_600.0,
        start_date="2027-01-04",
        self_url=f"ws://127.0.0.1:{port}/ws/api/v2",
    )
    running = start_server(settings, sock)
    yield running
    running.stop()


@pytest.fixture
def instructor(game_server: RunningServer) -> Iterator[RpcClient]:
    """A websocket client logged in as the administrator."""
    client = RpcClient(game_server.ws_url)
    client.login(ADMIN_ID, ADMIN_SECRET)
    yield client
    client.close()


@dataclass
class Student:
    """A joined, logged-in student."""

    client: RpcClient
    joined: dict[str, Any]

    @property
    def account(self) -> int:
        return int(self.joined["account_id"])

    @property
    def player_id(self) -> int:
        return int(self.joined["player_id"])

    @property
    def role(self) -> str:
        return str(self.joined["role"]["id"])


@dataclass
class GameHandle:
    """A game made for one test, its students and the instructor's client."""

    code: str
    server: RunningServer
    instructor: RpcClient
    students: list[Student] = field(default_factory=list)

    def admin(self, method: str, **params: Any) -> Any:
        return self.instructor.call(f"admin/game/{method}", code=self.code, **params)

    def join(self, name: str | None = None) -> Student:
        client = RpcClient(self.server.ws_url)
        joined = client.call(
            "public/game/join", code=self.code, name=name or f"student {next(_names)}"
        )
        client.login(joined["client_id"], joined["client_secret"])
        student = Student(client, joined)
        self.students.append(student)
        return student

    def contract(self, role: str) -> str:
        """Return the first contract of a role's objective."""
        state = self.instructor.call("admin/game/get_state", code=self.code)
        role_view = next(r for r in state["roles"] if r["id"] == role)
        return str(role_view["objective"]["months"][0])


@pytest.fixture
def make_game(
    game_server: RunningServer, instructor: RpcClient
) -> Iterator[Callable[..., GameHandle]]:
    """Return a factory of games (scenario ``intro`` by default); each is ended after the
    test so that the venue clock is not held by a game left in its lobby."""
    made: list[GameHandle] = []

    def make(scenario: str = "intro") -> GameHandle:
        created = instructor.call("admin/game/create", scenario=scenario)
        handle = GameHandle(created["code"], game_server, instructor)
        made.append(handle)
        return handle

    yield make
    for handle in made:
        if instructor.call("public/game/get_info", code=handle.code)["state"] != "ended":
            instructor.call("admin/game/end", code=handle.code)
        for student in handle.students:
            student.client.close()


def ref_price(server: RunningServer, instrument: str, ticks: int = 0) -> float:
    """Return the instrument's band reference moved by ``ticks`` ticks, dollars."""
    lst = server.gateway.instruments.get(instrument)
    return lst.to_wire(lst.ref + ticks * lst.tick)
