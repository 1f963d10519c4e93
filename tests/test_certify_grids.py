"""The checks that certify their own grids, method text and the figures the document prints
(docs/testing.md, "Mutation score"): each catches a planted error."""

from __future__ import annotations

import dataclasses

import mpmath
import numpy as np
import pytest
import sympy as sp

from derive import asymptotic, cache, config
from derive.answer import Check, Tex
from derive.asymptotic import big_o_check
from derive.latex import formatting
from derive.published import section_of
from derive.questions.birnn import answer as q3a
from derive.questions.birnn import checks as c3
from derive.questions.birnn import view as birnn_view
from derive.questions.birnn.instance import Precision
from derive.questions.birnn.model import derive_forms, gb, gf
from derive.questions.birnn.steps import work_check
from derive.questions.decoding import answer as q2a
from derive.questions.decoding import question as q2
from derive.questions.decoding import search
from derive.questions.decoding import view as decoding_view
from derive.questions.lora import answer as q4a
from derive.questions.lora import checks as c4
from derive.questions.lora import view as lora_view
from derive.questions.lora.model import LoraParts
from derive.questions.normalization import answer as q1a
from derive.questions.normalization import question as q1
from derive.questions.normalization import view as normalization_view
from tests.check_support import failing, run_checks

original_scheme = lora_view.scheme

n, d = sp.symbols("n d", positive=True)


def _o_check_passes() -> bool:
    return big_o_check(LoraParts.costs, "O", n * d**2 + n**2 * d, n * d**2 + n**2 * d, [n, d], [], ()).passed


@pytest.fixture
def fresh_errors(monkeypatch):
    """The O-form ray evaluations on a patched grid: outside derive's cache folder (its entries
    are keyed by the source, not by a patched constant), and forgotten after."""
    monkeypatch.setattr(cache, "_enabled", False)
    asymptotic._error.cache_clear()
    yield
    asymptotic._error.cache_clear()


def test_o_form_grid_is_calibrated():
    assert asymptotic.calibration() == 0.0
    assert _o_check_passes()


@pytest.mark.parametrize("exponents", [(0, 1, 1, 3), (0, 1, 2, 4), (1, 1, 2, 3), (0, 2, 2, 3)])
def test_o_form_rays_not_as_printed_fail(monkeypatch, fresh_errors, exponents):
    monkeypatch.setattr(asymptotic, "EXPONENTS", exponents)
    assert not _o_check_passes()


@pytest.mark.parametrize(("log_k1", "log_k2"), [(17, 256), (16, 257), (15, 256), (16, 128)])
def test_o_form_points_that_do_not_separate_as_stated_fail(monkeypatch, fresh_errors, log_k1, log_k2):
    monkeypatch.setattr(asymptotic, "LOG2_K1", log_k1)
    monkeypatch.setattr(asymptotic, "LOG2_K2", log_k2)
    assert not _o_check_passes()


# --- 2.1's counts: the grid the method text prints ------------------------------------------------

@pytest.fixture(scope="module")
def default():
    return config.load(None)


@pytest.fixture(scope="module")
def decoding_section(default):
    answer = q2a.derive(default)
    return section_of(q2a.KEY, q2a.as_json(answer))


def test_count_checks_pass_on_the_printed_grid(decoding_section):
    assert all(c.passed for c in q2._count_checks(decoding_section))


@pytest.mark.parametrize(("sizes", "lengths"), [((2, 3, 4), (1, 2, 2)), ((2, 3, 5), (1, 2, 3)), ((2, 4), (1, 2, 3))])
def test_count_checks_on_a_grid_not_as_printed_fail(monkeypatch, decoding_section, sizes, lengths):
    monkeypatch.setattr(q2, "ENUMERATED_N", sizes)
    monkeypatch.setattr(q2, "ENUMERATED_T", lengths)
    assert not any(c.passed for c in q2._count_checks(decoding_section))


def test_a_dead_beam_started_near_zero_is_caught(monkeypatch, default):
    """The seeded model's log p spans (-20, 0]: beams started at -1 outrank live candidates."""
    answer = q2a.derive(default)
    assert "sorting: the beams kept" not in failing(q2, answer, default)
    monkeypatch.setattr(search, "DEAD_BEAM_SCORE", -1)
    assert "sorting: the beams kept" in failing(q2, answer, default)


# --- 3.2's work shown: the rows it says it evaluates ----------------------------------------------

def test_a_row_left_unevaluated_but_counted_fails():
    derivation = derive_forms("tanh")
    rows = list(derivation.entry_rows["f"])
    rows[-1] = dataclasses.replace(rows[-1], rhs=sp.Derivative(sp.Function("g")(sp.Symbol("a")), sp.Symbol("a")))
    planted = dataclasses.replace(derivation, entry_rows={**derivation.entry_rows, "f": tuple(rows)})
    assert work_check(derivation, 0).passed
    assert not work_check(planted, 0).passed


# --- 3.3: two routes, and what the document prints -------------------------------------------------

@pytest.fixture(scope="module")
def birnn(default):
    return q3a.derive(default)


