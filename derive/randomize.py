"""One randomizer per question: a seeded draw of that question's config table from `[variants]`.

Keyed like `derive.questions.QUESTIONS`, so that a later Question type can take them over.
Each returns the raw TOML table (integers, exact decimals, strings) that `config.from_dict`
reads, within the config's limits; the same generator state gives the same table.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from derive.variants_spec import VariantsSpec

Table = dict[str, Any]


def _normalization(rng: random.Random, spec: VariantsSpec) -> Table:
    n, c, length = rng.choice(spec.normalization.shapes)
    low, high = spec.normalization.entries
    return {"tensor": [[[rng.randint(low, high) for _ in range(length)] for _ in range(c)] for _ in range(n)]}


def _tree(rng: random.Random, spec: VariantsSpec, depth: int) -> dict[str, Decimal]:
    """Every node above `depth` gets `branching` children with distinct words; their
    probabilities leave some mass to pruned words, and each log p is rounded down to tenths,
    so the children's probabilities never sum to more than 1."""
    low, high = spec.decoding.branching
    edges: dict[str, Decimal] = {}

    def grow(prefix: list[str]) -> None:
        words = rng.sample(spec.decoding.words, rng.randint(low, high))
        weights = [rng.random() + 0.05 for _ in words]
        total = sum(weights) * (1 + rng.random() / 2)
        for word, weight in zip(words, weights, strict=True):
            tenths = math.floor(math.log(weight / total) * 10)
            edges[" ".join([*prefix, word])] = Decimal(tenths).scaleb(-1)
            if len(prefix) + 1 < depth:
                grow([*prefix, word])

    grow([])
    return edges


def _decoding(rng: random.Random, spec: VariantsSpec) -> Table:
    depth = rng.choice(spec.decoding.depth)
    return {"beam_width": rng.choice(spec.decoding.beam_width), "steps": depth,
            "vocabulary_size": rng.choice(spec.decoding.vocabulary_size), "tree": _tree(rng, spec, depth)}


def _birnn(rng: random.Random, spec: VariantsSpec) -> Table:
    return {"activation": rng.choice(spec.birnn.activation), "hidden_size": rng.choice(spec.birnn.hidden_size),
            "steps": rng.choice(spec.birnn.steps), "seed": rng.randrange(2**32)}


def _lora(rng: random.Random, spec: VariantsSpec) -> Table:
    d = rng.choice([d for d in spec.lora.d if any(r < d for r in spec.lora.r)])
    return {"d": d, "r": rng.choice([r for r in spec.lora.r if r < d]), "n": rng.choice(spec.lora.n),
            "heads": rng.choice(spec.lora.heads), "bits": rng.choice(spec.lora.bits)}


RANDOMIZERS: dict[str, Callable[[random.Random, VariantsSpec], Table]] = {
    "normalization": _normalization,
    "decoding": _decoding,
    "birnn": _birnn,
    "lora": _lora,
}
