"""The XPath 1.0 subset that XLSForm `relevant` and `constraint` columns use here.

Parsed once at load time (an unsupported construct fails then, naming where), evaluated many times.
Same subset and semantics as static/js/xpath.js; both run over tests/data/xpath_cases.json.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SUPPORTED = ("comparisons (= != < <= > >=), and, or, not(), selected(), count-selected(), "
             "true(), false(), ${name}, ., string and number literals, parentheses")


class UnsupportedExpression(ValueError):
    pass


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<ref>\$\{(?P<refname>[A-Za-z_][A-Za-z0-9_.-]*)\})
    | (?P<op><=|>=|!=|=|<|>|\(|\)|,|-)
    | (?P<dot>\.)
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""", re.VERBOSE)


@dataclass(frozen=True)
class _Token:
    kind: str
    value: str
    position: int


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            position += len(text[position:]) - len(text[position:].lstrip())
            raise UnsupportedExpression(
                f"unsupported syntax {text[position:][:12]!r} at position {position} in "
                f"{text!r}; supported: {SUPPORTED}")
        kind = match.lastgroup if match.lastgroup != "refname" else "ref"
        if match.group("ref"):
            kind, value = "ref", match.group("refname")
        else:
            value = match.group(kind)  # type: ignore[arg-type]
        start = match.start(kind if kind != "ref" else "ref")
        tokens.append(_Token(kind, value, start))  # type: ignore[arg-type]
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


_DECIMAL = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")

Node = Callable[[Mapping[str, Any], Any], Any]

FUNCTIONS = {"not": 1, "selected": 2, "count-selected": 1, "true": 0, "false": 0}


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        value = " ".join(value)
    text = "" if value is None else str(value).strip()
    # Only plain decimals: "1e3", "inf" or "nan" typed into a text answer are not numbers here,
    # in Python as in the browser.
    return float(text) if _DECIMAL.match(text) else math.nan


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    return len(value) > 0 if isinstance(value, str | list) else value is not None


def _string(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _items(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return _string(value).split()


def _equals(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return _boolean(left) == _boolean(right)
    if isinstance(left, int | float) or isinstance(right, int | float):
        return _number(left) == _number(right)
    return _string(left) == _string(right)


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": _equals,
    "!=": lambda a, b: not _equals(a, b),
    "<": lambda a, b: _number(a) < _number(b),
    "<=": lambda a, b: _number(a) <= _number(b),
    ">": lambda a, b: _number(a) > _number(b),
    ">=": lambda a, b: _number(a) >= _number(b),
}


def _either(left: Node, right: Node) -> Node:
    return lambda v, c: _boolean(left(v, c)) or _boolean(right(v, c))


def _both(left: Node, right: Node) -> Node:
    return lambda v, c: _boolean(left(v, c)) and _boolean(right(v, c))


def _compare(compare: Callable[[Any, Any], bool], left: Node, right: Node) -> Node:
    return lambda v, c: compare(left(v, c), right(v, c))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenise(text)
        self.index = 0
        self.references: set[str] = set()

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def fail(self, what: str) -> UnsupportedExpression:
        token = self.token
        shown = repr(token.value) if token.kind != "end" else "end of expression"
        return UnsupportedExpression(f"{what}: {shown} at position {token.position} in "
                                     f"{self.text!r}; supported: {SUPPORTED}")

    def take(self, kind: str, value: str | None = None) -> _Token | None:
        token = self.token
        if token.kind == kind and (value is None or token.value == value):
            self.index += 1
            return token
        return None

    def expect(self, value: str) -> None:
        if not self.take("op", value):
            raise self.fail(f"expected {value!r}")

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise self.fail("empty expression")
        node = self.or_expr()
        if self.token.kind != "end":
            raise self.fail("unexpected")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.take("name", "or"):
            node = _either(node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.equality()
        while self.take("name", "and"):
            node = _both(node, self.equality())
        return node

    def _binary(self, operators: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        node = operand()
        while self.token.kind == "op" and self.token.value in operators:
            compare = COMPARE[self.take("op").value]  # type: ignore[union-attr]
            node = _compare(compare, node, operand())
        return node

    def equality(self) -> Node:
        return self._binary(("=", "!="), self.relational)

    def relational(self) -> Node:
        return self._binary(("<", "<=", ">", ">="), self.unary)

    def unary(self) -> Node:
        if self.take("op", "-"):
            operand = self.unary()
            return lambda v, c: -_number(operand(v, c))
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if self.take("number"):
            number = float(token.value)
            return lambda v, c: number
        if self.take("string"):
            text = token.value[1:-1]
            return lambda v, c: text
        if self.take("ref"):
            name = token.value
            self.references.add(name)
            return lambda v, c: "" if v.get(name) is None else v.get(name)
        if self.take("dot"):
            return lambda v, c: "" if c is None else c
        if self.take("op", "("):
            node = self.or_expr()
            self.expect(")")
            return node
        if token.kind == "name" and token.value in FUNCTIONS:
            self.index += 1
            return self.call(token)
        if token.kind == "name":
            raise self.fail("unsupported function or name")
        raise self.fail("unexpected")

    def call(self, token: _Token) -> Node:
        if not self.take("op", "("):
            raise self.fail(f"expected '(' after {token.value}")
        args: list[Node] = []
        if not self.take("op", ")"):
            args.append(self.or_expr())
            while self.take("op", ","):
                args.append(self.or_expr())
            self.expect(")")
        if len(args) != FUNCTIONS[token.value]:
            raise UnsupportedExpression(
                f"{token.value}() takes {FUNCTIONS[token.value]} argument(s), got {len(args)}, "
                f"at position {token.position} in {self.text!r}")
        name = token.value
        if name == "not":
            return lambda v, c: not _boolean(args[0](v, c))
        if name == "selected":
            return lambda v, c: _string(args[1](v, c)) in _items(args[0](v, c))
        if name == "count-selected":
            return lambda v, c: float(len(_items(args[0](v, c))))
        constant = name == "true"
        return lambda v, c: constant


@dataclass(frozen=True)
class Expression:
    source: str
    references: frozenset[str]
    _node: Node

    def evaluate(self, values: Mapping[str, Any], current: Any = None) -> Any:
        return self._node(values, current)

    def test(self, values: Mapping[str, Any], current: Any = None) -> bool:
        return _boolean(self.evaluate(values, current))


def compile_expression(text: str) -> Expression:
    parser = _Parser(text or "")
    node = parser.parse()
    return Expression(text, frozenset(parser.references), node)
