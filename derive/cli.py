"""Command line: `derive build`, `check`, `init`, `variants`, `grade` and `export`.

Exit 0 ok, 1 check/LaTeX failure, 2 bad input."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from derive.errors import DeriveError, Interrupted, UsageError
from derive.parallel import TorchWorker
from derive.portable import ENDING_SIGNALS, RECEIVED
from derive.resources import default_text, packaged
from derive.roster import ID_COLUMNS
from derive.version import DISTRIBUTION, __version__

if TYPE_CHECKING:
    from derive.build import Solved

CONFIG_HELP = "a TOML config, or - for standard input (default: the assignment as printed)"
NO_CACHE_HELP = ("neither read nor write the cache of config-independent derivations and of the "
                 "precompiled LaTeX preamble (DERIVE_CACHE_DIR, default ~/.cache/derive; docs/performance.md)")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line and exit 2, as for bad config
        self.exit(2, f"derive: {message}\n")


def epilog() -> str:
    return (f"exit codes: 0 success; 1 a check failed or LaTeX failed; 2 bad input or usage.\n"
            f"config reference: {packaged('docs') / 'config.md'} (`derive init` writes a commented starter)")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="derive", description="Derive, show and check the assignment's answers.",
                epilog=epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"derive {__version__} ({DISTRIBUTION})")
    sub = p.add_subparsers(dest="command", title="commands", metavar="COMMAND", parser_class=_Parser)
    b = sub.add_parser("build", help="write solutions.tex, answers.json, overleaf.zip and solutions.pdf")
    b.add_argument("--config", type=Path, help=CONFIG_HELP)
    b.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    b.add_argument("--no-pdf", action="store_true", help="skip LaTeX compilation")
    b.add_argument("--sheet", choices=("questions", "solutions", "both"), default="solutions",
                   help="questions.pdf (no answers), solutions.pdf (default), or both")
    b.add_argument("--html", action="store_true",
                   help="also write solutions.html and questions.html, as --sheet chooses (self-contained, MathML)")
    b.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    v = sub.add_parser("variants", help="per-student variants: both sheets and answers.json each, and the keys")
    count = v.add_mutually_exclusive_group(required=True)
    count.add_argument("--count", type=_positive, help="how many variants (ids v001, v002, ...)")
    count.add_argument("--roster", type=Path, help="a CSV file with an id column: one variant per row")
    v.add_argument("--id-column", metavar="NAME", help="the roster's id column (default: the first of "
                   f"{', '.join(ID_COLUMNS)}; any case)")
    v.add_argument("--seed", type=int, default=0, help="the base seed (default 0)")
    v.add_argument("--config", type=Path, help="the base config and its [variants] table (default: the assignment)")
    v.add_argument("--out", type=Path, default=Path("build/variants"), help="output folder (default: build/variants)")
    v.add_argument("--no-pdf", action="store_true", help="skip LaTeX compilation")
    v.add_argument("--html", action="store_true", help="also write each variant's questions.html and solutions.html")
    where = v.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_positive, help="parallel local jobs (default: the cores)")
    where.add_argument("--dask", metavar="ADDRESS", help="run the jobs on a Dask cluster (needs `distributed`)")
    v.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    c = sub.add_parser("check", help="run every verification and print one line per check")
    c.add_argument("--config", type=Path, help=CONFIG_HELP)
    c.add_argument("--plant", action="store_true",
                   help="also plant an error in each certified field of answers.json and require a check "
                        "that certifies it to fail (proves this config's checks can fail; a few seconds)")
    c.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    i = sub.add_parser("init", help="write a commented starter config: every key, the assignment's values")
    i.add_argument("file", nargs="?", type=Path, help="where to write it (default: standard output)")
    i.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    g = sub.add_parser("grade", help="score a submission (or a folder of them) against the derived answers")
    g.add_argument("submission", type=Path, nargs="?", help="a submission TOML file (with --key)")
    g.add_argument("--key", type=Path, help="the answers.json to grade against")
    g.add_argument("--variants", type=Path, help="a `derive variants` folder (DIR/key.jsonl, or DIR/key.json)")
    g.add_argument("--submissions", type=Path, help="a folder of <id>.toml submissions (with --variants)")
    g.add_argument("--config", type=Path, help="a config whose [grading] table sets the tolerances")
    g.add_argument("--format", choices=("text", "json", "csv"),
                   help="the report's format (default: text for one submission, csv in batch mode)")
    g.add_argument("--out", type=Path, help="batch mode: write the report here (as CSV, and the reasons beside it)")
    g.add_argument("--gradebook", choices=("moodle", "canvas"),
                   help="batch mode: write the CSV that gradebook imports (one row per student) instead of the report")
    g.add_argument("--assignment", metavar="NAME",
                   help="with --gradebook: the grade column's name (default: derive)")
    x = sub.add_parser("export", help="a variants folder as a Moodle XML bank or a Gradescope autograder bundle")
    x.add_argument("platform", choices=("moodle", "gradescope"), help="moodle: quiz.xml; gradescope: autograder.zip")
    x.add_argument("variants", type=Path, metavar="DIR", help="a `derive variants` folder")
    x.add_argument("--out", type=Path, help="the file to write (default: quiz.xml or autograder.zip)")
    g.add_argument("--feedback", type=Path, metavar="DIR",
                   help="write a feedback sheet per student: DIR/<id>.pdf and DIR/<id>.md")
    g.add_argument("--report", type=Path, metavar="DIR",
                   help="batch mode: write the class report, DIR/report.pdf and DIR/stats.csv")
    return p


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return int(text)


def _progress(message: str) -> None:
    print(f"derive: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one line (or --help, --version)
        return int(exc.code or 0)
    if args.command is None:
        p.print_help(sys.stderr)
        return 2
    if args.command == "init":
        return _init(args.file, args.force)
    if args.command in ("grade", "export"):  # no derivation here
        return _run(args, None)
    if args.command == "variants":  # jobs that run PyTorch in their own processes
        with _ending_signals_raise():
            return _run(args, None)
    # First the PyTorch worker, so that it imports PyTorch while this process imports SymPy.
    with TorchWorker() as worker, _ending_signals_raise():
        return _run(args, worker)


@contextlib.contextmanager
def _ending_signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Interrupted, SIGINT KeyboardInterrupt, so the LaTeX folder,
    pdflatex and the worker are cleaned up; a second SIGTERM or SIGHUP waits for that clean-up.
    Each is also recorded (portable.RECEIVED), for a loop to act on if the exception was lost."""
    ending, owner = tuple(s for s in ENDING_SIGNALS if s != signal.SIGINT), os.getpid()

    def handler(signum: int, _frame: object) -> None:
        if os.getpid() != owner:  # a process forked later ends as it would by default
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        RECEIVED.append(signum)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        for s in ending:
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    before = {s: signal.signal(s, handler) for s in ENDING_SIGNALS}
    try:
        yield
    finally:
        for s, old in before.items():
            signal.signal(s, old)


