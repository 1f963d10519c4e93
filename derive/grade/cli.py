"""The `grade` subcommand: one submission against a key, or a folder against a variants folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from derive import outputs
from derive.config import load
from derive.errors import UsageError
from derive.grade.batch import grade_batch
from derive.grade.policy import GradingPolicy
from derive.grade.report import batch_render, render
from derive.grade.submission import Report, grade, read_key, read_submission


def _write(out: Path, files: dict[Path, str]) -> None:
    """All of `files` or none, through the build's transaction (derive.outputs): modes follow
    the umask, an interrupted or failed run leaves the earlier files and no temporary one."""
    folder = out.parent
    if not folder.is_dir():
        raise UsageError(f"--out {out}: no such folder {folder}")
    for path in files:
        if path.is_dir():
            raise UsageError(f"--out {out}: {path} is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: the folder {folder} is not writable")
    outputs.commit(folder, {path.name: text.encode("utf-8") for path, text in files.items()}, remove=[])


def _say_ignored(report: Report) -> None:
    """Fields a submission holds that answers.json does not: on stderr, the rest being graded."""
    for field in report.ignored:
        print(f"derive: {report.source}: {field}", file=sys.stderr)


def run_grade(args: argparse.Namespace) -> int:
    fixed: GradingPolicy | None = None
    if args.config is not None:
        fixed = load(args.config).grading
    if args.variants is not None or args.submissions is not None:
        if args.variants is None or args.submissions is None or args.key is not None or args.submission:
            raise UsageError("batch mode is --variants DIR --submissions DIR (no --key, no SUBMISSION)")
        batch = grade_batch(args.variants, args.submissions, fixed)
        for message in batch.messages:
            print(f"derive: {message}", file=sys.stderr)
        for _, report in batch.graded:
            _say_ignored(report)
        fmt = args.format or "csv"
        table = batch.table if fmt == "csv" else batch_render(batch.rows, batch.graded, fmt)
        if args.out is None:
            sys.stdout.write(table)
        elif fmt == "csv":
            _write(args.out, {args.out: table, args.out.with_suffix(".reasons.csv"): batch.details})
            print(f"derive: wrote {args.out} and {args.out.with_suffix('.reasons.csv')}", file=sys.stderr)
        else:
            _write(args.out, {args.out: table})
            print(f"derive: wrote {args.out}", file=sys.stderr)
        return 0
    if args.key is None or args.submission is None:
        raise UsageError("grade needs --key answers.json SUBMISSION, or --variants DIR --submissions DIR")
    if args.out is not None:
        raise UsageError("--out is for batch mode; redirect the report instead")
    report = grade(read_key(args.key), read_submission(args.submission), fixed or GradingPolicy(),
                   str(args.submission))
    _say_ignored(report)
    sys.stdout.write(render(report, args.format or "text", f"{args.submission} graded against {args.key}"))
    return 0
