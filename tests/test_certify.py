"""Every answer field is certified by a check that ran, with PyTorch and without it; the checks
added for that (O-forms on rays, the instrumented LoRA/QLoRA modules, the choice table, the
printed BiRNN instance) each catch a planted error."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from derive import bigo, build, config, verify
from derive.asymptotic import big_o_check
from derive.questions.birnn import answer as q3a
from derive.questions.birnn import checks as c3
from derive.questions.birnn import model as birnn_model
from derive.questions.decoding import answer as q2a
from derive.questions.decoding import question as q2
from derive.questions.lora import answer as q4a
from derive.questions.lora import checks as c4
from derive.questions.lora import model as lora_model
from derive.questions.lora.counted import Counter, Frozen, quantize
from derive.questions.lora.model import LoraParts
from derive.questions.normalization import answer as q1a
from derive.questions.normalization import question as q1
from tests.check_support import failing

VARIANT = """
[normalization]
tensor = [[[1.5, -2, 0.25]], [[4, 0, -1]]]
[decoding]
beam_width = 1
[birnn]
activation = "sigmoid"
hidden_size = 2
steps = 2
[lora]
d = 12
r = 3
n = 5
heads = 2
bits = 8
"""


@pytest.fixture
def no_torch(monkeypatch):
    """PyTorch as if not installed: its checks are skipped (here or in the forked worker)."""
    monkeypatch.setattr(verify, "torch_module", lambda: None)


def _solve(load_text, text):
    return build.solve(load_text(text) if text else config.load(None))


ONE_STEP = "[birnn]\nsteps = 1\nhidden_size = 2\n[decoding]\nsteps = 1\n"


@pytest.mark.parametrize("text", [None, VARIANT, ONE_STEP], ids=["default", "variant", "T = 1"])
@pytest.mark.parametrize("torch", [True, False], ids=["with PyTorch", "without PyTorch"])
def test_every_answer_field_is_certified_by_a_check_that_ran(request, load_text, text, torch):
    if not torch:
        request.getfixturevalue("no_torch")
    elif verify.torch_module() is None:
        pytest.skip("PyTorch not installed (pip install 'derive[crosscheck]')")
    solved = _solve(load_text, text)
    assert bool(solved.skipped) == (not torch)
    assert build.failures(solved) == []
    assert build.uncertified(solved) == []


def test_certified_paths_name_answer_fields(load_text):
    solved = _solve(load_text, VARIANT)
    fields = build.answer_fields(solved)
    paths = {p for c in [*solved.checks, *solved.skipped] for p in c.certifies}
    assert paths and all(any(f == p or f.startswith(p + ".") for f in fields) for p in paths)


def test_the_appendix_shows_the_count_and_names_what_is_not_certified():
    solved = build.solve(config.load(None))
    total = len(build.answer_fields(solved))
    assert f"certify\n{total} of the {total} derived answer fields" in build.tail_source(solved)
    fewer = dataclasses.replace(solved, checks=[c for c in solved.checks if c.name != "choice table"])
    tail = build.tail_source(fewer)
    assert f"certify\n{total - 6} of the {total} derived answer fields" in tail
    assert r"not certified in this build:" in tail and r"\texttt{lora.choice.memory\_limit.mha}" in tail


# --- O-forms on rays -------------------------------------------------------------------------------

n, d, r, h = lora_model.n, lora_model.d, lora_model.r, lora_model.h


@pytest.mark.parametrize(
    ("count", "form", "order", "passes"),
    [
        (n * d**2 + n**2 * d + n * d, n * d**2 + n**2 * d, [], True),
        (n * d**2 + n**2 * d, n * d**2, [], False),  # n^2 d dominates along n = k^2, d = k
        (n * d**2 + n**2 * d, n * d**2 + n**2 * d + n * d, [], False),  # n d is not needed
        (n * d**2 + 2 * n * d * r, n * d**2, [(r, d)], True),
        (n * d**2 + 2 * n * d * r, n * d**2, [], False),  # without r <= d, r may outgrow d
        (6 * d * h * r, d * h * r, [(r, d)], True),  # constants do not matter
        (d**2 * h, d * h, [(r, d)], False),
    ],
)
def test_big_o_check(count, form, order, passes):
    assert big_o_check(LoraParts.costs, "O", count, form, [n, d, r, h], order, ()).passed is passes


@pytest.mark.parametrize(("form", "passes"), [
    (n * d * sp.log(n * d), True),
    (n * d * sp.log(n) + n * d * sp.log(d), True),  # the same logarithm, split
    (n * d * sp.log(n), False),  # log n for log nd: wrong where n stays 1 and d grows
    (n * d * sp.log(n * d) * sp.log(d), False),  # a log factor the count lacks
])
def test_big_o_check_reads_logarithms_on_the_counts_rays(form, passes):
    count = n * d * sp.ceiling(sp.log(n * d, 2)) + n * d
    assert big_o_check(LoraParts.costs, "O", count, form, [n, d], [], ()).passed is passes


def _decoding_cost(**changes):
    cfg = config.load(None)
    answer = q2a.derive(cfg)
    return failing(q2, dataclasses.replace(answer, cost=dataclasses.replace(answer.cost, **changes)), cfg)


def test_wrong_decoding_o_forms_are_caught(no_torch):
    T, B, N = q2a.T, q2a.B, q2a.N
    assert "O-form of the time" in _decoding_cost(time_big_o=B**2 * N * T)
    assert "O-form of the time" in _decoding_cost(time_big_o=B**2 * N * T + B * T**2 + B * N * T)
    assert "O-form of the space" in _decoding_cost(space_big_o=B * N)


@pytest.mark.parametrize(("field", "form"), [("time_big_o", q2a.B * q2a.N * q2a.T),  # the log factor missing
                                              ("per_step_big_o", q2a.B * q2a.N * sp.log(q2a.B * q2a.N) ** 2),
                                              ("per_step_big_o", q2a.B * q2a.N * sp.log(q2a.B * q2a.N) + q2a.B * q2a.N),
                                              ("per_step_big_o", q2a.B * q2a.N * sp.log(q2a.B)),  # log B for log BN
                                              ("time_big_o", q2a.T * q2a.B * q2a.N * sp.log(q2a.B))])
def test_wrong_sort_based_o_forms_are_caught(no_torch, field, form):
    cfg = config.load(None)
    answer = q2a.derive(cfg)
    wrong = dataclasses.replace(answer, sort_cost=dataclasses.replace(answer.sort_cost, **{field: form}))
    name = "sorting: O-form, time" if field == "time_big_o" else "sorting: O-form, per step"
    assert name in failing(q2, wrong, cfg)


def test_a_wrong_count_without_bos_is_caught(no_torch):
    cfg = config.load(None)
    answer = q2a.derive(cfg)
    wrong = dataclasses.replace(answer, count_no_bos=q2a.N**q2a.T)
    assert "sequences without a repeated <BOS>" in failing(q2, wrong, cfg)


@pytest.mark.parametrize("field", ["count", "log10", "years", "universes"])
def test_a_wrong_feasibility_figure_is_caught(field):
    cfg = config.load(None)
    answer = q2a.derive(cfg)
    row = answer.feasibility[1]
    wrong_row = dataclasses.replace(row, **{field: getattr(row, field) * 10 if field != "log10" else row.log10 + 0.01})
    wrong = dataclasses.replace(answer, feasibility=[answer.feasibility[0], wrong_row, *answer.feasibility[2:]])
    assert "sequences, years and universes" in failing(q2, wrong, cfg)


@pytest.mark.parametrize("plant", ["kept flag", "order", "parent score"])
def test_a_wrong_search_table_is_caught(plant):
    cfg = config.load(None)
    answer = q2a.derive(cfg)
    step = answer.beam_steps[1]
    first, second, *rest = step.candidates
    if plant == "kept flag":
        candidates = (first, dataclasses.replace(second, kept=not second.kept), *rest)
    elif plant == "order":
        candidates = (second, first, *rest)
    else:
        candidates = (dataclasses.replace(first, parent_score=first.parent_score + 1), second, *rest)
    steps = [answer.beam_steps[0], dataclasses.replace(step, candidates=candidates), *answer.beam_steps[2:]]
    assert "greedy and beam search tables" in failing(q2, dataclasses.replace(answer, beam_steps=steps), cfg)


@pytest.mark.parametrize("change", [{"greedy_gap": sp.Rational(1, 10)}, {"diverge_step": 2},
                                    {"optimal_word": ("a", sp.Rational(-1, 2))}, {"beam_found_optimum": False}])
def test_a_wrong_comparison_of_greedy_and_beam_is_caught(change):
    cfg = config.load(None)
    answer = q2a.derive(cfg)
    wrong = dataclasses.replace(answer, shortfall=dataclasses.replace(answer.shortfall, **change))
    assert "what greedy and the beam missed" in failing(q2, wrong, cfg)


@pytest.fixture
def fresh_costs():
    lora_model.costs.cache_clear()
    yield
    lora_model.costs.cache_clear()


def test_an_o_reduction_that_keeps_the_wrong_terms_is_caught(monkeypatch, fresh_costs, no_torch):
    """bigo.py reducing without r <= d keeps the adapters' n d r next to n d^2."""
    monkeypatch.setattr(lora_model, "big_o", lambda expr, variables, order=(): bigo.big_o(expr, variables, ()))
    cfg = config.load(None)
    failed = failing(c4, q4a.derive(cfg), cfg)
    assert {"LFFN LoRA: O-form of the time", "MHA QLoRA: O-form of the time"} <= failed


