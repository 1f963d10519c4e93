"""Question 1's misconceptions, each derived by the question's own statistics (`over_axes`) on
the variant's tensor: the unbiased variance, the standard deviation given for the variance, and
every wrong set of reduction axes for each normalization."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import sympy as sp

from derive.config import Config
from derive.questions.base import Misconception
from derive.questions.normalization.answer import AXES, KINDS, field, over_axes
from derive.questions.normalization.settings import SECTION as NORMALIZATION


def _strings(array: np.ndarray) -> Any:
    return np.vectorize(str, otypes=[object])(array).tolist()


def _floats(array: np.ndarray) -> Any:
    return np.vectorize(float, otypes=[float])(array).tolist()


def _sizes(axes: tuple[int, ...]) -> str:
    names = [AXES[a].size for a in axes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _named_by(axes: tuple[int, ...]) -> str:
    """", layer normalization's axes" when another normalization reduces exactly these."""
    owner = next((kind for kind, (reduced, _) in KINDS.items() if reduced == axes), None)
    return f" (the axes of {owner} normalization)" if owner else ""


def misconceptions(config: Config) -> list[Misconception]:
    tensor = np.array(NORMALIZATION.of(config).tensor, dtype=object)
    unbiased: dict[str, Any] = {}
    deviation: dict[str, Any] = {}
    out = []
    for kind, (axes, _) in KINDS.items():
        count = int(np.prod([tensor.shape[a] for a in axes]))
        _, variance, _ = over_axes(tensor, axes)
        if count > 1:  # with one entry per group, m - 1 = 0: no such answer
            unbiased[field(kind, "variance")] = _strings(variance * sp.Rational(count, count - 1))
        deviation[field(kind, "variance")] = _floats(np.vectorize(sp.sqrt, otypes=[object])(variance))
        for size in (1, 2, 3):
            for wrong in itertools.combinations(range(3), size):
                if wrong == axes:
                    continue
                mean, variance, _ = over_axes(tensor, wrong)
                letters = "".join(AXES[a].size for a in wrong)
                out.append(Misconception(
                    f"{kind}-over-{letters}",
                    f"{kind.capitalize()} normalization's statistics were taken over {_sizes(wrong)}"
                    f"{_named_by(wrong)} instead of over {_sizes(axes)}.",
                    {field(kind, "mean"): _strings(mean), field(kind, "variance"): _strings(variance)}))
    return [
        Misconception("unbiased-variance", "The variance was divided by m - 1 (the unbiased estimate) instead of "
                      "by m, the count of entries reduced, as normalization layers do.", unbiased),
        Misconception("std-for-variance", "The standard deviation was given where the variance was asked "
                      "(the square root was taken).", deviation),
        *out,
    ]
