"""Fitting results to the page: matrix excerpts, elided lists, breakable words, the tree figure."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.answer import Terms
from derive.latex import layout, treefig
from derive.latex.escaping import json_key, words
from derive.latex.render import finalize
from derive.questions.decoding.search import Hypothesis, children_index


@pytest.mark.parametrize(
    ("items", "head", "tail", "expected"),
    [
        (range(5), 3, 1, [0, 1, 2, 3, 4]),  # one hidden item would be no shorter than itself
        (range(6), 3, 1, [0, 1, 2, None, 5]),
        (range(7), 3, 1, [0, 1, 2, None, 6]),
        (range(100), 5, 2, [0, 1, 2, 3, 4, None, 98, 99]),
    ],
)
def test_elide(items, head, tail, expected):
    assert layout.elide(list(items), head, tail) == expected


@pytest.mark.parametrize(
    ("indices", "total", "expected"),
    [
        ([0, 1, 2, None, 9], 10, "1--3 and 10 of 10"),
        ([0, None, 4095], 4096, "1 and 4096 of 4096"),
    ],
)
def test_span(indices, total, expected):
    assert layout.span(indices, total) == expected


def test_small_matrix_is_complete_and_exact():
    m = sp.Matrix([[sp.Rational(1, 2), 3], [4, sp.Rational(-5, 6)]])
    shown = layout.excerpt(m, lambda x: sp.latex(x))
    assert shown.complete
    assert shown.tex == r"\begin{bmatrix}\frac{1}{2} & 3 \\ 4 & - \frac{5}{6}\end{bmatrix}"


@pytest.mark.parametrize(("rows", "cols"), [(1, 4096), (4096, 1), (16, 16), (11, 11), (1, 11)])
def test_large_matrices_show_corners_within_amsmath_limits(rows, cols):
    m = sp.Matrix(rows, cols, lambda i, j: 100 * i + j)
    shown = layout.excerpt(m, str)
    assert len(shown.cols) <= layout.MAX_MATRIX_COLS and len(shown.rows) <= layout.MAX_MATRIX_ROWS
    assert not shown.complete
    # The corners are the matrix's own entries: first and last row and column.
    assert shown.cells[0][0] == "0" and shown.cells[-1][-1] == str(100 * (rows - 1) + cols - 1)
    for row in shown.cells:
        assert len(row) == len(shown.cols)


def test_wide_entries_give_fewer_columns():
    big = sp.Matrix(1, 16, lambda i, j: sp.Integer(10) ** 30 + j)
    shown = layout.excerpt(big, str, budget=40)
    assert shown.cols == (0, None, 15)  # 31 digits: one column, the dots, the last column
    assert shown.width <= 40
    assert shown.where == "columns 1 and 16 of 16"


def test_exact_and_decimal_excerpts_show_the_same_entries():
    m = sp.Matrix(1, 12, lambda i, j: sp.Rational(10**12 + j, 7))
    exact, approx = layout.pair_excerpts(m, sp.latex, lambda x: f"{float(x):.4g}", budget=30)
    assert exact.cols == approx.cols and exact.rows == approx.rows


@pytest.mark.parametrize(
    ("latex", "low", "high"),
    [
        ("12345", 2.5, 3),
        (r"\frac{31}{12}", 1, 1.2),
        (r"\frac{227}{144} + \frac{1}{2}", 2.8, 4.0),
    ],
)
def test_width_estimate(latex, low, high):
    assert low <= layout.width_em(latex) <= high


def test_long_sums_elide_sooner_when_terms_are_wide():
    narrow = Terms(tuple(sp.Integer(k) for k in range(1, 13)))
    assert r"\cdots" not in finalize(narrow)
    wide = Terms(tuple(sp.Integer(10) ** 15 + k for k in range(12)))
    printed = finalize(wide)
    assert r"\cdots" in printed and layout.width_em(printed) <= layout.TEXT_WIDTH_EM
    assert printed.endswith(f"{10**15 + 10} + {10**15 + 11}")


def test_the_widest_sums_keep_only_the_first_and_last_terms():
    huge = Terms(tuple(sp.Rational(10**18 + k, 1000) ** 2 for k in range(11)), factor=sp.Rational(1, 11),
                 minus=sp.Rational(10**18, 5500) ** 2)
    printed = finalize(huge)
    inside = printed[printed.index(r"\left(") + 6 : printed.index(r"\right)")]
    assert inside == rf"{10**30} + \cdots + \frac{{{(10**18 + 10) ** 2 // 100}}}{{{10**4}}}"  # reduced by SymPy
    three = Terms((sp.Integer(10) ** 40, sp.Integer(10) ** 40, sp.Integer(10) ** 40))
    assert r"\cdots" not in finalize(three)  # eliding one of three terms would save nothing


def test_long_words_break_every_few_characters():
    assert words(["the", "cat"]) == "the cat"
    assert words(["x" * 20]) == r"xxxxxxxx\allowbreak{}xxxxxxxx\allowbreak{}xxxx"
    assert words(["a_b" * 6]) == r"\allowbreak{}".join([r"a\_ba\_ba\_", r"ba\_ba\_ba", r"\_b"])
    assert json_key("normalization.batch.mean") == r"\texttt{normalization.\allowbreak{}batch.\allowbreak{}mean}"


def _tree(edges: dict[str, str]) -> dict[tuple[str, ...], sp.Rational]:
    return {tuple(k.split(" ")): sp.Rational(v) for k, v in edges.items()}


def _figure(tree, steps):
    leaves = sorted((p for p in tree if len(p) == steps), key=lambda p: p)
    h = Hypothesis(leaves[0], sp.Integer(-1))
    return treefig.tree_figure(tree, steps, h, [h], h)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_tree_columns_leave_room_for_every_label():
    tree = _tree({"a": "-0.5", "b": "-1", "a cat": "-0.25", "a dog": "-2", "b emu": "-0.123456789"})
    fig = _figure(tree, 2)
    x = {n.id: n.x for n in fig.nodes}
    by_label = {n.label: n for n in fig.nodes}
    assert len(fig.nodes) == 6 and len(fig.edges) == 5 and fig.legend == ()
    # Boxes as the figure reserves them: a word from its x to the right, the edge label between.
    boxes = [(n.x, n.y - 0.2, n.x + len(n.label) * treefig.WORD_CHAR_CM + treefig.PAD_CM, n.y + 0.2)
             for n in fig.nodes if n.id != "p0"]
    assert not any(_overlap(p, q) for i, p in enumerate(boxes) for q in boxes[i + 1:])
    gap = by_label["emu"].x - by_label["b"].x
    assert gap >= len("b") * treefig.WORD_CHAR_CM + len("-0.123456789") * treefig.NUMBER_CHAR_CM + 2 * treefig.PAD_CM
    assert x["p0"] == 0.0


def test_tree_with_long_words_draws_keys_with_a_legend():
    long = ["w" * 40, "v" * 45]
    tree = _tree({long[0]: "-0.5", long[1]: "-1", f"{long[0]} {long[1]}": "-1", f"{long[1]} {long[0]}": "-2"})
    fig = _figure(tree, 2)
    assert {n.label for n in fig.nodes} == {r"\texttt{<BOS>}", "[1]", "[2]"}
    assert dict(fig.legend) == {"[1]": long[1], "[2]": long[0]}  # keys in the order of the paths


def test_tree_too_tall_or_too_deep_is_not_drawn():
    wide = _tree({f"w{i}": "-5" for i in range(treefig.MAX_LEAVES + 1)})
    most = treefig.MAX_LEAVES
    assert _figure(wide, 1) == f"the tree has {most + 1} paths to depth 1; the figure is drawn for at most {most}"
    deep = _tree({" ".join(["x"] * k): "-0.01" for k in range(1, 501)})
    assert _figure(deep, 500) == "its 500 levels do not fit the width of the page (at most 10 are drawn)"
    long = _tree({" ".join(["x" * 30] * k): "-0.0123" for k in range(1, 11)})
    assert _figure(long, 10) == "its 10 levels do not fit the width of the page with these words"
    assert isinstance(_figure(long, 3), treefig.TreeFigure)


def test_rows_centre_parents_on_their_children():
    tree = _tree({"a": "-1", "b": "-1", "a x": "-1", "a y": "-1", "a y z": "-1", "b w": "-1"})
    index = children_index(tree)
    assert treefig._rows(index) == {("a", "x"): 0, ("a", "y", "z"): 1, ("a", "y"): 1, ("a",): 0.5,
                                    ("b", "w"): 2, ("b",): 2, (): 1.25}
