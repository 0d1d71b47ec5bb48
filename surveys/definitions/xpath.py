"""The XPath 1.0 subset that XLSForm `relevant` and `constraint` columns use here.

Parsed once when a definition loads (so an unsupported construct fails then, saying where), evaluated
many times. static/js/xpath.js is the browser's twin: same subset, same semantics, same error
messages; both run over tests/data/xpath_cases.json.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SUPPORTED = ("comparisons (= != < <= > >=), and, or, not(), selected(), count-selected(), "
             "true(), false(), ${name}, ., string and number literals, parentheses")
FUNCTIONS = {"not": 1, "selected": 2, "count-selected": 1, "true": 0, "false": 0}

# XML whitespace and ASCII digits spelt out: Python's \s, \d, str.strip() and float() accept more
# (Unicode spaces, "٣") than JavaScript does, and the two evaluators must agree on every answer.
_WHITESPACE = " \t\r\n"
_TOKEN = re.compile(r"""[ \t\r\n]*(?:
      (?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<ref>\$\{[A-Za-z_][A-Za-z0-9_.-]*\})
    | (?P<op><=|>=|!=|=|<|>|\(|\)|,|-)
    | (?P<dot>\.)
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""", re.VERBOSE)
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_SEPARATOR = re.compile(r"[ \t\r\n]+")
_REFUSED = dict.fromkeys("+*|", "unsupported operator") | dict.fromkeys("/@[]", "unsupported path")

Node = Callable[[Mapping[str, Any], Any], Any]


class UnsupportedExpression(ValueError):
    pass


def _refuse(text: str, what: str, position: int) -> UnsupportedExpression:
    # json.dumps quotes the expression exactly as the browser's JSON.stringify does.
    return UnsupportedExpression(f"{what} at position {position} in "
                                 f"{json.dumps(text, ensure_ascii=False)}; supported: {SUPPORTED}")


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, ref, op, dot, name or end
    text: str
    position: int


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while text[position:].strip(_WHITESPACE):
        match = _TOKEN.match(text, position)
        if match is None:
            position = len(text) - len(text[position:].lstrip(_WHITESPACE))
            rest = text[position:]
            if rest[0] in "'\"":
                raise _refuse(text, "unterminated string", position)
            if rest[0] == "$":
                end = rest.find("}")
                shown = rest[:end + 1] if rest.startswith("${") and end > 0 else _SEPARATOR.split(rest)[0]
                raise _refuse(text, f"malformed reference '{shown}' (expected ${{name}})", position)
            # A pasted non-breaking space or curly quote looks like the real thing: name it.
            code = "" if " " < rest[0] < "\x7f" else f" (U+{ord(rest[0]):04X})"
            raise _refuse(text, f"{_REFUSED.get(rest[0], 'unsupported character')} '{rest[0]}'{code}",
                          position)
        kind = str(match.lastgroup)
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # spelt as JavaScript's String(number) spells it
        if value.is_integer():
            return str(int(value))
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(repr(value), repr(value))
    if isinstance(value, list | tuple):
        return " ".join(_string(item) for item in value)
    return "" if value is None else str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    # Only plain decimals: "1e3", "inf" or "nan" typed into a text answer are not numbers.
    text = _string(value).strip(_WHITESPACE)
    return float(text) if _DECIMAL.fullmatch(text) else math.nan


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return value is not None


def _items(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [_string(item) for item in value]
    return [item for item in _SEPARATOR.split(_string(value)) if item]


def _equals(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return _boolean(left) == _boolean(right)
    if isinstance(left, int | float) or isinstance(right, int | float):
        return _number(left) == _number(right)  # NaN equals nothing, itself included
    return _string(left) == _string(right)


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": _equals,
    "!=": lambda a, b: not _equals(a, b),
    "<": lambda a, b: _number(a) < _number(b),
    "<=": lambda a, b: _number(a) <= _number(b),
    ">": lambda a, b: _number(a) > _number(b),
    ">=": lambda a, b: _number(a) >= _number(b),
}


# Node builders live outside the parser's loops so that each closure keeps its own operands.
def _logic(is_or: bool, left: Node, right: Node) -> Node:
    # Short-circuit, as XPath does: the right side is not evaluated once the left side decides.
    if is_or:
        return lambda v, c: _boolean(left(v, c)) or _boolean(right(v, c))
    return lambda v, c: _boolean(left(v, c)) and _boolean(right(v, c))


def _compare(compare: Callable[[Any, Any], bool], left: Node, right: Node) -> Node:
    return lambda v, c: compare(left(v, c), right(v, c))


def _constant(value: Any) -> Node:
    return lambda v, c: value


def _reference(name: str) -> Node:
    def value(v: Mapping[str, Any], c: Any) -> Any:
        found = v.get(name)
        return "" if found is None else found
    return value


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenise(text)
        self.index = 0
        self.references: set[str] = set()

    def fail(self, what: str, token: _Token | None = None) -> UnsupportedExpression:
        token = token or self.tokens[self.index]
        if token.kind == "end":
            return _refuse(self.text, f"{what} end of expression", token.position)
        # A string token's text carries its own quotes.
        shown = token.text if token.kind == "string" else f"'{token.text}'"
        return _refuse(self.text, f"{what} {shown}", token.position)

    def take(self, kind: str, text: str | None = None) -> _Token | None:
        token = self.tokens[self.index]
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def parse(self) -> Node:
        if self.tokens[0].kind == "end":
            raise _refuse(self.text, "empty expression", 0)
        node = self.or_expr()
        if self.tokens[self.index].kind != "end":
            arithmetic = self.tokens[self.index].text in ("-", "div", "mod")
            raise self.fail("unsupported operator" if arithmetic else "unexpected")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.take("name", "or"):
            node = _logic(True, node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.equality()
        while self.take("name", "and"):
            node = _logic(False, node, self.equality())
        return node

    def _binary(self, operators: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        node = operand()
        while (token := self.tokens[self.index]).kind == "op" and token.text in operators:
            self.index += 1
            node = _compare(COMPARE[token.text], node, operand())
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
        token = self.tokens[self.index]
        if self.take("number"):
            return _constant(float(token.text))
        if self.take("string"):
            return _constant(token.text[1:-1])
        if self.take("ref"):
            self.references.add(token.text[2:-1])
            return _reference(token.text[2:-1])
        if self.take("dot"):
            return lambda v, c: "" if c is None else c
        if self.take("op", "("):
            node = self.or_expr()
            if not self.take("op", ")"):
                raise self.fail("expected ')' but found")
            return node
        if self.take("name"):
            if token.text in FUNCTIONS:
                return self.call(token)
            if self.tokens[self.index].text == "(":
                raise _refuse(self.text, f"unsupported function '{token.text}()'", token.position)
            raise self.fail("unsupported name", token)
        raise self.fail("expected a value but found")

    def call(self, function: _Token) -> Node:
        name = function.text
        if not self.take("op", "("):
            raise self.fail(f"expected '(' after {name} but found")
        args: list[Node] = []
        if not self.take("op", ")"):
            args.append(self.or_expr())
            while self.take("op", ","):
                args.append(self.or_expr())
            if not self.take("op", ")"):
                raise self.fail("expected ',' or ')' but found")
        if len(args) != FUNCTIONS[name]:
            raise _refuse(self.text, f"{name}() takes {FUNCTIONS[name]} argument(s), got {len(args)},",
                          function.position)
        if name == "not":
            return lambda v, c: not _boolean(args[0](v, c))
        if name == "selected":
            return lambda v, c: _string(args[1](v, c)) in _items(args[0](v, c))
        if name == "count-selected":
            return lambda v, c: len(_items(args[0](v, c)))
        return _constant(name == "true")


@dataclass(frozen=True)
class Expression:
    source: str
    references: frozenset[str]
    _node: Node = field(repr=False, compare=False)

    def evaluate(self, values: Mapping[str, Any], current: Any = None) -> Any:
        """The XPath value: bool, number, str, or a select_multiple answer as given."""
        return self._node(values, current)

    def test(self, values: Mapping[str, Any], current: Any = None) -> bool:
        return _boolean(self.evaluate(values, current))


def compile_expression(text: str) -> Expression:
    parser = _Parser(text or "")
    node = parser.parse()
    return Expression(text, frozenset(parser.references), node)
