"""The commune administration forms: villages, imports, users, teams, rounds, partners.

Fields only carry what the browser sent; surveys/administration/ validates it (bilingual messages).
WTForms' own messages have no Vietnamese catalogue, so no WTForms validators here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from forms import BaseForm

ROLE_LABELS = {"surveyor": _l("Surveyor"), "staff": _l("Commune staff"),
               "admin": _l("Administrator"), "partner": _l("Partner")}


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VillageForm(BaseForm):
    slug = StringField(_l("Code (slug)"), render_kw={"autocapitalize": "none", "spellcheck": "false"})
    name = StringField(_l("Name"))
    lat = StringField(_l("Latitude"), render_kw={"inputmode": "decimal"})
    lon = StringField(_l("Longitude"), render_kw={"inputmode": "decimal"})
    household_count = StringField(_l("Households"), render_kw={"inputmode": "numeric"})
    population = StringField(_l("Population"), render_kw={"inputmode": "numeric"})
    counts_year = StringField(_l("Year of the counts"), render_kw={"inputmode": "numeric"})

    def payload(self) -> dict[str, object]:
        return {name: self[name].data or "" for name in
                ("slug", "name", "lat", "lon", "household_count", "population", "counts_year")}

    def fill(self, village: Any) -> None:
        for name in ("slug", "name", "lat", "lon", "household_count", "population", "counts_year"):
            value = getattr(village, name)
            self[name].data = "" if value is None else (f"{value:g}" if isinstance(value, float)
                                                        else str(value))


class VillageImportForm(BaseForm):
    file = FileField(_l("CSV or GeoJSON file"), render_kw={
        "accept": ".csv,.txt,.geojson,.json,text/csv,application/geo+json,application/json"})


class UserForm(BaseForm):
    username = StringField(_l("Username"), render_kw={"autocapitalize": "none",
                                                     "autocomplete": "off", "spellcheck": "false"})
    display_name = StringField(_l("Full name"))
    role = SelectField(_l("Role"), validate_choice=False)
    password = PasswordField(_l("Password (at least 8 characters)"),
                             render_kw={"autocomplete": "new-password"})

    def set_roles(self, roles: Iterable[str]) -> None:
        self.role.choices = [SelectChoice(r, ROLE_LABELS[r]) for r in roles]


class UserEditForm(BaseForm):
    display_name = StringField(_l("Full name"))
    role = SelectField(_l("Role"), validate_choice=False)

    def set_roles(self, roles: Iterable[str]) -> None:
        self.role.choices = [SelectChoice(r, ROLE_LABELS[r]) for r in roles]


class AreaUserForm(BaseForm):
    """A province's or group's staff member: the role is always staff."""

    username = StringField(_l("Username"), render_kw={"autocapitalize": "none",
                                                     "autocomplete": "off", "spellcheck": "false"})
    display_name = StringField(_l("Full name"))
    password = PasswordField(_l("Password (at least 8 characters)"),
                             render_kw={"autocomplete": "new-password"})


class AreaUserEditForm(BaseForm):
    display_name = StringField(_l("Full name"))


class PasswordForm(BaseForm):
    password = PasswordField(_l("New password (at least 8 characters)"),
                             render_kw={"autocomplete": "new-password"})


class TeamForm(BaseForm):
    name = StringField(_l("Team name"))


class TeamEditForm(BaseForm):
    name = StringField(_l("Team name"))
    members = CheckboxListField(_l("Members"), coerce=int, validate_choice=False)
    villages = CheckboxListField(_l("Villages"), coerce=int, validate_choice=False)


class RoundForm(BaseForm):
    name = StringField(_l("Round name"))
    starts_on = StringField(_l("First day"), render_kw={"type": "date"})
    ends_on = StringField(_l("Last day"), render_kw={"type": "date"})


def round_form_class(village_ids: Iterable[tuple[int, str]]) -> type[RoundForm]:
    """RoundForm with one target field per village (`target_<id>`), labelled by its name."""
    fields = {f"target_{village_id}": StringField(name, render_kw={"inputmode": "numeric"})
              for village_id, name in village_ids}
    return type("CommuneRoundForm", (RoundForm,), fields)


def round_payload(form: RoundForm, village_ids: Iterable[int]) -> dict[str, object]:
    return {"name": form.name.data, "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
            "targets": {v: form[f"target_{v}"].data or "" for v in village_ids}}


class PartnerForm(BaseForm):
    slug = StringField(_l("Code (slug)"), render_kw={"autocapitalize": "none", "spellcheck": "false"})
    name = StringField(_l("Name"))


class PartnerUserForm(BaseForm):
    username = StringField(_l("Username"), render_kw={"autocapitalize": "none",
                                                     "autocomplete": "off", "spellcheck": "false"})
    display_name = StringField(_l("Full name"))
    password = PasswordField(_l("Password (at least 8 characters)"),
                             render_kw={"autocomplete": "new-password"})


class TokenForm(BaseForm):
    user = SelectField(_l("User"), coerce=int, validate_choice=False)
    label = StringField(_l("Label (what the token is for)"))
