"""The layout gate (`make layout`): PDFs at the edges of every README limit must be clean.

For each config of scripts/layout_configs.py: `derive build` must succeed; one more pdflatex
pass over the produced solutions.tex (from derive's kept aux file) gives the log, which must
hold no overfull box wider than 1 pt; the PDF's text must hold no `<U+` stand-in; and no
two word boxes on a page (`pdftotext -bbox`) may overlap where one of them is a word of the
tree. Exit 1 on any failure, naming the config and what failed.

    python scripts/layout.py [--only NAME ...] [--keep DIR] [--jobs J]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from layout_configs import configs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DERIVE = ROOT / ".venv" / "bin" / "derive"
OVERFULL = re.compile(r"^Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)(.*)$", re.MULTILINE)
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
TOLERANCE_PT = 1.0


def tree_words(toml_text: str) -> set[str]:
    """The words of a config's tree (its quoted path keys), and the keys a figure may draw."""
    tree = tomllib.loads(toml_text).get("decoding", {}).get("tree", {})
    return {w for path in tree for w in path.split(" ")} | {f"[{k}]" for k in range(1, 100)}


def overlaps(bbox_html: str, words: set[str]) -> list[str]:
    """Pairs of overlapping word boxes on a page where one word is a tree word."""
    found = []
    for page in bbox_html.split("<page ")[1:]:
        if ">References</word>" in page:  # the bibliography's hanging labels are not tree words
            break
        boxes = [(float(a), float(b), float(c), float(d), unescape(t)) for a, b, c, d, t in WORD.findall(page)]
        boxes.sort()
        for i, (x0, y0, x1, y1, text) in enumerate(boxes):
            for u0, v0, u1, v1, other in boxes[i + 1:]:
                if u0 >= x1 - 0.3:
                    break
                # Lines of text overlap a little in pdftotext's boxes: a third of a line is an overlap.
                height = min(y1 - y0, v1 - v0)
                if (text in words or other in words) and min(y1, v1) - max(y0, v0) > height / 3 and \
                        min(x1, u1) - max(x0, u0) > 0.3:
                    found.append(f"{text!r} overlaps {other!r}")
    return found


def gate(name: str, toml_text: str, folder: Path) -> tuple[list[str], float]:
    config = folder / f"{name}.toml"
    config.write_text(toml_text, encoding="utf-8")
    out = folder / name
    start = time.monotonic()
    run = subprocess.run([str(DERIVE), "build", "--config", str(config), "--out", str(out)],
                         capture_output=True, text=True)
    seconds = time.monotonic() - start
    if run.returncode != 0:
        return [f"derive build exited {run.returncode}: {(run.stderr.strip().splitlines() or [''])[-1]}"], seconds
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(out / "solutions.tex", tmp)
        shutil.copy(out / ".latex" / "solutions.aux", tmp)
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "solutions.tex"], cwd=tmp,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
        log = (Path(tmp) / "solutions.log").read_text(encoding="utf-8", errors="replace")
    for amount, where in OVERFULL.findall(log):
        if float(amount) > TOLERANCE_PT:
            problems.append(f"overfull box, {amount} pt{where}")
    if re.search(r"^! ", log, re.MULTILINE):
        problems.append("LaTeX error in the log")
    pdf = out / "solutions.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    if "<U+" in text:
        problems.append("a <U+...> stand-in in the PDF's text")
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    problems += overlaps(bbox, tree_words(toml_text))[:5]
    return problems, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of configs to run (default: all)")
    parser.add_argument("--keep", type=Path, help="keep the configs and outputs in this folder")
    parser.add_argument("--jobs", type=int, default=2, help="builds at a time (default 2)")
    args = parser.parse_args()
    chosen = {k: v for k, v in configs().items() if not args.only or k in args.only}
    folder = args.keep or Path(tempfile.mkdtemp(prefix="derive-layout-"))
    folder.mkdir(parents=True, exist_ok=True)
    failed = 0
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            results = pool.map(lambda item: (item[0], *gate(item[0], item[1], folder)), chosen.items())
            for name, problems, seconds in results:
                failed += bool(problems)
                print(f"{'FAIL' if problems else 'ok  '} {name:24} {seconds:6.1f} s", flush=True)
                for problem in problems:
                    print(f"     {problem}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder)
    print(f"layout: {len(chosen) - failed} of {len(chosen)} configs clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
