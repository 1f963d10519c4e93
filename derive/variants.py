"""`derive variants`: per-student variants of the assignment, each built and checked like the main document.

The pipeline: ids (numbered, or a roster's) -> a seed per id -> for each question that varies,
draws until the required properties hold on its derived answer -> the variant's config.toml
-> both sheets and answers.json, produced by the same code as `derive build` -> the one
output folder, then key.jsonl, key.json, key.csv and report.json. Each variant is an independent
job submitted to a `concurrent.futures.Executor` (processes here, a Dask cluster with --dask);
jobs return bytes, and only this process writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from derive import config as cfg
from derive import outputs as outputs_
from derive import portable
from derive.build import latex_state_files, produce
from derive.errors import CheckFailed, ConfigError, DeriveError, Interrupted, UsageError
from derive.grading.blank import blank
from derive.keys import KEY_FILES, Spool, as_text, write_json_list, write_key_csv
from derive.latex.compile import State
from derive.latex.render import environment
from derive.printing import ALL_SHEETS, all_sheets
from derive.progress import on_terminal, track
from derive.questions.registry import QUESTIONS
from derive.roster import Student
from derive.sheet import default_title
from derive.tomlwrite import to_toml
from derive.variants_spec import VariantsSpec, question_keys, requirements

Progress = Callable[[str], None]
HTML_FILES = ("questions.html", "solutions.html")
VARIANT_FILES = ("questions.tex", "questions.pdf", "solutions.tex", "solutions.pdf", "answers.json", *HTML_FILES)
IN_FLIGHT = 64  # variants submitted and not yet written: the most this process holds at once
LOCK = ".derive-variants.lock"


def variant_seed(base_seed: int, variant_id: str) -> int:
    """From the base seed and the id alone: adding a student changes no one else's variant. 64
    bits (the first 8 bytes of a SHA-256): two ids of the largest roster share a seed with a
    probability under 10^-9 (32 bits gave two of 100,000 ids the same variant)."""
    digest = hashlib.sha256(f"{base_seed}/{variant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")


def variant_title(base_title: str, variant_id: str) -> str:
    if base_title == default_title():
        return f"Assignment 2, theoretical part: variant {variant_id}"
    suffix = f" (variant {variant_id})"
    return base_title[: 200 - len(suffix)] + suffix


@dataclass(frozen=True)
class Job:
    """Everything one variant needs, picklable: it may run on another machine."""

    variant_id: str
    seed: int
    base: dict[str, Any]  # the base config's raw tables, every section present
    spec: VariantsSpec
    pdf: bool
    folder: str = ""  # the variant's folder, when not named by its id (a roster's e-mail address)
    name: str = ""  # the student's, from the roster: the question sheet's name line prints it
    html: bool = False  # also questions.html and solutions.html


@dataclass(frozen=True)
class Outcome:
    variant_id: str
    seed: int
    config_text: str = ""
    draws: dict[str, int] = field(default_factory=dict)
    properties: dict[str, bool] = field(default_factory=dict)  # each required one, proved on the final config
    files: dict[str, bytes] = field(default_factory=dict)
    states: dict[str, dict[str, bytes]] = field(default_factory=dict)
    error: str = ""
    exit_code: int = 0


def _required(spec: VariantsSpec, question: str) -> list[str]:
    return [name for name in spec.require if name in QUESTIONS[question].properties]


def proved(config: cfg.Config, question: str, names: list[str], spec: VariantsSpec) -> dict[str, bool]:
    """Derive this question's answer and test each named property on it."""
    return holding(question, QUESTIONS[question].derive(config), names, spec) if names else {}


def holding(question: str, answer: Any, names: list[str], spec: VariantsSpec) -> dict[str, bool]:
    """Each named property of the question tested on its answer."""
    return {name: bool(QUESTIONS[question].properties[name].holds(answer, spec)) for name in names}


def _holds(config: cfg.Config, question: str, names: list[str], spec: VariantsSpec) -> bool:
    return all(proved(config, question, names, spec).values()) if names else True


def draw(job: Job) -> tuple[str, dict[str, int]]:
    """The variant's config.toml, and how many draws each varying question took.

    Question q's k-th draw uses its own generator, seeded by (variant seed, q, k): redrawing
    one question leaves the others as they were.
    """
    defaults = cfg.parse_toml(cfg.default_text(), "default.toml")
    raw = dict(job.base)
    raw["document"] = {"title": variant_title(cfg.from_dict(job.base, defaults).document.title, job.variant_id),
                       "variant_id": job.variant_id} | ({"student_name": job.name} if job.name else {})
    raw.pop("variants", None)
    draws: dict[str, int] = {}
    base = cfg.from_dict(raw, defaults)  # a draw reads the table it changed into this (cfg.with_table)
    for question in question_keys():
        names = _required(job.spec, question)
        if question not in job.spec.vary:
            if not _holds(base, question, names, job.spec):
                raise ConfigError("variants.require", f"{', '.join(names)}: does not hold for the base config's "
                                  f"[{question}], which does not vary (see variants.vary)")
            continue
        for k in range(job.spec.max_draws):
            raw[question] = QUESTIONS[question].randomize(random.Random(f"{job.seed}/{question}/{k}"), job.spec)
            if _holds(cfg.with_table(base, question, raw[question], defaults), question, names, job.spec):
                draws[question] = k + 1
                break
        else:
            raise ConfigError("variants.require", f"{', '.join(names)}: did not hold in {job.spec.max_draws} draws "
                              f"of [{question}] for variant {job.variant_id}; widen [variants.{question}] or "
                              "raise variants.max_draws")
    folder = job.folder or job.variant_id
    header = (f"# Variant {job.variant_id} (seed {job.seed}), drawn by `derive variants`. Rebuild its files with\n"
              f"# derive build --sheet both --config {folder}/config.toml --out {folder}\n")
    return header + to_toml({k: raw[k] for k in cfg.table_names() if k in raw}), draws


