"""The layout gate's detectors (scripts/layout.py) see what they are there to see."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import layout  # noqa: E402

PAGE = """<page width="612" height="792">
<word xMin="100.0" yMin="100.0" xMax="130.0" yMax="110.0">{a}</word>
<word xMin="{x}" yMin="{y}" xMax="{x2}" yMax="{y2}">{b}</word>
</page>"""


def _page(a: str, b: str, x: float, y: float) -> str:
    return PAGE.format(a=a, b=b, x=x, y=y, x2=x + 30, y2=y + 10)


def test_overlapping_tree_words_are_caught():
    assert layout.overlaps(_page("cat", "dog", 120, 102), {"cat", "dog"}) == ["'cat' overlaps 'dog'"]


def test_neighbours_and_other_words_pass():
    assert layout.overlaps(_page("cat", "dog", 131, 100), {"cat", "dog"}) == []  # side by side
    assert layout.overlaps(_page("cat", "dog", 110, 109), {"cat", "dog"}) == []  # lines touching by 1 pt
    assert layout.overlaps(_page("the", "a", 120, 102), {"cat"}) == []  # neither is a tree word


def test_the_bibliography_is_not_searched():
    page = _page("References", "[9]", 120, 102)
    assert layout.overlaps(page + _page("cat", "dog", 120, 102), {"cat", "dog", "[9]"}) == []


def test_overfull_boxes_are_read_with_their_size():
    log = ("Overfull \\hbox (37.50272pt too wide) detected at line 153\n"
           "Overfull \\hbox (0.5pt too wide) in paragraph at lines 1--2\n"
           "Overfull \\vbox (515.0pt too high) has occurred while \\output is active\n")
    found = [(float(amount), where) for amount, where in layout.OVERFULL.findall(log)]
    assert [a for a, _ in found] == [37.50272, 0.5, 515.0]
    assert [a for a, _ in found if a > layout.TOLERANCE_PT] == [37.50272, 515.0]


def test_tree_words_come_from_the_config():
    words = layout.tree_words('[decoding.tree]\n"the" = -1\n"the Ωmega" = -2\n')
    assert {"the", "Ωmega", "[1]"} <= words and "tree" not in words
