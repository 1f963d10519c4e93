"""A real variants folder for the export tests (a roster with hostile cells), and submissions
made from a variant's own key: the key's answers (full marks), or with one answer changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from derive import cli
from derive.grading.key import parts

# Ids: e-mail addresses; names and sections hostile to CSV (formulas), LaTeX, HTML and cloze.
ROSTER = """email,name,Section,SIS User ID
ana.b@uni.example,Ana B,L01,1001
dan@evil.example,"=HYPERLINK(""http://x"")",+L02,-1002
carl@uni.example,<b>Carl</b> & {1:SHORTANSWER:=x},@L01,1003
"""
IDS = ("ana.b@uni.example", "dan@evil.example", "carl@uni.example")
# Words with the characters Moodle's cloze syntax, HTML and MathJax give a meaning to.
HOSTILE_WORDS = ["a}b", "c#d", "e~f", "g/h", 'i"j', "k\\l", "m*n", "<b>x", "&amp;", "{1:NUMERICAL:=1}", "\\(x\\)",
                 "%50%q"]


def make_variants(folder: Path) -> Path:
    """`derive variants` on ROSTER, trees of HOSTILE_WORDS, into folder/variants (no PDFs)."""
    roster = folder / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    config = folder / "base.toml"
    config.write_text(f"[variants.decoding]\nwords = {json.dumps(HOSTILE_WORDS)}\n", encoding="utf-8")
    out = folder / "variants"
    code = cli.main(["variants", "--roster", str(roster), "--config", str(config), "--out", str(out), "--no-pdf",
                     "--jobs", "1"])
    assert code == 0
    return out


def variant_folders(variants: Path) -> dict[str, Path]:
    """Each id's folder, from key.json."""
    return {e["id"]: variants / e["folder"] for e in json.loads((variants / "key.json").read_text(encoding="utf-8"))}


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _set(node: dict[str, Any], where: tuple[str | int, ...], value: Any) -> None:
    for step, following in zip(where, where[1:], strict=False):
        if isinstance(step, int):
            while len(node) <= step:  # type: ignore[arg-type]
                node.append({})  # type: ignore[attr-defined]
            node = node[step]
        else:
            node = node.setdefault(step, [] if isinstance(following, int) else {})
    node[where[-1]] = value  # type: ignore[index]


def key_submission(answers: dict[str, Any], changed: str = "") -> str:
    """A submission TOML holding the key's answer to every graded field; the field `changed`
    (a part's path) gets a wrong answer instead."""
    sub: dict[str, Any] = {}
    for part in parts(answers):
        node: Any = answers
        for step in part.field:
            node = node[step]
        if part.path == changed:
            node = "999" if part.kind in ("number", "tensor") else "wrong answer"
        _set(sub, part.field, node)
    return "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in sub.items())
