"""`derive grade --gradebook moodle|canvas`: the documented columns, every student of the roster,
the totals `derive grade` gives, formula-like cells neutralized."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from derive import cli
from derive.csvout import cell as neutralized
from derive.grading.gradebook import canvas, moodle
from tests.export_support import IDS, key_submission, make_variants, variant_folders


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Variants of the roster; ana answers the key, carl the key with one mean wrong, dan nothing."""
    base = tmp_path_factory.mktemp("gradebook")
    variants = make_variants(base)
    subs = base / "subs"
    subs.mkdir()
    folders = variant_folders(variants)
    for student, changed in ((IDS[0], ""), (IDS[2], "normalization.batch.mean")):
        answers = json.loads((folders[student] / "answers.json").read_text(encoding="utf-8"))
        (subs / f"{folders[student].name}.toml").write_text(key_submission(answers, changed), encoding="utf-8")
    return variants, subs


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def totals(capsys, variants: Path, subs: Path) -> dict[str, str]:
    code, out, _ = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs))
    assert code == 0
    return {r["id"]: r["total"] for r in csv.DictReader(io.StringIO(out))}


def test_moodle_gradebook(capsys, graded, tmp_path):
    variants, subs = graded
    out = tmp_path / "moodle.csv"
    code, _, err = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs),
                       "--gradebook", "moodle", "--assignment", "A2 theory", "--out", str(out))
    assert code == 0 and err.endswith(f"derive: wrote {out} (moodle gradebook, 3 students)\n")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["Email address", "A2 theory"]  # every id an e-mail: Moodle matches on it
    expected = totals(capsys, variants, subs)
    assert expected[IDS[0]] == "38" and expected[IDS[2]] not in ("", "38")
    assert rows[1:] == [[IDS[0], "38"], [IDS[1], ""], [IDS[2], expected[IDS[2]]]]


def test_canvas_gradebook(capsys, graded, tmp_path):
    variants, subs = graded
    out = tmp_path / "canvas.csv"
    code, _, _ = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs),
                     "--gradebook", "canvas", "--out", str(out))
    assert code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "Section", "derive"]
    expected = totals(capsys, variants, subs)
    # The roster carries SIS User ID, so derive's id (the e-mail) is Canvas's ID column.
    assert rows[1:] == [
        ["Ana B", IDS[0], "1001", "L01", "38"],
        ["'=HYPERLINK(\"http://x\")", IDS[1], "-1002", "'+L02", ""],
        ["<b>Carl</b> & {1:SHORTANSWER:=x}", IDS[2], "1003", "'@L01", expected[IDS[2]]],
    ]


ROWS = [("s1", "graded", {"total": "12.5", "email": "a@x.org", "name": "A"}), ("s2", "missing", {"email": "b@x.org"})]


@pytest.mark.parametrize(("write", "expected"), [
    (moodle, "ID number,Email address,derive\ns1,a@x.org,12.5\ns2,b@x.org,\n"),
    (canvas, "Student,ID,SIS User ID,Section,derive\nA,,s1,,12.5\n,,s2,,\n"),
])
def test_columns_for_a_roster_of_student_numbers(write, expected):
    assert write(ROWS) == expected


@pytest.mark.parametrize(("cell", "shown"), [
    ("=1+1", "'=1+1"), ("+1", "+1"), ("-1", "-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=b", "a=b"), ("12.5", "12.5"), ("", ""),
])
def test_formula_cells_are_neutralized_and_numbers_stay_numbers(cell, shown):
    assert neutralized(cell) == shown


@pytest.mark.parametrize(("argv", "message"), [
    (["--gradebook", "moodle", "--key", "a.json", "s.toml"], "--gradebook is for batch mode"),
    (["--assignment", "x", "--key", "a.json", "s.toml"], "--assignment: only with --gradebook"),
])
def test_gradebook_usage_errors(capsys, argv, message):
    code, out, err = run(capsys, "grade", *argv)
    assert code == 2 and out == "" and err.startswith(f"derive: {message}") and len(err.splitlines()) == 1


def test_a_bad_assignment_name_is_exit_2(capsys, graded):
    variants, subs = graded
    code, _, err = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs),
                       "--gradebook", "canvas", "--assignment", "a\nb")
    assert code == 2 and err.splitlines()[-1] == "derive: --assignment: must be a name on one line, got 'a\\nb'"


def test_a_format_with_a_gradebook_is_exit_2(capsys, graded):
    variants, subs = graded
    code, out, err = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs),
                         "--gradebook", "moodle", "--format", "json")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == "derive: --format: not with --gradebook, whose file has its own columns"
