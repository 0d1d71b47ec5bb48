"""Survey definitions: XLSForm markdown tables in this folder, parsed with pyxform.

A definition is flattened into questions in document order; a question inside groups carries the
groups' `relevant` expressions as well as its own, so "consent = no" switches off everything below it.
Expressions are compiled once here, so an unsupported one fails at load time, not in the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from surveys.definitions.xpath import Expression, UnsupportedExpression, compile_expression
from surveys.errors import Text

DEFINITIONS_DIR = Path(__file__).parent

# pyxform's internal type names → the XLSForm names our API and forms use.
QUESTION_TYPES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "integer": "integer",
    "decimal": "decimal",
    "text": "text",
    "photo": "image",
}


class DefinitionError(ValueError):
    """A survey definition cannot be used; the message names the file, question and reason."""


@dataclass(frozen=True)
class Choice:
    name: str
    label: Text


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    label: Text
    hint: Text | None = None
    required: bool = False
    relevant: tuple[Expression, ...] = ()
    constraint: Expression | None = None
    constraint_message: Text | None = None
    choices: tuple[Choice, ...] = ()
    group: str | None = None
    appearance: str | None = None

    @property
    def relevant_source(self) -> str | None:
        """All relevance conditions as one expression (for the browser and the API)."""
        if not self.relevant:
            return None
        if len(self.relevant) == 1:
            return self.relevant[0].source
        return " and ".join(f"({e.source})" for e in self.relevant)

    @property
    def choice_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.choices)


@dataclass(frozen=True)
class Group:
    name: str
    label: Text
    parent: str | None


@dataclass(frozen=True)
class SurveyDefinition:
    name: str
    version: str
    title: Text
    questions: tuple[Question, ...]
    groups: tuple[Group, ...] = ()
    by_name: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({q.name: q for q in self.questions})

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "title": _text_json(self.title),
            "groups": [{"name": g.name, "label": _text_json(g.label), "parent": g.parent}
                       for g in self.groups],
            "questions": [_question_json(q) for q in self.questions],
        }


def _text_json(text: Text | None) -> dict[str, str] | None:
    return None if text is None else {"vi": text.vi, "en": text.en}


def _question_json(q: Question) -> dict[str, Any]:
    return {
        "name": q.name,
        "type": q.type,
        "label": _text_json(q.label),
        "hint": _text_json(q.hint),
        "required": q.required,
        "relevant": q.relevant_source,
        "constraint": q.constraint.source if q.constraint else None,
        "constraint_message": _text_json(q.constraint_message),
        "choices": [{"name": c.name, "label": _text_json(c.label)} for c in q.choices] or None,
        "group": q.group,
        "appearance": q.appearance,
    }


_LANG = re.compile(r"\((vi|en)\)\s*$")


def _optional_text(value: Any, where: str) -> Text | None:
    if value is None or value == "" or value == {}:
        return None
    return _text(value, where)


def _text(value: Any, where: str) -> Text:
    if value is None or value == "" or value == {}:
        raise DefinitionError(f"{where}: missing label")
    if isinstance(value, str):
        return Text(value, value)
    by_lang = {}
    for language, text in value.items():
        match = _LANG.search(language)
        if match:
            by_lang[match.group(1)] = text
    if "vi" not in by_lang or "en" not in by_lang:
        raise DefinitionError(f"{where}: needs both a Vietnamese (vi) and an English (en) text")
    return Text(by_lang["vi"], by_lang["en"])


def _compile(source: str | None, where: str) -> Expression | None:
    if not source:
        return None
    try:
        return compile_expression(source)
    except UnsupportedExpression as exc:
        raise DefinitionError(f"{where}: {exc}") from exc


def parse_definition(markdown: str, source_name: str = "<string>") -> SurveyDefinition:
    try:
        result = convert(xlsform=markdown, file_type=".md", warnings=[])
    except PyXFormError as exc:
        raise DefinitionError(f"{source_name}: {exc}") from exc
    form = result._pyxform
    questions: list[Question] = []
    groups: list[Group] = []

    def walk(children: list[dict[str, Any]], relevant: tuple[Expression, ...],
             group: str | None) -> None:
        for child in children:
            name = child["name"]
            where = f"{source_name}: {name}"
            bind = child.get("bind") or {}
            own_relevant = _compile(bind.get("relevant"), f"{where} relevant")
            conditions = relevant + ((own_relevant,) if own_relevant else ())
            kind = child["type"]
            if kind == "group":
                if (child.get("control") or {}).get("bodyless"):
                    continue  # pyxform's meta group (instanceID): we carry instance_id ourselves
                groups.append(Group(name, _text(child.get("label"), where), group))
                walk(child.get("children", []), conditions, name)
                continue
            if kind not in QUESTION_TYPES:
                raise DefinitionError(f"{where}: question type {kind!r} is not supported; "
                                      f"supported: {', '.join(sorted(QUESTION_TYPES.values()))}")
            questions.append(Question(
                name=name,
                type=QUESTION_TYPES[kind],
                label=_text(child.get("label"), where),
                hint=_optional_text(child.get("hint"), f"{where} hint"),
                required=str(bind.get("required", "")).lower() in {"yes", "true", "true()"},
                relevant=conditions,
                constraint=_compile(bind.get("constraint"), f"{where} constraint"),
                constraint_message=_optional_text(bind.get("jr:constraintMsg"),
                                                  f"{where} constraint message"),
                choices=tuple(Choice(c["name"], _text(c.get("label"), f"{where} choice "
                                                      f"{c['name']}"))
                              for c in child.get("choices", [])),
                group=group,
                appearance=(child.get("control") or {}).get("appearance"),
            ))

    walk(form.get("children", []), (), None)
    names = {q.name for q in questions}
    for q in questions:
        for expression in (*q.relevant, *((q.constraint,) if q.constraint else ())):
            unknown = expression.references - names
            if unknown:
                raise DefinitionError(f"{source_name}: {q.name}: expression "
                                      f"{expression.source!r} refers to unknown "
                                      f"question(s) {', '.join(sorted(unknown))}")
    return SurveyDefinition(
        name=form["id_string"],
        version=str(form.get("version") or "1"),
        title=_text(form.get("title"), f"{source_name}: form_title"),
        questions=tuple(questions),
        groups=tuple(groups),
    )


@cache
def load_definitions(directory: Path = DEFINITIONS_DIR) -> dict[str, SurveyDefinition]:
    """Every definition in the folder by survey name (parsed once per process)."""
    definitions = {}
    for path in sorted(directory.glob("*.md")):
        definition = parse_definition(path.read_text(encoding="utf-8"), path.name)
        definitions[definition.name] = definition
    return definitions


def get_definition(name: str) -> SurveyDefinition | None:
    return load_definitions().get(name)
