"""Notebook display (`_repr_html_`, `_repr_latex_`) of what derive.solve returns.

Mathematics goes through the document's own choke point (render.finalize: SymPy objects
through derive's printer, trusted LaTeX as it is); every other string is HTML-escaped.
Jupyter typesets the `\\(...\\)` and `$...$` math in HTML outputs with MathJax.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

from derive.answer import Check, Row
from derive.latex.render import finalize
from derive.version import __version__


def _math(row: Row) -> tuple[str, str]:
    lhs = finalize(row.lhs) if row.lhs is not None else ""
    return lhs, f"{finalize(row.rel)} {finalize(row.rhs)}"


def derivation_latex(rows: Iterable[Row]) -> str:
    lines = [f"{lhs} &{rhs}" for lhs, rhs in map(_math, rows)]
    return "$$\\begin{aligned}" + " \\\\\n".join(lines) + "\\end{aligned}$$"


def derivation_html(title: str, rows: Iterable[Row]) -> str:
    body = []
    for row in rows:
        lhs, rhs = _math(row)
        cells = [f"\\(\\displaystyle {lhs}\\)" if lhs else "", f"\\(\\displaystyle {rhs}\\)", html.escape(row.note)]
        body.append("<tr>" + "".join(f'<td style="text-align:left">{c}</td>' for c in cells) + "</tr>")
    return f"<h4>{html.escape(title)}</h4><table>{''.join(body)}</table>"


def checks_html(checks: Iterable[Any]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("Q", "what", "method", "max error", "tolerance", ""))
    rows = []
    for c in checks:
        if isinstance(c, Check):
            cells = [c.question, c.name, c.method, f"{c.max_error:.3g}", f"{c.tolerance:.3g}",
                     "pass" if c.passed else "FAIL"]
            rows.append("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>")
        else:
            rows.append(f"<tr><td>{html.escape(c.question)}</td><td>{html.escape(c.name)}</td>"
                        f'<td colspan="4">not run: {html.escape(c.reason)}</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def answers_html(answers: Mapping[str, Any]) -> str:
    parts = []
    for key, value in answers.items():
        if key in ("checks", "skipped_checks", "derive_version"):
            continue
        text = json.dumps(value, indent=2, ensure_ascii=False)
        parts.append(f"<details><summary><code>{html.escape(key)}</code></summary><pre>{html.escape(text)}</pre></details>")
    return "".join(parts)


def solution_html(answers: Mapping[str, Any], checks: list[Any], derivations: list[str]) -> str:
    ran = [c for c in checks if isinstance(c, Check)]
    summary = (f"<p><b>derive {html.escape(__version__)}</b>: {len(ran)} checks passed, "
               f"{len(checks) - len(ran)} not run. Derivations: "
               + ", ".join(f"<code>{html.escape(d)}</code>" for d in derivations) + "</p>")
    return summary + answers_html(answers) + f"<details><summary>checks</summary>{checks_html(checks)}</details>"
