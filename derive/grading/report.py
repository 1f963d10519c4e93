"""Reports: text for people, JSON and CSV (`part,points,max,verdict,reason`) for scripts."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from derive.csvout import Writer
from derive.graded_parts import format_points
from derive.grading.compare import Result
from derive.grading.key import split_lines
from derive.grading.submission import Report

FORMATS = ("text", "json", "csv")


def reason(r: Result) -> str:
    """The verdict's reason, and the misconception the answer matches when one is named."""
    if r.misconception is None:
        return r.reason
    return f"{r.reason}; misconception {r.misconception.id}: {r.misconception.sentence}"


def _misconception(r: Result) -> dict[str, str] | None:
    return None if r.misconception is None else {"id": r.misconception.id, "text": r.misconception.sentence}


def text(report: Report, title: str) -> str:
    rows = [(r.part.path, format_points(r.points), format_points(r.part.points), r.verdict, reason(r))
            for r in report.results]
    width = max(len(row[0]) for row in rows)
    lines = [title, ""]
    lines += [f"{p:<{width}}  {pts:>6} / {mx:<6} {v:<12} {why}" for p, pts, mx, v, why in rows]
    lines += ["", f"total: {format_points(report.total)} / {format_points(report.maximum)}"]
    lines += [f"ignored: {n}" for n in report.ignored]
    lines += [f"note: {n}" for n in report.notes]
    lines += ["", "points split:", *(f"  {line}" for line in split_lines([r.part for r in report.results]))]
    return "\n".join(lines) + "\n"


def _json_object(report: Report) -> dict[str, Any]:
    parts = [{"part": r.part.path, "points": float(r.points), "max": float(r.part.points), "verdict": r.verdict,
              "reason": r.reason, "misconception": _misconception(r)} for r in report.results]
    return {"total": float(report.total), "max": float(report.maximum), "parts": parts,
            "ignored": list(report.ignored), "notes": list(report.notes)}


def as_json(report: Report) -> str:
    return json.dumps(_json_object(report) | {"split": split_lines([r.part for r in report.results])},
                      indent=1) + "\n"


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = Writer(out)
    writer.row(["part", "points", "max", "verdict", "reason"])
    for r in report.results:
        writer.row([r.part.path, format_points(r.points), format_points(r.part.points), r.verdict, reason(r)])
    writer.row(["total", format_points(report.total), format_points(report.maximum), "", ""])
    return out.getvalue()


def render(report: Report, fmt: str, title: str) -> str:
    return {"text": lambda: text(report, title), "json": lambda: as_json(report), "csv": lambda: as_csv(report)}[fmt]()


def batch_csv(columns: Sequence[str], rows: Sequence[tuple[str, str, dict[str, str]]],
              carried: Sequence[str] = ()) -> str:
    """One row per student: id, the roster's other columns (`carried`), status, total, max, then
    the points of each part."""
    out = io.StringIO()
    writer = Writer(out)
    writer.row(["id", *carried, "status", "total", "max", *columns])
    for student, status, cells in rows:
        writer.row([student, *(cells.get(c, "") for c in carried), status, cells.get("total", ""),
                         cells.get("max", ""), *(cells.get(c, "") for c in columns)])
    return out.getvalue()


def batch_details(rows: Sequence[tuple[str, Report]]) -> str:
    """The long form: id and SPEC's report columns, for every graded student."""
    out = io.StringIO()
    writer = Writer(out)
    writer.row(["id", "part", "points", "max", "verdict", "reason"])
    for student, report in rows:
        for r in report.results:
            writer.row([student, r.part.path, format_points(r.points), format_points(r.part.points), r.verdict,
                        reason(r)])
    return out.getvalue()


def batch_render(rows: Sequence[tuple[str, str, dict[str, str]]], graded: Sequence[tuple[str, Report]],
                 fmt: str) -> str:
    """Batch mode's report as `--format json` (one object per student: id, status, and for a
    graded one the fields of its single report) or `text` (each graded student's report as for
    one submission, a line for each other one); CSV is `batch_csv`'s table."""
    reports = dict(graded)
    if fmt == "json":
        return json.dumps([{"id": student, "status": status} | (
            _json_object(reports[student]) if student in reports else {}) for student, status, _ in rows],
            indent=1) + "\n"
    return "\n".join(text(reports[student], f"{student}: {reports[student].source}") if student in reports
                     else f"{student}: {status}\n" for student, status, _ in rows)