# One variant at a time per process: the checks set mpmath's precision, a process-wide global
# (two variants in threads of one Dask worker failed a 50-digit check this way).
_ONE_AT_A_TIME = threading.Lock()
# LaTeX's state (aux file, outline) of the last variant this process compiled, per document. A
# variant starts from it: where it matches (same page numbers) one pass is enough; where it does
# not, further passes settle the same aux file a fresh folder reaches, so the bytes are the same.
_LAST_STATE: dict[str, State] = {}


def make_variant(job: Job) -> Outcome:
    """Draw, then build both sheets from the config.toml text, as `derive build` would read it."""
    with _ONE_AT_A_TIME:
        return _make_variant(job)


def _make_variant(job: Job) -> Outcome:
    try:
        text, draws = draw(job)
        config = cfg.from_dict(cfg.parse_toml(text, f"{job.variant_id}/config.toml"),
                               cfg.parse_toml(cfg.default_text(), "default.toml"))
        produced = produce(config, ("questions", "solutions"), job.pdf, state=dict(_LAST_STATE), html=job.html)
        _LAST_STATE.update(produced.states)
        held: dict[str, bool] = {}
        for question in question_keys():  # on the answers the build published from the written config
            held |= holding(question, produced.answers[question], _required(job.spec, question), job.spec)
        if not all(held.values()):  # the draw proved them on the same tables: a bug if not
            failed = ", ".join(name for name, ok in held.items() if not ok)
            raise CheckFailed(f"required properties do not hold on the written config: {failed}")
    except DeriveError as exc:
        return Outcome(job.variant_id, job.seed, error=str(exc), exit_code=exc.exit_code)
    files = {name: data for name, data in produced.files.items() if name in VARIANT_FILES}
    return Outcome(job.variant_id, job.seed, text, draws, held, files, produced.states)


def base_tables(path: Path | None) -> dict[str, Any]:
    """The base config's raw tables (validated by loading it), each missing one from the defaults."""
    cfg.load(path)
    defaults = cfg.parse_toml(cfg.default_text(), "default.toml")
    raw = defaults if path is None else cfg.parse_toml(path.read_text(encoding="utf-8"), str(path))
    return {name: raw.get(name, defaults.get(name, {})) for name in cfg.table_names()}


def run(ids: Sequence[str | Student], base_seed: int, base: Path | None, out: Path, executor: Executor,
        pdf: bool = True, progress: Progress | None = None, html: bool = False) -> Summary:
    """Every variant through the executor; each written as it arrives; then the keys and the report.

    `ids`: the variants' ids, or a roster's students (an id, its folder, a name, other columns).
    A failed variant is reported by id and leaves the others whole; the keys list the variants
    that were built. Raises after writing when any failed. One run at a time per folder; the
    keys of an earlier run are removed before any variant folder is rewritten, and the new ones
    written at the end, so keys never describe folders another run wrote. This process holds
    at most IN_FLIGHT variants' files, and one key entry at a time.
    """
    students = {s.id: s for s in (i if isinstance(i, Student) else Student(i, i) for i in ids)}
    spec = cfg.load(base).variants
    tables = base_tables(base)
    warm(spec)
    jobs = (Job(i, variant_seed(base_seed, i), tables, spec, pdf, s.folder, s.name, html)
            for i, s in students.items())
    built: list[str] = []
    failed: list[Outcome] = []
    with _one_run(out), Spool(out) as keys, Spool(out) as rows:
        outputs_.commit(out, {}, remove=[*KEY_FILES, "report.json", ALL_SHEETS])
        try:
            bar = progress is not None and on_terminal()  # a bar on a terminal, a line per variant elsewhere
            outcomes = _outcomes(jobs, executor)
            for outcome in track(outcomes, len(students), "variants", unit="variants") if bar else outcomes:
                portable.raise_if_signalled()
                if outcome.error:
                    failed.append(outcome)
                    _say(progress, f"variant {outcome.variant_id} failed: {outcome.error}")
                    continue
                student = students[outcome.variant_id]
                _write_variant(out / student.folder, outcome)
                answers = json.loads(outcome.files["answers.json"])
                keys.add({"id": outcome.variant_id, "seed": outcome.seed, "folder": student.folder}
                         | ({"roster": dict(student.columns)} if student.columns else {}) | {"answers": answers})
                rows.add(report_row(outcome, answers, spec))
                built.append(outcome.variant_id)
                if not bar:
                    drew = ", ".join(f"{q} {n}" for q, n in outcome.draws.items())
                    _say(progress, f"variant {outcome.variant_id} written (draws: {drew}; required properties "
                         f"held: {', '.join(spec.require) or 'none'})")
            portable.raise_if_signalled()
        except KeyboardInterrupt:
            raise Stopped(signal.SIGINT, len(built)) from None
        except Interrupted as exc:
            raise Stopped(exc.exit_code - 128, len(built)) from None
        outputs_.commit(out, {"key.jsonl": keys.copy_to,
                              "key.json": as_text(lambda f: write_json_list(f, keys)),
                              "key.csv": as_text(lambda f: write_key_csv(f, lambda: keys)),
                              "report.json": as_text(lambda f: write_json_list(f, rows))}, remove=[])
    if pdf and built:  # the sheets of this run's variants, in roster order, for printing
        sheets = [(i, (out / students[i].folder / "questions.pdf").read_bytes()) for i in built]
        outputs_.commit(out, {ALL_SHEETS: all_sheets(sheets)}, remove=[])
    if failed:
        first = failed[0]
        others = ", ".join(o.variant_id for o in failed[1:])
        more = f" (and {len(failed) - 1} more: {others})" if others else ""
        if first.exit_code == 2:
            raise ConfigError(f"variant {first.variant_id}", first.error + more)
        raise CheckFailed(f"variant {first.variant_id}: {first.error}{more}")
    return Summary(tuple(built))


