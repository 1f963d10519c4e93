"""Files that ship with derive: inside the wheel as derive/<name>, at the repository's root in
a source tree (templates/, docs/)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from derive.errors import DeriveError


def packaged(name: str) -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise DeriveError(f"derive's {name} are missing (looked in {here / name} and {here.parent / name})")


def default_text() -> str:
    """The packaged default config: the assignment as printed, every key commented."""
    return resources.files("derive").joinpath("default.toml").read_text(encoding="utf-8")
