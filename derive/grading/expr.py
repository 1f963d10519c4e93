"""The submission grammar: a tokenizer and a Pratt parser that turn answer text into a small
syntax tree. Submission text is data: nothing here (or downstream) evaluates it as Python.

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/" | juxtaposition) unary)*
    unary   := ("-" | "+") unary | power
    power   := atom (("^" | "**") unary)?          right-associative: 2^3^2 = 2^(3^2)
    atom    := number | name | name "(" expr ")" | ("log" | "ln") power | "(" expr ")"

Names are the question's symbols, `log` (also `ln`) and `O`; a run of letters that are all
symbols is their product (`nd` is n*d). Text length, token count and nesting are limited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from derive.grading import budget
from derive.grading.unparseable import Unparseable

MAX_LENGTH = 1000  # characters of one answer
MAX_TOKENS = 400
MAX_DEPTH = 40  # nested parentheses, powers and signs
MAX_LITERAL_EXPONENT = 400  # 1e400 is exact; 1e401 is refused
FUNCTIONS = ("log", "ln", "O")
_ALIASES = {"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*"}
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
                    r"|(?P<op>\*\*|[-+*/^()]))")


@dataclass(frozen=True)
class Num:
    value: Fraction


@dataclass(frozen=True)
class Sym:
    name: str


@dataclass(frozen=True)
class Call:
    function: str  # "log" or "O"
    argument: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Bin:
    op: str  # "+", "-", "*", "/", "^"
    left: Node
    right: Node


Node = Num | Sym | Call | Neg | Bin


def shown(text: str, limit: int = 40) -> str:
    """Submission text fit for a one-line reason: printable characters only, truncated."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def tokenize(text: str) -> list[tuple[str, str]]:
    if len(text) > MAX_LENGTH:
        raise Unparseable(f"longer than {MAX_LENGTH} characters ({len(text)})")
    budget.spend(len(text) + 1)
    if any(not ch.isprintable() for ch in text.replace(" ", "").replace("\t", "")):
        raise Unparseable("contains a control character")
    for alias, op in _ALIASES.items():
        text = text.replace(alias, op)
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].isspace():
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            where = text[pos:].lstrip()
            raise Unparseable(f"unexpected character {shown(where[:1])!r} at position {len(text) - len(where) + 1}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        if len(tokens) > MAX_TOKENS:
            raise Unparseable(f"more than {MAX_TOKENS} tokens")
    if not tokens:
        raise Unparseable("empty")
    return tokens


def number(text: str) -> Fraction:
    mantissa, _, exponent = text.lower().partition("e")
    power = int(exponent) if exponent else 0
    if abs(power) > MAX_LITERAL_EXPONENT:
        raise Unparseable(f"the literal {shown(text)} has an exponent beyond {MAX_LITERAL_EXPONENT}")
    budget.spend(budget.for_bits(abs(power) * 4))
    return Fraction(mantissa) * Fraction(10) ** power


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], symbols: frozenset[str]) -> None:
        self.tokens = tokens
        self.symbols = symbols
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, op: str) -> None:
        kind, text = self.take()
        if (kind, text) != ("op", op):
            raise Unparseable(f"expected {op!r}, found {shown(text) or 'the end'!r}")

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unparseable(f"nested deeper than {MAX_DEPTH}")

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            node = Bin(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while True:
            kind, text = self.peek()
            if kind == "op" and text in ("*", "/"):
                self.take()
                node = Bin(text, node, self.unary())
            elif kind in ("num", "name") or (kind, text) == ("op", "("):  # juxtaposition: 2n, n d, n(d + 1)
                node = Bin("*", node, self.unary())
            else:
                return node

    def unary(self) -> Node:
        kind, text = self.peek()
        if kind == "op" and text in ("-", "+"):
            self.take()
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return Neg(operand) if text == "-" else operand
        return self.power()

    def power(self) -> Node:
        kind, text = self.peek()
        split = kind == "name" and text not in FUNCTIONS and text not in self.symbols and len(text) > 1
        base = self.atom()
        if self.peek() in (("op", "^"), ("op", "**")):
            self.take()
            self.nest()
            exponent = self.unary()
            self.depth -= 1
            if split and isinstance(base, Bin):  # nd^2 is n d^2: the power binds to the last letter
                return Bin("*", base.left, Bin("^", base.right, exponent))
            return Bin("^", base, exponent)
        return base

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return Num(number(text))
        if kind == "name":
            return self.name(text)
        if (kind, text) == ("op", "("):
            self.nest()
            inner = self.expr()
            self.expect(")")
            self.depth -= 1
            return inner
        raise Unparseable(f"unexpected {shown(text)!r}" if text else "ends too early")

    def name(self, text: str) -> Node:
        if text in ("log", "ln") and self.peek() != ("op", "("):  # log N, log BN = log(B N)
            self.nest()
            argument = self.power()
            self.depth -= 1
            return Call("log", argument)
        if text in FUNCTIONS:
            self.expect("(")
            self.nest()
            argument = self.expr()
            self.expect(")")
            self.depth -= 1
            return Call("O" if text == "O" else "log", argument)
        if text in self.symbols:
            return Sym(text)
        if all(ch in self.symbols for ch in text):  # nd = n*d
            node: Node = Sym(text[0])
            for ch in text[1:]:
                node = Bin("*", node, Sym(ch))
            return node
        allowed = ", ".join(sorted(self.symbols)) or "none"
        raise Unparseable(f"unknown name {shown(text)!r} (symbols here: {allowed}; functions: log, O)")


def parse(text: str, symbols: frozenset[str] = frozenset()) -> Node:
    """The syntax tree of one answer, or Unparseable saying why."""
    parser = _Parser(tokenize(text), symbols)
    node = parser.expr()
    if parser.pos != len(parser.tokens):
        raise Unparseable(f"unexpected {shown(parser.peek()[1])!r} after a complete expression")
    return node
