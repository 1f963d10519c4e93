"""What a Gradescope autograder bundle runs for a submission (`run_autograder`):

    python -m derive.export.autograde ROOT VARIANTS

reads ROOT/submission/submission.toml (or the one .toml file uploaded) and
ROOT/submission_metadata.json; finds the student's variant in VARIANTS (index.json: each
variant's id, folder and the roster values it is matched on) by the submitting user's student
id (`sid`) or e-mail; grades the submission with derive's grader against that variant's
answers.json and [grading] table; writes ROOT/results/results.json in Gradescope's format:
`score`, an `output` for the student, and a `tests` entry per graded part (`name`, `score`,
`max_score`, `output`: the verdict and its reason).

Whatever goes wrong with the submission (no file, not TOML, no variant for the student) is a
results.json with score 0 and the reason, so the student sees it and can resubmit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from derive.errors import DeriveError

INDEX = "index.json"
SUBMISSION = "submission.toml"


def _submission(root: Path) -> Path:
    """submission/submission.toml, or the one .toml file the student uploaded under another name."""
    folder = root / "submission"
    tomls = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    return tomls[0] if len(tomls) == 1 else folder / SUBMISSION


def _users(root: Path) -> list[dict[str, Any]]:
    try:
        raw = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not Gradescope's doing: no user to match, said as such
        return []
    users = raw.get("users", []) if isinstance(raw, dict) else []
    return [u for u in users if isinstance(u, dict)]


def find_variant(index: list[dict[str, Any]], users: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The variant of the first submitting user whose `sid` is a variant's id or one of its roster
    values, or whose e-mail is (compared without case: e-mail addresses are written either way)."""
    for user in users:
        sid, email = (str(user.get(k) or "").strip() for k in ("sid", "email"))
        for entry in index:
            if sid and sid in entry["match"] or email and email.casefold() in {m.casefold() for m in entry["match"]}:
                return entry
    return None


def results(root: Path, variants: Path) -> dict[str, Any]:
    from derive.config import load
    from derive.graded_parts import format_points
    from derive.grading.submission import grade, read_submission

    users = _users(root)
    index = json.loads((variants / INDEX).read_text(encoding="utf-8"))
    entry = find_variant(index, users)
    if entry is None:
        who = ", ".join(str(u.get("email") or u.get("sid") or u.get("name")) for u in users) or "no user"
        return _failed(f"no variant for {who}: the roster of this autograder has neither your student id nor "
                       "your e-mail address; ask your instructor")
    folder = variants / entry["folder"]
    try:
        answers = json.loads((folder / "answers.json").read_text(encoding="utf-8"))
        report = grade(answers, read_submission(_submission(root)),
                       load(folder / "config.toml").grading, SUBMISSION)
    except DeriveError as exc:
        return _failed(f"{exc} (variant {entry['id']})")
    lines = [f"Graded against variant {entry['id']}: {format_points(report.total)} of "
             f"{format_points(report.maximum)} points.", *report.ignored, *report.notes]
    tests = [{"name": r.part.path, "score": float(r.points), "max_score": float(r.part.points),
              "output": f"{r.verdict}: {r.reason}"} for r in report.results]
    return {"score": float(report.total), "output": "\n".join(lines), "tests": tests}


def _failed(reason: str) -> dict[str, Any]:
    return {"score": 0.0, "output": reason, "tests": []}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m derive.export.autograde AUTOGRADER_ROOT VARIANTS", file=sys.stderr)
        return 2
    root, variants = Path(argv[0]), Path(argv[1])
    out = root / "results"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results(root, variants), indent=1, ensure_ascii=False) + "\n"
    tmp = out / ".results.json.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out / "results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
