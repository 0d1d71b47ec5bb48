"""Settings declared as data: each has a default, a parser and a one-line doc.

`docs/configuration.md` must mention every setting; tests/test_docs.py checks it, as datasette does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    doc: str
    parse: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", None,
            "Key that signs sessions and CSRF tokens. Required unless DEBUG or TESTING is on."),
    Setting("SECRET_KEY_FILE", None,
            "Path of a file holding SECRET_KEY (used when SECRET_KEY itself is not set)."),
    Setting("DATABASE_URL", None,
            "SQLAlchemy URL of the database; default: SQLite file phusong.db in the instance folder."),
    Setting("UPLOAD_DIR", None,
            "Directory for stored photos; default: uploads/ in the instance folder."),
    Setting("PHOTO_STORE", "filesystem", "Photo store backend (registry in surveys/collection/photos.py)."),
    Setting("PHOTO_MAX_BYTES", 10 * 1024 * 1024, "Largest photo upload accepted, in bytes.", int),
    Setting("PHOTO_MAX_PIXELS", 40_000_000, "Largest photo accepted, in pixels (width × height).",
            int),
    Setting("MAX_CONTENT_LENGTH", 12 * 1024 * 1024,
            "Largest request body accepted by the web server, in bytes.", int),
    Setting("DEBUG", False, "Flask debug mode; never in production.", _bool),
    Setting("TESTING", False, "Test mode (set by the test suite).", _bool),
    Setting("SESSION_COOKIE_SECURE", True,
            "Send the session cookie over HTTPS only. Set false only for plain-HTTP local runs.",
            _bool),
    Setting("PERMANENT_SESSION_DAYS", 30,
            "Days a login lasts, counted from the login (the session and the remember cookie "
            "alike); long, because surveyors work offline for days.", int),
    Setting("TRUSTED_PROXIES", 0,
            "Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed "
            "(1 behind nginx): login throttling needs the client's address, HSTS the scheme.", int),
    Setting("ALLOW_DEMO_DATA", False,
            "Allow `flask load-demo`. Off by default so demo data never reaches production.",
            _bool),
    Setting("DEFAULT_LOCALE", "vi", "Language of pages for users who have not chosen one (vi, en)."),
    Setting("FUTURE_SKEW_MINUTES", 10,
            "How far in the future a submission's collected_at may be (phone clocks drift).", int),
    Setting("API_PAGE_SIZE", 50, "Default page size of API listings (max 500).", int),
    Setting("COVERAGE_VILLAGE_MAX_KM", 3.0,
            "A measurement farther than this from every village centroid gets no village.", float),
    Setting("COVERAGE_RESUMABLE_MAX_BYTES", 2 * 1024 ** 3,
            "Largest coverage file accepted by a resumable (tus) upload, in bytes (default 2 GiB).",
            int),
    Setting("COVERAGE_RESUMABLE_EXPIRY_HOURS", 24,
            "An unfinished resumable upload expires this many hours after the last bytes arrived; "
            "its partial file is then deleted.", int),
    Setting("COVERAGE_GZIP_MAX_RATIO", 100.0,
            "A .csv.gz may inflate to at most this many times its compressed size (against "
            "decompression bombs).", float),
    Setting("COVERAGE_JOB_LEASE_SECONDS", 120,
            "An import worker renews its lease on a job while it works; a job whose lease ran out "
            "(its worker died) is taken up again by another worker.", int),
    Setting("COVERAGE_JOB_MAX_ATTEMPTS", 3,
            "A coverage import job whose worker died this many times is marked failed.", int),
    Setting("INDICATOR_MIN_HOUSEHOLDS", 30,
            "Fewer surveyed households than this and an indicator's status is insufficient_data.",
            int),
    Setting("INDICATOR_H3_RESOLUTION", 8,
            "H3 resolution of the populated-area indicators (8: cells of about 0.74 km²).", int),
    Setting("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "Basemap tile URL template for maps; empty for no basemap (boundaries, hexagons and "
            "points still draw)."),
    Setting("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors",
            "Attribution shown on maps for the basemap tiles."),
    Setting("OPEN_DATA_MIN_HOUSEHOLDS", 10,
            "Open data suppresses a village or cell with fewer surveyed households than this.", int),
    Setting("QUALITY_GPS_MAX_ACCURACY_M", 100.0,
            "Flag gps_inaccurate when a household's GPS accuracy is worse than this (metres).", float),
    Setting("QUALITY_VILLAGE_MAX_KM", 2.0,
            "Flag far_from_village when a household lies farther than this from its village "
            "(its boundary if known, else its centroid).", float),
    Setting("QUALITY_DUPLICATE_METRES", 15.0,
            "Flag duplicate_household for near-identical answers within this distance.", float),
    Setting("QUALITY_MIN_SECONDS", 120,
            "Flag too_fast when a household form was filled in less than this many seconds.", int),
    Setting("QUALITY_MAX_DAYS_BEFORE_ROUND", 30,
            "Flag time_out_of_range when collected more than this many days before its round.", int),
    Setting("WEBHOOK_TIMEOUT_SECONDS", 10, "Timeout of one webhook delivery attempt.", int),
    Setting("WEBHOOK_MAX_ATTEMPTS", 8,
            "Attempts per webhook delivery (exponential backoff) before it is marked failed.", int),
    Setting("WEBHOOK_ALLOW_LOOPBACK_HTTP", False,
            "Allow http:// webhook URLs on 127.0.0.1/localhost (tests and local receivers only).",
            _bool),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def load_config(instance_path: str | Path, overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then environment variables, then explicit overrides (tests)."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        raw = environ.get(setting.name)
        if raw is not None and raw != "":
            try:
                value = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"environment variable {setting.name}: {exc}") from exc
        config[setting.name] = value
    config.update(overrides)

    instance = Path(instance_path)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance / 'phusong.db'}"
    if not config["UPLOAD_DIR"]:
        config["UPLOAD_DIR"] = str(instance / "uploads")
    if not config["SECRET_KEY"] and config["SECRET_KEY_FILE"]:
        try:
            config["SECRET_KEY"] = Path(config["SECRET_KEY_FILE"]).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"SECRET_KEY_FILE {config['SECRET_KEY_FILE']}: {exc}") from exc
    if not config["SECRET_KEY"]:
        if config["DEBUG"] or config["TESTING"]:
            config["SECRET_KEY"] = "insecure-development-key"
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or SECRET_KEY_FILE) "
                "to a long random string, e.g. python -c 'import secrets; print(secrets.token_hex(32))'."
            )
    if config["DEFAULT_LOCALE"] not in ("vi", "en"):
        raise ConfigError("DEFAULT_LOCALE must be 'vi' or 'en'")
    return config
