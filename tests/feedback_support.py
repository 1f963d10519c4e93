"""Planted misconceptions for the feedback tests, each made independently of derive's catalog:
Fractions over any axes for Question 1, grade_support's tree search for 2.4, a NumPy BPTT with
the mistake's change for Question 3, and O-forms and choices written as a student would."""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from derive import config as cfg
from derive.config import Config
from derive.graded_parts import get
from derive.grading.key import parts
from derive.questions.birnn.instance import instance_values
from derive.variants import Job, base_tables, draw
from tests.grade_support import INSTANCE, beams, decimals, key_of

GOLDEN = Path(__file__).parent / "golden"
SHEETS = Path(__file__).parent / "sheet_configs"
SIZES = "NCL"


def config_texts() -> dict[str, str]:
    """The default config and six variants: two golden ones, an explicit BiRNN instance, a
    variant of `derive variants` kept as a test config, and two drawn here by `derive variants`' draw."""
    out = {"default": cfg.default_text(), "sigmoid": (GOLDEN / "sigmoid/config.toml").read_text(encoding="utf-8"),
           "small": (GOLDEN / "small/config.toml").read_text(encoding="utf-8"), "instance": INSTANCE,
           "v012": (SHEETS / "tall_tree.toml").read_text(encoding="utf-8")}
    spec = cfg.load(None).variants
    for seed in (1001, 1002):
        out[f"drawn{seed}"], _ = draw(Job(f"d{seed}", seed, base_tables(None), spec, False))
    return out


def configs() -> dict[str, Config]:
    return {name: cfg.loads(text, name) for name, text in config_texts().items()}


