"""Shared shapes of a check: seeded numeric comparison with an explicit tolerance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from derive.answer import Check, Skipped

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


def compare(question: str, name: str, method: str, got: Any, expected: Any,
            tolerance: float, relative: bool = False) -> Check:
    err = max_rel_error(got, expected) if relative else max_abs_error(got, expected)
    return Check(question, name, method, err, tolerance)


def count_check(question: str, name: str, method: str, pairs: list[tuple[int, int]]) -> Check:
    """Exact agreement of integer counts: the error is the largest absolute difference."""
    err = max((abs(int(a) - int(b)) for a, b in pairs), default=0)
    return Check(question, name, method, float(err), 0.0)


def torch_module() -> Any | None:
    """PyTorch if the `crosscheck` extra is installed, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def with_torch(question: str, name: str, run: Callable[[Any], CheckList]) -> CheckList:
    torch = torch_module()
    if torch is None:
        return [Skipped(question, name, "PyTorch is not installed (pip install 'derive[crosscheck]')")]
    return list(run(torch))
