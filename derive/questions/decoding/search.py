"""Decoding algorithms on a tree of log-probabilities, and Algorithm 1 instrumented.

A tree maps word paths (the words after <BOS>) to log p(last word | the words before).
Ordering everywhere: higher score first, ties broken by the lexicographic order of paths.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

Path = tuple[str, ...]
Tree = dict[Path, sp.Rational]

# The operations the instrumented runs count, as the cost tables, their checks and the prose name them.
SCORES = "scores"
COMPARISONS = "comparisons"
WORDS_WRITTEN = "words written"
SPACE = "space"  # peak storage, in values
# The score of beams 2..B at the start of the sort-based search, as Hugging Face transformers
# gives them, so that every step has B*N candidates.
DEAD_BEAM_SCORE = -(10**9)


@dataclass(frozen=True)
class Hypothesis:
    words: Path
    score: sp.Rational


@dataclass(frozen=True)
class Candidate:
    words: Path
    parent_score: sp.Rational
    logp: sp.Rational
    score: sp.Rational
    kept: bool


@dataclass(frozen=True)
class Step:
    t: int
    candidates: tuple[Candidate, ...]  # best first
    kept: tuple[Hypothesis, ...]


def rank(h: Hypothesis | Candidate) -> tuple[Fraction, Path]:
    """Sort key: higher score first, then the lexicographic order of the path. Exact, as a
    Python Fraction (comparing SymPy numbers is slow)."""
    return (-Fraction(int(h.score.p), int(h.score.q)), h.words)


def children_index(tree: Tree) -> dict[Path, list[Path]]:
    index: dict[Path, list[Path]] = defaultdict(list)
    for path in tree:
        index[path[:-1]].append(path)
    return index


def _over_common_denominator(tree: Tree) -> tuple[int, dict[Path, int]]:
    """The tree's log p as integers over their least common denominator D: sums and comparisons
    of these numerators are exact, and as fast as Python's integers (SymPy's and Fraction's
    arithmetic dominated a search on a large tree). A score n stands for n / D."""
    denominator = math.lcm(*{int(logp.q) for logp in tree.values()})
    return denominator, {path: int(logp.p) * (denominator // int(logp.q)) for path, logp in tree.items()}


def beam_search(tree: Tree, steps: int, width: int, tables: bool = True) -> tuple[list[Hypothesis], list[Step]]:
    """Beam search from the single hypothesis <BOS>: the B best hypotheses at depth `steps`, and
    each step's candidates (without `tables`: the hypotheses alone, and no steps)."""
    index = children_index(tree)
    denominator, logp = _over_common_denominator(tree)
    kept: list[tuple[int, Path]] = [(0, ())]  # (minus the score's numerator, path): sorted, best first
    scores: dict[Path, sp.Rational] = {(): sp.Integer(0)}  # the kept paths' scores, for the tables
    table = []
    for t in range(1, steps + 1):
        ordered = sorted((key - logp[path], path) for key, words in kept for path in index.get(words, []))
        kept = ordered[:width]
        if tables:
            exact = [sp.Rational(-key, denominator) for key, _ in ordered]
            table.append(Step(t, tuple(Candidate(path, scores[path[:-1]], tree[path], score, i < width)
                                       for i, ((_, path), score) in enumerate(zip(ordered, exact, strict=True))),
                              tuple(Hypothesis(path, score) for (_, path), score in zip(kept, exact, strict=False))))
            scores = {h.words: h.score for h in table[-1].kept}
    if table:
        return list(table[-1].kept), table
    return [Hypothesis(path, sp.Rational(-key, denominator)) for key, path in kept], table


def greedy(tree: Tree, steps: int) -> tuple[Hypothesis, list[Step]]:
    """Greedy decoding: at each step the most likely next word (ties: lexicographic)."""
    beams, table = beam_search(tree, steps, 1)
    return beams[0], table


