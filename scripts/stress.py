"""`make stress`: generate variant configs within the valid ranges and check every one.

Each variant goes through the same path as `derive check` (config validation, derivation,
every verification), and every answer field must be certified by a check that passed.
Variants that fail are written to build/stress-failures/ as TOML so they can be rerun with
`derive check --config FILE`. A sample of them (`--pdf`, 20 by default, evenly spaced) is then
built to PDF and put through the layout gate's checks (scripts/layout.py: no LaTeX error, no
overfull box over 1 pt, no `<U+` stand-in, no overlapping tree words), and the same sample goes
through `derive check --plant`: every certified field, planted wrong, fails a check certifying it.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from derive import config, plants
from derive.build import failures, solve, uncertified
from derive.progress import track
from derive.questions.birnn import settings as birnn_settings
from derive.tomlwrite import to_toml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import layout  # noqa: E402  (the layout gate, beside this script)

WORDS = ["the", "a", "cat", "dog", "sat", "ran", "é", "x_1", "50%", "{b}", "#", "\\n", "~", "Z"]


def number(rng: random.Random) -> Any:
    if rng.random() < 0.5:
        return rng.randint(-9, 9)
    return Decimal(rng.randint(-999, 999)) / Decimal(rng.choice([10, 100]))


def tensor(rng: random.Random) -> list:
    n, c, length = rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 4)
    out = [[[number(rng) for _ in range(length)] for _ in range(c)] for _ in range(n)]
    if rng.random() < 0.3:
        out[0][0] = [out[0][0][0]] * length  # a constant row: variance 0
    return out


def tree(rng: random.Random, depth: int) -> dict[str, Decimal]:
    edges: dict[str, Decimal] = {}

    def grow(prefix: list[str]) -> None:
        words = rng.sample(WORDS, rng.randint(1, 3))
        weights = [rng.random() + 0.05 for _ in words]
        total = sum(weights) * (1 + rng.random())  # leave some mass to pruned words
        for word, weight in zip(words, weights, strict=True):
            logp = math.floor(math.log(weight / total) * 100) / 100  # rounding down keeps the sum <= 1
            edges[" ".join([*prefix, word])] = Decimal(str(logp))
            if len(prefix) + 1 < depth:
                grow([*prefix, word])

    grow([])
    return edges


def matrix(rng: random.Random, rows: int, cols: int) -> list:
    return [[Decimal(rng.randint(-150, 150)) / 100 for _ in range(cols)] for _ in range(rows)]


def variant(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    depth = rng.randint(1, 3)
    d, steps = rng.randint(1, 3), rng.randint(1, 4)
    birnn: dict[str, Any] = {"activation": rng.choice(["tanh", "sigmoid"]), "hidden_size": d, "steps": steps,
                             "seed": rng.randint(0, 10**6)}
    if rng.random() < 0.3:
        birnn["instance"] = {k: matrix(rng, d, d) for k in birnn_settings.BIRNN_WEIGHTS}
        birnn["instance"] |= {"x": matrix(rng, steps, d), "z": matrix(rng, steps, d), "h0_f": matrix(rng, 1, d)[0]}
    lora_d = rng.choice([2, 8, 64, 768, 4096, 12288])
    return {
        "normalization": {"tensor": tensor(rng)},
        "decoding": {"beam_width": rng.randint(1, 4), "steps": depth, "vocabulary_size": rng.choice([50, 50257]),
                     "tree": tree(rng, depth)},
        "birnn": birnn,
        "lora": {"d": lora_d, "r": rng.randint(1, lora_d - 1), "n": rng.choice([1, 7, 512, 4096]),
                 "heads": rng.choice([1, 2, 12, 32]), "bits": rng.randint(2, 16)},
    }


def check(seed: int) -> tuple[int, list[str]]:
    defaults = config.parse_toml(config.default_text(), "default.toml")
    try:
        solved = solve(config.from_dict(variant(seed), defaults))
    except Exception as exc:  # a crash on valid input is a failure to report, not to stop on
        return seed, [f"crashed: {exc!r}"]
    return seed, [f"{c.question} {c.name}: {c.max_error:.3g} > {c.tolerance:.3g}" for c in failures(solved)] + [
        f"{field}: certified by no check" for field in uncertified(solved)]


def typeset(job: tuple[int, str]) -> tuple[int, list[str]]:
    seed, folder = job
    problems, _ = layout.gate(f"variant-{seed}", to_toml(variant(seed)), Path(folder))
    return seed, [f"PDF: {p}" for p in problems]


def plant(seed: int) -> tuple[int, list[str]]:
    defaults = config.parse_toml(config.default_text(), "default.toml")
    _, missed = plants.escaped(solve(config.from_dict(variant(seed), defaults)))
    return seed, [f"planted error escaped its checks: {miss}" for miss in missed]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pdf", type=int, default=20, help="how many of the variants to build to PDF")
    args = parser.parse_args()
    start = time.perf_counter()
    failed: dict[int, list[str]] = {}
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        results = pool.imap_unordered(check, range(args.count), chunksize=10)
        for seed, problems in track(results, args.count, "stress", unit="variants"):
            if problems:
                failed[seed] = problems
        sample = sorted({k * args.count // args.pdf for k in range(args.pdf)}) if args.pdf else []
        with tempfile.TemporaryDirectory(prefix="derive-stress-") as folder:
            for seed, problems in pool.imap_unordered(typeset, [(seed, folder) for seed in sample]):
                if problems:
                    failed.setdefault(seed, []).extend(problems)
        if sample:
            print(f"stress: {len(sample)} variants built to PDF ({time.perf_counter() - start:.0f} s)", flush=True)
        for seed, problems in pool.imap_unordered(plant, sample):
            if problems:
                failed.setdefault(seed, []).extend(problems)
        if sample:
            print(f"stress: {len(sample)} variants planted ({time.perf_counter() - start:.0f} s)", flush=True)
    out = Path("build/stress-failures")
    for seed, problems in sorted(failed.items()):
        out.mkdir(parents=True, exist_ok=True)
        (out / f"variant-{seed}.toml").write_text(to_toml(variant(seed)), encoding="utf-8")
        print(f"stress: variant {seed} failed: {'; '.join(problems)}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(f"stress: {args.count} variants in {elapsed:.0f} s, {len(sample)} of them typeset and planted")
    print(f"{args.count - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
