"""What the question sheet states because the grader relies on it: the logarithm's base, the
shapes a statistic may take, the tolerance on numbers, how an O-form is written, and that beams
may come in any order. Each statement is read from the grader's own settings (the config's
`[grading]` table) or names the grammar it parses (derive/grading/expr.py)."""

from __future__ import annotations

from dataclasses import dataclass

from derive.answer import Tex
from derive.config import Config
from derive.grading_policy import Tolerance
from derive.latex import formatting

# Answers as a student writes them, for the sheet and the blank submission.toml: forms only,
# not the answer to any question of the assignment (tests/test_conventions.py).
O_FORM_EXAMPLE = "O(N^2 T + N log N)"
DECIMAL_EXAMPLE = "-1.25"
FRACTION_EXAMPLES = ("-8/7", "-1 - 1/7")  # equal: the grader compares values


@dataclass(frozen=True)
class PartTolerance:
    part: str  # a graded part or a prefix of parts, as [grading.parts] names it (escaped when printed)
    rtol: Tex
    atol: Tex


@dataclass(frozen=True)
class Conventions:
    rtol: Tex
    atol: Tex
    parts: tuple[PartTolerance, ...]  # the [grading.parts] overrides, in the config's order
    o_form: str  # printed verbatim in \texttt (escaped)
    fraction: str


def _tex(x: float) -> Tex:
    """10^{-3} for a power of ten, else m.m x 10^e."""
    mantissa, exponent = f"{x:.1e}".split("e")
    return Tex(f"10^{{{int(exponent)}}}") if mantissa == "1.0" else formatting.sci(x)


def conventions(config: Config) -> Conventions:
    policy = config.grading
    default: Tolerance = policy.default
    return Conventions(_tex(default.rtol), _tex(default.atol),
                       tuple(PartTolerance(name, _tex(t.rtol), _tex(t.atol)) for name, t in policy.parts.items()),
                       O_FORM_EXAMPLE, FRACTION_EXAMPLES[0])
