from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from surveys.config import SETTINGS, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_secret_key_is_required_in_production(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(tmp_path, environ={})


def test_secret_key_from_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("s3cret\n")
    config = load_config(tmp_path, environ={"SECRET_KEY_FILE": str(key)})
    assert config["SECRET_KEY"] == "s3cret"


def test_environment_is_parsed_and_checked(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={"SECRET_KEY": "x", "PHOTO_MAX_BYTES": "2048",
                                            "SESSION_COOKIE_SECURE": "false"})
    assert config["PHOTO_MAX_BYTES"] == 2048 and config["SESSION_COOKIE_SECURE"] is False
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'phusong.db'}"
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        load_config(tmp_path, environ={"SECRET_KEY": "x", "SESSION_COOKIE_SECURE": "maybe"})


def test_factory_takes_a_test_config(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.testing
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in docs]
    assert missing == []
