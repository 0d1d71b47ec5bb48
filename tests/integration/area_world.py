"""A province (Quảng Trị) with two communes (Cam Lộ, Hải Lăng), a group holding Cam Lộ, and one
user of each kind around them: the world of the area pages' tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from surveys.administration import accounts
from surveys.models import CommuneGroup, Province
from tests.factories import PASSWORD, hashed, make_commune, make_user


def area_world(db: Session) -> dict[str, int]:
    province = Province(slug="quang-tri", name="Tỉnh Quảng Trị", code="44")
    db.add(province)
    cam_lo = make_commune(db)
    hai_lang = make_commune(db, "hai-lang", name="Xã Hải Lăng",
                            villages=(("thon-a", "Thôn A", 100),))
    cam_lo.parent = hai_lang.parent = province
    group = CommuneGroup(slug="nhom-cam-lo", name="Nhóm Cam Lộ", province=province,
                         communes=[cam_lo])
    db.add(group)
    db.flush()
    users = {
        "province": accounts.create_user(db, "can-bo-tinh", PASSWORD, "staff",
                                         area_slug="quang-tri", password_hash=hashed(PASSWORD)),
        "group": accounts.create_user(db, "can-bo-nhom", PASSWORD, "staff",
                                      area_slug="nhom-cam-lo", password_hash=hashed(PASSWORD)),
        "staff": make_user(db, "staff-cl", role="staff", commune=cam_lo),
        "surveyor": make_user(db, "sv-cl", commune=cam_lo),
        "admin": make_user(db, "root", role="admin"),
    }
    db.commit()
    return {name: user.id for name, user in users.items()}
