"""`make bench`: where the time of a build goes, as medians of repeated runs.

First the paired figures (written to build/bench.json): each whole command against its anchor
in the same run, alternating (a b, b a, a b, ...) so that a change of the machine's load falls
on both; each figure is the median of the per-pair ratios. A fresh build (derive's cache warm,
as a user's is after the first build of the config), a fresh build of a config never built
before (the cache warm but for its own LaTeX state) and a cold first build (an empty cache
folder) against latexmk alone on the same overleaf.zip's main.tex in a fresh folder; a build after a config
edit into a kept folder against latexmk after the same edit in its kept folder; `derive
variants` with PDFs against the pdflatex floor (pdflatex alone on every document, as many
passes as settle it, divided by the cores); `derive variants --no-pdf` per minute against the
same with `--no-cache`.

Stages are timed cold (per-process caches cleared) in this process; whole commands in
subprocesses. The floor is latexmk alone on the produced solutions.tex in a fresh folder.
A whole build is timed twice: into a fresh folder (cold: LaTeX starts from nothing) and
after an edit (the config changes between runs into a kept folder, as in `make pdf` after
each edit: LaTeX starts from the previous build's aux file and outline).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DERIVE = str(ROOT / ".venv/bin/derive")
REPORT = ROOT / "build" / "bench.json"
STAGES: dict[str, float] = {}  # every row printed, for the report


def median(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command(args: list[str], **kwargs: Any) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(args, check=True, capture_output=True, **kwargs)

    return run


def row(label: str, seconds: float) -> None:
    STAGES[label] = round(seconds, 4)
    print(f"{label:<58} {seconds:8.3f} s", flush=True)


CPU: list[float] = []  # the CPU seconds (user + system, child processes) of each timed() call


def timed(fn: Callable[[], Any]) -> float:
    """Wall seconds of fn(); its child processes' CPU seconds go to CPU."""
    start, cpu = time.perf_counter(), children_cpu()
    fn()
    CPU.append(children_cpu() - cpu)
    return time.perf_counter() - start


def paired(name: str, measured: Callable[[int], float], anchor: Callable[[int], float], pairs: int,
           what: str, anchor_is: str) -> dict[str, Any]:
    """`pairs` runs of each, alternating which goes first; the figure is the median of the ratios
    measured / anchor of each pair (seconds; for a rate, pass its reciprocal)."""
    ours, theirs, our_cpu, their_cpu = [], [], [], []
    for i in range(pairs):
        for first in ((measured, ours, our_cpu), (anchor, theirs, their_cpu))[:: 1 if i % 2 == 0 else -1]:
            fn, times, cpus = first
            times.append(fn(i))
            cpus.append(CPU[-1])
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    cpu_ratios = [a / b for a, b in zip(our_cpu, their_cpu, strict=True)]
    figure = {"what": what, "anchor": anchor_is, "pairs": pairs, "ratio": round(statistics.median(ratios), 3),
              "ratios": [round(r, 3) for r in ratios], "seconds": [round(t, 3) for t in ours],
              "anchor_seconds": [round(t, 3) for t in theirs],
              "median_seconds": round(statistics.median(ours), 3),
              "anchor_median_seconds": round(statistics.median(theirs), 3),
              # CPU seconds of every process each side ran: less sensitive to other work on the machine
              "cpu_ratio": round(statistics.median(cpu_ratios), 3), "cpu_seconds": [round(t, 3) for t in our_cpu],
              "anchor_cpu_seconds": [round(t, 3) for t in their_cpu]}
    print(f"{name:<40} {figure['median_seconds']:8.3f} s vs {figure['anchor_median_seconds']:8.3f} s: "
          f"{figure['ratio']:.2f}x (pairs: {', '.join(f'{r:.2f}' for r in ratios)}); CPU {figure['cpu_ratio']:.2f}x",
          flush=True)
    return figure


def _run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, check=True, capture_output=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL)


def _with_cache(folder: Path) -> dict[str, str]:
    return {**os.environ, "DERIVE_CACHE_DIR": str(folder)}


