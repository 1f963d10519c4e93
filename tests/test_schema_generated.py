"""The config's JSON Schema and docs/config.md's key table are generated from one declaration
per key (derive/declare.py): the checked-in copies must match it, and a limit changed in its
declaration changes the validation, the schema and the docs together."""

from __future__ import annotations

import dataclasses

import pytest

from derive import api, schema_gen
from derive.errors import ConfigError
from derive.questions.lora import settings as lora_settings


def test_the_checked_in_schema_and_docs_table_are_the_generated_ones():
    assert schema_gen.drift() == []


def test_a_limit_changed_in_its_declaration_changes_validation_schema_and_docs(monkeypatch):
    heads = lora_settings.TABLE.int("heads")
    assert api.load({"lora": {"heads": 2000}}).lora.heads == 2000
    monkeypatch.setitem(lora_settings.TABLE.keys, "heads", dataclasses.replace(heads, high=1024))
    with pytest.raises(ConfigError, match=r"^lora\.heads: must be between 1 and 1024, got 2000$"):
        api.load({"lora": {"heads": 2000}})
    with pytest.raises(ConfigError, match=r"^variants\.lora\.heads\[0\]: must be between 1 and 1024, got 2000$"):
        api.load({"variants": {"lora": {"heads": [2000]}}})
    schema = schema_gen.config_schema()["properties"]
    assert schema["lora"]["properties"]["heads"]["maximum"] == 1024
    assert schema["variants"]["properties"]["lora"]["properties"]["heads"]["items"]["maximum"] == 1024
    assert "| `lora.heads` | h | integer, 1 to 1024 |" in schema_gen.key_table()
    assert "| `variants.lora.heads` | h choices | a non-empty list of integers 1 to 1024 |" in schema_gen.key_table()
    assert schema_gen.drift() == [str(schema_gen.SCHEMA), str(schema_gen.DOCS)]


def test_docs_without_the_generated_table_markers_are_refused():
    with pytest.raises(ValueError, match="no generated key table"):
        schema_gen.with_table("# The config file\n| key | meaning | limits |\n")
