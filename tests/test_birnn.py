"""Question 3: the derived closed forms, the graph, and checks that catch planted errors."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from derive import build, config
from derive.errors import ConfigError
from derive.questions.birnn import answer as q3a
from derive.questions.birnn import checks as c3
from derive.questions.birnn import instance
from derive.questions.birnn import model as m3
from derive.questions.birnn import rows as birnn_rows
from derive.questions.birnn.instance import mp_values
from derive.verify import resolve
from tests.check_support import failed_names, failing

H = sp.Symbol("h")


@pytest.mark.parametrize(("name", "expected"), [("tanh", 1 - H**2), ("sigmoid", H * (1 - H))])
def test_activation_derivative_in_the_hidden_state(name, expected):
    assert sp.expand(m3.derive_activation(name).in_output - expected) == 0


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_closed_form_structure(name):
    dv = m3.derive_forms(name)
    act, forms = dv.activation, dv.forms
    assert forms.jac_f == DiagMatrix(act.of(m3.hf(1))) * m3.U_f
    assert forms.jac_b == DiagMatrix(act.of(m3.hb(-1))) * m3.U_b
    assert sp.simplify(forms.local_f - 2 * m3.V_f.T * (m3.y() - m3.z())).is_ZeroMatrix


def _config(activation="tanh", **birnn):
    base = config.load(None)
    return base.replace(birnn=dataclasses.replace(base.birnn, activation=activation, **birnn))


def test_graph_edges_are_the_assignment_dependencies():
    g = q3a.graph(4)
    assert set(g.edges) == c3.assignment_edges(4)
    assert (("h_b", 5), ("h_b", 4), "U_b") in g.edges and (("y", 2), ("L", 2), "") in g.edges
    assert ("h_f", 0) in g.nodes and ("h_b", 5) in g.nodes
    assert {n.kind for n in g.nodes} == {"x", "h_f", "h_b", "y", "L"}


def test_graph_labels_come_from_the_printer():
    g = q3a.graph(2)
    labels = {n: n.label for n in g.nodes}
    assert labels[q3a.Node("h_f", 0)] == "h^{(f)}_{0}" and labels[q3a.Node("h_b", 3)] == "h^{(b)}_{3}"
    assert labels[q3a.Node("x", 1)] == "x_{1}" and labels[q3a.Node("L", 2)] == "L_{2}"
    assert {e.weight: e.label for e in g.edges} == {"W_f": "W^{(f)}", "U_f": "U^{(f)}", "V_f": "V^{(f)}",
                                                    "W_b": "W^{(b)}", "U_b": "U^{(b)}", "V_b": "V^{(b)}", "": ""}


def test_drawn_edges_equal_the_model_edges():
    solved = build.solve(_config(steps=3))
    source = build.latex_source(solved)
    names = dict(re.findall(r"\\node\[n[^\]]*\] \((n\d+)\) at \([^)]*\) \{\$(.*?)\$\};", source))
    drawn = {(names[a], names[b], w) for a, w, b in
             re.findall(r"\\draw\[e\] \((n\d+)\) -- node\[[^\]]*\] \{\$(.*?)\$\} \((n\d+)\);", source)}
    assert drawn == {(e.source.label, e.target.label, e.label) for e in q3a.graph(3).edges}
    assert ("h^{(b)}_{4}", "h^{(b)}_{3}", "U^{(b)}") in drawn and ("y_{2}", "L_{2}", "") in drawn


# A planted error in the closed forms, and the gradient whose checks it reaches (with the 3.2
# Jacobian check, for a wrong Jacobian, and the printed-work check, for a form the document
# boxes: the box no longer prints what the rows above it derive).
PLANTS = {
    "transposed Jacobian": (lambda f: dataclasses.replace(f, jac_f=f.jac_f.T), "U_f", "forward", True),
    "missing diag": (lambda f: dataclasses.replace(f, jac_b=m3.U_b), "W_b", "backward", True),
    "wrong sign": (lambda f: dataclasses.replace(f, local_b=-f.local_b), "W_b", None, True),
    "dropped boundary term": (lambda f: dataclasses.replace(f, boundary_f=sp.ZeroMatrix(m3.D, 1)), "U_f", None,
                              False),
}


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_checks_pass_on_the_derived_forms(activation):
    cfg = _config(activation)
    assert failing(c3, q3a.derive(cfg), cfg) == set()


@pytest.mark.parametrize("plant", PLANTS)
def test_planted_errors_fail_every_check(plant):
    """Exactly the checks that see the planted form fail: each Jacobian check and each check of a
    gradient's closed form on its own (the plant changes only the forms under test: the model still
    evaluates, and the published instance values, evaluated from the right forms, pass theirs)."""
    cfg = _config()
    answer = q3a.derive(cfg)
    change, key, jacobian, boxed = PLANTS[plant]
    wrong_forms = change(answer.derivation.forms)
    assert wrong_forms != answer.derivation.forms
    wrong = dataclasses.replace(answer, derivation=dataclasses.replace(answer.derivation, forms=wrong_forms))
    expected = {f"grad {key}: closed form vs complex step", f"grad {key}: closed form vs finite differences"}
    if jacobian is not None:
        expected.add(f"Jacobian ({jacobian}) at the first step")
    if boxed:
        expected.add(birnn_rows.NAME)
    assert failing(c3, wrong, cfg) == expected


def _fd(values, activation, key, step=1e-6):
    """Finite differences with a forward pass written here, independently of derive."""
    def loss(v):
        f = np.tanh if activation == "tanh" else (lambda a: 1 / (1 + np.exp(-a)))
        T = v["x"].shape[0]
        hf = [v["h0_f"]]
        for t in range(T):
            hf.append(f(v["W_f"] @ v["x"][t] + v["U_f"] @ hf[-1]))
        hb = {T: v["h_end_b"]}
        for t in reversed(range(T)):
            hb[t] = f(v["W_b"] @ v["x"][t] + v["U_b"] @ hb[t + 1])
        return sum(np.sum((v["z"][t] - v["V_f"] @ hf[t + 1] - v["V_b"] @ hb[t]) ** 2) for t in range(T))

    out = np.zeros_like(values[key])
    for idx in np.ndindex(*out.shape):
        plus = {k: a.copy() for k, a in values.items()}
        minus = {k: a.copy() for k, a in values.items()}
        plus[key][idx] += step
        minus[key][idx] -= step
        out[idx] = (loss(plus) - loss(minus)) / (2 * step)
    return out


def test_unseen_explicit_instance_sigmoid(write_config, run, tmp_path):
    rng = np.random.default_rng(123)
    d, T = 2, 4
    inst = {k: np.round(rng.normal(size=(d, d)), 2) for k in ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b")}
    inst |= {"x": np.round(rng.normal(size=(T, d)), 2), "z": np.round(rng.normal(size=(T, d)), 2),
             "h0_f": np.array([0.3, -0.2]), "h_end_b": np.array([-0.1, 0.4])}
    lines = [f"{k} = {json.dumps(v.tolist())}" for k, v in inst.items()]
    path = write_config("[birnn]\nactivation = \"sigmoid\"\nhidden_size = 2\nsteps = 4\n[birnn.instance]\n"
                        + "\n".join(lines) + "\n")
    code, _, err = run("build", "--no-pdf", "--config", str(path), "--out", str(tmp_path / "out"))
    assert code == 0, err
    got = json.loads((tmp_path / "out" / "answers.json").read_text())["birnn"]["instance"]
    for key in ("W_b", "U_f"):
        expected = _fd(inst, "sigmoid", key)
        assert np.allclose(got[f"grad_{key}"], expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[birnn]\nhidden_size = 0\n", r"^birnn\.hidden_size: must be between 1 and 16, got 0$"),
        ("[birnn]\nsteps = -1\n", r"^birnn\.steps: must be between 1 and 12, got -1$"),
        ("[birnn]\nactivation = \"relu\"\n", r'^birnn\.activation: must be one of "tanh", "sigmoid", got "relu"$'),
        ("[birnn]\nhidden_size = 1\nsteps = 1\n[birnn.instance]\nW_f = [[1, 2]]\nU_f = [[1]]\nV_f = [[1]]\n"
         "W_b = [[1]]\nU_b = [[1]]\nV_b = [[1]]\nx = [[1]]\nz = [[1]]\n",
         r"^birnn\.instance\.W_f: must be a 1 x 1 array, row 0 has 2 entries$"),
        ("[birnn]\nhidden_size = 1\nsteps = 2\n[birnn.instance]\nW_f = [[1]]\nU_f = [[1]]\nV_f = [[1]]\n"
         "W_b = [[1]]\nU_b = [[1]]\nV_b = [[1]]\nx = [[1], [2], [3]]\nz = [[1], [2]]\n",
         r"^birnn\.instance\.x: must be a 2 x 1 array, got 3 rows$"),
        ("[birnn]\nhidden_size = 1\n[birnn.instance]\nW_f = [[1]]\n",
         r"^birnn\.instance\.U_f: is missing \(an explicit instance gives all of"),
    ],
)
def test_bad_input(load_text, text, message):
    with pytest.raises(ConfigError, match=message):
        load_text(text)


def test_small_gradient_next_to_a_large_loss_passes_finite_differences():
    """Found by make stress: a gradient entry of 5e-4 beside a loss of 3.4 (float64 round-off)."""
    cfg = _config("sigmoid", hidden_size=1, steps=2, seed=947583)
    answer = q3a.derive(cfg)
    assert abs(answer.evaluation.grad_U_f[0, 0]) < 1e-3 < answer.evaluation.loss
    assert failing(c3, answer, cfg) == set()


def test_a_wrong_published_loss_is_caught():
    cfg = _config()
    answer = q3a.derive(cfg)
    section = c3.as_published(answer)
    section["instance"]["loss"] *= 1.001
    # the document's loss, printed from the derivation, no longer says what answers.json says
    assert failed_names(resolve(c3.plan(answer, cfg, section))) == {"loss", c3.PUBLISHED_VS_HIGH_PRECISION,
                                                                    c3.PRINTED}


def test_complex_step_matches_finite_differences_written_here():
    """The high-precision reference itself, against this file's own finite differences."""
    import mpmath

    cfg = _config("sigmoid", hidden_size=2, steps=3)
    values = q3a.derive(cfg).values
    floats = {k: a.astype(float).reshape(-1) if k in ("h0_f", "h_end_b") else a.astype(float)
              for k, a in values.items()}
    with mpmath.workdps(c3.DIGITS):
        mp = mp_values(values)
        for key in ("W_b", "U_f"):
            entries = c3.checked_entries(2, 0)
            ref = np.array([float(g) for g in c3.complex_step_gradient(mp, "sigmoid", key, entries)])
            fd = _fd(floats, "sigmoid", key)
            assert np.allclose(ref, [fd[idx] for idx in entries], rtol=1e-6, atol=1e-8)


