"""The keys of the document's table, each declared once (derive/declare.py): config.py reads
with them and derive/schema_gen.py writes the JSON Schema and docs/config.md's key table from
them. Each question declares its own tables in its package (derive/questions/<key>/settings.py)."""

from __future__ import annotations

from derive.declare import Shaped, Table

TEXT_MAX_CHARS = 200  # a title or name: one line of at most this many characters
FONTS = "of the characters the fonts show (below)"


def _text(name: str, doc: str, required: bool) -> Shaped:
    pattern = r"^[^\n]*\S[^\n]*$" if required else r"^[^\n]*$"
    words = f"one line, at most {TEXT_MAX_CHARS} characters, {FONTS}" + ("" if required else "; optional")
    return Shaped(name, doc, {"type": "string", **({"minLength": 1} if required else {}),
                              "maxLength": TEXT_MAX_CHARS, "pattern": pattern}, words)


DOCUMENT = Table.of(
    "document", "",
    _text("title", "the title of the PDF (escaped)", required=True),
    _text("variant_id", "a variant's id (a roster's student id), printed at the top of every page of the question "
          "sheet (escaped; `derive variants` writes it)", required=False),
    _text("student_name", "the student's name, printed on the question sheet's name line (escaped; "
          "`derive variants` writes it)", required=False),
)
