"""The questions' prose in HTML: the LaTeX the PDF's templates render, read into HTML.

The prose (statements, conventions, the reasoning between the steps, the question sheet) lives
in the LaTeX templates, so both editions render the same templates with the same views. The
HTML edition renders them with its own `blocks` in place of the macros that draw (derivations,
the decoding tree, step tables): each becomes a placeholder `\\htmlblock{N}` that this reader
replaces with HTML made from the same view data. Everything else is read here: paragraphs,
headings, lists, tables, verbatim, inline and display mathematics (through `tex_math`, MathML),
and the few text commands derive's templates use. User text arrives LaTeX-escaped (the LaTeX
choke point) and leaves through `tex_text` (read back, then HTML-escaped): no second way in.
A LaTeX command this reader does not know is an error, not text.
"""

from __future__ import annotations

import re

from derive.answer import Tex
from derive.html.markup import _TEXT, Markup, braced, escape, tex_math


class Blocks:
    """HTML made from view data, put in the prose where a template calls a drawing macro."""

    def __init__(self) -> None:
        self.made: list[Markup] = []

    def put(self, html: Markup) -> Tex:
        self.made.append(html)
        return Tex(rf"\htmlblock{{{len(self.made) - 1}}}")


# Text-mode LaTeX beyond what markup.tex_plain reads (user text and derive's words): the spacing
# and layout commands the prose templates use, which print nothing or a character.
_PROSE_TEXT = _TEXT | {
    r"\S": "\u00a7", r"\dots{}": "\u2026", r"\dots": "\u2026", r"\ ": " ", r"\noindent": "", r"\par": "",
    r"\small": "", r"\footnotesize": "", r"\smallskip": "", r"\bigskip": "", r"\hfill": " ", r"\null": "",
    r"\textasciicircum": "^", "\\\n": " ",
}
_PROSE_TOKEN = re.compile("|".join(re.escape(t) for t in sorted(_PROSE_TEXT, key=len, reverse=True)))


def _text(source: str) -> Markup:
    unread = _PROSE_TOKEN.sub("", source)  # what no token reads (a user's backslash is \textbackslash{})
    command = unread.find("\\")
    if command >= 0:
        raise ValueError(f"a LaTeX command the HTML reader does not know: {unread[command:][:40]!r}")
    return escape(re.sub(r"\s+", " ", _PROSE_TOKEN.sub(lambda m: _PROSE_TEXT[m.group()], source)))


def _math(source: str, block: bool = False) -> Markup:
    return tex_math(Tex(source.replace(r"\answerbox{", r"\boxed{")), block)


_WRAP = {"texttt": "code", "textbf": "strong", "emph": "em"}
_INLINE = re.compile(r"(?<!\\)\$|\\(texttt|textbf|emph|textcolor|cite|ref|label|answertext|hspace\*?)\{"
                     r"|\\\\(?:\[[^\]]*\])?")


