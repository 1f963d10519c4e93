"""The pipeline, top to bottom: config -> answers -> checks -> LaTeX -> PDF -> outputs."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derive import certify, origins
from derive import outputs as outputs_
from derive.answer import Check, Skipped
from derive.config import Config, load
from derive.document_view import AppendixView, appendix_view, head_view
from derive.errors import CheckFailed
from derive.latex import settled
from derive.latex.compile import STATE_SUFFIXES, Compiled, State, Stream, compile_pdf
from derive.latex.render import render
from derive.parallel import TorchWorker
from derive.portable import raise_if_signalled
from derive.published import dumps, publish
from derive.questions.base import Question
from derive.questions.registry import QUESTIONS
from derive.sheet import sheet_source
from derive.solved import Solved
from derive.verify import TorchJob, no_torch, torch_installed
from derive.version import __version__

Progress = Callable[[str], None]
LATEX_STATE = ".latex"  # in the output folder: LaTeX's aux files of the last PDF, to start the next from


def _quiet(_: str) -> None:
    return None


def solve(config: Config, progress: Progress = _quiet, worker: TorchWorker | None = None,
          derived: Callable[[str], None] | None = None) -> Solved:
    """Derive every question's answer from the config, publish the answers, then run every
    check on what was published.

    Each answer is typeset as soon as it exists (`derived` sees each question's section: the
    build streams it to pdflatex). The answers are then serialized as answers.json has them and
    parsed back: the checks certify those parsed sections, and the boxed answers of the typeset
    sections are compared with them. The PyTorch cross-checks go to a worker process that
    imports PyTorch during the derivations and runs each question's jobs while the next question
    is checked here. The `derive` command passes a worker it started before importing SymPy;
    without one, solve starts its own.
    """
    if worker is None:
        with TorchWorker() as own:
            return solve(config, progress, own, derived)
    pytorch = torch_installed()
    answers: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for q in QUESTIONS:
        raise_if_signalled()  # an ending signal whose exception a library's handler swallowed
        progress(f"deriving question {q.number} ({q.title.lower()})")
        answers[q.key] = q.derive(config)
        sources[q.key] = question_source(q, answers[q.key], pytorch)
        if derived is not None:
            derived(sources[q.key])
    published = publish({q.key: q.as_json(answers[q.key]) for q in QUESTIONS})
    results: list[Check | Skipped] = []
    for q in QUESTIONS:
        raise_if_signalled()
        progress(f"checking question {q.number}")
        planned = q.plan(answers[q.key], config, published[q.key])
        worker.submit([p for p in planned if isinstance(p, TorchJob)])
        results += [p for p in planned if not isinstance(p, TorchJob)]
        results += certify.boxed_checks(q, published, sources[q.key])
    results += worker.results()
    results.sort(key=lambda c: QUESTIONS.position(c.question))  # stable: each question's checks together
    return Solved(config, answers, published, [c for c in results if isinstance(c, Check)],
                  [c for c in results if isinstance(c, Skipped)], pytorch)


def failures(solved: Solved) -> list[Check]:
    return [c for c in solved.checks if not c.passed]


def answer_fields(solved: Solved) -> list[str]:
    """The dotted path of every answer field of answers.json (a list is one field)."""
    return certify.answer_fields(solved.published)


def uncertified(solved: Solved) -> list[str]:
    """The answer fields that no passed check certifies (a check certifying `a.b` covers `a.b.c`)."""
    return certify.uncertified(solved.published, solved.checks)


def answers_json(solved: Solved) -> str:
    """answers.json: the sections the checks certified, as they parsed, then the checks. Its text
    is parsed once more and must hold exactly those sections, or the build fails."""
    data: dict[str, Any] = {"derive_version": __version__, **solved.published}
    data["checks"] = [c.as_json() for c in solved.checks]
    data["skipped_checks"] = [s.as_json() for s in solved.skipped]
    text = dumps(data)
    if not certify.same_sections(json.loads(text), solved.published, QUESTIONS.keys()):
        raise CheckFailed("answers.json as written does not hold the answers its checks certified")
    return text


# The document in the order it is written: the head (preamble, title, introduction) needs only
# the config, each question only its answer, the tail (verification appendix, references) the
# checks. A PDF build hands each part to pdflatex as soon as it exists.
def preamble_source() -> str:
    """The preamble both sheets begin with (templates/preamble.tex.j2): pdflatex starts from a
    format holding it (derive/latex/precompiled.py)."""
    return render("preamble.tex.j2")


def head_source(config: Config) -> str:
    return render("head.tex.j2", v=head_view(config.document.title, __version__, config.document.variant_id))


def question_source(q: Question[Any, Any, Any], answer: Any, pytorch: bool) -> str:
    """A question's section. `pytorch`: whether its PyTorch checks run, known before they do
    (the section is typeset first); the prose names only checks that run."""
    return render(q.solutions_template, heading=q.heading(), v=q.view(answer, pytorch))


def appendix(solved: Solved) -> AppendixView:
    return appendix_view(solved.checks, solved.skipped, len(answer_fields(solved)), uncertified(solved))


def tail_source(solved: Solved) -> str:
    return "\n" + render("tail.tex.j2", v=appendix(solved))


def latex_source(solved: Solved) -> str:
    questions = [question_source(q, solved.answers[q.key], not solved.skipped) for q in QUESTIONS]
    return head_source(solved.config) + "".join(questions) + tail_source(solved)


def overleaf_zip(source: str) -> bytes:
    """main.tex at the root; fixed timestamps and order, so the bytes are stable."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("main.tex", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, source.encode("utf-8"))
    return buffer.getvalue()


