"""Demo data: the five communes whose plans are in the seeds, synthetic villages, users, households.

Everything here is marked `is_demo` and is loaded only when ALLOW_DEMO_DATA is on (the CLI checks).
Commune boundaries are real (surveys/data/NOTICE.md); villages, their positions and household counts,
and every household answer are synthetic. Households are generated as API payloads and pass through
the same parse/record service as real submissions, so demo data obeys every rule of the survey.
Partner coverage measurements come with the coverage-upload work; only households are generated now.

Loading is idempotent. Communes, villages, partners and users are looked up by slug or username
before being created. Households have deterministic instance_ids (uuid5 of commune/village/index), so
the service itself refuses duplicates; a village whose demo households are already stored is skipped
as a whole, because their collected_at is relative to the day they were generated (a re-send made
on another day would differ in content: a conflict, not a replay).
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import shapely
from shapely.geometry import MultiPolygon, Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.administration import accounts
from surveys.collection.submissions import parse_submission, record_submission
from surveys.indicators.plan_targets import PLAN_TARGETS
from surveys.indicators.targets import create_target
from surveys.models import Commune, Partner, Submission, Target, User, Village, utcnow

BOUNDARIES = Path(__file__).parent.parent / "data" / "boundaries"
DEMO_PASSWORD = "phusong-demo"
# Fixed forever: instance_ids derive from it, and they are what makes a re-run a no-op.
NAMESPACE = uuid.UUID("5b0c6f2e-8a47-4c1e-9d0f-70687573706e")

# Stored boundaries are simplified (~20 m) and rounded (6 decimals ≈ 0.1 m) to keep rows small.
SIMPLIFY_DEGREES = 0.0002
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320
# Villages sit at least this far apart, and this far inside the border, so that their households
# (within HOUSEHOLD_RADIUS_M of the centre) stay inside the commune.
MIN_VILLAGE_SPACING_KM = 1.0
VILLAGE_BORDER_MARGIN_DEGREES = 0.0045  # ≥ 470 m at Vietnam's latitudes
VILLAGE_HOUSEHOLDS = (150, 900)

HOUSEHOLD_RADIUS_M = 400
SAMPLE_SHARE = (0.05, 0.09)  # share of a village's households surveyed…
HOUSEHOLDS_SURVEYED = (25, 60)  # …kept within this range
SURVEY_WINDOW_DAYS = 60
CAMPAIGN_DAYS = 4  # a village is surveyed over a few consecutive days
VIETNAM = timezone(timedelta(hours=7), "ICT")
REFUSAL_SHARE = 0.04
NO_GPS_SHARE = 0.08
SPEEDTEST_SHARE = 0.5
# Villages far from the commune centre get worse networks and fewer services, so maps show gaps;
# the others vary a little around their commune.
REMOTE_FACTOR = 0.6
VILLAGE_FACTOR = (0.88, 1.08)


@dataclass(frozen=True)
class Profile:
    """Shares for one commune (households for networks, adults for skills), guided by the
    baselines and targets of the plans in ../shared/seeds/; a village scales them by its factor."""

    fiber: float  # households on fibre
    g4: float  # households with 4G or better indoors
    g5: float  # households with 5G indoors
    smartphone: float  # adults using a smartphone
    egov: float  # of smartphone users: used online public services
    vneid: float  # of smartphone users: activated level-2 VNeID
    bank: float  # adults with a bank account
    epayment: float  # of adults with an account and a smartphone: paid electronically
    signature: float  # adults with a personal digital-signature certificate
    services: float  # of smartphone users: used digital health/education/insurance/transport
    shopping: float  # households buying online
    selling: float  # households selling online


@dataclass(frozen=True)
class DemoCommune:
    slug: str
    name: str
    province: str
    village_word: str  # "Thôn" in the lowlands; "Làng" in the Central Highlands
    village_slug: str
    code_prefix: str  # household codes look like CL-T3-017
    villages: int
    remote_villages: int
    profile: Profile


COMMUNES = (
    # Seed 000: 5G coverage 95% and VNeID ≥ 85% by 2030; a district town with rural hills west.
    DemoCommune("cam-lo", "Xã Cam Lộ", "Quảng Trị", "Thôn", "thon", "CL", 7, 1,
                Profile(.72, .93, .35, .84, .62, .90, .72, .78, .10, .55, .55, .12)),
    # Seed 001: a small lowland commune pushing digital signatures (> 50% in 2025).
    DemoCommune("nghia-hanh", "Xã Nghĩa Hành", "Quảng Ngãi", "Thôn", "thon", "NH", 6, 1,
                Profile(.78, .96, .30, .86, .66, .92, .70, .75, .46, .58, .58, .15)),
    # Seed 002: every village has 4G; smartphones > 90% of people; fibre baseline 65%.
    DemoCommune("cam-due", "Xã Cẩm Duệ", "Hà Tĩnh", "Thôn", "thon", "CD", 7, 1,
                Profile(.65, .92, .20, .90, .78, .88, .62, .74, .12, .52, .57, .10)),
    # Seed 003 (the former district): fibre and 4G to all, smartphones > 90%, 5G to 50% by 2025.
    DemoCommune("cam-xuyen", "Xã Cẩm Xuyên", "Hà Tĩnh", "Thôn", "thon", "CX", 6, 1,
                Profile(.86, .97, .45, .91, .72, .93, .76, .80, .15, .62, .62, .16)),
    # Seed 004: a mountainous Bahnar/Jrai commune where 4G to every làng is still a target.
    DemoCommune("kon-chieng", "Xã Kon Chiêng", "Gia Lai", "Làng", "lang", "KC", 6, 2,
                Profile(.32, .74, .06, .62, .45, .72, .40, .55, .04, .35, .25, .05)),
)


class DemoUser(NamedTuple):
    username: str
    role: str
    commune: str | None
    partner: str | None
    display_name: str
    password: str = DEMO_PASSWORD  # public: this is why ALLOW_DEMO_DATA exists


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-surveyor", "surveyor", "cam-lo", None, "Điều tra viên mẫu (Cam Lộ)"),
    DemoUser("demo-staff", "staff", "cam-lo", None, "Cán bộ xã mẫu (Cam Lộ)"),
    DemoUser("demo-admin", "admin", None, None, "Quản trị viên mẫu"),
    DemoUser("demo-partner", "partner", None, "viettel", "Đối tác mẫu (Viettel)"),
    *(DemoUser(f"demo-surveyor-{c.slug}", "surveyor", c.slug, None,
               f"Điều tra viên mẫu ({c.name.removeprefix('Xã ')})") for c in COMMUNES[1:]),
)

PARTNERS = (
    ("viettel", "Viettel (Tập đoàn Công nghiệp - Viễn thông Quân đội)"),
    ("vnpt", "VNPT (VinaPhone)"),
    ("mobifone", "MobiFone"),
)

# Answer tables (choice names are the survey's own, surveys/definitions/household.md).
MEMBERS_WEIGHTS = {1: 6, 2: 14, 3: 18, 4: 24, 5: 18, 6: 10, 7: 6, 8: 4}
CHILD_SHARE = 0.28
SIGNAL_BARS = {"5g": (3, 5), "4g": (2, 5), "3g": (1, 3), "2g": (1, 2), "none": (0, 0)}
MOBILE_OPERATORS = (("viettel", .85), ("vinaphone", .35), ("mobifone", .25), ("vietnamobile", .04))
OTHER_FIXED = {"none": 76, "fixed_wireless": 17, "cable": 5, "adsl": 2}  # ADSL is nearly gone
FIXED_PROVIDERS = {
    "fiber": {"viettel": 52, "vnpt": 33, "fpt": 14, "other": 1},
    "fixed_wireless": {"viettel": 60, "vnpt": 30, "other": 10},
    "cable": {"vnpt": 40, "other": 60},  # mostly local cable-TV companies
    "adsl": {"vnpt": 90, "viettel": 10},
}
PLAN_SPEEDS = {"fiber": (150, 200, 300, 300, 500, 1000), "fixed_wireless": (20, 30, 50),
               "cable": (30, 50), "adsl": (8, 16)}
PLATFORMS = (("shopee", .72), ("tiktok_shop", .48), ("facebook_zalo", .35), ("lazada", .18),
             ("tiki", .05), ("other", .03))
# A speed test's typical download (Mbps), upload as a share of it, and latency range (ms) by path.
SPEEDTEST = {"fiber": (120, (0.5, 0.9), (6, 25)), "5g": (260, (0.1, 0.3), (12, 35)),
             "4g": (38, (0.2, 0.45), (25, 70)), "3g": (3, (0.2, 0.4), (60, 200)),
             "2g": (0.15, (0.3, 0.6), (300, 900))}
NOTES = ("Sóng yếu khi trời mưa.", "Nhà ở cuối xóm, xa trạm phát sóng.",
         "Hộ muốn đăng ký cáp quang nhưng chưa có cáp tới.", "Người cao tuổi cần hướng dẫn VNeID.",
         "Con em đi làm xa, trong nhà chủ yếu người già.")


# Geometry

@cache
def commune_geometry(slug: str) -> tuple[BaseGeometry, dict[str, Any]]:
    """The real boundary (full detail) and the GeoJSON properties of a demo commune."""
    collection = json.loads((BOUNDARIES / f"{slug}.geojson").read_text(encoding="utf-8"))
    feature = collection["features"][0]
    return shape(feature["geometry"]), feature["properties"]


def stored_boundary(area: BaseGeometry) -> dict[str, Any]:
    """The GeoJSON kept on the commune row: simplified, rounded, still a MultiPolygon."""
    simple = area.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    if simple.geom_type == "Polygon":
        simple = MultiPolygon([simple])
    return _rounded(simple)


def _rounded(geometry: BaseGeometry) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    data = mapping(geometry)
    return {"type": data["type"], "coordinates": walk(data["coordinates"])}


@cache
def _placement_area(slug: str) -> BaseGeometry:
    """Where synthetic points may go: inside both the real and the stored boundary, so a point is
    in its commune whichever of the two a reader uses. Prepared: it is tested thousands of times."""
    area = commune_geometry(slug)[0]
    both = area.intersection(shape(stored_boundary(area)))
    shapely.prepare(both)
    return both


def _km(a: Point, b: Point) -> float:
    # Flat-earth distance: exact enough at village scale.
    dx = (a.x - b.x) * KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians((a.y + b.y) / 2))
    return math.hypot(dx, (a.y - b.y) * KM_PER_DEGREE_LAT)


def village_sites(slug: str, count: int) -> list[Point]:
    """Fixed village centres: inside the commune, away from its border, spread out.

    The random generator is seeded by the commune alone (never by --seed), so villages stay put.
    Spacing starts wide, for villages spread over the whole commune, and relaxes to the minimum.
    """
    inner = _placement_area(slug).buffer(-VILLAGE_BORDER_MARGIN_DEGREES)
    shapely.prepare(inner)
    west, south, east, north = inner.bounds
    middle = Point((west + east) / 2, (south + north) / 2)
    spacing = max(MIN_VILLAGE_SPACING_KM,
                  min(_km(Point(west, middle.y), Point(east, middle.y)),
                      _km(Point(middle.x, south), Point(middle.x, north))) / (count + 1))
    rng = random.Random(f"villages:{slug}")
    while True:
        sites: list[Point] = []
        for _ in range(5_000):
            candidate = Point(rng.uniform(west, east), rng.uniform(south, north))
            if inner.contains(candidate) and all(_km(candidate, s) >= spacing for s in sites):
                sites.append(candidate)
                if len(sites) == count:
                    return sites
        if spacing == MIN_VILLAGE_SPACING_KM:
            raise RuntimeError(f"cannot place {count} villages {spacing} km apart in {slug}")
        spacing = max(MIN_VILLAGE_SPACING_KM, spacing * 0.8)


def village_factors(demo: DemoCommune, villages: list[Village]) -> dict[str, float]:
    """How much better or worse than its commune each village is: the ones farthest from the
    commune's centre are remote. Fixed per village (never by --seed), like the villages."""
    centre = commune_geometry(demo.slug)[0].centroid
    by_distance = sorted(villages, key=lambda v: _km(Point(v.lon, v.lat), centre), reverse=True)
    remote = {v.slug for v in by_distance[:demo.remote_villages]}
    factors = {}
    for village in villages:
        rng = random.Random(f"village:{demo.slug}:{village.slug}")
        factors[village.slug] = (REMOTE_FACTOR if village.slug in remote
                                 else rng.uniform(*VILLAGE_FACTOR))
    return factors


