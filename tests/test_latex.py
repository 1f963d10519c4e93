"""The LaTeX layer: notation, the escaping choke point, and error extraction from logs."""

from __future__ import annotations

import pytest
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from derive.answer import Terms, Tex
from derive.errors import LatexError
from derive.latex.compile import compile_pdf, first_error
from derive.latex.notation import Series
from derive.latex.printer import NotationError, decimal, tex
from derive.latex.render import escape, finalize
from tests.conftest import needs_tex

d, t = sp.Symbol("d"), sp.Symbol("t")
H = Series("h_f", d, 1, t)
U = sp.MatrixSymbol("U_f", d, d)
X = Series("x", d, 1, t)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (DiagMatrix(sp.OneMatrix(d, 1) - sp.HadamardPower(H, 2)) * U,
         r"\operatorname{diag}\left(\mathbf{1} - h^{(f)}_{t} \odot h^{(f)}_{t}\right) U^{(f)}"),
        (U.T * H, r"{U^{(f)}}^{\top} h^{(f)}_{t}"),
        (sp.HadamardProduct(H, sp.OneMatrix(d, 1) - H, evaluate=False) * X.T,
         r"\left(\left(\mathbf{1} - h^{(f)}_{t}\right) \odot h^{(f)}_{t}\right) {x_{t}}^{\top}"),
        ((U * H).applyfunc(sp.tanh), r"\tanh\left(U^{(f)} h^{(f)}_{t}\right)"),
        (sp.Rational(-31, 12), r"- \frac{31}{12}"),
    ],
)
def test_notation(expr, expected):
    assert tex(expr) == expected


def test_no_lambda_notation_leaks():
    derivative = (U * H).applyfunc(sp.tanh).diff(H)  # SymPy's own result holds a Lambda
    with pytest.raises(NotationError):
        tex(derivative)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
        ("^^5cinput", r"\textasciicircum{}\textasciicircum{}5cinput"),
        ("50% & #1 ~ $x_1$", r"50\% \& \#1 \textasciitilde{} \$x\_1\$"),
        ("café", "café"),
        ("Ωmega — “x” … €", "Ωmega — “x” … €"),
        ("a,,b", "a,{},b"),
        ("<<'>>", r"\textless{}\textless{}\textquotesingle{}\textgreater{}\textgreater{}"),
    ],
)
def test_escape(text, expected):
    assert escape(text) == expected


@pytest.mark.parametrize("text", ["Ħ", "\x7f", "\u4e2d", "\U0001F600"])
def test_escape_refuses_what_the_fonts_cannot_show(text):
    with pytest.raises(ValueError, match=r"cannot be typeset"):
        escape(text)


def test_finalize_refuses_what_it_cannot_print():
    assert finalize(Tex(r"\alpha")) == r"\alpha"
    assert finalize("a_b") == r"a\_b"
    terms = Terms((sp.Integer(2), sp.Integer(-3)), factor=sp.Rational(1, 2))
    assert finalize(terms) == r"\frac{1}{2}\left(2 - 3\right)"
    with pytest.raises(TypeError):
        finalize({"a": 1})
    with pytest.raises(TypeError):
        finalize(True)
    with pytest.raises(TypeError, match="formatting"):  # numbers are formatted by the views, in one policy
        finalize(0.5)


def test_decimal():
    assert decimal(sp.Rational(31, 12), 4) == "2.583"
    assert decimal(sp.Integer(10) ** 20, 3) == r"1\times 10^{20}"


LOG = """This is pdfTeX
(./solutions.tex
./solutions.tex:42: Undefined control sequence.
l.42 \\foo
          bar
"""
LOG_BANG = """! LaTeX Error: File `nothere.sty' not found.

Type X to quit or <RETURN> to proceed,
l.7 \\usepackage
"""


def test_first_error():
    assert first_error(LOG, "solutions.tex") == r"solutions.tex:42: Undefined control sequence. [l.42 \foo]"
    assert first_error(LOG_BANG, "solutions.tex") == (
        r"solutions.tex:7: LaTeX Error: File `nothere.sty' not found. [l.7 \usepackage]")


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (sp.exp(sp.Rational(99536, 100)), 3, r"1.9\times 10^{432}"),            # 2.5's gap on a 75-deep tree
    (sp.Integer(50257) ** 75 / 10**18, 3, r"3.89\times 10^{334}"),           # N^T / rate, past float64
    (sp.Rational(-1, 10**500), 3, r"-1\times 10^{-500}"),
    (sp.Rational(999_999, 10**6) * 10**400, 3, r"1\times 10^{400}"),      # the mantissa rounds up to 10
    (sp.Rational(99_999, 1000), 3, "100"),
    (sp.Integer(0), 3, "0"),
])
def test_decimal_at_any_magnitude_never_inf(value, digits, expected):
    assert decimal(value, digits) == expected


def test_a_fatal_error_seen_only_on_the_terminal_is_the_cause():
    log = "LaTeX Warning: Citation `x' on page 1 undefined on input line 2.\n"
    terminal = "(./solutions.aux)! Unable to read an entire line---bufsize=200000.\nPlease increase buf_size.\n" + log
    assert first_error(log, "solutions.tex", terminal) == (
        "solutions.tex: Unable to read an entire line---bufsize=200000.")
    assert first_error(LOG, "solutions.tex", "./solutions.tex:42: Undefined control sequence.\n") == (
        r"solutions.tex:42: Undefined control sequence. [l.42 \foo]")


@needs_tex
@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ("x" * 250_000, "solutions.tex: Unable to read an entire line---bufsize=200000."),
        ("Ħ", "solutions.tex:3: LaTeX Error: Unicode character Ħ (U+0126)"),  # UTF-8, not "Ä¦"
    ],
)
def test_latex_failures_are_reported_by_their_real_cause(body, cause):
    source = "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\begin{document}" + body + "\n\\end{document}\n"
    with pytest.raises(LatexError) as caught:
        compile_pdf(source, timeout=120)
    assert str(caught.value).startswith("LaTeX failed: " + cause)


def test_tex_is_safe_under_concatenation():
    joined = Tex(r"\alpha") + Tex("x")
    assert type(joined) is Tex and finalize(joined) == r"\alphax"  # not escaped as a plain str would be
    with pytest.raises(TypeError, match="not known to be LaTeX"):
        Tex(r"\alpha") + "_x"  # noqa: B018
    with pytest.raises(TypeError, match="not known to be LaTeX"):
        "_x" + Tex(r"\alpha")  # noqa: B018
