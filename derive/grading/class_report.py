"""`derive grade --variants DIR --submissions DIR --report OUT`: the class report, OUT/report.pdf
and OUT/stats.csv.

stats.csv has one row per graded part (part, submissions, correct, partial, wrong, unparseable,
missing, mean_points, max_points: over the students whose submission was graded; `missing` counts
those who left the part out), then one row per answer field and misconception named in it
(part, misconception, count: how many students). report.pdf shows the distribution of totals (a
histogram), each sub-question's mean score and share of correct answers (a bar chart), the
misconceptions with their counts, the table of parts, the missing submissions and the parts
nobody answered; a PyLaTeX document (derive/grading/documents.py).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from pylatex import LongTable, NoEscape, Plot, Section, TikZ

from derive.csvout import Writer
from derive.errors import UsageError
from derive.graded_parts import format_points
from derive.grading import documents
from derive.grading.batch import Batch
from derive.grading.compare import CORRECT, MISSING, PARTIAL, UNPARSEABLE, WRONG, Diagnosis
from derive.grading.misconceptions import named
from derive.latex.escaping import json_key
from derive.outputs import check_out_dir, commit

VERDICTS = (CORRECT, PARTIAL, WRONG, UNPARSEABLE, MISSING)
COLUMNS = ("part", "submissions", *VERDICTS, "mean_points", "max_points", "misconception", "count")
BINS = 10  # the histogram's bars over 0..the maximum total


@dataclass
class PartStats:
    part: str
    question: str
    max_points: Fraction
    verdicts: Counter[str] = field(default_factory=Counter)
    points: Fraction = Fraction(0)

    @property
    def submissions(self) -> int:
        return sum(self.verdicts.values())

    @property
    def mean(self) -> Fraction:
        return self.points / self.submissions if self.submissions else Fraction(0)


@dataclass(frozen=True)
class MisconceptionCount:
    field: str
    question: str
    misconception: Diagnosis
    students: frozenset[str]  # the ids it was named for


@dataclass(frozen=True)
class ClassStats:
    parts: tuple[PartStats, ...]
    misconceptions: tuple[MisconceptionCount, ...]
    totals: tuple[Fraction, ...]
    maximum: Fraction
    missing: tuple[str, ...]  # ids without a submission
    invalid: tuple[str, ...]  # ids whose submission could not be graded
    students: int

    @property
    def unanswered(self) -> list[str]:
        """Parts nobody whose submission was graded answered."""
        return [p.part for p in self.parts if p.submissions and p.verdicts[MISSING] == p.submissions]


def statistics(batch: Batch) -> ClassStats:
    parts: dict[str, PartStats] = {}
    counts: dict[tuple[str, str], MisconceptionCount] = {}
    for student, report in batch.graded:
        for r in report.results:
            stats = parts.setdefault(r.part.path, PartStats(r.part.path, r.part.question, r.part.points))
            stats.verdicts[r.verdict] += 1
            stats.points += r.points
        for n in named(report.results):
            k = (n.field, n.misconception.id)
            seen = counts.get(k)
            counts[k] = MisconceptionCount(n.field, n.question, n.misconception,
                                           (seen.students if seen else frozenset()) | {student})
    totals = tuple(report.total for _, report in batch.graded)
    maximum = max((report.maximum for _, report in batch.graded), default=Fraction(0))
    rows = list(batch.rows())
    return ClassStats(tuple(parts.values()), tuple(counts.values()), totals, maximum,
                      tuple(i for i, status, _ in rows if status == "missing"),
                      tuple(i for i, status, _ in rows if status.startswith("invalid")), len(rows))


def stats_csv(stats: ClassStats) -> str:
    out = io.StringIO()
    writer = Writer(out)  # formula-like cells neutralized (derive/csvout.py)
    writer.row(COLUMNS)
    for p in stats.parts:
        writer.row([p.part, p.submissions, *(p.verdicts[v] for v in VERDICTS), format_points(p.mean),
                         format_points(p.max_points), "", ""])
    for m in stats.misconceptions:
        writer.row([m.field, *[""] * (len(COLUMNS) - 3), m.misconception.id, len(m.students)])
    return out.getvalue()


def _histogram(stats: ClassStats) -> TikZ:
    top = float(stats.maximum) or 1.0
    width = top / BINS
    bins = [0] * BINS
    for total in stats.totals:
        bins[min(int(float(total) / width), BINS - 1)] += 1
    picture = TikZ()
    axis = documents.Chart(options=documents.options(
        "ybar interval", "width=15cm", "height=5.5cm", "ymin=0", f"xmin=0, xmax={top:g}",
        f"ymax={max(bins) + 1}", "xlabel={total points}", "ylabel={students}", "xtick=data",
        r"xticklabel={\pgfmathprintnumber[fixed,precision=1]{\tick}}", "x tick label style={font=\\small}",
        "fill=black!25"))
    coordinates = [(round(k * width, 6), n) for k, n in enumerate(bins)] + [(top, 0)]
    axis.append(Plot(coordinates=coordinates, options=documents.options("fill=black!25", "draw=black")))
    picture.append(axis)
    return picture


def _by_question(stats: ClassStats) -> list[tuple[str, float, float]]:
    """(sub-question, mean score as % of its points, % of its answers correct), in the assignment's order."""
    out: dict[str, list[PartStats]] = {}
    for p in stats.parts:
        out.setdefault(p.question, []).append(p)
    rows = []
    for question, ps in out.items():
        answers = sum(p.submissions for p in ps)
        worth = sum(p.max_points * p.submissions for p in ps)
        scored = sum(p.points for p in ps)
        rows.append((question, float(100 * scored / worth) if worth else 0.0,
                     100 * sum(p.verdicts[CORRECT] for p in ps) / answers if answers else 0.0))
    return rows


