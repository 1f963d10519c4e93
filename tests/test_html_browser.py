"""solutions.html and questions.html in a real browser: headless Chromium at a phone's width (390 px), at 200% zoom
of a laptop's (640 px) and at the laptop's (1280 px), with axe-core. Skipped when Chromium, Node
or axe-core is missing, except in CI (CI=true), where that fails: sh scripts/ensure-html-tools.sh."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.html_support import browse
from tests.test_robustness import _hostile_config

WIDTHS = (390, 640, 1280)
SERIOUS = ("serious", "critical")
PAGES = {"solutions.html": 100, "questions.html": 50}  # each page, and fewer formulas than it holds


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> list[dict]:
    from derive import cli

    out = tmp_path_factory.mktemp("browser")
    assert cli.main(["build", "--no-pdf", "--html", "--sheet", "both", "--out", str(out)]) == 0
    return browse([out / "solutions.html", out / "questions.html"], WIDTHS)


def test_both_pages_fit_every_width_and_load_cleanly(report):
    assert [(r["page"], r["width"]) for r in report] == [(page, w) for page in PAGES for w in WIDTHS]
    for r in report:
        assert r["overflow"] <= 0, r  # wide formulas and tables scroll inside their own box
        assert r["console"] == [] and r["failed"] == [] and r["requests"] == [], r
        assert r["math"] > PAGES[r["page"]] and r["mathErrors"] == 0, r
        assert r["clipped"] == [], r  # every word and number of a figure inside the figure


def test_axe_finds_no_serious_or_critical_violation(report):
    for r in report:
        assert [v for v in r["violations"] if v["impact"] in SERIOUS] == [], r["violations"]


def test_the_hostile_page_passes_too(write_config, tmp_path):
    from derive import cli

    assert cli.main(["build", "--no-pdf", "--html", "--sheet", "both", "--config",
                     str(_hostile_config(write_config)), "--out", str(tmp_path)]) == 0
    for r in browse([tmp_path / "solutions.html", tmp_path / "questions.html"], (390,)):
        assert r["overflow"] <= 0 and r["console"] == [] and r["failed"] == [] and r["clipped"] == [], r
        assert [v for v in r["violations"] if v["impact"] in SERIOUS] == [], r["violations"]


def test_the_checker_sees_each_fault(tmp_path: Path):
    """Each check above can fail: a page planted with one fault of each kind is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body>'
                   '<div style="width:2000px">wide</div><img src="missing.png">'
                   '<img src="http://derive.invalid/x.png" alt="x">'
                   '<svg viewBox="0 0 50 20" width="50" height="20"><text x="30" y="15">clipped</text></svg>'
                   '<script>console.error("planted")</script></body></html>', encoding="utf-8")
    (r,) = browse([bad], (390,))
    assert r["overflow"] > 0
    assert any("planted" in line for line in r["console"])
    assert r["failed"]  # missing.png
    assert r["requests"] == ["http://derive.invalid/x.png"]
    assert r["clipped"] == ["clipped"]
    assert {"image-alt", "html-has-lang"} <= {v["id"] for v in r["violations"]}


def test_a_word_of_1000_characters_and_a_one_column_tensor_fit_a_phone(write_config, tmp_path):
    """The longest word a tree may hold wraps in the prose; a 40 x 1 x 1 tensor's panel is as wide
    as its title (both ran past their box before: caught by overflow and clipped)."""
    from derive import cli

    tensor = "[normalization]\ntensor = [" + ", ".join(f"[[{i % 7 - 3}.5]]" for i in range(40)) + "]\n"
    tree = '[decoding]\nbeam_width = 1\nvocabulary_size = 3\n[decoding.tree]\n"' + "w" * 1000 + '" = -0.5\n"b" = -1.0\n'
    assert cli.main(["build", "--no-pdf", "--html", "--sheet", "both", "--config", str(write_config(tensor + tree)),
                     "--out", str(tmp_path)]) == 0
    for r in browse([tmp_path / "solutions.html", tmp_path / "questions.html"], (390,)):
        assert r["overflow"] <= 0 and r["clipped"] == [], r
