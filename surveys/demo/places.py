"""The demo's places: the five communes of the seeds' plans, the province of Hà Tĩnh with its 69
communes and the group of the former Cẩm Xuyên district, and synthetic villages placed inside the
real boundaries (surveys/data/NOTICE.md). Villages, their positions and household counts are fixed
per commune (never by --seed)."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.demo.tally import Tally
from surveys.models import Commune, CommuneGroup, Province, Village
from surveys.places.groups import define_group
from surveys.places.province_import import import_province
from surveys.places.province_import import stored_boundary as _stored_boundary

DATA = Path(__file__).parent.parent / "data"
BOUNDARIES = DATA / "boundaries"
PROVINCE_DIR = DATA / "provinces" / "ha-tinh"
PROVINCE_SLUG = "ha-tinh"
# The communes whose `formed_from` (communes.csv) names the units of the former Cẩm Xuyên district
# (seed 003): docs/areas.md, "The demo's group".
DISTRICT_GROUP = ("cam-xuyen-district", "Huyện Cẩm Xuyên (cũ)",
                  ("cam-xuyen", "thien-cam", "yen-hoa", "cam-binh", "cam-hung", "cam-due",
                   "cam-trung", "cam-lac"))
# Stored boundaries are simplified (~20 m) and rounded (6 decimals ≈ 0.1 m) to keep rows small.
SIMPLIFY_DEGREES = 0.0002
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320
# Villages sit at least this far apart, and this far inside the border, so that their households
# (within HOUSEHOLD_RADIUS_M of the centre) stay inside the commune.
MIN_VILLAGE_SPACING_KM = 1.0
VILLAGE_BORDER_MARGIN_DEGREES = 0.0045  # ≥ 470 m at Vietnam's latitudes
VILLAGE_HOUSEHOLDS = (150, 900)
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


# More communes of Hà Tĩnh with synthetic villages (beyond Cẩm Duệ and Cẩm Xuyên): the province's
# dashboard then ranks communes of every kind — coast, plain and hills.
HA_TINH_COMMUNES = (
    DemoCommune("thien-cam", "Xã Thiên Cầm", "Hà Tĩnh", "Thôn", "thon", "TC", 4, 1,
                Profile(.80, .95, .40, .88, .70, .90, .70, .76, .12, .58, .58, .14)),
    DemoCommune("cam-binh", "Xã Cẩm Bình", "Hà Tĩnh", "Thôn", "thon", "CB", 4, 1,
                Profile(.74, .94, .30, .89, .74, .90, .66, .75, .11, .55, .60, .12)),
    DemoCommune("thach-ha", "Xã Thạch Hà", "Hà Tĩnh", "Thôn", "thon", "TH", 4, 1,
                Profile(.84, .96, .42, .92, .76, .92, .74, .80, .14, .60, .64, .16)),
    DemoCommune("huong-khe", "Xã Hương Khê", "Hà Tĩnh", "Thôn", "thon", "HK", 4, 2,
                Profile(.48, .82, .10, .78, .58, .84, .52, .64, .07, .44, .40, .08)),
    DemoCommune("ky-anh", "Xã Kỳ Anh", "Hà Tĩnh", "Thôn", "thon", "KA", 4, 1,
                Profile(.70, .93, .28, .87, .68, .89, .64, .72, .10, .52, .55, .11)),
)
ALL_COMMUNES = COMMUNES + HA_TINH_COMMUNES


@cache
def _province_files() -> dict[str, Path]:
    """Slug (code_name with - for _) → the province's file of that commune."""
    return {path.stem.split("_", 1)[1].replace("_", "-"): path
            for path in (PROVINCE_DIR / "communes").glob("*.geojson")}


@cache
def commune_geometry(slug: str) -> tuple[BaseGeometry, dict[str, Any]]:
    """The real boundary (full detail) and the GeoJSON properties of a demo commune."""
    path = BOUNDARIES / f"{slug}.geojson"
    if not path.is_file():  # a commune of the province: its (already simplified) file
        path = _province_files()[slug]
    collection = json.loads(path.read_text(encoding="utf-8"))
    feature = collection["features"][0]
    return shape(feature["geometry"]), feature["properties"]


def stored_boundary(area: BaseGeometry) -> dict[str, Any]:
    """The GeoJSON kept on the commune row: simplified, rounded, still a MultiPolygon (the same
    as `places import-province` stores)."""
    return _stored_boundary(area, SIMPLIFY_DEGREES)


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


def load_commune(session: Session, demo: DemoCommune, tally: Tally, *,
                 counted: bool = True) -> Commune:
    """The demo commune (created if missing) with its synthetic villages. `counted`: False for a
    commune the province's import has just created or found (counted there)."""
    commune = session.scalar(select(Commune).where(Commune.slug == demo.slug))
    if counted:
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



def load_province(session: Session, tally: Tally) -> dict[str, Commune]:
    """Hà Tĩnh and its 69 communes through the real import (the demo communes already there attach
    to it, keeping slug, villages and boundary), and the group of the former district. A province
    already loaded is left as it is. The communes it creates are marked demo, like the others."""
    province = session.scalar(select(Province).where(Province.slug == PROVINCE_SLUG))
    tally.add("provinces", province is None)
    if province is not None:  # counted once each: the demo communes in it are counted by slug
        tally.add("communes", False, len(set(session.scalars(select(Commune.slug).where(
            Commune.province_id == province.id))) - {c.slug for c in COMMUNES}))
    else:
        result = import_province(session, PROVINCE_DIR, PROVINCE_SLUG)
        province = result.province
        tally.add("communes", True, len(result.created))
        for commune in session.scalars(select(Commune).where(Commune.slug.in_(result.created))):
            commune.is_demo = True
    slug, name, members = DISTRICT_GROUP
    group = session.scalar(select(CommuneGroup).where(CommuneGroup.slug == slug))
    tally.add("groups", group is None)
    if group is None:
        define_group(session, slug, name, members, province=province)
    session.flush()
    return {c.slug: c for c in session.scalars(
        select(Commune).where(Commune.province_id == province.id))}
