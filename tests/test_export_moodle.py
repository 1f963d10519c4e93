"""`derive export moodle`: the XML parses; for every variant the cloze gaps, read and graded here
as Moodle grades them, give the key full marks and a wrong answer less; hostile words and names
neither open a gap nor become markup or math."""

from __future__ import annotations

import html
import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import pytest

from derive import cli
from derive.export.moodle import cloze_escape, gaps
from derive.graded_parts import NUMBER, GradedPart
from derive.grading_policy import GradingPolicy, Tolerance
from tests.export_support import HOSTILE_WORDS, IDS, make_variants, variant_folders

# Moodle's Cloze syntax, as qtype_multianswer reads it (question/type/multianswer/questiontype.php):
# an alternative's answer ends at the first ~ # } not after a backslash, "&" or "&amp;".
ALTERNATIVE = (r"(=|%(-?[0-9]+(?:[.,][0-9]*)?)%)?(.+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$))"
               r"(#(.*?(?<!\\)(?=[~}]|$)))?")
GAP = re.compile(r"\{([0-9]*):(NUMERICAL|SHORTANSWER|MULTICHOICE):(" + ALTERNATIVE + "(~" + ALTERNATIVE + r")*)\}",
                 re.S)
NUMBER_SYNTAX = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL = re.compile(f"^({NUMBER_SYNTAX})(:{NUMBER_SYNTAX})?$")  # a NUMERICAL answer Moodle reads as value:tolerance
PATH = re.compile(r"<code>([A-Za-z_.0-9]+)</code> \(")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, lxml.etree._Element]:
    base = tmp_path_factory.mktemp("moodle")
    variants = make_variants(base)
    out = base / "quiz.xml"
    assert cli.main(["export", "moodle", str(variants), "--out", str(out)]) == 0
    return variants, lxml.etree.parse(str(out)).getroot()


def alternatives(text: str) -> list[tuple[str, str]]:
    """(fraction mark, answer) of each alternative, the answer decoded as Moodle stores it."""
    out = []
    while text and (m := re.search("~?" + ALTERNATIVE, text, re.S)):
        answer = html.unescape(m[3]).replace("\\}", "}").replace("\\#", "#")
        out.append((m[1] or "", answer))
        text = text.split(m[0], 1)[1]
    return out


def _wildcard(pattern: str) -> re.Pattern[str]:
    """SHORTANSWER's pattern: runs of unescaped stars are wildcards, an escaped one a star; case ignored."""
    bits = re.split(r"(?<!\\)\*+", pattern)
    return re.compile("^" + ".*".join(re.escape(b.replace("\\*", "*")) for b in bits) + "$", re.I | re.S)


def grade_gap(kind: str, answers: str, response: str) -> Fraction:
    """Moodle's reading of one gap: the fraction of its weight a response earns."""
    for mark, answer in alternatives(answers):
        if mark != "=":
            continue
        if kind == "NUMERICAL":
            numbers = NUMERICAL.match(answer)
            assert numbers and numbers[6], answer
            value, tolerance = float(numbers[1]), float(numbers[6])  # Moodle's NUMERICAL_ABS_ERROR_MARGIN
            ok = abs(float(response) - value) <= tolerance
        elif kind == "SHORTANSWER":
            ok = _wildcard(answer).match(response.strip()) is not None
        else:  # MULTICHOICE: the option chosen
            ok = response == answer
        if ok:
            return Fraction(1)
    return Fraction(0)


def at(answers: dict[str, Any], path: str) -> Any:
    node: Any = answers
    for step in path.split("."):
        node = node[int(step) - 1] if step.isdigit() else node[step]
    return node


def _number(value: Any) -> str:
    return repr(float(Fraction(str(value))))


def responses(answers: dict[str, Any], path: str) -> list[str]:
    """What a student who knows the key types in the gaps of a part, in order (a tensor's
    entries in row-major order, as the gaps are laid out)."""
    value = at(answers, path)
    if path.endswith(".words"):
        return [" ".join(value)]
    if path.startswith("lora.choice."):
        return [value]
    while isinstance(value, list) and isinstance(value[0], list):
        value = [x for row in value for x in row]
    return [_number(v) for v in value] if isinstance(value, list) else [_number(value)]


def score(question_html: str, answer_for: dict[str, list[str]]) -> tuple[Fraction, int]:
    """The question's grade (0 to 1) for the typed answers, and the number of gaps."""
    earned, total, gaps = Fraction(0), Fraction(0), 0
    for paragraph in question_html.split("</p>"):
        found = GAP.findall(paragraph)
        if not found:
            continue
        path = PATH.search(paragraph)
        assert path, paragraph
        typed = answer_for[path[1]]
        assert len(typed) == len(found), path[1]
        for (weight, kind, answers, *_), response in zip(found, typed, strict=True):
            earned += int(weight) * grade_gap(kind, answers, response)
            total += int(weight)
            gaps += 1
    return earned / total, gaps


def clozes(root: lxml.etree._Element) -> list[tuple[str, str]]:
    return [(q.findtext("name/text"), q.findtext("questiontext/text")) for q in root.iter("question")
            if q.get("type") == "cloze"]


def _key_paths(question_html: str) -> list[str]:
    return [m[1] for m in PATH.finditer(question_html)]


def test_the_bank_has_a_category_per_question_and_a_cloze_per_variant(exported):
    _, root = exported
    kinds = [q.get("type") for q in root.iter("question")]
    assert kinds == (["category"] + ["cloze"] * len(IDS)) * 4
    names = [name for name, _ in clozes(root)]
    assert names == [f"Question {n}, variant {i}" for n in range(1, 5) for i in IDS]