def _latexmk(tex: str, folder: Path, fresh: bool) -> float:
    """latexmk alone on the document, in a fresh folder or the kept one (after an edit)."""
    from derive.latex.compile import hardened_env, latexmk_command

    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.tex").write_text(tex, encoding="utf-8")
    return timed(lambda: _run(latexmk_command("main.tex"), cwd=folder, env=hardened_env()))


def _pdflatex_settled(tex: Path, folder: Path) -> int:
    """pdflatex alone on a document in a fresh folder, pass after pass until its aux file and
    outline no longer change (at most 5): what any LaTeX build of it must at least do."""
    from derive.latex.compile import hardened_env

    folder.mkdir(parents=True)
    shutil.copy(tex, folder / "main.tex")
    before: tuple[bytes, ...] = ()
    for passes in range(1, 6):
        _run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "main.tex"],
             cwd=folder, env=hardened_env())
        now = tuple((folder / f"main{s}").read_bytes() if (folder / f"main{s}").exists() else b""
                    for s in (".aux", ".out"))
        if now == before:
            return passes
        before = now
    return 5


def _one_pass(source: str, folder: Path, preamble: str | None) -> float:
    """One pdflatex pass over the document in a kept folder (its aux file from the pass before),
    on the precompiled preamble when given one (derive/latex/precompiled.py)."""
    from derive.latex import precompiled
    from derive.latex.compile import FORMAT_FILE, hardened_env, pdflatex_command

    folder.mkdir(parents=True, exist_ok=True)
    pre = precompiled.find(preamble, hardened_env()) if preamble else None
    if preamble and pre is None:
        raise SystemExit("no precompiled preamble: pdflatex could not make one")
    if pre is not None and not (folder / f"{FORMAT_FILE}.fmt").exists():
        (folder / f"{FORMAT_FILE}.fmt").symlink_to(pre.fmt)
    (folder / "solutions.tex").write_text(pre.body(source) if pre else source, encoding="utf-8")
    fmt = FORMAT_FILE if pre else None
    return timed(lambda: _run(pdflatex_command("solutions.tex", fmt), cwd=folder, env=hardened_env()))


def format_pass(source: str, preamble: str, tmp: Path, pairs: int) -> dict[str, Any]:
    _one_pass(source, tmp / "pass-format", preamble)  # the format made, the aux file written
    _one_pass(source, tmp / "pass-plain", None)
    return paired("pdflatex pass, format / none", lambda i: _one_pass(source, tmp / "pass-format", preamble),
                  lambda i: _one_pass(source, tmp / "pass-plain", None), pairs,
                  "one pdflatex pass over the default solutions.tex on its precompiled preamble",
                  "the same pass without it (the preamble read from its source)")


