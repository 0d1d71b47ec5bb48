"""HTTP blueprints: parse input, call a service, commit once, render."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_babel import format_datetime, format_decimal, get_locale
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from surveys.administration.accounts import user_for_login_id
from surveys.db import get_session
from surveys.models import User, utcnow
from surveys.places import vntime

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def _load_user(login: str) -> User | None:
    return user_for_login_id(get_session(), login, now=utcnow(),
                             max_age_days=current_app.config["PERMANENT_SESSION_DAYS"])


def init_app(app: Flask) -> None:
    from surveys.views import (
        admin,
        api,
        api_areas,
        api_coverage,
        api_indicators,
        api_maps,
        api_webhooks,
        area_targets,
        areas,
        auth,
        coverage_pages,
        dashboard,
        errors,
        exports,
        maps,
        open_data,
        pages,
        review,
        static_files,
        survey_form,
        targets,
    )
    from surveys.views.params import IdConverter

    # Every <int:…> in a route is an id: one beyond the database's integers is simply not found.
    app.url_map.converters["int"] = IdConverter
    csrf.init_app(app)
    login_manager.init_app(app)
    static_files.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(survey_form.bp)
    app.register_blueprint(targets.bp)
    app.register_blueprint(coverage_pages.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(areas.bp)
    app.register_blueprint(area_targets.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_indicators.bp)
    app.register_blueprint(api_areas.bp)
    app.register_blueprint(api_coverage.bp)
    app.register_blueprint(api_webhooks.bp)
    csrf.exempt(api_webhooks.bp)
    app.register_blueprint(maps.bp)
    app.register_blueprint(api_maps.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(open_data.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(admin.bp)
    # The API authenticates itself: Bearer tokens need no CSRF token, session calls do (api.py).
    csrf.exempt(api.bp)
    csrf.exempt(api_indicators.bp)
    csrf.exempt(api_areas.bp)
    csrf.exempt(api_coverage.bp)
    csrf.exempt(api_maps.bp)

    @app.before_request
    def _remember_user() -> None:
        if current_user.is_authenticated:
            g.user = current_user._get_current_object()

    def _lang() -> str:
        return "en" if str(get_locale()) == "en" else "vi"

    # Every time a person reads is Vietnam time, from the one helper (surveys/places/vntime.py).
    app.add_template_filter(lambda when: vntime.format_datetime(when, _lang()), "vn_datetime")
    app.add_template_filter(lambda day, long=False: vntime.format_date(day, _lang(), long=long),
                            "vn_date")
    app.add_template_filter(lambda label: vntime.format_period(label, _lang()), "vn_period")

    from surveys.views import navigation

    def _menu() -> dict[str, object]:
        if not current_user.is_authenticated:
            return {"items": [], "current": None}
        items = navigation.menu(current_user._get_current_object())
        return {"items": items, "current": navigation.current(items)}

    app.add_template_global(_menu, "site_menu")

    @app.context_processor
    def _template_helpers() -> dict[str, object]:
        return {"locale": str(get_locale()), "format_decimal": format_decimal,
                "format_datetime": format_datetime}

    from surveys.views.headers import init_app as init_headers

    init_headers(app)
