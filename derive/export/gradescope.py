"""`derive export gradescope DIR`: a Gradescope autograder bundle (autograder.zip).

    setup.sh                      installs derive from its wheel, in a venv (Gradescope runs it once)
    run_autograder                grades one submission (derive/export/autograde.py)
    derive_solutions-V-py3-none-any.whl   derive itself, packed from the running installation
    variants/index.json           each variant's id, folder, and the values a student is matched on
    variants/<folder>/answers.json, config.toml   each variant's key and [grading] table

The bytes depend only on the variants and on derive's files: entries sorted, every timestamp
1980-01-01, fixed permissions (the wheel inside likewise).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from derive.errors import UsageError
from derive.export.variants_dir import Variant
from derive.resources import packaged
from derive.version import DISTRIBUTION, __version__

EPOCH = (1980, 1, 1, 0, 0, 0)
# The roster columns whose values a submitting user's `sid` or e-mail is matched against, besides the id.
MATCH_COLUMNS = ("email", "e-mail", "email address", "sid", "student_id", "student id", "sis_id", "sis user id")
PACKAGE_FILES = (".py", ".typed", ".toml", ".json", ".j2", ".md")
WHEEL = f"{DISTRIBUTION.replace('-', '_')}-{__version__}-py3-none-any.whl"

SETUP = f"""#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image: derive from the wheel in
# this bundle (not on PyPI), its dependencies (SymPy, NumPy, Jinja2, ...) from PyPI.
set -euo pipefail
cd "$(dirname "$0")"
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
fi
python3 -m venv /autograder/derive-venv
/autograder/derive-venv/bin/python -m pip install --quiet ./{WHEEL}
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT (default /autograder) holds
# submission/, submission_metadata.json and source/ (this bundle); results/results.json is written
# there. DERIVE_PYTHON: the Python that has derive (default: the venv setup.sh made).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${DERIVE_PYTHON:-/autograder/derive-venv/bin/python}"
exec "$PYTHON" -m derive.export.autograde "$ROOT" "$ROOT/source/variants"
"""


def _zip(files: dict[str, tuple[bytes, int]]) -> bytes:
    """A zip of `files` (name -> (bytes, mode)), sorted, with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            data, mode = files[name]
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the mode is read
            z.writestr(info, data)
    return buffer.getvalue()


def _package_files() -> dict[str, bytes]:
    """derive's files as the wheel lays them out: the package, its templates and docs."""
    here = Path(__file__).resolve().parent.parent
    out: dict[str, bytes] = {}
    sources = ((here, "derive"), (packaged("templates"), "derive/templates"), (packaged("docs"), "derive/docs"))
    for base, prefix in sources:
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in PACKAGE_FILES and "__pycache__" not in path.parts:
                out.setdefault(f"{prefix}/{path.relative_to(base).as_posix()}", path.read_bytes())
    return out


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel() -> bytes:
    """derive as a wheel, packed from the running installation (the same files `pip wheel` puts in)."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise UsageError(f"export gradescope: {DISTRIBUTION} is not installed (pip install . first): its "
                         "metadata goes into the bundle's wheel") from None
    info = f"{DISTRIBUTION.replace('-', '_')}-{__version__}.dist-info"
    files = _package_files()
    files[f"{info}/METADATA"] = (dist.read_text("METADATA") or "").encode()
    files[f"{info}/entry_points.txt"] = (dist.read_text("entry_points.txt") or "").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: derive export\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "".join(_record_line(n, files[n]) + "\n" for n in sorted(files)) + f"{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    return _zip({name: (data, 0o644) for name, data in files.items()})


def index(variants: Sequence[Variant]) -> list[dict[str, str | list[str]]]:
    """Each variant's id, folder and the values a user is matched on: its id and its roster's
    e-mail and student-id columns."""
    out: list[dict[str, str | list[str]]] = []
    for v in variants:
        values = [v.id, *(cell for column, cell in v.roster.items() if column.strip().casefold() in MATCH_COLUMNS)]
        out.append({"id": v.id, "folder": v.folder.name, "match": sorted({x.strip() for x in values if x.strip()})})
    return out


def bundle(variants: Sequence[Variant]) -> bytes:
    files: dict[str, tuple[bytes, int]] = {
        "setup.sh": (SETUP.encode(), 0o755), "run_autograder": (RUN.encode(), 0o755), WHEEL: (wheel(), 0o644),
        "variants/index.json": ((json.dumps(index(variants), indent=1, ensure_ascii=False) + "\n").encode(), 0o644)}
    for v in variants:
        for name in ("answers.json", "config.toml"):
            path = v.folder / name
            if not path.is_file():
                raise UsageError(f"{path}: missing; run `derive variants` again")
            files[f"variants/{v.folder.name}/{name}"] = (path.read_bytes(), 0o644)
    return _zip(files)
