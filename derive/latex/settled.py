"""LaTeX's settled state kept in the cache folder, so that a build into a fresh folder needs one pass.

A document's passes end when the aux file and the outline (compile.State) stop changing; the
PDF is what the last pass typeset while reading them. A build into a kept folder starts from
the state its previous build left there and usually stops after one pass; a build into a fresh
folder needs two. Here the settled state of each build is kept in derive's cache folder
(derive/cache.py: the entry's digest, atomic writes, `--no-cache`), per document, under a key
of the build's identity (a digest of the loaded config, given by the caller), the TeX
installation (precompiled.engine_identity) and derive's own source. The next build of the same
config, into any folder, starts from it, finds it unchanged after its first pass and stops.

The same bytes as a build from nothing: an entry records the SHA-256 of the source it settled.
A build whose finished source is not that one (PyTorch installed since, say) throws its passes
away and compiles from an empty state, as a build without the cache would
(`needs_fresh_start`), and only a state reached from an empty start, or from an entry of that
very source, is kept: an entry always holds the state a build from nothing settles on, and a
pass that reads it and writes it back unchanged is that build's last pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from derive.latex.compile import STATE_MAX_BYTES, STATE_SUFFIXES, State
from derive.latex.precompiled import engine_identity

KIND = "latex-state"


@dataclass(frozen=True)
class Seed:
    state: State
    source: str  # the SHA-256 of the source that settled on it


def digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _inputs(identity: str, stem: str) -> dict[str, Any] | None:
    engine = engine_identity()
    return None if engine is None else {"build": identity, "document": stem, "engine": engine}


def find(identity: str | None, stem: str, source: str | None = None) -> Seed | None:
    """The state the last build of this identity settled on for this document, or None (no
    identity: none is looked up); given the `source`, only an entry of that very source."""
    from derive import cache  # here: cache.py imports SymPy, which compiling a PDF does not need

    inputs = _inputs(identity, stem) if identity is not None else None
    found = cache.lookup(KIND, inputs) if inputs is not None else None
    if found is None:
        return None
    entry = found[0]
    try:
        state = {suffix: base64.b64decode(entry["state"][suffix], validate=True) for suffix in entry["state"]}
        settled_on = entry["source"]
    except (KeyError, TypeError, ValueError, binascii.Error):  # an entry of another shape: as if missing
        return None
    if not (isinstance(settled_on, str) and set(state) <= set(STATE_SUFFIXES)
            and all(len(data) <= STATE_MAX_BYTES for data in state.values())):
        return None
    seed = Seed(state, settled_on)
    return None if source is not None and needs_fresh_start(seed, source) else seed


def needs_fresh_start(seed: Seed | None, source: str) -> bool:
    """True when the build started from an entry of another source: its passes are compiled again
    from an empty state, so that its PDF is a build from nothing's."""
    return seed is not None and seed.source != digest(source)


def record(identity: str | None, stem: str, source: str, state: State, seed: Seed | None,
           from_nothing: bool) -> None:
    """Keeps the state this source settled on when it is the state a build from nothing settles
    on: the build started from nothing, or from the entry of this very source (`seed`; then only
    when the state changed, so that a build that found its entry rewrites nothing)."""
    own = seed if seed is not None and not needs_fresh_start(seed, source) else None
    if identity is None or not (own is not None or from_nothing):
        return
    if own is not None and own.state == state:  # the entry holds it already
        return
    _keep(identity, stem, source, state)


def _keep(identity: str, stem: str, source: str, state: State) -> None:
    from derive import cache

    inputs = _inputs(identity, stem)
    if inputs is None or any(suffix not in STATE_SUFFIXES or len(data) > STATE_MAX_BYTES
                             for suffix, data in state.items()):
        return
    encoded = {suffix: base64.b64encode(data).decode("ascii") for suffix, data in state.items()}
    cache.keep(KIND, inputs, {"source": digest(source), "state": encoded})