def paired_figures(pairs: int, batch_count: int, no_pdf_count: int, only_fresh: bool = False) -> dict[str, Any]:
    """The figures of issue 28, each against its anchor in this run (see the module's docstring);
    `only_fresh`: the fresh and cold first builds and the pass on the precompiled preamble."""
    from derive.executors import default_jobs

    cores = default_jobs()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        warm = tmp / "cache"
        _run([DERIVE, "build", "--out", str(tmp / "first")], env=_with_cache(warm))  # as a user's first build
        with zipfile.ZipFile(io.BytesIO((tmp / "first" / "overleaf.zip").read_bytes())) as archive:
            main_tex = archive.read("main.tex").decode("utf-8")
        fresh = iter(range(10**6))
        figures["fresh_build"] = paired(
            "fresh build / latexmk alone",
            lambda i: timed(lambda: _run([DERIVE, "build", "--out", str(tmp / f"fresh{next(fresh)}")],
                                         env=_with_cache(warm))),
            lambda i: _latexmk(main_tex, tmp / "floor", fresh=True), pairs,
            "derive build into a fresh output folder, derive's cache warm (as after a user's first build)",
            "latexmk alone on the same overleaf.zip's main.tex in a fresh folder")
        titled = iter(range(10**6))

        def new_config() -> Path:
            """A config no build has seen (its title only differs): nothing of its own in the cache."""
            path = tmp / f"new{next(titled)}.toml"
            path.write_text(f'[document]\ntitle = "A config built once: {path.stem}"\n', encoding="utf-8")
            return path

        figures["fresh_new_config"] = paired(
            "fresh build, new config / latexmk alone",
            lambda i: timed(lambda: _run([DERIVE, "build", "--config", str(new_config()), "--out",
                                          str(tmp / f"fresh{next(fresh)}")], env=_with_cache(warm))),
            lambda i: _latexmk(main_tex, tmp / "floor", fresh=True), pairs,
            "derive build of a config never built before (another title) into a fresh output folder, derive's "
            "cache warm: LaTeX's settled state of this config is not in it",
            "latexmk alone on the default overleaf.zip's main.tex in a fresh folder")
        figures["cold_first_build"] = paired(
            "cold first build / latexmk alone",
            lambda i: timed(lambda: _run([DERIVE, "build", "--out", str(tmp / f"fresh{next(fresh)}")],
                                         env=_with_cache(tmp / f"empty{next(fresh)}"))),
            lambda i: _latexmk(main_tex, tmp / "floor", fresh=True), pairs,
            "derive build into a fresh output folder with an empty cache folder (a new machine)",
            "latexmk alone on the same overleaf.zip's main.tex in a fresh folder")
        if only_fresh:
            from derive.build import preamble_source

            os.environ["DERIVE_CACHE_DIR"] = str(warm)  # the format of the builds above
            figures["format_pass"] = format_pass(main_tex, preamble_source(), tmp, pairs)
            return figures
        edits = [tmp / "seed1.toml", tmp / "seed2.toml"]
        documents = []
        for n, edit in enumerate(edits, 1):
            edit.write_text(f"[birnn]\nseed = {n}\n", encoding="utf-8")
            _run([DERIVE, "build", "--no-pdf", "--out", str(tmp / f"doc{n}"), "--config", str(edit)],
                 env=_with_cache(warm))
            documents.append((tmp / f"doc{n}" / "solutions.tex").read_text(encoding="utf-8"))
        kept = tmp / "kept"
        _run([DERIVE, "build", "--out", str(kept), "--config", str(edits[1])], env=_with_cache(warm))
        _latexmk(documents[1], tmp / "kept-floor", fresh=True)
        figures["after_edit_build"] = paired(
            "after-edit build / latexmk after the edit",
            lambda i: timed(lambda: _run([DERIVE, "build", "--out", str(kept), "--config", str(edits[i % 2])],
                                         env=_with_cache(warm))),
            lambda i: _latexmk(documents[i % 2], tmp / "kept-floor", fresh=False), pairs,
            "derive build after a config edit (birnn.seed 1 <-> 2) into its kept output folder",
            "latexmk alone after the same edit of the document, in its kept folder")
        if batch_count:
            out = tmp / "batch"
            batch_seconds = timed(lambda: _run([DERIVE, "variants", "--count", str(batch_count), "--out", str(out),
                                                "--jobs", str(cores)], env=_with_cache(warm)))
            batch_cpu = CPU[-1]
            texs = sorted(out.glob("*/*.tex"))
            start, cpu, passes = time.perf_counter(), children_cpu(), 0
            for n, tex in enumerate(texs):
                passes += _pdflatex_settled(tex, tmp / "pdflatex-floor" / f"{n}")
            floor, floor_cpu = (time.perf_counter() - start) / cores, children_cpu() - cpu
            figures["batch"] = {"what": f"derive variants --count {batch_count} (both sheets) --jobs {cores}",
                                "anchor": f"pdflatex alone on the same {len(texs)} documents until settled "
                                          f"({passes} passes), one after another, / {cores} cores",
                                "pairs": 1, "median_seconds": round(batch_seconds, 3),
                                "anchor_median_seconds": round(floor, 3), "ratio": round(batch_seconds / floor, 3),
                                "cpu_seconds": round(batch_cpu, 3), "anchor_cpu_seconds": round(floor_cpu, 3),
                                "cpu_ratio": round(batch_cpu / floor_cpu, 3)}
            print(f"{'batch / pdflatex floor':<40} {batch_seconds:8.3f} s vs {floor:8.3f} s: "
                  f"{batch_seconds / floor:.2f}x; CPU {batch_cpu:.1f} s vs {floor_cpu:.1f} s: "
                  f"{batch_cpu / floor_cpu:.2f}x",
                  flush=True)
        if no_pdf_count:
            runs = iter(range(10**6))

            def variants(*flags: str) -> float:
                return timed(lambda: _run([DERIVE, "variants", "--count", str(no_pdf_count), "--no-pdf", "--jobs",
                                           str(cores), "--out", str(tmp / f"nopdf{next(runs)}"), *flags],
                                          env=_with_cache(warm)))
            figure = paired(f"--no-pdf variants ({no_pdf_count}) / --no-cache", lambda i: variants(),
                            lambda i: variants("--no-cache"), pairs,
                            f"derive variants --count {no_pdf_count} --no-pdf --jobs {cores}, cache warm",
                            "the same with --no-cache")
            figure["per_minute"] = round(no_pdf_count * 60 / figure["median_seconds"], 1)
            figure["anchor_per_minute"] = round(no_pdf_count * 60 / figure["anchor_median_seconds"], 1)
            print(f"{'  variants per minute (cache / no cache)':<40} {figure['per_minute']:8.1f} / "
                  f"{figure['anchor_per_minute']:.1f}", flush=True)
            figures["no_pdf_variants"] = figure
    return figures