def _bars(stats: ClassStats) -> TikZ:
    rows = _by_question(stats)
    labels = ",".join("{" + documents.text(q) + "}" for q, _, _ in rows)
    picture = TikZ()
    axis = documents.Chart(options=documents.options(
        "xbar", "width=12cm", f"height={1.0 + 0.75 * len(rows):.2f}cm", "xmin=0, xmax=100", "enlarge y limits=0.12",
        f"ytick={{0,...,{len(rows) - 1}}}", f"yticklabels={{{labels}}}", "y dir=reverse", "bar width=5pt",
        "xlabel={\\% of the points, \\% of the answers}", "legend style={at={(1.02,1)}, anchor=north west}",
        "nodes near coords", "nodes near coords style={font=\\tiny}", "every node near coord/.append style="
        "{/pgf/number format/fixed, /pgf/number format/precision=0}"))
    for name, values in (("mean score", [score for _, score, _ in rows]), ("correct", [right for _, _, right in rows])):
        axis.append(Plot(name=name, coordinates=[(round(v, 1), i) for i, v in enumerate(values)],
                         options=documents.options("fill=black!55" if name == "mean score" else "fill=black!15",
                                                   "draw=black")))
    picture.append(axis)
    return picture


def by_misconception(stats: ClassStats) -> list[tuple[Diagnosis, str, int, list[str]]]:
    """(misconception, sub-question, students it was named for, answer fields), most students first."""
    groups: dict[str, tuple[Diagnosis, str, set[str], list[str]]] = {}
    for m in stats.misconceptions:
        diagnosis, question, students, fields = groups.setdefault(m.misconception.id, (m.misconception, m.question,
                                                                                        set(), []))
        students.update(m.students)
        fields.append(m.field)
    rows = [(d, q, len(students), fields) for d, q, students, fields in groups.values()]
    return sorted(rows, key=lambda row: -row[2])


def _list(items: Sequence[str], none: str) -> NoEscape:
    if not items:
        return NoEscape(none)
    return NoEscape(", ".join(documents.breakable(i) for i in items) + ".")


