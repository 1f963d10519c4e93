"""Question 1's views: templates that print nothing else, the figure, and constants that reach the prose.

(Plain data and rendering from the heading and the view alone: tests/test_views.py, for every
question.) The solutions template (templates/normalization/solutions.tex.j2) and the sheet's
(templates/normalization/sheet.tex.j2) print `v` / `d` and `heading`; they filter, compare,
compute and subscript nothing. Every
constant the prose restates (figure limits, groups shown, axis letters, symbols, keys) is read
from the code: changing it changes the text.
"""

from __future__ import annotations

import pytest
from jinja2 import nodes

from derive import build, config
from derive.latex import notation
from derive.latex import render as rendering
from derive.questions.normalization import answer as q1a
from derive.questions.normalization import view as nv
from derive.questions.registry import QUESTIONS

QUESTION = QUESTIONS["normalization"]
CROPPED = "[normalization]\ntensor = " + str([[[n * 100 + c * 10 + f for f in range(7)] for c in range(5)]
                                              for n in range(7)]) + "\n"


def section(cfg: config.Config) -> str:
    return build.question_source(QUESTION, QUESTION.derive(cfg), True)


def sheet(cfg: config.Config) -> str:
    return rendering.render(QUESTION.sheet_template, heading=QUESTION.heading(),
                            d=QUESTION.prompt(cfg))


ARITHMETIC = (nodes.BinExpr, nodes.UnaryExpr, nodes.Concat, nodes.Compare)


@pytest.mark.parametrize(("name", "context"), [(QUESTION.solutions_template, {"v", "heading"}),
                                               (QUESTION.sheet_template, {"d", "heading"})])
def test_the_templates_only_print(name, context):
    """No filters (formatting is the view's), no arithmetic or comparisons, no subscripts, no calls
    but the shared macros, and no names but the view's, the heading and their own loop variables."""
    env = rendering.environment()
    tree = env.parse(env.loader.get_source(env, name)[0])  # type: ignore[union-attr]
    assert list(tree.find_all(nodes.Filter)) == []
    assert [type(n).__name__ for n in tree.find_all(ARITHMETIC) if not isinstance(n, nodes.Not)] == []
    assert list(tree.find_all((nodes.Getitem, nodes.Slice, nodes.Dict, nodes.List))) == []
    assert {n.node.name for n in tree.find_all(nodes.Call)} <= set(rendering.MACROS)  # type: ignore[attr-defined]
    bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "store"} | {"loop"}
    loaded = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"}
    assert loaded - bound - set(rendering.MACROS) == context


def test_the_figure_shades_the_entries_that_share_the_first_statistic():
    view = QUESTION.view(QUESTION.derive(config.loads(CROPPED, "config.toml")), True)
    figure = view.figure
    n, c, f = nv.FIGURE_LIMITS
    assert (figure.samples, figure.channels, figure.features) == (n, c, f) and figure.cropped
    shaded = {panel.kind: sum(cell.shaded for cell in panel.cells) for panel in figure.panels}
    assert shaded == {"batch": n * f, "layer": c * f, "instance": f}  # one channel, one sample, both
    cells = figure.panels[0].cells
    assert len({(cell.x, cell.y) for cell in cells}) == len(cells) == n * c * f
    assert {cell.x for cell in cells} == {j * (f + 1) + i for j in range(c) for i in range(f)}  # blocks a cell apart
    assert not figure.written and all(cell.entry is None for cell in cells)


def test_small_entries_are_written_in_their_cells():
    figure = QUESTION.view(QUESTION.derive(config.load(None)), True).figure
    assert figure.written and not figure.cropped
    assert [cell.entry for cell in figure.panels[0].cells[:3]] == ["2", "5", "1"]


# --- constants reach the prose ----------------------------------------------------------------

def test_figure_limits(monkeypatch):
    monkeypatch.setattr(nv, "FIGURE_LIMITS", (2, 1, 2))
    text = section(config.load(None))
    assert "Drawn: the first 2 of 4 samples, 1 of 2 channels and 2 of 3 features." in text
    assert text.count(r"rectangle +(1,-1);") == 3 * 2 * 1 * 2


def test_groups_shown(monkeypatch):
    monkeypatch.setattr(nv, "SHOWN_GROUPS", 3)  # the default has 2 batch, 4 layer and 8 instance groups
    text = section(config.load(None))
    assert "The other group is computed" in text and "The other 5 groups are computed" in text


