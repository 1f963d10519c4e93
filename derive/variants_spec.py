"""The config's `[variants]` table: what `derive variants` draws, and what each variant must satisfy.

Lists are choices drawn uniformly; `[low, high]` pairs are inclusive integer ranges. Every
draw stays within the config's own limits, so a generated config always loads. A question
left out of `vary` keeps the base config's values. Each question declares and reads its own
`[variants.<key>]` sub-table and the properties `require` may name
(derive/questions/<key>/settings.py); this module loops over them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from derive import question_tables as question_sections
from derive import values as v
from derive.config_section import ConfigSection
from derive.declare import Int, Names, Table
from derive.errors import ConfigError

MAX_DRAWS_LIMIT = 100_000
OWN_DEFAULTS: dict[str, Any] = {
    "require": ["nonzero_variance", "small_denominators", "greedy_not_best_beam", "beam_misses_optimum",
                "unambiguous"],
    "max_draws": 2000,
}


def question_keys() -> tuple[str, ...]:
    return question_sections.keys()


def defaults() -> dict[str, Any]:
    """What `[variants]` holds when left out, key by key (each question's sub-table from its package)."""
    return {"vary": list(question_keys()), **OWN_DEFAULTS,
            **{s.key: dict(s.vary_default) for s in question_sections.SECTIONS}}


def table() -> Table:
    return Table.of(
        "variants", "what `derive variants` draws for each variant and which properties it must have "
        "(docs/variants.md); not read by a build",
        Names("vary", "the questions that vary; the others keep the base config's tables", "questions"),
        Names("require", "properties every variant must have, proved on its derived answer", "properties"),
        Int("max_draws", "draws of one question per variant before giving up", 1, MAX_DRAWS_LIMIT),
        *(s.vary for s in question_sections.SECTIONS),
    )


@dataclass(frozen=True)
class Requirement:
    """A property `require` may name: the question whose derived answer proves it (its
    `Question.properties`), what it says, and why a `[variants]` table makes it unattainable
    (None: it may hold), decided before any draw."""

    question: str
    description: str
    impossible: Callable[[VariantsSpec], str | None]


def _bound(section: ConfigSection[Any, Any],
           check: Callable[[Any], str | None]) -> Callable[[VariantsSpec], str | None]:
    return lambda spec: check(section.vary_of(spec))


def requirements() -> dict[str, Requirement]:
    """Every property `require` may name, question by question in the assignment's order."""
    out: dict[str, Requirement] = {}
    for section in question_sections.SECTIONS:
        for name, req in section.requirements.items():
            if name in out:
                raise RuntimeError(f"property {name} is declared by both {out[name].question} and {section.key}")
            out[name] = Requirement(section.key, req.description, _bound(section, req.impossible))
    return out


@dataclass(frozen=True)
class VariantsSpec:
    vary: tuple[str, ...]
    require: tuple[str, ...]
    max_draws: int
    # Each question's [variants.<key>] table as its package reads it, by key; a question reads
    # its own with `SECTION.vary_of(spec)`.
    sections: dict[str, object]

    def __getattr__(self, name: str) -> Any:
        """`spec.decoding`: a question's [variants.<key>] table by its key (untyped)."""
        sections = self.__dict__.get("sections", {})
        if name in sections:
            return sections[name]
        raise AttributeError(f"[variants] has no table {name!r}")


def parse(raw: Any) -> VariantsSpec:
    """The `[variants]` table over its defaults, key by key; errors name the key."""
    own = v.table(raw, "variants")
    fallback = defaults()
    v.reject_unknown(own, "variants", set(fallback))
    get = {k: own.get(k, fallback[k]) for k in ("vary", "require", "max_draws")}
    max_draws = table()["max_draws"]
    assert isinstance(max_draws, Int)
    required = requirements()
    vary = _names(get["vary"], "variants.vary", question_keys())
    require = _names(get["require"], "variants.require", tuple(required))
    sections = {s.key: s.read_vary(_merged(own, s.key, fallback[s.key])) for s in question_sections.SECTIONS}
    spec = VariantsSpec(vary, require, max_draws.read(get["max_draws"], "variants.max_draws"), sections)
    for name in spec.require:
        reason = required[name].impossible(spec)
        if reason:
            raise ConfigError("variants.require", f'"{name}" can never hold: {reason}')
    return spec


def _merged(own: dict[str, Any], key: str, default: dict[str, Any]) -> dict[str, Any]:
    raw = v.table(own.get(key, {}), f"variants.{key}")
    v.reject_unknown(raw, f"variants.{key}", set(default))
    return default | raw


def _names(value: Any, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(key, f"must be an array of names, got {v.type_name(value)}")
    out = tuple(v.choice(x, f"{key}[{i}]", allowed) for i, x in enumerate(value))
    if len(set(out)) != len(out):
        raise ConfigError(key, "lists a name twice")
    return out
