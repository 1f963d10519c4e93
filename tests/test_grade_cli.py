"""`derive grade` on files: reports, exit codes, batch mode over a variants folder."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from derive import cli
from tests.grade_support import key_of

SUBMISSION = """
[normalization.batch]
mean = ["31/12", 2.583]
[decoding]
num_sequences = "N^T"
[decoding.greedy]
words = "the cat sat"
log_likelihood = 2.4
"""


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from derive.config import load

    path = tmp_path_factory.mktemp("key") / "answers.json"
    path.write_text(json.dumps(key_of(load(None))), encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_report(capsys, key_file, tmp_path):
    sub = tmp_path / "s.toml"
    sub.write_text(SUBMISSION, encoding="utf-8")
    code, out, err = run(capsys, "grade", "--key", str(key_file), str(sub), "--format", "csv")
    rows = {r["part"]: r for r in csv.DictReader(io.StringIO(out))}
    assert code == 0 and err == ""
    assert rows["decoding.greedy.log_likelihood"] == {
        "part": "decoding.greedy.log_likelihood", "points": "0", "max": "1", "verdict": "wrong",
        "reason": "expected -12/5, got 2.4: relative error 2 > 1e-3"}
    assert rows["normalization.batch.mean"]["verdict"] == "partial"
    assert rows["total"]["points"] == "3.5" and rows["total"]["max"] == "38"


def test_json_and_text_reports(capsys, key_file, tmp_path):
    sub = tmp_path / "s.toml"
    sub.write_text(SUBMISSION, encoding="utf-8")
    code, out, _ = run(capsys, "grade", "--key", str(key_file), str(sub), "--format", "json")
    data = json.loads(out)
    assert (code, data["total"], data["max"]) == (0, 3.5, 38.0)
    assert data["split"][-1] == ("not graded (prose or figures): 2.2 (2), 2.5 (3), 3.1 (2), 3.2(a) (8), 3.2(b) (2), "
                                 "4.1 (2), 4.2 (2), 4.3 (2)")
    code, out, _ = run(capsys, "grade", "--key", str(key_file), str(sub))
    assert "total: 3.5 / 38" in out and "decoding.num_sequences" in out


@pytest.mark.parametrize("text, message", [
    ("[decoding\n", "s.toml: not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 10)"),
    ("[decoding.greedy]\nlog_likelihood = " + "[" * 5000 + "]" * 5000 + "\n",
     "s.toml: has arrays or inline tables nested too deeply"),
    ("[decoding]\nnum_sequences = " + "1" * 5001 + "\n", "s.toml: has an integer of more than 4300 digits"),
])
def test_a_file_that_is_not_toml_is_exit_2(capsys, key_file, tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    Path("s.toml").write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "grade", "--key", str(key_file), "s.toml")
    assert (code, out, err) == (2, "", f"derive: {message}\n")


@pytest.mark.parametrize("text, ignored", [
    ("[decoding]\nbeams = 1\n", "decoding.beams: not a part of answers.json; ignored (see docs/submissions.md)"),
    ("student = 'x'\n", "student: not a part of answers.json; ignored (see docs/submissions.md)"),
    ("[lora.ffn.lora]\ntime_big_oh = 'O(n)'\n",
     "lora.ffn.lora.time_big_oh: not a part of answers.json; ignored (see docs/submissions.md)"),
    ('[decoding]\n"\\u001b[2J\\n" = 1\n',
     'decoding["\\u001b[2J\\n"]: not a part of answers.json; ignored (see docs/submissions.md)'),
    ("decoding = 5\n", "decoding: must be a table, as in answers.json; ignored, its parts graded as missing"),
    ("[decoding]\nbeam = 'a b c'\n",
     "decoding.beam: must be an array of tables, as in answers.json; ignored, its parts graded as missing"),
    ("[decoding]\nbeam = ['a b c']\n",
     "decoding.beam.1: must be a table, as in answers.json; ignored, its parts graded as missing"),
])
def test_an_unknown_field_is_reported_and_the_rest_graded(capsys, key_file, tmp_path, monkeypatch, text, ignored):
    monkeypatch.chdir(tmp_path)
    Path("s.toml").write_text(f"{text}[lora.choice.both]\nmha = 'QLoRA'\n", encoding="utf-8")
    code, out, err = run(capsys, "grade", "--key", str(key_file), "s.toml", "--format", "json")
    report = json.loads(out)
    assert (code, err, report["ignored"]) == (0, f"derive: s.toml: {ignored}\n", [ignored])
    assert {p["part"]: p["verdict"] for p in report["parts"]}["lora.choice.both.mha"] == "correct"
    assert report["total"] == 0.5
    code, out, _ = run(capsys, "grade", "--key", str(key_file), "s.toml")
    assert f"ignored: {ignored}" in out.splitlines()


def test_ungraded_fields_are_notes(capsys, key_file, tmp_path):
    sub = tmp_path / "s.toml"
    sub.write_text('[decoding.optimum]\nwords = "a dog barked"\n', encoding="utf-8")
    code, out, _ = run(capsys, "grade", "--key", str(key_file), str(sub))
    assert code == 0 and "note: decoding.optimum.words: not graded (see docs/submissions.md)" in out


def test_grading_table_in_the_config(capsys, key_file, tmp_path):
    sub = tmp_path / "s.toml"
    sub.write_text('[decoding.greedy]\nlog_likelihood = -2.41\n', encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text('[grading.parts]\n"decoding.greedy.log_likelihood" = { rtol = 0.01 }\n', encoding="utf-8")
    code, out, _ = run(capsys, "grade", "--key", str(key_file), str(sub), "--config", str(config), "--format", "csv")
    assert code == 0 and "decoding.greedy.log_likelihood,1,1,correct," in out
    config.write_text('[grading.parts]\n"decoding.greedy.loglik" = { rtol = 0.01 }\n', encoding="utf-8")
    code, _, err = run(capsys, "grade", "--key", str(key_file), str(sub), "--config", str(config))
    assert (code, err) == (2, 'derive: grading.parts["decoding.greedy.loglik"]: is not a graded part '
                              "(see docs/submissions.md for the part names)\n")


def test_batch(capsys, key_file, tmp_path):
    answers = json.loads(key_file.read_text(encoding="utf-8"))
    variants, subs = tmp_path / "variants", tmp_path / "subs"
    variants.mkdir()
    subs.mkdir()
    (variants / "key.json").write_text(json.dumps([{"id": i, "seed": n, "answers": answers}
                                                   for n, i in enumerate(("v001", "v002", "v003"))]), encoding="utf-8")
    (subs / "v001.toml").write_text(SUBMISSION, encoding="utf-8")
    (subs / "v002.toml").write_text("[decoding\n", encoding="utf-8")
    (subs / "v999.toml").write_text(SUBMISSION, encoding="utf-8")
    out_file = tmp_path / "grades.csv"
    code, out, err = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs),
                         "--out", str(out_file))
    assert code == 0 and out == ""
    assert err.splitlines()[:3] == [
        "derive: unknown id: v999.toml (no variant v999)",
        f"derive: not graded: {subs / 'v002.toml'}: not valid TOML: Expected ']' at the end of a table declaration "
        "(at line 1, column 10)",
        "derive: missing submission: v003 (v003.toml)",
    ]
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert [(r["id"], r["status"].split(":")[0], r["total"]) for r in rows] == [
        ("v001", "graded", "3.5"), ("v002", "invalid", ""), ("v003", "missing", "")]
    assert rows[0]["decoding.greedy.log_likelihood"] == "0" and rows[0]["max"] == "38"
    reasons = list(csv.DictReader(io.StringIO(out_file.with_suffix(".reasons.csv").read_text(encoding="utf-8"))))
    assert {r["id"] for r in reasons} == {"v001"} and all(r["reason"] for r in reasons)


def test_usage_errors(capsys, key_file):
    assert run(capsys, "grade")[0] == 2
    code, _, err = run(capsys, "grade", "--key", str(key_file), "--variants", "x")
    assert (code, err) == (2, "derive: batch mode is --variants DIR --submissions DIR (no --key, no SUBMISSION)\n")


def test_submission_schema_describes_exactly_the_graded_fields():
    from importlib import resources

    from derive.grading_policy import graded_fields

    schema = json.loads(resources.files("derive").joinpath("schemas/submission.schema.json").read_text("utf-8"))

    def leaves(node: dict, path: tuple[str, ...]) -> set[tuple[str, ...]]:
        if "properties" in node:
            return {leaf for name, sub in node["properties"].items() for leaf in leaves(sub, (*path, name))}
        if node.get("type") == "array" and "properties" in node.get("items", {}):
            return leaves(node["items"], (*path, "#"))
        return {path}

    assert leaves(schema, ()) == set(graded_fields())


def test_the_documented_example_is_right_for_the_assignment(key_file):
    """docs/submissions.md's example submission: every part it answers is correct."""
    import tomllib
    from decimal import Decimal

    from derive.grading.submission import grade
    from derive.grading_policy import GradingPolicy

    doc = (Path(__file__).parent.parent / "docs" / "submissions.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n")[1].split("```")[0]
    report = grade(json.loads(key_file.read_text(encoding="utf-8")), tomllib.loads(example, parse_float=Decimal),
                   GradingPolicy(), "example")
    answered = [r for r in report.results if r.verdict != "missing"]
    assert len(answered) == 34 and all(r.verdict == "correct" for r in answered), [
        (r.part.path, r.reason) for r in answered if r.verdict != "correct"]


