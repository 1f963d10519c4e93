"""Question 4: the cost model's totals, O forms, choices, and checks that catch planted errors."""

from __future__ import annotations

import dataclasses
import sys
from fractions import Fraction

import pytest
import sympy as sp

from derive import config, crosscheck
from derive.errors import ConfigError
from derive.questions.lora import answer as q4a
from derive.questions.lora import checks as c4
from derive.questions.lora import model as lora_model
from derive.questions.lora import question as q4
from derive.verify import no_torch, torch_module
from tests.check_support import failing

n, d, r, h, m = lora_model.n, lora_model.d, lora_model.r, lora_model.h, lora_model.m


def test_totals_worked_by_hand():
    costs = q4.costs()
    # LFFN: X W (n d^2), X A and (XA) B^T (n d r each), one n x d addition; QLoRA dequantizes W (d^2).
    assert costs["ffn", "lora"].time == sp.expand(n * d**2 + 2 * n * d * r + n * d)
    assert costs["ffn", "qlora"].time == sp.expand(n * d**2 + 2 * n * d * r + n * d + d**2)
    # MHA: per head 3 adapted projections, Q K^T and S V (n^2 d each), scaling n^2, softmax 3n^2 - n;
    # then W^O (hd x d): n h d^2.
    per_head = 3 * (n * d**2 + 2 * n * d * r + n * d) + 2 * n**2 * d + n**2 + 3 * n**2 - n
    assert costs["mha", "lora"].time == sp.expand(h * per_head + n * h * d**2)
    assert costs["mha", "qlora"].time == sp.expand(h * per_head + n * h * d**2 + 4 * h * d**2)
    assert costs["mha", "lora"].trainable == 6 * h * d * r
    assert costs["ffn", "qlora"].frozen_bits == m * d**2 + 32


@pytest.mark.parametrize(
    ("module", "method", "time_o", "space_o"),
    [("ffn", "lora", n * d**2, d * r), ("ffn", "qlora", n * d**2, d * r),
     ("mha", "lora", h * n * d**2 + h * n**2 * d, h * d * r), ("mha", "qlora", h * n * d**2 + h * n**2 * d, h * d * r)],
)
def test_big_o(module, method, time_o, space_o):
    cost = q4.costs()[module, method]
    assert cost.time_big_o == time_o
    assert cost.space_big_o == space_o


def test_choice_table():
    choice = q4a.as_json(q4a.derive(config.load(None)))["choice"]
    assert choice == {"memory_limit": {"mha": "QLoRA", "lffn": "QLoRA"},
                      "faster_inference": {"mha": "LoRA", "lffn": "LoRA"},
                      "both": {"mha": "QLoRA", "lffn": "LoRA"}}


def test_checks_pass():
    cfg = config.load(None)
    assert failing(c4, q4a.derive(cfg), cfg) == set()


def _drop(cost, predicate):
    return lora_model.with_ops(cost, [op for op in cost.ops if not predicate(op)])


def _w_o_square(cost):
    return lora_model.with_ops(cost, [dataclasses.replace(op, madds=n * d * d) if "W^{O}" in op.name and op.madds != 0
                                      else op for op in cost.ops])


PLANTS = {
    "missing dequantization": (("ffn", "qlora"), lambda c: _drop(c, lambda op: "dequantize" in op.name),
                               "LFFN QLoRA: elementwise ops"),
    "W^O taken as d x d": (("mha", "lora"), _w_o_square, "MHA LoRA: multiply-adds"),
    "dropped adapter product": (("mha", "qlora"), lambda c: _drop(c, lambda op: "(B^{K})" in op.name),
                                "MHA QLoRA: multiply-adds"),
}


@pytest.mark.parametrize("plant", PLANTS)
def test_planted_errors_are_caught(plant):
    key, change, caught = PLANTS[plant]
    cfg = config.load(None)
    answer = q4a.derive(cfg)
    wrong = dataclasses.replace(answer, costs={**answer.costs, key: change(answer.costs[key])})
    failed = failing(c4, wrong, cfg)
    assert caught in failed
    if torch_module() is not None and key[1] == "lora":
        assert "MHA: FLOPs = 2 x multiply-adds" in failed


def test_quantization_check_fails_for_a_wrong_scale(monkeypatch):
    monkeypatch.setattr(c4, "quantize", lambda w, bits: ((w / 0.5).round(), 0.4))
    assert not c4.quantization_check(4).passed


def test_the_checks_restate_the_models_rule_and_second_rank():
    """The checks restate these from the assignment rather than reading lora_model: an edit of
    one side alone fails here, and the planted errors below show the checks catch it."""
    assert lora_model.SAVING_SHARE == c4.STATED_SAVING_SHARE
    assert lora_model.RANK_MULTIPLE == c4.STATED_RANK_MULTIPLE


def _edit_model(monkeypatch, name, value):
    """lora_model's constant as if its source were edited: in every derive module that holds it."""
    old = getattr(lora_model, name)
    for module in [m for key, m in sys.modules.items() if key.startswith("derive.")]:
        if getattr(module, name, None) is old:
            monkeypatch.setattr(module, name, value)


