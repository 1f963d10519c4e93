"""A content-addressed cache of the work that does not depend on a config's numbers.

An entry is one JSON file in the user's cache folder, named by what produced it: the kind of
work, its inputs, SymPy's version and a digest of derive's own source (every .py file of the
package, so that any change of the code that derives the entry makes a new one). The file
holds that key and a SHA-256 digest of its payload: an entry that does not parse, whose digest
does not match (damaged) or whose key is another's (foreign) is ignored, recomputed and
rewritten. Entries are written atomically (a temporary file renamed into place), and a cache
folder that cannot be written only costs the time: the result is used either way.

SymPy expressions are stored as trees of class names and arguments, never as code: loading one
looks each name up among the SymPy classes this process has already imported and builds the
node from its stored arguments, so a cache file cannot make derive run anything. Before an
entry is written its payload is decoded again and must equal the original, structurally.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import hashlib
import json
import keyword
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction
from sympy.core.operations import AssocOp
from sympy.core.symbol import Str

from derive.answer import Tex
from derive.portable import raise_if_signalled

FORMAT = 1
PACKAGE = Path(__file__).resolve().parent
T = TypeVar("T")

_enabled = True


def disable() -> None:
    """`--no-cache`: this process (and the workers it forks) neither reads nor writes the cache."""
    global _enabled
    _enabled = False


def enabled() -> bool:
    """False after `--no-cache`: derive's other caches (the precompiled preamble) ask too."""
    return _enabled


def folder() -> Path:
    """DERIVE_CACHE_DIR, else the platform's user cache folder: %LOCALAPPDATA%\\derive\\Cache on
    Windows, ~/Library/Caches/derive on macOS, $XDG_CACHE_HOME/derive or ~/.cache/derive elsewhere."""
    if override := os.environ.get("DERIVE_CACHE_DIR"):
        return Path(override)
    if sys.platform == "win32" and (local := os.environ.get("LOCALAPPDATA")):
        return Path(local) / "derive" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "derive"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache") / "derive"


