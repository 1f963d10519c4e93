"""`.derive-origins.json`: a build removes the outputs another config left in its folder."""

from __future__ import annotations

import json

from derive import origins

OTHER = '[document]\ntitle = "Another assignment"\n'


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def test_another_configs_question_sheet_is_removed_and_the_build_says_so(run, write_config, tmp_path):
    out = tmp_path / "out"
    assert run("build", "--no-pdf", "--sheet", "both", "--out", str(out))[0] == 0
    assert "questions.tex" in names(out)
    code, _, err = run("build", "--no-pdf", "--config", str(write_config(OTHER)), "--out", str(out))
    assert code == 0, err
    assert "derive: removing questions.tex (built from another config)\n" in err
    assert names(out) == [origins.ORIGINS, "answers.json", "overleaf.zip", "solutions.tex"]
    recorded = json.loads((out / origins.ORIGINS).read_text(encoding="utf-8"))
    assert sorted(recorded) == ["answers.json", "overleaf.zip", "solutions.tex"]


def test_the_same_configs_other_sheet_is_kept_whatever_its_path(run, write_config, tmp_path):
    out = tmp_path / "out"
    same = write_config(OTHER, name="one.toml")
    again = write_config(OTHER, name="two.toml")
    assert run("build", "--no-pdf", "--sheet", "questions", "--config", str(same), "--out", str(out))[0] == 0
    code, _, err = run("build", "--no-pdf", "--config", str(again), "--out", str(out))
    assert code == 0, err
    assert "removing" not in err
    assert names(out) == [origins.ORIGINS, "answers.json", "overleaf.zip", "questions.tex", "solutions.tex"]
    recorded = json.loads((out / origins.ORIGINS).read_text(encoding="utf-8"))
    assert len(set(recorded.values())) == 1 and len(recorded) == 4


def test_files_the_record_does_not_list_are_left_alone(run, write_config, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "questions.tex").write_text("from before the record existed")
    (out / "notes.txt").write_text("the user's")
    assert run("build", "--no-pdf", "--out", str(out))[0] == 0
    assert run("build", "--no-pdf", "--config", str(write_config(OTHER)), "--out", str(out))[0] == 0
    assert (out / "questions.tex").read_text() == "from before the record existed"
    assert (out / "notes.txt").read_text() == "the user's"


def test_a_damaged_or_linked_record_removes_nothing(run, write_config, tmp_path):
    out = tmp_path / "out"
    assert run("build", "--no-pdf", "--sheet", "both", "--out", str(out))[0] == 0
    (out / origins.ORIGINS).write_text("{not json")
    assert run("build", "--no-pdf", "--config", str(write_config(OTHER)), "--out", str(out))[0] == 0
    assert "questions.tex" in names(out)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"questions.tex": "0" * 16}))
    (out / origins.ORIGINS).unlink()
    (out / origins.ORIGINS).symlink_to(elsewhere)
    assert run("build", "--no-pdf", "--config", str(write_config(OTHER)), "--out", str(out))[0] == 0
    assert "questions.tex" in names(out)