# Places and people

class Tally:
    """What a run created and what it found already there, for the report."""

    KINDS = ("communes", "villages", "partners", "users", "targets", "submissions")

    def __init__(self) -> None:
        self.created: Counter[str] = Counter()
        self.present: Counter[str] = Counter()

    def add(self, kind: str, created: bool, n: int = 1) -> None:
        (self.created if created else self.present)[kind] += n

    def report(self) -> str:
        def line(counter: Counter[str]) -> str:
            return ", ".join(f"{counter[k]} {k}" for k in self.KINDS)

        return ("Demo data (synthetic; never for production).\n"
                f"Created: {line(self.created)}.\n"
                f"Already present: {line(self.present)}.\n"
                f"Demo users (password {DEMO_PASSWORD}): "
                + ", ".join(u.username for u in DEMO_USERS) + ".")


def _load_commune(session: Session, demo: DemoCommune, tally: Tally) -> Commune:
    commune = session.scalar(select(Commune).where(Commune.slug == demo.slug))
    tally.add("communes", commune is None)
    if commune is None:
        area, properties = commune_geometry(demo.slug)
        commune = Commune(slug=demo.slug, name=demo.name, province=demo.province,
                          admin_code=str(properties["code"]), boundary=stored_boundary(area),
                          is_demo=True)
        session.add(commune)
    if commune.is_demo:  # never add synthetic villages to a real commune with the same slug
        _load_villages(demo, commune, tally)
    session.flush()
    return commune


