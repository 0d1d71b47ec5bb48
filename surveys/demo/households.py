"""The demo's synthetic households: API payloads that pass through the same parse/record service as
real submissions, with deterministic instance_ids (a re-run is a no-op)."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Mapping
from datetime import datetime, time, timedelta, timezone
from typing import Any

from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.collection.submissions import parse_submission, record_submission
from surveys.demo.people import DEMO_USERS
from surveys.demo.places import (
    KM_PER_DEGREE_LAT,
    KM_PER_DEGREE_LON_EQUATOR,
    VILLAGE_FACTOR,
    DemoCommune,
    Profile,
    _placement_area,
    village_factors,
)
from surveys.demo.tally import Tally
from surveys.models import Commune, Submission, User, Village

# Fixed forever: instance_ids derive from it, and they are what makes a re-run a no-op.
NAMESPACE = uuid.UUID("5b0c6f2e-8a47-4c1e-9d0f-70687573706e")

HOUSEHOLD_RADIUS_M = 400
SAMPLE_SHARE = (0.05, 0.09)  # share of a village's households surveyed…
HOUSEHOLDS_SURVEYED = (25, 60)  # …kept within this range
SURVEY_WINDOW_DAYS = 60
CAMPAIGN_DAYS = 4  # a village is surveyed over a few consecutive days
VIETNAM = timezone(timedelta(hours=7), "ICT")
REFUSAL_SHARE = 0.04
NO_GPS_SHARE = 0.08
SPEEDTEST_SHARE = 0.5

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


def instance_id(commune_slug: str, village_slug: str, index: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{commune_slug}/{village_slug}/{index}"))


def _surveyor(session: Session, demo: DemoCommune) -> User:
    username = next(u.username for u in DEMO_USERS
                    if u.role == "surveyor" and u.commune == demo.slug)
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


def load_households(session: Session, demo: DemoCommune, commune: Commune, seed: int,
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
    if village.lat is None or village.lon is None:
        return None  # (demo villages always have a centre)
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


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
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
