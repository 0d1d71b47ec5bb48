"""Demo data: the five communes whose plans are in the seeds, synthetic villages, users, households.

Everything here is marked `is_demo` and is loaded only when ALLOW_DEMO_DATA is on (the CLI checks).
Commune boundaries are real (surveys/data/NOTICE.md); villages, their positions and household counts,
and every household answer are synthetic. Households are generated as API payloads and pass through
the same parse/record service as real submissions, so demo data obeys every rule of the survey.
Partner coverage measurements come with the coverage-upload work; only households are generated now.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from surveys import accounts
from surveys.models import Commune, Partner, Submission, Target, User, Village, utcnow
from surveys.plan_targets import PLAN_TARGETS
from surveys.submissions import parse_submission, record_submission
from surveys.targets import create_target

BOUNDARIES = Path(__file__).parent / "data" / "boundaries"
DEMO_PASSWORD = "phusong-demo"
NAMESPACE = uuid.UUID("5b0c6f2e-8a47-4c1e-9d0f-70687573706e")


@dataclass(frozen=True)
class Profile:
    """Rough shares for one commune; real plans and baselines guided them (seeds 000–004)."""

    fiber: float
    g4: float
    g5: float
    smartphone: float
    egov: float
    vneid: float
    bank: float
    epayment: float
    signature: float
    services: float
    shopping: float
    selling: float


@dataclass(frozen=True)
class DemoCommune:
    slug: str
    name: str
    province: str
    village_word: str
    villages: int
    profile: Profile


COMMUNES = (
    DemoCommune("cam-lo", "Xã Cam Lộ", "Quảng Trị", "Thôn", 7,
                Profile(.72, .93, .35, .84, .55, .80, .72, .62, .10, .52, .55, .12)),
    DemoCommune("nghia-hanh", "Xã Nghĩa Hành", "Quảng Ngãi", "Thôn", 6,
                Profile(.76, .95, .30, .86, .58, .82, .70, .60, .48, .55, .58, .15)),
    DemoCommune("cam-due", "Xã Cẩm Duệ", "Hà Tĩnh", "Thôn", 7,
                Profile(.65, .90, .20, .80, .72, .78, .62, .58, .12, .50, .57, .10)),
    DemoCommune("cam-xuyen", "Xã Cẩm Xuyên", "Hà Tĩnh", "Thôn", 6,
                Profile(.84, .97, .45, .90, .65, .85, .75, .66, .15, .60, .62, .16)),
    DemoCommune("kon-chieng", "Xã Kon Chiêng", "Gia Lai", "Làng", 6,
                Profile(.35, .72, .06, .60, .35, .62, .40, .30, .04, .32, .25, .05)),
)

DEMO_USERS: tuple[tuple[str, str, str | None, str | None], ...] = (
    # username, role, commune, partner — all with DEMO_PASSWORD
    ("demo-surveyor", "surveyor", "cam-lo", None),
    ("demo-staff", "staff", "cam-lo", None),
    ("demo-admin", "admin", None, None),
    ("demo-partner", "partner", None, "viettel"),
    *((f"demo-surveyor-{c.slug}", "surveyor", c.slug, None) for c in COMMUNES[1:]),
)

PARTNERS = (
    ("viettel", "Viettel (Tập đoàn Công nghiệp - Viễn thông Quân đội)"),
    ("vnpt", "VNPT (VinaPhone)"),
    ("mobifone", "MobiFone"),
)


def commune_geometry(slug: str) -> tuple[BaseGeometry, dict[str, Any]]:
    collection = json.loads((BOUNDARIES / f"{slug}.geojson").read_text(encoding="utf-8"))
    feature = collection["features"][0]
    return shape(feature["geometry"]), feature["properties"]


def _rounded(geometry: BaseGeometry) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    data = mapping(geometry)
    return {"type": data["type"], "coordinates": walk(data["coordinates"])}


def _village_points(area: BaseGeometry, count: int, slug: str) -> list[Point]:
    # Fixed per commune (not per --seed): villages must not move between runs.
    rng = random.Random(f"villages:{slug}")
    minx, miny, maxx, maxy = area.bounds
    spacing = min(maxx - minx, maxy - miny) / (count + 1)
    points: list[Point] = []
    for _ in range(20_000):
        candidate = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(candidate.buffer(0.004)) and all(
                candidate.distance(p) > spacing for p in points):
            points.append(candidate)
            if len(points) == count:
                return points
    raise RuntimeError(f"could not place {count} villages inside {slug}")


def _load_commune(session: Session, demo: DemoCommune, counts: dict[str, int]) -> Commune:
    commune = session.scalar(select(Commune).where(Commune.slug == demo.slug))
    if commune is not None:
        return commune
    area, properties = commune_geometry(demo.slug)
    commune = Commune(slug=demo.slug, name=demo.name, province=demo.province,
                      admin_code=str(properties.get("code")), is_demo=True,
                      boundary=_rounded(area.simplify(0.0002, preserve_topology=True)))
    session.add(commune)
    rng = random.Random(f"households:{demo.slug}")
    for index, point in enumerate(_village_points(area, demo.villages, demo.slug), start=1):
        session.add(Village(commune=commune, slug=f"{demo.village_word.lower()}-{index}"
                            .replace("làng", "lang").replace("thôn", "thon"),
                            name=f"{demo.village_word} {index}", lat=round(point.y, 6),
                            lon=round(point.x, 6), household_count=rng.randrange(150, 900, 10),
                            is_demo=True))
    session.flush()
    counts["communes"] += 1
    counts["villages"] += demo.villages
    return commune


def _load_people(session: Session, counts: dict[str, int]) -> None:
    for slug, name in PARTNERS:
        if session.scalar(select(Partner.id).where(Partner.slug == slug)) is None:
            session.add(Partner(slug=slug, name=name))
            counts["partners"] += 1
    session.flush()
    for username, role, commune, partner in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            accounts.create_user(session, username, DEMO_PASSWORD, role, commune_slug=commune,
                                 partner_slug=partner, display_name=f"Demo {role}")
            counts["users"] += 1


def load_demo(session: Session, *, with_data: bool = False, seed: int = 2026,
              now: datetime | None = None) -> str:
    counts = dict.fromkeys(("communes", "villages", "partners", "users", "targets",
                            "submissions"), 0)
    communes = [_load_commune(session, demo, counts) for demo in COMMUNES]
    _load_people(session, counts)
    _load_targets(session, {c.slug: c for c in communes}, counts)
    if with_data:
        now = now or utcnow()
        for demo, commune in zip(COMMUNES, communes, strict=True):
            counts["submissions"] += _load_households(session, demo, commune, seed, now)
    return ("Demo data (synthetic, never for production) — created: "
            + ", ".join(f"{n} {what}" for what, n in counts.items())
            + ". Demo users' password: " + DEMO_PASSWORD)


def _load_targets(session: Session, communes: dict[str, Commune], counts: dict[str, int]) -> None:
    """The plans' own targets (surveys/plan_targets.py); a commune that has any keeps its own."""
    has_targets = set(session.scalars(select(Target.commune_id).distinct()))
    for row in PLAN_TARGETS:
        commune = communes[row["commune"]]
        if commune.id in has_targets:
            continue
        create_target(session, commune, {k: v for k, v in row.items() if k != "commune"})
        counts["targets"] += 1


