"""`derive grade --out FILE`: written like the build's outputs (umask modes, all or nothing);
anything unwritable is one line, exit 2, with the earlier files and no temporary file left."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from derive import cli, outputs
from tests.grade_support import key_of


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from derive.config import load

    root = tmp_path_factory.mktemp("batch")
    variants, subs = root / "variants", root / "subs"
    variants.mkdir()
    subs.mkdir()
    (variants / "key.json").write_text(json.dumps([{"id": "v001", "seed": 1, "answers": key_of(load(None))}]),
                                       encoding="utf-8")
    (subs / "v001.toml").write_text('[decoding]\nnum_sequences = "N^T"\n', encoding="utf-8")
    return variants, subs


def grade(capsys, batch: tuple[Path, Path], out: Path, *extra: str) -> tuple[int, str]:
    code = cli.main(["grade", "--variants", str(batch[0]), "--submissions", str(batch[1]), "--out", str(out), *extra])
    return code, capsys.readouterr().err


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_the_files_modes_follow_the_umask(capsys, batch, tmp_path, umask):
    old = os.umask(umask)
    try:
        code, err = grade(capsys, batch, tmp_path / "grades.csv")
    finally:
        os.umask(old)
    assert code == 0, err
    for name in ("grades.csv", "grades.reasons.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name
    assert sorted(listing(tmp_path)) == ["grades.csv", "grades.reasons.csv"]


def test_a_folder_as_the_file_is_one_line(capsys, batch, tmp_path):
    (tmp_path / "grades.csv").mkdir()
    code, err = grade(capsys, batch, tmp_path / "grades.csv")
    assert (code, err) == (2, f"derive: --out {tmp_path / 'grades.csv'}: {tmp_path / 'grades.csv'} is a folder\n")


def test_a_folder_as_the_reasons_file_is_one_line_and_nothing_is_written(capsys, batch, tmp_path):
    (tmp_path / "grades.reasons.csv").mkdir()
    code, err = grade(capsys, batch, tmp_path / "grades.csv")
    out = tmp_path / "grades.csv"
    assert (code, err) == (2, f"derive: --out {out}: {tmp_path / 'grades.reasons.csv'} is a folder\n")
    assert listing(tmp_path) == {}


def test_a_missing_folder_is_one_line(capsys, batch, tmp_path):
    out = tmp_path / "nowhere" / "grades.csv"
    code, err = grade(capsys, batch, out)
    assert (code, err) == (2, f"derive: --out {out}: no such folder {out.parent}\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_folder_is_one_line(capsys, batch, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    code, err = grade(capsys, batch, folder / "grades.csv")
    assert (code, err) == (2, f"derive: --out {folder / 'grades.csv'}: the folder {folder} is not writable\n")


class _Failing:
    """A file whose writes fail with `code` (a full disk, a read-only mount) once `after` bytes
    are written."""

    def __init__(self, file, code: int, after: int) -> None:
        self._file, self._code, self._left = file, code, after

    def write(self, data: bytes) -> int:
        if len(data) > self._left:
            raise OSError(self._code, os.strerror(self._code), self._file.name)
        self._left -= len(data)
        return self._file.write(data)

    def __getattr__(self, name: str):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()


@pytest.mark.parametrize(("code", "reason"), [(errno.ENOSPC, "the disk is full"),
                                             (errno.EROFS, "Read-only file system")])
@pytest.mark.parametrize("after", [0, 10**9])  # the first file fails, or the second
def test_an_unwritable_disk_is_one_line_leaving_the_earlier_files_and_no_temporary_one(
        capsys, batch, tmp_path, monkeypatch, after, code, reason):
    earlier = {"grades.csv": b"earlier grades\n", "grades.reasons.csv": b"earlier reasons\n"}
    for name, data in earlier.items():
        (tmp_path / name).write_bytes(data)
    written = []

    def failing_open(path, mode="r", *args, **kwargs):
        file = open(path, mode, *args, **kwargs)  # noqa: SIM115 (closed by the caller's with)
        if "w" not in mode or Path(path).name.startswith(outputs.JOURNAL):
            return file
        written.append(path)
        return _Failing(file, code, after if len(written) == 1 else 0)

    monkeypatch.setattr(outputs, "open", failing_open, raising=False)
    status, err = grade(capsys, batch, tmp_path / "grades.csv")
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(f"derive: --out {tmp_path}: cannot write ({reason}"), err
    assert listing(tmp_path) == earlier