def test_one_group_past_those_shown_is_named_in_the_singular():
    """Nine samples: nine layer statistics, one more than the eight shown (no constant patched)."""
    tensor = [[[n, n + 1]] for n in range(9)]
    text = section(config.loads(f"[normalization]\ntensor = {tensor}\n", "nine.toml"))
    assert text.count("The other group is computed") == 2  # layer and instance: 9 groups each
    assert "groups are computed" not in text and "The other 1 " not in text


@pytest.mark.parametrize(("constant", "value"), [("WRITTEN_CELLS", 5), ("WRITTEN_EM", 0.1)])
def test_when_entries_are_written(monkeypatch, constant, value):
    cfg = config.load(None)
    assert "Entries are not written" not in section(cfg)
    monkeypatch.setattr(nv, constant, value)
    assert "Entries are not written in the cells at this size; they are the configuration's " \
           r"\texttt{normalization.tensor}." in section(cfg)


def test_cell_size(monkeypatch):
    monkeypatch.setattr(nv, "CELL_CM", 0.3)
    assert r"\begin{tikzpicture}[x=0.300cm,y=0.300cm" in section(config.load(None))
    monkeypatch.setattr(nv, "ROW_CM", 0.8)  # 2 channels of 3 features and a gap: 7 cells
    assert f"[x={0.8 / 7:.3f}cm" in section(config.load(None))
    monkeypatch.setattr(nv, "GAP_CM", 1.25)
    assert section(config.load(None)).count(r"\end{tikzpicture}\hspace{1.25cm}") == len(q1a.KINDS)


def test_axis_names(monkeypatch):
    axes = (q1a.Axis("i", "I", "example"), q1a.Axis("j", "J", "map"), q1a.Axis("k", "K", "position"))
    monkeypatch.setattr(nv, "AXES", axes)
    text = section(config.load(None))
    assert "Rows are samples $i$, blocks are channels $j$, cells within a block are features $k$." in text
    assert r"For an $(I, J, K)$ tensor, batch normalization reduces over $(I, K)$" in text
    assert "for each map, layer normalization over $(J, K)$ for each example" in text
    assert "over $K$ for each example and map" in text and r"\texttt{LayerNorm((J, K))}" in text
    assert "Reduce over axes 0, 2 ($i$, $k$)" in text and "$j=2$" in text
    assert "(batch size $I=4$, channels $J=2$, features $K=3$)" in text
    assert "(rows $i$, columns $j$; the feature axis has size 1)" in text
    question = sheet(config.load(None))
    assert "batch size $I = 4$, $J = 2$\ninput channels and $K = 3$ features. Sample $i$ is shown as a " \
           r"$J\times K$ matrix" in question


def test_symbols_and_keys(monkeypatch):
    monkeypatch.setitem(notation.NOTATION, "xbar", notation.Name(r"\bar{x}"))
    monkeypatch.setitem(q1a.MOMENTS, "mean", "xbar")
    monkeypatch.setattr(q1a, "KEY", "norm")
    monkeypatch.setattr(nv, "WRITTEN_CELLS", 0)
    text = section(config.load(None))
    assert r"compute a mean $\bar{x}$" in text
    assert r"compute $\bar{x}_{\text{batch}}, \bar{x}_{\text{layer}}, \bar{x}_{\text{instance}}$" in text
    assert r"\answerbox{\bar{x}_{\text{layer}} =" in text
    assert r"\bar{x}_S = \frac{1}{m}\sum_{i\in S} x_i" in text and r"x_i^2 - \bar{x}_S^2 ." in text
    assert r"\texttt{norm.tensor}" in text
    assert r"\bar{x}_{c=1} &= \frac{1}{12}" in text  # a group's work
    question = sheet(config.load(None))
    assert r"Compute $\bar{x}_{\text{batch}}$" in question and r"a mean" + "\n" + r"$\bar{x}$" in question


def test_what_each_kind_reduces_follows_kinds(monkeypatch):
    monkeypatch.setitem(q1a.KINDS, "instance", ((1, 2), "per sample over the channels and the features"))
    text = section(config.load(None))
    assert "and instance\nnormalization over $(C, L)$ for each sample (PyTorch's" in text


def test_answers_json_keys_and_graded_parts_come_from_the_tables():
    answer = q1a.as_json(q1a.derive(config.load(None)))
    assert all(list(answer[k]) == ["axes", *q1a.MOMENTS] for k in q1a.KINDS)
    parts = QUESTION.graded({q1a.KEY: answer})
    assert [p.path for p in parts] == [q1a.field(k, m) for k in q1a.KINDS for m in q1a.MOMENTS]
    assert sum(p.points for p in parts) == q1a.NormalizationParts.statistics.points
