"""`derive variants`: the layout, seeds, rosters, same bytes, keys, and failures kept to one variant."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest

from derive import config, variants
from derive.build import Produced
from derive.errors import CheckFailed, ConfigError
from derive.executors import Serial
from derive.latex.render import escape
from derive.questions.registry import QUESTIONS
from tests.conftest import needs_tex, snapshot
from tests.grade_support import key_of


def job(variant_id: str, base_text: str | None = None, write_config=None, seed: int = 0) -> variants.Job:
    path = write_config(base_text) if base_text else None
    spec = config.load(path).variants
    return variants.Job(variant_id, variants.variant_seed(seed, variant_id), variants.base_tables(path), spec, False)


def test_layout_keys_and_report(tmp_path):
    out = tmp_path / "v"
    variants.run(["v001", "v002"], 7, None, out, Serial(), pdf=False)
    assert sorted(p.name for p in out.iterdir()) == [".derive-variants.lock", "key.csv", "key.json", "key.jsonl",
                                                    "report.json", "v001", "v002"]
    assert sorted(p.name for p in (out / "v001").iterdir()) == [
        "answers.json", "config.toml", "questions.tex", "solutions.tex", "submission.toml"]
    key = json.loads((out / "key.json").read_text())
    assert [json.loads(line) for line in (out / "key.jsonl").read_text().splitlines()] == key
    assert (out / "key.json").read_text() == json.dumps(key, indent=2, ensure_ascii=False) + "\n"
    assert [e["id"] for e in key] == ["v001", "v002"]
    assert [e["seed"] for e in key] == [variants.variant_seed(7, "v001"), variants.variant_seed(7, "v002")]
    assert key[1]["answers"] == json.loads((out / "v002" / "answers.json").read_text())
    rows = list(csv.DictReader(io.StringIO((out / "key.csv").read_text())))
    assert [r["id"] for r in rows] == ["v001", "v002"]
    assert rows[0]["decoding.greedy.words"] == " ".join(key[0]["answers"]["decoding"]["greedy"]["words"])
    assert rows[1]["normalization.batch.mean"] == json.dumps(key[1]["answers"]["normalization"]["batch"]["mean"])
    assert "checks" not in "".join(rows[0])  # checks are not answers
    report = json.loads((out / "report.json").read_text())
    assert [p["name"] for p in report[0]["properties"]] == list(config.load(None).variants.require)
    assert all(p["held"] for r in report for p in r["properties"])


def test_same_arguments_same_bytes(tmp_path, write_config):
    for name in ("a", "b"):
        variants.run(["v001"], 3, None, tmp_path / name, Serial(), pdf=False)
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    other_seed = variants.draw(job("v001", write_config=write_config, seed=4))[0]
    assert other_seed.encode() != (tmp_path / "a/v001/config.toml").read_bytes()


def test_a_roster_student_keeps_their_variant_when_another_is_added(write_config):
    before = {i: variants.draw(job(i, write_config=write_config))[0] for i in ("ana", "bo")}
    after = {i: variants.draw(job(i, write_config=write_config))[0] for i in ("ana", "cy", "bo")}
    assert before["ana"] == after["ana"] and before["bo"] == after["bo"]
    assert after["cy"] != after["ana"]


def test_generated_configs_vary_every_question_and_load(write_config):
    drawn = [config.from_dict(config.parse_toml(variants.draw(job(f"v{i}", write_config=write_config))[0], "x"),
                              config.parse_toml(config.default_text(), "d")) for i in range(6)]
    for part in ("normalization", "decoding", "birnn", "lora"):
        assert len({repr(getattr(c, part)) for c in drawn}) > 1, part


def test_required_properties_hold_on_every_variant(write_config):
    spec = config.load(None).variants
    for i in range(5):
        text, draws = variants.draw(job(f"s{i}", write_config=write_config))
        cfg = config.from_dict(config.parse_toml(text, "x"), config.parse_toml(config.default_text(), "d"))
        held = {}
        for question in ("normalization", "decoding"):
            held |= variants.proved(cfg, question, [n for n in spec.require if n.startswith(
                ("nonzero", "small")) == (question == "normalization")], spec)
        assert held and all(held.values()), (text, held)


def test_a_property_that_does_not_hold_in_max_draws_is_one_line(write_config):
    base = '[variants]\nmax_draws = 1\nrequire = ["beam_misses_optimum"]\n'
    for i in range(20):  # the first variant whose single draw fails
        try:
            variants.draw(job(f"v{i:03d}", base, write_config))
        except ConfigError as exc:
            assert str(exc) == (f"variants.require: beam_misses_optimum: did not hold in 1 draws of [decoding] for "
                                f"variant v{i:03d}; widen [variants.decoding] or raise variants.max_draws")
            return
    pytest.fail("every variant's first tree had beam search miss the optimum")


def test_a_fixed_question_that_fails_a_property_is_one_line(write_config):
    base = '[variants]\nvary = ["lora"]\nrequire = ["beam_misses_optimum"]\n'  # the default tree: beam finds it
    with pytest.raises(ConfigError, match=r"^variants.require: beam_misses_optimum: does not hold for the base "
                       r"config's \[decoding\], which does not vary \(see variants.vary\)$"):
        variants.draw(job("v001", base, write_config))


def test_a_failed_variant_is_reported_by_id_and_the_others_are_written(tmp_path, monkeypatch):
    def produce(cfg, *args, **kwargs):  # the build itself is tested elsewhere: a stand-in, fast
        if cfg.document.title.endswith("v002"):
            raise CheckFailed("check failed: question 1, planted")
        answers = key_of(cfg) | {"checks": [], "skipped_checks": []}
        return Produced({"answers.json": json.dumps(answers).encode()}, {}, {q.key: q.derive(cfg) for q in QUESTIONS})

    monkeypatch.setattr(variants, "produce", produce)
    with pytest.raises(CheckFailed, match=r"^variant v002: check failed: question 1, planted$"):
        variants.run(["v001", "v002", "v003"], 0, None, tmp_path, Serial(), pdf=False)
    assert (tmp_path / "v001/answers.json").exists() and (tmp_path / "v003/answers.json").exists()
    assert not (tmp_path / "v002").exists()
    assert [e["id"] for e in json.loads((tmp_path / "key.json").read_text())] == ["v001", "v003"]


def test_required_properties_are_proved_on_the_answers_the_build_published(monkeypatch):
    """The draw proves the properties on the tables it drew; the variant proves them again on the
    answers its build published from the written config.toml. Planted: a build whose published
    decoding answer is the assignment's tree, where beam search finds the optimum."""
    built = variants.produce
    printed = QUESTIONS["decoding"].derive(config.load(None))

    def produce(cfg, *args, **kwargs):
        produced = built(cfg, *args, **kwargs)
        return dataclasses.replace(produced, answers={**produced.answers, "decoding": printed})

    assert not variants.make_variant(job("v001")).error
    monkeypatch.setattr(variants, "produce", produce)
    outcome = variants.make_variant(job("v001"))
    assert (outcome.error, outcome.exit_code) == (
        "required properties do not hold on the written config: beam_misses_optimum", 1)


