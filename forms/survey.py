"""Build a WTForms form class from a survey definition.

Fields only parse the browser's input into the shape the JSON API takes; the rules (required,
relevant, constraints) live in surveys/collection/answers.py and run on both paths, so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    Field,
    FileField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from forms import BaseForm
from surveys.definitions import Question, SurveyDefinition


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(q: Question, locale: str) -> list[SelectChoice]:
    return [SelectChoice(c.name, c.label.get(locale)) for c in q.choices]


def _village_choices(villages: Sequence[VillageOption]) -> list[SelectChoice]:
    # Centroids ride on the options so the browser can preselect the nearest village offline.
    return [SelectChoice("", _l("Choose the village"))] + [
        SelectChoice(slug, name, render_kw={} if lat is None else {"data-lat": lat, "data-lon": lon})
        for slug, name, lat, lon in villages]


def _number_attrs(step: str) -> dict[str, str]:
    return {"type": "number", "inputmode": "numeric" if step == "1" else "decimal", "step": step}


# One builder per XLSForm question type: a registry, so new types plug in without an if-chain.
FIELD_BUILDERS: dict[str, Callable[[Question, str], Field]] = {
    "integer": lambda q, loc: StringField(q.label.get(loc), render_kw=_number_attrs("1")),
    "decimal": lambda q, loc: StringField(q.label.get(loc), render_kw=_number_attrs("any")),
    "text": lambda q, loc: (TextAreaField if q.appearance == "multiline" else StringField)(
        q.label.get(loc), render_kw={"maxlength": "2000"}),
    "select_one": lambda q, loc: RadioField(q.label.get(loc), choices=_choices(q, loc),
                                            validate_choice=False),
    "select_multiple": lambda q, loc: CheckboxListField(q.label.get(loc), choices=_choices(q, loc),
                                                        validate_choice=False),
    "image": lambda q, loc: FileField(q.label.get(loc),
                                      render_kw={"accept": "image/jpeg,image/png,image/webp"}),
}

VillageOption = tuple[str, str, float | None, float | None]  # slug, name, lat, lon

META_FIELDS = ("instance_id", "collected_at", "lat", "lon", "accuracy_m", "started_at", "supersedes")


class SurveyFormBase(BaseForm):
    definition: SurveyDefinition

    instance_id = HiddenField()
    collected_at = HiddenField()
    lat = HiddenField()
    lon = HiddenField()
    accuracy_m = HiddenField()
    started_at = HiddenField()  # set by form.js when the form is opened (the too_fast flag)
    supersedes = HiddenField()  # the instance_id a correction replaces

    def question_fields(self) -> list[tuple[Question, Field]]:
        return [(q, self[q.name]) for q in self.definition.questions]

    def answers(self) -> dict[str, Any]:
        """Answers as the JSON API takes them (file fields excluded: they are attachments)."""
        answers: dict[str, Any] = {}
        for q, field in self.question_fields():
            if q.type == "image":
                continue
            data = field.data
            if data in (None, "", []):
                continue
            answers[q.name] = data
        return answers

    def location(self) -> dict[str, Any] | None:
        def number(value: str | None) -> float | None:
            try:
                return float(value) if value not in (None, "") else None
            except ValueError:
                return None

        lat, lon = number(self.lat.data), number(self.lon.data)
        if lat is None or lon is None:
            return None
        return {"lat": lat, "lon": lon, "accuracy_m": number(self.accuracy_m.data)}


def build_survey_form(definition: SurveyDefinition, locale: str,
                      villages: Sequence[VillageOption]) -> type[SurveyFormBase]:
    attrs: dict[str, Any] = {
        "definition": definition,
        "village": SelectField(_l("Village"), choices=_village_choices(villages),
                               validate_choice=False),
    }
    for q in definition.questions:
        attrs[q.name] = FIELD_BUILDERS[q.type](q, locale)
    return type(f"{definition.name.title()}Form", (SurveyFormBase,), attrs)


def layout(definition: SurveyDefinition) -> list[dict[str, Any]]:
    """Questions nested in their groups, in document order, for rendering fieldsets."""
    root: list[dict[str, Any]] = []
    nodes: dict[str | None, list[dict[str, Any]]] = {None: root}
    for group in definition.groups:
        children: list[dict[str, Any]] = []
        nodes[group.parent].append({"group": group, "children": children})
        nodes[group.name] = children
    # Groups were appended in document order; questions go to their group's list in order too,
    # but must come before a later sibling group: rebuild each list in document order.
    order = {q.name: i for i, q in enumerate(definition.questions)}

    def first_index(node: dict[str, Any]) -> int:
        if "question" in node:
            return order[node["question"].name]
        return min((first_index(child) for child in node["children"]), default=len(order))

    for q in definition.questions:
        nodes[q.group].append({"question": q})
    for children in nodes.values():
        children.sort(key=first_index)
    return root
