"""The one escaping choke point for text that did not come from derive itself, and the small
text pieces built on it (a dotted answers.json key, a path of words). Views call these while
they build their data; render.finalize calls `escape` on every plain str a template prints.
"""

from __future__ import annotations

from collections.abc import Iterable

from derive import charset
from derive.answer import Tex

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
    """The one escaping choke point for text that did not come from derive itself.

    Config text is checked against the fonts when it is read (derive/charset.py); a character
    outside them reaching this point is a bug, and fails loudly rather than print a stand-in.
    """
    out = []
    for i, ch in enumerate(text):
        if ch in _GLYPHS:
            out.append(_GLYPHS[ch])
        elif ch == "," and text[i + 1 : i + 2] == ",":
            out.append(",{}")  # T1 turns ,, into a low double quote
        elif ord(ch) in charset.SUPPORTED:
            out.append(ch)
        else:
            raise ValueError(f"character {charset.describe(ch)} cannot be typeset (config validation refuses it)")
    return Tex("".join(out))


LONG_WORD = 16  # words longer than this get break points, every BREAK_EVERY characters
BREAK_EVERY = 8


def cut(word: str) -> list[str]:
    """A long word in pieces of BREAK_EVERY characters, the points where a line may break."""
    if len(word) <= LONG_WORD:
        return [word]
    return [word[k:k + BREAK_EVERY] for k in range(0, len(word), BREAK_EVERY)]


def json_key(key: str) -> Tex:
    """A dotted answers.json key in typewriter type, breakable after each dot."""
    return Tex(r"\texttt{" + r".\allowbreak{}".join(escape(part) for part in key.split(".")) + "}")


def words(path: Iterable[str]) -> Tex:
    """Words of a tree path, escaped and joined by spaces; a long word may break every few characters."""
    return Tex(" ".join(r"\allowbreak{}".join(escape(piece) for piece in cut(w)) for w in path))
