"""derive.variant and derive.grade: the Python API gives what the CLI writes and grades."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

import derive
from derive import api
from derive.cli import main
from derive.errors import ConfigError

BASE = "[document]\ntitle = 'Kit'\n"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """Two variants of BASE as `derive variants` writes them, seed 7."""
    folder = tmp_path_factory.mktemp("kit")
    base = folder / "base.toml"
    base.write_text(BASE, encoding="utf-8")
    assert main(["variants", "--count", "2", "--seed", "7", "--config", str(base), "--no-pdf",
                 "--out", str(folder / "out")]) == 0
    return folder


@pytest.fixture(scope="module")
def v002(written) -> api.Variant:
    return derive.variant(written / "base.toml", "v002", seed=7)


def test_a_variant_is_what_derive_variants_writes_for_its_id(written, v002):
    folder = written / "out" / "v002"
    assert v002.config_text == (folder / "config.toml").read_text(encoding="utf-8")
    assert v002.solution.json == (folder / "answers.json").read_text(encoding="utf-8")
    key = [e for e in json.loads((written / "out" / "key.json").read_text()) if e["id"] == "v002"]
    assert key[0]["seed"] == v002.seed


def test_the_base_may_be_a_path_toml_text_or_a_dict(written, v002):
    from_text = derive.variant(BASE, "v002", seed=7)
    from_dict = derive.variant({"document": {"title": "Kit"}}, "v002", seed=7)
    assert from_text.config_text == from_dict.config_text == v002.config_text
    other = derive.variant(BASE, "v001", seed=7)
    assert other.answers["normalization"] != v002.answers["normalization"]


def test_the_key_grades_at_full_marks_and_a_planted_error_loses_its_part(v002):
    full = derive.grade(v002, v002.answers)
    assert full.total == full.maximum > 0
    assert {p.verdict for p in full.parts} == {"correct"}
    wrong = copy.deepcopy(dict(v002.answers))
    wrong["birnn"]["instance"]["loss"] *= -1
    graded = derive.grade(v002, wrong)
    lost = [p for p in graded.parts if p.verdict != "correct"]
    assert [p.part for p in lost] == ["birnn.instance.loss"]
    assert graded.total == full.maximum - lost[0].max_points
    assert lost[0].points == 0 and lost[0].reason


def test_grading_through_the_api_equals_the_cli(v002, tmp_path, capsys):
    key = tmp_path / "answers.json"
    key.write_text(v002.solution.json, encoding="utf-8")
    submission = tmp_path / "s.toml"
    submission.write_text("[normalization.batch]\nmean = 0\n[decoding]\ngreedy = ['x']\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["grade", "--key", str(key), str(submission), "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    for given in (submission, submission.read_text(encoding="utf-8")):
        graded = derive.grade(key, given)
        assert json.loads(graded.json()) == cli
        assert [(p.part, float(p.points), p.verdict, p.reason) for p in graded.parts] == [
            (p["part"], p["points"], p["verdict"], p["reason"]) for p in cli["parts"]]
    assert derive.grade(v002.answers, {"normalization": {"batch": {"mean": 0}}}).total == 0


def test_a_variant_grades_with_its_own_grading_table():
    loose = derive.variant("[grading]\nrtol = 0.5\n", "v001")
    near = copy.deepcopy(dict(loose.answers))
    near["birnn"]["instance"]["loss"] *= 1.2
    verdict = {p.part: p.verdict for p in derive.grade(loose, near).parts}
    strict = {p.part: p.verdict for p in derive.grade(loose, near, grading="[grading]\nrtol = 0.001\n").parts}
    assert verdict["birnn.instance.loss"] == "correct"
    assert strict["birnn.instance.loss"] == "wrong"


@pytest.mark.parametrize(("call", "named"), [
    (lambda: derive.variant(None, ""), "id"),
    (lambda: derive.variant(None, "a\nb"), "id"),
    (lambda: derive.variant(None, "v1", seed="7"), "seed"),
    (lambda: derive.variant({"lora": {"r": -1}}, "v1"), "lora.r"),
    (lambda: derive.grade([], {}), "key"),
    (lambda: derive.grade({"x": 1}, {}), "key"),
    (lambda: derive.grade({"normalization": object()}, {}), "key"),
    (lambda: derive.grade({"normalization": {}}, 3), "submission"),
    (lambda: derive.grade({"normalization": {}}, "[broken"), "submission"),
])
def test_bad_input_raises_a_config_error_naming_it(call, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        call()


def test_the_examples_of_docs_api_md_run(capsys):
    """Every ```python block of docs/api.md, in order, as a reader would paste them."""
    text = (Path(__file__).parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    for block in blocks:
        exec(compile(block, "docs/api.md", "exec"), {})  # the project's own documentation
    printed = capsys.readouterr().out
    assert "birnn.instance.loss wrong" in printed


def test_a_known_mistake_is_named_and_a_correct_answer_names_none(v002):
    mistaken = copy.deepcopy(dict(v002.answers))
    mistaken["decoding"]["num_sequences"] = "N**(T+1)"  # <BOS> counted as a position
    graded = {p.part: p for p in derive.grade(v002, mistaken).parts}
    assert graded["decoding.num_sequences"].verdict == "wrong"
    assert graded["decoding.num_sequences"].misconception[0] == "count-bos"
    assert all(p.misconception is None for p in derive.grade(v002, v002.answers).parts)
    key = dict(derive.solve({}).answers)  # a plain key: the default config's misconceptions, as derive grade --key
    plain = {p.part: p for p in derive.grade(key, {"decoding": {"num_sequences": "N**(T+1)"}}).parts}
    assert plain["decoding.num_sequences"].misconception[0] == "count-bos"
