"""The precompiled preamble (derive/latex/precompiled.py): the same PDF bytes with and without it,
a damaged, refused or stale format built again or dropped, one format per preamble, none under
--no-cache and none in a build's outputs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from derive import cache
from derive.build import preamble_source
from derive.latex import compile as compile_module
from derive.latex import precompiled
from derive.latex.compile import compile_pdf, hardened_env
from tests.conftest import needs_tex, snapshot

pytestmark = [needs_tex, pytest.mark.e2e]

BODY = r"""\title{A small document}
\begin{document}
\maketitle
\section{One}
Text in \textcolor{keep}{colour}, a formula $x^2 = \answerbox{1}$, \answertext{a word}.
\begin{question}{Asked}what is asked\end{question}
\begin{tikzpicture}\draw[->] (0,0) -- (1,1);\end{tikzpicture}
\end{document}
"""


@pytest.fixture
def formats(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The -fmt argument of every pdflatex pass (None: no format)."""
    seen: list[str | None] = []
    real = compile_module.pdflatex_command

    def spy(name: str, fmt: str | None = None) -> list[str]:
        seen.append(fmt)
        return real(name, fmt)

    monkeypatch.setattr(compile_module, "pdflatex_command", spy)
    return seen


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The preambles a format was built for."""
    built: list[str] = []
    real = precompiled._build

    def spy(preamble: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
        built.append(preamble)
        return real(preamble, env)

    monkeypatch.setattr(precompiled, "_build", spy)
    return built


def _find(preamble: str) -> precompiled.Precompiled | None:
    return precompiled.find(preamble, hardened_env())


def _entry(store: Path) -> tuple[Path, dict]:
    (path,) = store.glob("preamble-*.json")
    return path, json.loads(path.read_text(encoding="utf-8"))


# The second preamble leaves another colour on the page, as a \color outside any group does.
@pytest.mark.parametrize("preamble", [preamble_source(), preamble_source() + "\\color{keep}\n"],
                         ids=["default", "another colour"])
def test_the_pdf_is_the_same_bytes_with_and_without_the_format(preamble, store, formats):
    source = preamble + BODY
    plain = compile_pdf(source).pdf
    assert set(formats) == {None}
    formats.clear()
    first = compile_pdf(source, preamble=preamble)  # builds the format, then compiles on it
    again = compile_pdf(source, preamble=preamble)  # reads it back from the cache folder
    assert formats and set(formats) == {compile_module.FORMAT_FILE}
    assert first.pdf == plain and again.pdf == plain
    assert any(path.endswith("/xcolor.sty") for path in again.files_read)  # read when the format was made


def test_without_the_replayed_page_the_bytes_differ(store, monkeypatch):
    """What the header gives back is needed: the colour literal of xcolor's \\color{black}."""
    preamble = preamble_source()
    source = preamble + BODY
    plain = compile_pdf(source).pdf
    real = precompiled._header

    def without_replay(preamble: str, log: str) -> str | None:
        header = real(preamble, log)
        assert header is not None and "\\pdfcolorstack0 push{0 g 0 G}" in header
        return header.replace("\\pdfcolorstack0 push{0 g 0 G}", "")

    monkeypatch.setattr(precompiled, "_header", without_replay)
    assert compile_pdf(source, preamble=preamble).pdf != plain


