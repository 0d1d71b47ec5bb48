"""WTForms only: parse and validate browser input; never touch the database."""

from flask_wtf import FlaskForm


class BaseForm(FlaskForm):
    """Every form carries a CSRF token (Flask-WTF's Meta.csrf is on by default; kept explicit)."""

    class Meta:
        csrf = True
