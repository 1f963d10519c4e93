"""Robustness: bad input, LaTeX injection, hardened compilation, reproducibility, failure safety."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from derive import cache
from derive.errors import LatexError
from derive.latex import compile as latex_compile
from tests.conftest import needs_tex, snapshot

CORPUS = Path(__file__).parent / "bad_configs"
EXPECTED = [line.split("\t") for line in (CORPUS / "expected.txt").read_text().splitlines()]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from derive import cli

    out = tmp_path_factory.mktemp("existing")
    assert cli.main(["build", "--no-pdf", "--out", str(out)]) == 0
    return out


def test_corpus_is_large_and_complete():
    assert len(EXPECTED) >= 40
    assert sorted(name for name, _ in EXPECTED) == sorted(p.name for p in CORPUS.glob("*.toml"))


@pytest.mark.parametrize(("name", "pattern"), EXPECTED, ids=[name for name, _ in EXPECTED])
def test_bad_config_one_line_exit_2_outputs_untouched(name, pattern, built, run):
    before = snapshot(built)
    code, out, err = run("build", "--no-pdf", "--config", str(CORPUS / name), "--out", str(built))
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("derive: "), err
    assert re.search(pattern, lines[0][len("derive: "):]), lines[0]
    assert snapshot(built) == before


@pytest.mark.parametrize("target", ["missing.toml", "."])
def test_missing_file_and_directory(target, built, run, tmp_path):
    path = tmp_path / target
    code, _, err = run("check", "--config", str(path))
    assert code == 2
    assert err.count("\n") == 1 and ("no such config file" in err or "is a directory" in err)


def test_real_process_prints_no_traceback(built):
    for name in ("tensor_ragged.toml", "non_utf8.toml", "broken_toml.toml"):
        done = subprocess.run([sys.executable, "-m", "derive", "build", "--no-pdf", "--config", str(CORPUS / name),
                               "--out", str(built)], capture_output=True, text=True)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


HOSTILE = [
    r"\input{/etc/passwd}", "^^5cinput^^7b/etc/hostname^^7d", r"\immediate\write18{touch${IFS}/tmp/derive-pwned}",
    r"\catcode`\%=12", r"\openout1=/tmp/derive-pwned.tex", "{unbalanced", "}}", "%comment", "~tilde", "#hash",
    "$math$", "a&b", "under_score", "back\\slash", "a--b", "<<x>>", "``q''", '"dq"', "!`", "a|b",
    "café", "Über", "α",
]


def _hostile_config(write_config) -> Path:
    lines = "\n".join(f"{_toml_string(w)} = -4" for w in HOSTILE)
    title = _toml_string(TITLE)
    return write_config(f"[document]\ntitle = {title}\n[decoding]\nsteps = 1\nbeam_width = 3\n"
                        f"[decoding.tree]\n{lines}\n")


TITLE = r"Key \input{/etc/passwd} 100% #1 ~ é"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def compilations(monkeypatch) -> list:
    """Every Compiled a build produces (streamed or not), in order."""
    seen: list = []
    real_finish, real_compile = latex_compile.Stream.finish, latex_compile.compile_pdf

    def finish(self, source):
        seen.append(real_finish(self, source))
        return seen[-1]

    def compile_pdf(source, *args, **kwargs):
        seen.append(real_compile(source, *args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(latex_compile.Stream, "finish", finish)
    monkeypatch.setattr(latex_compile, "compile_pdf", compile_pdf)  # Stream.finish's fallback
    return seen


@needs_tex
@pytest.mark.e2e
def test_hostile_words_appear_literally_and_nothing_outside_is_touched(write_config, run, tmp_path, compilations):
    for leftover in ("/tmp/derive-pwned", "/tmp/derive-pwned.tex"):
        Path(leftover).unlink(missing_ok=True)
    code, _, err = run("build", "--config", str(_hostile_config(write_config)), "--out", str(tmp_path))
    assert code == 0, err
    text = subprocess.run(["pdftotext", str(tmp_path / "solutions.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    for word in HOSTILE:
        assert word in text, word
    assert TITLE in text
    assert "root:" not in text
    info = subprocess.run(["pdfinfo", str(tmp_path / "solutions.pdf")], capture_output=True, text=True,
                          check=True).stdout
    assert f"Title:           {TITLE}\n" in info and "Subject:         Verified solutions" in info  # the metadata too
    compiled = compilations[-1]
    tex_trees = ("/usr/share/texlive/", "/usr/share/texmf/", "/var/lib/texmf/", "/etc/texmf/", "/usr/share/fonts/")
    # and the precompiled preamble (derive/latex/precompiled.py), in derive's cache folder
    formats = re.compile(re.escape(str(cache.folder().resolve())) + r"/preamble-[0-9a-f]{64}-[0-9a-f]{16}\.fmt")
    assert any(formats.fullmatch(path) for path in compiled.files_read)
    for path in compiled.files_read:
        assert path.startswith(compiled.folder) or path.startswith(tex_trees) or formats.fullmatch(path), path
    assert all(path.startswith(compiled.folder) for path in compiled.files_written)
    assert not Path("/tmp/derive-pwned").exists() and not Path("/tmp/derive-pwned.tex").exists()


@needs_tex
@pytest.mark.e2e
def test_the_pdf_metadata_comes_from_the_config(write_config, run, tmp_path):
    config = write_config('[document]\ntitle = "Quiz 3: #1 & 50%"\nvariant_id = "ana_b@x.org"\n')
    code, _, err = run("build", "--sheet", "both", "--config", str(config), "--out", str(tmp_path))
    assert code == 0, err
    for name, subject, kind in (("solutions.pdf", "Verified solutions", "answer key"),
                                ("questions.pdf", "Question sheet", "questions")):
        info = subprocess.run(["pdfinfo", str(tmp_path / name)], capture_output=True, text=True, check=True).stdout
        assert "Title:           Quiz 3: #1 & 50%\n" in info
        assert f"Subject:         {subject}\n" in info
        assert f"Keywords:        derive, {kind}, variant ana_b@x.org\n" in info


@needs_tex
@pytest.mark.parametrize("attack", [r"\input{/etc/hostname}", r"\input{../../../../etc/hostname}"])
def test_hardened_compile_refuses_to_read_outside(attack):
    source = "\\documentclass{article}\n\\begin{document}\n" + attack + "\n\\end{document}\n"
    with pytest.raises(LatexError, match=r"solutions\.tex:3: .*hostname"):
        latex_compile.compile_pdf(source)


@needs_tex
def test_passes_repeat_until_the_references_settle():
    source = ("\\documentclass{article}\n\\begin{document}\nsee section~\\ref{last}.\n"
              "\\section{Last}\\label{last}\n\\end{document}\n")
    compiled = latex_compile.compile_pdf(source)
    text = subprocess.run(["pdftotext", "-", "-"], input=compiled.pdf, capture_output=True, check=True).stdout
    assert b"see section 1." in text and b"??" not in text
    assert compiled.passes == 2
    again = latex_compile.compile_pdf(source, state=compiled.state)
    assert again.passes == 1 and again.pdf == compiled.pdf


@needs_tex
def test_a_streamed_compilation_gives_the_bytes_of_a_plain_one(tmp_path, monkeypatch):
    source = ("\\documentclass{article}\n\\begin{document}\nsee section~\\ref{last}.\n"
              "\\section{Last}\\label{last}\n\\end{document}\n")
    plain = latex_compile.compile_pdf(source)
    with latex_compile.Stream() as stream:
        for line in source.splitlines(keepends=True):
            stream.feed(line)
        streamed = stream.finish(source)
    assert (streamed.pdf, streamed.passes, streamed.state) == (plain.pdf, plain.passes, plain.state)
    with latex_compile.Stream() as stream:
        stream.feed(source[:40])
        with pytest.raises(ValueError, match="differs"):
            stream.finish(source)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with latex_compile.Stream() as stream:  # abandoned half-way: pdflatex stopped, folder removed
        stream.feed(source[:40])
        proc = stream._proc
    assert proc.poll() is not None and not any(tmp_path.iterdir())


@needs_tex
def test_a_stream_keeps_what_it_is_fed_until_pdflatex_opens_its_source(monkeypatch):
    """feed() never waits for pdflatex to open the FIFO: while it has not (ENXIO), the pieces wait
    for the next feed or finish(), and the PDF is the same."""
    source = "\\documentclass{article}\n\\begin{document}\none\n\ntwo\n\\end{document}\n"
    plain = latex_compile.compile_pdf(source)
    real_open, refused = os.open, []

    def not_yet(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & os.O_WRONLY and len(refused) < 2:
            refused.append(path)
            raise OSError(errno.ENXIO, "no reader yet")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(latex_compile.os, "open", not_yet)
    pieces = source.splitlines(keepends=True)
    with latex_compile.Stream() as stream:
        stream.feed(pieces[0])
        stream.feed(pieces[1])
        assert stream._fd is None and stream._unsent == pieces[:2]  # not sent, not waited for
        for piece in pieces[2:]:
            stream.feed(piece)
        streamed = stream.finish(source)
    assert len(refused) == 2 and streamed.pdf == plain.pdf


def _sections(contents: str) -> str:
    return ("\\documentclass{article}\n\\usepackage{hyperref}\n\\begin{document}\n" + contents
            + "\\section{One}one\n\\newpage\\section{Two}two\n\\end{document}\n")


@needs_tex
@pytest.mark.parametrize("contents", ["", "\\tableofcontents\n"])
def test_toc_lines_of_another_layout_settle_only_where_no_table_of_contents_reads_them(contents):
    """A state whose only difference is the page of a section's toc line (another variant's
    layout): settled in one pass where nothing reads the table of contents, compiled again where
    \\tableofcontents prints it; the bytes are a compilation from nothing's either way."""
    source = _sections(contents)
    plain = latex_compile.compile_pdf(source)
    aux = plain.state[".aux"]
    moved = aux.replace(b"{2}{section.2}", b"{7}{section.2}")
    assert moved != aux
    seeded = latex_compile.compile_pdf(source, state={**plain.state, ".aux": moved})
    assert seeded.pdf == plain.pdf and seeded.state == plain.state
    assert seeded.passes == (2 if contents else 1)
    assert latex_compile.toc_free(source) is not bool(contents)


