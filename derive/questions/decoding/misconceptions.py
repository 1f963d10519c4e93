"""Question 2's misconceptions, each derived on the variant's tree and sizes by the question's
own counts and searches (derive/questions/decoding/search.py): <BOS> counted as a position, repeats
forbidden, base and exponent swapped (2.1); greedy given as the beam (only the best hypothesis
extended), Algorithm 1's duplicated
first step, the most likely sequence given as greedy's, log-likelihoods in log10 or as
probabilities (2.4)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.config import Config
from derive.questions.base import Misconception
from derive.questions.decoding import search
from derive.questions.decoding.answer import BEAMS, KEY, N, T, t
from derive.questions.decoding.search import Hypothesis
from derive.questions.decoding.settings import SECTION as DECODING


def _count(expr: sp.Expr) -> dict[str, Any]:
    return {f"{KEY}.num_sequences": str(expr)}


def _scored(hypotheses: dict[str, Hypothesis], score: Any = str) -> dict[str, Any]:
    """`{"greedy": h, "beam.1": h}` as the fields of answers.json, the score written by `score`."""
    out: dict[str, Any] = {}
    for where, h in hypotheses.items():
        out[f"{KEY}.{where}.words"] = list(h.words)
        out[f"{KEY}.{where}.log_likelihood"] = score(h.score)
    return out


def _log_likelihoods(hypotheses: dict[str, Hypothesis], score: Any) -> dict[str, Any]:
    return {k: v for k, v in _scored(hypotheses, score).items() if k.endswith(".log_likelihood")}


def misconceptions(config: Config) -> list[Misconception]:
    cfg = DECODING.of(config)
    greedy, _ = search.greedy(cfg.tree, cfg.steps)
    beams, _ = search.beam_search(cfg.tree, cfg.steps, cfg.beam_width)
    optimum = search.exhaustive(cfg.tree, cfg.steps)[0]
    literal = search.literal_beam_search(cfg.tree, cfg.steps, cfg.beam_width)
    found = {"greedy": greedy} | {f"{BEAMS}.{k + 1}": h for k, h in enumerate(beams)}
    # Only the best hypothesis extended, as greedy does: the B best completions of greedy's first T - 1 words.
    base = greedy.score - cfg.tree[greedy.words]
    extended = sorted((Hypothesis(path, base + cfg.tree[path]) for path in search.children_index(cfg.tree)[
        greedy.words[:-1]]), key=search.rank)[: cfg.beam_width]
    return [
        Misconception("count-bos", "<BOS> was counted as one of the positions: N^(T+1) sequences, but <BOS> "
                      "is given, and only the T words after it are chosen.",
                      _count(sp.Product(N, (t, 1, T + 1)).doit())),
        Misconception("no-consecutive-repeats", "A word was forbidden to follow itself (N (N-1)^(T-1)), but the "
                      "question allows any word at every position.",
                      _count(N * sp.Product(N - 1, (t, 2, T)).doit())),
        Misconception("count-swapped", "Base and exponent were swapped: T^N instead of N choices at each of the "
                      "T positions.", _count(sp.Product(T, (t, 1, N)).doit())),
        Misconception("greedy-as-beam", "Only the best hypothesis was extended at each step, as greedy decoding "
                      "does; beam search extends all B hypotheses it keeps, so its beams need not share greedy's "
                      "prefix.", _scored({f"{BEAMS}.{k + 1}": h for k, h in enumerate(extended)})),
        Misconception("duplicated-first-step", "Algorithm 1 was run literally from B identical <BOS> beams, so "
                      "the first step kept copies of one word; start from the single hypothesis <BOS>.",
                      _scored({f"{BEAMS}.{k + 1}": h for k, h in enumerate(literal)})),
        Misconception("optimum-as-greedy", "The most likely sequence (exhaustive search) was given as greedy's: "
                      "greedy decoding takes the most likely word at each step and can miss it.",
                      _scored({"greedy": optimum})),
        Misconception("log10", "The log-likelihoods were given in base 10; the tree's log-probabilities are "
                      "natural logs, and the score is their sum.",
                      _log_likelihoods(found, lambda s: float(s / sp.log(10)))),
        Misconception("probability-for-log-likelihood", "A probability (the exponential of the score) was given "
                      "where the log-likelihood, the sum of the log-probabilities, was asked.",
                      _log_likelihoods(found, lambda s: float(sp.exp(s)))),
    ]
