"""The characters the document's fonts can show, and the preamble lines that make Greek work.

pdflatex reads the source as UTF-8 (inputenc) and typesets with T1/TS1-encoded Latin Modern.
A character typesets as itself when inputenc maps it to a glyph or an accent construction of
these fonts: the ranges below are the code points that LaTeX's own mapping files (t1enc.dfu,
ts1enc.dfu, ot1enc.dfu, omsenc.dfu, utf8.def) declare and that typeset without a missing-glyph
warning, plus the Greek alphabet, declared here through the math fonts. A test typesets every
one of them and reads the log. Anything else in user text is rejected when the config is read.
"""

from __future__ import annotations

from derive.errors import ConfigError

# Inclusive code point ranges, from a typesetting run of every declared character.
RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E), (0x00A1, 0x00AC), (0x00AE, 0x0125), (0x0128, 0x0137), (0x0139, 0x013E),
    (0x0141, 0x0148), (0x014A, 0x0165), (0x0168, 0x017E), (0x0192, 0x0192), (0x01C4, 0x01D4),
    (0x01E2, 0x01E3), (0x01E6, 0x01EB), (0x01F0, 0x01F0), (0x01F4, 0x01F5), (0x0218, 0x021B),
    (0x0232, 0x0233), (0x0237, 0x0237), (0x02C6, 0x02C7), (0x02D8, 0x02D9), (0x02DB, 0x02DD),
    (0x0391, 0x03A1), (0x03A3, 0x03A9), (0x03B1, 0x03C9), (0x0E3F, 0x0E3F), (0x1E02, 0x1E03),
    (0x1E0D, 0x1E0D), (0x1E1E, 0x1E21), (0x1E25, 0x1E25), (0x1E30, 0x1E31), (0x1E37, 0x1E37),
    (0x1E43, 0x1E43), (0x1E45, 0x1E45), (0x1E47, 0x1E47), (0x1E5B, 0x1E5B), (0x1E63, 0x1E63),
    (0x1E6D, 0x1E6D), (0x1E8E, 0x1E91), (0x1E9E, 0x1E9E), (0x1EF2, 0x1EF3), (0x2010, 0x2016),
    (0x2018, 0x201A), (0x201C, 0x201E), (0x2020, 0x2022), (0x2026, 0x2026), (0x2030, 0x2031),
    (0x2039, 0x203B), (0x203D, 0x203D), (0x2044, 0x2044), (0x204E, 0x204E), (0x2052, 0x2052),
    (0x20A1, 0x20A1), (0x20A4, 0x20A4), (0x20A6, 0x20A6), (0x20A9, 0x20A9), (0x20AB, 0x20AC),
    (0x20B1, 0x20B1), (0x2103, 0x2103), (0x2116, 0x2117), (0x211E, 0x211E), (0x2120, 0x2120),
    (0x2122, 0x2122), (0x2126, 0x2127), (0x212E, 0x212E), (0x2190, 0x2193), (0x2329, 0x232A),
    (0x2422, 0x2423), (0x25E6, 0x25E6), (0x25EF, 0x25EF), (0x266A, 0x266A), (0x27E8, 0x27E9),
    (0x3008, 0x3009), (0xFB00, 0xFB06),
)
SUPPORTED = frozenset(c for low, high in RANGES for c in range(low, high + 1))

_LOWER = (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
    "nu", "xi", "o", "pi", "rho", "varsigma", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
)
# Capitals that have no math symbol of their own are the Latin letters they look like.
_LATIN_CAPITALS = dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX", strict=True))
GREEK: dict[str, str] = {}
for _i, _name in enumerate(_LOWER):
    GREEK[chr(0x3B1 + _i)] = _name if _name == "o" else "\\" + _name
    if _name != "varsigma":
        _capital = chr(0x391 + _i)
        GREEK[_capital] = _LATIN_CAPITALS.get(_capital, "\\" + _name.capitalize())


def first_unsupported(text: str) -> str | None:
    """The first character of `text` the document cannot typeset, or None."""
    if text.isascii() and text.isprintable():
        return None
    return next((ch for ch in text if ord(ch) not in SUPPORTED), None)


def unsupported(text: str) -> str:
    """What is wrong with `text`, which holds a character the document cannot typeset."""
    ch = first_unsupported(text)
    assert ch is not None
    return f"character {describe(ch)} cannot be typeset: the PDF's fonts have no glyph for it"


def describe(ch: str) -> str:
    """A character as an error message names it: printable ones quoted, all with their code point."""
    shown = f'"{ch}" ' if ch.isprintable() else ""
    return f"{shown}(U+{ord(ch):04X})"


def preamble() -> str:
    """inputenc declarations for the Greek letters (typeset with the math fonts)."""
    lines = []
    for ch, name in GREEK.items():
        glyph = name if name.isalpha() else rf"\ensuremath{{{name}}}"
        lines.append(rf"\DeclareUnicodeCharacter{{{ord(ch):04X}}}{{{glyph}}}")
    return "\n".join(lines)


def require_typesettable(key: str, text: str) -> None:
    """Bad input: a character of `text` (config key `key`) that the document cannot show."""
    if first_unsupported(text) is not None:
        raise ConfigError(key, unsupported(text))
