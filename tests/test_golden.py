"""Golden files: what the document says, pinned for three configs.

For the default config and two variants (tests/golden/<name>/config.toml), each question's
rendered section of solutions.tex, answers.json and the question sheet (questions.tex, which
needs no checks) are compared exactly with the files under
tests/golden/<name>/, so that any change in what the document says shows in their diff.
`make golden` (DERIVE_UPDATE_GOLDEN=1) rewrites them on purpose. Left out, as it is not what
the document says: the version (answers.json's derive_version). Each check's max_error is pinned
as published, the power of ten above the error (rounding noise, which differs between machines,
does not reach it). The pinned form is the one with PyTorch installed (its checks change
the prose and the skipped checks): without PyTorch the comparison is skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from derive import build, config
from derive.questions.registry import QUESTIONS
from derive.sheet import sheet_source
from derive.verify import no_torch, torch_module

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DERIVE_UPDATE_GOLDEN") == "1"
CASES = ("default", "sigmoid", "small")


def sections(solved: build.Solved) -> str:
    return "".join(build.question_source(q, solved.answers[q.key], not solved.skipped) for q in QUESTIONS)


def pinned_answers(solved: build.Solved) -> str:
    data = json.loads(build.answers_json(solved))
    del data["derive_version"]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def compare(path: Path, text: str) -> None:
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert path.read_text(encoding="utf-8") == text, f"{path} differs: `make golden` rewrites it, then read its diff"


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    folder = GOLDEN / name
    path = folder / "config.toml"
    loaded = config.load(path if path.is_file() else None)
    compare(folder / "questions.tex", sheet_source(loaded))
    solved = build.solve(loaded)
    assert not build.failures(solved)
    compare(folder / "sections.tex", sections(solved))
    compare(folder / "answers.json", pinned_answers(solved))
