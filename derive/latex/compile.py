"""Compilation: hardened, reproducible pdflatex passes in a fresh folder, errors read from the log.

derive runs pdflatex itself rather than through latexmk: its documents need no BibTeX, index
or images, only the passes that settle the aux file (citations, longtable widths) and the
outline (.out). A pass is repeated while either changes (the aux file's toc lines aside, in a
document that reads no table of contents: _TOC_LINE), as latexmk would, without latexmk's
checksumming of every TeX file (0.3-0.7 s a build). `latexmk_command` is the reference the
benchmark compares with. Given the document's preamble, a pass starts from a format holding it
(precompiled.py) and reads only the rest: the same PDF, a quarter less time a pass.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from derive.errors import LatexError
from derive.latex import precompiled
from derive.latex.precompiled import Precompiled
from derive.portable import raise_if_signalled

try:
    import fcntl
except ImportError:  # Windows: no FIFOs either, so derive compiles without streaming
    fcntl = None  # type: ignore[assignment]

SOURCE_DATE_EPOCH = "1735689600"  # 2025-01-01: fixed, so two builds give the same bytes
TIMEOUT_SECONDS = 300
MAX_PASSES = 5
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-pictures texlive-latex-extra lmodern"
_FILE_LINE = re.compile(r"^(?:\./)?([^:\s]+\.tex):(\d+): (.*)$")
_RERUN = re.compile(r"Rerun to get|Rerun LaTeX|Label\(s\) may have changed")
_FLAGS = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape"]

STREAMING = hasattr(os, "mkfifo")  # Stream below typesets while derive writes only through a FIFO

# What one pass hands the next: the aux file and the outline. Seeded from the previous build,
# they let a build stop after one pass when they do not change, as latexmk does in a kept folder.
STATE_SUFFIXES = (".aux", ".out")
STATE_MAX_BYTES = 1 << 20
State = dict[str, bytes]  # suffix -> content
# hyperref writes a `\@writefile{toc}{...}` line to the aux file for every section, with its page.
# Reading the aux file, LaTeX copies such lines into the .toc only once \tableofcontents has
# opened it (\tf@toc): in a document that never reads its table of contents they typeset
# nothing, and a state that differs only in them (another variant's page numbers) is settled.
_TOC_LINE = re.compile(rb"^\\@writefile\{toc\}.*\n?", re.MULTILINE)
_READS_TOC = ("tableofcontents", "starttoc", "toc}", ".toc", "tf@toc", "minitoc", "tocloft", "{etoc}")


FORMAT_FILE = "derive-preamble"  # the precompiled preamble, linked into the run's folder


def pdflatex_command(name: str, fmt: str | None = None) -> list[str]:
    # -no-parse-first-line: TeX would otherwise read the main file's first line for a %& format
    # directive before reading the file, which a streamed source (a FIFO) cannot give twice.
    # -fmt=./NAME: a format in the folder it runs in, whatever TEXFORMATS says.
    return ["pdflatex", *_FLAGS, "-no-parse-first-line", *([f"-fmt=./{fmt}"] if fmt else []), "-recorder", name]


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


def _require_pdflatex() -> None:
    if shutil.which("pdflatex") is None:
        raise LatexError(
            f"pdflatex not found: install {TEX_PACKAGES} (Debian, Ubuntu), MacTeX (macOS) or MiKTeX "
            "or TeX Live (Windows), or build without a PDF (--no-pdf, make tex, make overleaf)"
        )


class _Run:
    """A temporary folder holding one compilation: the source, the seeded state, the passes."""

    def __init__(self, name: str, state: State, timeout: float, pre: Precompiled | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="derive-latex-")
        self.folder, self.name, self.timeout, self.pre = Path(self._tmp.name), name, timeout, pre
        if pre is not None:
            link = self.folder / f"{FORMAT_FILE}.fmt"
            try:
                link.symlink_to(pre.fmt)
            except OSError:  # no symbolic links (Windows without the privilege): a copy
                shutil.copyfile(pre.fmt, link)
        self.deadline = time.monotonic() + timeout
        stem = Path(name).stem
        self.carried = {suffix: self.folder / (stem + suffix) for suffix in STATE_SUFFIXES}
        for suffix, data in state.items():
            if suffix in self.carried and len(data) <= STATE_MAX_BYTES:
                self.carried[suffix].write_bytes(data)
        self.pdf, self.log, self.fls = (self.folder / (stem + s) for s in (".pdf", ".log", ".fls"))
        self.terminal = self.folder / (stem + ".terminal")  # pdflatex's standard output
        self.before = self._contents()
        self.passes = 0
        self.toc_free = False  # set from the source: whether the toc lines typeset nothing (_TOC_LINE)

    def _contents(self) -> dict[str, bytes | None]:
        return {suffix: path.read_bytes() if path.is_file() else None for suffix, path in self.carried.items()}

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)

    def popen(self) -> subprocess.Popen[bytes]:
        self.before = self._contents()
        self.passes += 1
        # The terminal output is kept: a fatal error (TeX's line buffer, say) reaches only it, not the log.
        with open(self.terminal, "wb") as terminal:
            fmt = FORMAT_FILE if self.pre is not None else None
            return subprocess.Popen(pdflatex_command(self.name, fmt), cwd=self.folder, env=hardened_env(),
                                    stdin=subprocess.DEVNULL, stdout=terminal, stderr=subprocess.STDOUT)

    def wait(self, proc: subprocess.Popen[bytes]) -> bool:
        """The pass's end: raise on a LaTeX error; True when another pass is needed."""
        # A timer kills it at the deadline: wait(timeout=) would poll, noticing the end up to 50 ms late.
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(self.remaining(), expire)
        timer.daemon = True
        timer.start()
        try:
            code = proc.wait()
        finally:
            timer.cancel()
        if expired.is_set() and code != 0:  # not a pass that ended on its own just as the timer fired
            raise LatexError(f"LaTeX did not finish within {self.timeout:g} s")
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.is_file() else ""
        if code != 0 or not self.pdf.is_file():
            terminal = self.terminal.read_text(encoding="utf-8", errors="replace") if self.terminal.is_file() else ""
            raise LatexError(f"LaTeX failed: {first_error(text, self.name, terminal)}")
        return self._settled_view(self._contents()) != self._settled_view(self.before) or bool(_RERUN.search(text))

    def _settled_view(self, contents: dict[str, bytes | None]) -> dict[str, bytes | None]:
        """What of the state the next pass would typeset differently from: all of it, but the aux
        file's toc lines where the document reads no table of contents."""
        if not self.toc_free or contents.get(".aux") is None:
            return contents
        return {**contents, ".aux": _TOC_LINE.sub(b"", contents[".aux"] or b"")}

    def settle(self, rerun: bool) -> Compiled:
        """Further passes until the aux file and outline stop changing."""
        while rerun:
            if self.passes == MAX_PASSES:
                raise LatexError(f"LaTeX failed: {self.name}: cross-references still changing after "
                                 f"{self.passes} passes")
            rerun = self.wait(self.popen())
        read, written = _recorded(self.folder, self.fls)
        if self.pre is not None:  # what the preamble read when the format was made
            read = tuple(sorted(set(read) | set(self.pre.inputs)))
        kept = {suffix: data for suffix, data in self._contents().items() if data is not None}
        return Compiled(self.pdf.read_bytes(), read, written, str(self.folder), self.passes, kept)

    def close(self) -> None:
        self._tmp.cleanup()


