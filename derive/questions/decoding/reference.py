"""Reference searches for the instrumented runs of 2.3, written apart from search.py.

The instrumented Algorithm 1 and sort-based beam search are run on a seeded model whose log p
is a function of (prefix, word), so that what they keep can be computed again here: a plain
beam search that ranks every candidate of a depth by its score, and greedy decoding. Their
counts are only worth something if the runs counted are searches that work.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

Model = Callable[[tuple[int, ...], int], float]


# log p of the seeded model spans (-SPREAD, 0], as a language model's log-probabilities of likely
# and rare words do: wide enough that a beam started with a score not far below 0 would outrank
# live beams' candidates (a dead beam must start below every path's score).
SPREAD = 20


def model(seed: int) -> Model:
    """log p of word j after a prefix: a uniform draw in (-SPREAD, 0] from a generator seeded by
    the seed, the prefix and j (the same on every machine)."""
    return lambda prefix, j: -SPREAD * _uniform(f"{seed}:{prefix}:{j}")


@functools.lru_cache(maxsize=1 << 16)
def _uniform(seed: str) -> float:
    """The first draw in [0, 1) of a generator seeded by the text: a pure function of it, kept
    because seeding a generator costs more than the run it serves, and every variant's checks
    run the same instrumented searches on the same seeded models."""
    return random.Random(seed).random()


def beams(logp: Model, vocabulary: int, steps: int, width: int, bos: int = 0) -> list[tuple[int, ...]]:
    """The B best-scoring sequences kept by a beam search, best first."""
    kept: list[tuple[float, tuple[int, ...]]] = [(0.0, (bos,))]
    for _ in range(steps):
        candidates = [(score + logp(prefix, j), prefix + (j,)) for score, prefix in kept for j in range(vocabulary)]
        kept = sorted(candidates, key=lambda c: -c[0])[:width]
    return [prefix for _, prefix in kept]


def greedy(logp: Model, vocabulary: int, steps: int, bos: int = 0) -> tuple[int, ...]:
    path: tuple[int, ...] = (bos,)
    for _ in range(steps):
        path += (max(range(vocabulary), key=lambda j: logp(path, j)),)
    return path