def test_the_key_gets_full_marks_and_a_wrong_answer_does_not(exported):
    variants, root = exported
    folders = variant_folders(variants)
    for name, text in clozes(root):
        student = name.split(", variant ")[1]
        answers = json.loads((folders[student] / "answers.json").read_text(encoding="utf-8"))
        key = {path: responses(answers, path) for path in _key_paths(text)}
        full, gaps = score(text, key)
        assert full == 1 and gaps >= 1, name
        for path, typed in key.items():
            wrong = dict(key)
            wrong[path] = [str(float(typed[0]) + 1) if _is_number(typed[0]) else "QLoRA LoRA x", *typed[1:]]
            assert score(text, wrong)[0] < 1, (name, path)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_hostile_words_stay_text(exported):
    """Every word of the tree is hostile (HOSTILE_WORDS): each greedy word is shown as written,
    none opens a gap (score() finds exactly the key's gaps) or a tag."""
    variants, root = exported
    folders = variant_folders(variants)
    decoding = [(name, text) for name, text in clozes(root) if name.startswith("Question 2,")]
    assert len(decoding) == len(IDS)
    for name, text in decoding:
        answers = json.loads((folders[name.split(", variant ")[1]] / "answers.json").read_text(encoding="utf-8"))
        shown = lxml.html.fromstring(f"<div>{text}</div>").text_content()
        assert all(w in shown for w in answers["decoding"]["greedy"]["words"])
        assert all(w in HOSTILE_WORDS for w in answers["decoding"]["greedy"]["words"])
        assert "<b>x" not in text and "{1:NUMERICAL:=1}" not in GAP.sub("", text)


@pytest.mark.parametrize("words", [*HOSTILE_WORDS, "ends with &", "ends with \\", "*", "a ** b", "&#126;"])
def test_cloze_escaping_reads_back_as_the_words(words):
    """A SHORTANSWER gap of these words, read as Moodle reads it, takes exactly these words."""
    gap = f"{{1:SHORTANSWER:={cloze_escape(words, wildcard=True)}}}"
    found = GAP.fullmatch(gap)
    assert found, gap
    assert alternatives(found[3]) == [("=", words.replace("*", "\\*"))]  # SHORTANSWER reads \* as a star
    assert grade_gap("SHORTANSWER", found[3], words) == 1
    assert grade_gap("SHORTANSWER", found[3], words + "x") == 0


def test_an_unescaped_gap_would_break():
    """The check above can fail: without the references a word's `}` ends the gap early."""
    gap = "{1:SHORTANSWER:=a}b c}"
    assert grade_gap("SHORTANSWER", GAP.search(gap)[3], "a}b c") == 0


@pytest.mark.parametrize(("rtol", "atol", "inside", "outside"), [
    (1e-2, 0.0, -3.3 * 1.0099, -3.3 * 1.0101), (0.0, 0.5, -2.81, -2.79), (1e-3, 1e-9, -3.3033, -3.3034)])
def test_tolerance_is_the_grading_policys_bound_made_absolute(rtol, atol, inside, outside):
    part = GradedPart("decoding.greedy.log_likelihood", "2.4(a)", Fraction(2), NUMBER, "-33/10",
                      ("decoding", "greedy", "log_likelihood"))
    policy = GradingPolicy(Tolerance(rtol, atol))
    [(_, gap)] = gaps(part, Fraction(2), policy)
    weight, kind, answers = GAP.fullmatch(gap).groups()[:3]
    assert (weight, kind) == ("2", "NUMERICAL")
    assert grade_gap(kind, answers, repr(inside)) == 1 and grade_gap(kind, answers, repr(outside)) == 0


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d, "{d}: no key.jsonl or key.json (not a `derive variants` folder?)"),
    (lambda d: d / "nowhere", "{d}/nowhere: no such variants folder"),
])
def test_a_folder_that_is_not_a_variants_folder_is_exit_2(capsys, tmp_path, make, message):
    out = tmp_path / "quiz.xml"
    code = cli.main(["export", "moodle", str(make(tmp_path)), "--out", str(out)])
    err = capsys.readouterr().err
    assert (code, err) == (2, "derive: " + message.format(d=tmp_path) + "\n") and not out.exists()


def test_a_variant_folder_missing_its_answers_is_exit_2_and_the_earlier_file_stays(capsys, exported, tmp_path):
    variants, _ = exported
    broken = tmp_path / "variants"
    broken.mkdir()
    (broken / "key.json").write_text((variants / "key.json").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "quiz.xml"
    out.write_text("earlier", encoding="utf-8")
    code = cli.main(["export", "moodle", str(broken), "--out", str(out)])
    err = capsys.readouterr().err
    folder = variant_folders(variants)[IDS[0]].name
    assert (code, err) == (2, f"derive: {broken / folder / 'answers.json'}: missing (the key lists this variant; "
                              "run `derive variants` again)\n")
    assert out.read_text(encoding="utf-8") == "earlier"


def test_a_question_with_nothing_moodle_can_grade_is_left_out(tmp_path):
    """3.3's instance too large for the sheet: not asked, so Question 3 has no gap and no question."""
    from derive.questions.birnn.view import SHEET_MAX_HIDDEN

    base = tmp_path / "base.toml"
    base.write_text(f"[variants.birnn]\nhidden_size = [{SHEET_MAX_HIDDEN + 1}]\n", encoding="utf-8")
    variants, out = tmp_path / "variants", tmp_path / "quiz.xml"
    assert cli.main(["variants", "--count", "1", "--config", str(base), "--out", str(variants), "--no-pdf",
                     "--jobs", "1"]) == 0
    assert cli.main(["export", "moodle", str(variants), "--out", str(out)]) == 0
    names = [name for name, _ in clozes(lxml.etree.parse(str(out)).getroot())]
    assert names == ["Question 1, variant v001", "Question 2, variant v001", "Question 4, variant v001"]