def compile_pdf(source: str, name: str = "solutions.tex", timeout: float = TIMEOUT_SECONDS,
                state: State | None = None, inputs: dict[str, bytes] | None = None,
                preamble: str | None = None) -> Compiled:
    """Compile LaTeX source to PDF in a fresh folder; raise LatexError with the log's first error.

    `state` (from an earlier Compiled) seeds the folder; a compilation that fails with it is
    repeated without it, so a stale or damaged state can cost time but never a build. `inputs`:
    files the source reads (name -> bytes), put beside it. `preamble`: the source's beginning
    that is its preamble, compiled from a format holding it (precompiled.py).
    """
    _require_pdflatex()
    return _compile(source, name, timeout, state or {}, inputs or {}, _format(source, preamble))


def _format(source: str, preamble: str | None) -> Precompiled | None:
    if not (preamble and source.startswith(preamble)):
        return None
    return precompiled.find(preamble, hardened_env())


def _compile(source: str, name: str, timeout: float, state: State, inputs: dict[str, bytes],
             pre: Precompiled | None) -> Compiled:
    """With the state and format, else with the format alone, else from scratch: then the
    format is removed, as the document compiles without it."""
    attempts = [(state, pre)] if state or pre else []
    if state and pre:
        attempts.append(({}, pre))
    for seeded, fmt in attempts:
        try:
            return _compile_file(source, name, timeout, seeded, inputs, fmt)
        except LatexError:
            raise_if_signalled()  # a pass ended by the signal that ends derive: not retried
    compiled = _compile_file(source, name, timeout, {}, inputs, None)
    if pre is not None:
        precompiled.discard(pre)
    return compiled