def _plant(solved: Solved) -> int:
    """`derive check --plant`: 1 when a planted error in a certified field escapes its checks."""
    from derive.plants import escaped

    count, missed = escaped(solved)
    for miss in missed:
        print(f"ESCAPED  {miss}")
    print(f"plants: {count - len(missed)} of {count} planted errors in certified fields caught by a check "
          "that certifies the field")
    if missed:
        print(f"derive: {len(missed)} planted errors escaped every check of their field, first: {missed[0]}",
              file=sys.stderr)
        return 1
    return 0


def _run(args: argparse.Namespace, worker: TorchWorker | None) -> int:
    try:
        if args.command == "grade":
            from derive.grading.cli import run_grade

            return run_grade(args)
        if args.command == "export":
            from derive.export.cli import run_export

            return run_export(args)
        from derive import cache
        from derive.build import build, check_failed_message, failures, solve
        from derive.config import load

        if args.no_cache:
            cache.disable()
        if args.command == "build":
            written = build(args.config, args.out, pdf=not args.no_pdf, progress=_progress, worker=worker,
                            sheet=args.sheet, html=args.html)
            _progress("done: " + ", ".join(str(p) for p in written.values()))
            return 0
        if args.command == "variants":
            return _variants(args)
        solved = solve(load(args.config), worker=worker)
        for c in solved.checks:
            status = "ok  " if c.passed else "FAIL"
            print(f"{status} {c.question:>4}  {c.name}: {c.method}; max error {c.max_error:.3g} "
                  f"(tolerance {c.tolerance:.3g})")
        for s in solved.skipped:
            print(f"skip {s.question:>4}  {s.name}: {s.reason}")
        failed = failures(solved)
        print(f"{len(solved.checks) - len(failed)} passed, {len(failed)} failed, {len(solved.skipped)} skipped")
        if failed:
            print(f"derive: {check_failed_message(failed)}", file=sys.stderr)
            return 1
        return _plant(solved) if args.plant else 0
    except DeriveError as exc:
        print(f"derive: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("derive: interrupted; earlier outputs are unchanged", file=sys.stderr)
        return 130


def _init(file: Path | None, force: bool) -> int:
    """The packaged default config, whose comments document every key; it builds as it is."""
    text = default_text()
    if file is None or str(file) == "-":
        sys.stdout.write(text)
        return 0
    try:
        if file.exists() and not force:
            raise UsageError(f"{file}: exists; choose another name or pass --force to overwrite it")
        file.write_text(text, encoding="utf-8")
    except UsageError as exc:
        print(f"derive: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"derive: {file}: cannot be written ({exc.strerror})", file=sys.stderr)
        return 2
    print(f"derive: wrote {file}; build it with: derive build --config {file}", file=sys.stderr)
    return 0


def _variants(args: argparse.Namespace) -> int:
    from derive import executors, roster, variants

    if args.id_column is not None and args.roster is None:
        raise UsageError("--id-column: only with --roster")
    ids = roster.numbered_ids(args.count) if args.count else roster.read_roster(args.roster, args.id_column)
    variants.check_out_dir(args.out)
    with executors.opened(args.jobs, args.dask) as executor:
        done = variants.run(ids, args.seed, args.config, args.out, executor, pdf=not args.no_pdf, progress=_progress,
                            html=args.html)
    _progress(f"done: {len(done.built)} variants, {args.out / 'key.jsonl'}, {args.out / 'key.csv'}, "
              f"{args.out / 'key.json'}")
    return 0


def entry() -> None:
    """The `derive` command: main(), then exit without the interpreter's teardown of SymPy's
    caches (0.2 s). Every output is written and closed, and the worker ended, by then."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # e.g. `derive check | head`
        pass
    os._exit(code)


if __name__ == "__main__":
    entry()
