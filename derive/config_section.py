"""A question's own tables of the config, declared in its package (derive/questions/<key>/settings.py).

config.py reads `[<key>]` with `read`, variants_spec.py reads `[variants.<key>]` with
`read_vary` and checks `require` with `requirements`, derive/schema_gen.py writes the JSON
Schema and docs/config.md from `table` and `vary`, and grading_policy.py accepts tolerances for
the `graded` fields: none of them names a question. derive/questions/sections.py lists the
sections in the assignment's order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast

from derive.declare import Table

C = TypeVar("C")  # the question's table, as read
W = TypeVar("W")  # its [variants.<key>] table, as read: what `derive variants` draws it from


class Sectioned(Protocol):
    """A Config or a VariantsSpec: each question's table by key."""

    @property
    def sections(self) -> Mapping[str, object]: ...


def _attainable(_: Any) -> str | None:
    return None


@dataclass(frozen=True)
class Requirable(Generic[W]):
    """A property of a question's answers that `[variants] require` may name: what it says and,
    decided on the question's `[variants.<key>]` table before any draw, why it can never hold
    (None: it may)."""

    description: str
    impossible: Callable[[W], str | None] = _attainable


@dataclass(frozen=True)
class ConfigSection(Generic[C, W]):
    key: str  # the config's table, the answers.json key, the templates' folder
    table: Table  # the keys of [<key>], each declared once
    # ([<key>] as given, or default.toml's) -> the question's table; the second argument is
    # default.toml's [<key>] ({} when it has none), for the keys left out
    read: Callable[[dict[str, Any], dict[str, Any]], C]
    vary: Table  # the keys of [variants.<key>]
    vary_default: Mapping[str, Any]  # what [variants.<key>] holds when left out, key by key
    read_vary: Callable[[dict[str, Any]], W]  # [variants.<key>] over vary_default -> what variants draw from
    requirements: Mapping[str, Requirable[W]] = field(default_factory=dict)
    # Its graded fields of answers.json, below the key ("#": an index, counted from 1): the
    # parts [grading.parts] may set tolerances for.
    graded: tuple[tuple[str, ...], ...] = ()

    def of(self, config: Sectioned) -> C:
        """The question's table of a config."""
        return cast(C, config.sections[self.key])

    def vary_of(self, spec: Sectioned) -> W:
        """The question's [variants.<key>] table of a variants spec."""
        return cast(W, spec.sections[self.key])