# --- LoRA/QLoRA: the instrumented modules and the choice table --------------------------------------

def _cost(key, **changes):
    cfg = config.load(None)
    answer = q4a.derive(cfg)
    wrong = dataclasses.replace(answer, costs={**answer.costs, key: dataclasses.replace(answer.costs[key], **changes)})
    return failing(c4, wrong, cfg)


def test_halved_mha_trainable_parameters_are_caught_without_torch(no_torch):
    assert "MHA LoRA: trainable parameters" in _cost(("mha", "lora"), trainable=3 * h * d * r)


def test_qlora_frozen_weights_at_2m_bits_are_caught(no_torch):
    frozen = lora_model.costs()["mha", "qlora"].frozen_weights
    assert "MHA QLoRA: frozen-weight bits" in _cost(("mha", "qlora"), frozen_weights=2 * frozen)


def test_a_missing_scale_per_matrix_is_caught(no_torch):
    assert "LFFN QLoRA: frozen-weight bits" in _cost(("ffn", "qlora"), frozen_matrices=sp.Integer(0))


@pytest.mark.parametrize(("cond", "mod", "method"), [("memory_limit", "mha", "lora"),
                                                    ("faster_inference", "ffn", "qlora"),
                                                    ("both", "ffn", "qlora")])
def test_a_flipped_choice_is_caught(no_torch, cond, mod, method):
    cfg = config.load(None)
    answer = q4a.derive(cfg)
    choice = {**answer.choice, cond: {**answer.choice[cond], mod: q4a.Choice(method, "planted")}}
    assert "choice table" in failing(c4, dataclasses.replace(answer, choice=choice), cfg)