@pytest.mark.parametrize(("roster", "message"), [
    ("name\nana\n", "no id column (the first row names the columns, one of them id, student_id, sis_id, username, "
                    "email, or choose one with --id-column)"),
    ("id,name\nana,A\nbo,B\nana,C\n", "line 4: duplicate id 'ana' (also on line 2)"),
    ("id\na\tb\n", "line 2: id 'a\\tb' must be one line of at most 200 printable characters"),
    ("id,name\n,A\n", "line 2: empty id"),
    ("id\n", "no rows"),
    ("ID;Name;name\nana;A;B\n", "column 'name' is named twice or takes a name the keys use (id, seed, folder, status, "
                                  "total, max)"),
    ("Email,Seed\nana@x.org,3\n", "column 'Seed' is named twice or takes a name the keys use (id, seed, folder, "
                                   "status, total, max)"),
    ("id,,x\nana,1,2\n", "column 2 has no name in the header"),
    ("email,name\nana@x.org,A\x07\n", "line 2: name 'A\\x07' must be one line of at most 200 printable characters"),
])
def test_bad_rosters_exit_2_with_one_line(tmp_path, write_config, run, roster, message):
    path = write_config(roster, "roster.csv")
    code, _, err = run("variants", "--roster", str(path), "--out", str(tmp_path / "v"), "--no-pdf")
    assert code == 2
    assert err == f"derive: --roster {path}{',' if message.startswith('line') else ':'} {message}\n"
    assert not (tmp_path / "v").exists()


