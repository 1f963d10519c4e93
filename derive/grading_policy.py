"""The `[grading]` table of the config: tolerances for numeric answers, overridable per part.

    [grading]
    rtol = 1e-3                 # relative tolerance (default 1e-3)
    atol = 1e-9                 # absolute tolerance (default 1e-9)
    [grading.parts]
    "birnn.instance" = { rtol = 1e-2 }   # a part, or a prefix of parts: the longest match wins

A number is right when |got - expected| <= atol + rtol * |expected|. This module imports
nothing heavy: config.py calls `parse` while it reads a config; the graded fields are the
questions' own (their settings' `graded`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from derive import question_tables as sections
from derive import values as v
from derive.declare import Number, Shaped, Table, e_form
from derive.errors import ConfigError

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-9
MAX_TOLERANCE = 10**6

_TOLERANCE = {"type": "number", "minimum": 0, "maximum": MAX_TOLERANCE}
GRADING = Table.of(
    "grading", "tolerances of `derive grade` for numeric answers (docs/submissions.md)",
    Number("rtol", f"relative tolerance, default {DEFAULT_RTOL:.0e}".replace("e-0", "e-"), 0, MAX_TOLERANCE),
    Number("atol", f"absolute tolerance, default {DEFAULT_ATOL:.0e}".replace("e-0", "e-"), 0, MAX_TOLERANCE),
    Shaped("parts", 'tolerances per part or prefix of parts (dotted answers.json paths: `"birnn.instance" = '
           '{ rtol = 1e-2 }`)', {"type": "object", "additionalProperties": {
               "type": "object", "additionalProperties": False,
               "properties": {"rtol": _TOLERANCE, "atol": _TOLERANCE}}},
           "part names as in [submissions.md](submissions.md); rtol and atol as above"),
)


@dataclass(frozen=True)
class Tolerance:
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL


@dataclass(frozen=True)
class GradingPolicy:
    default: Tolerance = Tolerance()
    parts: dict[str, Tolerance] = field(default_factory=dict)

    def tolerance(self, part: str) -> Tolerance:
        """The tolerance of the longest configured prefix of `part` (whole dotted segments)."""
        best, length = self.default, -1
        for prefix, tol in self.parts.items():
            if (part == prefix or part.startswith(prefix + ".")) and len(prefix) > length:
                best, length = tol, len(prefix)
        return best


def _segment_matches(segment: str, pattern: str) -> bool:
    return segment.isdigit() and int(segment) >= 1 if pattern == "#" else segment == pattern


def graded_fields() -> tuple[tuple[str, ...], ...]:
    """The graded fields of answers.json, each question's as its settings declare them ("#": an
    index, a beam counted from 1)."""
    return tuple((s.key, *fields) for s in sections.SECTIONS for fields in s.graded)


def is_part_path(path: str) -> bool:
    """A graded field, a prefix of one, or a graded field followed by entry indices (from 1)."""
    segments = path.split(".")
    for fields in graded_fields():
        common = min(len(segments), len(fields))
        if all(_segment_matches(s, p) for s, p in zip(segments[:common], fields[:common], strict=True)):
            extra = segments[len(fields):]
            if all(s.isdigit() and int(s) >= 1 for s in extra):
                return True
    return False


def _tolerance(raw: dict[str, Any], key: str, base: Tolerance) -> Tolerance:
    v.reject_unknown(raw, key, {"rtol", "atol"})

    def read(name: str, default: float) -> float:
        if name not in raw:
            return default
        declared = GRADING[name]
        assert isinstance(declared, Number)
        value = v.number(raw[name], f"{key}.{name}")
        if value < declared.low or value > declared.high:
            raise ConfigError(f"{key}.{name}", f"must be between {e_form(declared.low)} and {e_form(declared.high)}, "
                              f"got {raw[name]}")
        return float(value)

    return Tolerance(read("rtol", base.rtol), read("atol", base.atol))


def parse(raw: Any) -> GradingPolicy:
    """The [grading] table (already read from TOML with decimals as Decimal)."""
    table = v.table(raw, "grading")
    v.reject_unknown(table, "grading", GRADING.names())
    default = _tolerance({k: table[k] for k in ("rtol", "atol") if k in table}, "grading", Tolerance())
    parts: dict[str, Tolerance] = {}
    for name, value in v.table(table.get("parts", {}), "grading.parts").items():
        key = v.path_key("grading.parts", name)
        if not is_part_path(name):
            raise ConfigError(key, "is not a graded part (see docs/submissions.md for the part names)")
        parts[name] = _tolerance(v.table(value, key), key, default)
    return GradingPolicy(default, parts)

