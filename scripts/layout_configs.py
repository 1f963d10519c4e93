"""Configs at the edges of every limit the README states, for the layout gate (scripts/layout.py).

Each is TOML text built from the limits themselves: the largest and most lopsided tensors, the
largest magnitudes, d = 16 with T = 12 for both activations, long, non-ASCII and very long
words, the widest and the deepest trees, and the largest LoRA numbers.
"""

from __future__ import annotations

import random

from derive.questions.decoding.settings import TREE_MAX_EDGES as MAX_EDGES
from derive.questions.decoding.settings import TREE_MAX_PATH as MAX_PATH
from derive.questions.normalization.settings import TENSOR_MAX_ENTRIES as MAX_ENTRIES
from derive.questions.normalization.settings import TENSOR_MAX_MAGNITUDE as MAX_MAGNITUDE
from derive.tomlwrite import toml_value

TYPOGRAPHY = "— – “ ” ‘ ’ … • € « » ‚ „ † ‡ ‰ ° ± × ÷ §"


def _tensor(shape: tuple[int, int, int], value: random.Random | None = None, big: bool = False) -> str:
    rng = value or random.Random(0)

    def entry() -> str:
        if big:
            return f"{rng.choice(['-', ''])}{MAX_MAGNITUDE - rng.randint(1, 10**6)}.{rng.randint(0, 999):03d}"
        return f"{rng.randint(-99, 99) / 10}"

    n, c, length = shape
    rows = ["[" + ", ".join("[" + ", ".join(entry() for _ in range(length)) + "]" for _ in range(c)) + "]"
            for _ in range(n)]
    return "[normalization]\ntensor = [" + ", ".join(rows) + "]\n"


def _tree(edges: dict[str, float], steps: int | None = None, beam: int = 2, vocabulary: int | None = None) -> str:
    words = {w for path in edges for w in path.split(" ")}
    lines = ["[decoding]", f"beam_width = {beam}", f"vocabulary_size = {vocabulary or len(words) + 1}"]
    if steps is not None:
        lines.append(f"steps = {steps}")
    lines.append("[decoding.tree]")
    lines += [f"{toml_value(path)} = {logp}" for path, logp in edges.items()]
    return "\n".join(lines) + "\n"


def _full_tree(words: list[str], depth: int, rng: random.Random) -> dict[str, float]:
    """Every path of `depth` words over `words`, with random log-probabilities."""
    edges: dict[str, float] = {}
    frontier = [""]
    for _ in range(depth):
        frontier = [f"{p} {w}".strip() for p in frontier for w in words]
        for path in frontier:
            edges[path] = -round(rng.uniform(2.0, 4.0), 3)  # at most 5 children: sums below 1
    return edges


def _wide(children: int) -> dict[str, float]:
    """A root with `children` first words, the first of which has 2 children (depth 2)."""
    logp = -round(2 + 2 * len(str(children)), 1)  # small enough that the probabilities sum below 1
    edges = {f"w{i}": logp for i in range(children)}
    edges.update({"w0 x": -0.5, "w0 y": -1.5})
    for i in range(1, children):
        edges[f"w{i} z"] = -0.1
    return edges


def configs() -> dict[str, str]:
    rng = random.Random(11)
    long_words = ["transformer" * 3, "internationalization" * 2 + "ab", "a" * 59, "Ωmega—“quoted”…€" * 2]
    return {
        "default": "# the assignment as printed\n",
        "tensor_16x16x16": _tensor((16, 16, 16)),
        "tensor_4096x1x1": _tensor((MAX_ENTRIES, 1, 1)),
        "tensor_1x4096x1": _tensor((1, MAX_ENTRIES, 1)),
        "tensor_1x1x4096": _tensor((1, 1, MAX_ENTRIES)),
        "tensor_1x11x1_huge": _tensor((1, 11, 1), big=True),
        "birnn_tanh_16x12": '[birnn]\nactivation = "tanh"\nhidden_size = 16\nsteps = 12\n',
        "birnn_sigmoid_16x12": '[birnn]\nactivation = "sigmoid"\nhidden_size = 16\nsteps = 12\n',
        "tree_long_words": _tree(_full_tree(long_words[:2], 3, rng), beam=3),
        "tree_unicode": f'[document]\ntitle = "Ωmega — “curly” ‘quotes’ … {TYPOGRAPHY} ,, test"\n'
                        + _tree(_full_tree(["Ωmega", "café—crème", "„quoted“", "€5…", "Łódź"], 2, rng)),
        "tree_1000_char_word": _tree({"^" * MAX_PATH: -0.5, "b": -1.0}, beam=1),
        "tree_very_long_words": _tree(_full_tree(long_words, 2, rng), beam=5),
        "tree_wide_3000": _tree(_wide(3000), beam=2),
        "tree_wide_60": _tree(_wide(60), beam=10),
        "tree_200000_edges": _tree({**{f"w{i}": -20 for i in range(MAX_EDGES // 2)},
                                    **{f"w{i} x{i}": -0.5 for i in range(MAX_EDGES // 2)}}, beam=2),
        "tree_deep_500": _tree({" ".join(["x"] * k): -0.01 for k in range(1, (MAX_PATH + 1) // 2 + 1)}, beam=3),
        "tree_full_4x4": _tree(_full_tree(["alpha", "beta", "gamma", "delta"], 4, rng), beam=4),
        "lora_max": "[lora]\nd = 1000000\nr = 999999\nn = 10000000\nheads = 4096\nbits = 16\n",
    }