def exhaustive(tree: Tree, steps: int) -> list[Hypothesis]:
    """Every path of depth `steps`, scored by summing its edges, best first."""
    denominator, logp = _over_common_denominator(tree)
    scores: dict[Path, int] = {(): 0}
    for path in sorted((p for p in tree if len(p) <= steps), key=len):  # parents before children
        scores[path] = scores[path[:-1]] + logp[path]
    return [Hypothesis(p, sp.Rational(-key, denominator))
            for key, p in sorted((-n, p) for p, n in scores.items() if len(p) == steps)]


def literal_first_step(tree: Tree, width: int) -> list[tuple[Hypothesis, int]]:
    """Algorithm 1 taken literally: B identical <BOS> beams, so each first word is a candidate
    B times. What its first step keeps, as (hypothesis, copies) best first, counted without
    building the B x N candidates: a word's B copies are adjacent in the ranking (equal keys)."""
    _, logp = _over_common_denominator(tree)
    kept: list[tuple[Hypothesis, int]] = []
    room = width
    for _, path in sorted((-logp[path], path) for path in children_index(tree)[()]):
        if room == 0:
            break
        kept.append((Hypothesis(path, tree[path]), min(width, room)))
        room -= kept[-1][1]
    return kept


def literal_beam_search(tree: Tree, steps: int, width: int) -> list[Hypothesis]:
    """Algorithm 1 taken literally to the end: B identical <BOS> beams, every copy expanded, the
    B best candidates kept each step (copies of one sequence included), best first.

    A beam and its copies are held once with their number: the copies of a candidate are equal
    under `rank` and so adjacent in the sorted candidates, and keeping the B best copies is
    keeping each candidate's copies until B are kept. The same beams as B x N candidates would
    give, in the same order, in memory that does not grow with B."""
    index = children_index(tree)
    beams: list[tuple[Hypothesis, int]] = [(Hypothesis((), sp.Integer(0)), width)]
    for _ in range(steps):
        candidates = sorted(((Hypothesis(path, h.score + tree[path]), copies) for h, copies in beams
                             for path in index.get(h.words, [])), key=lambda candidate: rank(candidate[0]))
        beams, room = [], width
        for h, copies in candidates:
            if room == 0:
                break
            beams.append((h, min(copies, room)))
            room -= beams[-1][1]
    return [h for h, copies in beams for _ in range(copies)]


@dataclass
class Counter:
    """Operations of Algorithm 1 as printed: scores, comparisons, words written; peak storage."""

    scores: int = 0
    comparisons: int = 0
    words_written: int = 0
    peak_space: int = 0


def algorithm1(logp: Callable[[tuple[int, ...], int], float], vocabulary: int, steps: int, width: int,
               bos: int = 0) -> tuple[list[tuple[int, ...]], Counter]:
    """Algorithm 1 exactly as printed, on a full language model over `vocabulary` words.

    The b-th largest score is found by a linear scan over the candidates not yet taken
    (selection by repeated scanning). Its arrays are written in place: the copies, the new
    words and the copies assigned back one word at a time, each word counted as it is written
    (the B initial <BOS> words are not: the cost counts the T steps). The storage is not
    computed but measured: the values its structures hold (the scores, the sequences, their
    copies, the old and new log-likelihoods), after every phase of every step.
    """
    count = Counter()
    s = [[0.0] * vocabulary for _ in range(width)]  # s_b(j), overwritten at each step
    seqs = [[bos] for _ in range(width)]  # w^(b)_{0:t}
    ll = [0.0] * width
    for t in range(1, steps + 1):
        for b in range(width):
            for j in range(vocabulary):
                s[b][j] = ll[b] + logp(tuple(seqs[b]), j)
                count.scores += 1
        saved: list[list[int]] = []  # the copies w~^(b)_{0:t-1}
        new_ll: list[float] = []
        _measure(count, (s, seqs, saved), (ll, new_ll))
        taken: set[tuple[int, int]] = set()
        for b in range(width):
            best: tuple[int, int] | None = None
            for b2 in range(width):
                for j in range(vocabulary):
                    if (b2, j) in taken:
                        continue
                    if best is None:
                        best = (b2, j)
                        continue
                    count.comparisons += 1
                    if s[b2][j] > s[best[0]][best[1]]:
                        best = (b2, j)
            assert best is not None
            taken.add(best)
            saved.append(_copy(seqs[best[0]], t, count))  # save the partial sequence w^(b')_{0:t-1}
            seqs[b].append(best[1])  # add the word j: w^(b)_t (positions 0..t-1 stay for later saves)
            count.words_written += 1
            new_ll.append(s[best[0]][best[1]])
            _measure(count, (s, seqs, saved), (ll, new_ll))
        for b in range(width):  # assign the partial sequences: w^(b)_{0:t-1} <- w~^(b)_{0:t-1}
            for i, word in enumerate(saved[b]):
                seqs[b][i] = word
                count.words_written += 1
        _measure(count, (s, seqs, saved), (ll, new_ll))
        ll = new_ll
    return [tuple(w) for w in seqs], count


