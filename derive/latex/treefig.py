"""The decoding tree as a figure: node positions from the labels' estimated widths.

Columns (one per depth) are spaced by the widest word label of the column before plus the
widest log-probability label on the edges between, so that no two labels overlap. When the
words make the figure wider than the text, long words are drawn as keys ([1], [2], ...) and
a legend under the figure gives them; when even that does not fit, or the tree has too many
leaves to stack legibly, the figure is left out and the document says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import sympy as sp

from derive.answer import Tex
from derive.latex.printer import decimal

Path = tuple[str, ...]  # the words after <BOS>
Tree = Mapping[Path, sp.Rational]  # a path -> log p of its last word (derive/questions/decoding/search.py's trees)


class Searched(Protocol):
    """A search's result as the figure highlights it: a path of words (a search.Hypothesis)."""

    @property
    def words(self) -> Path: ...

WIDTH_CM = 16.5  # the text width (17.2 cm) less a margin for the frame of the optimum
ROW_CM = 0.8  # vertical distance between two leaves
MAX_LEAVES = 27  # 27 rows of 0.8 cm (a full 3-ary tree of depth 3): a page of text, less a heading
WORD_CHAR_CM = 0.2  # \footnotesize, a wide character, conservatively
NUMBER_CHAR_CM = 0.16  # \scriptsize digits
PAD_CM = 0.35  # inner sep on both sides of a label, and a gap
SPREAD_CM = 1.6  # at most this much spare width is added to a gap
KEYED_WORD = 4  # with keys, words longer than this are drawn as their key
MAX_DEPTH = 10  # a column needs at least 1.5 cm: a key and a short log-probability
LOGP_DIGITS = 12  # significant digits of a log-probability, on the edges as in question 2's tables


@dataclass(frozen=True)
class Node:
    id: str
    x: float  # cm
    y: float  # cm
    label: str | Tex  # plain text is escaped by the template's finalize
    framed: bool  # the optimum's last node


@dataclass(frozen=True)
class Edge:
    parent: str
    child: str
    logp: Tex
    beam: bool  # on a final beam
    greedy: bool  # on the greedy path


@dataclass(frozen=True)
class TreeFigure:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    legend: tuple[tuple[str, str], ...]  # key, word
    marked: bool  # the beams, the greedy path and the optimum are highlighted (the solutions)


def _width(text: str, per_char: float) -> float:
    return len(text) * per_char + PAD_CM


def tree_figure(tree: Tree, steps: int, greedy: Searched | None = None, beams: Sequence[Searched] = (),
                optimum: Searched | None = None) -> TreeFigure | str:
    """The figure, or why it is not drawn (a sentence). Without greedy, beams and optimum (the
    question sheet) nothing is highlighted."""
    if steps > MAX_DEPTH:
        return f"its {steps} levels do not fit the width of the page (at most {MAX_DEPTH} are drawn)"
    leaves = sum(1 for p in tree if len(p) == steps)  # the config gives every node above `steps` a child
    if leaves > MAX_LEAVES:
        return f"the tree has {leaves} paths to depth {steps}; the figure is drawn for at most {MAX_LEAVES}"
    nodes = sorted(p for p in tree if len(p) <= steps)
    index: dict[Path, list[Path]] = {}
    for path in nodes:
        index.setdefault(path[:-1], []).append(path)
    rows = _rows(index)
    numbers = {p: decimal(tree[p], LOGP_DIGITS) for p in nodes}
    for keyed in (False, True):
        legend: dict[str, str] = {}
        labels = {p: _label(p[-1], keyed, legend) for p in nodes}
        columns = _columns(nodes, labels, numbers, steps)
        last = max(_width(labels[p], WORD_CHAR_CM) for p in nodes if len(p) == steps)
        if _width("<BOS>", WORD_CHAR_CM) + columns[-1] + last <= WIDTH_CM + 1e-9:
            break
    else:
        return f"its {steps} levels do not fit the width of the page with these words"
    on = {h.words[:k] for h in beams for k in range(1, steps + 1)}
    greedy_edges = {greedy.words[:k] for k in range(1, steps + 1)} if greedy is not None else set()
    best = optimum.words if optimum is not None else None
    ids = {p: f"p{i}" for i, p in enumerate([(), *nodes])}
    drawn = [Node("p0", columns[0], -ROW_CM * rows[()], Tex(r"\texttt{<BOS>}"), False)]
    drawn += [Node(ids[p], columns[len(p)], -ROW_CM * rows[p], labels[p], p == best) for p in nodes]
    edges = [Edge(ids[p[:-1]], ids[p], Tex(numbers[p]), p in on, p in greedy_edges) for p in nodes]
    return TreeFigure(tuple(drawn), tuple(edges), tuple((key, word) for word, key in legend.items()),
                      greedy is not None)


def _rows(index: dict[Path, list[Path]]) -> dict[Path, float]:
    """Leaves stacked in path order, parents centred on their children (iterative: trees may be deep)."""
    rows: dict[Path, float] = {}
    count = 0
    stack: list[tuple[Path, bool]] = [((), False)]
    while stack:
        path, done = stack.pop()
        kids = sorted(index.get(path, []))
        if not kids:
            rows[path] = count
            count += 1
        elif done:
            rows[path] = (rows[kids[0]] + rows[kids[-1]]) / 2
        else:
            stack.append((path, True))
            stack.extend((kid, False) for kid in reversed(kids))
    return rows


def _label(word: str, keyed: bool, legend: dict[str, str]) -> str:
    """The text drawn for a word: itself, or with keys on, `[k]` for a long word."""
    if not keyed or len(word) <= KEYED_WORD:
        return word
    return legend.setdefault(word, f"[{len(legend) + 1}]")


def _columns(nodes: list[Path], labels: dict[Path, str], numbers: dict[Path, str], steps: int) -> list[float]:
    """x of each depth's column (cm); depth 0 is <BOS>, drawn to the left of x = 0. Each gap is
    what its labels need, widened by an equal share of the spare width (at most SPREAD_CM)."""
    gaps = []
    for depth in range(1, steps + 1):
        before = [_width(labels[p], WORD_CHAR_CM) for p in nodes if len(p) == depth - 1] or [0.0]
        edge = max(_width(numbers[p], NUMBER_CHAR_CM) for p in nodes if len(p) == depth)
        gaps.append(max(before) + edge + 0.4)
    last = max(_width(labels[p], WORD_CHAR_CM) for p in nodes if len(p) == steps)
    spare = WIDTH_CM - _width("<BOS>", WORD_CHAR_CM) - sum(gaps) - last
    x = [0.0]
    for gap in gaps:
        x.append(x[-1] + gap + min(max(spare, 0.0) / steps, SPREAD_CM))
    return x