def check_failed_message(failed: list[Check]) -> str:
    first = failed[0]
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return (f"check failed: question {first.question}, {first.name} ({first.method}): "
            f"max error {first.max_error:.3g} > tolerance {first.tolerance:.3g}{more}")


def unrun_message(skipped: list[Skipped]) -> str:
    first = skipped[0]
    return (f"PyTorch is installed but its checks did not run: question {first.question}, {first.name}: "
            f"{first.reason}; the document would name checks that did not run")


SHEETS = {"solutions": ("solutions",), "questions": ("questions",), "both": ("questions", "solutions")}


@dataclass(frozen=True)
class Produced:
    """One build's files (name -> bytes), LaTeX's state per compiled document (stem -> State), and
    the answers the solutions published (question key -> answer; none without the solutions)."""

    files: dict[str, bytes]
    states: dict[str, State]
    answers: dict[str, Any] = field(default_factory=dict)


def build(config_path: Path | None, out_dir: Path, pdf: bool = True, progress: Progress = _quiet,
          worker: TorchWorker | None = None, sheet: str = "solutions", html: bool = False) -> dict[str, Path]:
    """Build every output of the chosen sheets; write them only when everything succeeded."""
    config = load(config_path)  # bad input fails here, before any progress line
    outputs_.check_out_dir(out_dir)
    origin = origins.identity(config)
    produced = produce(config, SHEETS[sheet], pdf, progress, worker, read_latex_state(out_dir), html, origin)
    progress(f"writing {', '.join(produced.files)} to {out_dir}")
    stale = [name for stem in SHEETS[sheet] for name in (f"{stem}.pdf", f"{stem}.html")
             if name not in produced.files]  # not built this time: they would no longer match the .tex
    recorded, writing = origins.read(out_dir), set(produced.files)
    others = origins.left_by_others(out_dir, recorded, origin, writing)
    if others:
        progress(f"removing {', '.join(others)} (built from another config)")
    record = {origins.ORIGINS: origins.record(recorded, origin, writing, stale + others)}
    written = outputs_.commit(out_dir, produced.files | latex_state_files(produced.states) | record,
                              remove=stale + others)
    return {name: path for name, path in written.items() if name in produced.files}


def latex_state_files(states: dict[str, State]) -> dict[str, bytes]:
    """LaTeX's state per document as files of the output folder's .latex/."""
    return {f"{LATEX_STATE}/{stem}{suffix}": data for stem, state in states.items() for suffix, data in state.items()}


