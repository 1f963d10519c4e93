"""The character table: every character it admits typesets with the document's own preamble,
and what it refuses is refused when the config is read."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from derive import charset
from derive.build import head_source
from derive.config import load
from derive.errors import ConfigError
from derive.latex.render import escape
from tests.conftest import needs_tex


def _problems(tmp_path: Path, characters: list[str]) -> set[str]:
    """Characters whose typesetting, one per line with the document's preamble, left a trace in the log."""
    lines = [rf"\typeout{{CHAR {ord(ch):04X}}}{escape(ch)}\par" for ch in characters]
    body = "\n".join(lines) + "\n\\typeout{CHAR END}\\end{document}\n"
    source = head_source(load(None)) + "\\tracinglostchars=2\n" + body
    (tmp_path / "t.tex").write_text(source, encoding="utf-8")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "t.tex"], cwd=tmp_path,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    log = (tmp_path / "t.log").read_text(encoding="utf-8", errors="replace")
    bad, current = set(), None
    for line in log.splitlines():
        if match := re.match(r"CHAR ([0-9A-F]+)", line):
            current = match[1]
        elif current and (line.startswith("!") or "Missing character" in line or "not set up" in line):
            bad.add(chr(int(current, 16)))
    assert "CHAR END" in log, "the test document did not reach its end"
    return bad


@needs_tex
def test_every_admitted_character_typesets(tmp_path):
    admitted = [chr(c) for c in sorted(charset.SUPPORTED)]
    assert _problems(tmp_path, admitted) == set()


@needs_tex
def test_the_detector_sees_a_character_the_fonts_lack(tmp_path, monkeypatch):
    # Planted: a character outside the table, let through the escaper, must be caught.
    monkeypatch.setattr(charset, "SUPPORTED", charset.SUPPORTED | {ord("Ħ")})
    assert _problems(tmp_path, ["a", "Ħ"]) == {"Ħ"}


@pytest.mark.parametrize("text", ["— – “ ” ‘ ’ … • €", "Ωmega αβγ ΣΔ", "Łódź, Dvořák, façade, Ærø"])
def test_latin_greek_and_typography_are_admitted(text):
    assert charset.first_unsupported(text) is None


@pytest.mark.parametrize(("text", "message"), [
    ("Ħ", 'document.title: character "Ħ" (U+0126) cannot be typeset'),
    ("a\u007fb", "document.title: character (U+007F) cannot be typeset"),
    ("漢字", 'document.title: character "漢" (U+6F22) cannot be typeset'),
])
def test_refused_characters_name_the_key_and_the_character(text, message):
    with pytest.raises(ConfigError) as caught:
        charset.require_typesettable("document.title", text)
    assert str(caught.value).startswith(message)


def test_greek_is_declared_for_inputenc():
    lines = charset.preamble().splitlines()
    assert r"\DeclareUnicodeCharacter{03A9}{\ensuremath{\Omega}}" in lines
    assert r"\DeclareUnicodeCharacter{0391}{A}" in lines
    assert len(lines) == 49  # 24 capitals, 25 small letters (with the final sigma)


@needs_tex
@pytest.mark.e2e
def test_typography_reads_back_from_the_pdf(write_config, run, tmp_path):
    title = "Ωmega — “q” ‘s’ € «x» ,,low"
    word = "Łódź—“ß”"
    config = write_config(f'[document]\ntitle = "{title}"\n[decoding.tree]\n"{word}" = -0.5\n"{word} b" = -1\n')
    code, _, err = run("build", "--config", str(config), "--out", str(tmp_path))
    assert code == 0, err
    text = subprocess.run(["pdftotext", str(tmp_path / "solutions.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    text = unicodedata.normalize("NFKC", text)  # the math font's Omega reads back as the ohm sign, U+2126
    assert title in text
    assert word in text
    assert "<U+" not in text
