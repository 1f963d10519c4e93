"""make mutate: how many planted errors the build's own checks catch, with no test in the loop.

cosmic-ray mutates a copy of derive (never the working tree): every module that derives an
answer or checks one (MODULES: derive/questions/ with the check modules, the search and sort
instruments and the counted LoRA model, bigo.py, asymptotic.py, the published-answer readers,
the certification, the comparison and the matrix-expression evaluator), on the statements that
`derive build` runs on the oracle's configs (coverage.py; the rest is grading, variant and
error-path code). Each mutant is judged by `derive check --plant` alone, without PyTorch, on
the default config and the variants in scripts/mutate/: killed when a check fails, a planted
error in a certified field of answers.json escapes the checks that certify it, or the command
breaks; survived otherwise. A survivor is then applied again and built: when answers.json and
solutions.tex are byte-identical to the unmutated build's on every one of those configs, it is
counted as equivalent (on them); otherwise it survived with a visible change. survivors.txt
lists both kinds, for a reader to judge. Operators that mostly make type errors (bit
operations, `is`, variable insertion) are left out; a seeded sample of the rest runs.

    python scripts/mutate.py [--sample N] [--seed S] [--out build/mutate]
    python scripts/mutate.py --oracle        (what each mutant runs)
    python scripts/mutate.py --outputs DIR   (the builds that judge equivalence)
    python scripts/mutate.py --rejudge EARLIER_OUT [--visible]   (an earlier run's survivors again)
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = sorted((ROOT / "scripts" / "mutate").glob("variant_*.toml"))
MODULES = ["derive/questions", "derive/bigo.py", "derive/asymptotic.py", "derive/published.py",
           "derive/certify.py", "derive/verify.py", "derive/matexpr.py"]
SAMPLE = 400  # about an hour on 2 shared cores
EXCLUDED_OPERATORS = [r".*_(RShift|LShift|BitOr|BitAnd|BitXor|Mod)$", r".*_(Is|IsNot)$", r".*_(Is|IsNot)_.*",
                      r"core/Variable.*", r"core/ExceptionReplacer", r"core/RemoveDecorator"]


def oracle(command: list[str]) -> int:
    """`derive <command>` on the default config and every variant, PyTorch hidden: 0 only if all
    succeed. The command's `{name}` is the config's name."""
    sys.modules["torch"] = None  # type: ignore[assignment]  # import torch now fails: no PyTorch checks
    from derive import cli

    with open(os.devnull, "w") as quiet:
        sys.stdout = sys.stderr = quiet
        for name, config in (("default", []), *((v.stem, ["--config", str(v)]) for v in VARIANTS)):
            try:
                if cli.main([arg.format(name=name) for arg in command] + config) != 0:
                    return 1
            except BaseException:  # noqa: BLE001 (any crash of a mutant is a kill)
                return 1
    return 0


def executed(outputs: Path, lines: Path) -> int:
    """The lines of derive that `derive build --no-pdf` runs on the oracle's configs (coverage.py),
    written to `lines` as JSON {file: [line, ...]}."""
    import coverage

    package = Path(__import__("derive").__file__).parent
    cov = coverage.Coverage(data_file=None, include=[str(package / "*")])
    cov.start()
    status = oracle(["build", "--no-pdf", "--out", str(outputs / "{name}")])
    cov.stop()
    data = cov.get_data()
    lines.write_text(json.dumps({f: sorted(data.lines(f) or ()) for f in data.measured_files()}))
    return status


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--oracle", action="store_true")
    p.add_argument("--outputs", type=Path)
    p.add_argument("--lines", type=Path, nargs=2, metavar=("OUTPUTS", "FILE"), help=argparse.SUPPRESS)
    p.add_argument("--sample", type=int, default=SAMPLE, help="mutants to run, a seeded sample (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=ROOT / "build" / "mutate")
    p.add_argument("--rejudge", type=Path, metavar="EARLIER_OUT",
                   help="run only the survivors of an earlier run (its --out folder) on the current code")
    p.add_argument("--visible", action="store_true",
                   help="with --rejudge: only those it judged survived with a visible change (not equivalent)")
    args = p.parse_args()
    if args.oracle:
        return oracle(["check"]) or oracle(["check", "--plant"])  # the quick kills first
    if args.lines:
        return executed(*args.lines)
    if args.outputs:
        return oracle(["build", "--no-pdf", "--out", str(args.outputs / "{name}")])
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ROOT / "derive", out / "src" / "derive", ignore=shutil.ignore_patterns("__pycache__"))
    for shipped in ("templates", "docs"):  # what derive/resources.py finds beside the package
        shutil.copytree(ROOT / shipped, out / "src" / shipped)
    shutil.copytree(out / "src", out / "pristine")  # to undo a mutation with, whatever the working tree does
    env = {**os.environ, "PYTHONPATH": str(out / "src")}
    bin_dir = Path(sys.executable).parent
    (out / "config.toml").write_text(f"""[cosmic-ray]
