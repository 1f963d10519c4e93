"""What is published is what is certified: every field of answers.json, planted wrong in its
published (parsed) form, fails a check that lists it in `certifies`; answers.json as written holds
the sections the checks read; the boxed answers of the document agree with answers.json."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from derive import build, certify, config, plants, published, verify
from derive.answer import Check
from derive.errors import CheckFailed
from derive.questions.registry import QUESTIONS

# The default config and three variants: a sigmoid BiRNN with m = 8, a tree with near-ties, large sizes.
VARIANTS = {
    "default": None,
    "sigmoid, m = 8": """
[normalization]
tensor = [[[1.5, -2, 0.25, 3]], [[4, 0, -1, 2.5]], [[-3, 1, 1, 0.5]]]
[decoding]
beam_width = 3
[birnn]
activation = "sigmoid"
hidden_size = 2
steps = 4
seed = 7
[lora]
d = 64
r = 4
n = 128
heads = 4
bits = 8
""",
    "near-ties": """
[decoding]
beam_width = 2
[decoding.tree]
"a" = -0.9
"b" = -0.91
"a c" = -1.0
"a d" = -1.01
"b c" = -0.98
"b d" = -2.0
"a c e" = -0.2
"a d e" = -0.21
"b c e" = -0.19
"b d e" = -0.1
""",
    "large": """
[normalization]
tensor = [[[1, 2, 3, 4, 5, 6, 7], [2, 0, 1, 9, 4, 4, 3], [5, 5, 1, 0, 2, 8, 6]],
          [[3, 1, 4, 1, 5, 9, 2], [6, 5, 3, 5, 8, 9, 7], [9, 3, 2, 3, 8, 4, 6]]]
[birnn]
hidden_size = 6
steps = 6
seed = 3
[lora]
d = 8192
r = 64
n = 4096
heads = 64
bits = 2
""",
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def solved(request, tmp_path_factory):
    text = VARIANTS[request.param]
    if text is None:
        return build.solve(config.load(None))
    path = tmp_path_factory.mktemp("published") / "config.toml"
    path.write_text(text, encoding="utf-8")
    return build.solve(config.load(path))


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setattr(verify, "torch_module", lambda: None)


@pytest.mark.parametrize("q", list(QUESTIONS), ids=lambda q: q.key)
def test_every_certified_field_fails_its_check_when_planted_wrong_in_its_published_form(solved, q):
    """Without PyTorch, so that every field is defended by the build's own checks everywhere."""
    count, missed = plants.escaped(solved, [q])
    assert count
    assert missed == []


def test_every_field_has_a_plant():
    """The plants reach every field the default config publishes (none is left untested by form)."""
    solved = build.solve(config.load(None))
    planted_fields = {path for _, path, _, _ in plants.field_plants(solved)}
    assert set(certify.answer_fields(solved.published)) - planted_fields == set()


def test_answers_json_as_written_holds_the_certified_sections():
    solved = build.solve(config.load(None))
    written = json.loads(build.answers_json(solved))
    assert {q.key: written[q.key] for q in QUESTIONS} == solved.published


def test_answers_json_that_would_differ_from_the_certified_sections_fails_the_build(monkeypatch):
    solved = build.solve(config.load(None))
    monkeypatch.setattr(certify, "same_sections", lambda *args: False)
    with pytest.raises(CheckFailed, match="does not hold the answers its checks certified"):
        build.answers_json(solved)


def test_a_field_serialized_from_the_wrong_value_fails_the_build(monkeypatch, no_torch):
    """as_json writes another value than the one derived: the checks read it and fail."""
    q = QUESTIONS["normalization"]
    real = type(q).as_json

    def wrong(self, answer):
        data = real(self, answer)
        data["batch"]["mean"] = data["batch"]["variance"]
        return data

    monkeypatch.setattr(type(q), "as_json", wrong)
    solved = build.solve(config.load(None))
    assert "batch mean" in {c.name for c in build.failures(solved)}


