"""Figures as inline SVG, from the geometry the views compute for the TikZ figures.

Each SVG has role="img" and a <title>/<desc> pair as its text alternative. Coordinates are
the views' centimetres times PX_PER_CM; the SVG scales down to the width of its box.
"""

from __future__ import annotations

from typing import Any

from derive.answer import Tex
from derive.html.markup import Markup, escape, tex_math, tex_plain
from derive.questions.birnn.view import GraphView
from derive.questions.decoding.view import DrawnTree
from derive.questions.normalization.view import Figure as TensorFigure

PX_PER_CM = 40.0
CELL_PX = 26.0
LABEL_CHAR_PX = 7.2  # a 12 px character, conservatively
TITLE_CHAR_PX = 8.0  # a 13 px character
KEEP, GREEDY, SHADE = "#1b7a3a", "#b85c00", "#c9daf0"


def _n(value: float) -> str:
    return f"{value:.1f}"


def _plain(value: Any) -> str:
    """A label as plain text: Tex has its LaTeX escapes undone, a plain str is as it is."""
    return tex_plain(value) if isinstance(value, Tex) else str(value)


def _text(value: Any) -> Markup:
    return escape(_plain(value))


def _svg(ident: str, width: float, height: float, title: str, desc: str, body: list[str]) -> Markup:
    """An SVG labelled by its title and described by its desc (the text alternative)."""
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ident}-t" '
                  f'aria-describedby="{ident}-d" viewBox="0 0 {_n(width)} {_n(height)}" '
                  f'width="{_n(width)}" height="{_n(height)}">'
                  f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
                  + "".join(body) + "</svg>")


def tree_svg(tree: DrawnTree, ident: str) -> Markup:
    """The decoding tree: words at the views' positions, edges with their log-probabilities."""
    xs = [float(n.x) for n in tree.nodes]
    ys = [float(n.y) for n in tree.nodes]
    left, top = min(xs) - 0.2, max(ys) + 0.6
    height = (top - min(ys) + 0.8) * PX_PER_CM
    at = {n.id: ((float(n.x) - left) * PX_PER_CM, (top - float(n.y)) * PX_PER_CM) for n in tree.nodes}
    label_px = {n.id: LABEL_CHAR_PX * len(_plain(n.label)) + 6 for n in tree.nodes}
    width = max(at[i][0] + label_px[i] for i in at) + 4  # the longest word of the last column ends the figure
    body: list[str] = []
    for e in tree.edges:
        (x1, y1), (x2, y2) = at[e.parent], at[e.child]
        x1 += label_px[e.parent]
        colour, stroke = (KEEP, 3.0) if e.beam else ("#8a8a8a", 1.0)
        body.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{colour}" '
                    f'stroke-width="{stroke}"/>')
        if e.greedy:
            body.append(f'<line x1="{_n(x1)}" y1="{_n(y1 + 4)}" x2="{_n(x2)}" y2="{_n(y2 + 4)}" '
                        f'stroke="{GREEDY}" stroke-width="1.6" stroke-dasharray="5 3"/>')
        mx, my = x1 + 0.6 * (x2 - x1), y1 + 0.6 * (y2 - y1)
        body.append(f'<text x="{_n(mx)}" y="{_n(my - 3)}" font-size="10" text-anchor="middle" '
                    f'class="logp">{_text(e.logp)}</text>')
    for n in tree.nodes:
        x, y = at[n.id]
        frame = f' stroke="{KEEP}" stroke-width="2"' if n.framed else ' stroke="none"'
        body.append(f'<rect x="{_n(x - 3)}" y="{_n(y - 9)}" width="{_n(label_px[n.id])}" height="18" rx="3" '
                    f'fill="#fff"{frame}/>')
        body.append(f'<text x="{_n(x)}" y="{_n(y + 4)}" font-size="12">{_text(n.label)}</text>')
    desc = (f"A tree read left to right from the start token, each edge labelled with the log-probability "
            f"of its word. Its paths: {'; '.join(_paths(tree))}.")
    if tree.marked:
        desc += (" Thick green edges are the final beams. Dashed orange edges are the greedy path."
                 " The optimum is framed.")
    return _svg(ident, width, height, "The decoding tree", desc, body)


def _paths(tree: DrawnTree) -> list[str]:
    """Each path from the root to a leaf as words with their log-probabilities, in drawing order."""
    children: dict[str, list[tuple[str, str]]] = {}
    for e in tree.edges:
        children.setdefault(e.parent, []).append((e.child, tex_plain(e.logp)))
    label = {n.id: _plain(n.label) for n in tree.nodes}
    paths: list[str] = []

    def walk(node: str, words: list[str]) -> None:
        if node not in children:
            paths.append(" ".join(words))
        for child, logp in children.get(node, []):
            walk(child, [*words, f"{label[child]} ({logp})"])

    walk(tree.nodes[0].id, [])
    return paths