def _surveyor(session: Session, slug: str) -> User:
    username = "demo-surveyor" if slug == "cam-lo" else f"demo-surveyor-{slug}"
    return session.scalar(select(User).where(User.username == username))


def _load_households(session: Session, demo: DemoCommune, commune: Commune, seed: int,
                     now: datetime) -> int:
    surveyor = _surveyor(session, demo.slug)
    area, _properties = commune_geometry(demo.slug)
    created = 0
    villages = sorted(commune.villages, key=lambda v: v.slug)
    for position, village in enumerate(villages):
        already = session.scalar(select(exists().where(Submission.village_id == village.id)))
        if already:
            continue  # idempotent: a village with data keeps exactly what it has
        rng = random.Random(f"{seed}:{demo.slug}:{village.slug}")
        # The last village is the remote one: worse infrastructure, so maps show real gaps.
        remoteness = 0.65 if position == len(villages) - 1 else rng.uniform(0.9, 1.1)
        for index in range(rng.randint(25, 60)):
            payload = _household_payload(rng, demo, village, index, area, remoteness, now)
            result = record_submission(session, surveyor, parse_submission(payload, now=now),
                                       now=now)
            created += result.created
    return created


def _household_payload(rng: random.Random, demo: DemoCommune, village: Village, index: int,
                       area: BaseGeometry, remoteness: float, now: datetime) -> dict[str, Any]:
    location = None
    if rng.random() > 0.08:
        location = _nearby(rng, village, area)
    collected = now - timedelta(days=rng.uniform(0.5, 60), minutes=rng.randint(0, 600))
    return {
        "instance_id": str(uuid.uuid5(NAMESPACE, f"{demo.slug}/{village.slug}/{index}")),
        "survey": "household",
        "village": village.slug,
        "collected_at": collected.astimezone(UTC).isoformat(timespec="seconds"),
        "location": location,
        "answers": dict(_answers(rng, demo.profile, remoteness)),
    }


