"""Typed readers for raw TOML values; each raises ConfigError naming the key."""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from typing import Any

import sympy as sp

from derive.errors import ConfigError

Table = dict[str, Any]
MAX_FRACTION_DIGITS = 100  # the smallest nonzero magnitude is 1e-100


@functools.lru_cache(maxsize=4096)
def path_key(prefix: str, name: str) -> str:
    """A key for a message; names that are not bare TOML keys are quoted on one line (kept per
    process: a tree's reader makes one for every edge of every draw)."""
    bare = name.replace("_", "").replace("-", "").isalnum() and name.isascii()
    return f"{prefix}.{name}" if bare else f"{prefix}[{json.dumps(name, ensure_ascii=True)}]"


def table(raw: Any, key: str) -> Table:
    if not isinstance(raw, dict):
        raise ConfigError(key, f"must be a table, got {type_name(raw)}")
    return raw


def reject_unknown(raw: Table, key: str, allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        where = path_key(key, unknown[0]) if key else unknown[0]
        raise ConfigError(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def number(value: Any, key: str) -> int | Decimal:
    """A TOML integer or decimal (read as Decimal), finite; not yet expanded to a Rational."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ConfigError(key, f"must be a number, got {type_name(value)}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ConfigError(key, f"must be a finite number, got {value}")
        _, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        trailing_zeros = next((i for i, digit in enumerate(reversed(digits)) if digit), len(digits))
        if exponent + trailing_zeros < -MAX_FRACTION_DIGITS:
            raise ConfigError(key, f"has more than {MAX_FRACTION_DIGITS} digits after the decimal point")
    return value


def rational(value: Any, key: str, bound: int) -> sp.Rational:
    """An exact number of magnitude at most `bound`, checked before the number is expanded."""
    checked = number(value, key)
    if (checked.copy_abs() if isinstance(checked, Decimal) else abs(checked)) > bound:  # no rounding
        raise ConfigError(key, f"must be at most {bound:g} in magnitude, got {value}")
    return sp.Rational(*checked.as_integer_ratio())


def integer(value: Any, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, f"must be an integer, got {type_name(value)}")
    if not low <= value <= high:
        raise ConfigError(key, f"must be between {low} and {high}, got {value}")
    return value


def choice(value: Any, key: str, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        shown = json.dumps(value) if isinstance(value, str) else type_name(value)
        raise ConfigError(key, f"must be one of {', '.join(map(json.dumps, options))}, got {shown}")
    return value


def matrix(value: Any, key: str, rows: int, cols: int, bound: int) -> tuple[tuple[sp.Rational, ...], ...]:
    """A rows x cols array of exact numbers."""
    if not isinstance(value, list) or len(value) != rows:
        got = f"{len(value)} rows" if isinstance(value, list) else type_name(value)
        raise ConfigError(key, f"must be a {rows} x {cols} array, got {got}")
    out = []
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != cols:
            got = f"{len(row)} entries" if isinstance(row, list) else type_name(row)
            raise ConfigError(key, f"must be a {rows} x {cols} array, row {i} has {got}")
        out.append(tuple(rational(v, f"{key}[{i}][{j}]", bound) for j, v in enumerate(row)))
    return tuple(out)


def vector(value: Any, key: str, size: int, bound: int) -> tuple[sp.Rational, ...]:
    if not isinstance(value, list) or len(value) != size:
        got = f"{len(value)} entries" if isinstance(value, list) else type_name(value)
        raise ConfigError(key, f"must be an array of {size} numbers, got {got}")
    return tuple(rational(v, f"{key}[{i}]", bound) for i, v in enumerate(value))
