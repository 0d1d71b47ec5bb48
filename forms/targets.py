"""The plan-target form of commune staff."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from forms import BaseForm
from surveys.indicators import CATALOGUE


class TargetForm(BaseForm):
    indicator = SelectField(_l("Indicator"), validators=[InputRequired()])
    comparator = SelectField(_l("Comparator"), choices=[
        SelectChoice(">=", "≥"), SelectChoice(">", ">"), SelectChoice("", "—")])
    value = DecimalField(_l("Target (%)"), places=None,
                         validators=[Optional(), NumberRange(0, 100)])
    target_year = IntegerField(_l("By year"), validators=[Optional(), NumberRange(2000, 2100)])
    baseline_value = DecimalField(_l("Baseline (%)"), places=None,
                                  validators=[Optional(), NumberRange(0, 100)])
    baseline_year = IntegerField(_l("Baseline year"),
                                 validators=[Optional(), NumberRange(2000, 2100)])
    source_document = StringField(_l("Plan document"), validators=[Optional()])
    source_article = StringField(_l("Article"), validators=[Optional()])
    source_text = TextAreaField(_l("Wording in the plan"), validators=[Optional()])

    def set_indicator_choices(self, locale: str) -> None:
        self.indicator.choices = [SelectChoice(code, f"{i.name.get(locale)} ({code})")
                                  for code, i in CATALOGUE.items()]

    def payload(self) -> dict[str, object]:
        """As the targets API takes it."""
        def number(value: object) -> float | None:
            return None if value is None else float(value)  # type: ignore[arg-type]

        return {"indicator": self.indicator.data, "comparator": self.comparator.data or None,
                "value": number(self.value.data), "target_year": self.target_year.data,
                "baseline_value": number(self.baseline_value.data),
                "baseline_year": self.baseline_year.data,
                "source_document": self.source_document.data or "",
                "source_article": self.source_article.data or "",
                "source_text": self.source_text.data or ""}