def write_report(figures: dict[str, Any], pairs: int, load_before: tuple[float, ...]) -> None:
    """build/bench.json, written atomically."""
    import sympy

    tex = subprocess.run(["pdftex", "--version"], capture_output=True, text=True).stdout.splitlines()
    report = {
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "sympy": sympy.__version__, "pdftex": tex[0] if tex else None,
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "pairs": pairs, "figures": figures, "stages_seconds": STAGES,
    }
    REPORT.parent.mkdir(exist_ok=True)
    partial = REPORT.with_name(f".{REPORT.name}.tmp-{os.getpid()}")
    partial.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, REPORT)
    print(f"written: {REPORT.relative_to(ROOT)}", flush=True)


def clear_caches() -> None:
    """derive's per-process caches and SymPy's own, so that each run is cold."""
    from sympy.core.cache import clear_cache

    from derive.latex import render
    from derive.questions.birnn import instance as birnn_instance
    from derive.questions.birnn import model as birnn_model
    from derive.questions.decoding import question as decoding
    from derive.questions.lora import question as lora

    for cached in (birnn_model.derive_forms, birnn_instance.elementwise_function, decoding.cost_model, lora.costs,
                   render.environment):
        cached.cache_clear()
    clear_cache()


def stages(runs: int) -> str:
    from derive import build, config
    from derive.latex.compile import compile_pdf
    from derive.questions.registry import QUESTIONS
    from derive.verify import resolve

    cfg = config.load(None)
    answers: dict[str, Any] = {}
    for q in QUESTIONS:
        def derive_q(q: Any = q) -> None:
            clear_caches()
            answers[q.key] = q.derive(cfg)
        row(f"derive question {q.number} ({q.key})", median(derive_q, runs))
    for q in QUESTIONS:
        def check_q(q: Any = q) -> None:
            clear_caches()
            resolve(q.plan(answers[q.key], cfg))
        row(f"checks of question {q.number} (serial, PyTorch imported)", median(check_q, runs))

    # As the derive command runs them: the PyTorch worker starts before SymPy is imported.
    solve = [PY, "-c", "import time; from derive.parallel import TorchWorker; w = TorchWorker(); "
             "from derive import build, config; c = config.load(None); "
             "t = time.perf_counter(); build.solve(c, worker=w); print(time.perf_counter() - t); w.close()"]
    times = [float(subprocess.run(solve, check=True, capture_output=True, text=True).stdout) for _ in range(runs)]
    row("all derivations + all checks (build.solve, fresh process)", statistics.median(times))
    solved = build.solve(cfg)
    row("rendering (Jinja + printer)", median(lambda: (clear_caches(), build.latex_source(solved)), runs))
    source = build.latex_source(solved)
    cold = compile_pdf(source)
    row(f"compiling, fresh folder ({cold.passes} pdflatex passes)", median(lambda: compile_pdf(source), runs))
    warm = compile_pdf(source, state=cold.state)
    row(f"compiling from the last build's LaTeX state ({warm.passes} pass)",
        median(lambda: compile_pdf(source, state=cold.state), runs))
    return source


