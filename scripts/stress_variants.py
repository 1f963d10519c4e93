"""`make stress-variants`: `derive variants` end to end on many variants (default 200).

Every variant goes through the same jobs as the command (draws until the required properties
hold, then both sheets and every check); the run fails unless every variant was built, every
check passed and every required property held. Without --pdf it skips pdflatex: the checks
and properties do not depend on it, and the PDFs have their own tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from derive import executors, roster, variants
from derive.errors import DeriveError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=executors.default_jobs())
    parser.add_argument("--pdf", action="store_true", help="compile both sheets of every variant too")
    parser.add_argument("--out", type=Path, help="keep the variants here (default: a temporary folder)")
    args = parser.parse_args()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        try:
            with executors.opened(args.jobs, None) as pool:
                variants.run(roster.numbered_ids(args.count), args.seed, None, out, pool, pdf=args.pdf)
        except DeriveError as exc:
            print(f"stress-variants: {exc}", file=sys.stderr)
            return 1
        report = json.loads((out / "report.json").read_text())
        problems = [f"{r['id']}: property {p['name']} does not hold" for r in report for p in r["properties"]
                    if not p["held"]]
        with open(out / "key.jsonl", encoding="utf-8") as key:  # one variant at a time, as the grader reads it
            for line in key:
                entry = json.loads(line)
                problems += [f"{entry['id']}: check {c['question']} {c['name']} failed"
                             for c in entry["answers"]["checks"] if not c["passed"]]
    draws = sorted(sum(r["draws"].values()) for r in report)
    checks = sum(r["checks_passed"] for r in report)
    elapsed = time.perf_counter() - start
    print(f"stress-variants: {len(report)}/{args.count} variants built in {elapsed:.0f} s ({args.jobs} jobs); "
          f"{checks} checks passed; required properties: {', '.join(p['name'] for p in report[0]['properties'])}")
    print(f"stress-variants: draws per variant (all questions): median {draws[len(draws) // 2]}, max {draws[-1]}")
    for problem in problems:
        print(f"stress-variants: {problem}", file=sys.stderr)
    return 1 if problems or len(report) != args.count else 0


if __name__ == "__main__":
    sys.exit(main())
