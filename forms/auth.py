from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from forms import BaseForm


class LoginForm(BaseForm):
    username = StringField(_l("Username"),
                           validators=[InputRequired(_l("Enter your username.")), Length(max=80)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"),
                             validators=[InputRequired(_l("Enter your password.")),
                                         Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