def _load_villages(demo: DemoCommune, commune: Commune, tally: Tally) -> None:
    existing = {v.slug for v in commune.villages}
    wanted = [f"{demo.village_slug}-{number}" for number in range(1, demo.villages + 1)]
    if existing.issuperset(wanted):  # the usual re-run: skip placing them again
        tally.add("villages", False, len(wanted))
        return
    households = random.Random(f"households:{demo.slug}")  # fixed, like the positions
    sites = village_sites(demo.slug, demo.villages)
    for number, (slug, site) in enumerate(zip(wanted, sites, strict=True), start=1):
        count = households.randrange(VILLAGE_HOUSEHOLDS[0], VILLAGE_HOUSEHOLDS[1] + 1, 10)
        tally.add("villages", slug not in existing)
        if slug not in existing:
            commune.villages.append(Village(slug=slug, name=f"{demo.village_word} {number}",
                                            lat=round(site.y, 6), lon=round(site.x, 6),
                                            household_count=count, is_demo=True))


def _load_people(session: Session, tally: Tally) -> None:
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
                                 display_name=user.display_name)


def _load_targets(session: Session, communes: dict[str, Commune], tally: Tally) -> None:
    """The plans' own targets (surveys/indicators/plan_targets.py); a commune that has any keeps its own."""
    has_targets = set(session.scalars(select(Target.commune_id).distinct()))
    for row in PLAN_TARGETS:
        commune = communes[row["commune"]]
        tally.add("targets", commune.id not in has_targets)
        if commune.id not in has_targets:
            create_target(session, commune, {k: v for k, v in row.items() if k != "commune"})


