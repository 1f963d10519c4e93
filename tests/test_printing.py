"""questions-all.pdf: every sheet in roster order, each padded to an even page count, the id on
every page; and no sheet with a mostly blank page."""

from __future__ import annotations

import subprocess
from pathlib import Path

from derive import config, roster, variants
from derive.executors import Serial
from derive.latex.compile import compile_pdf
from derive.printing import all_sheets
from derive.sheet import sheet_source
from tests.conftest import needs_tex


def pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def pages(count: int, mark: str) -> bytes:
    body = "\\newpage\n".join(f"{mark} page {k}\n" for k in range(1, count + 1))
    return compile_pdf(f"\\documentclass{{article}}\\begin{{document}}\n{body}\\end{{document}}\n", "p.tex").pdf


@needs_tex
def test_sheets_are_concatenated_in_order_and_padded_to_even_pages(tmp_path):
    merged = all_sheets([("a&b@x.org", pages(3, "first")), ("v2", pages(2, "second")), ("v3", pages(1, "third"))])
    text = pages_text(merged, tmp_path)
    assert len(text) == 4 + 2 + 2
    assert [t.split()[0] if t.strip() else "" for t in text] == [
        "first", "first", "first", "Id:", "second", "second", "third", "Id:"]
    assert "Id: a&b@x.org" in text[3] and "Id: v3" in text[7]


@needs_tex
def test_variants_write_questions_all_with_the_id_on_every_page(tmp_path):
    students = roster.read_roster(_roster(tmp_path))
    out = tmp_path / "v"
    variants.run(students, 0, None, out, Serial(), pdf=True)
    text = pages_text((out / "questions-all.pdf").read_bytes(), tmp_path)
    counts = [len(pages_text((out / s.folder / "questions.pdf").read_bytes(), tmp_path)) for s in students]
    assert len(text) == sum(c + c % 2 for c in counts)
    start = 0
    for student, count in zip(students, counts, strict=True):  # in roster order, each on an even number of pages
        sheet = text[start:start + count + count % 2]
        assert all(f"Id: {student.id}" in page for page in sheet)
        assert f"Name: {student.name}" in sheet[0]
        start += len(sheet)
    variants.run(students, 0, None, out, Serial(), pdf=False)
    assert not (out / "questions-all.pdf").exists()  # it would no longer match the keys


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text("Email,Name\nzoe@uni.example,Zoë Ñ\nal@uni.example,Al\n", encoding="utf-8")
    return path


def fill(pdf: bytes, tmp_path: Path) -> list[int]:
    """Lines of text per page."""
    return [sum(1 for line in page.splitlines() if line.strip()) for page in pages_text(pdf, tmp_path)]


TALL_TREE = Path(__file__).parent / "sheet_configs" / "tall_tree.toml"


@needs_tex
def test_a_tall_tree_does_not_leave_a_mostly_blank_page(tmp_path):
    """The tree is a float: the text goes on under 2.3 and the tree takes the next page. Typeset
    in place (as before), the same sheet leaves page 2 mostly blank, which this measure sees."""
    source = sheet_source(config.load(TALL_TREE))
    lines = fill(compile_pdf(source, "questions.tex").pdf, tmp_path)
    assert min(lines[:-1]) >= 35, lines  # every page but the last at least half full (a full one: about 60)
    in_place = source.replace("\\begin{figure}[htbp]", "\\par\\begingroup\\def\\caption#1{}").replace(
        "\\end{figure}", "\\endgroup")
    assert min(fill(compile_pdf(in_place, "questions.tex").pdf, tmp_path)[:-1]) < 35
