"""What the toy fifth question (tests/fixtures/toy) must do besides passing the generic suites:
run only by tests/test_toy_question.py, in a process where the toy is registered
(DERIVE_TEST_TOY=1), so that nothing here is collected by a plain `pytest`."""

from __future__ import annotations

import json

import pytest

from derive import config, schema_gen
from derive.errors import ConfigError
from derive.questions.registry import QUESTIONS
from tests.check_support import failing

pytestmark = pytest.mark.skipif("softmax" not in set(QUESTIONS.keys()), reason="run by tests/test_toy_question.py")


def test_the_toy_is_question_5_and_its_points_count_on_the_sheet(run, tmp_path):
    assert [q.key for q in QUESTIONS][-1] == "softmax" and QUESTIONS["softmax"].number == str(len(QUESTIONS))
    code, _, err = run("build", "--no-pdf", "--sheet", "questions", "--out", str(tmp_path))
    assert code == 0, err
    sheet = (tmp_path / "questions.tex").read_text(encoding="utf-8")
    total = sum(sum(q.parts.points().values()) for q in QUESTIONS)
    assert f"Question sheet: {total} points" in sheet
    assert rf"Question {len(QUESTIONS)}: Softmax (4 points)" in sheet
    assert r"x = \left(1, 2, 3\right)" in sheet


def test_the_build_derives_checks_and_publishes_the_toy(run, tmp_path):
    (tmp_path / "c.toml").write_text("[softmax]\nlogits = [0, 1.5, -2, 4]\n", encoding="utf-8")
    code, _, err = run("build", "--no-pdf", "--config", str(tmp_path / "c.toml"), "--out", str(tmp_path / "out"))
    assert code == 0, err
    answers = json.loads((tmp_path / "out" / "answers.json").read_text(encoding="utf-8"))
    p = answers["softmax"]["probabilities"]
    assert len(p) == 4 and abs(sum(p) - 1) < 1e-9 and max(p) == p[3]
    checks = [c for c in answers["checks"] if c["question"] == QUESTIONS["softmax"].number]
    assert {c["name"] for c in checks} == {"softmax", "sum to 1", "boxed answers = answers.json"}
    assert all(c["passed"] for c in checks)
    source = (tmp_path / "out" / "solutions.tex").read_text(encoding="utf-8")
    assert rf"\section{{Question {len(QUESTIONS)}: Softmax}}" in source and r"\answerbox{p = \left(" in source


def test_a_planted_error_in_the_toy_fails_its_check():
    q = QUESTIONS["softmax"]
    cfg = config.load(None)
    answer = q.derive(cfg)
    assert failing(q, answer, cfg) == set()
    wrong = type(answer)(answer.config, (answer.exact[1], answer.exact[0], *answer.exact[2:]))  # two swapped
    assert failing(q, wrong, cfg) == {"softmax"}


def test_the_toy_is_graded(run, tmp_path):
    out = tmp_path / "key"
    assert run("build", "--no-pdf", "--out", str(out))[0] == 0
    key = json.loads((out / "answers.json").read_text(encoding="utf-8"))
    right, wrong = tmp_path / "right.toml", tmp_path / "wrong.toml"
    right.write_text(f"[softmax]\nprobabilities = {key['softmax']['probabilities']!r}\n", encoding="utf-8")
    wrong.write_text("[softmax]\nprobabilities = [0.2, 0.3, 0.5]\n", encoding="utf-8")
    for submission, points in ((right, 4), (wrong, 0)):
        code, text, err = run("grade", "--key", str(out / "answers.json"), str(submission),
                              "--format", "json")
        assert code in (0, 1), err
        report = json.loads(text)
        part = next(p for p in report["parts"] if p["part"] == "softmax.probabilities")
        assert part["points"] == points, part


def test_variants_draw_the_toys_table_and_prove_its_property(run, tmp_path):
    base = tmp_path / "base.toml"
    base.write_text('[variants]\nvary = ["softmax"]\nrequire = ["not_uniform"]\n', encoding="utf-8")
    code, _, err = run("variants", "--count", "2", "--no-pdf", "--config", str(base), "--out", str(tmp_path / "v"))
    assert code == 0, err
    drawn = [config.load(path).softmax.logits for path in sorted((tmp_path / "v").glob("*/config.toml"))]
    assert len(drawn) == 2 and all(len(set(x)) > 1 and min(x) >= -2 and max(x) <= 3 for x in drawn)


def test_the_schema_and_the_validation_know_the_toys_table():
    schema = schema_gen.config_schema()["properties"]
    assert schema["softmax"]["properties"]["logits"]["maxItems"] == 8
    assert "entries" in schema["variants"]["properties"]["softmax"]["properties"]
    assert "| `softmax.logits` |" in schema_gen.key_table()
    with pytest.raises(ConfigError, match=r"^softmax\.logits\[1\]: "):
        config.loads('[softmax]\nlogits = [1, "two"]\n', "c.toml")
    with pytest.raises(ConfigError, match=r'^variants\.require: "not_uniform" can never hold'):
        config.loads("[variants.softmax]\nentries = [1, 1]\n[variants]\nrequire = [\"not_uniform\"]\n", "c.toml")
