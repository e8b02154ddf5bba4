"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is parsed with PyYAML and held to the Compose specification's rules
that matter here; every service's command must be one the ``flopex`` command line
accepts, with settings the gateway accepts; the image's health check is run against a
real gateway.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from flopex.cli import build_parser, serve_overrides
from gateway.settings import Settings
from tests.gateway.conftest import gateway_settings
from tests.gateway.stubs import start_server

REPO = Path(__file__).resolve().parents[1]
# Service keys of the Compose specification (compose-spec.json) this project may use.
SERVICE_KEYS = {
    "build", "image", "command", "environment", "ports", "healthcheck", "restart",
    "depends_on", "volumes", "profiles", "env_file", "container_name", "stop_signal",
    "stop_grace_period",
}  # fmt: skip
HEALTHCHECK_KEYS = {
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "start_interval",
    "disable",
}
DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")
VARIABLE = re.compile(r"\$\{(\w+):-([^}]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def interpolate(value: str) -> str:
    """Substitute ``${NAME:-default}`` with its default, as Compose does when NAME is unset."""
    return VARIABLE.sub(lambda m: m.group(2), value)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict)
    return {k: interpolate(str(v)) for k, v in env.items()}


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    assert set(compose) <= {"services", "volumes", "networks", "name"}  # no obsolete `version`
    for name, service in compose["services"].items():
        assert re.fullmatch(r"[a-zA-Z0-9._-]+", name)
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
        assert isinstance(service["command"], list) and all(
            isinstance(a, str) for a in service["command"]
        )
        check = service.get("healthcheck", {})
        assert set(check) <= HEALTHCHECK_KEYS, name
        for key in ("interval", "timeout", "start_period", "start_interval"):
            if key in check:
                assert DURATION.fullmatch(check[key]), (name, key, check[key])
        for port in service.get("ports", []):
            host, container = interpolate(port).split(":")
            assert host.isdigit() and container == "8000"
        for dep in service.get("depends_on", {}).values():
            assert dep["condition"] in (
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            )
        if "restart" in service:
            assert service["restart"] in ("no", "always", "on-failure", "unless-stopped")


def test_the_exchange_is_healthchecked_and_the_bots_wait_until_it_is_healthy(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert {"exchange", "bots"} <= set(services)
    exchange, bots = services["exchange"], services["bots"]
    assert "/healthz" in " ".join(exchange["healthcheck"]["test"])
    assert exchange["healthcheck"]["test"][0] == "CMD"
    assert bots["depends_on"]["exchange"]["condition"] == "service_healthy"
    assert "exchange" not in bots.get("profiles", [])  # started by a plain `compose up`
    assert bots["healthcheck"] == {"disable": True}
    url = bots["command"][bots["command"].index("--url") + 1]
    assert url == "ws://exchange:8000/ws/api/v2"
    for service in (exchange, bots):
        env = environment(service)
        assert env["FLOPEX_ADMIN_CLIENT_ID"] and env["FLOPEX_ADMIN_CLIENT_SECRET"]


def test_the_journaled_exchange_keeps_its_data_directory_on_a_named_volume(
    compose: dict[str, Any],
) -> None:
    journaled = compose["services"]["exchange-journaled"]
    assert journaled["profiles"] == ["journaled"]
    (mount,) = journaled["volumes"]
    volume, target = mount.split(":")
    assert volume in compose["volumes"] and target == "/data"
    args = build_parser().parse_args(journaled["command"][1:])
    assert args.data_dir == "/data"
    assert "exchange-journaled" not in str(compose["services"]["bots"].get("depends_on"))


@pytest.mark.parametrize("name", ["exchange", "bots", "exchange-journaled"])
def test_each_command_is_a_flopex_subcommand_the_command_line_accepts(
    compose: dict[str, Any], name: str
) -> None:
    command = compose["services"][name]["command"]
    assert command[0] == "flopex"
    helped = subprocess.run(
        [sys.executable, "-m", "flopex", command[1], "--help"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert helped.returncode == 0, helped.stderr
    args = build_parser().parse_args(command[1:])  # every flag and value is accepted
    if command[1] == "serve":
        env = environment(compose["services"][name])
        overrides: dict[str, object] = serve_overrides(args)
        if args.data_dir is not None:
            overrides["data_dir"] = args.data_dir
        if args.fsync is not None:
            overrides["journal_fsync"] = args.fsync
        settings = Settings.from_env(env, **overrides)  # raises on an invalid combination
        assert settings.admin_client_id == env["FLOPEX_ADMIN_CLIENT_ID"]
        # The exchange the bots trade on clears (margin, positions); the journaled one
        # cannot, as clearing mode is in memory only.
        assert settings.clearing == (name == "exchange")
        assert (settings.data_dir is not None) == (name == "exchange-journaled")


def test_the_dockerfile_installs_every_package_and_runs_the_exchange_as_a_plain_user() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] not in ("root", "0")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", text, re.M))
    pyproject = (REPO / "pyproject.toml").read_text()
    packages = re.search(r"include = \[([^\]]*)\]", pyproject)
    assert packages is not None
    wanted = {p.strip().strip('"').rstrip("*") for p in packages.group(1).split(",")}
    assert wanted <= copied, wanted - copied
    assert 'CMD ["flopex", "serve", "--host", "0.0.0.0", "--port", "8000"]' in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    ignored = (REPO / ".dockerignore").read_text().split()
    assert not wanted & set(ignored)


def test_the_health_check_command_passes_against_a_running_gateway(
    compose: dict[str, Any],
) -> None:
    test = compose["services"]["exchange"]["healthcheck"]["test"]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert test[-1] in dockerfile  # the image and the compose file run the same check
    running = start_server(gateway_settings())
    try:
        code = test[-1].replace("127.0.0.1:8000", f"127.0.0.1:{running.port}")
        ok = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30)
    finally:
        running.stop()
    down = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    assert down.returncode != 0
