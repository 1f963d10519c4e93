"""The PyTorch cross-checks, one function per question.

They run in a worker process that is started before SymPy is imported (derive/parallel.py),
so this module imports only NumPy and derive's check types: unpickling a job there must not
import the questions. Each function takes the torch module, the sub-question its checks are
filed under (`Issued`, from derive.answer) and plain numbers, and returns checks.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

import numpy as np

from derive.answer import Check, Issued, Skipped
from derive.verify import CheckList, compare

EPS_TEXT = "1e-5"  # the normalizations' epsilon, PyTorch's default, as the checks print it
EPS = float(EPS_TEXT)
UNIT = 2.0**-53  # float64's unit roundoff
NORM_FLOOR = 1e-8  # the tolerance of well-conditioned data
NORM_MAX_TOLERANCE = 1e-3  # past this rounding bound the comparison could not catch an error


def norm_tolerance(x: np.ndarray, variance: np.ndarray, count: int) -> float:
    """PyTorch's float64 mean and variance of a group of `count` entries carry errors up to about
    count * u * max|x|; normalized, that is count * u * kappa with kappa = max|x| / sigma of the
    group: entries far from 0 with a small spread (1e15 +- 1e6) lose digits to cancellation."""
    kappa = float(np.max(np.abs(x) / np.sqrt(variance + EPS)))
    if not np.isfinite(kappa):  # a negative variance (NaN): the floor, and the NaN output fails the check
        return NORM_FLOOR
    return max(NORM_FLOOR, 4 * count * UNIT * kappa)


def normalization_outputs(torch: Any, part: Issued, x: np.ndarray,
                          stats: list[tuple[str, int, np.ndarray, np.ndarray]]) -> CheckList:
    """PyTorch's normalization outputs against normalizing with the derived statistics."""
    fn = torch.nn.functional
    t = torch.tensor(x, dtype=torch.float64)
    _, channels, length = t.shape
    runs = {
        "batch": lambda: fn.batch_norm(t, None, None, training=True, eps=EPS),
        "layer": lambda: fn.layer_norm(t, (channels, length), eps=EPS),
        "instance": lambda: fn.instance_norm(t, eps=EPS),
    }
    checks: CheckList = []
    for kind, count, mean, variance in stats:
        if kind in ("batch", "instance") and count == 1:  # torch refuses to normalize single values
            checks.append(Skipped(part.id, f"{kind} norm output", f"PyTorch's {kind}_norm needs more than one value"))
            continue
        with np.errstate(invalid="ignore"):  # a negative variance gives NaN, and the check fails
            ours = (x - mean) / np.sqrt(variance + EPS)
            tolerance = norm_tolerance(x, variance, count)
        if tolerance > NORM_MAX_TOLERANCE:
            checks.append(Skipped(part.id, f"{kind} norm output",
                                  f"float64 cannot resolve it: entries far from 0 with a small spread leave a "
                                  f"rounding bound of {tolerance:.3g} > {NORM_MAX_TOLERANCE:g}"))
            continue
        checks.append(compare(part, f"{kind} norm output", f"torch {kind}_norm (float64, eps={EPS_TEXT})",
                              ours, runs[kind]().numpy(), tolerance,
                              certifies=tuple(f"normalization.{kind}.{f}" for f in ("axes", "mean", "variance"))))
    return checks


def birnn_gradients(torch: Any, part: Issued, grad_w_b: np.ndarray, grad_u_f: np.ndarray, v: dict[str, np.ndarray],
                    activation: str, tolerance: float = 1e-10) -> CheckList:
    t = {k: torch.tensor(a, dtype=torch.float64) for k, a in v.items()}
    d = v["W_f"].shape[0]
    if activation == "tanh":
        rnn = torch.nn.RNN(d, d, bias=False, bidirectional=True, dtype=torch.float64)
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(t["W_f"])
            rnn.weight_hh_l0.copy_(t["U_f"])
            rnn.weight_ih_l0_reverse.copy_(t["W_b"])
            rnn.weight_hh_l0_reverse.copy_(t["U_b"])
        h0 = torch.stack([t["h0_f"].ravel(), t["h_end_b"].ravel()])
        out, _ = rnn(t["x"], h0)
        y = out[:, :d] @ t["V_f"].T + out[:, d:] @ t["V_b"].T
        ((t["z"] - y) ** 2).sum().backward()
        grad_w, grad_u = rnn.weight_ih_l0_reverse.grad, rnn.weight_hh_l0.grad
        method = "torch.nn.RNN(bidirectional=True, bias=False) autograd, float64 (rel.)"
    else:
        w, u = t["W_b"].clone().requires_grad_(), t["U_f"].clone().requires_grad_()
        steps = v["x"].shape[0]
        hf, hb = [t["h0_f"].ravel()], [t["h_end_b"].ravel()]
        for s in range(steps):
            hf.append(torch.sigmoid(t["W_f"] @ t["x"][s] + u @ hf[-1]))
        for s in reversed(range(steps)):
            hb.append(torch.sigmoid(w @ t["x"][s] + t["U_b"] @ hb[-1]))
        hb = hb[1:][::-1]
        loss = sum(((t["z"][s] - t["V_f"] @ hf[s + 1] - t["V_b"] @ hb[s]) ** 2).sum() for s in range(steps))
        loss.backward()
        grad_w, grad_u = w.grad, u.grad
        method = "explicit torch graph (sigmoid) autograd, float64 (rel.)"
    return [
        compare(part, "grad W_b: published vs PyTorch", method, grad_w_b, grad_w.numpy(), tolerance, relative=True,
                certifies=("birnn.instance.grad_W_b",)),
        compare(part, "grad U_f: published vs PyTorch", method, grad_u_f, grad_u.numpy(), tolerance, relative=True,
                certifies=("birnn.instance.grad_U_f",)),
    ]