def _named(results, name):
    return next(c for c in results if getattr(c, "name", None) == name)


FD = ("published vs finite differences", "closed form vs finite differences")


def test_every_published_gradient_needs_both_routes(default, birnn):
    results = run_checks(c3, birnn, default)
    assert _named(results, c3.ROUTES).passed
    own = [c for c in results if isinstance(c, Check) and c.name not in (c3.ROUTES, c3.PRINTED)]
    without_fd = [c for c in own if not c.name.endswith(FD)]
    assert not c3.routes_check(without_fd, saturated=False).passed
    assert c3.routes_check(without_fd, saturated=True).passed  # float64 saturated: one route suffices
    without_high = [c for c in own if "complex step" not in c.name and c.name != c3.PUBLISHED_VS_HIGH_PRECISION]
    assert not c3.routes_check(without_high, saturated=False).passed


def test_high_precision_skipped_where_float64_is_not_saturated_fails(monkeypatch, default, birnn):
    digits = c3.working_precision(birnn.derivation.activation, birnn.values).digits
    monkeypatch.setattr(c3, "working_precision", lambda act, values: Precision(digits, mpmath.mpf(10)))
    assert c3.ROUTES in failing(c3, birnn, default)


def test_the_printed_instance_and_figure_pass(birnn):
    assert c3.printed_check(birnn, c3.as_published(birnn)).passed


def test_a_printed_gradient_that_is_not_the_published_one_fails(monkeypatch, birnn):
    monkeypatch.setattr(q3a.BirnnAnswer, "grad_matrix", lambda self, key: sp.ImmutableMatrix(
        self.evaluation.grad_W_b.tolist()))  # grad U_f printed as grad W_b's
    assert not c3.printed_check(birnn, c3.as_published(birnn)).passed


def test_figure_nodes_out_of_their_columns_fail(monkeypatch, birnn):
    place = birnn_view.figure_node
    monkeypatch.setattr(birnn_view, "figure_node", lambda node, node_id: dataclasses.replace(
        place(node, node_id), x=Tex("0")))
    assert not c3.printed_check(birnn, c3.as_published(birnn)).passed


def test_gradients_said_side_by_side_that_do_not_fit_fail(monkeypatch, birnn):
    instance = birnn_view.instance_view
    monkeypatch.setattr(birnn_view, "instance_view", lambda *args: dataclasses.replace(
        instance(*args), side_by_side=True))  # the default's two gradients are wider than the text
    assert not c3.printed_check(birnn, c3.as_published(birnn)).passed


# --- 1: the figure and the work as printed ---------------------------------------------------------

@pytest.fixture(scope="module")
def normalization(default):
    return q1a.derive(default)


def test_the_printed_figure_and_work_pass(normalization):
    assert q1.printed_check(normalization).passed


def _replace_figure(monkeypatch, change):
    figure = normalization_view.figure
    monkeypatch.setattr(normalization_view, "figure", lambda answer: change(figure(answer)))


def _panel_cells(change):
    def figure(f):
        first = f.panels[0]
        return dataclasses.replace(f, panels=(dataclasses.replace(first, cells=change(first.cells)), *f.panels[1:]))
    return figure


@pytest.mark.parametrize("change", [
    _panel_cells(lambda cells: ()),  # no cells drawn
    _panel_cells(lambda cells: tuple(dataclasses.replace(c, shaded=not c.shaded) for c in cells)),
    _panel_cells(lambda cells: tuple(dataclasses.replace(c, x=c.x + (c.x >= 4)) for c in cells)),  # blocks 2 apart
    lambda f: dataclasses.replace(f, columns=f.columns[::-1]),
    lambda f: dataclasses.replace(f, title_x=Tex("0")),
], ids=["no cells", "shading", "gap", "labels", "title"])
def test_a_figure_not_as_defined_fails(monkeypatch, normalization, change):
    _replace_figure(monkeypatch, change)
    assert not q1.printed_check(normalization).passed


@pytest.mark.parametrize("change", [
    lambda s: dataclasses.replace(s, hidden=s.hidden + 1),
    lambda s: dataclasses.replace(s, plural=not s.plural),
    lambda s: dataclasses.replace(s, groups=s.groups + 1),
], ids=["hidden", "plural", "groups"])
def test_work_that_miscounts_its_groups_fails(monkeypatch, normalization, change):
    section = normalization_view.section
    monkeypatch.setattr(normalization_view, "section", lambda statistic: change(section(statistic)))
    assert not q1.printed_check(normalization).passed


def test_a_fraction_without_its_approximation_fails(normalization):
    statistic = normalization.statistics[0]
    k, group = next((k, g) for k, g in enumerate(statistic.groups) if g.variance.q != 1)
    groups = list(statistic.groups)
    groups[k] = dataclasses.replace(group, variance_rows=tuple(r for r in group.variance_rows if r.rel == "="))
    planted = dataclasses.replace(normalization, statistics=(
        dataclasses.replace(statistic, groups=tuple(groups)), *normalization.statistics[1:]))
    assert not q1.printed_check(planted).passed


