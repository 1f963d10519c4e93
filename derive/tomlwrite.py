"""A small TOML writer for configs derive generates (variants, stress failures): tables of
strings, integers, exact decimals and arrays; `config.parse_toml` reads the text back to the
same values."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """Plain keys first, then each sub-table under its own `[a.b]` header."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append(to_toml(value, f"{prefix}{_key(key)}."))
        else:
            lines.append(f"{_key(key)} = {toml_value(value)}")
    head = f"\n[{prefix[:-1]}]\n" if prefix else ""
    return head + "".join(f"{line}\n" for line in lines) + "".join(tables)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else toml_value(key)


def toml_value(value: Any) -> str:
    """One TOML value: a basic string, an integer, an exact decimal or an array of them."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's string escapes are TOML's basic-string escapes
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, list)):
        raise TypeError(f"cannot write a {type(value).__name__} as a config value: {value!r}")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"cannot write {value} as a config value")
    return str(value)
