"""What a Moodle question shows of a variant, as HTML for Moodle's MathJax filter: each question's
data as the question sheet gives it (matrices as `\\( \\)` math, the decoding tree as a table of
its edges, words and names as text), and, for the general feedback, the variant's worked steps.

User text (the tree's words, names) is HTML-escaped, its braces written as character references
(Moodle reads `{1:NUMERICAL:...}` in the question's HTML as a gap), and kept in elements MathJax
skips (`tex2jax_ignore`, MathJax 2; `mathjax_ignore`, MathJax 3), so it never becomes math or a gap.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import sympy as sp

from derive.answer import Row, Tex
from derive.config import Config
from derive.latex import formatting
from derive.latex.printer import tex
from derive.latex.render import finalize
from derive.latex.treefig import LOGP_DIGITS
from derive.questions.birnn.settings import SECTION as BIRNN
from derive.questions.decoding.settings import SECTION as DECODING
from derive.questions.lora.settings import SECTION as LORA
from derive.questions.normalization.settings import SECTION as NORMALIZATION
from derive.questions.registry import QUESTIONS

NO_MATH = "tex2jax_ignore mathjax_ignore"


def text(value: str) -> str:
    """User or derive text as HTML that is neither math nor a cloze gap."""
    return html.escape(value).replace("{", "&#123;").replace("}", "&#125;").replace("\\", "&#92;")


def plain(value: str) -> str:
    """User text in an element MathJax skips."""
    return f'<span class="{NO_MATH}">{text(value)}</span>'


def math(latex: str) -> str:
    """Inline math for MathJax; HTML-escaped (a matrix's `&`), braces as they are."""
    return r"\(" + html.escape(latex, quote=False) + r"\)"


def _normalization(config: Config) -> str:
    n, c, length = NORMALIZATION.of(config).shape
    samples = "".join(f"<p>{math(f'x_{{{i},:,:}} = ' + tex(sp.Matrix(sample)))}</p>"
                      for i, sample in enumerate(NORMALIZATION.of(config).tensor, 1))
    size, sample = math(rf"{n} \times {c} \times {length}"), math(r"C \times L")
    return (f"<p>The tensor {math('x')} has size {size}: batch size "
            f"{math(f'N = {n}')}, {math(f'C = {c}')} channels and {math(f'L = {length}')} features; sample "
            f"{math('i')} is shown as a {sample} matrix (rows: channels, columns: features).</p>"
            f"{samples}<p>Compute the mean and the (biased) variance of batch, layer and instance normalization. "
            "Give every entry; a size-1 axis is kept (keepdims).</p>")


def _decoding(config: Config) -> str:
    cfg = DECODING.of(config)
    greedy = math(rf"\bar w_{{1:{cfg.steps}}}")
    edges = "".join(f"<tr><td>{plain(' '.join(path))}</td><td>{math(formatting.dec(logp, LOGP_DIGITS))}</td></tr>"
                    for path, logp in sorted(cfg.tree.items()) if len(path) <= cfg.steps)
    return (f"<p>A language model's sequences form a tree: each edge below is a path of words after "
            f"<code>&lt;BOS&gt;</code> with the natural log-probability of its last word. The vocabulary has "
            f"{math(f'N = {cfg.vocabulary_size}')} words.</p>"
            f'<table border="1"><tr><th>path</th><th>log p</th></tr>{edges}</table>'
            f"<p>Find the greedy sequence {greedy} and its log-likelihood, and run beam "
            f"search with {math(f'B = {cfg.beam_width}')} from the single hypothesis <code>&lt;BOS&gt;</code>: "
            "give the beams best first, each with its log-likelihood. Words separated by single spaces.</p>")


def _birnn(config: Config) -> str:
    from derive.questions.birnn import view as birnn_view

    prompt = birnn_view.prompt(BIRNN.of(config))
    arrays = "".join(f"<p>{math(f'{a.label} = {a.value}')}</p>" for line in prompt.instance.lines for a in line)
    equations = (rf"h^{{(f)}}_t = {prompt.activation}(W^{{(f)}} x_t + U^{{(f)}} h^{{(f)}}_{{t-1}}),\ "
                 rf"h^{{(b)}}_t = {prompt.activation}(W^{{(b)}} x_t + U^{{(b)}} h^{{(b)}}_{{t+1}}),\ "
                 r"y_t = V^{(f)} h^{(f)}_t + V^{(b)} h^{(b)}_t")
    loss, grads = math(r"L = \sum_t \|z_t - y_t\|_2^2"), (math(r"\nabla_{W^{(b)}} L"), math(r"\nabla_{U^{(f)}} L"))
    if not arrays:  # as on the sheet: an instance too large to print is not asked (its parts have no gap)
        return (f"<p>A bidirectional RNN computes {math(equations)}, with the loss {loss}. Its instance is too "
                "large to print here; its values are not asked.</p>")
    return (f"<p>A bidirectional RNN computes {math(equations)}, with the loss "
            f"{loss}. At this instance "
            f"({math(f'd = {prompt.instance.hidden_size}')}, {math(f'T = {prompt.instance.steps}')}; every entry "
            f"exact):</p>{arrays}<p>Evaluate {math('L')}, {grads[0]} and {grads[1]}.</p>")


def _lora(config: Config) -> str:
    c = LORA.of(config)
    sizes = ", ".join(math(f"{k} = {v}") for k, v in (("d", c.d), ("r", c.r), ("h", c.heads), ("n", c.n),
                                                      ("m", c.bits)))
    return (f"<p>LoRA and QLoRA applied to a Transformer layer's feed-forward network (FFN) and multi-head "
            f"attention (MHA), with {sizes} (embedding dimension, rank, heads, context length, QLoRA's bits).</p>"
            "<p>Choose LoRA or QLoRA for each module under each condition.</p>")


STATEMENTS: dict[str, Callable[[Config], str]] = {
    "normalization": _normalization, "decoding": _decoding, "birnn": _birnn, "lora": _lora}


def statement(key: str, config: Config) -> str:
    """A question's data for this variant; a question without a Moodle statement gives its sheet's."""
    write = STATEMENTS.get(key)
    return write(config) if write else "<p>The data are on your question sheet.</p>"


def _row(row: Row) -> str:
    lhs = "" if row.lhs is None else finalize(row.lhs)
    note = f" <small>{text(row.note)}</small>" if row.note and not isinstance(row.note, Tex) else ""
    return r"<p>\[" + html.escape(f"{lhs} {row.rel} {finalize(row.rhs)}", quote=False) + r"\]" + note + "</p>"


def worked(key: str, config: Config) -> str:
    """The variant's worked steps of a question (the steps a notebook gets), as display math; a
    note in LaTeX is left out (Moodle's MathJax reads no `$`)."""
    q = QUESTIONS[key]
    steps: dict[str, Any] = q.worked(q.derive(config))
    return "".join(f"<h4>{text(title)}</h4>" + "".join(_row(r) for r in rows) for title, rows in steps.values())