def test_a_method_text_naming_another_function_fails(monkeypatch, default, normalization):
    variance = np.var

    def spread(a, *args, **kwargs):  # the variance, under another name than the text's numpy.var
        return variance(a, *args, **kwargs)

    assert not failing(q1, normalization, default) & {f"{k} variance" for k in q1a.KINDS}
    monkeypatch.setattr(np, "var", spread)
    assert failing(q1, normalization, default) >= {f"{k} variance" for k in q1a.KINDS}


# --- 4.4: the table and the figures as printed -----------------------------------------------------

@pytest.fixture(scope="module")
def lora(default):
    return q4a.derive(default)


def _lora_printed(answer, default):
    c = default.lora
    return c4.printed_check(answer, c4.measure(c4.model_size(c), c.bits, shapes_only=True))


def test_the_printed_table_and_figures_pass(lora, default):
    assert _lora_printed(lora, default).passed


def _choice(answer, cond, mod, **change):
    cell = dataclasses.replace(answer.choice[cond][mod], **change)
    return dataclasses.replace(answer, choice={**answer.choice, cond: {**answer.choice[cond], mod: cell}})


@pytest.mark.parametrize(("cond", "reason"), [
    ("memory_limit", "saves 1.0 MiB of frozen weights"),
    ("faster_inference", "avoids 1,000 dequantization operations per pass"),
    ("both", "99% of the possible saving, for 1.00% more operations per pass"),
    ("both", "fast"),
])
def test_a_reason_quoting_other_figures_fails(lora, default, cond, reason):
    assert not _lora_printed(_choice(lora, cond, "ffn", reason=reason), default).passed


def test_a_cell_with_the_other_method_fails(lora, default):
    other = {"lora": "qlora", "qlora": "lora"}[lora.choice["memory_limit"]["mha"].method]
    assert not _lora_printed(_choice(lora, "memory_limit", "mha", method=other), default).passed


@pytest.mark.parametrize(("name", "planted"), [
    ("percent", lambda share, decimals: formatting.fixed(100**share, decimals)),
    ("capitalized", lambda text: text),
    ("counted", lambda k, noun: f"no {noun}s"),
    ("scaled", lambda expr: formatting.exact(expr.as_coeff_Mul()[1])),  # "h" for 4h, "r" for 2r
    ("scheme", lambda: dataclasses.replace(original_scheme(), saving_per_weight=Tex(r"\frac{32}{m}"))),
])
def test_figures_and_wording_not_as_measured_fail(monkeypatch, lora, default, name, planted):
    monkeypatch.setattr(lora_view, name, planted)
    assert not _lora_printed(lora, default).passed


# --- 2.3: Algorithm 1 taken literally, as printed --------------------------------------------------

def test_the_printed_literal_search_passes(default):
    assert q2._literal_check(q2a.derive(default)).passed


@pytest.mark.parametrize("change", [
    lambda lit: dataclasses.replace(lit, identical=not lit.identical),
    lambda lit: dataclasses.replace(lit, kept=dataclasses.replace(lit.kept, shown=tuple(
        dataclasses.replace(e, copies=e.copies + 1) for e in lit.kept.shown))),
    lambda lit: dataclasses.replace(lit, dead_beam_score=Tex("-1000000000")),  # not as a power of ten
    lambda lit: dataclasses.replace(lit, dead_beam_score=Tex("-10^{8}")),
], ids=["identical", "copies", "decimal", "power"])
def test_a_literal_search_printed_otherwise_fails(monkeypatch, default, change):
    literal = decoding_view._literal
    monkeypatch.setattr(decoding_view, "_literal", lambda answer: change(literal(answer)))
    assert not q2._literal_check(q2a.derive(default)).passed


# --- 3.2: the recursions' successor ----------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_the_recursions_pass(activation):
    assert c3.recursion_check(derive_forms(activation)).passed


@pytest.mark.parametrize(("chain", "vector", "wrong"), [("b", gb, -2), ("b", gb, 1), ("f", gf, -1), ("f", gf, 0)])
def test_a_recursion_on_another_step_fails(chain, vector, wrong):
    derivation = derive_forms("tanh")
    right = {"f": 1, "b": -1}[chain]
    rows = [dataclasses.replace(r, rhs=r.rhs.xreplace({vector(right): vector(wrong)}))
            for r in derivation.recursion_rows[chain]]
    planted = dataclasses.replace(derivation, recursion_rows={**derivation.recursion_rows, chain: tuple(rows)})
    assert not c3.recursion_check(planted).passed


def test_a_text_saying_every_entry_for_fewer_fails(monkeypatch, birnn):
    forms, act = birnn.derivation.forms, birnn.derivation.activation

    def run():
        return c3.complex_step_checks(forms, act, birnn.values, birnn.config.seed, c3.as_published(birnn))

    assert all(c.passed for c in run())
    d = birnn.values["W_f"].shape[0]
    monkeypatch.setattr(c3, "checked_entries", lambda size, seed: [(0, 0)] * (d * d))  # d^2 entries, one repeated
    assert not any(c.passed for c in run())