@pytest.mark.parametrize("damage", [b"garbage" * 100, None], ids=["garbage", "truncated"])
def test_a_damaged_format_is_built_again(damage, store, builds):
    preamble = preamble_source()
    first = _find(preamble)
    assert first is not None
    good = first.fmt.read_bytes()
    first.fmt.write_bytes(damage if damage is not None else good[: len(good) // 2])
    again = _find(preamble)
    assert again is not None and again.fmt.read_bytes() == good
    assert len(builds) == 2


def test_a_format_pdflatex_refuses_is_dropped_and_the_pdf_still_built(store, formats):
    """Garbage with a matching digest next to it: pdflatex stops on it ("Fatal format file
    error"); the document is compiled without it, and the entry removed."""
    preamble = preamble_source()
    source = preamble + BODY
    plain = compile_pdf(source).pdf
    found = _find(preamble)
    assert found is not None
    path, entry = _entry(store)
    garbage = b"garbage" * 1000
    entry["sha256"] = hashlib.sha256(garbage).hexdigest()
    found.fmt.unlink()
    planted = path.with_name(f"{path.stem}-{entry['sha256'][:16]}.fmt")
    planted.write_bytes(garbage)
    path.write_text(json.dumps(entry), encoding="utf-8")
    assert _find(preamble) is not None  # the digest matches: only pdflatex can tell
    formats.clear()
    assert compile_pdf(source, preamble=preamble).pdf == plain
    assert formats[0] == compile_module.FORMAT_FILE and formats[1:] and set(formats[1:]) == {None}
    assert not planted.exists() and not path.exists()


def test_a_changed_preamble_gets_a_format_of_its_own(store, builds):
    one, two = preamble_source(), preamble_source() + "\\definecolor{other}{RGB}{1,2,3}\n"
    first = _find(one)
    second = _find(two)
    assert first is not None and second is not None and first.fmt != second.fmt
    assert len(list(store.glob("preamble-*.json"))) == 2
    assert _find(one) == first and _find(two) == second
    assert builds == [one, two]


def test_a_changed_tex_file_makes_the_format_stale(store, builds):
    preamble = preamble_source()
    assert _find(preamble) is not None
    path, entry = _entry(store)
    xcolor = next(i for i, (name, _) in enumerate(entry["inputs"]) if name.endswith("/xcolor.sty"))
    entry["inputs"][xcolor][1][1] += 1  # as if xcolor.sty had been updated since
    path.write_text(json.dumps(entry), encoding="utf-8")
    assert _find(preamble) is not None
    assert len(builds) == 2
    assert _entry(store)[1]["inputs"][xcolor][1] == [os.stat(entry["inputs"][xcolor][0]).st_size,
                                                     os.stat(entry["inputs"][xcolor][0]).st_mtime_ns]


@pytest.mark.parametrize("extra", [
    "\\special{left on the page}",  # a node the header does not know how to give back
    "\\chardef\\mystack=\\pdfcolorstackinit page direct{1 g 1 G}",  # a colour stack a format loses
    "\\pdftrailerid{another}",  # per run, and not the empty one the header sets
    "\\undefinedmacro",  # a preamble with an error
], ids=["special", "colour stack", "trailer id", "error"])
def test_a_preamble_a_format_cannot_hold_gets_none(extra, store, builds):
    preamble = preamble_source() + extra + "\n"
    assert _find(preamble) is None
    assert _find(preamble) is None
    assert len(builds) == 1  # the refusal is kept: not tried again
    assert _entry(store)[1]["refused"] is True
    assert not list(store.glob("*.fmt"))


def test_the_default_preamble_is_not_refused(store):
    """The control of the test above: the same preamble without the extra line."""
    assert _find(preamble_source()) is not None


def test_no_cache_means_no_format(store, monkeypatch, formats):
    monkeypatch.setattr(cache, "_enabled", False)
    preamble = preamble_source()
    assert _find(preamble) is None
    compile_pdf(preamble + BODY, preamble=preamble)
    assert set(formats) == {None}
    assert not store.exists()


def test_a_streamed_source_must_begin_with_its_preamble(store):
    preamble = preamble_source()
    with compile_module.Stream(preamble=preamble) as stream:
        stream.feed("\\documentclass{article}\n")
        with pytest.raises(ValueError, match="preamble"):
            stream.finish("\\documentclass{article}\n")


def _derive(args: list[str], cache_dir: Path) -> None:
    env = {**os.environ, "DERIVE_CACHE_DIR": str(cache_dir)}
    subprocess.run([sys.executable, "-m", "derive", *args], check=True, capture_output=True, env=env, timeout=600)


def test_builds_are_the_same_bytes_with_and_without_formats_and_never_ship_one(tmp_path):
    store = tmp_path / "cache"
    _derive(["build", "--sheet", "both", "--no-cache", "--out", str(tmp_path / "none")], store)
    assert not store.exists()
    _derive(["build", "--sheet", "both", "--out", str(tmp_path / "cold")], store)  # builds the format
    (entry,) = store.glob("preamble-*.json")  # one for both sheets: the same preamble
    assert "sha256" in json.loads(entry.read_text(encoding="utf-8"))
    _derive(["build", "--sheet", "both", "--out", str(tmp_path / "warm")], store)  # reads it back
    none = snapshot(tmp_path / "none")
    assert {"solutions.pdf", "questions.pdf"} <= set(none)
    assert snapshot(tmp_path / "cold") == none and snapshot(tmp_path / "warm") == none
    for name in none:
        assert not name.endswith(".fmt") and "preamble" not in name
    with zipfile.ZipFile(tmp_path / "warm" / "overleaf.zip") as archive:
        assert archive.namelist() == ["main.tex"]
        assert archive.read("main.tex") == none["solutions.tex"]


def test_a_variant_is_the_same_bytes_on_the_same_format(tmp_path):
    """Another title, variant id and numbers (the PDF's metadata is set after the preamble, on
    hyperref loaded from the format)."""
    config = tmp_path / "config.toml"
    config.write_text('[document]\ntitle = "Quiz 3: #1 & 50%"\nvariant_id = "v-7"\n[birnn]\nseed = 3\n',
                      encoding="utf-8")
    store = tmp_path / "cache"
    _derive(["build", "--config", str(config), "--no-cache", "--out", str(tmp_path / "none")], store)
    _derive(["build", "--out", str(tmp_path / "default")], store)  # makes the format
    _derive(["build", "--config", str(config), "--out", str(tmp_path / "format")], store)
    assert len(list(store.glob("preamble-*.fmt"))) == 1
    none = snapshot(tmp_path / "none")
    assert snapshot(tmp_path / "format") == none
    assert none["solutions.pdf"] != snapshot(tmp_path / "default")["solutions.pdf"]
