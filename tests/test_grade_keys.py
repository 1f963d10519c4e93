"""The grader's keys: key.jsonl streamed (key.json read incrementally), a class of 600 in one batch,
and damaged keys named by field, never blamed on the student."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from derive import cli
from derive.errors import ConfigError
from derive.grading import batch
from derive.grading.keycheck import DamagedKey, checked_parts
from tests.grade_support import key_of

SUBMISSION = '[decoding.greedy]\nwords = "the cat sat"\n'


@pytest.fixture(scope="module")
def answers() -> dict[str, Any]:
    """A real answers.json object (its checks make up most of its size)."""
    from derive.build import answers_json, solve
    from derive.config import load

    return json.loads(answers_json(solve(load(None))))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def entries(count: int, answers: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": f"v{i:03d}", "seed": 2**63 + i, "folder": f"v{i:03d}", "answers": answers}
            for i in range(1, count + 1)]


@pytest.mark.parametrize("read_chars", [1, 3, 7, 2**16])
@pytest.mark.parametrize("indent", [None, 2])
def test_key_json_is_read_one_entry_at_a_time(tmp_path, monkeypatch, read_chars, indent):
    monkeypatch.setattr(batch, "READ_CHARS", read_chars)
    listed = [{"id": "a", "seed": 123456789, "answers": {"x": [1.5, -2e-3, "é"]}},
              {"id": "b", "seed": 7, "answers": {}}]
    (tmp_path / "key.json").write_text(json.dumps(listed, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
    assert [item for _, item in batch.entries(tmp_path)] == listed


@pytest.mark.parametrize(("text", "message"), [
    ('{"id": "a"}', "key.json: must be a list of variants (SPEC's key.json)"),
    ('[{"id": "a"}', "key.json[0]: not valid JSON: expected ',' or ']' after the entry"),
    ('[{"id": "a"} {"id": "b"}]', "key.json[0]: not valid JSON: expected ',' or ']' after the entry"),
    ('[{"id": "a"}, {"id": ', "key.json[1]: not valid JSON"),
    ('[{"id": 3, "answers": {}}]', 'key.json[0]: must be {"id": "...", "answers": {...}}'),
])
def test_a_malformed_key_json_is_one_line(tmp_path, text, message):
    (tmp_path / "key.json").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        list(batch.keyed(tmp_path))
    assert str(error.value) == f"{tmp_path}/{message}"


def test_key_jsonl_comes_first_and_a_bad_line_is_named(tmp_path):
    (tmp_path / "key.json").write_text("[]", encoding="utf-8")
    (tmp_path / "key.jsonl").write_text('{"id": "a", "answers": {}}\n\n{"id": "b", "answers": {}\n', encoding="utf-8")
    found = batch.keyed(tmp_path)
    assert next(found).id == "a"
    with pytest.raises(ConfigError, match=r"key\.jsonl, line 3: not valid JSON: "):
        next(found)
    (tmp_path / "key.jsonl").unlink()
    (tmp_path / "key.json").unlink()
    with pytest.raises(ConfigError, match=r": no key\.jsonl or key\.json \(not a `derive variants` folder\?\)$"):
        list(batch.keyed(tmp_path))


def test_600_variants_grade_in_one_batch(capsys, tmp_path, answers):
    """The key is over the 16 MB that refused a class of about 510 before."""
    variants, subs = tmp_path / "variants", tmp_path / "subs"
    variants.mkdir()
    subs.mkdir()
    with open(variants / "key.jsonl", "w", encoding="utf-8") as key:
        for entry in entries(600, answers):
            key.write(json.dumps(entry) + "\n")
            (subs / f"{entry['id']}.toml").write_text(SUBMISSION, encoding="utf-8")
    assert (variants / "key.jsonl").stat().st_size > 16 * 2**20
    code, out, err = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert (code, err) == (0, "")
    assert len(rows) == 600 and {(r["status"], r["decoding.greedy.words"]) for r in rows} == {("graded", "1")}


def _set(key: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    damaged = copy.deepcopy(key)
    node: Any = damaged
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return damaged


DAMAGES = [
    (("decoding", "beam"), [], "decoding.beam: an empty list"),
    (("decoding", "beam", 0, "log_likelihood"), None, "decoding.beam.1.log_likelihood: expected a number, got null"),
    (("decoding", "greedy", "words"), 3, "decoding.greedy.words: expected a non-empty list of words, got a number"),
    (("decoding", "greedy", "log_likelihood"), "-1/0", "decoding.greedy.log_likelihood: division by zero"),
    (("normalization", "batch", "mean"), [[[None], ["1"]]], "normalization.batch.mean: expected a number, got null"),
    (("decoding", "complexity", "time"), ["O(T)"], "decoding.complexity.time: expected an expression as text, got "
                                                    "an array"),
    (("lora", "choice", "both", "mha"), "Maybe", "lora.choice.both.mha: expected one of LoRA, QLoRA, got text"),
    (("decoding",), None, "decoding: missing or null"),
]


@pytest.mark.parametrize(("path", "value", "named"), DAMAGES)
def test_a_damaged_key_names_the_field(path, value, named):
    key = key_of_default()
    checked_parts(key)  # whole, it is not damaged
    with pytest.raises(DamagedKey) as damaged:
        checked_parts(_set(key, path, value))
    assert damaged.value.status == f"damaged key: {named}"


def key_of_default() -> dict[str, Any]:
    from derive.config import load

    return key_of(load(None))


def test_one_submission_against_a_damaged_key_is_exit_2_naming_the_file(capsys, tmp_path):
    key = tmp_path / "answers.json"
    key.write_text(json.dumps(_set(key_of_default(), ("decoding", "beam", 0, "log_likelihood"), None)),
                   encoding="utf-8")
    (tmp_path / "s.toml").write_text(SUBMISSION, encoding="utf-8")
    code, out, err = run(capsys, "grade", "--key", str(key), str(tmp_path / "s.toml"))
    assert (code, out) == (2, "")
    assert err == f"derive: {key}: damaged key: decoding.beam.1.log_likelihood: expected a number, got null\n"


def test_a_damaged_variant_is_its_row_and_the_others_are_graded(capsys, tmp_path):
    good = key_of_default()
    variants, subs = tmp_path / "variants", tmp_path / "subs"
    variants.mkdir()
    subs.mkdir()
    listed = entries(3, good)
    listed[1] = listed[1] | {"answers": _set(good, ("decoding", "beam"), [])}
    (variants / "key.jsonl").write_text("".join(json.dumps(e) + "\n" for e in listed), encoding="utf-8")
    for e in listed:
        (subs / f"{e['id']}.toml").write_text(SUBMISSION, encoding="utf-8")
    code, out, err = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs))
    assert code == 0
    assert err == f"derive: not graded: {variants / 'key.jsonl'}, line 2 (variant v002): damaged key: decoding.beam: " \
                  "an empty list\n"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["status"], r["total"]) for r in rows] == [
        ("v001", "graded", "1"), ("v002", "damaged key: decoding.beam: an empty list", ""), ("v003", "graded", "1")]


def test_the_documented_entry_limit_is_the_code_constant():
    doc = (Path(__file__).parent.parent / "docs" / "submissions.md").read_text(encoding="utf-8")
    assert f"{batch.MAX_ENTRY_CHARS // 2**20} M characters" in doc.replace("\n", " ")


def test_a_folder_that_roster_slug_starts_with_an_underscore_is_graded(capsys, tmp_path):
    """roster.slug turns `=cmd@evil.example` into `_cmd_at_evil.example`: a folder the grader takes."""
    from derive.roster import slug

    folder = slug("=cmd@evil.example")
    assert folder.startswith("_")
    variants, subs = tmp_path / "variants", tmp_path / "subs"
    variants.mkdir()
    subs.mkdir()
    entry = {"id": "=cmd@evil.example", "seed": 1, "folder": folder, "answers": key_of_default()}
    (variants / "key.jsonl").write_text(json.dumps(entry) + "\n", encoding="utf-8")
    (subs / f"{folder}.toml").write_text(SUBMISSION, encoding="utf-8")
    code, out, _ = run(capsys, "grade", "--variants", str(variants), "--submissions", str(subs))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["status"], r["total"]) for r in rows] == [("'=cmd@evil.example", "graded", "1")]