@needs_tex
def test_a_pass_that_ends_as_its_timer_fires_is_not_a_timeout(monkeypatch):
    """The deadline's timer firing between the pass's end and its cancellation (a race at the
    deadline): the pass ended on its own, with success, so it is not reported as timed out."""

    class LateTimer:
        def __init__(self, interval, function):  # type: ignore[no-untyped-def]
            self.function = function

        def start(self) -> None:
            return None

        def cancel(self) -> None:
            self.function()  # fires just now, after proc.wait() returned

    monkeypatch.setattr(latex_compile.threading, "Timer", LateTimer)
    compiled = latex_compile.compile_pdf("\\documentclass{article}\n\\begin{document}\nx\n\\end{document}\n")
    assert compiled.pdf.startswith(b"%PDF")


@needs_tex
def test_a_compilation_past_its_timeout_is_stopped():
    source = "\\documentclass{article}\n\\begin{document}\n\\loop\\iftrue\\repeat\n\\end{document}\n"
    with pytest.raises(LatexError, match=r"^LaTeX did not finish within 1 s$"):
        latex_compile.compile_pdf(source, timeout=1)


@needs_tex
def test_without_fifos_a_stream_compiles_the_finished_source(monkeypatch):
    monkeypatch.setattr(latex_compile, "STREAMING", False)
    source = "\\documentclass{article}\n\\begin{document}\nplain\n\\end{document}\n"
    with latex_compile.Stream() as stream:
        stream.feed(source)
        compiled = stream.finish(source)
    assert compiled.pdf == latex_compile.compile_pdf(source).pdf and compiled.passes == 2