def moments(config: Config, axes: tuple[int, ...], ddof: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance (divided by count - ddof) over `axes`, keepdims, as Fractions."""
    x = np.array([[[Fraction(str(v)) for v in row] for row in s] for s in config.normalization.tensor], dtype=object)
    count = math.prod(x.shape[a] for a in axes)
    mean = x.sum(axis=axes, keepdims=True) / count
    variance = ((x - mean) ** 2).sum(axis=axes, keepdims=True) / (count - ddof)
    return mean, variance


def strings(array: np.ndarray) -> list[Any]:
    return np.vectorize(str, otypes=[object])(array).tolist()


Gradients = tuple[float, np.ndarray, np.ndarray]


def backprop(config: Config, *, jacobian_transposed: bool = True, derivative: bool = True, recursion: bool = True,
             summed: Callable[[int], range] = lambda steps: range(1, steps + 1)) -> Gradients:
    """Loss, grad W_b and grad U_f by BPTT in NumPy on the config's instance, with a mistake's change."""
    v = {k: a.astype(float) for k, a in instance_values(config.birnn).items()}
    sigmoid = config.birnn.activation == "sigmoid"

    def f(a: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-a)) if sigmoid else np.tanh(a)

    def fprime(h: np.ndarray) -> np.ndarray:
        if not derivative:
            return np.ones_like(h)
        return h * (1 - h) if sigmoid else 1 - h**2

    steps, d = v["x"].shape
    hf, hb = np.zeros((steps + 2, d)), np.zeros((steps + 2, d))
    hf[0], hb[steps + 1] = v["h0_f"].ravel(), v["h_end_b"].ravel()
    for t in range(1, steps + 1):
        hf[t] = f(v["W_f"] @ v["x"][t - 1] + v["U_f"] @ hf[t - 1])
    for t in range(steps, 0, -1):
        hb[t] = f(v["W_b"] @ v["x"][t - 1] + v["U_b"] @ hb[t + 1])
    y = {t: v["V_f"] @ hf[t] + v["V_b"] @ hb[t] for t in range(1, steps + 1)}
    loss = sum(float(np.sum((v["z"][t - 1] - y[t]) ** 2)) for t in range(1, steps + 1))
    dy = {t: 2 * (y[t] - v["z"][t - 1]) for t in range(1, steps + 1)}
    gf, gb = np.zeros((steps + 2, d)), np.zeros((steps + 2, d))
    for t in range(steps, 0, -1):
        jac = np.diag(fprime(hf[t + 1])) @ v["U_f"] if t < steps and recursion else np.zeros((d, d))
        gf[t] = v["V_f"].T @ dy[t] + (jac.T if jacobian_transposed else jac) @ gf[t + 1]
    for t in range(1, steps + 1):
        jac = np.diag(fprime(hb[t - 1])) @ v["U_b"] if t > 1 and recursion else np.zeros((d, d))
        gb[t] = v["V_b"].T @ dy[t] + (jac.T if jacobian_transposed else jac) @ gb[t - 1]
    grad_w_b = sum(np.outer(fprime(hb[t]) * gb[t], v["x"][t - 1]) for t in summed(steps))
    grad_u_f = sum(np.outer(fprime(hf[t]) * gf[t], hf[t - 1]) for t in summed(steps))
    return loss, np.asarray(grad_w_b), np.asarray(grad_u_f)


def correct(config: Config) -> dict[str, Any]:
    """A full, correct submission: every graded field of the key, as the key holds it."""
    return copy.deepcopy(_correct(config))


_KEYS: dict[int, tuple[Config, dict[str, Any]]] = {}  # by id, the config kept so that its id is not reused


def _correct(config: Config) -> dict[str, Any]:
    if id(config) not in _KEYS:
        _KEYS[id(config)] = (config, _answers(config))
    return _KEYS[id(config)][1]


def _answers(config: Config) -> dict[str, Any]:
    key = key_of(config)
    sub: dict[str, Any] = {}
    for part in parts(key):
        node: Any = sub
        for step, following in itertools.pairwise(part.field):
            if isinstance(step, int):
                node.extend({} for _ in range(step + 1 - len(node)))
            else:
                node.setdefault(step, [] if isinstance(following, int) else {})
            node = node[step]
        node[part.field[-1]] = get(key, *part.field)
    return sub


def _birnn(sub: dict[str, Any], loss: float | None, grad_w_b: np.ndarray, grad_u_f: np.ndarray) -> None:
    inst = sub["birnn"]["instance"]
    if loss is not None:
        inst["loss"] = Decimal(f"{loss:.9g}")
    inst["grad_W_b"], inst["grad_U_f"] = decimals(grad_w_b), decimals(grad_u_f)


def _scores(config: Config) -> dict[str, tuple[list[str], Any]]:
    dec = config.decoding
    found = {"greedy": beams(dec.tree, 1, dec.steps, literal=False)[0]}
    found |= {str(k): b for k, b in enumerate(beams(dec.tree, dec.beam_width, dec.steps, literal=False))}
    return found


def _log_likelihoods(config: Config, sub: dict[str, Any], score: Callable[[Any], float]) -> None:
    for where, (_, s) in _scores(config).items():
        table = sub["decoding"]["greedy"] if where == "greedy" else sub["decoding"]["beam"][int(where)]
        table["log_likelihood"] = Decimal(f"{score(s):.9g}")


def _axes(kind: str, wrong: tuple[int, ...]) -> Callable[[Config, dict[str, Any]], None]:
    def plant(config: Config, sub: dict[str, Any]) -> None:
        mean, variance = moments(config, wrong)
        sub["normalization"][kind] = {"mean": strings(mean), "variance": strings(variance)}
    return plant


def _variances(config: Config, sub: dict[str, Any], ddof: int = 0, root: bool = False) -> None:
    for kind, axes in (("batch", (0, 2)), ("layer", (1, 2)), ("instance", (2,))):
        if math.prod(np.array(config.normalization.tensor).shape[a] for a in axes) > ddof:
            _, variance = moments(config, axes, ddof)
            sub["normalization"][kind]["variance"] = (np.vectorize(lambda q: math.sqrt(q))(variance).tolist() if root
                                                      else strings(variance))


def _greedy_as_beam(config: Config, sub: dict[str, Any]) -> None:
    """The B best full paths that start with greedy's first T - 1 words."""
    dec = config.decoding
    words, _ = beams(dec.tree, 1, dec.steps, literal=False)[0]
    paths = [p for p in dec.tree if len(p) == dec.steps and list(p[:-1]) == words[:-1]]
    scored = sorted((-sum(Fraction(str(dec.tree[p[:i]])) for i in range(1, len(p) + 1)), p) for p in paths)
    sub["decoding"]["beam"] = [{"words": " ".join(p), "log_likelihood": str(-s)} for s, p in scored[: dec.beam_width]]


def _duplicated(config: Config, sub: dict[str, Any]) -> None:
    dec = config.decoding
    sub["decoding"]["beam"] = [{"words": " ".join(w), "log_likelihood": str(s)}
                               for w, s in beams(dec.tree, dec.beam_width, dec.steps, literal=True)]


def _optimum(config: Config, sub: dict[str, Any]) -> None:
    dec = config.decoding
    words, score = beams(dec.tree, len(dec.tree), dec.steps, literal=False)[0]  # as wide as the tree: exhaustive
    sub["decoding"]["greedy"] = {"words": " ".join(words), "log_likelihood": str(score)}


def _o_form(path: tuple[str, ...], text: str) -> Callable[[Config, dict[str, Any]], None]:
    def plant(config: Config, sub: dict[str, Any]) -> None:
        node = sub
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = text
    return plant


def _swapped(config: Config, sub: dict[str, Any]) -> None:
    choice = sub["lora"]["choice"]
    choice["memory_limit"], choice["faster_inference"] = choice["faster_inference"], choice["memory_limit"]


def _quantize_all(config: Config, sub: dict[str, Any]) -> None:
    sub["lora"]["choice"]["both"] = {"mha": "QLoRA", "lffn": "QLoRA"}


def _halved(config: Config, sub: dict[str, Any]) -> None:
    loss, w, u = backprop(config)
    _birnn(sub, loss / 2, w / 2, u / 2)


PLANTS: dict[str, Callable[[Config, dict[str, Any]], None]] = {
    "unbiased-variance": lambda c, s: _variances(c, s, ddof=1),
    "std-for-variance": lambda c, s: _variances(c, s, root=True),
    **{f"{kind}-over-{''.join(SIZES[a] for a in wrong)}": _axes(kind, wrong)
       for kind, axes in (("batch", (0, 2)), ("layer", (1, 2)), ("instance", (2,)))
       for size in (1, 2, 3) for wrong in itertools.combinations(range(3), size) if wrong != axes},
    "count-bos": _o_form(("decoding", "num_sequences"), "N^(T+1)"),
    "no-consecutive-repeats": _o_form(("decoding", "num_sequences"), "N (N-1)^(T-1)"),
    "count-swapped": _o_form(("decoding", "num_sequences"), "T^N"),
    "greedy-as-beam": _greedy_as_beam,
    "duplicated-first-step": _duplicated,
    "optimum-as-greedy": _optimum,
    "log10": lambda c, s: _log_likelihoods(c, s, lambda v: float(v) / math.log(10)),
    "probability-for-log-likelihood": lambda c, s: _log_likelihoods(c, s, lambda v: math.exp(float(v))),
    "gradient-transposed": lambda c, s: _birnn(s, None, *(g.T for g in backprop(c)[1:])),
    "jacobian-untransposed": lambda c, s: _birnn(s, None, *backprop(c, jacobian_transposed=False)[1:]),
    "no-recursion": lambda c, s: _birnn(s, None, *backprop(c, recursion=False)[1:]),
    "no-activation-derivative": lambda c, s: _birnn(s, None, *backprop(c, derivative=False)[1:]),
    "sum-without-first-step": lambda c, s: _birnn(s, None, *backprop(c, summed=lambda n: range(2, n + 1))[1:]),
    "sum-without-last-step": lambda c, s: _birnn(s, None, *backprop(c, summed=lambda n: range(1, n))[1:]),
    "half-squared-error": _halved,
    "attention-once": _o_form(("lora", "mha", "lora", "time_big_o"), "O(h n d^2 + n^2 d)"),
    "frozen-as-trainable": _o_form(("lora", "ffn", "lora", "space_big_o"), "O(d^2)"),
    "adapters-once": _o_form(("lora", "mha", "lora", "space_big_o"), "O(d r)"),
    "choice-swapped": _swapped,
    "both-quantize-all": _quantize_all,
}


def planted(config: Config, *ids: str) -> dict[str, Any]:
    sub = copy.deepcopy(correct(config))
    for i in ids:
        PLANTS[i](config, sub)
    return sub


def toml(sub: dict[str, Any], prefix: str = "") -> str:
    """A submission as TOML: tables under headers, the beams as an array of inline tables."""
    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, str):
            return json.dumps(v)
        return repr(v) if isinstance(v, float) else str(v)

    plain = [f"{k} = {value(v)}" for k, v in sub.items() if not isinstance(v, dict)]
    tables = [toml(v, f"{prefix}{k}.") for k, v in sub.items() if isinstance(v, dict)]
    head = f"\n[{prefix[:-1]}]\n" if prefix and plain else ""
    return head + "".join(f"{line}\n" for line in plain) + "".join(tables)
