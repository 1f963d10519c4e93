"""Rosters as instructors have them: any case, `;` or `,`, the id column found or chosen,
e-mail ids in safe folders, names on the sheets, other columns carried to the keys and grades."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest

from derive import config, roster
from derive.errors import UsageError
from derive.latex.render import escape
from tests.conftest import needs_tex

ROSTER = ("Email;NAME;Section\n"
          "ana.b@uni.example;Ana Bé;A1\n"
          "Bo+x@uni.example;O'Brien & {Co} 100% #1 ^_^ \\textbf{x} ~;B2\n")


def test_a_semicolon_roster_with_mixed_case_headers_and_email_ids(write_config):
    students = roster.read_roster(write_config(ROSTER, "roster.csv"))
    assert [s.id for s in students] == ["ana.b@uni.example", "Bo+x@uni.example"]
    assert [s.folder for s in students] == ["ana.b_at_uni.example", "Bo_x_at_uni.example"]
    assert students[1].name == "O'Brien & {Co} 100% #1 ^_^ \\textbf{x} ~"
    assert students[0].columns == (("NAME", "Ana Bé"), ("Section", "A1"))


@pytest.mark.parametrize(("header", "column"), [
    ("ID,student_id", "ID"), ("Student_ID,UserName", "Student_ID"), ("username,email", "username"),
    ("SIS_ID,x", "SIS_ID"), ("x,EMAIL", "EMAIL"),
])
def test_the_id_column_is_found_in_any_case(write_config, header, column):
    students = roster.read_roster(write_config(f"{header}\nsame,other\n", "roster.csv"))
    assert students[0].id == ("same" if header.split(",").index(column) == 0 else "other")


def test_id_column_chooses_among_several(write_config):
    path = write_config("id,login\n17,ana\n18,bo\n", "roster.csv")
    assert [s.id for s in roster.read_roster(path, "LOGIN")] == ["ana", "bo"]
    with pytest.raises(UsageError, match=r"^--roster .*: no column 'mail' \(--id-column; the header has id, login\)$"):
        roster.read_roster(path, "mail")


def test_folders_are_safe_unique_and_independent_of_order():
    ids = ["Bob", "bob", "a+b@x.org", "a_b@x.org", "../etc", ".hidden", "ok-1"]
    folders = roster.folder_names(ids)
    assert folders == roster.folder_names(list(reversed(ids)))
    assert len({f.casefold() for f in folders.values()}) == len(ids)
    assert folders["ok-1"] == "ok-1" and folders["../etc"] == "_etc" and folders[".hidden"] == "hidden"
    assert folders["Bob"].startswith("Bob-") and folders["bob"].startswith("bob-")
    assert all(roster.slug(i) in folders[i] and set(folders[i]) <= set("abcdefghijklmnopqrstuvwxyz"
               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") for i in ids)


def test_id_column_is_only_for_a_roster(tmp_path, run):
    code, _, err = run("variants", "--count", "1", "--id-column", "x", "--out", str(tmp_path / "v"), "--no-pdf")
    assert (code, err) == (2, "derive: --id-column: only with --roster\n")


def test_a_roster_builds_and_grades_by_its_ids(tmp_path, write_config, run):
    path = write_config(ROSTER, "roster.csv")
    out = tmp_path / "v"
    code, _, err = run("variants", "--roster", str(path), "--out", str(out), "--no-pdf", "--jobs", "1")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["Bo_x_at_uni.example", "ana.b_at_uni.example"]
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert [(e["id"], e["folder"]) for e in key] == [("ana.b@uni.example", "ana.b_at_uni.example"),
                                                     ("Bo+x@uni.example", "Bo_x_at_uni.example")]
    rows = list(csv.DictReader(io.StringIO((out / "key.csv").read_text(encoding="utf-8"))))
    assert list(rows[0])[:4] == ["id", "seed", "NAME", "Section"] and rows[1]["Section"] == "B2"
    name = "O'Brien & {Co} 100% #1 ^_^ \\textbf{x} ~"
    sheet = (out / "Bo_x_at_uni.example" / "questions.tex").read_text(encoding="utf-8")
    assert f"Name: {escape(name)}" in sheet and name not in sheet and "\\textbf{x}" not in sheet
    assert f"Id: {escape('Bo+x@uni.example')}" in sheet
    written = config.load(out / "Bo_x_at_uni.example" / "config.toml").document
    assert (written.variant_id, written.student_name) == ("Bo+x@uni.example", name)
    assert "--config Bo_x_at_uni.example/config.toml" in (out / "Bo_x_at_uni.example" / "config.toml").read_text()

    subs = tmp_path / "subs"
    subs.mkdir()
    answers = key[0]["answers"]
    (subs / "ana.b_at_uni.example.toml").write_text(
        f'[decoding]\nnum_sequences = "{answers["decoding"]["num_sequences"]}"\n', encoding="utf-8")
    code, table, err = run("grade", "--variants", str(out), "--submissions", str(subs))
    assert code == 0, err
    graded = list(csv.DictReader(io.StringIO(table)))
    assert list(graded[0])[:5] == ["id", "NAME", "Section", "status", "total"]
    assert [(r["id"], r["status"], r["Section"]) for r in graded] == [
        ("ana.b@uni.example", "graded", "A1"), ("Bo+x@uni.example", "missing", "B2")]
    assert "missing submission: Bo+x@uni.example (Bo_x_at_uni.example.toml)" in err
    assert float(graded[0]["decoding.num_sequences"]) > 0


@needs_tex
def test_a_latex_special_name_typesets_as_written(tmp_path, write_config, run):
    name = "O'Brien & {Co} 100% #1 ^_^ \\textbf{x} ~ Zoë"
    path = write_config(f'[document]\nvariant_id = "a_b@x.org"\nstudent_name = {json.dumps(name)}\n')
    code, _, err = run("build", "--sheet", "questions", "--config", str(path), "--out", str(tmp_path / "b"))
    assert code == 0, err
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "b" / "questions.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert f"Name: {name}" in text
    pages = text.split("\f")[:-1]
    assert len(pages) >= 3 and all("Id: a_b@x.org" in page for page in pages)