module-path = {json.dumps(["src/" + m for m in MODULES])}
timeout = 120.0
excluded-modules = ["src/derive/questions/__init__.py"]
test-command = "{sys.executable} {ROOT / 'scripts' / 'mutate.py'} --oracle"
[cosmic-ray.distributor]
name = "local"
[cosmic-ray.filters.operators-filter]
exclude-operators = {json.dumps(EXCLUDED_OPERATORS)}
""")
    if subprocess.run([sys.executable, __file__, "--oracle"], env=env).returncode != 0:
        print("mutate: derive check fails before any mutation", file=sys.stderr)
        return 1
    session = out / "session.sqlite"
    run([str(bin_dir / "cosmic-ray"), "init", "config.toml", str(session)], out, env)
    run([str(bin_dir / "cr-filter-operators"), str(session), "config.toml"], out, env)
    run([sys.executable, __file__, "--lines", str(out / "covered"), str(out / "lines.json")], out, env)
    if args.rejudge:
        _survivors_of(session, args.rejudge.resolve(), args.visible)
    else:
        _sample(session, args.sample, args.seed, json.loads((out / "lines.json").read_text()))
    run([str(bin_dir / "cosmic-ray"), "exec", "config.toml", str(session)], out, env)
    outputs = [sys.executable, __file__, "--outputs"]
    run([*outputs, str(out / "baseline")], out, env)
    db = sqlite3.connect(session)
    survivors = db.execute("SELECT job_id, module_path, operator_name, occurrence FROM mutation_specs "
                           "JOIN work_results USING (job_id) WHERE lower(test_outcome) = 'survived'").fetchall()
    same = set()
    for job, path, operator, occurrence in survivors:
        run([str(bin_dir / "cosmic-ray"), "apply", path, operator, str(occurrence)], out, env)
        shutil.rmtree(out / "mutant", ignore_errors=True)
        built = subprocess.run([*outputs, str(out / "mutant")], cwd=out, env=env).returncode == 0
        shutil.copy(out / "pristine" / path.removeprefix("src/"), out / path)  # undo the mutation
        if built and _same_tree(out / "baseline", out / "mutant"):
            same.add(job)
    return report(session, same)


def _same_tree(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) and all(
        (a / f).read_bytes() == (b / f).read_bytes() for f in files)


def _statements(path: Path) -> list[tuple[int, int]]:
    """The line span of every statement of a module, innermost last when sorted by start."""
    return [(node.lineno, node.end_lineno or node.lineno) for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.stmt)]


def _runs(row: int, spans: list[tuple[int, int]], lines: set[int]) -> bool:
    """Whether the build runs the innermost statement that holds `row`."""
    holding = [(start, end) for start, end in spans if start <= row <= end]
    if not holding:
        return False
    start, end = max(holding, key=lambda span: (span[0], -span[1]))
    return any(start <= line <= end for line in lines)


def _sample(session: Path, size: int, seed: int, executed: dict[str, list[int]]) -> None:
    """Keep a seeded sample of `size` (0: all) of the mutants on statements the build runs."""
    db = sqlite3.connect(session)
    pending = db.execute(  # job ids are random: order by what names a mutant
        "SELECT job_id, module_path, start_pos_row FROM mutation_specs WHERE job_id NOT IN "
        "(SELECT job_id FROM work_results) ORDER BY module_path, operator_name, occurrence").fetchall()
    lines = {str(Path(f).resolve()): set(rows) for f, rows in executed.items()}
    spans = {path: _statements(session.parent / path) for path in {p for _, p, _ in pending}}
    run = [job for job, path, row in pending
           if _runs(row, spans[path], lines.get(str((session.parent / path).resolve()), set()))]
    kept = set(random.Random(seed).sample(run, size)) if 0 < size < len(run) else set(run)
    print(f"mutate: {len(pending)} mutants in {', '.join(MODULES)}; {len(run)} on statements the build runs "
          f"(the others: grading, variants, error paths); {len(kept)} of them run (seed {seed})", flush=True)
    for job, _, _ in pending:
        if job not in kept:
            db.execute("DELETE FROM mutation_specs WHERE job_id = ?", (job,))
            db.execute("DELETE FROM work_items WHERE job_id = ?", (job,))
    db.commit()
    db.close()


def _where(source: Path, row: int, col: int, end_row: int, end_col: int) -> tuple[str, int, str]:
    """The line a mutation starts on, its column and the text it replaces: what names it across
    versions of the module."""
    lines = source.read_text().splitlines()
    span = "\n".join(lines[row - 1:end_row])
    return lines[row - 1], col, span[col:len(span) - len(lines[end_row - 1]) + end_col]


def _visible(earlier: Path) -> set[tuple[str, int, str]]:
    """(module path, row, operator) of each mutant the earlier run's survivors.txt lists as
    survived with a visible change."""
    found = (re.match(r"survived: (\S+):(\d+) (\S+)$", line)
             for line in (earlier / "survivors.txt").read_text().splitlines())
    return {("src/" + m.group(1), int(m.group(2)), m.group(3)) for m in found if m}


def _survivors_of(session: Path, earlier: Path, visible: bool = False) -> None:
    """Keep the mutants of the earlier run that survived it (`visible`: with a visible change),
    found again in the current code by module, operator, the line they are on and the text
    they replace; the rest are dropped, and those that no longer exist are named."""
    fields = "job_id, module_path, operator_name, start_pos_row, start_pos_col, end_pos_row, end_pos_col"
    old = sqlite3.connect(earlier / "session.sqlite")
    shown = _visible(earlier) if visible else None
    wanted: dict[tuple[str, str, str, int, str], int] = {}
    for _, path, operator, *span in old.execute(
            f"SELECT {fields} FROM mutation_specs JOIN work_results USING (job_id) "
            "WHERE lower(test_outcome) = 'survived'"):
        if shown is not None and (path, span[0], operator) not in shown:
            continue
        key = (path, operator, *_where(earlier / "pristine" / path.removeprefix("src/"), *span))
        wanted[key] = wanted.get(key, 0) + 1
    db = sqlite3.connect(session)
    kept = set()
    for job, path, operator, *span in db.execute(f"SELECT {fields} FROM mutation_specs ORDER BY module_path, "
                                                 "operator_name, occurrence").fetchall():
        key = (path, operator, *_where(session.parent / path, *span))
        if wanted.get(key, 0) > 0:
            wanted[key] -= 1
            kept.add(job)
    gone = sum(wanted.values())
    print(f"mutate: {len(kept)} survivors of {earlier} found again; {gone} no longer in the code", flush=True)
    for (job,) in db.execute("SELECT job_id FROM mutation_specs").fetchall():
        if job not in kept:
            db.execute("DELETE FROM mutation_specs WHERE job_id = ?", (job,))
            db.execute("DELETE FROM work_items WHERE job_id = ?", (job,))
    db.commit()
    db.close()


def _changed(diff: str) -> tuple[str, str]:
    lines = diff.splitlines()
    before = " ".join(x[1:].strip() for x in lines if x.startswith("-") and not x.startswith("---"))
    after = " ".join(x[1:].strip() for x in lines if x.startswith("+") and not x.startswith("+++"))
    return before, after


def report(session: Path, same: set[str]) -> int:
    db = sqlite3.connect(session)
    rows = db.execute("SELECT job_id, s.module_path, s.operator_name, s.start_pos_row, r.test_outcome, r.diff "
                      "FROM mutation_specs s JOIN work_results r USING (job_id) "
                      "WHERE lower(r.worker_outcome) != 'skipped' ORDER BY s.module_path, s.start_pos_row").fetchall()
    counts = {"killed": 0, "survived": 0, "equivalent": 0, "incompetent": 0}
    lines = []
    for job, path, operator, row, outcome, diff in rows:
        test = (outcome or "").lower()
        if test == "survived":
            kind = "equivalent" if job in same else "survived"
            before, after = _changed(diff or "")
            lines.append(f"{kind}: {path.removeprefix('src/')}:{row} {operator}\n  - {before}\n  + {after}")
        else:
            kind = "killed" if test == "killed" else "incompetent"  # a timeout is a kill
        counts[kind] += 1
    survivors = session.parent / "survivors.txt"
    survivors.write_text("\n".join(lines) + "\n")
    real = counts["killed"] + counts["survived"]
    score = counts["killed"] / real if real else 1.0
    print(f"mutate: {len(rows)} mutants: {counts['killed']} killed, {counts['survived']} survived, "
          f"{counts['equivalent']} equivalent (same outputs), {counts['incompetent']} incompetent; "
          f"{score:.1%} of the non-equivalent killed (survivors: {survivors})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