def load_demo(session: Session, *, with_data: bool = False, seed: int = 2026,
              now: datetime | None = None) -> str:
    """Load (or complete) the demo and return a short report. Never commits: the caller does."""
    tally = Tally()
    communes = [_load_commune(session, demo, tally) for demo in COMMUNES]
    _load_people(session, tally)
    _load_targets(session, {c.slug: c for c in communes}, tally)
    if with_data:
        now = now or utcnow()
        for demo, commune in zip(COMMUNES, communes, strict=True):
            if commune.is_demo:
                _load_households(session, demo, commune, seed, now, tally)
    return tally.report()


# Households

def instance_id(commune_slug: str, village_slug: str, index: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{commune_slug}/{village_slug}/{index}"))


def _surveyor(session: Session, demo: DemoCommune) -> User:
    username = next(u.username for u in DEMO_USERS
                    if u.role == "surveyor" and u.commune == demo.slug)
    return session.scalar(select(User).where(User.username == username))


def _load_households(session: Session, demo: DemoCommune, commune: Commune, seed: int,
                     now: datetime, tally: Tally) -> None:
    villages = [v for v in commune.villages if v.is_demo]
    ids = {v.slug: [instance_id(demo.slug, v.slug, i) for i in range(HOUSEHOLDS_SURVEYED[1])]
           for v in villages}
    stored = set(session.scalars(select(Submission.instance_id).where(
        Submission.instance_id.in_([i for batch in ids.values() for i in batch]))))
    factors = village_factors(demo, villages)
    surveyor = _surveyor(session, demo)
    for village in villages:
        already = sum(i in stored for i in ids[village.slug])
        if already:  # loaded by an earlier run (perhaps with another seed): keep it as it is
            tally.add("submissions", False, already)
            continue
        rng = random.Random(f"{seed}:{demo.slug}:{village.slug}")
        for payload in _village_payloads(rng, demo, village, factors[village.slug], now):
            item = parse_submission(payload, now=now)
            tally.add("submissions", record_submission(session, surveyor, item, now=now).created)


def _village_payloads(rng: random.Random, demo: DemoCommune, village: Village, factor: float,
                      now: datetime) -> list[dict[str, Any]]:
    share = rng.uniform(*SAMPLE_SHARE)
    count = min(max(round((village.household_count or 0) * share), HOUSEHOLDS_SURVEYED[0]),
                HOUSEHOLDS_SURVEYED[1])
    # The village's survey campaign: a few consecutive days somewhere in the last two months,
    # ending at least a day before `now`, so nothing is ever in the future.
    first_day = rng.randint(CAMPAIGN_DAYS, SURVEY_WINDOW_DAYS)
    today = now.astimezone(VIETNAM).date()
    payloads = []
    for index in range(count):
        day = today - timedelta(days=first_day - rng.randrange(CAMPAIGN_DAYS))
        payloads.append({
            "instance_id": instance_id(demo.slug, village.slug, index),
            "survey": "household",
            "commune": demo.slug,
            "village": village.slug,
            # As a phone sends it: local time with its offset.
            "collected_at": datetime.combine(day, _working_time(rng), VIETNAM).isoformat(),
            "location": None if rng.random() < NO_GPS_SHARE else _near(rng, demo.slug, village),
            "answers": _answers(rng, demo, village, index, factor),
        })
    return payloads


def _working_time(rng: random.Random) -> time:
    # Surveyors visit 07:30–11:30 and 13:30–17:30, not over lunch.
    minutes = rng.randrange(7 * 60 + 30, 11 * 60 + 30) + rng.choice((0, 6 * 60))
    return time(minutes // 60, minutes % 60, rng.randrange(60))


def _near(rng: random.Random, slug: str, village: Village) -> dict[str, float] | None:
    """A house within HOUSEHOLD_RADIUS_M of the village centre and inside the commune; None (no
    fix) in the rare case that no such point turns up."""
    area = _placement_area(slug)
    for _ in range(20):
        distance_km = HOUSEHOLD_RADIUS_M / 1000 * math.sqrt(rng.random())  # uniform over the disc
        bearing = rng.uniform(0, 2 * math.pi)
        lat = round(village.lat + distance_km * math.cos(bearing) / KM_PER_DEGREE_LAT, 6)
        lon = round(village.lon + distance_km * math.sin(bearing) / (
            KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(village.lat))), 6)
        if area.contains(Point(lon, lat)):
            # Phones mostly report good fixes outdoors, now and then a poor one.
            return {"lat": lat, "lon": lon, "accuracy_m": round(5 + 35 * rng.random() ** 2, 1)}
    return None


def _binomial(rng: random.Random, n: int, p: float) -> int:
    p = min(max(p, 0.0), 1.0)
    return sum(rng.random() < p for _ in range(n))


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _answers(rng: random.Random, demo: DemoCommune, village: Village, index: int,
             factor: float) -> dict[str, Any]:
    if rng.random() < REFUSAL_SHARE:
        return {"consent": "no"}  # nothing else is asked
    p = demo.profile
    answers: dict[str, Any] = {"consent": "yes"}
    if rng.random() < 0.6:  # not every village numbers its houses
        number = village.slug.rsplit("-", 1)[-1]
        answers["household_code"] = f"{demo.code_prefix}-{demo.village_word[0]}{number}-{index + 1:03d}"
    answers.update(_people(rng, p, factor))
    technology = _mobile(rng, p, factor, answers)
    fixed = _fixed(rng, p, factor, answers)
    _commerce(rng, p, factor, answers)
    # A speed test needs a connection: fibre (over Wi-Fi) or mobile data.
    if rng.random() < SPEEDTEST_SHARE and (technology != "none" or fixed == "fiber"):
        answers.update(_speedtest(rng, "fiber" if fixed == "fiber" else technology))
    if rng.random() < 0.05:
        answers["notes"] = rng.choice(NOTES)
    return answers


def _people(rng: random.Random, p: Profile, factor: float) -> dict[str, int]:
    """Counts within the survey's constraints: every count ≤ adults ≤ members, and egov ≤ smartphone
    users; what needs a phone is drawn among the smartphone users."""
    total = rng.choices(list(MEMBERS_WEIGHTS), weights=list(MEMBERS_WEIGHTS.values()))[0]
    adults = max(1, total - _binomial(rng, total, CHILD_SHARE))
    smart = _binomial(rng, adults, p.smartphone * factor)
    bank = _binomial(rng, adults, p.bank * factor)
    return {
        "members_total": total,
        "members_adult": adults,
        "smartphone_users": smart,
        "egov_users": _binomial(rng, smart, p.egov * factor),
        # Police teams activate VNeID door to door, mostly on the person's own smartphone.
        "vneid_users": _binomial(rng, smart, p.vneid) + _binomial(rng, adults - smart, 0.1),
        "bank_account_users": bank,
        "epayment_users": _binomial(rng, min(bank, smart), p.epayment * factor),
        "digital_signature_users": _binomial(rng, adults, p.signature),
        "digital_services_users": _binomial(rng, smart, p.services * factor),
    }


def _mobile(rng: random.Random, p: Profile, factor: float, answers: dict[str, Any]) -> str:
    draw = rng.random()
    technology = ("5g" if draw < p.g5 * factor else "4g" if draw < p.g4 * factor
                  else rng.choice(("3g", "3g", "2g", "none")))
    low, high = SIGNAL_BARS[technology]
    if factor < VILLAGE_FACTOR[0] and high > low:  # remote houses: fewer bars, same technology
        high -= 1
    operators = [op for op, share in MOBILE_OPERATORS if rng.random() < share]
    if not operators:
        no_phone = answers["smartphone_users"] == 0 and rng.random() < 0.3
        operators = ["none"] if no_phone else ["viettel"]
    answers.update(mobile_best_technology=technology, mobile_signal_bars=rng.randint(low, high),
                   mobile_operators=operators)
    return technology


def _fixed(rng: random.Random, p: Profile, factor: float, answers: dict[str, Any]) -> str:
    fixed = "fiber" if rng.random() < p.fiber * factor else _weighted(rng, OTHER_FIXED)
    answers["fixed_broadband"] = fixed
    if fixed != "none":  # relevant only with a connection
        answers["fixed_provider"] = _weighted(rng, FIXED_PROVIDERS[fixed])
        if rng.random() < 0.7:  # optional: many households do not know their plan
            answers["fixed_speed_mbps"] = rng.choice(PLAN_SPEEDS[fixed])
    if fixed != "fiber":  # relevant only without fibre
        available = min(0.95, p.fiber * factor + 0.1)
        answers["fiber_available"] = _weighted(
            rng, {"yes": available * 0.85, "no": (1 - available) * 0.85, "unknown": 0.15})
    return fixed


def _commerce(rng: random.Random, p: Profile, factor: float, answers: dict[str, Any]) -> None:
    online = answers["smartphone_users"] > 0
    shopping = online and rng.random() < p.shopping * factor
    answers["online_shopping"] = "yes" if shopping else "no"
    if shopping:  # relevant only when the household shops online
        answers["online_platforms"] = ([x for x, share in PLATFORMS if rng.random() < share]
                                       or ["shopee"])
    answers["online_selling"] = "yes" if online and rng.random() < p.selling * factor else "no"


def _speedtest(rng: random.Random, path: str) -> dict[str, float | int]:
    typical, upload_share, latency = SPEEDTEST[path]
    download = typical * rng.lognormvariate(0, 0.45)
    return {"speedtest_download_mbps": round(download, 1),
            "speedtest_upload_mbps": round(download * rng.uniform(*upload_share), 1),
            "speedtest_latency_ms": rng.randint(*latency)}
