"""Independent solutions for the grading tests: Fractions for Question 1, a search over the tree
for Question 2.4 (Algorithm 1 taken literally, or from the single <BOS> hypothesis), NumPy
backpropagation for Question 3 (optionally with the forward Jacobian transposed)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from derive.config import Config
from derive.published import section_of
from derive.questions.registry import QUESTIONS

ASSIGNMENT = ("normalization", "decoding", "birnn", "lora")  # the questions `submission` answers as a student would

INSTANCE = """
[birnn]
hidden_size = 2
steps = 3
[birnn.instance]
W_f = [[0.5, -0.3], [0.2, 0.4]]
U_f = [[0.1, 0.7], [-0.6, 0.2]]
V_f = [[1.0, 0.3], [-0.2, 0.5]]
W_b = [[-0.4, 0.2], [0.3, 0.9]]
U_b = [[0.3, -0.5], [0.8, 0.1]]
V_b = [[0.6, 0.0], [0.4, -0.7]]
x = [[1.0, -1.0], [0.5, 2.0], [-1.5, 0.3]]
z = [[0.2, 0.1], [-0.3, 0.6], [1.0, -0.4]]
"""


def key_of(config: Config) -> dict[str, Any]:
    """An answers.json object from the derivations alone (no checks: they are tested elsewhere)."""
    return {q.key: q.as_json(q.derive(config)) for q in QUESTIONS}


def statistics(config: Config, ddof: int = 0) -> dict[str, dict[str, list[Any]]]:
    """Q1 with Fractions: the reduced axes dropped, the variance divided by (count - ddof)."""
    x = np.array([[[Fraction(str(v)) for v in row] for row in s] for s in config.normalization.tensor], dtype=object)
    out: dict[str, dict[str, list[Any]]] = {}
    for kind, axes in (("batch", (0, 2)), ("layer", (1, 2)), ("instance", (2,))):
        kept = [a for a in range(3) if a not in axes]
        moved = np.moveaxis(x, kept, list(range(len(kept)))).reshape(*[x.shape[a] for a in kept], -1)
        groups = moved.reshape(-1, moved.shape[-1])
        means = [sum(g, Fraction(0)) / len(g) for g in groups]
        variances = [sum(((v - m) ** 2 for v in g), Fraction(0)) / (len(g) - ddof)
                     for g, m in zip(groups, means, strict=True)]
        shape = [x.shape[a] for a in kept]
        out[kind] = {name: np.array([str(v) for v in vals], dtype=object).reshape(shape).tolist()
                     for name, vals in (("mean", means), ("variance", variances))}
    return out


def beams(tree: dict[tuple[str, ...], Any], width: int, steps: int, literal: bool) -> list[tuple[list[str], Any]]:
    """Beam search on the tree; `literal` starts from `width` identical <BOS> beams (Algorithm 1)."""
    hyps: list[tuple[tuple[str, ...], Any]] = [((), 0)] * (width if literal else 1)
    for _ in range(steps):
        scored = [(score + logp, b, path[-1], path) for b, (prefix, score) in enumerate(hyps)
                  for path, logp in tree.items() if len(path) == len(prefix) + 1 and path[:-1] == prefix]
        scored.sort(key=lambda s: (-s[0], s[1], s[3]))
        hyps = [(path, score) for score, _, _, path in scored[:width]]
    return [(list(path), score) for path, score in hyps]


def backprop(config: Config, transposed: bool = False) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss, grad W_b, grad U_f of the BiRNN (tanh) by BPTT in NumPy."""
    inst = config.birnn.instance
    assert inst is not None
    f = {k: np.array(getattr(inst, k), dtype=float) for k in ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b", "x", "z")}
    steps, d = f["x"].shape
    hf, hb = np.zeros((steps + 2, d)), np.zeros((steps + 2, d))
    for t in range(1, steps + 1):
        hf[t] = np.tanh(f["W_f"] @ f["x"][t - 1] + f["U_f"] @ hf[t - 1])
    for t in range(steps, 0, -1):
        hb[t] = np.tanh(f["W_b"] @ f["x"][t - 1] + f["U_b"] @ hb[t + 1])
    y = [f["V_f"] @ hf[t] + f["V_b"] @ hb[t] for t in range(1, steps + 1)]
    loss = sum(float(np.sum((f["z"][t - 1] - y[t - 1]) ** 2)) for t in range(1, steps + 1))
    dy = {t: 2 * (y[t - 1] - f["z"][t - 1]) for t in range(1, steps + 1)}
    gf, gb = np.zeros((steps + 2, d)), np.zeros((steps + 2, d))
    for t in range(steps, 0, -1):
        jac = np.diag(1 - hf[t + 1] ** 2) @ f["U_f"] if t < steps else np.zeros((d, d))
        gf[t] = f["V_f"].T @ dy[t] + (jac if transposed else jac.T) @ gf[t + 1]
    for t in range(1, steps + 1):
        jac = np.diag(1 - hb[t - 1] ** 2) @ f["U_b"] if t > 1 else np.zeros((d, d))
        gb[t] = f["V_b"].T @ dy[t] + jac.T @ gb[t - 1]
    grad_w_b = sum(np.outer((1 - hb[t] ** 2) * gb[t], f["x"][t - 1]) for t in range(1, steps + 1))
    grad_u_f = sum(np.outer((1 - hf[t] ** 2) * gf[t], hf[t - 1]) for t in range(1, steps + 1))
    return loss, grad_w_b, grad_u_f


def decimals(array: np.ndarray) -> list[Any]:
    """Floats as a TOML reader gives them: Decimal, here with 9 significant digits."""
    return [decimals(row) for row in array] if array.ndim > 1 else [Decimal(f"{v:.9g}") for v in array]


def submission(config: Config, **mistakes: bool) -> dict[str, Any]:
    """A full submission, as a student would write it, carrying the named classic mistakes."""
    stats = statistics(config, ddof=1 if mistakes.get("unbiased") else 0)
    if mistakes.get("swapped_axes"):
        stats["batch"], stats["layer"] = stats["layer"], stats["batch"]
    dec = config.decoding
    greedy = beams(dec.tree, 1, dec.steps, literal=False)[0]
    found = beams(dec.tree, dec.beam_width, dec.steps, literal=bool(mistakes.get("literal_beam")))
    loss, grad_w_b, grad_u_f = backprop(config, transposed=bool(mistakes.get("transposed")))
    memory = "LoRA" if mistakes.get("swapped_choice") else "QLoRA"
    qlora_ffn_time = "O(n d^2 + 2 n d r + n d)" if mistakes.get("no_dequant") else "O(n d^2 + d^2 + n d r)"
    written = {
        "normalization": {kind: {k: v for k, v in s.items()} for kind, s in stats.items()},
        "decoding": {
            "num_sequences": "N^T",
            "complexity": {"time": "O(T B^2 N + B T^2)", "space": "O(B N + B T)"},
            "greedy": {"words": " ".join(greedy[0]), "log_likelihood": str(greedy[1])},
            "beam": [{"words": " ".join(w), "log_likelihood": str(s)} for w, s in found],
        },
        "birnn": {"instance": {"loss": Decimal(f"{loss:.9g}"), "grad_W_b": decimals(grad_w_b),
                               "grad_U_f": decimals(grad_u_f)}},
        "lora": {
            "ffn": {"lora": {"time_big_o": "O(n d^2)", "space_big_o": "O(d r)"},
                    "qlora": {"time_big_o": qlora_ffn_time, "space_big_o": "O(r d)"}},
            "mha": {"lora": {"time_big_o": "O(h n d^2 + h n^2 d)", "space_big_o": "O(h d r)"},
                    "qlora": {"time_big_o": "O(hnd^2 + hn^2d + hd^2)", "space_big_o": "O(6 h d r)"}},
            "choice": {"memory_limit": {"mha": memory, "lffn": memory},
                       "faster_inference": {"mha": "LoRA", "lffn": "LoRA"},
                       "both": {"mha": "QLoRA", "lffn": "LoRA"}},
        },
    }
    # A question registered after the assignment's (tests/fixtures/toy) is answered with its key.
    extra = {q.key: section_of(q.key, q.as_json(q.derive(config))) for q in QUESTIONS if q.key not in ASSIGNMENT}
    return written | extra