def test_the_documented_limits_are_the_code_constants():
    from derive.grading import budget, compare, evaluate, expr, submission

    doc = (Path(__file__).parent.parent / "docs" / "submissions.md").read_text(encoding="utf-8")
    limits = doc.split("Limits (")[1].split("\n\n")[0].replace("\n", " ")
    quoted = [
        f"{expr.MAX_LENGTH} characters", f"{expr.MAX_TOKENS} tokens", f"nesting {expr.MAX_DEPTH} deep",
        f"literal exponents up to {expr.MAX_LITERAL_EXPONENT}", f"numbers up to {evaluate.MAX_POWER}",
        f"exact values up to {evaluate.MAX_BITS} bits", f"powers of symbols up to {evaluate.MAX_POLY_POWER}",
        f"up to {evaluate.MAX_TERMS} terms", f"at most {compare.MAX_ARRAY_DEPTH} deep",
        f"at most {compare.MAX_ENTRIES} entries", f"{budget.PART_BUDGET:,} units of counted work",
        f"up to {submission.MAX_FILE_BYTES // 2**20} MB",
    ]
    assert [q for q in quoted if q not in limits] == []


def test_batch_uses_each_variants_own_grading_table(capsys, key_file, tmp_path):
    answers = json.loads(key_file.read_text(encoding="utf-8"))
    variants, subs = tmp_path / "variants", tmp_path / "subs"
    (variants / "v001").mkdir(parents=True)
    subs.mkdir()
    (variants / "key.json").write_text(json.dumps([{"id": "v001", "seed": 1, "answers": answers}]), encoding="utf-8")
    (variants / "v001" / "config.toml").write_text(
        '[grading.parts]\n"decoding.greedy.log_likelihood" = { atol = 10 }\n', encoding="utf-8")
    (subs / "v001.toml").write_text(SUBMISSION, encoding="utf-8")
    code, out, err = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert (code, err, rows[0]["decoding.greedy.log_likelihood"], rows[0]["total"]) == (0, "", "1", "4.5")