def test_a_serializer_that_raises_stops_the_check(monkeypatch):
    q = QUESTIONS["lora"]
    monkeypatch.setattr(type(q), "as_json", lambda self, answer: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        build.solve(config.load(None))


# --- the boxed answers ----------------------------------------------------------------------------

def test_boxes_are_read_with_their_braces():
    source = r"x \answerbox{a = \frac{1}{2} \{b\}} y \answertext{``w'' \quad $\log p = -1.5$} z"
    assert certify.boxes(source) == [r"a = \frac{1}{2} \{b\}", r"``w'' \quad $\log p = -1.5$"]


def test_every_question_with_boxed_answers_checks_them_against_answers_json():
    solved = build.solve(config.load(None))
    boxed = [c for c in solved.checks if c.name == "boxed answers = answers.json"]
    assert {QUESTIONS.position(c.question) for c in boxed} == set(range(len(QUESTIONS)))
    assert all(c.passed for c in boxed)


@pytest.mark.parametrize("q", list(QUESTIONS), ids=lambda q: q.key)
def test_a_published_answer_the_document_does_not_box_fails_the_boxed_check(q):
    """Each boxed field planted wrong in the parsed answers.json: the box no longer shows it."""
    solved = build.solve(config.load(None))
    source = build.question_source(q, solved.answers[q.key], True)
    boxes = q.boxed(solved.published[q.key])
    assert boxes
    for box in boxes:
        below = box.field.partition(".")[2]
        for what, wrong in plants.plants(plants.value_at(solved.published[q.key], below)):
            published = {**solved.published, q.key: plants.planted(solved.published[q.key], below, wrong)}
            checks = certify.boxed_checks(q, published, source)
            assert any(not c.passed for c in checks), f"{box.field}: {what}"


def test_a_box_the_document_prints_differently_fails():
    q = QUESTIONS["normalization"]
    solved = build.solve(config.load(None))
    source = build.question_source(q, solved.answers[q.key], True)
    checks = certify.boxed_checks(q, solved.published, source.replace(r"\frac{31}{12}", r"\frac{31}{13}"))
    assert checks and not all(c.passed for c in checks)


def test_boxed_checks_certify_nothing():
    """A box agreeing with answers.json is consistency, not a second route: it certifies no field."""
    solved = build.solve(config.load(None))
    boxed = [c for c in solved.checks if c.name == "boxed answers = answers.json"]
    assert boxed and all(c.certifies == () for c in boxed)


@pytest.mark.parametrize(("error", "tolerance", "published"), [
    (8.881784197001253e-18, 1e-12, 1e-15),  # noise: the floor, three decades below the tolerance
    (0.0, 1e-12, 1e-15),
    (1.6800593904782612e-10, 1e-6, 1e-9),  # above the floor: the next power of ten
    (1e-9, 1e-6, 1e-9),  # a power of ten is its own bound
    (1.0000000000000002e-9, 1e-6, 1e-8),
    (6.639893552546524e-17, 2.220446049250313e-16, 1e-16),
    (0.0, 0.0, 0.0),  # exact checks publish the error itself
    (3.0, 0.0, 3.0),
])
def test_the_published_error_is_the_power_of_ten_above_it(error, tolerance, published):
    check = Check("1", "n", "m", error, tolerance)
    assert check.error_bound == published
    assert check.as_json()["max_error"] == published


def test_rounding_noise_does_not_change_the_published_error():
    """Errors a few ulps apart (another CPU's exp or tanh) publish the same bytes; passed is
    decided on the error itself."""
    for error, tolerance in ((2.220446049250313e-16, 1e-8), (1.6800593904782612e-10, 1e-6), (4.4e-5, 2.0)):
        nearby = [error * (1 + k * 2.0 ** -50) for k in range(-4, 5)]
        assert len({Check("1", "n", "m", e, tolerance).error_bound for e in nearby}) == 1
        assert all(Check("1", "n", "m", e, tolerance).error_bound >= e for e in nearby)
    close = Check("1", "n", "m", 8e-7, 9e-7)  # the bound (1e-6) is above the tolerance; the error is not
    assert close.passed and close.error_bound > close.tolerance


def test_check_plant_reports_every_plant_caught(capsys):
    from derive import cli

    assert cli.main(["check", "--plant"]) == 0
    assert "plants: " in capsys.readouterr().out


def test_check_plant_fails_when_a_planted_error_escapes(monkeypatch, capsys):
    """A plant that changes nothing (the value itself) must escape every check: exit 1, named."""
    from derive import cli

    monkeypatch.setattr(plants, "plants", lambda value: iter([("unchanged", value)]))
    assert cli.main(["check", "--plant"]) == 1
    captured = capsys.readouterr()
    assert "ESCAPED  normalization." in captured.out and "escaped every check of their field" in captured.err


@pytest.mark.parametrize("text", ["0", "-0", "3", "-12", "007", "1.50", "-0.5", "-12.345", "0.000", "31/12", "-10/4",
                                  "-0/5", "007/014", "123456789012345678901234567890.000000000000000000001"])
def test_an_exact_value_reads_as_sympy_reads_its_text(text):
    value = published.rational(text)
    assert isinstance(value, sp.Rational)
    assert value == sp.Rational(text)


@pytest.mark.parametrize("text", ["1/0", "-3/000", "1e5", "1.", ".5", "1/2/3", " 1", "1.5/2", "+1", "", "0x10",
                                  "\u00bd", "1/-2", 7, 0.5, None, ["1"]])
def test_anything_else_is_not_an_exact_value(text):
    with pytest.raises(ValueError, match="^not an exact value: "):
        published.rational(text)


def test_an_expression_read_once_is_read_again_under_other_names():
    """published.expression keeps what it read per text and names: the same text under names
    that lack one of its symbols is refused, and under other symbols reads as those."""
    x, y = sp.Symbol("x"), sp.Symbol("x", positive=True)
    assert published.expression("x + 1", {"x": x}) == x + 1
    with pytest.raises(ValueError, match="unknown names"):
        published.expression("x + 1", {"y": y})
    assert published.expression("x + 1", {"x": y}) == y + 1 != x + 1