@pytest.mark.parametrize(("figure", "key", "factor"), [("frozen_mib", ("mha", "qlora"), 2),
                                                     ("trainable_higher_rank", "ffn", 2),
                                                     ("dequant_share", "mha", 1.001),
                                                     ("adapter_share", "ffn", 0.5)])
def test_a_wrong_quoted_figure_is_caught(no_torch, figure, key, factor):
    cfg = config.load(None)
    answer = q4a.derive(cfg)
    figures = {**answer.figures, figure: {**answer.figures[figure], key: answer.figures[figure][key] * factor}}
    assert "figures quoted for the model" in failing(c4, dataclasses.replace(answer, figures=figures), cfg)


@pytest.mark.parametrize("size", c4.GRID)
@pytest.mark.parametrize("bits", [2, 4, 16])
def test_the_shape_only_pass_measures_what_the_data_pass_does(size, bits):
    data, shapes = c4.measure(size, bits), c4.measure(size, bits, shapes_only=True)
    for key in data:
        for what, _ in c4.MEASURED.values():
            assert getattr(data[key], what) == getattr(shapes[key], what), (key, what)


def test_the_qlora_pass_computes_with_its_m_bit_planes():
    """The weight used is the FP32 scale times the integers read back from the stored bits."""
    frozen = Frozen(Counter(), "W", 5, 5, 3)
    planes, scale = frozen.stored
    assert planes.shape == (5, 5, 3) and planes.dtype == bool and scale.dtype == np.float32
    w_int, delta = quantize(np.random.default_rng(0).normal(size=(5, 5)), 3)  # the Counter's first draw
    assert np.abs(w_int).max() == 3 and (w_int < 0).any()
    assert np.array_equal(frozen.weight(Counter()), float(np.float32(delta)) * w_int)