def scale(runs: int) -> None:
    from derive import config
    from derive.questions.birnn import checks as birnn_checks
    from derive.questions.birnn import question as birnn
    from derive.questions.decoding import search

    base = config.load(None)

    def variant(d: int, steps: int) -> Any:
        birnn = dataclasses.replace(base.birnn, activation="tanh", hidden_size=d, steps=steps, seed=0, instance=None)
        return base.replace(birnn=birnn)

    for d, steps in ((2, 3), (3, 3), (4, 8), (8, 12), (16, 12)):
        answer = birnn.derive(variant(d, steps))
        forms, act = answer.derivation.forms, answer.derivation.activation
        row(f"Q3 complex-step check (50 digits), d={d}, T={steps}",
            median(lambda forms=forms, act=act, answer=answer: birnn_checks.complex_step_checks(
                forms, act, answer.values, 0, birnn_checks.as_published(answer)), runs))
    for d in (2, 3, 4):
        for steps in (3, 5, 8):
            cfg = variant(d, steps)
            answer = birnn.derive(cfg)
            row(f"Q3 derive + checks at d={d}, T={steps} (symbolic work cached)",
                median(lambda cfg=cfg, answer=answer: (birnn.derive(cfg), birnn_checks.plan(answer, cfg)), runs))
    tree = random_tree(100_000, random.Random(0))
    depth = max(len(p) for p in tree)
    row(f"beam search B=5 on a {len(tree):,}-node tree (depth {depth})",
        median(lambda: search.beam_search(tree, depth, 5), runs))
    row("greedy on the same tree", median(lambda: search.greedy(tree, depth), runs))
    row("exhaustive search on the same tree", median(lambda: search.exhaustive(tree, depth), runs))
    chains = "\n".join(f'"w{i}" = -20\n"w{i} x{i}" = -0.5' for i in range(100_000))
    chain_text = f"[decoding]\nvocabulary_size = 1000000\n[decoding.tree]\n{chains}\n"
    raw = config.parse_toml(chain_text, "chains")
    defaults = config.parse_toml(config.default_text(), "default.toml")
    row("loading a 200,000-edge tree of two-word chains: TOML parsing (tomllib)",
        median(lambda: config.parse_toml(chain_text, "chains"), runs))
    row("the same: validation", median(lambda: config.from_dict(raw, defaults), runs))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "chains.toml").write_text(chain_text, encoding="utf-8")
        build = [str(ROOT / ".venv/bin/derive"), "build", "--config", f"{tmp}/chains.toml", "--out", f"{tmp}/out"]
        row("the same: whole `derive build` with its PDF (one run)", median(command(build), 1))
    count = 100
    start = time.perf_counter()
    subprocess.run([PY, str(ROOT / "scripts/stress.py"), "--count", str(count)], check=True, capture_output=True)
    row(f"make stress, {count} variants (2 workers; the default 1,000 take about 10x)", time.perf_counter() - start)


def batch(count: int) -> None:
    """`derive variants` on `count` variants, both sheets, one job per core, against the floor:
    latexmk alone on the same 2 x count documents, one after another, divided by the cores."""
    from derive.executors import default_jobs
    from derive.latex.compile import hardened_env, latexmk_command

    cores = default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "variants"
        start, cpu = time.perf_counter(), children_cpu()
        command([str(ROOT / ".venv/bin/derive"), "variants", "--count", str(count), "--out", str(out),
                 "--jobs", str(cores)])()
        whole, whole_cpu = time.perf_counter() - start, children_cpu() - cpu
        row(f"`derive variants --count {count}` (both sheets, --jobs {cores})", whole)
        latexmk, cpu = 0.0, children_cpu()
        for tex in sorted(out.glob("*/*.tex")):
            folder = Path(tmp) / "floor" / tex.parent.name / tex.stem
            folder.mkdir(parents=True)
            shutil.copy(tex, folder / tex.name)
            start = time.perf_counter()
            subprocess.run(latexmk_command(tex.name), cwd=folder, env=hardened_env(), check=True,
                           capture_output=True, stdin=subprocess.DEVNULL)
            latexmk += time.perf_counter() - start
        latexmk_cpu = children_cpu() - cpu
        documents = len(list(out.glob("*/*.tex")))
        row(f"floor: latexmk alone on the same {documents} documents / {cores} cores", latexmk / cores)
    print(f"{'ratio batch / floor (target: at most 1.5)':<58} {whole / (latexmk / cores):8.2f}")
    # CPU seconds do not depend on what else the machine runs: the ratio an idle machine would give
    # if the jobs kept every core busy.
    row("  CPU time of the batch (all processes)", whole_cpu)
    row("  CPU time of the floor's latexmk runs", latexmk_cpu)
    print(f"{'  ratio of CPU times':<58} {whole_cpu / latexmk_cpu:8.2f}")



