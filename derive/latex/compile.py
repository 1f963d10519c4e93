"""Compilation: hardened, reproducible latexmk in a fresh folder, errors read from the log."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from derive.errors import LatexError

SOURCE_DATE_EPOCH = "1735689600"  # 2025-01-01: fixed, so two builds give the same bytes
TIMEOUT_SECONDS = 300
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-pictures texlive-latex-extra lmodern latexmk"
_FILE_LINE = re.compile(r"^(?:\./)?([^:\s]+\.tex):(\d+): (.*)$")


def latexmk_command(name: str) -> list[str]:
    return [
        "latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
        "-file-line-error", "-no-shell-escape", name,
    ]


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


def compile_pdf(source: str, name: str = "solutions.tex", timeout: float = TIMEOUT_SECONDS) -> Compiled:
    """Compile LaTeX source to PDF in a fresh folder; raise LatexError with the log's first error."""
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None:
        raise LatexError(
            f"latexmk/pdflatex not found: install {TEX_PACKAGES} (Debian), "
            "or build without a PDF (--no-pdf, make tex, make overleaf)"
        )
    with tempfile.TemporaryDirectory(prefix="derive-latex-") as tmp:
        folder = Path(tmp)
        (folder / name).write_text(source, encoding="utf-8")
        try:
            done = subprocess.run(
                latexmk_command(name), cwd=folder, env=hardened_env(), stdin=subprocess.DEVNULL,
                capture_output=True, timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            raise LatexError(f"LaTeX did not finish within {timeout:g} s") from None
        pdf = folder / Path(name).with_suffix(".pdf")
        log = folder / Path(name).with_suffix(".log")
        if done.returncode != 0 or not pdf.is_file():
            text = log.read_text(encoding="latin-1") if log.is_file() else done.stdout.decode("latin-1")
            raise LatexError(f"LaTeX failed: {first_error(text, name)}")
        read, written = _recorded(folder, folder / Path(name).with_suffix(".fls"))
        return Compiled(pdf.read_bytes(), read, written, str(folder))


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
