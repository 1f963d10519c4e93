"""Reports: text for people, JSON and CSV (`part,points,max,verdict,reason`) for scripts."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

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


def spooled(student: str, status: str, cells: dict[str, str], report: Report | None = None) -> dict[str, Any]:
    """A student's record in a batch's spool (derive/grading/batch.py): the table's cells, and for a
    graded student what each batch output shows of the report, made as for a single report."""
    record: dict[str, Any] = {"id": student, "status": status, "cells": cells}
    if report is not None:
        record |= {"details": [[r.part.path, format_points(r.points), format_points(r.part.points), r.verdict,
                                reason(r)] for r in report.results],
                   "json": _json_object(report), "text": text(report, f"{student}: {report.source}"),
                   "ignored": [f"{report.source}: {field}" for field in report.ignored]}
    return record


def batch_csv(columns: Sequence[str], rows: Iterable[tuple[str, str, dict[str, str]]],
              carried: Sequence[str] = ()) -> str:
    out = io.StringIO()
    write_batch_csv(out, columns, rows, carried)
    return out.getvalue()


def write_batch_csv(out: TextIO, columns: Sequence[str], rows: Iterable[tuple[str, str, dict[str, str]]],
                    carried: Sequence[str] = ()) -> None:
    """One row per student: id, the roster's other columns (`carried`), status, total, max, then
    the points of each part."""
    writer = Writer(out)
    writer.row(["id", *carried, "status", "total", "max", *columns])
    for student, status, cells in rows:
        writer.row([student, *(cells.get(c, "") for c in carried), status, cells.get("total", ""),
                         cells.get("max", ""), *(cells.get(c, "") for c in columns)])


def write_batch_details(out: TextIO, records: Iterable[dict[str, Any]]) -> None:
    """The long form: id and SPEC's report columns, for every graded student (spooled records)."""
    writer = Writer(out)
    writer.row(["id", "part", "points", "max", "verdict", "reason"])
    for record in records:
        for cells in record.get("details", ()):
            writer.row([record["id"], *cells])


def write_batch_render(out: TextIO, records: Iterable[dict[str, Any]], fmt: str) -> None:
    """Batch mode's report (from spooled records) as `--format json` (one object per student: id,
    status, and for a graded one the fields of its single report, as one JSON array) or `text`
    (each graded student's report as for one submission, a line for each other one); CSV is
    `write_batch_csv`'s table."""
    first = True
    if fmt == "json":
        for record in records:
            item = json.dumps({"id": record["id"], "status": record["status"]} | record.get("json", {}), indent=1)
            out.write(("[\n" if first else ",\n") + "\n".join(f" {line}" for line in item.split("\n")))
            first = False
        out.write("[]\n" if first else "\n]\n")
        return
    for record in records:
        out.write(("" if first else "\n") + record.get("text", f"{record['id']}: {record['status']}\n"))
        first = False
