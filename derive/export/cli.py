"""The `export` subcommand: a variants folder as a Moodle XML bank or a Gradescope autograder bundle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from derive import outputs
from derive.errors import UsageError
from derive.export.variants_dir import read_variants

DEFAULT_OUT = {"moodle": Path("quiz.xml"), "gradescope": Path("autograder.zip")}


def run_export(args: argparse.Namespace) -> int:
    out: Path = args.out or DEFAULT_OUT[args.platform]
    outputs.check_out_dir(out.parent if str(out.parent) else Path("."))
    if out.is_dir():
        raise UsageError(f"--out {out}: is a folder; name the file to write")
    variants = read_variants(args.variants)
    if args.platform == "moodle":
        from derive.export.moodle import quiz

        data = quiz(variants)
    else:
        from derive.export.gradescope import bundle

        data = bundle(variants)
    outputs.commit(out.parent if str(out.parent) else Path("."), {out.name: data}, remove=[])
    print(f"derive: wrote {out} ({len(variants)} {'variant' if len(variants) == 1 else 'variants'})", file=sys.stderr)
    return 0