def _copy(words: list[int], length: int, count: Counter) -> list[int]:
    """The first `length` words, written one at a time into a new array; each write counted."""
    out: list[int] = []
    for i in range(length):
        out.append(words[i])
        count.words_written += 1
    return out


def _measure(count: Counter, tables: Sequence[Sequence[Sized]], arrays: Sequence[Sized]) -> None:
    """The values held now by the tables (by their rows) and the arrays, kept if a peak."""
    held = sum(len(row) for table in tables for row in table) + sum(len(x) for x in arrays)
    count.peak_space = max(count.peak_space, held)


def merge_sort(items: list[tuple[float, int, int]], count: Counter) -> list[tuple[float, int, int]]:
    """Top-down merge sort, best first (higher score, then lower (beam, word)); counts comparisons."""
    if len(items) <= 1:
        return items
    middle = (len(items) + 1) // 2
    left, right = merge_sort(items[:middle], count), merge_sort(items[middle:], count)
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        count.comparisons += 1
        if (-left[i][0], left[i][1:]) <= (-right[j][0], right[j][1:]):
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def sort_beam(logp: Callable[[tuple[int, ...], int], float], vocabulary: int, steps: int, width: int,
              bos: int = 0) -> tuple[list[tuple[int, ...]], Counter]:
    """Beam search as usually implemented: every beam scores every word, all B*N candidates are
    sorted (merge sort) and the first B kept; sequences are kept as back-pointers, not copied.

    All B beams start at <BOS>, beams 2..B with a score of DEAD_BEAM_SCORE (as Hugging Face
    transformers does), so that every step has B*N candidates.
    """
    count = Counter()
    pointers: list[list[tuple[int, int]]] = []  # per step: (parent beam, word) of each kept beam
    ll = [0.0] + [float(DEAD_BEAM_SCORE)] * (width - 1)
    prefixes: list[tuple[int, ...]] = [(bos,)] * width
    for _ in range(steps):
        candidates = []
        for b in range(width):
            for j in range(vocabulary):
                candidates.append((ll[b] + logp(prefixes[b], j), b, j))
                count.scores += 1
        kept = merge_sort(candidates, count)[:width]
        pointers.append([(b, j) for _, b, j in kept])
        ll = [s for s, _, _ in kept]
        prefixes = [prefixes[b] + (j,) for _, b, j in kept]  # for the model's input only
    return _read_back(pointers, bos), count


def _read_back(pointers: list[list[tuple[int, int]]], bos: int) -> list[tuple[int, ...]]:
    """The kept sequences, read from the back-pointers once at the end."""
    sequences = []
    for beam in range(len(pointers[-1]) if pointers else 0):
        words = []
        for step in reversed(pointers):
            beam, word = step[beam]
            words.append(word)
        sequences.append((bos, *reversed(words)))
    return sequences
