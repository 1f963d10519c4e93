"""One declaration per config key: its type, its limits and what it means.

The readers (config.py, variants_spec.py, grading_policy.py) validate with these objects, and
derive/schema_gen.py writes from them the JSON Schema (derive/schemas/config.schema.json) and
the key table of docs/config.md, so that a limit is written once. A `Table` maps names to
keys; a reader looks its key up when it reads, so a changed declaration changes all three.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from derive import values as v

Schema = dict[str, Any]
Options = Mapping[str, tuple[str, ...]]  # named lists of names the generator fills (questions, properties)


def shown(n: int | float) -> str:
    """A limit as docs/config.md prints it: 10^6, 2^32-1, 1e-3, 4096."""
    if isinstance(n, float):
        return f"{n:g}"
    for base, least in ((10, 4), (2, 16)):
        for k in range(least, 64):
            if n == base**k:
                return f"{base}^{k}"
            if n == base**k - 1:
                return f"{base}^{k}-1"
    return f"-{shown(-n)}" if n < 0 else str(n)


def e_form(n: int | float) -> str:
    """A limit as an error message says it: 1e6 for a power of ten from 10^4, else as it is."""
    if isinstance(n, int) and n >= 10**4 and str(n).rstrip("0") == "1":
        return f"1e{len(str(n)) - 1}"
    return f"{n:g}"


@dataclass(frozen=True)
class Int:
    """An integer in [low, high]."""

    name: str
    doc: str
    low: int
    high: int
    note: str = ""  # what the schema cannot say ("below d"), for the docs

    def read(self, value: Any, key: str) -> int:
        return v.integer(value, key, self.low, self.high)

    def schema(self, options: Options) -> Schema:
        return {"type": "integer", "minimum": self.low, "maximum": self.high, "description": self.doc}

    def limits(self) -> str:
        return _with_note(f"integer, {shown(self.low)} to {shown(self.high)}", self.note)


@dataclass(frozen=True)
class Number:
    """An exact decimal in [low, high] (TOML integers count)."""

    name: str
    doc: str
    low: int | float
    high: int | float
    note: str = ""

    def schema(self, options: Options) -> Schema:
        return {"type": "number", "minimum": self.low, "maximum": self.high, "description": self.doc}

    def limits(self) -> str:
        return _with_note(f"number, {shown(self.low)} to {shown(self.high)}", self.note)


@dataclass(frozen=True)
class Choice:
    """One of a few words."""

    name: str
    doc: str
    options: tuple[str, ...]

    def read(self, value: Any, key: str) -> str:
        return v.choice(value, key, self.options)

    def schema(self, options: Options) -> Schema:
        return {"enum": list(self.options), "description": self.doc}

    def limits(self) -> str:
        return "one of " + ", ".join(f'`"{o}"`' for o in self.options)


@dataclass(frozen=True)
class Shaped:
    """A key whose shape the reader checks by hand (a tensor, a tree, a string): its schema and
    its limits in words are declared here, from the same constants the reader uses."""

    name: str
    doc: str
    shape: Schema  # the schema, less its description
    words: str  # the limits, for the docs

    def schema(self, options: Options) -> Schema:
        return {**self.shape, "description": self.doc}

    def limits(self) -> str:
        return self.words


@dataclass(frozen=True)
class Names:
    """A list of distinct names, each one of the options the generator knows as `options_of`."""

    name: str
    doc: str
    options_of: str  # "questions" or "properties"

    def schema(self, options: Options) -> Schema:
        return {"type": "array", "uniqueItems": True, "items": {"enum": list(options[self.options_of])},
                "description": self.doc}

    def limits(self) -> str:
        return f"distinct names of {self.options_of}"


@dataclass(frozen=True)
class Choices:
    """A non-empty list to draw from (`pair`: an inclusive [low, high] range instead), whose
    entries obey a key of the config (`like`, looked up when read) or limits of their own."""

    name: str
    doc: str
    like: tuple[Table, str] | None = None
    low: int | None = None  # overrides the low of `like`
    high: int | None = None
    pair: bool = False

    @property
    def item(self) -> Int | Choice:
        base = self.like[0][self.like[1]] if self.like else None
        if isinstance(base, Choice):
            return base
        low = self.low if self.low is not None else base.low if isinstance(base, Int) else None
        high = self.high if self.high is not None else base.high if isinstance(base, Int) else None
        assert low is not None and high is not None, self.name
        return Int(self.name, self.doc, low, high)

    def schema(self, options: Options) -> Schema:
        item = self.item
        items = {"enum": list(item.options)} if isinstance(item, Choice) else {
            "type": "integer", "minimum": item.low, "maximum": item.high}
        size = {"minItems": 2, "maxItems": 2} if self.pair else {"minItems": 1}
        return {"type": "array", **size, "items": items, "description": self.doc}

    def limits(self) -> str:
        item = self.item
        entries = item.limits() if isinstance(item, Choice) else f"integers {shown(item.low)} to {shown(item.high)}"
        return f"[low, high] of {entries}" if self.pair else f"a non-empty list of {entries}"


Key = Int | Number | Choice | Shaped | Names | Choices


@dataclass(frozen=True)
class Table:
    """A TOML table: its keys in order (sub-tables are keys too)."""

    name: str
    doc: str
    keys: dict[str, Key | Table] = field(default_factory=dict)
    extra: Schema = field(default_factory=dict)  # schema words a table has beyond its keys ("required")

    @classmethod
    def of(cls, name: str, doc: str, *keys: Key | Table, **extra: Any) -> Table:
        return cls(name, doc, {k.name: k for k in keys}, extra)

    def __getitem__(self, name: str) -> Key | Table:
        return self.keys[name]

    def int(self, name: str) -> Int:
        key = self.keys[name]
        assert isinstance(key, Int), name
        return key

    def names(self) -> set[str]:
        return set(self.keys)

    def schema(self, options: Options) -> Schema:
        out: Schema = {"type": "object", "additionalProperties": False}
        if self.doc:
            out["description"] = self.doc
        out.update(self.extra)
        out["properties"] = {name: key.schema(options) for name, key in self.keys.items()}
        return out

    def rows(self, prefix: str = "") -> Iterator[tuple[str, str, str]]:
        """(dotted key, meaning, limits) of every key below this table, in order."""
        for name, key in self.keys.items():
            dotted = f"{prefix}{name}"
            if isinstance(key, Table):
                yield from key.rows(dotted + ".")
            else:
                yield dotted, key.doc, key.limits()


def number_array(bound: int, *sizes: int) -> Schema:
    """An array of arrays ... of numbers of magnitude at most `bound`, each level at most `sizes`[i] long (0: any)."""
    inner: Schema = {"type": "number", "minimum": -bound, "maximum": bound}
    for size in reversed(sizes):
        inner = {"type": "array", "minItems": 1, **({"maxItems": size} if size else {}), "items": inner}
    return inner


def _with_note(text: str, note: str) -> str:
    return f"{text}; {note}" if note else text