def _nearby(rng: random.Random, village: Village, area: BaseGeometry) -> dict[str, float] | None:
    for _ in range(50):
        # About 400 m around the village centre (1° of latitude ≈ 111 km).
        point = Point(village.lon + rng.gauss(0, 0.0025), village.lat + rng.gauss(0, 0.0025))
        if area.contains(point):
            return {"lat": round(point.y, 6), "lon": round(point.x, 6),
                    "accuracy_m": round(rng.uniform(5, 40), 1)}
    return None


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < min(max(p, 0.0), 1.0) for _ in range(n))


def _answers(rng: random.Random, p: Profile, remote: float) -> Iterator[tuple[str, Any]]:
    if rng.random() < 0.04:
        yield "consent", "no"
        return
    yield "consent", "yes"
    if rng.random() < 0.5:
        yield "household_code", f"HK-{rng.randint(1, 999):03d}"
    total = rng.choices(range(1, 9), weights=(6, 14, 18, 24, 18, 10, 6, 4))[0]
    adults = max(1, total - _binomial(rng, total, 0.3))
    smart = _binomial(rng, adults, p.smartphone * remote)
    yield from (("members_total", total), ("members_adult", adults), ("smartphone_users", smart),
                ("egov_users", _binomial(rng, smart, p.egov)),
                ("vneid_users", _binomial(rng, adults, p.vneid)),
                ("bank_account_users", _binomial(rng, adults, p.bank * remote)),
                ("epayment_users", _binomial(rng, adults, p.epayment * remote)),
                ("digital_signature_users", _binomial(rng, adults, p.signature)),
                ("digital_services_users", _binomial(rng, adults, p.services)))
    draw = rng.random()
    technology = ("5g" if draw < p.g5 * remote else "4g" if draw < p.g4 * remote
                  else rng.choice(("3g", "3g", "2g", "none")))
    bars = {"5g": (3, 5), "4g": (2, 5), "3g": (1, 3), "2g": (1, 2), "none": (0, 0)}[technology]
    yield "mobile_best_technology", technology
    yield "mobile_signal_bars", rng.randint(*bars)
    operators = [op for op, share in (("viettel", .8), ("vinaphone", .35), ("mobifone", .25),
                                      ("vietnamobile", .05)) if rng.random() < share]
    yield "mobile_operators", operators or ["viettel"]
    fixed = ("fiber" if rng.random() < p.fiber * remote
             else rng.choices(("none", "fixed_wireless", "adsl", "cable"), (70, 15, 8, 7))[0])
    yield "fixed_broadband", fixed
    if fixed != "none":
        yield "fixed_provider", rng.choices(("viettel", "vnpt", "fpt", "other"), (50, 35, 13, 2))[0]
        if rng.random() < 0.7:
            yield "fixed_speed_mbps", rng.choice((30, 50, 100, 150, 200, 300, 500, 1000)
                                                 if fixed == "fiber" else (8, 16, 30, 50))
    if fixed != "fiber":
        yield "fiber_available", rng.choices(("yes", "no", "unknown"), (50 * remote, 30, 20))[0]
    shopping = rng.random() < p.shopping * remote
    yield "online_shopping", "yes" if shopping else "no"
    if shopping:
        platforms = [x for x, share in (("shopee", .7), ("tiktok_shop", .45), ("lazada", .2),
                                        ("facebook_zalo", .35), ("tiki", .05)) if rng.random() < share]
        yield "online_platforms", platforms or ["shopee"]
    yield "online_selling", "yes" if rng.random() < p.selling * remote else "no"
    if rng.random() < 0.5:
        speed = {"5g": 180, "4g": 45, "3g": 4, "2g": 0.2, "none": 0.05}[technology]
        if fixed == "fiber":
            speed = max(speed, 90)
        yield "speedtest_download_mbps", round(speed * rng.uniform(0.4, 1.6), 1)
        yield "speedtest_upload_mbps", round(speed * rng.uniform(0.1, 0.5), 1)
        yield "speedtest_latency_ms", rng.randint(8, 90)


