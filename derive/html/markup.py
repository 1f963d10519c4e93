"""HTML's one escaping choke point, as derive.answer.Tex and derive.latex.render.finalize are LaTeX's.

`Markup` is HTML derive wrote itself; every other str is escaped by `finalize` before it reaches
the page. MathML comes from latex2mathml, given derive's own LaTeX: a SymPy object as derive's
printer prints it, or math-mode Tex a view holds (docs/html.md says why not SymPy's MathML printer).
"""

from __future__ import annotations

import html
import re
from typing import Any

import sympy as sp
from latex2mathml.converter import convert

from derive.answer import Tex, Trusted
from derive.latex.escaping import _GLYPHS
from derive.latex.escaping import escape as latex_escape
from derive.latex.printer import tex


class Markup(Trusted):
    """Trusted HTML written by derive; Markup + str is refused (escape the str first)."""

    __slots__ = ()
    LANGUAGE = "HTML"


def escape(text: str) -> Markup:
    return text if isinstance(text, Markup) else Markup(html.escape(text, quote=True))


def math(value: Any, block: bool = False) -> Markup:
    """A formula as MathML. SymPy objects are printed by derive's LaTeX printer first, so that
    both editions share one notation (its symbols, series, Jacobians, decimals), then converted."""
    if isinstance(value, sp.Basic):
        return tex_math(Tex(tex(value)), block)
    if isinstance(value, Tex):
        return tex_math(value, block)
    return tex_math(Tex(latex_escape(str(value))), block)


# Text-mode LaTeX as the text it prints: the inverse of derive.latex.escaping (user text), and
# the few text commands and typographic ligatures derive's own Tex uses. Read in one pass, so an
# escaped brace or backslash is never read twice; bare braces are derive's grouping.
_UNESCAPED = {glyph: char for char, glyph in _GLYPHS.items()} | {",{}": ","}
_TEXT = _UNESCAPED | {
    r"\allowbreak{}": "", "``": "\u201c", "''": "\u201d", "--": "\u2013", "~": "\u00a0",
    r"\qquad": "\u2003\u2003", r"\quad": "\u2003", r"\,": "\u2009",
    r"\texttt{": "", r"\textbf{": "", r"\emph{": "", r"\text{": "", r"\mathrm{": "", "{": "", "}": "",
}
_TEXT_TOKEN = re.compile("|".join(re.escape(t) for t in sorted(_TEXT, key=len, reverse=True)))


def tex_plain(value: Tex) -> str:
    """Text-mode Tex (a word, a label, a sentence derive wrote) as the plain text it prints."""
    return _TEXT_TOKEN.sub(lambda m: _TEXT[m.group()], str(value))


def tex_text(value: Tex) -> Markup:
    """Text-mode Tex as escaped text."""
    return escape(tex_plain(value))


def braced(source: str, start: int) -> int:
    """Where the brace group opening at source[start] closes (escaped braces are text)."""
    depth, i = 0, start
    while i < len(source):
        if source[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        if depth == 0:
            return i
        i += 1
    raise ValueError(f"unbalanced braces in {source[start:start + 40]!r}")


# latex2mathml copies the argument of these commands into <mtext> as it is, unescaped.
_MATH_TEXT = re.compile(r"\\(?:text|texttt|textrm|mbox)\{")


def _math_text_escaped(text: str) -> str:
    """Each text argument inside a formula read back to the text it prints, then HTML-escaped."""
    out, i = [], 0
    for m in _MATH_TEXT.finditer(text):
        if m.start() < i:
            continue
        end = braced(text, m.end() - 1)
        out += [text[i:m.end()], html.escape(tex_plain(Tex(text[m.end():end])), quote=False), "}"]
        i = end + 1
    return "".join(out) + text[i:]


# Operators latex2mathml does not know, as ones it does (\operatorname{a b} prints as "ab").
_OPERATORS = {r"\operatorname*{": r"\operatorname{", r"\arg\max": r"\operatorname{argmax}"}


def tex_math(value: Tex, block: bool = False) -> Markup:
    """Math-mode Tex as MathML; the text inside a formula is escaped here, since latex2mathml
    does not escape it (it escapes the rest)."""
    text = re.sub(r"\\(?:,|;|!|quad|qquad)", " ", _math_text_escaped(str(value))).replace(r"\tfrac", r"\frac")
    for latex, known in _OPERATORS.items():
        text = text.replace(latex, known)
    return Markup(convert(text, display="block" if block else "inline"))


def finalize(value: Any) -> str:
    """What every `{{ ... }}` of an HTML template prints."""
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, Tex):
        return str(tex_text(value))
    if isinstance(value, str):
        return str(escape(value))
    if isinstance(value, bool):
        raise TypeError("a bare boolean reached the template; say what it means")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError(f"a bare float reached the template ({value!r}); format it in the view")
    if isinstance(value, sp.Basic):
        return str(math(value))
    raise TypeError(f"cannot put a {type(value).__name__} into HTML: {value!r}")
