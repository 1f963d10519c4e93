"""`make stress-trees`: question 2 at the largest sizes the config allows, timed (a report, not a test).

Builds a tree of C chains of two edges (2C edges, at most decoding's 200,000) with beam width
10^6, derives and checks every question as `derive check` does, and prints the CPU time per size,
so that growth in the tree's size shows (linear or n log n is the aim; see issue 24 item 2).
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal

from derive import config
from derive.build import failures, solve


def chains(count: int) -> dict[str, Decimal]:
    """`count` first words, each with one child; log p values valid and distinct."""
    tree: dict[str, Decimal] = {}
    for i in range(count):
        tree[f"w{i}"] = -Decimal(1200 + (i * 37) % 9973) / 100
        tree[f"w{i} v"] = -Decimal(10 + (i * 53) % 8887) / 1000
    return tree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chains", type=int, nargs="+", default=[10_000, 25_000, 50_000, 100_000])
    parser.add_argument("--beam", type=int, default=10**6)
    args = parser.parse_args()
    defaults = config.parse_toml(config.default_text(), "default.toml")
    failed = 0
    for count in args.chains:
        raw = dict(defaults)
        raw["decoding"] = {"beam_width": args.beam, "tree": chains(count), "vocabulary_size": count + 5}
        start = time.process_time()
        solved = solve(config.from_dict(raw, defaults))
        seconds = time.process_time() - start
        bad = failures(solved)
        failed += bool(bad)
        print(f"{count:>7} chains ({2 * count} edges), beam {args.beam}: {seconds:6.1f} s CPU, "
              f"{'ok' if not bad else f'{len(bad)} checks failed'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
