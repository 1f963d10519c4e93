"""The graded parts of one key (an answers.json object) and their points.

Points follow the assignment's values per question; within a question they are split evenly
over its answers, then evenly over the entries of an answer that is graded entry by entry
(a gradient matrix). Questions answered in prose or with a figure are not graded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from derive.errors import ConfigError
from derive.questions import decoding, lora

# The assignment's point values (IFT6135-H2025 A2, theoretical part) of the graded questions.
QUESTION_POINTS: dict[str, int] = {"1": 6, "2.1": 2, "2.3": 3, "2.4(a)": 2, "2.4(b)": 8, "3.3": 5,
                                   "4.4(a)": 9, "4.4(b)": 3}
# Answered in prose or with a figure: not graded here.
UNGRADED_POINTS: dict[str, int] = {"2.2": 2, "2.5": 3, "3.1": 2, "3.2": 10, "4.1": 2, "4.2": 2, "4.3": 2}
NUMBER, TENSOR, EXACT, O_FORM, WORDS, CHOICE = "number", "tensor", "exact", "O-form", "words", "choice"


@dataclass(frozen=True)
class Part:
    path: str  # dotted, as in the report; indices count from 1
    question: str  # "2.4(b)"
    points: Fraction
    kind: str
    expected: Any  # the key's value (an entry's value for an entry of a matrix)
    field: tuple[str | int, ...]  # where the submission holds the answer (list positions from 0)
    entry: tuple[int, ...] = ()  # the entry of a matrix answer (from 0), graded on its own
    shape: tuple[int, ...] = ()  # the key's shape, for tensors and matrix entries
    symbols: tuple[sp.Symbol, ...] = ()
    order: tuple[tuple[sp.Symbol, sp.Symbol], ...] = ()
    alternatives: tuple[tuple[str, str], ...] = ()  # (answer, why): accepted when exact, a hint when words


def shape_of(value: Any) -> tuple[int, ...]:
    shape: list[int] = []
    while isinstance(value, list) and value:
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def _get(key: dict[str, Any], *path: str | int) -> Any:
    node: Any = key
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            where = ".".join(str(s) for s in path)
            raise ConfigError("--key", f"the key has no {where} (not an answers.json of this derive)") from None
    return node


def parts(key: dict[str, Any]) -> list[Part]:
    """Every graded part of a key, in the order of the assignment."""
    out: list[Part] = []
    q1 = Fraction(QUESTION_POINTS["1"]) / 6
    for kind in ("batch", "layer", "instance"):
        for stat in ("mean", "variance"):
            value = _get(key, "normalization", kind, stat)
            out.append(Part(f"normalization.{kind}.{stat}", "1", q1, TENSOR, value,
                            ("normalization", kind, stat), shape=shape_of(value)))
    nt = (decoding.N, decoding.T)
    out.append(Part("decoding.num_sequences", "2.1", Fraction(QUESTION_POINTS["2.1"]), EXACT,
                    _get(key, "decoding", "num_sequences"), ("decoding", "num_sequences"), symbols=nt,
                    alternatives=((_get(key, "decoding", "num_sequences_without_repeated_bos"),
                                   "the count when <BOS> cannot follow itself, as the solutions note"),)))
    tbn = (decoding.T, decoding.B, decoding.N)
    sorted_variant = _get(key, "decoding", "complexity").get("sorted", {})
    for what in ("time", "space"):
        other = sorted_variant.get(what)
        out.append(Part(f"decoding.complexity.{what}", "2.3", Fraction(QUESTION_POINTS["2.3"]) / 2, O_FORM,
                        _get(key, "decoding", "complexity", what), ("decoding", "complexity", what),
                        symbols=tbn, order=tuple(decoding.ORDER),
                        alternatives=((other, "selecting by sorting the candidates, as the solutions also derive"),)
                        if isinstance(other, str) else ()))
    greedy = Fraction(QUESTION_POINTS["2.4(a)"]) / 2
    out.append(Part("decoding.greedy.words", "2.4(a)", greedy, WORDS, _get(key, "decoding", "greedy", "words"),
                    ("decoding", "greedy", "words")))
    out.append(Part("decoding.greedy.log_likelihood", "2.4(a)", greedy, NUMBER,
                    _get(key, "decoding", "greedy", "log_likelihood"), ("decoding", "greedy", "log_likelihood")))
    beams = _get(key, "decoding", "beam")
    per_field = Fraction(QUESTION_POINTS["2.4(b)"]) / len(beams) / 2
    for i, beam in enumerate(beams):
        others = tuple((" ".join(b["words"]), f"that is beam {k + 1} of the key: beams are ordered best first")
                       for k, b in enumerate(beams) if k != i)
        out.append(Part(f"decoding.beam.{i + 1}.words", "2.4(b)", per_field, WORDS, beam["words"],
                        ("decoding", "beam", i, "words"), alternatives=others))
        out.append(Part(f"decoding.beam.{i + 1}.log_likelihood", "2.4(b)", per_field, NUMBER,
                        beam["log_likelihood"], ("decoding", "beam", i, "log_likelihood")))
    share = Fraction(QUESTION_POINTS["3.3"]) / 3  # the instance's loss and its two gradients
    out.append(Part("birnn.instance.loss", "3.3", share, NUMBER, _get(key, "birnn", "instance", "loss"),
                    ("birnn", "instance", "loss")))
    for name in ("grad_W_b", "grad_U_f"):
        matrix = _get(key, "birnn", "instance", name)
        rows, cols = len(matrix), len(matrix[0])
        for i in range(rows):
            for j in range(cols):
                out.append(Part(f"birnn.instance.{name}.{i + 1}.{j + 1}", "3.3", share / (rows * cols), NUMBER,
                                matrix[i][j], ("birnn", "instance", name), entry=(i, j), shape=(rows, cols)))
    o_forms = [(mod, meth, f"{k}_big_o") for mod in lora.MODULES for meth in lora.METHODS for k in ("time", "space")]
    for mod, meth, name in o_forms:
        out.append(Part(f"lora.{mod}.{meth}.{name}", "4.4(a)", Fraction(QUESTION_POINTS["4.4(a)"]) / len(o_forms),
                        O_FORM, _get(key, "lora", mod, meth, name), ("lora", mod, meth, name),
                        symbols=tuple(lora.VARIABLES), order=tuple(lora.ORDER)))
    cells = [(cond, mod) for cond in ("memory_limit", "faster_inference", "both") for mod in ("mha", "lffn")]
    for cond, mod in cells:
        out.append(Part(f"lora.choice.{cond}.{mod}", "4.4(b)", Fraction(QUESTION_POINTS["4.4(b)"]) / len(cells),
                        CHOICE, _get(key, "lora", "choice", cond, mod), ("lora", "choice", cond, mod)))
    return out


def split_lines(graded: Sequence[Part]) -> list[str]:
    """The points split, one line per question: what each answer is worth."""
    lines = []
    for question, total in QUESTION_POINTS.items():
        mine = [p for p in graded if p.question == question]
        groups: dict[str, list[Part]] = {}
        for p in mine:
            name = ".".join(p.path.split(".")[: -len(p.entry)]) if p.entry else p.path
            groups.setdefault(name, []).append(p)
        described = ", ".join(
            f"{name} {format_points(ps[0].points)}" if len(ps) == 1
            else f"{name} {len(ps)} entries x {format_points(ps[0].points)}"
            for name, ps in groups.items()
        )
        lines.append(f"{question} ({total} pts): {described}")
    ungraded = ", ".join(f"{q} ({p})" for q, p in UNGRADED_POINTS.items())
    lines.append(f"not graded (prose or figures): {ungraded}")
    return lines


def format_points(points: Fraction) -> str:
    """Up to 3 decimals, no trailing zeros: 1.125, 0.185, 2."""
    text = f"{float(points):.3f}".rstrip("0").rstrip(".")
    return text or "0"