def produce(config: Config, sheets: tuple[str, ...], pdf: bool = True, progress: Progress = _quiet,
            worker: TorchWorker | None = None, state: dict[str, State] | None = None,
            html: bool = False, identity: str | None = None) -> Produced:
    """The files of the chosen sheets as bytes, nothing written: a variant job returns them.
    `identity` (origins.identity of the config): LaTeX's settled state is looked up in the cache
    folder under it and kept there (derive/latex/settled.py); None: the state given only."""
    state = state or {}
    files: dict[str, bytes] = {}
    states: dict[str, State] = {}
    answers: dict[str, Any] = {}
    if "questions" in sheets:
        progress("writing the question sheet")
        source = sheet_source(config)
        files["questions.tex"] = source.encode("utf-8")
        if html:
            from derive.html.page import questions_html

            files["questions.html"] = questions_html(config).encode("utf-8")
        if pdf:
            seed = settled.find(identity, "questions", source)
            start = seed.state if seed is not None else state.get("questions") or {}
            compiled = compile_pdf(source, "questions.tex", state=start, preamble=preamble_source())
            settled.record(identity, "questions", source, compiled.state, seed, not start)
            files["questions.pdf"], states["questions"] = compiled.pdf, compiled.state
    if "solutions" in sheets:
        solved_files, solved_state, answers = _solutions(config, pdf, progress, worker, state.get("solutions"), html,
                                                         identity)
        files |= solved_files
        if solved_state is not None:
            states["solutions"] = solved_state
    return Produced(files, states, answers)


def _solutions(config: Config, pdf: bool, progress: Progress, worker: TorchWorker | None,
               state: State | None, html: bool = False,
               identity: str | None = None) -> tuple[dict[str, bytes], State | None, dict[str, Any]]:
    """solutions.tex, answers.json, overleaf.zip (and solutions.pdf, solutions.html): typeset while derived.
    The first pass starts before the source is known: from the state settled by this config's last
    build when the cache holds one (then compiled again from nothing if the source turns out other)."""
    seed = settled.find(identity, "solutions") if pdf else None
    start = seed.state if seed is not None else state or {}
    with Stream(state=start, preamble=preamble_source()) if pdf else contextlib.nullcontext() as stream:
        if stream is not None:
            progress("typesetting while deriving (pdflatex reads the document as it is written)")
        parts: list[str] = []

        def write(text: str) -> None:
            parts.append(text)
            if stream is not None:
                stream.feed(text)

        write(head_source(config))
        solved = solve(config, progress, worker, derived=write)
        failed = failures(solved)
        if failed:
            raise CheckFailed(check_failed_message(failed))
        unrun = [s for s in solved.skipped if s.reason == no_torch()]
        if solved.pytorch and unrun:  # found, yet not importable: the prose already named its checks
            raise CheckFailed(unrun_message(unrun))
        write(tail_source(solved))
        source = "".join(parts)
        outputs: dict[str, bytes] = {
            "solutions.tex": source.encode("utf-8"),
            "answers.json": answers_json(solved).encode("utf-8"),
            "overleaf.zip": overleaf_zip(source),
        }
        if html:
            from derive.html.page import solutions_html

            outputs["solutions.html"] = solutions_html(solved, appendix(solved)).encode("utf-8")
        if stream is None:
            return outputs, None, solved.answers
        progress("finishing the PDF (pdflatex)")
        compiled: Compiled = stream.finish(source)
    fresh = settled.needs_fresh_start(seed, source)
    if fresh:
        compiled = compile_pdf(source, state={}, preamble=preamble_source())
    settled.record(identity, "solutions", source, compiled.state, None if fresh else seed, fresh or not start)
    outputs["solutions.pdf"] = compiled.pdf
    return outputs, compiled.state, solved.answers


def read_latex_state(out_dir: Path) -> dict[str, State]:
    """LaTeX's files from the previous PDF build into this folder, per document (see compile.State)."""
    folder = out_dir / LATEX_STATE
    states: dict[str, State] = {}
    for stem in ("questions", "solutions"):
        state = {}
        for suffix in STATE_SUFFIXES:
            path = folder / f"{stem}{suffix}"
            if path.is_file() and not path.is_symlink():
                state[suffix] = path.read_bytes()
        states[stem] = state
    return states
