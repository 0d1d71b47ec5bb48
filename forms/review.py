"""The review form of commune staff: a new status with its reason, or a comment alone.

Fields only carry what was chosen and typed; surveys/collection/review.py checks the transition and the reason
(bilingual messages, the same rules as `PATCH /api/v1/submissions/ID`).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from forms import BaseForm


class ReviewForm(BaseForm):
    review_status = SelectField(_l("New status"), validate_choice=False)
    reason = StringField(_l("Reason"), render_kw={"maxlength": "300"})
    comment = TextAreaField(_l("Comment"), render_kw={"maxlength": "2000", "rows": "3"})

    def set_status_choices(self, allowed: list[tuple[str, str]]) -> None:
        """`allowed`: (status, label) of the moves open from the current status."""
        self.review_status.choices = [SelectChoice("", _l("No change (comment only)"))] + [
            SelectChoice(status, label) for status, label in allowed]

    def payload(self) -> dict[str, str | None]:
        return {"review_status": self.review_status.data or None,
                "reason": self.reason.data or None, "comment": self.comment.data or None}
