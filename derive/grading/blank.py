"""`submission.toml`: the blank answer file of a key, one `""` per graded field, each with a
one-line comment saying the form expected; nothing of the answers but their forms.

An empty string is no answer (compare.grade_part), so the blank file grades as all missing;
filled in correctly, it grades full marks. The fields and their forms come from the key's
graded parts (derive/grading/key.py), as the grader reads them.
"""

from __future__ import annotations

from typing import Any

from derive.graded_parts import CHOICE, EXACT, NUMBER, O_FORM, TENSOR, WORDS, GradedPart
from derive.grading.conventions import DECIMAL_EXAMPLE, FRACTION_EXAMPLES, O_FORM_EXAMPLE
from derive.grading.key import parts
from derive.tomlwrite import toml_value

FRACTION, SUM = FRACTION_EXAMPLES
HEADER = f"""\
# Your answers, for `derive grade`. Replace each "" with your answer; leave "" where you do not
# answer. Numbers as numbers ({DECIMAL_EXAMPLE}) or as text ("{FRACTION}", "{SUM}"); expressions
# and O-forms as text with ^ for powers ("{O_FORM_EXAMPLE}"); log is the natural log.
# Full rules: docs/submissions.md.
"""

def _dims(shape: tuple[int, ...]) -> str:
    return " x ".join(map(str, shape))


def _symbols(part: GradedPart) -> str:
    names = [s.name for s in part.symbols]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def form(part: GradedPart) -> str:
    """What the field expects, in one line: its kind, and the shape, symbols, length or labels."""
    if part.kind == TENSOR:
        squeezed = tuple(n for n in part.shape if n != 1)
        dropped = f"a list of {squeezed[0]}" if len(squeezed) == 1 else f"{_dims(squeezed)}"
        drop = f", or {dropped} with the size-1 axes dropped" if squeezed != part.shape else ""
        return f"a {_dims(part.shape)} array of numbers (keepdims{drop})"
    if part.kind == NUMBER and part.entry:
        return f"a {_dims(part.shape)} array of numbers, a list per row of the matrix"
    if part.kind == NUMBER:
        return "a number"
    if part.kind == EXACT:
        return f"an exact expression in {_symbols(part)}, as text (not an O-form)"
    if part.kind == O_FORM:
        return f"an O-form in {_symbols(part)}, as text: \"O(...)\""
    if part.kind == WORDS:
        return f"the {len(part.expected)} words after <BOS>, as text separated by spaces"
    if part.kind == CHOICE:
        return " or ".join(f'"{option}"' for option in part.options)
    raise ValueError(f"no form for the kind {part.kind}")


def _header(table: tuple[str | int, ...]) -> str:
    """`[a.b]`, or `[[a.b]]` with a comment for an element of an array of tables (a beam)."""
    names = ".".join(toml_value(s) if not str(s).replace("_", "").isalnum() else str(s)
                     for s in table if not isinstance(s, int))
    if isinstance(table[-1], int):
        return f"[[{names}]]  # {table[-2]} {table[-1] + 1}; in any order"
    return f"[{names}]"


def blank(key: dict[str, Any]) -> str:
    """The blank submission of a key: every graded field once, grouped under its table."""
    tables: dict[tuple[str | int, ...], dict[str, str]] = {}
    for part in parts(key):
        tables.setdefault(part.field[:-1], {}).setdefault(str(part.field[-1]), form(part))
    out = [HEADER]
    for where, fields in tables.items():
        out.append(f"\n{_header(where)}\n")
        width = max(len(name) for name in fields)
        out += [f'{name} = ""{" " * (width - len(name))}  # {comment}\n' for name, comment in fields.items()]
    return "".join(out)