@needs_tex
def test_a_stream_never_waits_past_its_timeout_on_a_stuck_pdflatex():
    """TeX loops while derive still has 3 MB to write, more than the FIFO holds."""
    source = ("\\documentclass{article}\n\\begin{document}\n\\loop\\iftrue\\repeat\n"
              + ("x" * 100 + "\n") * 30_000 + "\\end{document}\n")
    start = time.monotonic()
    with latex_compile.Stream(timeout=1) as stream:
        stream.feed(source)
        with pytest.raises(LatexError, match=r"^LaTeX did not finish within 1 s$"):
            stream.finish(source)
    assert time.monotonic() - start < 10


@needs_tex
def test_references_that_never_settle_stop_after_the_last_pass():
    source = ("\\documentclass{article}\n\\makeatletter\\providecommand\\prev{0}\n"
              "\\AtEndDocument{\\immediate\\write\\@auxout{\\gdef\\string\\prev{\\the\\numexpr\\prev+1}}}\n"
              "\\makeatother\n\\begin{document}\n\\prev\n\\end{document}\n")
    with pytest.raises(LatexError, match=r"still changing after 5 passes$"):
        latex_compile.compile_pdf(source)


@needs_tex
def test_hardened_compile_runs_no_shell(tmp_path):
    marker = tmp_path / "ran"
    source = ("\\documentclass{article}\n\\begin{document}\n\\immediate\\write18{touch " + str(marker) + "}\nx\n"
              "\\end{document}\n")
    latex_compile.compile_pdf(source)
    assert not marker.exists()


