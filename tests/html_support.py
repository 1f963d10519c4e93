"""Reading an HTML page back: its elements, its text outside MathML, and the browser checker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "scripts" / "html-check.mjs"
TOOLS = Path(os.environ.get("DERIVE_TOOLS", Path.home() / ".cache" / "derive"))  # scripts/ensure-html-tools.sh
AXE = TOOLS / "npm" / "node_modules" / "axe-core" / "axe.min.js"

# Every element derive's HTML may hold: the template's, the figures' SVG, latex2mathml's MathML.
KNOWN_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "footer", "section", "h1", "h2",
    "h3", "ol", "li", "a", "p", "code", "figure", "div", "table", "caption", "thead", "tbody", "tr", "th", "td",
    "span", "strong", "em", "br", "pre", "ul", "figcaption",
    "svg", "desc", "line", "rect", "text", "circle", "defs", "marker", "path", "foreignobject",
    "math", "mrow", "mi", "mn", "mo", "mtext", "msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "mtable",
    "mtr", "mtd", "mover", "munder", "munderover", "mspace", "mstyle", "mpadded", "menclose", "mphantom",
}


@dataclass
class Page:
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # character data outside <math>, <style> and <title>
    math_text: list[str] = field(default_factory=list)
    title: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))
        if tag not in ("meta",):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if "math" in self.open:
            self.page.math_text.append(data)
        elif self.open and self.open[-1] == "title" and "svg" not in self.open:
            self.page.title += data
        elif "style" not in self.open:
            self.page.text.append(data)


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def foreign_tags(page: Page) -> set[str]:
    """Elements no part of derive writes: what unescaped user text would make."""
    return {tag for tag, _ in page.tags} - KNOWN_TAGS


def browser_tools() -> tuple[str, str, Path]:
    """chromium, node and axe-core, or a skip saying which is missing; in CI (CI=true) a failure."""
    chromium, node = shutil.which("chromium"), shutil.which("node")
    missing = [name for name, found in (("chromium", chromium), ("node", node), (str(AXE), AXE.is_file()))
               if not found]
    if missing:
        why = f"not installed: {', '.join(missing)} (sh scripts/ensure-html-tools.sh installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    assert chromium and node
    return chromium, node, AXE


def browse(pages: list[Path], widths: tuple[int, ...], shots: Path | None = None) -> list[dict]:
    """scripts/html-check.mjs's report: one entry per page and width."""
    chromium, node, axe = browser_tools()
    env = os.environ | ({"SHOTS": str(shots)} if shots else {})
    done = subprocess.run([node, "--experimental-websocket", str(CHECKER), chromium, str(axe),
                           ",".join(map(str, widths)), *map(str, pages)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
