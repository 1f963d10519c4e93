"""`derive export gradescope`: the same bytes for the same variants; its wheel installs offline;
its run_autograder, run in a temporary AUTOGRADER_ROOT with derive from that wheel, gives each
student the score `derive grade` gives, part by part, and a clear 0 when it cannot grade."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from derive import cli
from tests.export_support import IDS, key_submission, make_variants, variant_folders


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The variants folder, the bundle, and the bundle's wheel installed (no index, no dependencies)."""
    base = tmp_path_factory.mktemp("gradescope")
    variants = make_variants(base)
    bundle = base / "autograder.zip"
    assert cli.main(["export", "gradescope", str(variants), "--out", str(bundle)]) == 0
    with zipfile.ZipFile(bundle) as z:
        [wheel] = [n for n in z.namelist() if n.endswith(".whl")]
        z.extract(wheel, base)
    installed = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target",
                    str(installed), str(base / wheel)], check=True, capture_output=True)
    return variants, bundle, installed


def test_the_bundle_has_what_gradescope_runs(exported):
    _, bundle, _ = exported
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 & 0o777 for i in z.infolist()}
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert names == sorted(names)
    assert {"setup.sh", "run_autograder", "variants/index.json"} <= set(names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert len([n for n in names if n.endswith("/answers.json")]) == len(IDS)


def test_the_same_variants_give_the_same_bytes(exported, tmp_path, capsys):
    variants, bundle, _ = exported
    moved = tmp_path / "elsewhere"
    shutil.copytree(variants, moved)
    again = tmp_path / "again.zip"
    assert cli.main(["export", "gradescope", str(moved), "--out", str(again)]) == 0
    assert again.read_bytes() == bundle.read_bytes()


def test_the_wheel_is_derive(exported):
    _, _, installed = exported
    found = subprocess.run([sys.executable, "-c", "import derive, derive.export.autograde; print(derive.__file__)"],
                           env={"PYTHONPATH": str(installed)}, cwd=installed.parent, check=True, capture_output=True,
                           text=True).stdout  # not in the working tree, which `-c` puts first on the path
    assert Path(found.strip()).is_relative_to(installed)
    assert (installed / "derive" / "templates" / "sheet" / "head.tex.j2").is_file()


def autograde(exported, tmp_path: Path, submission: str | None, user: dict[str, str],
              name: str = "submission.toml") -> dict:
    """run_autograder as Gradescope runs it: the bundle in ROOT/source, the script copied to ROOT."""
    _, bundle, installed = exported
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    if submission is not None:
        (root / "submission" / name).write_text(submission, encoding="utf-8")
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "users": [user]}), encoding="utf-8")
    env = {"AUTOGRADER_ROOT": str(root), "DERIVE_PYTHON": sys.executable, "PYTHONPATH": str(installed),
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["bash", str(root / "run_autograder")], env=env, cwd=root, check=True, capture_output=True)
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def derive_grade(capsys, variants: Path, student: str, submission: str, tmp_path: Path) -> dict:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / f"{variant_folders(variants)[student].name}.toml").write_text(submission, encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["grade", "--variants", str(variants), "--submissions", str(subs), "--format", "json"]) == 0
    return next(r for r in json.loads(capsys.readouterr().out) if r["id"] == student)


@pytest.mark.parametrize(("student", "user", "changed"), [
    (IDS[0], {"email": "Ana.B@uni.example", "name": "Ana"}, ""),  # matched on the e-mail, in any case
    (IDS[2], {"sid": "1003", "email": "carl@elsewhere.example"}, "normalization.batch.mean"),  # the SIS id
    (IDS[1], {"email": IDS[1]}, "decoding.beam.1.words"),
])
def test_run_autograder_gives_the_score_derive_grade_gives(capsys, exported, tmp_path, student, user, changed):
    variants = exported[0]
    answers = json.loads((variant_folders(variants)[student] / "answers.json").read_text(encoding="utf-8"))
    submission = key_submission(answers, changed)
    result = autograde(exported, tmp_path, submission, user, "answers.toml" if changed else "submission.toml")
    expected = derive_grade(capsys, variants, student, submission, tmp_path)
    assert result["score"] == expected["total"] and (result["score"] == expected["max"]) == (changed == "")
    assert [(t["name"], t["score"], t["max_score"]) for t in result["tests"]] == [
        (p["part"], p["points"], p["max"]) for p in expected["parts"]]
    assert all(t["output"].startswith(p["verdict"] + ": ") for t, p in zip(result["tests"], expected["parts"],
                                                                            strict=True))
    assert result["output"].startswith(f"Graded against variant {student}: ")


@pytest.mark.parametrize(("submission", "user", "output"), [
    ("x = 1\n", {"email": "nobody@uni.example", "sid": "9"},
     "no variant for nobody@uni.example: the roster of this autograder has neither your student id nor your "
     "e-mail address; ask your instructor"),
    ("[decoding\n", {"email": IDS[0]}, "{root}/submission/submission.toml: not valid TOML: Expected ']' at the end "
                                       f"of a table declaration (at line 1, column 10) (variant {IDS[0]})"),
    (None, {"email": IDS[0]}, "{root}/submission/submission.toml: no such submission file (variant " + IDS[0] + ")"),
])
def test_what_cannot_be_graded_scores_0_with_the_reason(exported, tmp_path, submission, user, output):
    expected = output.replace("{root}", str(tmp_path / "autograder"))
    assert autograde(exported, tmp_path, submission, user) == {"score": 0.0, "output": expected, "tests": []}