def test_roster_ids_name_the_variants(tmp_path, write_config, run):
    path = write_config("name,id\nAna,s-17\nBo,s_02\n", "roster.csv")
    code, _, err = run("variants", "--roster", str(path), "--out", str(tmp_path), "--no-pdf", "--jobs", "1")
    assert code == 0, err
    assert [e["id"] for e in json.loads((tmp_path / "key.json").read_text())] == ["s-17", "s_02"]
    assert rf"\title{{{escape('Assignment 2, theoretical part: variant s-17')}}}" in (
        tmp_path / "s-17/questions.tex").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--count", "0"], "argument --count: must be a positive integer, got '0'"),
    (["--count", "2", "--roster", "r.csv"], "argument --roster: not allowed with argument --count"),
    ([], "one of the arguments --count --roster is required"),
])
def test_bad_variant_arguments_exit_2(run, args, message):
    code, _, err = run("variants", *args)
    assert code == 2
    assert err == f"derive: {message}\n"


@needs_tex
@pytest.mark.e2e
def test_variants_with_pdfs_rebuild_byte_for_byte(tmp_path, run):
    """One job: v002 starts LaTeX from v001's aux file, and still has a fresh folder's bytes."""
    out = tmp_path / "v"
    code, _, err = run("variants", "--count", "2", "--seed", "5", "--out", str(out), "--jobs", "1")
    assert code == 0, err
    before = snapshot(out)
    assert {"v001/questions.pdf", "v001/solutions.pdf", "v002/questions.pdf", "v002/solutions.pdf"} <= set(before)
    for vid in ("v002",):
        code, _, err = run("build", "--sheet", "both", "--config", str(out / vid / "config.toml"),
                           "--out", str(tmp_path / "re" / vid))
        assert code == 0, err
        rebuilt = snapshot(tmp_path / "re" / vid)
        for name in set(variants.VARIANT_FILES) - set(variants.HTML_FILES):  # built without --html
            assert rebuilt[name] == before[f"{vid}/{name}"], (vid, name)


def test_variants_with_html_write_both_pages_per_variant_and_without_remove_them(tmp_path, run):
    from tests.html_support import foreign_tags, read

    out = tmp_path / "v"
    assert run("variants", "--count", "2", "--no-pdf", "--html", "--jobs", "1", "--out", str(out))[0] == 0
    for variant_id in ("v001", "v002"):
        folder = out / variant_id
        title = config.load(folder / "config.toml").document.title
        for name in ("questions.html", "solutions.html"):
            page = read((folder / name).read_text(encoding="utf-8"))
            assert page.title == title and foreign_tags(page) == set()
        assert f"variant {variant_id}" in (folder / "questions.html").read_text(encoding="utf-8")
    assert (out / "v001/solutions.html").read_bytes() != (out / "v002/solutions.html").read_bytes()
    assert run("variants", "--count", "2", "--no-pdf", "--jobs", "1", "--out", str(out))[0] == 0
    assert not list(out.glob("*/*.html"))