@pytest.mark.parametrize(("name", "value", "caught"), [("SAVING_SHARE", Fraction(1), "choice table"),
                                                       ("RANK_MULTIPLE", 3, "figures quoted for the model")])
def test_a_wrong_model_constant_is_caught(monkeypatch, name, value, caught):
    cfg = config.load(None)
    right = q4a.derive(cfg)
    _edit_model(monkeypatch, name, value)
    wrong = q4a.derive(cfg)
    assert (wrong.choice, wrong.figures) != (right.choice, right.figures)  # the derivation moved
    assert caught in failing(c4, wrong, cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[lora]\nd = 0\n", r"^lora\.d: must be between 1 and 1000000, got 0$"),
        ("[lora]\nd = 16\nr = 16\n", r"^lora\.r: must be below d = 16 \(a low rank\), got 16$"),
        ("[lora]\nheads = 2.0\n", r"^lora\.heads: must be an integer, got a number$"),
        ("[lora]\nbits = 17\n", r"^lora\.bits: must be between 2 and 16, got 17$"),
        ("[lora]\nn = -5\n", r"^lora\.n: must be between 1 and 10000000, got -5$"),
    ],
)
def test_bad_input(load_text, text, message):
    with pytest.raises(ConfigError, match=message):
        load_text(text)


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
def test_a_wrong_space_formula_is_caught_by_torch():
    cfg = config.load(None)
    answer = q4a.derive(cfg)
    key = ("mha", "lora")
    wrong_cost = dataclasses.replace(answer.costs[key], trainable=2 * h * d * r)  # adapters on one projection only
    wrong = dataclasses.replace(answer, costs={**answer.costs, key: wrong_cost})
    assert "MHA: trainable parameters = space" in failing(c4, wrong, cfg)


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
@pytest.mark.parametrize("mod", ["ffn", "mha"])
def test_forward_flops_agree_with_flop_counter_mode(mod):
    """The cheap count (PyTorch's mm formula on each matmul it runs) equals FlopCounterMode's."""
    torch = torch_module()
    from torch.utils.flop_counter import FlopCounterMode

    for size in c4.GRID:
        module = crosscheck._lora_module(torch, mod, size)
        x = torch.randn(size[0], size[1], dtype=torch.float64)
        with FlopCounterMode(display=False) as counter:
            module(x)
        assert crosscheck.forward_flops(torch, module, x) == counter.get_total_flops() > 0


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
def test_pytorch_counts_kept_by_a_process_are_still_compared_with_what_is_published():
    """A process counts each module and size once (crosscheck._counted); every call compares the
    published counts with them again: one published FLOPs count off by one fails with the counts kept."""
    torch, cfg = torch_module(), config.load(None)
    section = c4._published(q4a.derive(cfg))
    expected = c4.torch_expected(section, cfg.lora.bits)
    labels = {mod: lora_model.NAMES[mod] for mod in lora_model.MODULES}
    crosscheck._counted.cache_clear()
    assert all(c.passed for c in crosscheck.lora_counts(torch, lora_model.LoraParts.costs, expected, labels))
    kept = crosscheck._counted.cache_info()
    (size, flops, space), *rest = expected["mha"]
    planted = {**expected, "mha": [(size, flops + 1, space), *rest]}
    failed = [c.name for c in crosscheck.lora_counts(torch, lora_model.LoraParts.costs, planted, labels)
              if not c.passed]
    assert failed == ["MHA: FLOPs = 2 x multiply-adds"]
    assert crosscheck._counted.cache_info().misses == kept.misses


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
def test_an_uncounted_operation_stops_the_flop_count():
    torch = torch_module()
    x = torch.randn(3, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="uncounted operation"):
        crosscheck.forward_flops(torch, lambda v: torch.exp(v) @ v.T, x)
    with pytest.raises(ValueError, match="uncounted 3-D"):
        batched = torch.ones(1, 4, 2, dtype=x.dtype)
        crosscheck.forward_flops(torch, lambda v: v @ batched, x.reshape(1, 3, 4))


def _without_adapter(self, x, c):
    """A LoRA projection that forgets x A B^T."""
    return c.elementwise(c.mm(x, self.frozen.weight(c)))


def _planes_unweighted(self, c):
    """Dequantization that adds the bit planes instead of weighting them by 2^i."""
    if self.bits is None:
        return self.stored[0]
    planes, delta = self.stored
    if c.shapes_only:
        from derive.questions.lora.counted import Dims

        return c.elementwise(Dims(planes.shape[:2]))
    return c.elementwise(float(delta) * planes.astype(float).sum(axis=-1))


@pytest.mark.parametrize(("target", "name", "value"), [
    ("Projection", "__call__", _without_adapter),
    ("Frozen", "_dequantized", _planes_unweighted),
])
def test_an_instrumented_pass_that_computes_wrong_is_caught(monkeypatch, target, name, value):
    from derive.questions.lora import counted as lora_counted

    monkeypatch.setattr(getattr(lora_counted, target), name, value)
    c4.measure.cache_clear()
    try:
        cfg = config.load(None)
        assert "the instrumented passes compute the modules" in failing(c4, q4a.derive(cfg), cfg)
    finally:
        c4.measure.cache_clear()
