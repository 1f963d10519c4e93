"""The one plain-data rule for what a question's templates print (its view `v`, its prompt `d`).

A view is frozen dataclasses and tuples down to finished leaves:

* containers: a frozen dataclass defined in a question's view module (a module named `view`:
  derive/questions/<key>/view.py),
  in derive/latex (the layout the shared macros draw, e.g. treefig.Edge), or `Row` / `Terms`
  (derive.answer: the rows and sums the `derivation` macro prints); a tuple exactly (a
  NamedTuple is an answer's record, not a view);
* leaves: `Tex` (LaTeX written by derive), `str` (text the renderer escapes), `int`, `bool`,
  `None`, and SymPy objects (`sympy.Basic`: the printer formats them; immutable matrices are
  Basic and allowed, for normalization's results and samples; a mutable matrix is not Basic and
  is refused);
* refused: floats (a number left to format), lists, dicts, sets, arrays, callables, non-frozen
  dataclasses and any other dataclass (an answer object, a config table, a check).

A leaf in a view dataclass's field annotated with plain types (`Tex`, `str`, `int`, `bool`, `None`, a union of
them, or a `tuple[T, ...]` of them) has exactly one of those types: a `Tex` field holds `Tex`
(trusted LaTeX), a `str` field a `str` that is not `Tex` (text to escape), an `int` field no
`bool`. (Row and Terms are not held to their annotations: `Row.rel` is annotated `str` and
holds `Tex` relations such as `\\approx`; the macro prints either.)
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from typing import Any

import sympy as sp

from derive.answer import Row, Terms, Tex

CONTAINERS = (Row, Terms)
LEAVES = (Tex, str, int, bool, type(None), sp.Basic)
EXACT = (Tex, str, int, bool, type(None))  # annotations a leaf must match by its exact type


def _view_dataclass(cls: type) -> bool:
    module = cls.__module__
    return (cls in CONTAINERS or module.startswith("derive.latex.") or module == "derive.document_view"
            or module.rpartition(".")[2] == "view")  # a question's view module, wherever its package is


def _exact(hint: Any) -> tuple[type, ...] | None:
    """The exact types a plain annotation allows (`Tex | None` -> (Tex, NoneType)), or None when
    the annotation is not made of plain types only (`Any`, a dataclass, a type variable)."""
    if hint is None:
        return None
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        parts = [_exact(arg) for arg in typing.get_args(hint)]
        return None if any(p is None for p in parts) else tuple(t for p in parts for t in p)  # type: ignore[union-attr]
    return (hint,) if hint in EXACT else None


def _item_hint(hint: Any) -> Any:
    """The items' annotation of `tuple[T, ...]`, else None."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


def plain_leaves(value: Any, path: str = "v", hint: Any = None) -> Iterator[tuple[str, Any]]:
    """Every leaf of a view as (path, leaf), asserting the rule on the way down."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        assert cls.__dataclass_params__.frozen, f"{path}: {cls.__name__} is not frozen"  # type: ignore[attr-defined]
        assert _view_dataclass(cls), f"{path}: a {cls.__module__}.{cls.__name__} is not a view"
        hints = {} if cls in CONTAINERS else typing.get_type_hints(cls)  # Row.rel says str, holds Tex too
        for field in dataclasses.fields(value):
            yield from plain_leaves(getattr(value, field.name), f"{path}.{field.name}", hints.get(field.name))
    elif type(value) is tuple:
        for i, item in enumerate(value):
            yield from plain_leaves(item, f"{path}[{i}]", _item_hint(hint))
    else:
        assert isinstance(value, LEAVES), f"{path}: a {type(value).__name__} is not plain data: {value!r:.80}"
        allowed = _exact(hint)
        assert allowed is None or type(value) in allowed, (
            f"{path}: a {type(value).__name__}, declared {' | '.join(t.__name__ for t in allowed)}")
        yield path, value


def assert_plain(value: Any, path: str = "v") -> list[tuple[str, Any]]:
    """The rule on a whole view; returns its leaves (a view with none is refused too)."""
    leaves = list(plain_leaves(value, path))
    assert leaves, f"{path}: no leaves"
    return leaves
