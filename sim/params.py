"""Declared parameters: what a scenario key may hold, its unit, default and check.

Agents and the scenario loader (``sim.scenario``) describe every setting with a
``Param``: its type, default, unit and one check. ``check_value`` validates one value
and returns it converted (an int given for a float is accepted); a failure raises
``ParamError`` whose message starts with the key's path (``agents[2].gamma: must be
positive``), so a mistake in a scenario file is found by its name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ParamError(ValueError):
    """A scenario value is missing, unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Param:
    """One setting: ``kind`` is ``int``, ``float``, ``str``, ``bool`` or ``list`` (of
    ``item``); ``default`` ``None`` with ``required`` means it must be given.

    ``check`` is one of ``""`` (any value of the type), ``"positive"`` (> 0),
    ``"non_negative"`` (≥ 0), ``"fraction"`` (0 … 1), ``"probability"`` (0 … 1) or
    ``"choice"`` (one of ``choices``). ``unit`` and ``doc`` are for people.
    """

    kind: type
    default: Any
    unit: str
    doc: str
    check: str = ""
    choices: tuple[str, ...] = ()
    item: type = str
    required: bool = False


def _type_name(kind: type) -> str:
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        kind, "a list"
    )


def _convert(path: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise ParamError(f"{path}: must be true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{path}: must be an integer, got {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(f"{path}: must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ParamError(f"{path}: must be a finite number, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ParamError(f"{path}: must be a string, got {value!r}")
        return value
    raise ParamError(f"{path}: unsupported type {kind!r}")


def check_value(path: str, spec: Param, value: Any) -> Any:
    """Return ``value`` checked against ``spec`` (ints accepted for floats); raise
    ``ParamError`` naming ``path`` otherwise."""
    if spec.kind is list:
        if not isinstance(value, list):
            raise ParamError(f"{path}: must be a list, got {value!r}")
        items = [_convert(f"{path}[{i}]", spec.item, v) for i, v in enumerate(value)]
        if spec.check == "choice":
            for i, v in enumerate(items):
                if v not in spec.choices:
                    raise ParamError(f"{path}[{i}]: must be one of {list(spec.choices)}, got {v!r}")
        return items
    out = _convert(path, spec.kind, value)
    if spec.check == "positive" and not out > 0:
        raise ParamError(f"{path}: must be positive, got {value!r}")
    if spec.check == "non_negative" and not out >= 0:
        raise ParamError(f"{path}: must be zero or more, got {value!r}")
    if spec.check in ("fraction", "probability") and not 0 <= out <= 1:
        raise ParamError(f"{path}: must be between 0 and 1, got {value!r}")
    if spec.check == "choice" and out not in spec.choices:
        raise ParamError(f"{path}: must be one of {list(spec.choices)}, got {value!r}")
    return out


def check_table(
    path: str, specs: Mapping[str, Param], table: Mapping[str, Any], ignore: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return every key of ``specs`` with ``table``'s value checked, or its default.

    Unknown keys (except ``ignore``) and missing required ones raise ``ParamError``
    naming ``path.key``.
    """
    if not isinstance(table, Mapping):
        raise ParamError(f"{path}: must be a table, got {table!r}")
    prefix = f"{path}." if path else ""
    for key in table:
        if key not in specs and key not in ignore:
            known = ", ".join(sorted(specs))
            raise ParamError(f"{prefix}{key}: unknown key (known: {known})")
    out: dict[str, Any] = {}
    for key, spec in specs.items():
        if key in table:
            out[key] = check_value(f"{prefix}{key}", spec, table[key])
        elif spec.required:
            raise ParamError(f"{prefix}{key}: missing ({_type_name(spec.kind)}, {spec.doc})")
        else:
            out[key] = list(spec.default) if isinstance(spec.default, list) else spec.default
    return out