class Reader:
    """One document's prose: its placeholder blocks, its figures, and the labels it refers to."""

    def __init__(self, name: str, blocks: Blocks | None = None, figure: Markup | None = None,
                 cited: dict[str, int] | None = None) -> None:
        self.name = name  # what the page calls this document: its regions are named after it
        self.blocks = blocks or Blocks()
        self.figure = figure  # the question's figure, put where its first tikzpicture is
        self.cited = cited or {}  # a reference's key -> its number in the references
        self.labels: dict[str, int] = {}  # a figure's label -> its number
        self.regions = 0

    def region(self, kind: str, html: Markup | str, cls: str = "scroll") -> Markup:
        """A box that scrolls sideways, focusable and named (kind, number, document)."""
        self.regions += 1
        return Markup(f'<div class="{cls}" tabindex="0" role="region" '
                      f'aria-label="{escape(f"{kind} {self.regions} of {self.name}")}">{html}</div>')

    def inline(self, source: str) -> Markup:
        """Running text: text, $...$ formulas, line breaks and the text commands of _INLINE."""
        out: list[str] = []
        i = 0
        for m in _INLINE.finditer(source):
            if m.start() < i:
                continue
            out.append(str(_text(source[i:m.start()])))
            if m.group() == "$":
                end = source.index("$", m.end())
                while source[end - 1] == "\\":
                    end = source.index("$", end + 1)
                out.append(str(_math(source[m.end():end])))
                i = end + 1
            elif m.group().startswith("\\\\"):
                out.append("<br>")
                i = m.end()
            else:
                end = braced(source, m.end() - 1)
                arg = source[m.end():end]
                i = end + 1
                if m.group(1) == "textcolor":  # \textcolor{name}{text}: the text is the second argument
                    end = braced(source, i)
                    arg, i = source[i + 1:end], end + 1
                out.append(str(self._command(m.group(1), arg)))
        out.append(str(_text(source[i:])))
        return Markup("".join(out))

    def _command(self, name: str, arg: str) -> Markup:
        if name in _WRAP:
            return Markup(f"<{_WRAP[name]}>{self.inline(arg)}</{_WRAP[name]}>")
        if name == "cite":
            keys = [k.strip() for k in arg.split(",")]
            return Markup("[" + ", ".join(f'<a href="#ref-{escape(k)}">{self.cited[k]}</a>' if k in self.cited
                                          else str(escape(k)) for k in keys) + "]")
        if name == "label":
            return Markup("")
        if name == "ref":
            return escape(str(self.labels.get(arg, "")))
        if name == "answertext":
            return Markup(f'<span class="boxed">{self.inline(arg)}</span>')
        if name.startswith("hspace"):
            return Markup("\u2003" * max(1, round(float(re.sub(r"[a-z]+", "", arg) or 1))))
        return self.inline(arg)  # textcolor

    def paragraphs(self, source: str) -> Markup:
        """Block-level LaTeX as HTML: paragraphs and the environments derive's templates use."""
        source = re.sub(r"(?m)^%.*\n", "", source)
        for key in re.findall(r"\\label\{([^}]*)\}", source):  # \ref may come before its figure
            self.labels.setdefault(key, len(self.labels) + 1)
        source = re.sub(r"\\renewcommand\{\\arraystretch\}\{[\d.]+\}", "", source)
        out: list[str] = []
        para: list[str] = []

        def flush() -> None:
            text = "".join(para).strip()
            para.clear()
            if text:
                body = str(self.inline(text)).strip()
                if body:
                    out.append(f"<p>{body}</p>")

        i = 0
        for m in _BLOCK.finditer(source):
            if m.start() < i:
                continue
            para.append(source[i:m.start()])
            token, i = m.group(), m.end()
            if token.startswith("\\begin"):
                env = m.group("env")
                end = _end(source, env, i)
                body, i = source[i:end], end + len(f"\\end{{{env}}}")
                flush()
                out.append(str(self._environment(env, body)))
            elif token.startswith(("\\section", "\\subsection", "\\paragraph", "\\caption")):
                end = braced(source, i - 1)
                arg, i = source[i:end], end + 1
                if token.startswith("\\paragraph"):
                    flush()
                    para.append(rf"\textbf{{{arg}}} ")
                    continue
                flush()
                if token.startswith("\\subsection"):
                    out.append(f"<h3>{self.inline(arg)}</h3>")
                elif token.startswith("\\caption"):
                    out.append(f'<p class="caption">{self.inline(arg)}</p>')
            elif token == "\\[":
                end = source.index("\\]", i)
                body, i = source[i:end], end + 2
                flush()
                out.append(str(self.display(body)))
            elif token.startswith("\\htmlblock"):
                flush()
                out.append(str(self.blocks.made[int(m.group("block"))]))
            else:  # a blank line
                flush()
        para.append(source[i:])
        flush()
        return Markup("\n".join(out))

    def display(self, body: str) -> Markup:
        cls = "scroll boxed" if r"\answerbox" in body else "scroll"
        body = re.sub(r"\\tag\{([^}]*)\}", r"\\qquad (\1)", body)
        return self.region("Formula", _math(body.strip(), block=True), cls)

    def _environment(self, env: str, body: str) -> Markup:
        if env == "question":
            end = braced(body, 0)
            statement = self.paragraphs(rf"\textbf{{{body[1:end]}}} " + body[end + 1:])
            return Markup(f'<div class="statement">{statement}</div>')
        if env in ("center", "figure"):
            if env == "figure":  # its caption numbered as the PDF numbers it
                number = next((self.labels[k] for k in re.findall(r"\\label\{([^}]*)\}", body)), None)
                body = body.replace("\\caption{", f"\\caption{{Figure {number}: ") if number else body
            return self.paragraphs(re.sub(r"^\[[^\]]*\]", "", body))
        if env == "minipage":
            return Markup(f'<div class="algorithm">{self.paragraphs(body[braced(body, 0) + 1:])}</div>')
        if env == "enumerate":
            items = [self.paragraphs(item) for item in _items(body)]
            return Markup('<ul class="parts">' + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
        if env in ("tabular", "longtable"):
            return self.table(body[braced(body, 0) + 1:])
        if env in ("align*", "gather*"):
            return self.display(rf"\begin{{{env}}}{body}\end{{{env}}}")
        if env == "verbatim":
            return Markup(f"<pre>{escape(body.strip(chr(10)))}</pre>")
        if env == "tikzpicture":
            figure, self.figure = self.figure, None
            return Markup(f"<figure>{self.region('Figure', figure)}</figure>") if figure else Markup("")
        if env == "thebibliography":
            listed = []
            for item in _split(body[braced(body, 0) + 1:], "\\bibitem")[1:]:  # each \bibitem{key} text
                key, text = item.strip()[1:].split("}", 1)
                listed.append(f'<li id="ref-{escape(key)}">{self.inline(text.strip())}</li>')
            return Markup('<ol class="references">' + "".join(listed) + "</ol>")
        raise ValueError(f"a LaTeX environment the HTML reader does not know: {env}")

    def table(self, body: str) -> Markup:
        """A tabular: the rows above \\midrule are its head; \\multicolumn spans columns."""
        body = re.sub(r"\\(toprule|bottomrule|endhead)", "", body)
        head, _, rest = body.partition("\\midrule") if "\\midrule" in body else ("", "", body)
        rows = []
        for part, cell_tag in ((head, "th"), (rest.replace("\\midrule", ""), "td")):
            for row in _split(part, "\\\\"):
                if not row.strip():
                    continue
                cells = []
                for cell in _split(row, "&"):
                    span = re.match(r"\s*\\multicolumn\{(\d+)\}\{[^}]*\}\{", cell)
                    if span:
                        cell = cell[span.end():braced(cell, span.end() - 1)]
                    colspan = f' colspan="{span[1]}"' if span else ""
                    tag = cell_tag if cell.strip() else "td"  # a header names its column, or is no header
                    scope = ' scope="col"' if tag == "th" else ""
                    cells.append(f"<{tag}{scope}{colspan}>{self.inline(cell.strip())}</{tag}>")
                rows.append("<tr>" + "".join(cells) + "</tr>")
        return self.region("Table", Markup("<table>" + "".join(rows) + "</table>"))


_BLOCK = re.compile(r"\\begin\{(?P<env>[a-z]+\*?)\}|\\(?:sub)?section\*?\{|\\paragraph\{|\\caption\{|(?<!\\)\\\["
                    r"|\\htmlblock\{(?P<block>\d+)\}|\n[ \t]*\n")


def _end(source: str, env: str, start: int) -> int:
    """Where the \\end of an environment begun before `start` is, past nested ones of its kind."""
    begin, end, depth, i = f"\\begin{{{env}}}", f"\\end{{{env}}}", 1, start
    while True:
        j, k = source.find(begin, i), source.find(end, i)
        if k < 0:
            raise ValueError(f"\\begin{{{env}}} without its \\end")
        if 0 <= j < k:
            depth, i = depth + 1, j + len(begin)
            continue
        depth -= 1
        if depth == 0:
            return k
        i = k + len(end)


def _split(source: str, separator: str) -> list[str]:
    """`source` split at `separator` outside braces, $...$ and nested environments."""
    parts, depth, math, last, i = [], 0, False, 0, 0
    while i < len(source):
        if source[i] == "\\" and not source.startswith(separator, i):
            if source.startswith("\\begin{", i):
                depth += 1
            elif source.startswith("\\end{", i):
                depth -= 1
            i += 2
            continue
        if source[i] == "$":
            math = not math
        elif source[i] == "{":
            depth += 1
        elif source[i] == "}":
            depth -= 1
        elif depth == 0 and not math and source.startswith(separator, i):
            parts.append(source[last:i])
            i += len(separator)
            last = i
            continue
        i += 1
    parts.append(source[last:])
    return parts


def _items(body: str) -> list[str]:
    r"""An enumerate's items, each `\item[label] text` as `\textbf{label} text`."""
    pieces = _split(body, "\\item[")[1:]
    items = []
    for piece in pieces:
        end = piece.index("]")
        while piece[:end].count("{") != piece[:end].count("}"):  # a label holding brackets in braces
            end = piece.index("]", end + 1)
        items.append(rf"\textbf{{{piece[:end]}}} {piece[end + 1:]}")
    return items


def cited(references: str) -> dict[str, int]:
    """Each reference's key -> its number, in the order of the references' LaTeX."""
    return {key: n for n, key in enumerate(re.findall(r"\\bibitem\{([^}]*)\}", references), 1)}
