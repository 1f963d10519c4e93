"""Progress of long batches (`make stress`, variant batches): a bar on a terminal, plain
lines otherwise (CI logs, pipes), so that a log keeps one line per `every` items."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def track(items: Iterable[T], total: int, label: str, unit: str = "it", every: int = 100,
          stream: TextIO | None = None) -> Iterator[T]:
    """Yield the items while showing how many of `total` are done, on `stream` (stderr)."""
    out = stream if stream is not None else sys.stderr
    if out.isatty():
        yield from tqdm(items, total=total, desc=label, unit=f" {unit}", file=out, dynamic_ncols=True)
        return
    start = time.perf_counter()
    for done, item in enumerate(items, 1):
        yield item
        if done % every == 0 or done == total:
            print(f"{label}: {done}/{total} {unit} ({time.perf_counter() - start:.0f} s)", file=out, flush=True)


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether progress goes to a terminal (stderr by default): a bar there, lines elsewhere."""
    out = stream if stream is not None else sys.stderr
    return out.isatty()
