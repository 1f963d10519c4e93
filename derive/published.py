"""What is published, read back: the answer sections of answers.json serialized and parsed again,
and readers that turn a parsed field into the value a check compares.

The checks certify these parsed values, not the answer objects they were written from, so a
field serialized from the wrong value, transposed or reordered fails the check that certifies
it. Every reader here takes derive's own output and parses it by a fixed grammar: nothing is
evaluated as code.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import sympy as sp
from sympy.parsing.sympy_parser import auto_number, parse_expr

Section = dict[str, Any]  # one question's part of answers.json, as parsed


def publish(sections: Mapping[str, Any]) -> dict[str, Any]:
    """The sections as a reader of answers.json gets them: serialized, then parsed back."""
    return json.loads(dumps(sections))


def section_of(key: str, data: Mapping[str, Any]) -> Section:
    """One question's section (`data`, its as_json) as a reader of answers.json gets it."""
    return publish({key: data})[key]


def dumps(data: Mapping[str, Any]) -> str:
    """answers.json's text (and that of every section the checks read)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def at(section: Mapping[str, Any], path: str) -> Any:
    """The field at a dotted path below a section ("batch.mean"); a list index is a number."""
    value: Any = section
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def rational(text: Any) -> sp.Rational:
    """An exact value as published ("31/12", "-1.65", "0"); anything else (a zero denominator
    included) raises ValueError. Built from its integers: SymPy's parsing of the text was most
    of the time spent reading a long list of beams."""
    read = _RATIONAL.fullmatch(text) if isinstance(text, str) else None
    if read is None or (read["denominator"] is not None and int(read["denominator"]) == 0):
        raise ValueError(f"not an exact value: {text!r}")
    if read["denominator"] is not None:
        return sp.Rational(int(read["integer"]), int(read["denominator"]))
    decimals = read["decimals"] or ""
    return sp.Rational(int(read["integer"] + decimals), 10 ** len(decimals))


_RATIONAL = re.compile(r"(?P<integer>-?\d+)(/(?P<denominator>\d+)|\.(?P<decimals>\d+))?")


def rationals(nested: Any) -> np.ndarray:
    """A nested list of exact values as an object array of Rationals (its shape as published)."""
    return np.vectorize(rational, otypes=[object])(np.array(nested, dtype=object))


def floats(nested: Any) -> np.ndarray:
    """A published number or nested list of numbers as a float array; a string or a ragged list raises."""
    array = np.array(nested)
    if array.dtype.kind not in "if":
        raise ValueError(f"not numbers: {str(nested)[:40]}")
    return array.astype(float)


_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def expression(text: Any, names: Mapping[str, Any]) -> sp.Expr:
    """A SymPy expression as published ("B**2*N*T + B*T**2"), over exactly the given names
    (symbols and functions); any other name, or text that is not an expression, raises ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"not an expression: {text!r}")
    return _expression(text, tuple(sorted(names.items())))


@functools.lru_cache(maxsize=1024)
def _expression(text: str, names: tuple[tuple[str, Any], ...]) -> sp.Expr:
    """`expression`, read once per process for each text and names (a section's checks read the
    same field more than once, and variants publish the same formulas)."""
    unknown = set(_NAME.findall(text)) - {name for name, _ in names}
    if unknown:
        raise ValueError(f"unknown names {sorted(unknown)} in {text!r}")
    try:
        return sp.sympify(parse_expr(text, local_dict=dict(names), transformations=(auto_number,),
                                     global_dict={"Integer": sp.Integer, "Rational": sp.Rational, "Float": sp.Float}))
    except (SyntaxError, TypeError, ValueError, NameError) as err:
        raise ValueError(f"not an expression: {text!r}") from err


def big_o(text: Any, names: Mapping[str, Any]) -> sp.Expr:
    """The argument of a published O-form ("O(B*N + B*T)")."""
    if not isinstance(text, str) or not (text.startswith("O(") and text.endswith(")")):
        raise ValueError(f"not an O-form: {text!r}")
    return expression(text[2:-1], names)


def formula(section: Section, path: str, names: Mapping[str, Any]) -> sp.Expr | None:
    """The exact expression published at `path` (None when it does not read)."""
    return read(expression, read(at, section, path), names)


def o_form(section: Section, path: str, names: Mapping[str, Any]) -> sp.Expr | None:
    """The argument of the O-form published at `path` (None when it does not read)."""
    return read(big_o, read(at, section, path), names)


def symbols(*exprs: sp.Basic) -> dict[str, sp.Symbol]:
    """Name -> symbol for every free symbol of the expressions (the names a reader accepts)."""
    return {s.name: s for e in exprs for s in e.free_symbols if isinstance(s, sp.Symbol)}


def read(reader: Any, *args: Any) -> Any:
    """A reader's value, or None when the published text does not read: a check compares None as
    a failure (its error is infinite), so a field that cannot be read is never certified."""
    try:
        return reader(*args)
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def fields(section: Any, prefix: str) -> Iterable[str]:
    """The dotted path of every field below a section (a list is one field)."""
    if isinstance(section, dict):
        for key, item in section.items():
            yield from fields(item, f"{prefix}.{key}")
    else:
        yield prefix