# --- Question 3: the graph and the printed instance --------------------------------------------------------------

def test_published_instance_values_that_differ_from_the_high_precision_ones_are_caught():
    """A loss off by 1e-9 (relative): the float64 forward pass and the high-precision one both see it."""
    cfg = config.load(None)
    answer = q3a.derive(cfg)
    wrong = dataclasses.replace(answer, evaluation=dataclasses.replace(answer.evaluation,
                                                                       loss=answer.evaluation.loss * (1 + 1e-9)))
    assert failing(c3, wrong, cfg) == {"loss", c3.PUBLISHED_VS_HIGH_PRECISION}


@pytest.mark.parametrize("plant", ["shifted recurrence", "missing loss edge"])
def test_a_wrong_graph_is_caught(plant):
    cfg = config.load(None)
    answer = q3a.derive(cfg)
    edges = list(answer.graph.edges)
    if plant == "shifted recurrence":  # h^(f)_1 feeding h^(f)_3
        shifted = [e._replace(source=q3a.Node("h_f", 1)) if e.target == ("h_f", 3) and e.weight == "U_f" else e
                   for e in edges]
        assert shifted != edges
        edges = shifted
    else:
        edges = [e for e in edges if e.target != ("L", 2)]
    wrong = dataclasses.replace(answer, graph=dataclasses.replace(answer.graph, edges=tuple(edges)))
    assert "computational graph" in failing(c3, wrong, cfg)


@pytest.mark.parametrize(("direction", "plant"), [("forward", "transposed"), ("backward", "no diag")])
def test_a_wrong_jacobian_is_caught_even_with_one_step(load_text, direction, plant):
    cfg = load_text(ONE_STEP)
    answer = q3a.derive(cfg)
    forms = answer.derivation.forms
    key = "jac_f" if direction == "forward" else "jac_b"
    wrong_form = getattr(forms, key).T if plant == "transposed" else birnn_model.U_b
    wrong = dataclasses.replace(answer, derivation=dataclasses.replace(
        answer.derivation, forms=dataclasses.replace(forms, **{key: wrong_form})))
    assert f"Jacobian ({direction}) at the first step" in failing(c3, wrong, cfg)


# --- Question 1: the work shown ---------------------------------------------------------------------

@pytest.mark.parametrize("plant", ["wrong divisor", "wrong approximation"])
def test_a_wrong_step_of_the_work_is_caught(plant):
    cfg = config.load(None)
    answer = q1a.derive(cfg)
    stat = answer.statistic("layer")
    group = stat.groups[0]
    if plant == "wrong divisor":  # sum of squares over m + 1 in the middle row
        rows = list(group.variance_rows)
        squares = sp.Add(*[v**2 for v in group.values]) / (len(group.values) + 1)
        rhs = sp.Add(squares, sp.Mul(-1, sp.Pow(group.mean, 2, evaluate=False), evaluate=False), evaluate=False)
        rows[1] = dataclasses.replace(rows[1], rhs=rhs)
        group = dataclasses.replace(group, variance_rows=tuple(rows))
    else:
        rows = list(group.mean_rows)
        rows[-1] = dataclasses.replace(rows[-1], rhs=sp.Float(float(group.mean) * 1.01, 4))
        group = dataclasses.replace(group, mean_rows=tuple(rows))
    wrong_stat = dataclasses.replace(stat, groups=(group, *stat.groups[1:]))
    wrong = dataclasses.replace(answer, statistics=tuple(wrong_stat if s.kind == "layer" else s
                                                         for s in answer.statistics))
    assert failing(q1, wrong, cfg) >= {"steps shown"}
