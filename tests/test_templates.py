"""Every question's templates print only what its view hands them.

Read from each template's syntax tree, for every registered question (a new one included): the
solutions template names only `v` and `heading`, the sheet only `d` (the prompt) and
`heading`, besides its own loop variables and aliases (`set f = v.figure`: a name for a part
of the view, nothing computed); none computes, compares, looks up keys, filters or calls
anything but the shared macros. The document's own templates obey the same rule: the head and
the tail (with the appendix) print only their views (`v`, derive/document_view.py), the preamble
only the font declarations. What the document says is decided in Python, where it is typed and
tested; the templates lay it out.
"""

from __future__ import annotations

import jinja2
import pytest
from jinja2 import nodes

from derive.latex.render import MACROS, environment, template_dir
from derive.questions.registry import QUESTIONS

COMPUTING = (nodes.Filter, nodes.Compare, nodes.BinExpr, nodes.UnaryExpr, nodes.Getitem, nodes.Dict, nodes.List,
             nodes.Tuple, nodes.CondExpr, nodes.Concat, nodes.Slice)


def tree(name: str) -> nodes.Template:
    env = environment()
    source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    return env.parse(source)


def defined(template: nodes.Template) -> set[str]:
    """The names a template's loops and aliases define."""
    names: set[str] = set()
    for node in [*template.find_all(nodes.For), *template.find_all(nodes.Assign)]:
        targets = [node.target, *node.target.find_all(nodes.Name)]
        names |= {n.name for n in targets if isinstance(n, nodes.Name)}
    return names


def problems(template: nodes.Template, allowed: set[str]) -> list[str]:
    found = []
    known = allowed | defined(template) | set(MACROS) | {"loop"}  # Jinja's loop.first, loop.last
    for node in template.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in known:
            found.append(f"line {node.lineno}: reads {node.name}")
    for node in template.find_all(nodes.Assign):
        if not _is_path(node.node):
            found.append(f"line {node.lineno}: sets a variable to something other than a part of the view")
    for node in template.find_all(COMPUTING):
        if isinstance(node, nodes.Tuple) and node.ctx == "store" or isinstance(node, nodes.Not):
            continue  # a loop's target; `if not v.flag`
        found.append(f"line {node.lineno}: computes ({type(node).__name__})")
    for node in template.find_all(nodes.Test):
        if node.name != "none":
            found.append(f"line {node.lineno}: tests `{node.name}`")
    for node in template.find_all(nodes.Call):
        if not (isinstance(node.node, nodes.Name) and node.node.name in MACROS):
            found.append(f"line {node.lineno}: calls something other than a shared macro")
    return found


def _is_path(node: nodes.Node) -> bool:
    while isinstance(node, nodes.Getattr):
        node = node.node
    return isinstance(node, nodes.Name)


@pytest.mark.parametrize("key", QUESTIONS.keys())
def test_the_solutions_template_prints_only_the_view_and_the_heading(key: str) -> None:
    assert problems(tree(f"{key}/solutions.tex.j2"), {"v", "heading"}) == []


@pytest.mark.parametrize("key", QUESTIONS.keys())
def test_the_sheet_template_prints_only_the_prompt_and_the_heading(key: str) -> None:
    assert problems(tree(f"{key}/sheet.tex.j2"), {"d", "heading"}) == []


# The document's templates besides the questions' and the macros, each with the names it may read.
DOCUMENT = {"head.tex.j2": {"v"}, "tail.tex.j2": {"v"}, "appendix.tex.j2": {"v"},
            "preamble.tex.j2": {"unicode_declarations"}, "references.tex.j2": set()}


@pytest.mark.parametrize(("name", "allowed"), DOCUMENT.items())
def test_the_document_templates_print_only_their_views(name: str, allowed: set[str]) -> None:
    assert problems(tree(name), allowed) == []


def test_every_template_is_checked() -> None:
    """A template at the top level is the macros or one of DOCUMENT; a question's two sit in a
    folder named by its key, and every folder of templates/ besides the sheet's and the HTML
    edition's is a registered question's (one registered from outside derive keeps its own)."""
    present = {path.name for path in template_dir().glob("*.tex.j2")}
    assert present == {"macros.tex.j2"} | set(DOCUMENT)
    folders = {path.name for path in template_dir().iterdir() if path.is_dir()} - {"sheet", "html"}
    assert folders <= {q.key for q in QUESTIONS}
    for q in QUESTIONS:
        names = environment().list_templates(filter_func=lambda name, key=q.key: name.startswith(f"{key}/"))
        assert set(names) == {q.solutions_template, q.sheet_template}


def test_the_check_sees_a_template_that_computes() -> None:
    planted = environment().parse(r"\VAR{v.x|fixed(2)} \VAR{answers.decoding} \BLOCK{if v.a == 'b'}x\BLOCK{endif}"
                                  r"\BLOCK{set w = v.width * 2}\BLOCK{set ids = {}}\VAR{v.costs[('ffn', 'lora')]}")
    found = problems(planted, {"v", "heading"})
    assert any("reads answers" in f for f in found)
    assert {"Filter", "Compare", "Mul", "Dict", "Getitem"} <= {f.split("(")[-1].rstrip(")") for f in found}
    assert sum("sets a variable" in f for f in found) == 2
    assert isinstance(planted, jinja2.nodes.Template)


def test_the_shared_macros_only_print_what_they_are_handed() -> None:
    """templates/macros.tex.j2: each macro prints its arguments, laid out in Python already
    (render.place_rows, layout.matrix_shown, the decoding view's tables and tree)."""
    template = tree("macros.tex.j2")
    params = {arg.name for macro in template.find_all(nodes.Macro) for arg in macro.args}
    assert params and problems(template, params) == []
