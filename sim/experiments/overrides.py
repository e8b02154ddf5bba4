"""Scenario overrides by dotted key: ``agents[0].count = 2``, ``shocks[0].size = -0.3``.

A key is the path the scenario loader names in its errors: table names and array
indices separated by dots (``clearing.margin_multiplier``, ``products[0].index.annual_vol``).
``apply_overrides(raw, overrides)`` returns a copy of a parsed scenario document with the
values set; ``resolve(raw, overrides)`` also validates the result with
``sim.scenario.parse_scenario``, so a bad value is refused with the key in the message.
Arrays of tables must already hold the indexed entry; a missing intermediate table
(``clearing`` when the file has none) is created.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from sim.scenario import Scenario, ScenarioError, parse_scenario

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")

#: Keys a sweep sets otherwise (its ``seeds``), never by an override.
RESERVED = ("seed",)


def parse_key(key: str) -> list[tuple[str, int | None]]:
    """Return the segments of a dotted key: ``agents[0].count`` -> [("agents", 0), ("count", None)]."""
    if not isinstance(key, str) or not key:
        raise ScenarioError(f"{key!r}: an override key must be a non-empty string")
    out: list[tuple[str, int | None]] = []
    for part in key.split("."):
        m = _SEGMENT.match(part)
        if m is None:
            raise ScenarioError(f"{key}: not a key path (like agents[0].count): bad part {part!r}")
        out.append((m.group(1), None if m.group(2) is None else int(m.group(2))))
    if out[-1][1] is not None:
        raise ScenarioError(f"{key}: must name a value, not a whole table")
    if len(out) == 1 and out[0][0] in RESERVED:
        raise ScenarioError(f"{key}: set by the sweep's seeds, not by an override")
    return out


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy of scenario document ``raw`` with every override applied."""
    doc: dict[str, Any] = copy.deepcopy(dict(raw))
    for key, value in overrides.items():
        node: dict[str, Any] = doc
        segments = parse_key(key)
        path = ""
        for name, index in segments[:-1]:
            path = f"{path}.{name}" if path else name
            child = node.get(name)
            if index is None:
                if child is None:
                    child = node[name] = {}
                if not isinstance(child, dict):
                    raise ScenarioError(f"{key}: {path} is not a table")
                node = child
                continue
            if not isinstance(child, list):
                raise ScenarioError(f"{key}: the scenario has no [[{path}]] tables")
            if index >= len(child):
                raise ScenarioError(
                    f"{key}: {path}[{index}] does not exist (the scenario has "
                    f"{len(child)} [[{path}]] tables)"
                )
            if not isinstance(child[index], dict):
                raise ScenarioError(f"{key}: {path}[{index}] is not a table")
            node = child[index]
            path = f"{path}[{index}]"
        node[segments[-1][0]] = copy.deepcopy(value)
    return doc


def resolve(
    raw: Mapping[str, Any], overrides: Mapping[str, Any], name: str = "scenario"
) -> tuple[dict[str, Any], Scenario]:
    """Apply ``overrides`` to ``raw`` and validate; return the document and the scenario.

    Raises ``ScenarioError`` naming the key (the loader's message, e.g.
    ``agents[0].count: must be positive, got 0``).
    """
    doc = apply_overrides(raw, overrides)
    doc.setdefault("name", name)
    return doc, parse_scenario(doc, default_name=name)
