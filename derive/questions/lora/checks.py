"""Question 4's checks: what answers.json publishes against counted execution.

Each check reads its field from the published section (answers.json serialized and parsed
back) and compares it with instrumented NumPy modules (lora_counted: LoRA, and QLoRA with an
actual m-bit quantize/dequantize) that count multiply-adds and elementwise operations and take
stock of the trainable arrays and the stored frozen weights, at small sizes with data, each at
several bit widths m, and at the config's own size by shape alone: a published formula is
evaluated at every measured size and m, so one right only at the config's m fails. The time is
checked as a whole against all the operations counted; W^O's shape against the matrix the
instrumented MHA multiplies; the choice table, cell by cell, against the stated rule applied to
the measurements; the O-forms on rays against the published counts; PyTorch's FLOP formula and
trainable-parameter count against the published multiply-adds and space.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive import crosscheck
from derive.answer import Check, Issued, worst
from derive.asymptotic import TOLERANCE, big_o_check
from derive.config import Config
from derive.latex.formatting import exact
from derive.published import Section, at, expression, o_form, read, section_of
from derive.published import formula as read_formula
from derive.questions.lora import view as lora_view
from derive.questions.lora.answer import as_json
from derive.questions.lora.counted import COUNTERS, Counter, Size, quantize
from derive.questions.lora.model import (
    CHOICE_COLUMNS,
    CHOICE_KEYS,
    CONDITIONS,
    KEY,
    METHODS,
    MODULES,
    NAMES,
    ORDER,
    VARIABLES,
    LoraParts,
    d,
    field,
    h,
    m,
    n,
    r,
)
from derive.questions.lora.settings import SECTION as LORA
from derive.questions.lora.settings import LoraConfig
from derive.verify import Planned, max_rel_error, torch_job

if TYPE_CHECKING:
    from derive.questions.lora.answer import LoraAnswer

GRID = [(3, 4, 2, 1), (5, 6, 2, 2), (4, 8, 3, 3), (2, 5, 1, 2), (7, 3, 1, 1)]  # (n, d, r, h)
BIT_WIDTHS = (2, 3, 4, 8, 16)  # m: every published formula is evaluated at each (and at the config's)
MEASURED = {  # answers.json field -> (what the instrumented pass measures, the check's name)
    "multiply_adds": ("madds", "multiply-adds"),
    "elementwise_ops": ("eops", "elementwise ops"),
    "time": ("operations", "time (all operations)"),
    "space": ("trainable_parameters", "trainable parameters"),
    "frozen_weight_bits": ("frozen_bits", "frozen-weight bits"),
}
FORMULA_NAMES = {s.name: s for s in (n, d, r, h, m)}  # the names a published formula may use
O_NAMES = {s.name: s for s in VARIABLES}  # an O-form's, and the counts it summarizes (no m)
# The rule and the figure the checks hold the derivation to, restated here from the
# assignment and the document's stated rule, not read from lora_model: a wrong constant there
# moves the derivation, and these checks then disagree with it (tests/test_lora.py).
STATED_SAVING_SHARE = Fraction(1, 2)  # "both": quantize until the modules reach half of the possible saving
STATED_RANK_MULTIPLE = 2  # 4.2 quotes the trainable parameters at rank r and at rank 2r
QUANTIZED_SIDE = 64  # quantization_check's matrix is QUANTIZED_SIDE x QUANTIZED_SIDE

Measured = dict[tuple[str, str], Counter]
Run = tuple[Size, int, Measured]  # the sizes, the bit width m, each module under each method


def model_size(c: LoraConfig) -> Size:
    return (c.n, c.d, c.r, c.heads)


@functools.lru_cache(maxsize=512)
def measure(size: Size, bits: int, shapes_only: bool = False) -> Measured:
    """Each module run as LoRA (FP32 frozen weights) and as QLoRA (m-bit); the same passes give
    the same counts, so a process runs each once (do not mutate the counters)."""
    return {(mod, meth): COUNTERS[mod](size, bits if meth == "qlora" else None, shapes_only)
            for mod in MODULES for meth in METHODS}


def bit_widths(c: LoraConfig) -> list[int]:
    return sorted({*BIT_WIDTHS, c.bits})


def runs(c: LoraConfig) -> list[Run]:
    """The grid's sizes with data, each at every bit width, and the config's size by shape at its
    own (a shape-only pass of a large MHA takes about a second)."""
    return ([(size, bits, measure(size, bits)) for size in GRID for bits in bit_widths(c)]
            + [(model_size(c), c.bits, measure(model_size(c), c.bits, shapes_only=True))])


def plan(answer: LoraAnswer, config: Config, published: Section | None = None) -> Planned:
    """The checks of the published section; None publishes the answer here (as_json, parsed back)."""
    section = _published(answer) if published is None else published
    c = LORA.of(config)
    measured = runs(c)
    own = measure(model_size(c), c.bits, shapes_only=True)
    widths = ", ".join(map(str, bit_widths(c)))
    method = (f"instrumented NumPy pass, {len(GRID)} sizes with data, each at m = {widths}, and the "
              "config's by shape")
    checks: Planned = []
    for mod in MODULES:
        for meth in METHODS:
            label = f"{NAMES[mod]} {NAMES[meth]}"
            for key, (what, name) in MEASURED.items():
                path = f"{mod}.{meth}.{key}"
                formula = read_formula(section, path, FORMULA_NAMES)
                counts = [(size, bits, getattr(cnt[mod, meth], what)) for size, bits, cnt in measured]
                checks.append(measured_check(LoraParts.costs, f"{label}: {name}", method, formula, counts,
                                             certifies=(field(path),)))
            for key in ("time", "space"):
                checks.append(o_form_check(section, mod, meth, key, f"{label}: O-form of the {key}"))
    checks.append(w_o_shape_check(section, measured))
    checks.append(choice_check(section, own))
    checks.append(figures_check(answer, c, own))
    checks.append(printed_check(answer, own))
    checks.append(quantization_check(c.bits))
    checks.append(forward_check(measured))
    checks.append(torch_job(LoraParts.costs, "FLOPs and trainable parameters (PyTorch)", crosscheck.lora_counts,
                            torch_expected(section, c.bits), {mod: NAMES[mod] for mod in MODULES},
                            certifies=tuple(field(f"{mod}.lora.{k}") for mod in MODULES
                                            for k in ("multiply_adds", "space"))))
    return checks


def _published(answer: LoraAnswer) -> Section:

    return section_of(KEY, as_json(answer))


def evaluate(formula: sp.Expr, size: Size, bits: int) -> sp.Expr:
    """A published formula at measured sizes and bit width."""
    return formula.xreplace({n: size[0], d: size[1], r: size[2], h: size[3], m: bits})


def measured_check(part: Issued, name: str, method: str, formula: sp.Expr | None,
                   measured: list[tuple[Size, int, int]], certifies: tuple[str, ...]) -> Check:
    """The largest difference between the published formula and the count, over every measured
    size and bit width; infinite when the field does not read as a formula."""
    err = math.inf if formula is None else max(
        float(abs(sp.Integer(count) - evaluate(formula, size, bits))) for size, bits, count in measured)
    return Check(part.id, name, method, err, 0.0, certifies)


def o_form_check(section: Section, mod: str, meth: str, key: str, name: str) -> Check:
    """The published O-form against the published exact count it summarizes (which its own
    check holds to the instrumented pass); infinite when either does not read."""
    path = f"{mod}.{meth}.{key}"
    count = read_formula(section, path, O_NAMES)
    form = o_form(section, f"{path}_big_o", O_NAMES)
    certifies = (field(f"{path}_big_o"),)
    if count is None or form is None:
        return Check(LoraParts.costs.id, name, f"the published O-form and {key} do not read", math.inf, TOLERANCE,
                     certifies)
    return big_o_check(LoraParts.costs, name, count, form, VARIABLES, ORDER, certifies=certifies)


def shape(text: Any) -> tuple[sp.Expr, ...]:
    """A published shape ("d*h x d") as its sides, each a formula in the sizes."""
    if not isinstance(text, str):
        raise ValueError(f"not a shape: {text!r}")
    return tuple(expression(side, FORMULA_NAMES) for side in text.split(" x "))


def w_o_shape_check(section: Section, measured: list[Run]) -> Check:
    """The number of measured passes (sizes, bit widths, LoRA and QLoRA) in which the W^O the
    instrumented MHA multiplies differs from the published shape evaluated at their sizes."""
    published = read(shape, read(at, section, "w_o_shape"))
    passes = [(size, bits, cnt["mha", meth].used["O"]) for size, bits, cnt in measured for meth in METHODS]
    wrong = math.inf if published is None else float(sum(
        tuple(evaluate(side, size, bits) for side in published) != used for size, bits, used in passes))
    return Check(LoraParts.costs.id, "W_O shape", f"the W_O the instrumented MHA multiplies, in all {len(passes)} "
                 "measured passes", wrong, 0.0, (field("w_o_shape"),))


def torch_expected(section: Section, bits: int) -> dict[str, list[tuple[Size, Fraction | None, Fraction | None]]]:
    """The published multiply-adds (doubled: FLOPs) and space of each LoRA module at the grid's
    sizes, exact; None where the field does not read (the PyTorch check then fails)."""
    def at_size(path: str, size: Size, factor: int) -> Fraction | None:
        formula = read_formula(section, path, FORMULA_NAMES)
        value = None if formula is None else evaluate(factor * formula, size, bits)
        return Fraction(int(value.p), int(value.q)) if isinstance(value, sp.Rational) else None

    return {mod: [(size, at_size(f"{mod}.lora.multiply_adds", size, 2), at_size(f"{mod}.lora.space", size, 1))
                  for size in GRID] for mod in MODULES}


def decide(measured: Measured) -> dict[str, dict[str, str]]:
    """The rule as the document states it, applied to measured quantities: under a memory
    limit the method with fewer frozen-weight bits, for faster inference the one with fewer
    operations per pass, for both: quantize the fewest modules that reach half of the possible
    memory saving, largest saving first."""
    def ops(mod: str, meth: str) -> int:
        return measured[mod, meth].operations

    bits = {key: cnt.frozen_bits for key, cnt in measured.items()}
    saving = {mod: bits[mod, "lora"] - bits[mod, "qlora"] for mod in MODULES}
    out: dict[str, dict[str, str]] = {
        "memory_limit": {mod: "qlora" if bits[mod, "qlora"] < bits[mod, "lora"] else "lora" for mod in MODULES},
        "faster_inference": {mod: "lora" if ops(mod, "lora") < ops(mod, "qlora") else "qlora" for mod in MODULES},
        "both": {},
    }
    reached = 0
    for mod in sorted(MODULES, key=lambda k: -saving[k]):
        out["both"][mod] = "qlora" if reached < STATED_SAVING_SHARE * sum(saving.values()) else "lora"
        reached += saving[mod] if out["both"][mod] == "qlora" else 0
    return out


def choice_check(section: Section, measured: Measured) -> Check:
    """The number of published cells of the choice table, each read by its condition and column
    key, that the rule applied to the measurements disagrees with (a label that is neither
    method's is wrong)."""
    expected = decide(measured)
    cells = [(cond, mod) for cond in CONDITIONS for mod in MODULES]
    wrong = sum(_method(read(at, section, f"choice.{cond}.{CHOICE_KEYS[mod]}")) != expected[cond][mod]
                for cond, mod in cells)
    return Check(LoraParts.choice.id,
                 "choice table", "each cell decided again by the stated rule from the instrumented pass "
                 "at the config's size (frozen bits held, operations run)", float(wrong), 0.0,
                 tuple(field(f"choice.{cond}.{CHOICE_KEYS[mod]}") for cond, mod in cells))


def _method(label: Any) -> str | None:
    """The method a published label names (lora_model.NAMES), or None."""
    return next((meth for meth in METHODS if NAMES[meth] == label), None)


def figures_check(answer: LoraAnswer, c: LoraConfig, measured: Measured) -> Check:
    """The figures the text quotes for the config's model, from the shape-only pass at its size
    (at rank STATED_RANK_MULTIPLE * r for the higher rank, at rank 0 for the adapters' share of the operations)."""
    higher = measure((c.n, c.d, STATED_RANK_MULTIPLE * c.r, c.heads), c.bits, shapes_only=True)
    no_adapters = measure((c.n, c.d, 0, c.heads), c.bits, shapes_only=True)

    def ops(cnt: Counter) -> int:
        return cnt.operations

    mib = 8 * 2**20
    lora = {mod: measured[mod, "lora"] for mod in MODULES}
    expected: dict[str, dict[Any, float]] = {
        "trainable": {mod: lora[mod].trainable_parameters for mod in MODULES},
        "trainable_higher_rank": {mod: higher[mod, "lora"].trainable_parameters for mod in MODULES},
        "frozen_mib": {key: cnt.frozen_bits / mib for key, cnt in measured.items()},
        "adapter_mib": {mod: lora[mod].trainable_parameters * 32 / mib for mod in MODULES},  # FP32 adapters
        "dequant_share": {mod: (ops(measured[mod, "qlora"]) - ops(lora[mod])) / ops(measured[mod, "qlora"])
                          for mod in MODULES},
        "adapter_share": {mod: (lora[mod].madds - no_adapters[mod, "lora"].madds) / ops(lora[mod]) for mod in MODULES},
    }
    err = max(abs(answer.figures[name][key] - value) / max(abs(value), 1e-300)
              for name, values in expected.items() for key, value in values.items())
    return Check(LoraParts.figures.id,
                 "figures quoted for the model", "shape-only instrumented pass at the config's size "
                 f"(at {STATED_RANK_MULTIPLE}r, and at r = 0 for the adapters' share) (rel.)", err, 1e-12)


def quantization_check(bits: int) -> Check:
    """dequant(quant(W)) is within Delta/2 of W, entry by entry: the error over Delta/2 is at most 1."""
    w = np.random.default_rng(1).normal(size=(QUANTIZED_SIDE, QUANTIZED_SIDE))
    w_int, delta = quantize(w, bits)
    ratio = float(np.max(np.abs(delta * w_int - w)) / (delta / 2))
    if np.max(np.abs(w_int)) > 2 ** (bits - 1) - 1:
        ratio = float("inf")
    return Check(LoraParts.costs.id, f"{bits}-bit quantization error",
                 f"max |dequant(quant(W)) - W| / (Delta/2), {QUANTIZED_SIDE}x{QUANTIZED_SIDE}",
                 ratio, 1.0 + 1e-12)


def _weight(w: np.ndarray, bits: int | None) -> np.ndarray:
    """A frozen matrix as the pass should use it: FP32, or dequant(quant(W)) with an FP32 scale."""
    if bits is None:
        return w.astype(np.float32).astype(float)
    delta = float(np.max(np.abs(w))) / (2 ** (bits - 1) - 1)
    return float(np.float32(delta)) * np.rint(w / delta)


def _adapted(x: np.ndarray, drawn: list[np.ndarray], bits: int | None) -> np.ndarray:
    """x W + x A B^T from the next three arrays drawn (W, A, B), consumed."""
    w, a, b = drawn.pop(0), drawn.pop(0), drawn.pop(0)
    return x @ _weight(w, bits) + (x @ a) @ b.T


def reference_output(mod: str, drawn: list[np.ndarray], heads: int, bits: int | None) -> np.ndarray:
    """The module's forward pass in plain NumPy, from the arrays in the order the pass drew them."""
    arrays = list(drawn)
    if mod == "ffn":
        projection = arrays[:3]
        return _adapted(arrays[3], projection, bits)
    x = arrays.pop(0)
    outs = []
    for _ in range(heads):
        q, k, v = (_adapted(x, arrays, bits) for _ in range(3))
        scores = q @ k.T / np.sqrt(x.shape[1])
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        outs.append(weights / weights.sum(axis=1, keepdims=True) @ v)
    return np.concatenate(outs, axis=1) @ _weight(arrays.pop(0), bits)


def forward_check(measured: list[Run]) -> Check:
    """The instrumented passes compute the modules: each output against a plain NumPy forward
    pass (QLoRA's from dequant(quant(W)) computed here, not from the bit planes)."""
    errors = [0.0]
    for size, bits, counted in measured:
        for (mod, meth), counter in counted.items():
            if counter.shapes_only:
                continue
            want = reference_output(mod, counter.drawn, size[3], bits if meth == "qlora" else None)
            errors.append(max_rel_error(counter.output, want))
    err, passes = worst(errors), len(errors) - 1
    return Check(LoraParts.costs.id, "the instrumented passes compute the modules",
                 f"each of the {passes} outputs with data against a plain NumPy forward pass (QLoRA from "
                 "dequant(quant(W)) with an FP32 scale, not from the bit planes) (rel.)",
                 err if passes else math.inf, 1e-12)


PRINTED = "table and figures as printed"
NUMBER = r"(\d[\d,]*(?:\.\d+)?)"
# The reasons of the choice table's cells, by condition: a pattern and the numbers it quotes.
REASONS = {
    "memory_limit": re.compile(rf"saves {NUMBER} MiB of frozen weights"),
    "faster_inference": re.compile(rf"avoids {NUMBER} dequantization operations per pass"),
    "both": re.compile(rf"(?:{NUMBER}% of the possible saving, for {NUMBER}% more operations per pass|"
                       rf"only {NUMBER}% of the saving: keep it fast)"),
}
COUNT_WORDS = {"no": 0, "one": 1, "two": 2, "three": 3, "four": 4}  # how prose counts the scales


def _quoted(text: str) -> tuple[float, int]:
    """A printed number and its decimals ("1,234.5" -> (1234.5, 1))."""
    plain = text.replace(",", "")
    return float(plain), len(plain.partition(".")[2])


def _off(text: str | None, value: float) -> bool:
    """Whether a printed number is not the value rounded to its printed decimals."""
    if text is None:
        return True
    shown, decimals = _quoted(text)
    return abs(shown - value) > 0.5 * 10.0**-decimals * (1 + 1e-9)


def printed_check(answer: LoraAnswer, measured: Measured) -> Check:
    """What the solutions print around the published fields, against the instrumented pass at
    the config's size (frozen bits held, operations run): the number of disagreements. The
    choice table's rows are the conditions in order, named as the question names them, its
    columns the modules, each cell the method the stated rule picks from the measurements
    (decide), and each cell's reason quotes the measured saving in MiB, the dequantization operations it avoids,
    or the share of the saving and the operations added; each module's figures in MiB and
    percent are the measured ones rounded as printed; the MHA's frozen weights are the printed
    multiple of the LFFN's, the higher rank the stated multiple of r; the number format restates
    the measured QLoRA storage: the scales per frozen matrix and the bits a quantized weight saves."""
    view = lora_view.view(answer)
    lora = {mod: measured[mod, "lora"] for mod in MODULES}
    qlora = {mod: measured[mod, "qlora"] for mod in MODULES}
    saving = {mod: lora[mod].frozen_bits - qlora[mod].frozen_bits for mod in MODULES}
    added = {mod: qlora[mod].operations - lora[mod].operations for mod in MODULES}
    mib = 8 * 2**20
    wrong = [row.condition != CONDITIONS[cond].capitalize() for row, cond in zip(view.choice, CONDITIONS, strict=False)]
    wrong += [len(view.choice) != len(CONDITIONS), view.choice_columns != tuple(NAMES[mod] for mod in CHOICE_COLUMNS)]
    decided = decide(measured)
    for row, cond in zip(view.choice, CONDITIONS, strict=False):
        wrong.append([cell.method for cell in row.cells] != [NAMES[decided[cond][mod]] for mod in CHOICE_COLUMNS])
        for cell, mod in zip(row.cells, CHOICE_COLUMNS, strict=False):
            found = REASONS[cond].match(cell.reason)
            numbers = [] if found is None else [g for g in found.groups() if g is not None]
            if cond == "memory_limit":
                expected = [saving[mod] / mib]
            elif cond == "faster_inference":
                expected = [added[mod]]
            elif len(numbers) == 2:
                expected = [100 * saving[mod] / sum(saving.values()), 100 * added[mod] / lora[mod].operations]
            else:
                expected = [100 * saving[mod] / sum(saving.values())]
            wrong.append(len(numbers) != len(expected) or any(map(_off, numbers, expected)))
    for mod in MODULES:
        shown, adapters = getattr(view, mod), lora[mod].madds - _no_adapters(answer, mod)
        wrong += [_off(shown.frozen_mib, lora[mod].frozen_bits / mib),
                  _off(shown.frozen_mib_quantized, qlora[mod].frozen_bits / mib),
                  _off(shown.adapter_mib, lora[mod].trainable_parameters * 32 / mib),
                  _off(shown.adapter_percent, 100 * adapters / lora[mod].operations),
                  _off(shown.dequant_percent, 100 * added[mod] / qlora[mod].operations)]
    wrong += _scheme_errors(view.scheme, answer.config.bits)
    heads = answer.config.heads
    wrong += [(_multiple(view.frozen_ratio, "h") or 0) * heads != lora["mha"].frozen_bits / lora["ffn"].frozen_bits,
              _multiple(view.higher_rank, "r") != STATED_RANK_MULTIPLE]
    return Check(LoraParts.choice.id, PRINTED, "the choice table's rows and reasons, the modules' figures in MiB and "
                 "percent and the number format as printed, against the instrumented pass at the config's size",
                 float(sum(wrong)), 0.0)


def _multiple(text: str, symbol: str) -> int | None:
    """The coefficient of a short product as printed ("4h" -> 4, "h" -> 1), or None."""
    found = re.fullmatch(rf"(\d*)\s*{symbol}", str(text))
    return None if found is None else int(found.group(1) or 1)


def _no_adapters(answer: LoraAnswer, mod: str) -> int:
    c = answer.config
    return measure((c.n, c.d, 0, c.heads), c.bits, shapes_only=True)[mod, "lora"].madds


def _scheme_errors(scheme: Any, bits: int) -> list[bool]:
    """The number format the prose states against a small QLoRA pass with data at m = bits: its
    scales per frozen matrix (the frozen arrays that are not bit planes), their precision, and
    the bits a quantized weight saves (an FP32 weight's bits less m) as a formula in m."""
    counted = measure(GRID[0], bits)["ffn", "qlora"]
    scales = [a for a in counted.frozen if a.dtype != bool]
    per_matrix = sum(a.size for a in scales) / len(counted.used)
    (scale_bits,) = {a.dtype.itemsize * 8 for a in scales}
    (weight_bits,) = {a.dtype.itemsize * 8 for a in measure(GRID[0], bits)["ffn", "lora"].frozen}
    words = scheme.scales.split()
    return [COUNT_WORDS.get(words[0]) != per_matrix, scheme.precision != f"FP{weight_bits}",
            scheme.precision_scales.split() != [words[0], f"FP{scale_bits}", *words[1:]],
            str(scheme.saving_per_weight) != str(exact(weight_bits - m))]
