"""The plan-target form of commune staff.

Fields only carry the text typed; surveys/indicators/targets.py validates it (bilingual messages,
the same rules as the API). WTForms' own messages have no Vietnamese catalogue, so no WTForms validators here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from forms import BaseForm
from surveys.indicators import CATALOGUE


def _number(text: str | None, kind: type) -> object:
    """A number when the text is one (a decimal comma too); the text itself otherwise, so the
    service reports it; None when empty."""
    if text is None or not text.strip():
        return None
    try:
        return kind(text.strip().replace(",", ".")) if kind is float else int(text.strip())
    except ValueError:
        return text


class TargetForm(BaseForm):
    indicator = SelectField(_l("Indicator"), validate_choice=False)
    comparator = SelectField(_l("Comparator"), validate_choice=False, choices=[
        SelectChoice(">=", "≥"), SelectChoice(">", ">"), SelectChoice("=", "="),
        SelectChoice("", "—")])
    value = StringField(_l("Target (%)"), render_kw={"inputmode": "decimal"})
    target_year = StringField(_l("By year"), render_kw={"inputmode": "numeric"})
    baseline_value = StringField(_l("Baseline (%)"), render_kw={"inputmode": "decimal"})
    baseline_year = StringField(_l("Baseline year"), render_kw={"inputmode": "numeric"})
    start_year = StringField(_l("Plan start year"), render_kw={"inputmode": "numeric"})
    source_document = StringField(_l("Plan document"))
    source_article = StringField(_l("Article"))
    source_text = TextAreaField(_l("Wording in the plan"))

    def set_indicator_choices(self, locale: str) -> None:
        self.indicator.choices = [SelectChoice(code, f"{i.name.get(locale)} ({code})")
                                  for code, i in CATALOGUE.items()]

    def payload(self) -> dict[str, object]:
        """As the targets API takes it."""
        return {"indicator": self.indicator.data, "comparator": self.comparator.data or None,
                "value": _number(self.value.data, float),
                "target_year": _number(self.target_year.data, int),
                "baseline_value": _number(self.baseline_value.data, float),
                "baseline_year": _number(self.baseline_year.data, int),
                "start_year": _number(self.start_year.data, int),
                "source_document": self.source_document.data or "",
                "source_article": self.source_article.data or "",
                "source_text": self.source_text.data or ""}
