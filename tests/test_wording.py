"""The document's prose says only what is true of the build: the checks it names ran, the tree
it answers is said to be illustrative when it is, quoted figures carry their conditions."""

from __future__ import annotations

import json

import pytest

from derive import build as build_module
from derive import config
from derive import verify as verify_module
from derive.questions.registry import QUESTIONS
from tests.conftest import snapshot

BIRNN = next(q for q in QUESTIONS if q.key == "birnn")
DECODING = next(q for q in QUESTIONS if q.key == "decoding")
SOME = ("the checks in the appendix compare the closed forms and these values with central finite differences and, "
        "where saturated units leave rounding small enough, with complex-step derivatives at high precision")
WITH_TORCH = f"{SOME} and PyTorch autograd):"
WITHOUT_TORCH = f"{SOME}; PyTorch is not installed here, so its check did not run):"
needs_torch = pytest.mark.skipif(verify_module.torch_module() is None, reason=verify_module.no_torch())


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("pytorch", "said", "not_said"), [(True, WITH_TORCH, WITHOUT_TORCH),
                                                            (False, WITHOUT_TORCH, WITH_TORCH)])
def test_birnn_names_pytorch_only_when_its_check_runs(pytorch, said, not_said):
    cfg = config.load(None)
    text = _one_line(build_module.question_source(BIRNN, BIRNN.derive(cfg), pytorch))
    assert said in text
    assert not_said not in text


def _no_torch(monkeypatch):
    monkeypatch.setattr(build_module, "torch_installed", lambda: False)
    monkeypatch.setattr(verify_module, "torch_module", lambda: None)


def test_build_without_pytorch_names_no_pytorch_check(tmp_path, run, monkeypatch):
    _no_torch(monkeypatch)
    code, _, err = run("build", "--no-pdf", "--out", str(tmp_path))
    assert code == 0, err
    text = _one_line((tmp_path / "solutions.tex").read_text())
    assert WITHOUT_TORCH in text
    section3 = text[text.index(r"\section{Question 3"):text.index(r"\section{Question 4")]
    assert "PyTorch autograd" not in section3
    answers = json.loads((tmp_path / "answers.json").read_text())
    assert {s["name"] for s in answers["skipped_checks"]} >= {"gradients (PyTorch autograd)"}
    assert not any("PyTorch" in c["name"] for c in answers["checks"])


@needs_torch
def test_build_with_pytorch_names_the_check_that_ran(tmp_path, run):
    code, _, err = run("build", "--no-pdf", "--out", str(tmp_path))
    assert code == 0, err
    assert WITH_TORCH in _one_line((tmp_path / "solutions.tex").read_text())
    answers = json.loads((tmp_path / "answers.json").read_text())
    assert answers["skipped_checks"] == []
    ran = [c for c in answers["checks"] if c["question"] == "3.3" and "PyTorch" in c["name"]]
    assert ran and all(c["passed"] for c in ran)


def test_pytorch_found_but_not_run_is_refused(tmp_path, run, monkeypatch, write_config):
    """The section naming PyTorch is written before the checks run; if they then cannot run, the
    build fails instead of printing a sentence that is no longer true."""
    out = tmp_path / "out"
    assert run("build", "--no-pdf", "--out", str(out))[0] == 0
    before = snapshot(out)
    monkeypatch.setattr(build_module, "torch_installed", lambda: True)
    monkeypatch.setattr(verify_module, "torch_module", lambda: None)
    code, _, err = run("build", "--no-pdf", "--out", str(out))
    assert code == 1
    assert err.splitlines()[-1].startswith("derive: PyTorch is installed but its checks did not run: question 1")
    assert snapshot(out) == before


@needs_torch
def test_a_check_pytorch_refuses_for_the_data_is_not_a_failure(tmp_path, run, write_config):
    """One value per channel: PyTorch's batch_norm refuses it, the appendix lists the check as not
    run with PyTorch's reason, and the build succeeds (no prose named that check)."""
    cfg = write_config("[normalization]\ntensor = [[[1], [2]]]\n")
    code, _, err = run("build", "--no-pdf", "--config", str(cfg), "--out", str(tmp_path))
    assert code == 0, err
    skipped = json.loads((tmp_path / "answers.json").read_text())["skipped_checks"]
    reasons = [s["reason"] for s in skipped if s["question"] == "1"]
    assert reasons[:1] == ["PyTorch's batch_norm needs more than one value"]


TREE = '[decoding.tree]\n"x" = -0.5\n"y" = -1.0\n"x z" = -0.2\n"y z" = -0.1\n'


@pytest.mark.parametrize(("text", "illustrative"), [("", True), ("[decoding]\nbeam_width = 1\n", True), (TREE, False)])
def test_tree_flagged_illustrative_only_when_it_is_the_default(load_text, text, illustrative):
    cfg = load_text(text) if text else config.load(None)
    assert cfg.decoding.tree_is_default is illustrative
    section = _one_line(build_module.question_source(DECODING, DECODING.derive(cfg), False))
    assert ("This tree is illustrative, not the assignment's." in section) is illustrative
    assert ("The tree is the one given in the configuration" in section) is not illustrative


def test_a_copy_of_the_default_tree_is_still_illustrative(load_text):
    """The flag is about the tree, not about where it was typed: a config that repeats the
    packaged tree answers the same illustrative tree."""
    default = config.load(None).decoding.tree
    lines = "\n".join(f'"{" ".join(p)}" = {float(v)}' for p, v in default.items())
    assert load_text(f"[decoding.tree]\n{lines}\n").decoding.tree_is_default


def test_missed_sequences_sentence_is_spaced():
    cfg = config.load(None)
    text = _one_line(build_module.question_source(DECODING, DECODING.derive(cfg), False))
    assert "pruned at step 2) scores better than a returned beam" in text