def _compile_file(source: str, name: str, timeout: float, state: State, inputs: dict[str, bytes],
                  pre: Precompiled | None = None) -> Compiled:
    run = _Run(name, state, timeout, pre)
    try:
        for file, data in inputs.items():
            (run.folder / file).write_bytes(data)
        (run.folder / name).write_text(pre.body(source) if pre else source, encoding="utf-8")
        run.toc_free = toc_free(source)
        return run.settle(True)
    finally:
        run.close()


class Stream:
    """A compilation whose first pass starts before the source exists.

    pdflatex reads the source from a FIFO as derive writes it piece by piece (`feed`), so TeX
    loads its packages and typesets the first questions while the later ones are derived and
    checked. `finish` ends the source, waits for the pass and runs any further passes on the
    complete source as a plain file, exactly as compile_pdf would; `close` ends everything.
    Where there are no FIFOs (Windows), `feed` only collects and `finish` is compile_pdf.
    `preamble`: what the source will begin with that is its preamble; pdflatex then starts from
    a format holding it and reads the rest (precompiled.py).
    """

    def __init__(self, name: str = "solutions.tex", state: State | None = None,
                 timeout: float = TIMEOUT_SECONDS, preamble: str | None = None) -> None:
        _require_pdflatex()
        self._name, self._timeout, self._state, self._preamble = name, timeout, state or {}, preamble
        self._fed: list[str] = []
        self._unsent: list[str] = []  # for pdflatex, before it has opened the FIFO
        self._sent = 0  # characters of the source fed so far (some of them preamble, not sent)
        self._fd: int | None = None
        self._broken = False
        self._run: _Run | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._pre: Precompiled | None = None
        if STREAMING:
            self._pre = precompiled.find(preamble, hardened_env()) if preamble else None
            self._run = _Run(name, self._state, timeout, self._pre)
            self._fifo = self._run.folder / name
            os.mkfifo(self._fifo)
            self._proc = self._run.popen()

    def feed(self, text: str) -> None:
        self._fed.append(text)
        if self._run is None:
            return
        if self._pre is not None:
            text = self._past_preamble(text)
            if not text:
                return
        self._unsent.append(text)
        if self._fd is None and not self._broken:
            self._open(wait=False)  # pdflatex still loading: the text waits for the next piece or finish()
        if self._fd is not None:
            self._send()

    def _send(self) -> None:
        fd = self._fd
        if self._broken or fd is None:
            self._broken = True  # pdflatex has stopped: finish() reports why
            return
        assert self._run is not None
        text, self._unsent = "".join(self._unsent), []
        data = memoryview(text.encode("utf-8"))
        try:
            while data:
                try:
                    data = data[os.write(fd, data):]
                except BlockingIOError:  # TeX is behind: wait, but never past the deadline
                    if not select.select([], [fd], [], self._run.remaining())[1]:
                        self._broken = True  # finish() reports the timeout
                        return
        except BrokenPipeError:
            self._broken = True

    def _past_preamble(self, text: str) -> str:
        """What pdflatex reads of this piece of the source on the format: nothing of the preamble,
        the format's header in its place."""
        assert self._pre is not None and self._proc is not None
        done, size = self._sent, len(self._pre.preamble)
        self._sent += len(text)
        if done >= size:
            return text
        if text[:size - done] != self._pre.preamble[done:done + len(text)]:
            self._proc.kill()  # finish() reports the source that is not what was announced
            self._broken = True
            return ""
        return self._pre.header + text[size - done:] if self._sent >= size else ""

    def _open(self, wait: bool = True) -> None:
        """Opens the FIFO's write end once pdflatex has opened the read end; leaves it closed
        if pdflatex stops or the deadline passes first, or at once when not `wait`ing."""
        assert self._proc is not None and self._run is not None
        while True:
            try:
                self._fd = os.open(self._fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
            if not wait or self._proc.poll() is not None or time.monotonic() > self._run.deadline:
                return
            time.sleep(0.002)
        with contextlib.suppress(OSError, AttributeError):  # room for the whole source: rarely wait on TeX
            fcntl.fcntl(self._fd, fcntl.F_SETPIPE_SZ, 1 << 20)

    def _close_pipe(self) -> None:
        if self._fd is None and not self._broken:
            self._open()  # pdflatex may be waiting to open the source: let it see its end
        if self._unsent:
            self._send()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def finish(self, source: str) -> Compiled:
        if "".join(self._fed) != source:
            raise ValueError("the streamed source differs from the finished source")
        if self._run is None:
            return compile_pdf(source, self._name, self._timeout, self._state, preamble=self._preamble)
        if self._pre is not None and not source.startswith(self._pre.preamble):
            raise ValueError("the streamed source does not begin with its preamble")
        self._close_pipe()
        assert self._proc is not None
        proc, self._proc = self._proc, None
        try:
            self._run.toc_free = toc_free(source)
            rerun = self._run.wait(proc)
            self._fifo.unlink()
            # later passes read a plain file
            self._fifo.write_text(self._pre.body(source) if self._pre else source, encoding="utf-8")
            return self._run.settle(rerun)
        except LatexError:
            raise_if_signalled()  # a pass ended by the signal that ends derive: not retried
            if not (self._state or self._pre):
                raise
        if self._state:  # once more without it: with the format, then from scratch
            return _compile(source, self._name, self._timeout, {}, {}, self._pre)
        compiled = _compile_file(source, self._name, self._timeout, {}, {})  # from scratch
        if self._pre is not None:
            precompiled.discard(self._pre)  # the document compiles without it
        return compiled

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._run is not None:
            self._run.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def toc_free(source: str) -> bool:
    """True when the source names no table of contents in any way a document or package reads
    one (then the aux file's toc lines typeset nothing); any mention, and the state is compared
    byte for byte."""
    return not any(word in source for word in _READS_TOC)


def _recorded(folder: Path, fls: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The files TeX opened, made absolute against the folder it ran in."""
    read: set[str] = set()
    written: set[str] = set()
    for line in fls.read_text(encoding="latin-1").splitlines() if fls.is_file() else []:
        kind, _, path = line.partition(" ")
        if kind in ("INPUT", "OUTPUT"):
            full = str((folder / path).resolve()) if not path.startswith("/") else str(Path(path).resolve())
            (read if kind == "INPUT" else written).add(full)
    return tuple(sorted(read)), tuple(sorted(written))


def first_error(log: str, name: str, terminal: str = "") -> str:
    """The first error of a TeX log as `file:line: message (context)` on one line.

    A fatal error that stops TeX while it reads a line (its buffer overflowing) is written to the
    terminal only; the log then ends without it, so the terminal output is searched as well.
    """
    fatal = re.search(r"! (.+)", terminal)
    if fatal and fatal[1].strip() not in log:
        return f"{name}: {fatal[1].strip()}"
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