@needs_tex
@pytest.mark.e2e
def test_two_builds_are_byte_identical(run, tmp_path):
    a, b = tmp_path / "a", tmp_path / "deeper" / "b"
    assert run("build", "--out", str(a))[0] == 0
    assert run("build", "--out", str(b))[0] == 0
    assert snapshot(a) == snapshot(b)
    assert sorted(snapshot(a)) == [".derive-origins.json", ".latex/solutions.aux", ".latex/solutions.out",
                                   "answers.json", "overleaf.zip", "solutions.pdf", "solutions.tex"]


@needs_tex
@pytest.mark.e2e
def test_a_build_starts_from_the_last_ones_latex_state_and_gives_the_same_bytes(write_config, run, tmp_path,
                                                                                 compilations, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))  # no settled state of earlier tests' builds
    kept, fresh = tmp_path / "kept", tmp_path / "fresh"
    variant = write_config('[document]\ntitle = "A variant"\n[lora]\nr = 4\n')
    assert run("build", "--out", str(kept))[0] == 0
    assert run("build", "--out", str(kept), "--config", str(variant))[0] == 0
    assert run("build", "--out", str(fresh), "--config", str(variant))[0] == 0
    assert [c.passes for c in compilations] == [2, 1, 2]  # cold, from the kept state, cold
    assert snapshot(kept) == snapshot(fresh)
    (kept / ".latex" / "solutions.aux").write_text("\\undefinedmacro\n")  # damaged: costs a pass, not the build
    (kept / ".latex" / "solutions.out").write_bytes(b"\xff" * 10)
    assert run("build", "--out", str(kept), "--config", str(variant))[0] == 0
    assert snapshot(kept) == snapshot(fresh)


def test_missing_pdflatex_one_line_and_outputs_untouched(built, run, monkeypatch):
    before = snapshot(built)
    monkeypatch.setattr(latex_compile.shutil, "which", lambda name: None)
    code, _, err = run("build", "--out", str(built))
    assert code == 1
    assert err.splitlines()[-1].startswith("derive: pdflatex not found: install texlive-latex-base")
    assert "MiKTeX" in err and "MacTeX" in err
    assert "--no-pdf" in err.splitlines()[-1]
    assert snapshot(built) == before


@needs_tex
@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_interrupted_build_leaves_outputs_intact(sig, built, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, data in snapshot(built).items():
        (out / name).write_bytes(data)
    before = snapshot(out)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "derive", "build", "--out", str(out)],
                            env={**os.environ, "TMPDIR": str(scratch)}, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not any(scratch.glob("derive-latex-*/*.log")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the build ended before LaTeX started"
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    if sig != signal.SIGKILL:
        expected = ("interrupted" if sig == signal.SIGINT else f"ended by {sig.name}")
        assert err.splitlines()[-1] == f"derive: {expected}; earlier outputs are unchanged"
        assert proc.returncode == (130 if sig == signal.SIGINT else 128 + sig)
        assert "Traceback" not in err
        assert not any(scratch.iterdir())  # the temporary LaTeX folder was removed
    assert snapshot(out) == before  # no new, partial or temporary file in the output folder


def test_stress_script_checks_generated_variants_in_worker_processes():
    done = subprocess.run([sys.executable, "scripts/stress.py", "--count", "6", "--workers", "2"],
                          cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "6 passed, 0 failed"
