"""Which config produced each output in a folder: `.derive-origins.json`, written by every build.

A build writes the outputs of its sheets only; a folder can still hold another sheet's outputs
from an earlier build (questions.pdf beside solutions.pdf). Those are kept when the same config
produced them, and removed, in the build's own transaction, when a different one did: the
folder never shows a question sheet and solutions of two configs side by side. A config is
known by a digest of what it loads to, so the same assignment from another path or from
stdin is the same config. Outputs the record does not list (a folder from before it existed,
or a damaged record) are left alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from derive.config import Config

ORIGINS = ".derive-origins.json"


def identity(config: Config) -> str:
    """A digest of the loaded config (frozen dataclasses: their repr is their content)."""
    return hashlib.sha256(repr(config).encode("utf-8")).hexdigest()[:16]


def read(out_dir: Path) -> dict[str, str]:
    """The recorded name -> config identity; {} for none, a damaged record or a symbolic link."""
    path = out_dir / ORIGINS
    if path.is_symlink() or not path.is_file():
        return {}
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(recorded, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in recorded.items()):
        return {}
    return recorded


def left_by_others(out_dir: Path, recorded: dict[str, str], origin: str, writing: set[str]) -> list[str]:
    """Outputs in the folder that another config produced and this build does not replace."""
    return sorted(name for name, by in recorded.items()
                  if by != origin and name not in writing and "/" not in name and name != ORIGINS
                  and (out_dir / name).is_file() and not (out_dir / name).is_symlink())


def record(recorded: dict[str, str], origin: str, writing: set[str], removing: list[str]) -> bytes:
    """The new record: the earlier entries kept, this build's outputs as `origin`'s."""
    kept = {name: by for name, by in recorded.items() if name not in writing and name not in removing}
    return (json.dumps(kept | dict.fromkeys(writing, origin), sort_keys=True, indent=1) + "\n").encode("utf-8")
