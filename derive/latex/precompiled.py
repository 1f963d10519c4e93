"""A precompiled preamble: the document's preamble loaded once into a pdfTeX format, reused by every pass.

The format is the preamble run by `pdflatex -ini "&pdflatex"` and dumped (`\\dump`), with no
extra packages (mylatexformat's font preloading would number the fonts differently). A pass
then starts from it (`-fmt`) and reads only the body: the source after the preamble, with a
header that gives back what a format cannot hold, so that the PDF is the same bytes as without
it (tests/test_format.py):

- `\\pdftrailerid{}`: the trailer's ID is pdfTeX's per-run state, not a register, so it is not
  dumped; the header sets it again when the preamble does.
- What the preamble left on the main vertical list. A format holds TeX's macros, registers,
  fonts and pdfTeX's objects, not the page being built: nodes waiting on it at `\\dump` are
  dropped. xcolor ends with `\\color{black}` outside any group, which puts a whatsit
  `\\pdfcolorstack 0 push{0 g 0 G}` on the main vertical list; shipped out at the top of page 1
  it writes `0 g 0 G`. The format build lists those nodes (`\\showlists` before `\\dump`) and
  the header issues them again, in their order: colour stack operations and LaTeX's empty
  `\\write-1{}` (from a `\\clearpage`, log only). Any other node, or a colour stack the
  preamble created (its number is kept in a macro, the stack itself is not dumped), and the
  preamble gets no format: the document is compiled from its source as without one.
- `%` lines, so that the body's lines keep their numbers in the source (errors name them).

A format is kept in derive's cache folder (derive/cache.py) under a key of the preamble and the
TeX installation (pdflatex's path, version and its own format's size and time), as two files:
the .fmt, named by its SHA-256, and a JSON entry holding that digest, the header and the files
the preamble read with their sizes and times. An entry whose JSON does not parse, whose key is
another's, whose .fmt is missing or has another digest, or one of whose files changed, is built
again; both files are written atomically. `--no-cache` turns formats off. A pass that fails
with a format is repeated without (compile.py), and the format is then removed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derive.portable import raise_if_signalled

VERSION = 1
BUILD_TIMEOUT = 120
_BASE = "pdflatex"  # the format the preamble is loaded on
_PROBE = "derive-stacks"
# What \showlists prints of the nodes waiting on the main vertical list that the header can issue again.
_NODE = re.compile(r"\\pdfcolorstack (\d+) (?:(push|set) \{([-0-9. A-Za-z]*)\}|(pop|current))|\\write-\{\}")
_LIST_LINE = re.compile(r"### (?:vertical mode entered at line 0|current page:.*|recent contributions:)|"
                        r"prevdepth .*|total height .*| goal height .*|")


@dataclass(frozen=True)
class Precompiled:
    fmt: Path  # the format file in the cache folder
    preamble: str
    header: str  # what the body starts with in place of the preamble
    inputs: tuple[str, ...]  # the files the preamble read (absolute paths)

    def body(self, source: str) -> str:
        """The source as read on this format: the header, then everything after the preamble."""
        return self.header + source[len(self.preamble):]


def find(preamble: str, env: dict[str, str]) -> Precompiled | None:
    """The format of this preamble on this TeX installation: from the cache folder, else built
    and stored now. None when the cache is off, or the preamble cannot be precompiled faithfully."""
    from derive import cache  # here: cache.py imports SymPy, which compiling a PDF does not need

    if not (cache.enabled() and preamble.endswith("\n")):
        return None
    engine = engine_identity()
    if engine is None:
        return None
    name = hashlib.sha256(json.dumps({"version": VERSION, "preamble": preamble, "engine": engine},
                                     sort_keys=True).encode()).hexdigest()
    entry = cache.folder() / f"preamble-{name}.json"
    found = _load(entry, name, preamble)
    if found is not None:
        return found if isinstance(found, Precompiled) else None
    built = _build(preamble, env)
    return None if built is None else _store(entry, name, preamble, built)


def discard(pre: Precompiled) -> None:
    """Remove a format pdflatex could not use: the next build makes it again."""
    name = pre.fmt.name.split("-")[1]
    for path in (pre.fmt, pre.fmt.with_name(f"preamble-{name}.json")):
        path.unlink(missing_ok=True)


@functools.cache
def engine_identity() -> dict[str, Any] | None:
    """What a format depends on besides the preamble: pdflatex itself and the format it loads."""
    binary = shutil.which("pdflatex")
    if binary is None:
        return None
    try:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30,
                                 stdin=subprocess.DEVNULL).stdout.splitlines()[:1]
        base = subprocess.run(["kpsewhich", "-engine=pdftex", f"{_BASE}.fmt"], capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"pdflatex": str(Path(binary).resolve()), "version": version, "base": base, "base_stat": _stat(base)}


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _load(entry: Path, name: str, preamble: str) -> Precompiled | str | None:
    """The stored format, "refused" when this preamble was found not to be precompilable, or None."""
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        if not (isinstance(data, dict) and data.get("version") == VERSION and data.get("key") == name):
            return None
        if data.get("refused"):
            return "refused"
        digest, header, inputs = data["sha256"], data["header"], data["inputs"]
        if not all(_stat(path) == stat for path, stat in inputs):
            return None  # a file the preamble reads changed: stale
        fmt = entry.with_name(f"preamble-{name}-{digest[:16]}.fmt")
        if hashlib.sha256(fmt.read_bytes()).hexdigest() != digest:
            return None  # damaged
        return Precompiled(fmt, preamble, str(header), tuple(str(path) for path, _ in inputs))
    except Exception:  # missing, not JSON, fields of other types: built again
        raise_if_signalled()  # not a damaged entry: a signal's exception, caught here
        return None


@dataclass(frozen=True)
class _Refused:
    pass


@dataclass(frozen=True)
class _Built:
    fmt: bytes
    header: str
    inputs: list[tuple[str, list[int] | None]]


def _build(preamble: str, env: dict[str, str]) -> _Built | _Refused | None:
    """Run the preamble through pdflatex -ini and dump it. _Refused when the format would not give
    the same PDF (kept, so that the next build does not try again); None when pdflatex could not
    be run to the end (nothing kept)."""
    with tempfile.TemporaryDirectory(prefix="derive-format-") as tmp:
        folder = Path(tmp)
        (folder / "preamble.tex").write_text(
            preamble + "\\begingroup\\showboxdepth=100000 \\showboxbreadth=100000 \\showlists\\endgroup\n"
            f"\\message{{{_PROBE}=\\pdfcolorstackinit page direct{{1 g 1 G}}.}}\n\\dump\n", encoding="utf-8")
        try:
            subprocess.run(["pdflatex", "-ini", "-interaction=nonstopmode", "-no-shell-escape", "-recorder",
                            "-jobname=preamble", f"&{_BASE}", "preamble.tex"], cwd=folder, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=BUILD_TIMEOUT)
            log = (folder / "preamble.log").read_text(encoding="utf-8", errors="replace")
            fmt = (folder / "preamble.fmt").read_bytes()
            fls = (folder / "preamble.fls").read_text(encoding="utf-8", errors="replace")
        except (OSError, subprocess.SubprocessError):
            return None
    header = _header(preamble, log)
    if header is None:
        return _Refused()
    inputs = sorted({line[6:] for line in fls.splitlines() if line.startswith("INPUT /")})
    return _Built(fmt, header, [(path, _stat(path)) for path in inputs])


def _header(preamble: str, log: str) -> str | None:
    """The body's first lines, from the format build's log; None if the preamble did anything a
    format cannot keep (see the module's docstring), or failed."""
    errors = [line for line in log.splitlines() if line.startswith("! ")]
    if errors != ["! OK."]:  # \showlists reports itself as an error; anything else is one
        return None
    probe = re.search(rf"{_PROBE}=(\d+)\.", log)
    if probe is None or probe[1] != "1":  # the preamble created a colour stack
        return None
    shown = log.split("### vertical mode entered at line 0", 1)
    if len(shown) != 2:
        return None
    replay = []
    for line in shown[1].split("\n! OK.", 1)[0].splitlines():
        node = _NODE.fullmatch(line)
        if node is None:
            if _LIST_LINE.fullmatch(line):
                continue
            return None
        if node[1] is None:
            replay.append("\\write-1{}")
        elif node[1] != "0":
            return None
        else:
            replay.append(f"\\pdfcolorstack0 {node[2]}{{{node[3]}}}" if node[2] else f"\\pdfcolorstack0 {node[4]}")
    trailer = re.findall(r"\\pdftrailerid\b[^\n]*", preamble)
    if trailer and not all(t.startswith("\\pdftrailerid{}") for t in trailer):
        return None
    first = ("\\pdftrailerid{}" if trailer else "") + "".join(replay)
    return first + "%\n" + "%\n" * (preamble.count("\n") - 1)


def _store(entry: Path, name: str, preamble: str, built: _Built | _Refused) -> Precompiled | None:
    if isinstance(built, _Refused):
        _write(entry, json.dumps({"version": VERSION, "key": name, "refused": True}).encode())
        return None
    digest = hashlib.sha256(built.fmt).hexdigest()
    fmt = entry.with_name(f"preamble-{name}-{digest[:16]}.fmt")
    if not (_write(fmt, built.fmt) and _write(entry, json.dumps(
            {"version": VERSION, "key": name, "sha256": digest, "header": built.header,
             "inputs": built.inputs}).encode())):
        return None  # a cache folder that cannot be written: no format (it would be built every time)
    return Precompiled(fmt, preamble, built.header, tuple(path for path, _ in built.inputs))


def _write(path: Path, data: bytes) -> bool:
    """Atomically: a temporary file renamed into place. False when the cache folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True
