"""Shared helpers: configs written to temporary files, the CLI run in-process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import derive.questions.registry  # noqa: F401  (numbers the questions, as every command does: a file run alone)
from derive import cli, config

if os.environ.get("DERIVE_TEST_TOY") == "1":  # tests/test_toy_question.py: the suites with a fifth question
    from tests.fixtures.toy import register_toy

    register_toy()

needs_tex = pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
    reason="pdflatex/pdftotext not installed (make test installs them)",
)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (the LaTeX state in .latex/ included), by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True, scope="session")
def derive_cache(tmp_path_factory: pytest.TempPathFactory):
    """derive's cache (derive/cache.py) in a folder of the test session's, never the user's;
    commands run in subprocesses inherit it."""
    folder = tmp_path_factory.mktemp("derive-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DERIVE_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own (derive/cache.py), empty at the start."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def write_config(tmp_path: Path):
    def write(text: str, name: str = "config.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def load_text(write_config):
    def load(text: str) -> config.Config:
        return config.load(write_config(text))

    return load


@pytest.fixture
def run(capsys):
    def run_cli(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli
