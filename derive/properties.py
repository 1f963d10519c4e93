"""Properties a variant can be required to have (`[variants] require`), proved on its derived answer.

Each property belongs to one question: `derive variants` redraws that question's data until
every required property of it holds on the answer the question's own derivation returns.
`impossible` rules out, before any draw, what the `[variants]` table makes unattainable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sympy as sp

    from derive.config import Path_
    from derive.questions.decoding import DecodingAnswer
    from derive.questions.normalization import NormalizationAnswer
    from derive.variants_spec import VariantsSpec


@dataclass(frozen=True)
class Property:
    question: str  # the key of the question whose answer proves it
    description: str
    holds: Callable[[Any, VariantsSpec], bool]
    impossible: Callable[[VariantsSpec], str | None]  # why it can never hold, or None


def _values(answer: NormalizationAnswer, field: str) -> list[Any]:
    return [x for s in answer.statistics for x in getattr(s, field).flat]


def _nonzero_variance(answer: NormalizationAnswer, _: VariantsSpec) -> bool:
    return all(x != 0 for x in _values(answer, "variance"))


def _small_denominators(answer: NormalizationAnswer, spec: VariantsSpec) -> bool:
    limit = spec.normalization.max_denominator
    return all(x.q <= limit for x in _values(answer, "mean") + _values(answer, "variance"))


def _constant_entries(spec: VariantsSpec) -> str | None:
    low, high = spec.normalization.entries
    if low == high:
        return f"variants.normalization.entries = [{low}, {high}] makes every variance 0"
    if all(shape[2] == 1 for shape in spec.normalization.shapes):
        return "with L = 1 in every shape, each instance variance is over one entry, so 0"
    return None


def _greedy_not_optimal(answer: DecodingAnswer, _: VariantsSpec) -> bool:
    return answer.greedy.score < answer.optimum.score


def _greedy_not_best_beam(answer: DecodingAnswer, _: VariantsSpec) -> bool:
    return answer.greedy.score < answer.beams[0].score


def _beam_misses_optimum(answer: DecodingAnswer, _: VariantsSpec) -> bool:
    return answer.beams[0].score < answer.optimum.score


def _no_ties(answer: DecodingAnswer, _: VariantsSpec) -> bool:
    scores = [h.score for h in answer.ranking]
    logps: dict[Path_, list[sp.Rational]] = {}
    for path, logp in answer.config.tree.items():
        logps.setdefault(path[:-1], []).append(logp)
    return len(set(scores)) == len(scores) and all(len(set(x)) == len(x) for x in logps.values())


def _branching_tree(spec: VariantsSpec) -> str | None:
    if max(spec.decoding.depth) < 2:
        return "with depth 1, greedy decoding and beam search both find the optimum"
    if spec.decoding.branching[1] < 2:
        return "with branching at most 1 the tree has a single path"
    return None


def _beam_beats_greedy(spec: VariantsSpec) -> str | None:
    if max(spec.decoding.beam_width) < 2:
        return "with beam width 1, beam search is greedy decoding"
    return _branching_tree(spec)


def _possible(_: VariantsSpec) -> str | None:
    return None


PROPERTIES: dict[str, Property] = {
    "nonzero_variance": Property("normalization", "no variance is 0", _nonzero_variance, _constant_entries),
    "small_denominators": Property("normalization", "every mean and variance has a denominator at most "
                                   "variants.normalization.max_denominator", _small_denominators, _possible),
    "greedy_not_optimal": Property("decoding", "greedy decoding misses the optimum", _greedy_not_optimal,
                                   _branching_tree),
    "greedy_not_best_beam": Property("decoding", "the best beam scores higher than the greedy sequence",
                                     _greedy_not_best_beam, _beam_beats_greedy),
    "beam_misses_optimum": Property("decoding", "beam search misses the optimum", _beam_misses_optimum,
                                    _branching_tree),
    "no_ties": Property("decoding", "no two full paths tie, and no two siblings have the same log p", _no_ties,
                        _possible),
}