def tensor_svg(fig: TensorFigure, ident: str) -> Markup:
    """The normalization tensor: one panel per normalization, the entries sharing a statistic shaded."""
    body: list[str] = []
    cols = max(c.x for p in fig.panels for c in p.cells) + 1
    title_px = max(TITLE_CHAR_PX * len(p.kind) for p in fig.panels)
    panel_w = max(cols * CELL_PX, title_px) + CELL_PX  # a narrow tensor's panel is as wide as its title
    for i, panel in enumerate(fig.panels):
        ox = i * panel_w + (panel_w - CELL_PX - cols * CELL_PX) / 2  # the cells centred under the title
        body.append(f'<text x="{_n(ox + cols * CELL_PX / 2)}" y="14" font-size="13" '
                    f'text-anchor="middle">{escape(panel.kind)}</text>')
        for c in panel.cells:
            x, y = ox + c.x * CELL_PX, 22 + c.y * CELL_PX
            fill = SHADE if c.shaded else "#fff"
            body.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{CELL_PX}" height="{CELL_PX}" fill="{fill}" '
                        f'stroke="#333"/>')
            if c.entry is not None:
                body.append(f'<text x="{_n(x + CELL_PX / 2)}" y="{_n(y + CELL_PX / 2 + 4)}" font-size="11" '
                            f'text-anchor="middle">{_text(c.entry)}</text>')
    width = len(fig.panels) * panel_w
    height = 30 + fig.samples * CELL_PX
    desc = ("The tensor drawn once per normalization: rows are samples, blocks of cells are channels, "
            "cells within a block are features; shaded cells share one statistic with the first entry. "
            + " ".join(f"{p.kind}: {sum(c.shaded for c in p.cells)} of {len(p.cells)} drawn entries shaded."
                       for p in fig.panels))
    return _svg(ident, width, height, "Which entries share a statistic", desc, body)


NODE_PX = 19.0  # a node's radius


def _math_at(x: float, y: float, tex: Tex, width: float = 56, height: float = 30) -> str:
    """A formula centred at (x, y): MathML in a foreignObject, as the TikZ node holds LaTeX."""
    return (f'<foreignObject x="{_n(x - width / 2)}" y="{_n(y - height / 2)}" width="{_n(width)}" '
            f'height="{_n(height)}"><div xmlns="http://www.w3.org/1999/xhtml" class="svg-math">'
            f'{tex_math(tex)}</div></foreignObject>')


# Where TikZ puts a label beside its edge (the view's placement: "pos=0.78, below"), in px.
SIDES = {"left": (-18.0, 0.0), "right": (18.0, 0.0), "above": (0.0, -11.0), "below": (0.0, 11.0)}


def _placement(options: str) -> tuple[float, tuple[float, float]]:
    """A label's position along its edge (0 to 1) and its offset from there."""
    pos, offset = 0.5, (0.0, 0.0)
    for option in (o.strip() for o in options.split(",")):
        if option.startswith("pos="):
            pos = float(option[4:])
        elif option in SIDES:
            offset = SIDES[option]
    return pos, offset


def graph_svg(graph: GraphView, ident: str) -> Markup:
    """The BiRNN's computational graph: the nodes where the view places them, each edge an arrow
    labelled with its weight (or, crowded, the weights in a key under the figure, as in the PDF)."""
    step = float(graph.step_cm) * PX_PER_CM
    xs = [float(n.x) * step for n in graph.nodes]
    ys = [float(n.y) * PX_PER_CM for n in graph.nodes]
    left, top = min(xs) - 2 * NODE_PX, max(ys) + 2 * NODE_PX
    at = {n.id: (x - left, top - y) for n, x, y in zip(graph.nodes, xs, ys, strict=True)}
    width, height = max(xs) - left + 2 * NODE_PX, top - min(ys) + 2 * NODE_PX
    body = [f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>']
    for e in graph.edges:
        (x1, y1), (x2, y2) = at[e.source], at[e.target]
        length = max(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5, 1.0)
        dx, dy = (x2 - x1) / length * NODE_PX, (y2 - y1) / length * NODE_PX
        body.append(f'<line x1="{_n(x1 + dx)}" y1="{_n(y1 + dy)}" x2="{_n(x2 - dx)}" y2="{_n(y2 - dy)}" '
                    f'stroke="#333" stroke-width="1.2" marker-end="url(#{ident}-arrow)"/>')
        if e.label and not graph.crowded:
            pos, (ox, oy) = _placement(e.placement)
            body.append(_math_at(x1 + pos * (x2 - x1) + ox, y1 + pos * (y2 - y1) + oy, e.label))
    for n in graph.nodes:
        x, y = at[n.id]
        fill = "#eeeeee" if n.shaded else "#fff"
        if n.boxed:
            body.append(f'<rect x="{_n(x - NODE_PX)}" y="{_n(y - NODE_PX * 0.8)}" width="{_n(2 * NODE_PX)}" '
                        f'height="{_n(1.6 * NODE_PX)}" rx="5" fill="{fill}" stroke="#333"/>')
        else:
            body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(NODE_PX)}" fill="{fill}" stroke="#333"/>')
        body.append(_math_at(x, y, n.label, 2 * NODE_PX, 2 * NODE_PX))
    steps = sum(1 for n in graph.nodes if n.shaded)
    desc = (f"The computational graph over {steps} steps, drawn in five rows from the bottom: the inputs x_t "
            "(shaded), the forward states h(f)_t, the backward states h(b)_t, the outputs y_t and the "
            "losses L_t (boxed). Each x_t feeds both states of its step; each forward state feeds the next "
            "step's forward state and each backward state the previous step's; both states feed y_t, which "
            f"feeds L_t. {len(graph.nodes)} nodes and {len(graph.edges)} edges; each edge is labelled "
            "with its weight matrix.")
    return _svg(ident, width, height, "The computational graph of the BiRNN", desc, body)


def of(view: dict[str, Any]) -> Markup | None:
    """The figure a question's view draws, if it draws one this module knows."""
    v = view.get("v")
    tensor = getattr(v, "figure", None)
    if isinstance(tensor, TensorFigure):
        return tensor_svg(tensor, "fig-tensor")
    graph = getattr(v, "graph", None)
    if isinstance(graph, GraphView):
        return graph_svg(graph, "fig-graph")
    return None  # the decoding tree is drawn where its template calls draw_tree (derive.html.page)