def report_pdf(stats: ClassStats) -> bytes:
    doc = documents.document("Class report")
    graded = len(stats.totals)
    mean = sum(stats.totals, Fraction(0)) / graded if graded else Fraction(0)
    doc.append(NoEscape(
        rf"{stats.students} students in the key: {graded} graded, {len(stats.missing)} without a submission, "
        rf"{len(stats.invalid)} not graded (an unreadable submission). Mean total {format_points(mean)} of "
        rf"{format_points(stats.maximum)} points graded by the tool; prose and figures are graded by hand.\par"))
    with doc.create(Section("Missing", numbering=False)):
        doc.append(NoEscape(r"\textbf{Without a submission:} "))
        doc.append(_list(stats.missing, "none."))
        doc.append(NoEscape(r"\par\textbf{Not graded:} "))
        doc.append(_list(stats.invalid, "none."))
        doc.append(NoEscape(r"\par\textbf{Parts nobody answered:} "))
        doc.append(_list(stats.unanswered, "none."))
    with doc.create(Section("Distribution of totals", numbering=False)):
        doc.append(NoEscape(r"\begin{center}"))
        doc.append(_histogram(stats))
        doc.append(NoEscape(r"\end{center}"))
    with doc.create(Section("Each sub-question", numbering=False)):
        doc.append("Mean score as a share of the sub-question's points, and share of its answers that are correct.")
        doc.append(NoEscape(r"\par\begin{center}"))
        doc.append(_bars(stats))
        doc.append(NoEscape(r"\end{center}"))
    with doc.create(Section("Misconceptions named", numbering=False)):
        if not stats.misconceptions:
            doc.append("None were named.")
        else:
            doc.append("Each misconception, the students it was named for and the answers it was named in.")
            doc.append(NoEscape(r"\par\small"))
            with doc.create(LongTable(NoEscape(r">{\raggedright}p{8.6cm} l r >{\raggedright\arraybackslash}p{4.4cm}"),
                                      booktabs=True)) as table:
                table.add_row([NoEscape(r"\textbf{misconception}"), NoEscape(r"\textbf{read}"),
                               NoEscape(r"\textbf{students}"), NoEscape(r"\textbf{answers}")])
                table.add_hline()
                table.end_table_header()
                for m, question, students, fields in by_misconception(stats):
                    table.add_row([NoEscape(rf"\texttt{{{documents.text(m.id)}}}: " + documents.text(m.sentence)),
                                   documents.text(question), students,
                                   NoEscape(", ".join(json_key(f) for f in fields))])
                    table.append(NoEscape(r"\addlinespace[3pt]"))
    with doc.create(Section("Every graded part", numbering=False)):
        doc.append(NoEscape(r"\small"))
        with doc.create(LongTable(NoEscape(r">{\raggedright\arraybackslash}p{5.6cm} r r r r r r r"),
                                  booktabs=True)) as table:
            table.add_row([NoEscape(rf"\textbf{{{h}}}") for h in ("part", "correct", "partial", "wrong",
                                                                  "unparseable", "missing", "mean", "max")])
            table.add_hline()
            table.end_table_header()
            for p in stats.parts:
                table.add_row([NoEscape(json_key(p.part)), *(p.verdicts[v] for v in VERDICTS), format_points(p.mean),
                               format_points(p.max_points)])
    return documents.pdf(doc, "report.tex")


def write(folder: Path, batch: Batch) -> list[Path]:
    """report.pdf and stats.csv, in one transaction (derive/outputs.py)."""
    try:
        check_out_dir(folder)
        stats = statistics(batch)
        outputs = {"stats.csv": stats_csv(stats).encode("utf-8"), "report.pdf": report_pdf(stats)}
        return list(commit(folder, outputs, []).values())
    except UsageError as exc:
        raise UsageError(str(exc).replace("--out", "--report", 1)) from None

