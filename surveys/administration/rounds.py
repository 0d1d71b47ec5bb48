"""Survey rounds: a period (first and last day, Vietnam time) and a target sample per village.

A commune's rounds do not overlap, so on any day at most one round is current. Progress toward a
round's sample counts the household surveys of the village collected within the period, as the
indicators count them: consenting households, neither rejected nor superseded.
Takes a Session; never imports Flask; never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys import audit
from surveys.errors import Problem, Text
from surveys.indicators.rollups import COUNTED_OUT
from surveys.models import Commune, RoundSample, Submission, SurveyRound, User, Village
from surveys.parsing import MAX_ID, parse_int
from surveys.places.vntime import VIETNAM

MAX_NAME = 200
MAX_DAYS = 366
NOT_COUNTED = COUNTED_OUT


@dataclass(frozen=True)
class VillageProgress:
    village: Village
    done: int
    target: int


def rounds_of(session: Session, commune_id: int) -> list[SurveyRound]:
    return list(session.scalars(select(SurveyRound).where(SurveyRound.commune_id == commune_id)
                                .order_by(SurveyRound.starts_on.desc())))


def commune_round(session: Session, commune: Commune, round_id: int) -> SurveyRound:
    found = session.get(SurveyRound, round_id)
    if found is None or found.commune_id != commune.id:
        raise Problem("404.1")
    return found


def samples_of(session: Session, round_id: int) -> dict[int, int]:
    return dict(session.execute(select(RoundSample.village_id, RoundSample.target_households)
                                .where(RoundSample.round_id == round_id)).all())


def round_json(session: Session, survey_round: SurveyRound) -> dict[str, Any]:
    slugs = dict(session.execute(select(Village.id, Village.slug).where(
        Village.commune_id == survey_round.commune_id)).all())
    return {"id": survey_round.id, "name": survey_round.name,
            "starts_on": survey_round.starts_on.isoformat(),
            "ends_on": survey_round.ends_on.isoformat(),
            "targets": {slugs.get(v, str(v)): n
                        for v, n in sorted(samples_of(session, survey_round.id).items())}}


def _date(text: object, field: str, errors: dict[str, Text]) -> date | None:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        errors[field] = Text("Ngày phải có dạng 2026-12-01.", "A date like 2026-12-01 is required.")
        return None


def _parse(session: Session, commune_id: int, raw: Mapping[str, Any],
           round_id: int | None) -> tuple[str, date, date, dict[int, int]]:
    """Validate name, starts_on, ends_on and targets {village_id: households or text}."""
    errors: dict[str, Text] = {}
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["name"] = Text(f"Cần tên đợt khảo sát (tối đa {MAX_NAME} ký tự).",
                              f"name is required (at most {MAX_NAME} characters).")
    elif session.scalar(select(SurveyRound.id).where(
            SurveyRound.commune_id == commune_id, SurveyRound.name == name,
            SurveyRound.id != (round_id or 0))) is not None:
        errors["name"] = Text("Xã đã có đợt khảo sát tên này.",
                              "The commune already has a round of this name.")
    starts = _date(raw.get("starts_on"), "starts_on", errors)
    ends = _date(raw.get("ends_on"), "ends_on", errors)
    if starts and ends:
        if ends < starts:
            errors["ends_on"] = Text("Ngày kết thúc không được trước ngày bắt đầu.",
                                     "ends_on must not be before starts_on.")
        elif (ends - starts).days >= MAX_DAYS:
            errors["ends_on"] = Text("Một đợt kéo dài tối đa một năm.", "A round lasts a year at most.")
        else:
            overlap = session.scalar(select(SurveyRound).where(
                SurveyRound.commune_id == commune_id, SurveyRound.id != (round_id or 0),
                SurveyRound.starts_on <= ends, SurveyRound.ends_on >= starts))
            if overlap is not None:
                errors["starts_on"] = Text(
                    f"Trùng thời gian với đợt “{overlap.name}” ({overlap.starts_on.isoformat()} – "
                    f"{overlap.ends_on.isoformat()}).",
                    f"Overlaps the round “{overlap.name}” ({overlap.starts_on.isoformat()} – "
                    f"{overlap.ends_on.isoformat()}).")
    villages = {v.id: v for v in session.scalars(select(Village).where(
        Village.commune_id == commune_id))}
    targets: dict[int, int] = {}
    for village_id, value in (raw.get("targets") or {}).items():
        village = villages.get(village_id)
        if village is None:
            errors[f"target_{village_id}"] = Text("Thôn không thuộc xã này.",
                                                 "The village is not of this commune.")
            continue
        text = str(value).strip() if value is not None else ""
        if not text:
            continue
        if parse_int(text, minimum=0, maximum=MAX_ID) is None:
            errors[f"target_{village_id}"] = Text("Cỡ mẫu phải là số nguyên không âm.",
                                                 "The sample must be a whole number, zero or more.")
            continue
        count = int(text)
        if village.household_count is not None and count > village.household_count:
            errors[f"target_{village_id}"] = Text(
                f"Cỡ mẫu lớn hơn số hộ của thôn ({village.household_count}).",
                f"The sample exceeds the village's {village.household_count} households.")
            continue
        targets[village_id] = count
    if errors:
        raise Problem("422.1", errors=errors)
    assert starts is not None and ends is not None
    return name, starts, ends, targets


def _set_targets(session: Session, round_id: int, targets: Mapping[int, int]) -> None:
    session.execute(delete(RoundSample).where(RoundSample.round_id == round_id))
    session.add_all([RoundSample(round_id=round_id, village_id=v, target_households=n)
                     for v, n in sorted(targets.items())])


def _record(session: Session, actor: User | None, action: str, survey_round: SurveyRound,
            before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    details = {k: v for k, v in (("before", before), ("after", after)) if v is not None}
    audit.record(session, action, actor=actor, commune_id=survey_round.commune_id,
                 target_type="survey_round", target_id=survey_round.id, details=details)


def create_round(session: Session, actor: User | None, commune: Commune,
                 raw: Mapping[str, Any]) -> SurveyRound:
    name, starts, ends, targets = _parse(session, commune.id, raw, None)
    survey_round = SurveyRound(commune_id=commune.id, name=name, starts_on=starts, ends_on=ends)
    session.add(survey_round)
    session.flush()
    _set_targets(session, survey_round.id, targets)
    session.flush()
    _record(session, actor, "round.create", survey_round, None, round_json(session, survey_round))
    return survey_round


def update_round(session: Session, actor: User | None, survey_round: SurveyRound,
                 raw: Mapping[str, Any]) -> SurveyRound:
    name, starts, ends, targets = _parse(session, survey_round.commune_id, raw, survey_round.id)
    before = round_json(session, survey_round)
    survey_round.name, survey_round.starts_on, survey_round.ends_on = name, starts, ends
    _set_targets(session, survey_round.id, targets)
    session.flush()
    _record(session, actor, "round.update", survey_round, before, round_json(session, survey_round))
    return survey_round


def delete_round(session: Session, actor: User | None, survey_round: SurveyRound) -> None:
    _record(session, actor, "round.delete", survey_round, round_json(session, survey_round), None)
    session.execute(delete(RoundSample).where(RoundSample.round_id == survey_round.id))
    session.delete(survey_round)
    session.flush()


def today_in_vietnam(now: datetime | None = None) -> date:
    return (now or datetime.now(VIETNAM)).astimezone(VIETNAM).date()


def current_round(session: Session, commune_id: int, today: date) -> SurveyRound | None:
    """The round whose period contains today (rounds do not overlap)."""
    return session.scalar(select(SurveyRound).where(
        SurveyRound.commune_id == commune_id, SurveyRound.starts_on <= today,
        SurveyRound.ends_on >= today).order_by(SurveyRound.starts_on.desc()).limit(1))


def progress(session: Session, survey_round: SurveyRound,
             villages: list[Village]) -> list[VillageProgress]:
    """Households surveyed so far against the sample, for the given villages that have one."""
    targets = samples_of(session, survey_round.id)
    wanted = [v for v in villages if v.id in targets]
    if not wanted:
        return []
    start = datetime.combine(survey_round.starts_on, time(), VIETNAM)
    end = datetime.combine(survey_round.ends_on + timedelta(days=1), time(), VIETNAM)
    done: dict[int, int] = dict.fromkeys(targets, 0)
    rows = session.execute(select(Submission.village_id, Submission.answers).where(
        Submission.commune_id == survey_round.commune_id, Submission.survey == "household",
        Submission.village_id.in_([v.id for v in wanted]),
        Submission.review_status.not_in(NOT_COUNTED),
        Submission.collected_at >= start, Submission.collected_at < end))
    for village_id, answers in rows:
        if isinstance(answers, dict) and answers.get("consent") == "yes":
            done[village_id] += 1
    return [VillageProgress(v, done[v.id], targets[v.id]) for v in wanted]
