"""Rendering: a Jinja environment with LaTeX-safe delimiters and one escaping choke point.

Every `\\VAR{...}` goes through `finalize`: trusted LaTeX (`Tex`) passes as it is, SymPy
objects go through derive's printer, plain strings are escaped, anything else is an error.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp

from derive.answer import Terms, Tex
from derive.latex.printer import decimal, decimal_matrix, tex
from derive.resources import packaged

# Characters pdflatex typesets with inputenc/T1 and lmodern: ASCII and Latin-1/Latin Extended-A.
_TYPESET = range(0x20, 0x17F + 1)
# LaTeX's special characters, and text glyphs for characters that T1 turns into accents or
# ligatures (`` -> a curly quote, << -> a guillemet, -- -> a dash), so that user text reads
# back from the PDF as it was written.
_GLYPHS = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "\\": r"\textbackslash{}", "-": r"{-}", "[": r"{[}", "]": r"{]}",
    "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "`": r"\textasciigrave{}", "'": r"\textquotesingle{}",
    "<": r"\textless{}", ">": r"\textgreater{}", '"': r"\textquotedbl{}", "|": r"\textbar{}",
}


def escape(text: str) -> Tex:
    """The one escaping choke point for text that did not come from derive itself."""
    out = []
    for ch in text:
        if ch in _GLYPHS:
            out.append(_GLYPHS[ch])
        elif ord(ch) in _TYPESET and ch != "\u00ad":
            out.append(ch)
        else:
            out.append(rf"\texttt{{<U+{ord(ch):04X}>}}")
    return Tex("".join(out))


def terms_tex(value: Terms) -> str:
    parts = [tex(t) for t in value.terms]
    if len(parts) > value.show:
        head = value.show - 2
        parts = [*parts[:head], r"\cdots", *parts[-2:]]
    body = ""
    for i, part in enumerate(parts):
        if i and part.startswith("-"):
            body += " - " + part[1:].lstrip()
        else:
            body += (" + " if i else "") + part
    if value.factor is not None:
        body = rf"{tex(value.factor)}\left({body}\right)"
    if value.minus is not None:
        body += " - " + tex(value.minus)
    return body


def finalize(value: Any) -> str:
    if isinstance(value, Tex):
        return str(value)
    if isinstance(value, str):
        return str(escape(value))
    if isinstance(value, bool):
        raise TypeError("a bare boolean reached the template; say what it means")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, Terms):
        return terms_tex(value)
    if isinstance(value, sp.Basic):
        return tex(value)
    raise TypeError(f"cannot put a {type(value).__name__} into LaTeX: {value!r}")


def template_dir() -> Path:
    """Templates ship inside the wheel as derive/templates; in a source tree they are ../templates."""
    return packaged("templates")


@functools.cache
def environment() -> jinja2.Environment:
    """One per process: Jinja compiles each template once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
    )
    env.filters["tex"] = lambda expr: Tex(tex(expr))
    env.filters["dec"] = lambda expr, digits=6: Tex(decimal(expr, digits))
    env.filters["esc"] = escape
    # Template macros return plain strings built from already-finalized pieces.
    env.filters["trusted"] = Tex
    env.filters["approx"] = lambda m, digits=4: Tex(decimal_matrix(m, digits))
    env.filters["sci"] = lambda x: Tex(_sci(x))
    env.filters["exp"] = sp.exp
    env.filters["fixed"] = lambda x, digits=2: Tex(f"{float(x):.{digits}f}")
    return env


def _sci(x: float) -> str:
    if x == 0:
        return "0"
    if x != x or x in (float("inf"), float("-inf")):
        return r"\text{" + str(x) + "}"
    mant, exp = f"{x:.1e}".split("e")
    return rf"{mant}\times 10^{{{int(exp)}}}"


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