@pytest.fixture
def batch_folders(key_file, tmp_path) -> tuple[Path, Path]:
    """v001 answers three parts (one wrong) and names an unknown field; v002 is missing."""
    answers = json.loads(key_file.read_text(encoding="utf-8"))
    variants, subs = tmp_path / "variants", tmp_path / "subs"
    variants.mkdir()
    subs.mkdir()
    (variants / "key.json").write_text(json.dumps([{"id": i, "seed": n, "answers": answers}
                                                   for n, i in enumerate(("v001", "v002"))]), encoding="utf-8")
    (subs / "v001.toml").write_text(SUBMISSION + "[lora]\nrank = 4\n", encoding="utf-8")
    return variants, subs


def test_batch_formats(capsys, batch_folders, tmp_path):
    variants, subs = batch_folders
    args = ("grade", "--variants", str(variants), "--submissions", str(subs))
    code, out, err = run(capsys, *args, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [(r["id"], r["status"], r.get("total")) for r in rows] == [
        ("v001", "graded", 3.5), ("v002", "missing", None)]
    assert rows[0]["ignored"] == ["lora.rank: not a part of answers.json; ignored (see docs/submissions.md)"]
    assert {p["part"]: p["verdict"] for p in rows[0]["parts"]}["decoding.greedy.log_likelihood"] == "wrong"
    assert err.splitlines() == ["derive: missing submission: v002 (v002.toml)",
                                f"derive: {subs / 'v001.toml'}: lora.rank: not a part of answers.json; ignored "
                                "(see docs/submissions.md)"]
    code, out, _ = run(capsys, *args, "--format", "text")
    assert code == 0 and out.startswith(f"v001: {subs / 'v001.toml'}\n") and "total: 3.5 / 38" in out
    assert out.endswith("\nv002: missing\n")
    code, csv_out, _ = run(capsys, *args, "--format", "csv")
    assert (code, csv_out) == (0, run(capsys, *args)[1])
    assert [r["total"] for r in csv.DictReader(io.StringIO(csv_out))] == ["3.5", ""]
    out_file = tmp_path / "grades.json"
    code, out, err = run(capsys, *args, "--format", "json", "--out", str(out_file))
    assert (code, out) == (0, "") and json.loads(out_file.read_text(encoding="utf-8")) == rows
    assert not out_file.with_suffix(".reasons.csv").exists()


def test_batch_outputs_are_each_students_single_report_in_turn(capsys, batch_folders, key_file, tmp_path):
    """Streamed from the spool, the batch's JSON, text and reasons hold, byte for byte, what
    grading each submission alone gives (its title and split aside), in the key's order."""
    from derive.config import default_text

    variants, subs = batch_folders
    (variants / "v001").mkdir()
    (variants / "v001" / "config.toml").write_text(default_text(), encoding="utf-8")  # the key's config
    single = ("grade", "--key", str(key_file), "--config", str(variants / "v001" / "config.toml"),
              str(subs / "v001.toml"))
    args = ("grade", "--variants", str(variants), "--submissions", str(subs))
    alone = json.loads(run(capsys, *single, "--format", "json")[1])
    del alone["split"]
    expected = json.dumps([{"id": "v001", "status": "graded"} | alone, {"id": "v002", "status": "missing"}],
                          indent=1) + "\n"
    assert run(capsys, *args, "--format", "json")[1] == expected
    text = run(capsys, *single, "--format", "text")[1].split("\n", 1)[1]
    assert run(capsys, *args, "--format", "text")[1] == f"v001: {subs / 'v001.toml'}\n{text}\nv002: missing\n"
    lines = run(capsys, *single, "--format", "csv")[1].splitlines(keepends=True)
    out_file = tmp_path / "grades.csv"
    assert run(capsys, *args, "--out", str(out_file))[0] == 0
    assert out_file.with_suffix(".reasons.csv").read_text(encoding="utf-8") == "".join(
        ["id,part,points,max,verdict,reason\n", *(f"v001,{line}" for line in lines[1:-1])])


def test_a_batch_keeps_no_report_unless_a_document_needs_them(batch_folders):
    from derive.grading.batch import grade_batch

    variants, subs = batch_folders
    for keep in (False, True):
        batch = grade_batch(variants, subs, None, keep=keep)
        assert [student for student, _ in batch.graded] == (["v001"] if keep else [])
        assert [(r[0], r[1]) for r in batch.rows()] == [("v001", "graded"), ("v002", "missing")]
        batch.spool.close()
