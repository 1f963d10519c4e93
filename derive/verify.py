"""Shared shapes of a check: seeded numeric comparison with an explicit tolerance."""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np

from derive.answer import Check, Issued, Skipped
from derive.version import DISTRIBUTION

CheckList = list[Check | Skipped]


def max_abs_error(got: Any, expected: Any) -> float:
    a, b = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)))


def max_rel_error(got: Any, expected: Any) -> float:
    """Largest |got - expected| relative to the largest |expected| (scale-aware)."""
    a, b = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-300)
    return max_abs_error(a, b) / scale


def compare(part: Issued, name: str, method: str, got: Any, expected: Any,
            tolerance: float, relative: bool = False, scale: float | None = None,
            certifies: tuple[str, ...] = ()) -> Check:
    """Largest difference: absolute, relative to the largest |expected| (relative=True), or
    relative to a given scale (the magnitude of the data the result was computed from).
    `part`: the sub-question the check is filed under, as the registry issued it.

    The comparison also proves it can fail: `got` with one entry moved by twice the tolerance
    (in the check's own units; at least a few ulps, so that the move is representable) must
    exceed it, or the check fails as unable to fail."""
    def error(values: Any) -> float:
        if scale is not None:
            return max_abs_error(values, expected) / max(scale, 1e-300)
        return max_rel_error(values, expected) if relative else max_abs_error(values, expected)

    err = error(got)
    planted = np.array(got, dtype=float)
    if planted.size and np.shape(expected) == planted.shape and math.isfinite(err):
        unit = scale if scale is not None else (float(np.max(np.abs(expected))) if relative else 1.0)
        first = planted.flat[0] - np.asarray(expected, dtype=float).flat[0]
        move = max(2 * tolerance * max(unit, 1e-300), 4 * math.ulp(planted.flat[0]))  # representable
        planted.flat[0] += math.copysign(move, first)
        if not error(planted) > tolerance:
            return Check(part.id, name, f"{method}; cannot fail: an entry moved by twice the tolerance passed",
                         math.inf, tolerance, certifies)
    return Check(part.id, name, method, err, tolerance, certifies)


def count_check(part: Issued, name: str, method: str, pairs: list[tuple[int, int]],
                certifies: tuple[str, ...] = ()) -> Check:
    """Exact agreement of integer counts: the error is the largest absolute difference."""
    err = max((abs(int(a) - int(b)) for a, b in pairs), default=0)
    return Check(part.id, name, method, float(err), 0.0, certifies)


def torch_installed() -> bool:
    """Whether PyTorch can be found, without importing it: known before any check runs, so the
    document's prose can name the PyTorch checks (build.py refuses a build where they then skip)."""
    return importlib.util.find_spec("torch") is not None


def torch_module() -> Any | None:
    """PyTorch if the `crosscheck` extra is installed, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@dataclass(frozen=True)
class TorchJob:
    """A PyTorch cross-check to run later, possibly in another process: a module-level
    function and plain (picklable) numeric arguments; it is called as fn(torch, part, *args)
    and returns checks filed under `part`."""

    part: Issued
    name: str
    fn: Callable[..., CheckList]
    args: tuple[Any, ...]
    certifies: tuple[str, ...] = ()  # what its checks certify together (shown when it cannot run)


Planned = list[Check | Skipped | TorchJob]

_CROSSCHECK_MARKER = re.compile(r"""extra\s*==\s*["']crosscheck["']""")


def crosscheck_requirement() -> str:
    """What the `crosscheck` extra installs (PyTorch and its version range), read from this
    installation's metadata so that a hint names exactly it; plain `torch` when derive runs
    from a source tree that was never installed."""
    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return "torch"
    extra = [r.split(";")[0].strip() for r in requires if _CROSSCHECK_MARKER.search(r)]
    return extra[0] if extra else "torch"


def no_torch() -> str:
    """Why a PyTorch check did not run, with the command that installs what it needs."""
    return f"PyTorch is not installed (pip install '{crosscheck_requirement()}')"


def torch_job(part: Issued, name: str, fn: Callable[..., CheckList], *args: Any,
              certifies: tuple[str, ...] = ()) -> TorchJob:
    return TorchJob(part, name, fn, args, certifies)


def run_torch_jobs(jobs: list[TorchJob]) -> CheckList:
    """Each job's checks; PyTorch is imported only when there is a job to run."""
    torch = torch_module() if jobs else None
    if torch is None:
        return [Skipped(job.part.id, job.name, no_torch(), job.certifies) for job in jobs]
    return [result for job in jobs for result in job.fn(torch, job.part, *job.args)]


def resolve(planned: Planned) -> CheckList:
    """Run a question's planned checks here and now, PyTorch jobs included."""
    jobs = [p for p in planned if isinstance(p, TorchJob)]
    return [p for p in planned if not isinstance(p, TorchJob)] + run_torch_jobs(jobs)
