"""The LFFN and the MHA run as instrumented NumPy modules, for Question 4's checks.

A Counter executes every operation of a forward pass and counts it: multiply-adds of matrix
products, elementwise operations; and it takes stock of what the modules hold: the adapters'
trainable arrays and the frozen weights as stored (FP32 arrays for LoRA; for QLoRA m-bit
integers kept as m bit planes, one bit per entry, plus one FP32 scale per matrix, which the
forward pass dequantizes from). The same code runs on real arrays at small sizes and, with
Dims stand-ins that have a shape but no data, at the config's own size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Size = tuple[int, int, int, int]  # (n, d, r, h)


@dataclass(frozen=True)
class Dims:
    """An array's shape and the bits each entry is stored in, without the entries."""

    shape: tuple[int, ...]
    bits: int = 64

    @property
    def size(self) -> int:
        return math.prod(int(n) for n in self.shape)

    @property
    def T(self) -> Dims:  # noqa: N802 (NumPy's name)
        return Dims(self.shape[::-1], self.bits)

    def _same(self, other: Any) -> Dims:
        """An elementwise operation's result: the broadcast shape."""
        return Dims(np.broadcast_shapes(self.shape, getattr(other, "shape", ())), self.bits)

    __add__ = __sub__ = __mul__ = __rmul__ = __truediv__ = _same


def stored_bits(array: Any) -> int:
    """Bits an array takes: bit planes (bool) one per entry, other arrays their bytes."""
    if isinstance(array, Dims):
        return array.size * array.bits
    return array.size if array.dtype == bool else array.nbytes * 8


@dataclass
class Counter:
    shapes_only: bool = False
    madds: int = 0
    eops: int = 0
    trainable: list[Any] = field(default_factory=list)
    frozen: list[Any] = field(default_factory=list)
    used: dict[str, tuple[int, ...]] = field(default_factory=dict)  # each frozen matrix's name -> the shape multiplied
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    drawn: list[Any] = field(default_factory=list)  # every array drawn, in order (what a check recomputes from)
    output: Any = None  # what the pass computed

    @property
    def operations(self) -> int:
        """Everything the pass computed: multiply-adds and elementwise operations."""
        return self.madds + self.eops

    @property
    def trainable_parameters(self) -> int:
        return sum(a.size for a in self.trainable)

    @property
    def frozen_bits(self) -> int:
        return sum(stored_bits(a) for a in self.frozen)

    def array(self, *shape: int) -> Any:
        if self.shapes_only:
            return Dims(shape)
        self.drawn.append(self.rng.normal(size=shape))
        return self.drawn[-1]

    def mm(self, a: Any, b: Any) -> Any:
        if a.shape[1] != b.shape[0]:
            raise ValueError(f"matrix product of {a.shape} and {b.shape}")
        self.madds += a.shape[0] * a.shape[1] * b.shape[1]
        return Dims((a.shape[0], b.shape[1])) if self.shapes_only else a @ b

    def elementwise(self, out: Any, per_entry: int = 1) -> Any:
        self.eops += out.size * per_entry
        return out

    def softmax(self, s: Any) -> Any:
        """Row-wise: exp of each entry, n - 1 additions per row sum, a division per entry."""
        e = self.elementwise(s if self.shapes_only else np.exp(s - s.max(axis=1, keepdims=True)))
        self.eops += s.shape[0] * (s.shape[1] - 1)
        sums = Dims((s.shape[0], 1)) if self.shapes_only else e.sum(axis=1, keepdims=True)
        return self.elementwise(e / sums)

    def concatenate(self, parts: list[Any]) -> Any:
        """Side by side: no arithmetic."""
        if self.shapes_only:
            return Dims((parts[0].shape[0], sum(p.shape[1] for p in parts)))
        return np.concatenate(parts, axis=1)


def quantize(w: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    """The assignment's quant: W~ = round(W / Delta), Delta = max|W| / (2^(m-1) - 1)."""
    delta = float(np.max(np.abs(w))) / (2 ** (bits - 1) - 1)
    return np.rint(w / delta).astype(np.int32), delta


class Frozen:
    """A pretrained matrix as stored: FP32 for LoRA; for QLoRA its m-bit two's-complement
    integers as m bit planes and an FP32 scale. Using it dequantizes from what is stored, and
    the counter notes the shape of the matrix the pass then multiplies by its name ("O": W^O)."""

    def __init__(self, c: Counter, name: str, rows: int, cols: int, bits: int | None) -> None:
        self.name, self.bits = name, bits
        w = c.array(rows, cols)
        self.stored: list[Any]  # arrays, or Dims when only shapes are counted
        if c.shapes_only:
            self.stored = [Dims((rows, cols), 32)] if bits is None else [Dims((rows, cols, bits), 1), Dims((), 32)]
        elif bits is None:
            self.stored = [w.astype(np.float32)]
        else:
            w_int, delta = quantize(w, bits)
            planes = ((w_int[..., None] >> np.arange(bits)) & 1).astype(bool)
            self.stored = [planes, np.float32(delta)]
        c.frozen += self.stored

    def weight(self, c: Counter) -> Any:
        w = self._dequantized(c)
        c.used[self.name] = tuple(w.shape)
        return w

    def _dequantized(self, c: Counter) -> Any:
        if self.bits is None:
            return self.stored[0]
        planes, delta = self.stored
        if c.shapes_only:
            return c.elementwise(Dims(planes.shape[:2]))
        unsigned = (planes.astype(np.int64) << np.arange(self.bits)).sum(axis=-1)
        signed = np.where(unsigned >= 2 ** (self.bits - 1), unsigned - 2**self.bits, unsigned)
        return c.elementwise(float(delta) * signed.astype(float))  # dequantize before the matmul


class Projection:
    """A frozen d x d matrix with trainable rank-r adapters A, B (d x r)."""

    def __init__(self, c: Counter, name: str, dim: int, rank: int, bits: int | None) -> None:
        self.frozen = Frozen(c, name, dim, dim, bits)
        self.a, self.b = c.array(dim, rank), c.array(dim, rank)
        c.trainable += [self.a, self.b]

    def __call__(self, x: Any, c: Counter) -> Any:
        w = self.frozen.weight(c)
        return c.elementwise(c.mm(x, w) + c.mm(c.mm(x, self.a), self.b.T))


def count_ffn(size: Size, bits: int | None, shapes_only: bool = False) -> Counter:
    tokens, dim, rank, _ = size
    c = Counter(shapes_only)
    c.output = Projection(c, "F", dim, rank, bits)(c.array(tokens, dim), c)
    return c


def count_mha(size: Size, bits: int | None, shapes_only: bool = False) -> Counter:
    tokens, dim, rank, heads = size
    c = Counter(shapes_only)
    x = c.array(tokens, dim)
    outs = []
    for _ in range(heads):
        q, k, v = (Projection(c, name, dim, rank, bits)(x, c) for name in "QKV")
        scores = c.elementwise(c.mm(q, k.T) / np.sqrt(dim))
        outs.append(c.mm(c.softmax(scores), v))
    concat = c.concatenate(outs)  # n x hd
    w_o = Frozen(c, "O", heads * dim, dim, bits)  # W^O is hd x d
    c.output = c.mm(concat, w_o.weight(c))
    return c


COUNTERS = {"ffn": count_ffn, "mha": count_mha}