# `derive` in a child process that prints its own peak memory (the parent's alone, not its workers')
# on its last stderr line.
PEAK = ("import resource, sys; from derive.cli import main; code = main(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(code)")


def measured(args: list[str]) -> tuple[float, float]:
    """Seconds and the parent's peak resident memory in MB of `derive ARGS`."""
    start = time.perf_counter()
    done = subprocess.run([PY, "-c", PEAK, *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - start, int(done.stderr.splitlines()[-1]) / 1024


def class_size(variant_counts: list[int], grade_counts: list[int]) -> None:
    """Throughput at class size: `derive variants --no-pdf` and batch grading, with the parent's
    peak memory (it holds a bounded number of variants and one key entry at a time)."""
    import json

    from derive.executors import default_jobs

    jobs = default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        for count in variant_counts:
            out = Path(tmp) / f"variants{count}"
            seconds, peak = measured(["variants", "--count", str(count), "--no-pdf", "--jobs", str(jobs),
                                      "--out", str(out)])
            row(f"`derive variants --count {count} --no-pdf --jobs {jobs}` ({60 * count / seconds:.0f} a minute, "
                f"parent peak {peak:.0f} MB)", seconds)
        source = Path(tmp) / "one"
        subprocess.run([PY, "-m", "derive", "variants", "--count", "1", "--no-pdf", "--out", str(source)],
                       check=True, capture_output=True)
        entry = json.loads((source / "key.jsonl").read_text(encoding="utf-8"))
        submission = (source / "v001" / "answers.json").read_text(encoding="utf-8")
        for count in grade_counts:  # one real variant's entry repeated: the grader's work, not the draws
            folder, subs = Path(tmp) / f"grade{count}", Path(tmp) / f"subs{count}"
            folder.mkdir()
            subs.mkdir()
            with open(folder / "key.jsonl", "w", encoding="utf-8") as key:
                for i in range(1, count + 1):
                    key.write(json.dumps(entry | {"id": f"s{i:05d}", "folder": f"s{i:05d}"}) + "\n")
                    (subs / f"s{i:05d}.toml").write_text(_as_submission(submission), encoding="utf-8")
            size = (folder / "key.jsonl").stat().st_size / 2**20
            seconds, peak = measured(["grade", "--variants", str(folder), "--submissions", str(subs),
                                      "--out", str(Path(tmp) / f"grades{count}.csv")])
            row(f"`derive grade` of {count} submissions, key {size:.0f} MB ({60 * count / seconds:.0f} a minute, "
                f"parent peak {peak:.0f} MB)", seconds)


def _as_submission(answers_json: str) -> str:
    """A submission with the key's own answers to Question 1 and greedy decoding's."""
    import json

    from derive.tomlwrite import to_toml

    answers = json.loads(answers_json)
    return to_toml({"normalization": answers["normalization"],
                    "decoding": {k: answers["decoding"][k] for k in ("num_sequences", "greedy")}})


def children_cpu() -> float:
    """User + system time of every finished child process (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def random_tree(size: int, rng: random.Random) -> dict[tuple[str, ...], Any]:
    """A complete tree of branching 10 and depth 5 (111,110 nodes): every node above depth 5 has children."""
    import sympy as sp

    tree: dict[tuple[str, ...], Any] = {}
    frontier: list[tuple[str, ...]] = [()]
    while len(tree) < size:
        nxt = []
        for parent in frontier:
            for k in range(10):
                path = (*parent, f"w{k}")
                tree[path] = sp.Rational(-rng.randint(231, 900), 100)  # e^-2.31 * 10 < 1
                nxt.append(path)
        frontier = nxt
    return tree


def main() -> int:
    from derive.latex.compile import hardened_env, latexmk_command

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--batch", type=int, default=16, help="variants in the batch figure (0: skip it)")
    parser.add_argument("--only-batch", action="store_true", help="only the batch figure")
    parser.add_argument("--variants", type=int, nargs="*", metavar="N", default=[1000],
                        help="variants (--no-pdf) timed at class size (default 1000; 10000 takes over an hour on "
                             "2 cores; none: skip)")
    parser.add_argument("--grade", type=int, nargs="*", metavar="N", default=[500, 5000],
                        help="submissions graded in one batch, over as many variants (default 500 5000; none: skip)")
    parser.add_argument("--only-class-size", action="store_true", help="only the class-size figures")
    parser.add_argument("--pairs", type=int, default=5, help="paired runs of each figure (default 5)")
    parser.add_argument("--no-pdf-count", type=int, default=200,
                        help="variants in the --no-pdf throughput figure (default 200, enough for the workers' "
                             "start, about 4 s of CPU, to be a small part; 0: skip it)")
    parser.add_argument("--only-paired", action="store_true", help="only the paired figures (and build/bench.json)")
    parser.add_argument("--only-fresh", action="store_true",
                        help="only the fresh and cold first builds and the pdflatex pass on the precompiled "
                             "preamble (and build/bench.json)")
    args = parser.parse_args()
    runs, sizes = args.runs, args.variants
    if args.only_batch:
        batch(args.batch)
        return 0
    if args.only_class_size:
        class_size(sizes, args.grade)
        return 0
    load_before = os.getloadavg()
    print(f"derive benchmark: paired figures, {args.pairs} pairs each (load average {load_before[0]:.1f} "
          f"on {os.cpu_count()} cores)", flush=True)
    figures = paired_figures(args.pairs, args.batch, args.no_pdf_count, args.only_fresh)
    write_report(figures, args.pairs, load_before)
    if args.only_paired or args.only_fresh:
        return 0
    print(f"derive benchmark: median of {runs} runs")
    row("import derive.build (fresh interpreter)", median(command([PY, "-c", "import derive.build"]), runs))
    row("import torch (fresh interpreter)", median(command([PY, "-c", "import torch"]), runs))
    source = stages(runs)
    derive = str(ROOT / ".venv/bin/derive")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = iter(range(runs))
        cold = median(lambda: command([derive, "build", "--out", f"{tmp}/fresh{next(fresh)}"])(), runs)
        row("whole `derive build`, fresh output folder", cold)
        edits = [Path(tmp) / "a.toml", Path(tmp) / "b.toml"]
        edits[0].write_text("[birnn]\nseed = 1\n")
        edits[1].write_text("[birnn]\nseed = 2\n")
        kept = f"{tmp}/kept"
        command([derive, "build", "--out", kept])()
        turn = iter(range(runs))
        edit = median(lambda: command([derive, "build", "--out", kept, "--config", str(edits[next(turn) % 2])])(),
                      runs)
        row("whole `derive build` after a config edit, kept output folder", edit)
        floor_dir = Path(tmp) / "floor"

        def latexmk_alone() -> None:
            shutil.rmtree(floor_dir, ignore_errors=True)
            floor_dir.mkdir()
            (floor_dir / "solutions.tex").write_text(source, encoding="utf-8")
            subprocess.run(latexmk_command("solutions.tex"), cwd=floor_dir, env=hardened_env(), check=True,
                           capture_output=True, stdin=subprocess.DEVNULL)
        floor = median(latexmk_alone, runs)
        row("floor: latexmk alone (same hardened command), fresh folder", floor)
    subprocess.run(["make", "-s", "pdf"], cwd=ROOT, check=True, capture_output=True)
    row("`make pdf` with nothing changed", median(command(["make", "-s", "pdf"], cwd=ROOT), runs))
    print(f"{'ratio whole build after an edit / latexmk alone':<58} {edit / floor:8.2f}")
    print(f"{'ratio whole build into a fresh folder / latexmk alone':<58} {cold / floor:8.2f}")
    if not args.skip_scale:
        scale(runs)
    write_report(figures, args.pairs, load_before)  # again, with the stage timings printed since
    if sizes or args.grade:
        class_size(sizes, args.grade)
    return 0


if __name__ == "__main__":
    sys.exit(main())
