"""Reading the choices of a `[variants.<key>]` table: lists drawn uniformly and inclusive
`[low, high]` ranges, each within its declared limits (derive/declare.py's `Choices`)."""

from __future__ import annotations

from typing import Any

from derive import values as v
from derive.declare import Choices, Int, Table
from derive.errors import ConfigError


def listed(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        got = "an empty one" if value == [] else v.type_name(value)
        raise ConfigError(key, f"must be a non-empty array, got {got}")
    return value


def ints(value: Any, key: str, low: int, high: int) -> tuple[int, ...]:
    return tuple(v.integer(x, f"{key}[{i}]", low, high) for i, x in enumerate(listed(value, key)))


def int_range(value: Any, key: str, low: int, high: int) -> tuple[int, int]:
    pair = ints(value, key, low, high)
    if len(pair) != 2 or pair[0] > pair[1]:
        raise ConfigError(key, f"must be a range [low, high] with low <= high, got {list(pair)}")
    return pair[0], pair[1]


def drawn(raw: dict[str, Any], table: Table, name: str) -> tuple[int, ...]:
    """The choices of `variants.<table>.<name>`, within their declared limits."""
    declared = table[name]
    assert isinstance(declared, Choices)
    item = declared.item
    assert isinstance(item, Int)
    key = f"variants.{table.name}.{name}"
    return int_range(raw[name], key, item.low, item.high) if declared.pair else ints(raw[name], key, item.low,
                                                                                    item.high)
