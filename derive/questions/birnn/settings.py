"""Question 3's tables of the config: `[birnn]` (the activation, d, T, the seed and an optional
explicit instance) and `[variants.birnn]`, declared, read and validated here
(derive/config_section.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive import values as v
from derive import vary
from derive.config_section import ConfigSection
from derive.declare import Choice, Choices, Int, Shaped, Table, number_array
from derive.errors import ConfigError

KEY = "birnn"
BIRNN_MAX_MAGNITUDE = 100
ACTIVATIONS = ("tanh", "sigmoid")
BIRNN_WEIGHTS = ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b")  # the BiRNN's six d x d matrices, by plain name

Matrix = tuple[tuple[sp.Rational, ...], ...]


@dataclass(frozen=True)
class BirnnInstance:
    W_f: Matrix
    U_f: Matrix
    V_f: Matrix
    W_b: Matrix
    U_b: Matrix
    V_b: Matrix
    x: Matrix
    z: Matrix
    h0_f: tuple[sp.Rational, ...]
    h_end_b: tuple[sp.Rational, ...]


@dataclass(frozen=True)
class BirnnConfig:
    activation: str
    hidden_size: int
    steps: int
    seed: int
    instance: BirnnInstance | None


@dataclass(frozen=True)
class BirnnVary:
    activation: tuple[str, ...]
    hidden_size: tuple[int, ...]
    steps: tuple[int, ...]


_SIZES = (
    Choice("activation", "the Jacobians are derived from it", ACTIVATIONS),
    Int("hidden_size", "d of the checks, the drawn graph and the instance", 1, 16),
    Int("steps", "T of the checks, the drawn graph and the instance", 1, 12),
    Int("seed", "seed of the random instance when none is given", 0, 2**32 - 1),
)


def _instance_table() -> Table:
    d, steps = (key.high for key in _SIZES[1:3] if isinstance(key, Int))
    bound = BIRNN_MAX_MAGNITUDE
    words = f"all of the required ones or none; magnitudes at most {bound}"
    matrices = [Shaped(name, "d x d", number_array(bound, d, d), words) for name in BIRNN_WEIGHTS]
    rows = [Shaped(name, f"T x d, row t-1 is {name}_t", number_array(bound, steps, d), words) for name in ("x", "z")]
    vectors = [Shaped(name, "d numbers, zeros when left out", number_array(bound, d), f"optional; magnitudes at "
                      f"most {bound}") for name in ("h0_f", "h_end_b")]
    return Table.of("instance", "an explicit instance: all of the required arrays or none (`derive variants` writes "
                    "the instance it draws here, with two decimals)", *matrices, *rows, *vectors,
                    required=[*BIRNN_WEIGHTS, "x", "z"])


TABLE = Table.of(KEY, "", *_SIZES, _instance_table())

VARY = Table.of(
    KEY, "what Question 3's model is drawn from",
    Choices("activation", "activation choices", (TABLE, "activation")),
    Choices("hidden_size", "d choices", (TABLE, "hidden_size")),
    Choices("steps", "T choices", (TABLE, "steps")),
)

VARY_DEFAULT: dict[str, Any] = {"activation": list(ACTIVATIONS), "hidden_size": [3], "steps": [3]}


def read(raw: dict[str, Any], default: dict[str, Any]) -> BirnnConfig:
    v.reject_unknown(raw, KEY, TABLE.names())

    def get(name: str) -> int:
        return TABLE.int(name).read(raw.get(name, default.get(name)), f"{KEY}.{name}")

    activation = v.choice(raw.get("activation", default.get("activation")), f"{KEY}.activation", ACTIVATIONS)
    d, steps, seed = get("hidden_size"), get("steps"), get("seed")
    instance = None
    if "instance" in raw:
        instance = _instance(v.table(raw["instance"], f"{KEY}.instance"), d, steps)
    return BirnnConfig(activation, d, steps, seed, instance)


def _instance(raw: dict[str, Any], d: int, steps: int) -> BirnnInstance:
    key = f"{KEY}.instance"
    instance = TABLE["instance"]
    assert isinstance(instance, Table)
    required = tuple(instance.extra["required"])
    v.reject_unknown(raw, key, instance.names())
    for name in required:
        if name not in raw:
            raise ConfigError(f"{key}.{name}", f"is missing (an explicit instance gives all of {', '.join(required)})")
    bound = BIRNN_MAX_MAGNITUDE
    mats = {name: v.matrix(raw[name], f"{key}.{name}", d, d, bound) for name in BIRNN_WEIGHTS}
    zero = tuple(sp.Integer(0) for _ in range(d))
    return BirnnInstance(
        **mats,
        x=v.matrix(raw["x"], f"{key}.x", steps, d, bound),
        z=v.matrix(raw["z"], f"{key}.z", steps, d, bound),
        h0_f=v.vector(raw["h0_f"], f"{key}.h0_f", d, bound) if "h0_f" in raw else zero,
        h_end_b=v.vector(raw["h_end_b"], f"{key}.h_end_b", d, bound) if "h_end_b" in raw else zero,
    )


def read_vary(raw: dict[str, Any]) -> BirnnVary:
    key = f"variants.{KEY}"
    activation = vary.listed(raw["activation"], f"{key}.activation")
    return BirnnVary(tuple(v.choice(a, f"{key}.activation[{i}]", ACTIVATIONS) for i, a in enumerate(activation)),
                     vary.drawn(raw, VARY, "hidden_size"), vary.drawn(raw, VARY, "steps"))


SECTION: ConfigSection[BirnnConfig, BirnnVary] = ConfigSection(
    KEY, TABLE, read, VARY, VARY_DEFAULT, read_vary,
    graded=(("instance", "loss"), ("instance", "grad_W_b"), ("instance", "grad_U_f")),
)
