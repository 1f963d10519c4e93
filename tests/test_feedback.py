"""`derive grade --feedback DIR` and `--report DIR`: a class of 30 submissions on four variants
with planted misconceptions; the report's counts equal the planted counts, each planted
misconception is named in its student's feedback, correct students get none."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from collections import Counter

import pytest

from derive import cli
from derive.config import load, loads
from derive.grading import class_report
from derive.grading.batch import Batch
from tests.conftest import needs_tex
from tests.feedback_support import PLANTS, config_texts, planted, toml
from tests.grade_support import key_of

VARIANTS = ("default", "instance", "v012", "drawn1001")
# What each student plants, cycled over the class: misconceptions of disjoint fields, none for some.
PLAN = (
    (), ("unbiased-variance",), ("count-bos", "gradient-transposed"), ("duplicated-first-step",),
    ("batch-over-CL", "attention-once"), ("log10", "choice-swapped"), (), ("half-squared-error", "adapters-once"),
    ("std-for-variance", "count-swapped"), ("jacobian-untransposed",), ("layer-over-NL", "both-quantize-all"),
)
UNANSWERED = ("decoding", "complexity", "space")  # nobody answers it
MISSING = "s07"  # no submission


def _run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    variants, subs = root / "variants", root / "subs"
    subs.mkdir()
    texts = config_texts()
    entries, plants = [], {}
    for n in range(30):
        student, name = f"s{n + 1:02d}", VARIANTS[n % len(VARIANTS)]
        config = loads(texts[name], name)
        (variants / student).mkdir(parents=True)
        (variants / student / "config.toml").write_text(texts[name], encoding="utf-8")
        entries.append({"id": student, "answers": key_of(config)})
        if student == MISSING:
            continue
        plants[student] = PLAN[n % len(PLAN)]
        submission = planted(config, *plants[student])
        del submission[UNANSWERED[0]][UNANSWERED[1]][UNANSWERED[2]]
        (subs / f"{student}.toml").write_text(toml(submission), encoding="utf-8")
    (variants / "key.json").write_text(json.dumps(entries), encoding="utf-8")
    return root, plants


@pytest.fixture(scope="module")
def graded(klass):
    root, plants = klass
    code = cli.main(["grade", "--variants", str(root / "variants"), "--submissions", str(root / "subs"),
                     "--format", "json", "--out", str(root / "grades.json"), "--report", str(root / "report"),
                     "--feedback", str(root / "feedback")])
    assert code == 0
    return root, plants, json.loads((root / "grades.json").read_text(encoding="utf-8"))


def test_each_planted_misconception_is_named_and_nothing_else(graded):
    _, plants, students = graded
    for s in students:
        if s["status"] != "graded":
            assert s["id"] == MISSING
            continue
        named = {p["misconception"]["id"] for p in s["parts"] if p["misconception"]}
        assert named == set(plants[s["id"]]), s["id"]


def test_the_report_counts_equal_the_planted_counts(graded):
    root, plants, _ = graded
    rows = list(csv.DictReader(io.StringIO((root / "report/stats.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == list(class_report.COLUMNS)
    counted = [r for r in rows if r["misconception"]]
    expected = Counter(m for ms in plants.values() for m in ms)
    assert {r["misconception"] for r in counted} == set(expected)
    for r in counted:
        assert int(r["count"]) == expected[r["misconception"]], r
    parts = {r["part"]: r for r in rows if not r["misconception"]}
    nobody = parts[".".join(UNANSWERED)]
    assert (nobody["submissions"], nobody["missing"], nobody["correct"]) == ("29", "29", "0")
    variance = parts["normalization.batch.variance"]
    batch_variance = {"unbiased-variance", "std-for-variance", "batch-over-CL"}
    wrong_there = sum(1 for ms in plants.values() if batch_variance & set(ms))
    assert (int(variance["wrong"]), int(variance["correct"])) == (wrong_there, 29 - wrong_there)


def test_each_student_gets_a_sheet_naming_the_planted_mistakes(graded):
    root, plants, students = graded
    sentences = {p["misconception"]["id"]: p["misconception"]["text"] for s in students
                 for p in s.get("parts", []) if p["misconception"]}
    for student, planted_ids in plants.items():
        sheet = (root / "feedback" / f"{student}.md").read_text(encoding="utf-8")
        for m in PLANTS:
            mentioned = m in sentences and _md_plain(sentences[m]) in _md_plain(sheet)
            assert mentioned == (m in planted_ids), (student, m)
        if not planted_ids:
            assert "None recognized." in sheet and "Misconception:" not in sheet
        assert "2.2 (2 points): answered in prose or with a figure" in _md_plain(sheet)
    assert not (root / "feedback" / f"{MISSING}.md").exists()


def _md_plain(text: str) -> str:
    return text.replace("\\", "")


@needs_tex
def test_the_pdfs_say_it_too(graded):
    root, plants, _ = graded
    report = subprocess.run(["pdftotext", "-layout", str(root / "report/report.pdf"), "-"], capture_output=True,
                            text=True, check=True).stdout
    assert "Class report" in report and "Parts nobody answered: decoding.complexity.space" in report
    assert f"Without a submission: {MISSING}." in report
    student = next(s for s, ms in plants.items() if "count-bos" in ms)
    sheet = subprocess.run(["pdftotext", str(root / "feedback" / f"{student}.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "<BOS> was counted as one of the positions" in sheet


def test_report_is_for_batch_mode_and_folders_must_be_writable(capsys, tmp_path):
    key = tmp_path / "answers.json"
    key.write_text(json.dumps(key_of(load(None))), encoding="utf-8")
    sub = tmp_path / "s.toml"
    sub.write_text("", encoding="utf-8")
    code, _, err = _run("grade", "--key", str(key), str(sub), "--report", str(tmp_path / "r"), capsys=capsys)
    assert (code, err) == (2, "derive: --report is for batch mode (--variants DIR --submissions DIR); "
                              "use --feedback DIR\n")
    (tmp_path / "file").write_text("", encoding="utf-8")
    code, out, err = _run("grade", "--key", str(key), str(sub), "--feedback", str(tmp_path / "file"), capsys=capsys)
    assert code == 2 and err == f"derive: --feedback {tmp_path / 'file'}: exists and is not a folder\n"
    assert "total: 0 / 38" in out  # the report came out first


def test_one_submission_named_with_its_config_and_a_hostile_name(capsys, tmp_path):
    text = config_texts()["instance"]
    config = loads(text, "instance")
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    key = tmp_path / "answers.json"
    key.write_text(json.dumps(key_of(config)), encoding="utf-8")
    sub = tmp_path / "Ana_{&}%$#^~.toml"
    sub.write_text(toml(planted(config, "no-recursion")), encoding="utf-8")
    code, out, err = _run("grade", "--key", str(key), str(sub), "--config", str(tmp_path / "config.toml"),
                          "--format", "json", "--feedback", str(tmp_path / "fb"), capsys=capsys)
    assert code == 0, err
    named = {p["misconception"]["id"] for p in json.loads(out)["parts"] if p["misconception"]}
    assert named == {"no-recursion"}
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == ["Ana_{&}%$#^~.md", "Ana_{&}%$#^~.pdf"]
    if shutil.which("pdftotext"):
        shown = subprocess.run(["pdftotext", str(tmp_path / "fb" / "Ana_{&}%$#^~.pdf"), "-"], capture_output=True,
                               text=True, check=True).stdout
        assert "Feedback for Ana_{&}%$#^~" in shown


def test_stats_of_an_empty_class_are_empty():
    batch = Batch()
    stats = class_report.statistics(batch)
    batch.spool.close()
    assert class_report.stats_csv(stats) == ",".join(class_report.COLUMNS) + "\n"
    assert stats.unanswered == []
