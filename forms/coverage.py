"""The coverage upload form of telecom partners (and admins, who name the partner).

Fields only carry what the browser sent; surveys/coverage/uploads.py validates the file itself
(bilingual messages, the same rules as the API). WTForms' own messages have no Vietnamese catalogue,
so no WTForms validators here. Field names are the API's (file, format, partner), so the page's script
can send this very form to POST /api/v1/coverage/uploads.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField

from forms import BaseForm


class CoverageUploadForm(BaseForm):
    file = FileField(_l("Measurement file"))
    format = SelectField(_l("Format"), validate_choice=False)
    partner = SelectField(_l("Partner"), validate_choice=False)

    def set_choices(self, formats: Iterable[tuple[str, str]],
                    partners: Iterable[tuple[str, str]]) -> None:
        """formats and partners as (value, label); an empty format means "detect it"."""
        self.format.choices = [SelectChoice("", _l("Detect automatically"))] + [
            SelectChoice(name, f"{label} ({name})") for name, label in formats]
        self.partner.choices = [SelectChoice("", "—")] + [
            SelectChoice(slug, name) for slug, name in partners]

    def chosen_format(self) -> str | None:
        return self.format.data or None
