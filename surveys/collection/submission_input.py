"""A household submission as it arrives (the API's JSON, or the form page turned into it), parsed
and validated completely before any database work: every problem reported at once (422). Pure: no
database, no Flask."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from surveys.collection.answers import validate_answers
from surveys.definitions import SurveyDefinition, get_definition
from surveys.errors import Problem, Text
from surveys.models import utcnow

TOP_LEVEL_FIELDS = frozenset({"instance_id", "survey", "survey_version", "commune", "village",
                              "collected_at", "location", "answers", "started_at", "supersedes"})


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float | None


@dataclass(frozen=True)
class SubmissionInput:
    """A parsed, validated submission, before any database work."""

    instance_id: str
    definition: SurveyDefinition
    commune_slug: str | None
    village_slug: str
    collected_at: datetime
    location: Location | None
    answers: dict[str, Any]
    # When the form was opened (for the too_fast flag), and the instance_id this corrects.
    started_at: datetime | None = None
    supersedes: str | None = None

    def content_hash(self) -> str:
        canonical = {
            "survey": self.definition.name,
            "village": self.village_slug,
            "collected_at": self.collected_at.isoformat(),
            "location": None if self.location is None else [
                self.location.lat, self.location.lon, self.location.accuracy_m],
            "answers": self.answers,
        }
        # Only when given, so the hashes of records stored before these fields existed still match.
        if self.started_at is not None:
            canonical["started_at"] = self.started_at.isoformat()
        if self.supersedes is not None:
            canonical["supersedes"] = self.supersedes
        encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _parse_location(raw: Any, errors: dict[str, Text]) -> Location | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors["location"] = Text("location phải là đối tượng {lat, lon, accuracy_m}.",
                                  "location must be an object {lat, lon, accuracy_m}.")
        return None
    lat, lon = _number(raw.get("lat")), _number(raw.get("lon"))
    if lat is None or not -90 <= lat <= 90:
        errors["location.lat"] = Text("Vĩ độ phải là số trong khoảng -90 đến 90.",
                                      "lat must be a number between -90 and 90.")
    if lon is None or not -180 <= lon <= 180:
        errors["location.lon"] = Text("Kinh độ phải là số trong khoảng -180 đến 180.",
                                      "lon must be a number between -180 and 180.")
    accuracy = raw.get("accuracy_m")
    if accuracy is not None:
        accuracy = _number(accuracy)
        if accuracy is None or accuracy < 0:
            errors["location.accuracy_m"] = Text("Độ chính xác phải là số mét không âm.",
                                                 "accuracy_m must be a non-negative number of metres.")
    unknown = set(raw) - {"lat", "lon", "accuracy_m"}
    for key in sorted(unknown):
        errors[f"location.{key}"] = Text("Trường không được hỗ trợ.", "Unknown field.")
    if any(k.startswith("location") for k in errors) or lat is None or lon is None:
        return None
    return Location(lat, lon, accuracy)


def parse_collected_at(raw: Any, now: datetime, future_skew: timedelta,
                       errors: dict[str, Text]) -> datetime | None:
    if not isinstance(raw, str) or not raw.strip():
        errors["collected_at"] = Text("Cần thời điểm khảo sát (ISO 8601).",
                                      "collected_at is required (ISO 8601).")
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        errors["collected_at"] = Text("Thời điểm không đúng định dạng ISO 8601: {v}.",
                                      "Not an ISO 8601 date-time: {v}.").format(v=raw[:40])
        return None
    if when.tzinfo is None:
        errors["collected_at"] = Text(
            "Thời điểm cần múi giờ, ví dụ 2026-11-23T09:30:00+07:00.",
            "collected_at needs a time-zone offset, e.g. 2026-11-23T09:30:00+07:00.")
        return None
    when = when.astimezone(UTC)
    if when > now + future_skew:
        errors["collected_at"] = Text("Thời điểm khảo sát ở tương lai; kiểm tra đồng hồ điện thoại.",
                                      "collected_at is in the future; check the phone's clock.")
        return None
    if when.year < 2020:
        errors["collected_at"] = Text("Thời điểm khảo sát quá xa trong quá khứ.",
                                      "collected_at is implausibly old.")
        return None
    return when


def _version_accepted(sent: str, current: str) -> bool:
    """The current version, or an older one: a household saved offline before the form changed is
    still sent, and its answers are checked against the current form like any other (the error
    then names the question). A newer or unknown version is refused: the server is behind."""
    if sent == current:
        return True
    return sent.isdigit() and current.isdigit() and len(sent) == len(current) and sent < current


def parse_instance_id(raw: Any, errors: dict[str, Text]) -> str | None:
    text = raw.strip() if isinstance(raw, str) else ""
    if text.startswith("uuid:"):
        text = text[5:]
    try:
        return str(uuid.UUID(text))
    except ValueError:
        errors["instance_id"] = Text("instance_id phải là một UUID do thiết bị tạo.",
                                     "instance_id must be a UUID made on the device.")
        return None


def parse_started_at(raw: Any, now: datetime, future_skew: timedelta,
                     errors: dict[str, Text]) -> datetime | None:
    """When the form was opened: optional (older clients and the plain form do not send it)."""
    if raw is None or raw == "":
        return None
    when = None
    if isinstance(raw, str):
        try:
            when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None or when.tzinfo is None or when.year < 2020 or \
            when.astimezone(UTC) > now + future_skew:
        errors["started_at"] = Text(
            "started_at phải là thời điểm ISO 8601 có múi giờ, không ở tương lai.",
            "started_at must be an ISO 8601 date-time with a time-zone offset, not in the future.")
        return None
    return when.astimezone(UTC)


def parse_supersedes(raw: Any, instance_id: str | None, errors: dict[str, Text]) -> str | None:
    """The instance_id of the submission a correction replaces (optional)."""
    if raw is None or raw == "":
        return None
    found: dict[str, Text] = {}
    original = parse_instance_id(raw, found)
    if original is None or original == instance_id:
        errors["supersedes"] = Text(
            "supersedes phải là instance_id (UUID) của phiếu được sửa, khác với phiếu này.",
            "supersedes must be the instance_id (a UUID) of the corrected submission, not this one.")
        return None
    return original


def parse_submission(payload: Any, *, now: datetime | None = None,
                     future_skew: timedelta = timedelta(minutes=10),
                     strict_relevance: bool = True) -> SubmissionInput:
    """Validate a submission payload completely, reporting every problem at once (422)."""
    now = now or utcnow()
    errors: dict[str, Text] = {}
    if not isinstance(payload, Mapping):
        raise Problem("422.1", errors={"body": Text("Nội dung phải là một đối tượng JSON.",
                                                    "The body must be a JSON object.")})
    for key in sorted(set(payload) - TOP_LEVEL_FIELDS):
        errors[key] = Text("Trường không được hỗ trợ.", "Unknown field.")
    instance_id = parse_instance_id(payload.get("instance_id"), errors)
    survey_name = payload.get("survey")
    definition = get_definition(survey_name) if isinstance(survey_name, str) else None
    if definition is None:
        errors["survey"] = Text("Không có phiếu khảo sát {v}.", "No survey named {v}.").format(
            v=repr(survey_name))
    version = payload.get("survey_version")
    if definition is not None and version is not None and not _version_accepted(
            str(version), definition.version):
        errors["survey_version"] = Text(
            "Phiên bản phiếu {v} không dùng được; phiên bản hiện tại là {cur}. Tải lại biểu mẫu.",
            "Survey version {v} cannot be used; the current one is {cur}. Reload the form.").format(
            v=version, cur=definition.version)
    village = payload.get("village")
    if not isinstance(village, str) or not village.strip():
        errors["village"] = Text("Cần chọn thôn.", "village is required (its slug).")
    commune = payload.get("commune")
    if commune is not None and not isinstance(commune, str):
        errors["commune"] = Text("commune phải là mã (slug) của xã.", "commune must be a slug.")
    collected_at = parse_collected_at(payload.get("collected_at"), now, future_skew, errors)
    location = _parse_location(payload.get("location"), errors)
    started_at = parse_started_at(payload.get("started_at"), now, future_skew, errors)
    supersedes = parse_supersedes(payload.get("supersedes"), instance_id, errors)
    raw_answers = payload.get("answers")
    answers: dict[str, Any] = {}
    if not isinstance(raw_answers, Mapping):
        errors["answers"] = Text("answers phải là một đối tượng JSON.",
                                 "answers must be a JSON object.")
    elif definition is not None:
        answers, answer_errors = validate_answers(definition, raw_answers,
                                                  strict_relevance=strict_relevance)
        errors.update(answer_errors)
    if errors:
        raise Problem("422.1", errors=errors)
    # Without errors every required part was parsed.
    assert instance_id is not None and definition is not None and collected_at is not None
    assert isinstance(village, str)
    return SubmissionInput(instance_id=instance_id, definition=definition,
                           commune_slug=commune, village_slug=village.strip(),
                           collected_at=collected_at, location=location,
                           answers=answers, started_at=started_at, supersedes=supersedes)