@dataclass(frozen=True)
class Summary:
    built: tuple[str, ...]  # the ids of the variants written, in order


class Stopped(Interrupted):
    """An ending signal stopped the batch: the variants written so far are whole, and there are
    no keys (an earlier run's were removed first), so nothing lists a folder it does not match."""

    def __init__(self, signum: int, written: int) -> None:
        super().__init__(signum)
        self.args = (f"ended by {signal.Signals(signum).name}; {written} variant folders written, no keys "
                     "(they are written at the end): run the command again",)


def _outcomes(jobs: Iterator[Job], executor: Executor) -> Iterator[Outcome]:
    """Each job's outcome in job order (what is written is timing-free), with at most IN_FLIGHT
    jobs submitted and not yet handed over: the next is submitted as one is handed over."""
    pending: deque[tuple[Job, Future[Outcome]]] = deque()

    def submit_next() -> None:
        job = next(jobs, None)
        if job is not None:
            pending.append((job, executor.submit(make_variant, job)))

    for _ in range(IN_FLIGHT):
        submit_next()
    while pending:
        job, future = pending.popleft()
        try:
            outcome = future.result()
        except Interrupted:  # a signal to this process, raised while it waited
            raise
        except Exception as exc:  # a crashed job (a lost worker, a bug): reported by id like a failed one
            outcome = Outcome(job.variant_id, job.seed, error=f"crashed: {exc!r}", exit_code=1)
        del future
        submit_next()
        yield outcome


@contextlib.contextmanager
def _one_run(out: Path) -> Iterator[None]:
    """An exclusive lock on OUT/.derive-variants.lock for the whole run (released when the
    process ends, however): a second run into the folder stops at once with one line
    (derive/portable.py: flock, or msvcrt where fcntl does not exist)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write ({exc.strerror})") from None
    try:
        if not portable.try_lock(fd):
            raise UsageError(f"--out {out}: another `derive variants` is writing into this folder (it holds "
                             f"{LOCK}); wait for it to end, or choose another --out")
        yield
    finally:
        os.close(fd)


def warm(spec: VariantsSpec) -> None:
    """The derivations that do not depend on the data, once here: workers forked after this
    inherit them (each process computes them at most once anyway; see their caches)."""
    for q in QUESTIONS:
        q.warm(spec)
    templates = environment()
    for name in templates.list_templates(filter_func=lambda name: name.endswith(".tex.j2")):
        templates.get_template(name)  # compiled here, not once in each worker


def _write_variant(folder: Path, outcome: Outcome) -> None:
    stale = [name for name in VARIANT_FILES if name not in outcome.files]  # built without PDFs or --html
    files = {"config.toml": outcome.config_text.encode("utf-8"),
             "submission.toml": blank(json.loads(outcome.files["answers.json"])).encode("utf-8")}
    files |= outcome.files | latex_state_files(outcome.states)
    outputs_.commit(folder, files, remove=stale)


def report_row(outcome: Outcome, answers: dict[str, Any], spec: VariantsSpec) -> dict[str, Any]:
    """report.json's entry of a variant: the draws each question took, each required property
    (proved on its answer), and its checks."""
    declared = requirements()
    return {
        "id": outcome.variant_id, "seed": outcome.seed, "draws": outcome.draws,
        "properties": [{"name": n, "question": declared[n].question, "description": declared[n].description,
                        "held": outcome.properties[n]} for n in spec.require],
        "checks_passed": sum(c["passed"] for c in answers["checks"]),
        "checks_skipped": len(answers["skipped_checks"]),
    }


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)
