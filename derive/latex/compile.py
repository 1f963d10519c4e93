"""Compilation: hardened, reproducible pdflatex passes in a fresh folder, errors read from the log.

derive runs pdflatex itself rather than through latexmk: its documents need no BibTeX, index
or images, only the passes that settle the aux file (citations, longtable widths) and the
outline (.out). A pass is repeated while either changes, as latexmk would, without latexmk's
checksumming of every TeX file (0.3-0.7 s a build). `latexmk_command` is the reference the
benchmark compares with.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from derive.errors import LatexError

SOURCE_DATE_EPOCH = "1735689600"  # 2025-01-01: fixed, so two builds give the same bytes
TIMEOUT_SECONDS = 300
MAX_PASSES = 5
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-pictures texlive-latex-extra lmodern latexmk"
_FILE_LINE = re.compile(r"^(?:\./)?([^:\s]+\.tex):(\d+): (.*)$")
_RERUN = re.compile(r"Rerun to get|Rerun LaTeX|Label\(s\) may have changed")
_FLAGS = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape"]

# What one pass hands the next: the aux file and the outline. Seeded from the previous build,
# they let a build stop after one pass when they do not change, as latexmk does in a kept folder.
STATE_SUFFIXES = (".aux", ".out")
STATE_MAX_BYTES = 1 << 20
State = dict[str, bytes]  # suffix -> content


def pdflatex_command(name: str) -> list[str]:
    return ["pdflatex", *_FLAGS, "-recorder", name]


def latexmk_command(name: str) -> list[str]:
    """The same hardening through latexmk: the floor the benchmark measures derive against."""
    return ["latexmk", "-norc", "-pdf", *_FLAGS, name]


def hardened_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        openin_any="p", openout_any="p", shell_escape="f",
        SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, FORCE_SOURCE_DATE="1",
    )
    return env


@dataclass(frozen=True)
class Compiled:
    pdf: bytes
    files_read: tuple[str, ...]  # absolute paths, from TeX's recorder (.fls)
    files_written: tuple[str, ...]
    folder: str  # the temporary folder it ran in (removed afterwards)
    passes: int  # pdflatex runs
    state: State  # to seed the next compilation


def compile_pdf(source: str, name: str = "solutions.tex", timeout: float = TIMEOUT_SECONDS,
                state: State | None = None) -> Compiled:
    """Compile LaTeX source to PDF in a fresh folder; raise LatexError with the log's first error.

    `state` (from an earlier Compiled) seeds the folder; a compilation that fails with it is
    repeated without it, so a stale or damaged state can cost time but never a build.
    """
    if shutil.which("pdflatex") is None:
        raise LatexError(
            f"pdflatex not found: install {TEX_PACKAGES} (Debian), "
            "or build without a PDF (--no-pdf, make tex, make overleaf)"
        )
    deadline = time.monotonic() + timeout
    if state:
        try:
            return _compile(source, name, deadline, timeout, state)
        except LatexError:
            pass
    return _compile(source, name, deadline, timeout, {})


def _compile(source: str, name: str, deadline: float, timeout: float, state: State) -> Compiled:
    with tempfile.TemporaryDirectory(prefix="derive-latex-") as tmp:
        folder = Path(tmp)
        (folder / name).write_text(source, encoding="utf-8")
        stem = Path(name).stem
        carried = {suffix: folder / (stem + suffix) for suffix in STATE_SUFFIXES}
        for suffix, data in state.items():
            if suffix in carried and len(data) <= STATE_MAX_BYTES:
                carried[suffix].write_bytes(data)
        pdf, log = folder / (stem + ".pdf"), folder / (stem + ".log")
        passes = 0
        while passes < MAX_PASSES:
            passes += 1
            before = _contents(carried)
            try:
                done = subprocess.run(pdflatex_command(name), cwd=folder, env=hardened_env(), stdin=subprocess.DEVNULL,
                                      capture_output=True, timeout=max(deadline - time.monotonic(), 0.001),
                                      check=False)
            except subprocess.TimeoutExpired:
                raise LatexError(f"LaTeX did not finish within {timeout:g} s") from None
            text = log.read_text(encoding="latin-1") if log.is_file() else done.stdout.decode("latin-1")
            if done.returncode != 0 or not pdf.is_file():
                raise LatexError(f"LaTeX failed: {first_error(text, name)}")
            if _contents(carried) == before and not _RERUN.search(text):
                break
        else:
            raise LatexError(f"LaTeX failed: {name}: cross-references still changing after {passes} passes")
        read, written = _recorded(folder, folder / (stem + ".fls"))
        kept = {suffix: data for suffix, data in _contents(carried).items() if data is not None}
        return Compiled(pdf.read_bytes(), read, written, str(folder), passes, kept)


def _contents(files: dict[str, Path]) -> dict[str, bytes | None]:
    return {suffix: path.read_bytes() if path.is_file() else None for suffix, path in files.items()}


def _recorded(folder: Path, fls: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The files TeX opened, made absolute against the folder it ran in."""
    read, written = set(), set()
    for line in fls.read_text(encoding="latin-1").splitlines() if fls.is_file() else []:
        kind, _, path = line.partition(" ")
        if kind in ("INPUT", "OUTPUT"):
            full = str((folder / path).resolve()) if not path.startswith("/") else str(Path(path).resolve())
            (read if kind == "INPUT" else written).add(full)
    return tuple(sorted(read)), tuple(sorted(written))


def first_error(log: str, name: str) -> str:
    """The first error of a TeX log as `file:line: message (context)` on one line."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        match = _FILE_LINE.match(line)
        bang = line.startswith("! ")
        if not (match or bang):
            continue
        where, message = (f"{match[1]}:{match[2]}", match[3]) if match else (name, line[2:])
        context = next((s for s in lines[i + 1 : i + 12] if re.match(r"^l\.\d+ ", s)), "")
        if context and not match:
            where = f"{name}:{context.split()[0][2:]}"
        return f"{where}: {message.strip()}" + (f" [{context.strip()}]" if context else "")
    tail = " ".join(s.strip() for s in lines[-3:] if s.strip())
    return f"{name}: no error line in the log ({tail[:200]})"
