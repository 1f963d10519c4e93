"""The `grade` subcommand: one submission against a key, or a folder against a variants folder."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from derive import outputs
from derive.config import Config, load
from derive.errors import UsageError
from derive.grading import class_report, feedback
from derive.grading.batch import Batch, grade_batch
from derive.grading.gradebook import DEFAULT_ASSIGNMENT, Row, gradebook
from derive.grading.misconceptions import for_submission, name
from derive.grading.report import render, write_batch_csv, write_batch_details, write_batch_render
from derive.grading.submission import Report, grade, read_key, read_submission
from derive.grading_policy import GradingPolicy
from derive.keys import as_text


def _write(out: Path, files: dict[Path, str | Callable[[TextIO], None]]) -> None:
    """All of `files` (each its text, or a function that writes it) or none, through the build's
    transaction (derive.outputs): modes follow the umask, an interrupted or failed run leaves the
    earlier files and no temporary one."""
    folder = out.parent
    if not folder.is_dir():
        raise UsageError(f"--out {out}: no such folder {folder}")
    for path in files:
        if path.is_dir():
            raise UsageError(f"--out {out}: {path} is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: the folder {folder} is not writable")
    outputs.commit(folder, {path.name: text.encode("utf-8") if isinstance(text, str) else as_text(text)
                            for path, text in files.items()}, remove=[])


def _say_ignored(report: Report) -> None:
    """Fields a submission holds that answers.json does not: on stderr, the rest being graded."""
    for field in report.ignored:
        print(f"derive: {report.source}: {field}", file=sys.stderr)


def _documents(args: argparse.Namespace, sheets: list[tuple[str, Report]], batch: Batch | None) -> None:
    """--feedback and --report, after the report itself is out."""
    if args.feedback is not None:
        feedback.write(args.feedback, sheets)
        print(f"derive: wrote {len(sheets)} feedback sheets to {args.feedback}", file=sys.stderr)
    if args.report is not None and batch is not None:
        class_report.write(args.report, batch)
        print(f"derive: wrote {args.report / 'report.pdf'} and {args.report / 'stats.csv'}", file=sys.stderr)


def run_grade(args: argparse.Namespace) -> int:
    config: Config | None = None
    fixed: GradingPolicy | None = None
    if args.config is not None:
        config = load(args.config)
        fixed = config.grading
    if args.variants is not None or args.submissions is not None:
        if args.variants is None or args.submissions is None or args.key is not None or args.submission:
            raise UsageError("batch mode is --variants DIR --submissions DIR (no --key, no SUBMISSION)")
        documents = args.feedback is not None or args.report is not None  # they need every report at once
        batch = grade_batch(args.variants, args.submissions, fixed, keep=documents)
        try:
            for message in batch.messages:
                print(f"derive: {message}", file=sys.stderr)
            for record in batch.spool:
                for line in record.get("ignored", ()):
                    print(f"derive: {line}", file=sys.stderr)
            if args.gradebook is not None:
                _gradebook(args, list(batch.rows()))
            else:
                _batch_table(args, batch)
            folders = dict(batch.folders)
            _documents(args, [(folders.get(student, student), report) for student, report in batch.graded], batch)
        finally:
            batch.spool.close()
        return 0
    if args.assignment is not None and args.gradebook is None:
        raise UsageError("--assignment: only with --gradebook")
    if args.gradebook is not None:
        raise UsageError("--gradebook is for batch mode: --variants DIR --submissions DIR --gradebook KIND --out FILE")
    if args.key is None or args.submission is None:
        raise UsageError("grade needs --key answers.json SUBMISSION, or --variants DIR --submissions DIR")
    if args.out is not None:
        raise UsageError("--out is for batch mode; redirect the report instead")
    if args.report is not None:
        raise UsageError("--report is for batch mode (--variants DIR --submissions DIR); use --feedback DIR")
    key, submission, policy = read_key(args.key), read_submission(args.submission), fixed or GradingPolicy()
    report = grade(key, submission, policy, str(args.submission))
    report = name(report, key, submission, for_submission(config, key, policy, "--config"), policy)
    _say_ignored(report)
    sys.stdout.write(render(report, args.format or "text", f"{args.submission} graded against {args.key}"))
    _documents(args, [(args.submission.stem, report)], None)
    return 0


def _batch_table(args: argparse.Namespace, batch: Batch) -> None:
    """The batch's report, written from its spool one student at a time."""
    fmt = args.format or "csv"

    def table(out: TextIO) -> None:
        if fmt == "csv":
            write_batch_csv(out, batch.columns, batch.rows(), batch.carried)
        else:
            write_batch_render(out, batch.spool, fmt)

    if args.out is None:
        table(sys.stdout)
    elif fmt == "csv":
        _write(args.out, {args.out: table,
                          args.out.with_suffix(".reasons.csv"): lambda out: write_batch_details(out, batch.spool)})
        print(f"derive: wrote {args.out} and {args.out.with_suffix('.reasons.csv')}", file=sys.stderr)
    else:
        _write(args.out, {args.out: table})
        print(f"derive: wrote {args.out}", file=sys.stderr)


def _gradebook(args: argparse.Namespace, rows: Sequence[Row]) -> None:
    """`--gradebook moodle|canvas`: every student of the key, with the total where graded."""
    if args.format is not None:
        raise UsageError("--format: not with --gradebook, whose file has its own columns")
    name = DEFAULT_ASSIGNMENT if args.assignment is None else args.assignment.strip()
    if not name or not name.isprintable():
        raise UsageError(f"--assignment: must be a name on one line, got {args.assignment!r}")
    table = gradebook(args.gradebook, rows, name)
    if args.out is None:
        sys.stdout.write(table)
        return
    _write(args.out, {args.out: table})
    print(f"derive: wrote {args.out} ({args.gradebook} gradebook, {len(rows)} students)", file=sys.stderr)
