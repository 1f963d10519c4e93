"""CSV outputs are safe to open in a spreadsheet: formula-like text is inert, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from derive.csvout import Writer, cell
from derive.grading.report import batch_csv
from derive.keys import write_key_csv


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-12/5", "'-12/5"),  # an exact fraction: a spreadsheet would compute it
    ("-1.65", "-1.65"),
    ("+3", "+3"),
    ("-2.5e-3", "-2.5e-3"),
    (".5", ".5"),
    ("1.125", "1.125"),
    (-7, "-7"),
    ("a=b", "a=b"),
    ("", ""),
    ("-", "'-"),
    ("-1e", "'-1e"),
])
def test_cells(value, written):
    assert cell(value) == written


def test_rows_are_read_back_as_written():
    out = io.StringIO()
    Writer(out).rows([["id", "note"], ["=1+1", "-0.5"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["id", "note"], ["'=1+1", "-0.5"]]


def test_key_csv_and_grades_csv_neutralize_config_words_and_roster_ids():
    entry = {"id": "=cmd()", "seed": 5, "roster": {"name": "@evil"},
             "answers": {"decoding": {"greedy": {"words": ["-a", "b"], "log_likelihood": "-3/2"}}}}
    out = io.StringIO()
    write_key_csv(out, lambda: [entry])
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows == [{"id": "'=cmd()", "seed": "5", "name": "'@evil", "decoding.greedy.words": "'-a b",
                     "decoding.greedy.log_likelihood": "'-3/2"}]
    table = batch_csv(["x"], [("+id", "graded", {"name": "-x", "total": "1.5", "max": "2", "x": "1.5"})], ["name"])
    assert table.splitlines()[1] == "'+id,'-x,graded,1.5,2,1.5"
