"""The demo's people and plans: partners, users of every role (one surveyor per demo commune, the
province's staff `demo-province`) and the plans' targets (surveys/indicators/plan_targets.py)."""

from __future__ import annotations

import functools
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from surveys.administration import accounts
from surveys.demo.places import ALL_COMMUNES, PROVINCE_SLUG
from surveys.demo.tally import Tally
from surveys.indicators.plan_targets import PLAN_TARGETS
from surveys.indicators.targets import create_target
from surveys.models import Commune, CommuneGroup, Partner, Target, User

DEMO_PASSWORD = "phusong-demo"


class DemoUser(NamedTuple):
    username: str
    role: str
    commune: str | None
    partner: str | None
    display_name: str
    password: str = DEMO_PASSWORD  # public: this is why ALLOW_DEMO_DATA exists
    area: str | None = None  # staff of a province or group of communes


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-surveyor", "surveyor", "cam-lo", None, "Điều tra viên mẫu (Cam Lộ)"),
    DemoUser("demo-staff", "staff", "cam-lo", None, "Cán bộ xã mẫu (Cam Lộ)"),
    DemoUser("demo-admin", "admin", None, None, "Quản trị viên mẫu"),
    DemoUser("demo-partner", "partner", None, "viettel", "Đối tác mẫu (Viettel)"),
    *(DemoUser(f"demo-surveyor-{c.slug}", "surveyor", c.slug, None,
               f"Điều tra viên mẫu ({c.name.removeprefix('Xã ')})") for c in ALL_COMMUNES[1:]),
    DemoUser("demo-province", "staff", None, None, "Cán bộ tỉnh mẫu (Hà Tĩnh)", area=PROVINCE_SLUG),
)

PARTNERS = (
    ("viettel", "Viettel (Tập đoàn Công nghiệp - Viễn thông Quân đội)"),
    ("vnpt", "VNPT (VinaPhone)"),
    ("mobifone", "MobiFone"),
)


def load_people(session: Session, tally: Tally) -> None:
    partners = set(session.scalars(select(Partner.slug)))
    for slug, name in PARTNERS:
        tally.add("partners", slug not in partners)
        if slug not in partners:
            session.add(Partner(slug=slug, name=name))
    session.flush()
    users = set(session.scalars(select(User.username)))
    for user in DEMO_USERS:
        tally.add("users", user.username not in users)
        if user.username not in users:
            accounts.create_user(session, user.username, user.password, user.role,
                                 commune_slug=user.commune, partner_slug=user.partner,
                                 display_name=user.display_name, area_slug=user.area,
                                 password_hash=_hashed(user.password))


@functools.cache
def _hashed(password: str) -> str:
    """The demo's public password hashed once per process, not once per account (14 scrypt
    hashes were two thirds of a repeated `load-demo`)."""
    return generate_password_hash(password)


def load_targets(session: Session, communes: dict[str, Commune], tally: Tally) -> None:
    """The plans' own targets (surveys/indicators/plan_targets.py); a commune or group that has
    any keeps its own. A group's targets (seed 003's, the former district's) that an older demo
    stored on the commune standing in for it move to the group."""
    has_targets = set(session.scalars(select(Target.commune_id).distinct()))
    group_targets = set(session.scalars(select(Target.group_id).distinct()))
    for row in PLAN_TARGETS:
        fields = {k: v for k, v in row.items() if k not in ("commune", "area")}
        if "area" in row:
            group = session.scalar(select(CommuneGroup).where(CommuneGroup.slug == row["area"]))
            assert group is not None
            if group.id not in group_targets and _move_old_targets(session, group, row):
                group_targets.add(group.id)
            tally.add("targets", group.id not in group_targets)
            if group.id not in group_targets:
                create_target(session, group, fields)
            continue
        commune = communes[row["commune"]]
        tally.add("targets", commune.id not in has_targets)
        if commune.id not in has_targets:
            create_target(session, commune, fields)


def _move_old_targets(session: Session, group: CommuneGroup, row: dict[str, object]) -> bool:
    """Targets of the group's document stored on a commune (before groups existed, under the same
    title with another note in brackets) move to it."""
    title = str(row["source_document"]).split(" (")[0]
    old = list(session.scalars(select(Target).where(
        Target.commune_id.is_not(None), Target.source_document.startswith(title, autoescape=True))))
    for target in old:
        target.commune, target.commune_id, target.group = None, None, group
    session.flush()
    return bool(old)
