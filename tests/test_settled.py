"""LaTeX's settled state kept in the cache folder (derive/latex/settled.py): a build of a config
built before needs one pass in a fresh folder, with the same bytes as a build from nothing; an
entry of another source, a planted wrong state, a damaged entry or --no-cache cost passes, never
bytes."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest

from derive import cache, origins
from derive.build import Produced, produce
from derive.config import Config, load
from derive.latex import compile as compile_module
from derive.latex import settled
from tests.conftest import needs_tex

pytestmark = [needs_tex, pytest.mark.e2e]


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The document of every pdflatex pass, in order."""
    seen: list[str] = []
    real = compile_module._Run.popen

    def spy(run: compile_module._Run):  # type: ignore[no-untyped-def]
        seen.append(run.name)
        return real(run)

    monkeypatch.setattr(compile_module._Run, "popen", spy)
    return seen


@pytest.fixture(scope="module")
def config() -> Config:
    return load(None)


def _build(config: Config, sheets: tuple[str, ...] = ("questions", "solutions")) -> Produced:
    return produce(config, sheets, identity=origins.identity(config))


def _pdfs(produced: Produced) -> dict[str, bytes]:
    return {name: data for name, data in produced.files.items() if name.endswith(".pdf")}


def _entry(store: Path, stem: str, config: Config) -> Path:
    """The entry file of this document (the only way to find it: its key names it)."""
    inputs = settled._inputs(origins.identity(config), stem)
    return store / f"{settled.KIND}-{cache.key(settled.KIND, inputs)}.json"


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """An entry rewritten with a changed value and a matching digest (a lie, not damage)."""
    entry = json.loads(path.read_text(encoding="utf-8"))
    value = cache.decode(json.loads(entry["payload"]), {})
    change(value)
    payload = json.dumps(cache.encode(value), sort_keys=True, separators=(",", ":"))
    entry["payload"] = payload
    entry["sha256"] = hashlib.sha256(payload.encode()).hexdigest()
    path.write_text(json.dumps(entry), encoding="utf-8")


def test_a_config_built_before_takes_one_pass_a_document_and_the_same_bytes(store, passes, config,
                                                                          monkeypatch):
    first = _build(config)
    assert passes.count("solutions.tex") == 2 and passes.count("questions.tex") == 2  # from nothing: two
    passes.clear()
    again = _build(config)
    assert passes == ["questions.tex", "solutions.tex"]
    assert _pdfs(again) == _pdfs(first)
    assert again.states == first.states
    monkeypatch.setattr(cache, "_enabled", False)
    passes.clear()
    assert _pdfs(_build(config)) == _pdfs(first)
    assert len(passes) == 4  # --no-cache: neither read nor written


def test_an_entry_of_another_source_is_compiled_again_from_nothing(store, passes, config):
    first = _build(config, ("solutions",))
    path = _entry(store, "solutions", config)
    _rewrite(path, lambda value: value.update(source="0" * 64))
    passes.clear()
    again = _build(config, ("solutions",))
    assert _pdfs(again) == _pdfs(first)
    assert passes == ["solutions.tex", "solutions.tex", "solutions.tex"]  # its pass, then two from nothing
    assert settled.find(origins.identity(config), "solutions") == settled.Seed(
        first.states["solutions"], settled.digest(first.files["solutions.tex"].decode("utf-8")))  # rewritten


def test_a_planted_wrong_state_costs_passes_not_bytes(store, passes, config):
    first = _build(config, ("solutions",))
    aux = first.states["solutions"][".aux"].decode("utf-8")
    cited = re.search(r"\\bibcite\{[^}]+\}\{\d+\}", aux)
    assert cited is not None
    wrong = aux.replace(cited[0], re.sub(r"\{\d+\}$", "{99}", cited[0]))  # a citation misnumbered: printed as [99]

    def plant(value: dict) -> None:
        value["state"][".aux"] = base64.b64encode(wrong.encode("utf-8")).decode("ascii")

    _rewrite(_entry(store, "solutions", config), plant)
    passes.clear()
    again = _build(config, ("solutions",))
    assert len(passes) >= 2  # the planted state did not settle
    assert _pdfs(again) == _pdfs(first)


def test_a_damaged_entry_is_ignored_and_written_again(store, passes, config):
    first = _build(config, ("questions",))
    path = _entry(store, "questions", config)
    path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    assert settled.find(origins.identity(config), "questions") is None
    passes.clear()
    again = _build(config, ("questions",))
    assert passes == ["questions.tex", "questions.tex"] and _pdfs(again) == _pdfs(first)
    assert settled.find(origins.identity(config), "questions") is not None


def test_an_entry_holding_another_shape_is_as_if_missing(store, config):
    _build(config, ("questions",))
    identity = origins.identity(config)
    path = _entry(store, "questions", config)
    for change in (lambda v: v.update(state={".tex": ""}), lambda v: v.update(state={".aux": "not base64!"}),
                   lambda v: v.pop("source")):
        _build(config, ("questions",))  # written again, sound
        _rewrite(path, change)
        assert settled.find(identity, "questions") is None


def test_a_kept_folders_state_of_another_build_is_not_kept(store, config, passes):
    """Only a state reached from an empty start (or the entry of the same source) is kept: one
    reached from another build's state might be another fixed point."""
    other = dataclasses.replace(config, document=dataclasses.replace(config.document, title="Another"))
    foreign = _build(other, ("questions",)).states["questions"]
    produce(config, ("questions",), state={"questions": foreign}, identity=origins.identity(config))
    assert settled.find(origins.identity(config), "questions") is None
