"""The config: TOML -> frozen, validated dataclasses with exact numbers.

This module reads the document's table and hands each question's table to the question's own
reader (derive/questions/<key>/settings.py, listed in derive/questions/sections.py), the
`[grading]` table to grading_policy.py and `[variants]` to variants_spec.py. Every table is
optional; what is left out takes the packaged default (the assignment as printed,
`default.toml`). Unknown keys, wrong types and out-of-range values raise
ConfigError naming the key.
"""

from __future__ import annotations

import dataclasses
import sys
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from derive import charset, variants_spec
from derive import grading_policy as grading
from derive import question_tables as question_sections
from derive import values as v
from derive.config_keys import DOCUMENT, TEXT_MAX_CHARS
from derive.errors import ConfigError
from derive.resources import default_text
from derive.variants_spec import VariantsSpec

CONFIG_MAX_BYTES = 64 * 2**20


@dataclass(frozen=True)
class DocumentConfig:
    title: str
    variant_id: str = ""  # a variant's id (a roster's student id): the question sheet's page headers print it
    student_name: str = ""  # the question sheet's name line prints it


@dataclass(frozen=True)
class Config:
    document: DocumentConfig
    # Each question's table as its package reads it (derive/questions/<key>/settings.py), by key
    # in the assignment's order; a question reads its own with `SECTION.of(config)`.
    sections: dict[str, object]
    variants: VariantsSpec  # what `derive variants` draws; not used by a build
    grading: grading.GradingPolicy = grading.GradingPolicy()  # used by `derive grade` only

    def __getattr__(self, name: str) -> Any:
        """`config.birnn`: a question's table by its key (untyped; the questions use `SECTION.of`)."""
        sections = self.__dict__.get("sections", {})
        if name in sections:
            return sections[name]
        raise AttributeError(f"the config has no table {name!r}")

    def replace(self, **tables: object) -> Config:
        """This config with some questions' tables replaced (`config.replace(birnn=...)`)."""
        unknown = set(tables) - set(self.sections)
        if unknown:
            raise AttributeError(f"the config has no table {sorted(unknown)[0]!r}")
        return dataclasses.replace(self, sections={**self.sections, **tables})


def table_names() -> tuple[str, ...]:
    """The config's top-level tables: the document's, each question's, the grader's, the variants'."""
    return ("document", *question_sections.keys(), "grading", "variants")


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text.removeprefix("\ufeff"), parse_float=Decimal)  # a BOM is allowed
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, f"not valid TOML: {exc}") from None
    except ValueError:  # tomllib's int() on a literal past Python's digit limit
        raise ConfigError(source, f"has an integer of more than {sys.get_int_max_str_digits()} digits") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(source, "has arrays or inline tables nested too deeply") from None


STDIN = "-"  # `--config -`: the config is read from standard input


def load(path: Path | None) -> Config:
    """Read a config file (None: the packaged default; "-": standard input) over the defaults."""
    if path is None:
        defaults = parse_toml(default_text(), "default.toml")
        return from_dict(defaults, defaults)
    if str(path) == STDIN:
        return loads(_decode(_read_bounded(sys.stdin.buffer, "<stdin>"), "<stdin>"), "<stdin>")
    name = str(path)
    if not path.exists():
        raise ConfigError(name, "no such config file")
    if path.is_dir():
        raise ConfigError(name, "is a directory, not a config file")
    try:
        with path.open("rb") as file:
            data = _read_bounded(file, name)
    except OSError as exc:
        raise ConfigError(name, f"cannot be read ({exc.strerror})") from None
    return loads(_decode(data, name), name)


def _read_bounded(file: BinaryIO, name: str) -> bytes:
    """At most CONFIG_MAX_BYTES: an endless source (--config /dev/zero) is refused, not read."""
    data = file.read(CONFIG_MAX_BYTES + 1)
    if len(data) > CONFIG_MAX_BYTES:
        raise ConfigError(name, f"is larger than {CONFIG_MAX_BYTES // 2**20} MiB")
    return data


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(name, f"not UTF-8 (byte {exc.start})") from None


def loads(text: str, name: str) -> Config:
    """A config from TOML text; `name` says where it came from in messages."""
    if not text.strip():
        raise ConfigError(name, "is empty (leave out --config to build the assignment as printed)")
    defaults = parse_toml(default_text(), "default.toml")
    return from_dict(parse_toml(text, name), defaults)


def from_dict(raw: dict[str, Any], defaults: dict[str, Any]) -> Config:
    names = table_names()
    v.reject_unknown(raw, "", set(names))
    merged = {name: v.table(raw.get(name, defaults.get(name, {})), name) for name in names}
    return Config(
        document=_document(merged["document"], defaults["document"]),
        sections={s.key: s.read(merged[s.key], defaults.get(s.key, {})) for s in question_sections.SECTIONS},
        grading=grading.parse(merged["grading"]),
        variants=variants_spec.parse(merged["variants"]),
    )


def with_table(config: Config, key: str, raw: Any, defaults: dict[str, Any]) -> Config:
    """`config` with question `key`'s table read from `raw` instead: what `from_dict` gives for
    the same tables, reading only the one that changed (a table is read on its own)."""
    (section,) = (s for s in question_sections.SECTIONS if s.key == key)
    return config.replace(**{key: section.read(v.table(raw, key), defaults.get(key, {}))})


def _document(raw: dict[str, Any], default: dict[str, Any]) -> DocumentConfig:
    v.reject_unknown(raw, "document", DOCUMENT.names())
    title = raw.get("title", default["title"])
    if not isinstance(title, str) or not title.strip():
        raise ConfigError("document.title", "must be a non-empty string")
    return DocumentConfig(one_line(title, "document.title"), one_line(raw.get("variant_id", ""), "document.variant_id"),
                          one_line(raw.get("student_name", ""), "document.student_name"))


def one_line(text: Any, key: str) -> str:
    """A string a document prints: one line of at most 200 characters the fonts show."""
    if not isinstance(text, str):
        raise ConfigError(key, "must be a string")
    if len(text) > TEXT_MAX_CHARS or "\n" in text:
        raise ConfigError(key, f"must be one line of at most {TEXT_MAX_CHARS} characters")
    charset.require_typesettable(key, text)
    return text
