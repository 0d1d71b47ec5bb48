"""Build real rows and payloads for tests: make_commune(session, ...), make_user(...), ..."""

from __future__ import annotations

import functools
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from surveys.administration import accounts
from surveys.models import Commune, CoverageUpload, Partner, User, Village

PASSWORD = "correct-horse-battery"


def make_commune(session: Session, slug: str = "cam-lo", *, name: str = "Xã Cam Lộ",
                 province: str = "Quảng Trị",
                 villages: tuple[tuple[str, str, int | None], ...] = (
                     ("thon-1", "Thôn 1", 120), ("thon-2", "Thôn 2", 80)),
                 ) -> Commune:
    commune = Commune(slug=slug, name=name, province=province)
    session.add(commune)
    for index, (v_slug, v_name, households) in enumerate(villages):
        session.add(Village(commune=commune, slug=v_slug, name=v_name,
                            lat=16.75 + index * 0.01, lon=106.95 + index * 0.01,
                            household_count=households))
    session.flush()
    return commune


def make_partner(session: Session, slug: str = "viettel", name: str = "Viettel") -> Partner:
    partner = Partner(slug=slug, name=name)
    session.add(partner)
    session.flush()
    return partner


def make_upload(session: Session, partner: Partner | None = None,
                filename: str = "drive.csv") -> CoverageUpload:
    upload = CoverageUpload(partner=partner or make_partner(session), filename=filename,
                            format="phusong-csv", content_sha256=os.urandom(32).hex())
    session.add(upload)
    session.flush()
    return upload


def make_user(session: Session, username: str, role: str = "surveyor", *,
              commune: Commune | None = None, partner: Partner | None = None,
              password: str = PASSWORD) -> User:
    return accounts.create_user(session, username, password, role,
                                commune_slug=commune.slug if commune else None,
                                partner_slug=partner.slug if partner else None,
                                password_hash=hashed(password))


@functools.cache
def hashed(password: str) -> str:
    """A password's hash made once for the whole run: scrypt takes ~0.1 s on purpose, and the
    suite creates thousands of users."""
    return generate_password_hash(password)


def make_token(session: Session, user: User) -> str:
    token, _record = accounts.create_token(session, user)
    return token


def role_tokens(session: Session, commune: Commune, *, other: Commune | None = None,
                partner_user: User | None = None) -> dict[str, str]:
    """A token for each role around `commune`: its surveyor1 and staff1, staff2 of another commune
    (Kon Chiêng unless given), a partner user (viettel1 unless given) and the admin root."""
    other = other or make_commune(session, "kon-chieng", name="Xã Kon Chiêng", province="Gia Lai")
    partner_user = partner_user or make_user(session, "viettel1", role="partner",
                                             partner=make_partner(session))
    return {
        "surveyor": make_token(session, make_user(session, "surveyor1", commune=commune)),
        "staff": make_token(session, make_user(session, "staff1", role="staff", commune=commune)),
        "other_staff": make_token(session, make_user(session, "staff2", role="staff",
                                                     commune=other)),
        "partner": make_token(session, partner_user),
        "admin": make_token(session, make_user(session, "root", role="admin")),
    }


def household_answers(**overrides: Any) -> dict[str, Any]:
    """A complete, valid consenting household; override or drop (value None) any answer."""
    answers: dict[str, Any] = {
        "consent": "yes",
        "household_code": "CL-T1-017",
        "members_total": 4,
        "members_adult": 3,
        "smartphone_users": 3,
        "egov_users": 2,
        "vneid_users": 3,
        "bank_account_users": 2,
        "epayment_users": 2,
        "digital_signature_users": 0,
        "digital_services_users": 1,
        "mobile_best_technology": "4g",
        "mobile_signal_bars": 3,
        "mobile_operators": ["viettel", "vinaphone"],
        "fixed_broadband": "fiber",
        "fixed_provider": "vnpt",
        "fixed_speed_mbps": 150,
        "online_shopping": "yes",
        "online_platforms": ["shopee", "tiktok_shop"],
        "online_selling": "no",
        "speedtest_download_mbps": 87.5,
        "speedtest_upload_mbps": 41.2,
        "speedtest_latency_ms": 18,
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def submission_payload(*, instance_id: str | None = None, village: str = "thon-1",
                       answers: dict[str, Any] | None = None,
                       collected_at: datetime | None = None,
                       location: dict[str, Any] | None | str = "default",
                       **extra: Any) -> dict[str, Any]:
    when = collected_at or datetime.now(UTC) - timedelta(hours=1)
    payload: dict[str, Any] = {
        "instance_id": instance_id or str(uuid.uuid4()),
        "survey": "household",
        "village": village,
        "collected_at": when.isoformat(),
        "location": {"lat": 16.7512, "lon": 106.9531, "accuracy_m": 12.0}
        if location == "default" else location,
        "answers": household_answers() if answers is None else answers,
    }
    payload.update(extra)
    return payload


def auth(token: str) -> dict[str, str]:
    """The Authorization header of an API token."""
    return {"Authorization": f"Bearer {token}"}