def lora_counts(torch: Any, part: Issued,
                expected: dict[str, list[tuple[tuple[int, int, int, int], Fraction | None, Fraction | None]]],
                labels: dict[str, str]) -> CheckList:
    """PyTorch's FLOPs of the modules' forward pass against 2 x the published multiply-adds, and
    their requires_grad parameters against the published space, at each size (None: the field
    does not read, and the check fails). `labels`: each module's name in the check names
    (lora_model.NAMES, which this process does not import)."""
    checks: CheckList = []
    for mod, cases in expected.items():
        flops, params = [], []
        for size, published_flops, published_params in cases:
            counted_flops, counted_params = _counted(torch, mod, size)
            flops.append((counted_flops, published_flops))
            params.append((counted_params, published_params))
        label = labels[mod]
        checks.append(_exact_counts(part, f"{label}: FLOPs = 2 x multiply-adds",
                                    "every matmul PyTorch runs, torch.utils.flop_counter.mm_flop", flops,
                                    (f"lora.{mod}.lora.multiply_adds",)))
        checks.append(_exact_counts(part, f"{label}: trainable parameters = space", "torch requires_grad parameters",
                                    params, (f"lora.{mod}.lora.space",)))
    return checks


@functools.lru_cache(maxsize=64)
def _counted(torch: Any, mod: str, size: tuple[int, int, int, int]) -> tuple[int, int]:
    """PyTorch's FLOPs of a module's forward pass and its requires_grad parameters at a size:
    they depend on nothing else (not on the input's values), so a process counts each once,
    however many variants' published counts it compares with them."""
    module = _lora_module(torch, mod, size)
    x = torch.randn(size[0], size[1], dtype=torch.float64)
    return forward_flops(torch, module, x), sum(p.numel() for p in module.parameters() if p.requires_grad)


def _exact_counts(part: Issued, name: str, method: str, pairs: list[tuple[int, Fraction | None]],
                  certifies: tuple[str, ...]) -> Check:
    """The largest difference of a count from an exact published value (infinite where none reads)."""
    err = max((math.inf if value is None else float(abs(count - value)) for count, value in pairs), default=0.0)
    return Check(part.id, name, method, err, 0.0, certifies)


# The calls of the modules' forward passes, by qualified name: matrix products, counted by
# PyTorch's formula; and operations that FlopCounterMode also counts as no FLOPs. Any other
# call raises, so that a new operation cannot go uncounted.
_MATMULS = {"TensorBase.matmul", "TensorBase.__matmul__", "_VariableFunctionsClass.matmul",
            "_VariableFunctionsClass.mm"}
_NO_FLOPS = {"TensorBase.add", "TensorBase.__add__", "TensorBase.div", "TensorBase.__truediv__",
             "_VariableFunctionsClass.cat", "_VariableFunctionsClass.softmax", "getset_descriptor.__get__"}


def forward_flops(torch: Any, module: Any, x: Any) -> int:
    """FLOPs of module(x): each matrix product PyTorch executes, seen by a TorchFunctionMode and
    counted by torch.utils.flop_counter.mm_flop. FlopCounterMode counts the same at the aten
    level, but its first use imports torch._dynamo (about 1 s, longer than all the checks)."""
    from torch.overrides import TorchFunctionMode
    from torch.utils.flop_counter import mm_flop

    total = 0

    class Count(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            nonlocal total
            name = getattr(func, "__qualname__", repr(func))
            if name in _MATMULS:
                a, b = args[0], args[1]
                if a.dim() != 2 or b.dim() != 2:
                    raise ValueError(f"uncounted {a.dim()}-D by {b.dim()}-D matrix product")
                total += mm_flop(tuple(a.shape), tuple(b.shape))
            elif name not in _NO_FLOPS:
                raise ValueError(f"uncounted operation {name} in the FLOP count")
            return func(*args, **(kwargs or {}))

    with Count():
        module(x)
    return total


def _lora_module(torch: Any, mod: str, size: tuple[int, int, int, int]) -> Any:
    nn = torch.nn
    base: Any = nn.Module  # the torch passed in, not an import: a class the type checker cannot see
    _, dim, rank, heads = size

    class Adapted(base):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.randn(dim, dim, dtype=torch.float64), requires_grad=False)
            self.a = nn.Parameter(torch.randn(dim, rank, dtype=torch.float64))
            self.b = nn.Parameter(torch.randn(dim, rank, dtype=torch.float64))

        def forward(self, x: Any) -> Any:
            return x @ self.w + (x @ self.a) @ self.b.T

    class MHA(base):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.ModuleList(Adapted() for _ in range(3 * heads))
            self.w_o = nn.Parameter(torch.randn(heads * dim, dim, dtype=torch.float64), requires_grad=False)

        def forward(self, x: Any) -> Any:
            outs = []
            for i in range(heads):
                q, k, v = (self.proj[3 * i + j](x) for j in range(3))
                outs.append(torch.softmax(q @ k.T / dim**0.5, dim=-1) @ v)
            return torch.cat(outs, dim=1) @ self.w_o

    return Adapted() if mod == "ffn" else MHA()