@functools.cache
def source_digest() -> str:
    """SHA-256 over every .py file of the package, by its path inside it."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(kind: str, inputs: Any) -> str:
    """The entry's name: its kind, its inputs (encoded as entries are), SymPy's version and derive's source."""
    text = json.dumps({"kind": kind, "inputs": encode(inputs), "sympy": sp.__version__, "source": source_digest()},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def cached(kind: str, inputs: Any, compute: Callable[[], T], expect: type[T], types: Iterable[type] = ()) -> T:
    """compute(), or what an earlier compute() with the same key stored: an instance of `expect`
    (an entry holding anything else is recomputed). `types`: the dataclasses the result may hold
    (any other is refused: the result is then computed and not stored)."""
    if not _enabled:
        return compute()
    allowed = {_name(t): t for t in types}
    path, name = _entry(kind, inputs)
    found = _load(path, name, allowed)
    if found is not None and isinstance(found[0], expect):
        return found[0]
    value = compute()
    try:
        payload = json.dumps(encode(value, allowed), sort_keys=True, separators=(",", ":"), allow_nan=True)
        if not _same(decode(json.loads(payload), allowed), value):
            return value
    except (TypeError, ValueError):  # a value the format cannot hold: not stored
        return value
    _store(path, name, payload)
    return value


def lookup(kind: str, inputs: Any) -> tuple[Any] | None:
    """(the value,) that `keep` stored under this key, or None: missing, damaged, foreign, or the
    cache off. For values that are not computed here but recorded after the fact (LaTeX's
    settled state, derive/latex/settled.py); plain data only (no dataclasses)."""
    if not _enabled:
        return None
    return _load(*_entry(kind, inputs), {})


def keep(kind: str, inputs: Any, value: Any) -> None:
    """Stores the value under this key for `lookup` (nothing when the cache is off)."""
    if not _enabled:
        return
    _store(*_entry(kind, inputs), json.dumps(encode(value), sort_keys=True, separators=(",", ":")))


def _entry(kind: str, inputs: Any) -> tuple[Path, str]:
    """The entry's file and its key."""
    name = key(kind, inputs)
    return folder() / f"{kind}-{name}.json", name


def _load(path: Path, name: str, allowed: dict[str, type]) -> tuple[Any] | None:
    """(the value,) of a sound entry under this key, or None: missing, damaged or foreign."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if not (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == name
                and isinstance(entry.get("payload"), str)
                and hashlib.sha256(entry["payload"].encode()).hexdigest() == entry.get("sha256")):
            return None
        return (decode(json.loads(entry["payload"]), allowed),)
    except Exception:  # whatever a damaged entry makes JSON, SymPy or a dataclass raise: recompute it
        raise_if_signalled()  # not a damaged entry: a signal's exception, caught here
        return None


def _store(path: Path, name: str, payload: str) -> None:
    entry = json.dumps({"format": FORMAT, "key": name, "sha256": hashlib.sha256(payload.encode()).hexdigest(),
                        "payload": payload})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(entry)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:  # a read-only or full cache folder: the value is used, just not kept
        return


def _name(t: type) -> str:
    return f"{t.__module__}:{t.__qualname__}"


def encode(value: Any, allowed: dict[str, type] | None = None) -> Any:
    """A JSON tree of the value: SymPy expressions node by node, Tex, tuples, dicts with string
    keys, and the allowed dataclasses field by field."""
    if isinstance(value, sp.Basic):
        return {"sympy": _encode_expr(value)}
    if isinstance(value, Tex):
        return {"tex": str(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return {"tuple" if isinstance(value, tuple) else "list": [encode(v, allowed) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": [[k, encode(v, allowed)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and allowed is not None and allowed.get(_name(type(value))) is type(value):
        return {"dataclass": [_name(type(value)),
                              {f.name: encode(getattr(value, f.name), allowed) for f in dataclasses.fields(value)}]}
    raise TypeError(f"the cache cannot hold a {type(value).__name__}")


def decode(tree: Any, allowed: dict[str, type]) -> Any:
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        raise ValueError("a bare list in a cache entry")
    (tag, body), = tree.items()
    if tag == "sympy":
        return _decode_expr(body)
    if tag == "tex":
        return Tex(body)
    if tag in ("tuple", "list"):
        items = [decode(v, allowed) for v in body]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        return {k: decode(v, allowed) for k, v in body}
    if tag == "dataclass":
        name, fields = body
        return allowed[name](**{k: decode(v, allowed) for k, v in fields.items()})
    raise ValueError(f"unknown tag {tag!r} in a cache entry")


def _encode_expr(e: sp.Basic) -> list[Any]:
    if isinstance(e, sp.Integer):
        return ["Integer", int(e)]
    if isinstance(e, sp.Rational):
        return ["Rational", int(e.p), int(e.q)]
    if type(e) is sp.Symbol:
        given = getattr(e, "_assumptions_orig", e.assumptions0)  # as created (SymPy >= 1.12 keeps them)
        return ["Symbol", e.name, {k: bool(v) for k, v in sorted(given.items())}]
    if type(e) is Str:
        return ["Str", e.name]
    if isinstance(e, AppliedUndef):
        return ["Undef", e.func.__name__, [_encode_expr(a) for a in e.args]]
    if not e.args:
        if getattr(sp.S, type(e).__name__, None) is e:
            return ["S", type(e).__name__]
        raise TypeError(f"the cache cannot hold a {type(e).__name__}")
    return ["Node", _name(type(e)), [_encode_expr(a) for a in e.args]]


# A name an entry may give a symbol, a string or an undefined function: an identifier that is not
# one of Python's keywords or builtins. Expressions read from the cache reach sympy.lambdify,
# which writes names into the code it runs; any other name makes the entry damaged (recomputed).
# The pattern is notation.PLAIN_NAME's, written here: derive.latex imports this module.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _plain(name: Any) -> str:
    text = str(name)
    if not _NAME.fullmatch(text) or keyword.iskeyword(text) or hasattr(builtins, text):
        raise ValueError(f"the name {text[:40]!r} in a cache entry is not a plain identifier")
    return text


def _decode_expr(tree: list[Any]) -> sp.Basic:
    tag, *rest = tree
    if tag == "Integer":
        return sp.Integer(int(rest[0]))
    if tag == "Rational":
        return sp.Rational(int(rest[0]), int(rest[1]))
    if tag == "Symbol":
        name, assumptions = rest
        return sp.Symbol(_plain(name), **{str(k): bool(v) for k, v in assumptions.items()})
    if tag == "Str":
        return Str(_plain(rest[0]))
    if tag == "Undef":
        name, args = rest
        return sp.Function(_plain(name))(*map(_decode_expr, args))
    if tag == "S":
        found = getattr(sp.S, str(rest[0]))
        if not isinstance(found, sp.Basic):
            raise ValueError(f"S.{rest[0]} is not a SymPy singleton")
        return found
    if tag == "Node":
        name, args = rest
        cls, parts = _sympy_class(str(name)), list(map(_decode_expr, args))
        if issubclass(cls, AssocOp):  # Add, Mul, ...: exactly these terms in this order
            return cls._from_args(parts)
        return cls(*parts)
    raise ValueError(f"unknown expression tag {tag!r} in a cache entry")


def _sympy_class(name: str) -> type[sp.Basic]:
    """The imported subclass of sp.Basic by its module:qualname (only those: never an arbitrary callable)."""
    found = _classes().get(name)
    if found is None:
        _classes.cache_clear()  # a class imported since
        found = _classes().get(name)
    if found is None or isinstance(found, UndefinedFunction):
        raise ValueError(f"no SymPy class {name}")
    return found


@functools.cache
def _classes() -> dict[str, type[sp.Basic]]:
    seen: dict[str, type[sp.Basic]] = {}
    todo: list[type[sp.Basic]] = [sp.Basic]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if _name(sub) not in seen:
                seen[_name(sub)] = sub
                todo.append(sub)
    return seen


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 == True are not the same here)."""
    if isinstance(a, AppliedUndef):  # f(a): each sp.Function("f") is a class of its own, equal by name
        return isinstance(b, AppliedUndef) and a.func.__name__ == b.func.__name__ and _same(a.args, b.args)
    if type(a) is not type(b):
        return False
    if isinstance(a, sp.Basic):
        return bool(a == b) and sp.srepr(a) == sp.srepr(b) and len(a.args) == len(b.args) and all(
            _same(x, y) for x, y in zip(a.args, b.args, strict=True))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return bool(a == b)
