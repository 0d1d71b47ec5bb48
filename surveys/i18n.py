"""Vietnamese by default, English second: chosen per user, else per session, else the default."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import Babel

LOCALES = ("vi", "en")


def select_locale() -> str:
    user = g.get("user")
    if user is not None and user.locale in LOCALES:
        return user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    # API clients may ask for English; browsers of Vietnamese users get Vietnamese regardless of
    # their (often English) system language, as the plans are Vietnamese documents.
    if request and request.path.startswith("/api/"):
        best = request.accept_languages.best_match(LOCALES)
        if best and request.accept_languages:
            return best
    return current_app.config["DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
