"""`derive grade --feedback DIR`: a feedback sheet per student, DIR/<id>.pdf and DIR/<id>.md.

Each sheet lists the misconceptions named first, then every graded part with its points, verdict
and reason (and its misconception), and the sub-question of the solutions to read; then the
sub-questions the tool does not grade (prose, figures). The PDF is a PyLaTeX document
(derive/grading/documents.py); the Markdown says the same in plain text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pylatex import LongTable, NoEscape, Section

from derive.errors import UsageError
from derive.graded_parts import format_points
from derive.grading import documents
from derive.grading.compare import Result
from derive.grading.key import ungraded
from derive.grading.misconceptions import Named, named
from derive.grading.submission import Report
from derive.latex.escaping import json_key
from derive.outputs import check_out_dir, commit

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def md(value: str) -> str:
    """Text for Markdown: every punctuation Markdown reads backslash-escaped, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _points(r: Result) -> str:
    return f"{format_points(r.points)} / {format_points(r.part.points)}"


def _entries(n: Named) -> str:
    return f" ({n.parts} entries)" if n.parts > 1 else ""


def _ungraded_lines(report: Report) -> list[str]:
    return [f"{question} ({total} points): answered in prose or with a figure; not graded by the tool"
            for question, total in ungraded([r.part for r in report.results])]


def markdown(student: str, report: Report) -> str:
    lines = [f"# Feedback for {md(student)}", "",
             f"Submission {md(report.source)}: {format_points(report.total)} / {format_points(report.maximum)} "
             "points graded by the tool.", ""]
    lines += ["## Mistakes named", ""]
    lines += [f"- {md(n.field)}{_entries(n)} (read {n.question}): {md(n.misconception.sentence)}"
              for n in named(report.results)] or ["None recognized."]
    lines.append("")
    lines += ["## Every graded part", "", "| part | points | verdict | reason | read |", "|---|---|---|---|---|"]
    for r in report.results:
        why = md(r.reason) + (f" **Misconception:** {md(r.misconception.sentence)}" if r.misconception else "")
        lines.append(f"| {md(r.part.path)} | {_points(r)} | {r.verdict} | {why} | {r.part.question} |")
    lines += ["", "## Not graded by the tool", ""]
    lines += [f"- {line}" for line in _ungraded_lines(report)] or ["- none"]
    lines += [*(f"- note: {md(n)}" for n in report.notes)]
    return "\n".join(lines) + "\n"


def sheet(student: str, report: Report) -> bytes:
    doc = documents.document(f"Feedback for {student}")
    doc.append(NoEscape(rf"Submission {documents.text(report.source)}: \textbf{{{format_points(report.total)} / "
                        rf"{format_points(report.maximum)}}} points graded by the tool. "
                        r"\emph{Read} names the sub-question of the solutions that works the part out.\par"))
    mistakes = named(report.results)
    with doc.create(Section("Mistakes named", numbering=False)):
        if not mistakes:
            doc.append("None recognized.")
        for n in mistakes:
            doc.append(NoEscape(rf"\noindent{json_key(n.field)}{_entries(n)} (read {documents.text(n.question)}): "
                                rf"{documents.text(n.misconception.sentence)}\par\smallskip"))
    with doc.create(Section("Every graded part", numbering=False)):
        doc.append(NoEscape(r"\small"))
        spec = NoEscape(r">{\raggedright}p{4.1cm} r l >{\raggedright\arraybackslash}p{7.4cm} l")
        with doc.create(LongTable(spec, booktabs=True)) as table:
            table.add_row([NoEscape(r"\textbf{part}"), NoEscape(r"\textbf{points}"), NoEscape(r"\textbf{verdict}"),
                           NoEscape(r"\textbf{reason}"), NoEscape(r"\textbf{read}")])
            table.add_hline()
            table.end_table_header()
            for r in report.results:
                why = documents.text(r.reason)
                if r.misconception is not None:
                    why = NoEscape(why + r" \textbf{Misconception:} " + documents.text(r.misconception.sentence))
                table.add_row([NoEscape(json_key(r.part.path)), _points(r), r.verdict, why,
                               documents.text(r.part.question)])
    with doc.create(Section("Not graded by the tool", numbering=False)):
        lines = _ungraded_lines(report) + [f"note: {n}" for n in report.notes]
        doc.append(NoEscape(r"\begin{itemize}" + "".join(r"\item " + documents.text(line) for line in lines)
                            + r"\end{itemize}" if lines else "None."))
    return documents.pdf(doc, "feedback.tex")


def write(folder: Path, sheets: Sequence[tuple[str, Report]]) -> list[Path]:
    """Every sheet, <name>.pdf and <name>.md, written in one transaction (derive/outputs.py)."""
    try:
        check_out_dir(folder)
    except UsageError as exc:
        raise UsageError(str(exc).replace("--out", "--feedback", 1)) from None
    outputs: dict[str, bytes] = {}
    for name, report in sheets:
        outputs[f"{name}.md"] = markdown(name, report).encode("utf-8")
        outputs[f"{name}.pdf"] = sheet(name, report)
    try:
        return list(commit(folder, outputs, []).values())
    except UsageError as exc:
        raise UsageError(str(exc).replace("--out", "--feedback", 1)) from None