def test_large_sizes_check_a_seeded_sample_of_entries():
    small, large = c3.checked_entries(4, seed=3), c3.checked_entries(9, seed=3)
    assert small == [(i, j) for i in range(4) for j in range(4)]
    assert len(set(large)) == c3.ENTRIES and all(0 <= i < 9 and 0 <= j < 9 for i, j in large)
    assert large == c3.checked_entries(9, seed=3) != c3.checked_entries(9, seed=4)


def test_the_high_precision_work_kept_per_process_follows_the_instance():
    """The working precision and the closed forms at it are kept per process by the instance's
    exact values: an instance with one entry moved is evaluated anew, the default's again gives
    what it gave, and what is kept cannot be written to."""
    answer = q3a.derive(config.load(None))
    act, forms = answer.derivation.activation, answer.derivation.forms
    precision = instance.working_precision(act, answer.values)
    kept = instance.high_precision(forms, act, answer.values, precision)
    moved = {**answer.values, "W_b": answer.values["W_b"].copy()}
    moved["W_b"][0, 0] += sp.Rational(1, 100)
    other = instance.high_precision(forms, act, moved, instance.working_precision(act, moved))
    assert not np.array_equal(other.grad_W_b, kept.grad_W_b)
    assert instance.high_precision(forms, act, answer.values, precision) is kept
    with pytest.raises(ValueError, match="read-only"):
        kept.grad_W_b[0, 0] = 0
