"""The pieces of the OpenAPI description: schemas of the API's bodies, shared errors and helpers."""

from __future__ import annotations

from typing import Any

from surveys.collection.quality_flags import FLAG_CODES


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def header(name: str, *, required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "schema": {"type": "string"}}


def key_param() -> dict[str, Any]:
    return {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}


ERRORS = {
    "400": json_body(ref("Problem"), "Malformed request: the body is not JSON (or nests deeper than 64 "
                 "levels), or the form is not multipart."),
    "401": json_body(ref("Problem"), "No, invalid or revoked token (and no logged-in session)."),
    "403": json_body(ref("Problem"), "The caller's role or commune may not do this."),
    "404": json_body(ref("Problem"), "Not found, or not visible to the caller."),
    "422": json_body(ref("Problem"), "Invalid input; `errors` names each field or question at fault."),
}

SCHEMAS: dict[str, Any] = {
    "Session": {
        "type": "object",
        "required": ["username", "role", "commune", "area", "csrf_token"],
        "properties": {
            "username": {"type": "string"},
            "role": {"type": "string", "enum": ["surveyor", "partner", "staff", "admin"]},
            "commune": {"type": ["string", "null"], "description": "The slug of the user's commune."},
            "area": {"type": ["object", "null"], "required": ["slug", "name", "level"],
                     "description": "The province or group of communes a staff member of one "
                                    "belongs to; null for everyone else (a commune's user: "
                                    "`commune`).",
                     "properties": {"slug": {"type": "string"}, "name": {"type": "string"},
                                    "level": {"type": "string", "enum": ["province", "group"]}}},
            "csrf_token": {"type": "string", "description": "Send it as X-CSRFToken on writes."},
        },
    },
    "Problem": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "examples": ["422.1"],
                     "description": "Stable code from the error catalogue (surveys/errors.py)."},
            "message": {"type": "string", "description": "Vietnamese unless Accept-Language: en."},
            "errors": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Message per field, question (`answers` keys) or "
                                      "`location.lat`-style path."},
        },
    },
    "Village": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "centroid": {"type": ["object", "null"],
                         "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
            "household_count": {"type": ["integer", "null"]},
            "demo": {"type": "boolean"},
        },
    },
    "Commune": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "province": {"type": "string"}, "code": {"type": ["string", "null"]},
            "demo": {"type": "boolean"},
            "villages": {"type": "array", "items": ref("Village")},
        },
    },
    "Location": {
        "type": "object",
        "required": ["lat", "lon"],
        "properties": {
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "accuracy_m": {"type": ["number", "null"], "minimum": 0},
        },
    },
    "SubmissionIn": {
        "type": "object",
        "required": ["instance_id", "survey", "village", "collected_at", "answers"],
        "additionalProperties": False,
        "properties": {
            "instance_id": {"type": "string", "format": "uuid",
                            "description": "Made on the device; the idempotency key."},
            "survey": {"type": "string", "examples": ["household"]},
            "survey_version": {"type": "string",
                               "description": "Optional; must be the current version if given."},
            "commune": {"type": "string",
                        "description": "Commune slug; needed only for users without a commune."},
            "village": {"type": "string", "description": "Village slug in the commune."},
            "collected_at": {"type": "string", "format": "date-time",
                             "description": "With a time-zone offset; not in the future."},
            "location": {"oneOf": [ref("Location"), {"type": "null"}],
                         "description": "Phone GPS; null when refused (the village stands in)."},
            "answers": {"type": "object",
                        "description": "Question name → answer; select_multiple as arrays of "
                                       "choice names. See GET /api/v1/surveys/{name}."},
            "started_at": {"type": "string", "format": "date-time",
                           "description": "Optional: when the form was opened (the too_fast "
                                          "flag, docs/quality.md)."},
            "supersedes": {"type": "string", "format": "uuid",
                           "description": "Optional: the instance_id of the caller's own "
                                          "submission this one corrects; the original becomes "
                                          "`superseded` (kept, no longer counted)."},
        },
    },
    "IndicatorRow": {
        "type": "object",
        "properties": {
            "code": {"type": "string"}, "name": {"type": "object"},
            "unit": {"enum": ["household", "adult", "smartphone_user", "village", "area"]},
            "value": {"type": ["number", "null"], "description": "Percent."},
            "ci_low": {"type": ["number", "null"]}, "ci_high": {"type": ["number", "null"]},
            "numerator": {"type": "number"}, "denominator": {"type": "number"},
            "n": {"type": "integer", "description": "Households, villages or cells behind it."},
            "weighted": {"type": "boolean"},
            "households_share": {"type": ["number", "null"],
                                 "description": "When weighted: % of the commune's households "
                                                "living in the surveyed villages."},
            "target": {"type": ["number", "null"]},
            "comparator": {"enum": [">=", ">", "=", None]},
            "target_year": {"type": ["integer", "null"]},
            "status": {"enum": ["met", "on_track", "behind", "insufficient_data", "baseline",
                                None]},
            "source": {"type": ["string", "null"]},
        },
    },
    "Target": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "commune": {"type": ["string", "null"]},
            "area": {"type": ["string", "null"], "description": "The commune, group or province"},
            "indicator": {"type": "string"}, "comparator": {"enum": [">=", ">", "=", None]},
            "value": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
            "target_year": {"type": ["integer", "null"]},
            "baseline_value": {"type": ["number", "null"]},
            "baseline_year": {"type": ["integer", "null"]},
            "start_year": {"type": ["integer", "null"],
                           "description": "The plan's first year: the trajectory runs from the "
                                          "baseline at its start to the target."},
            "source_document": {"type": "string"}, "source_article": {"type": "string"},
            "source_text": {"type": "string"},
        },
    },
    "Submission": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "instance_id": {"type": "string"},
            "survey": {"type": "string"}, "survey_version": {"type": "string"},
            "commune": {"type": "string"}, "village": {"type": "string"},
            "surveyor": {"type": "string"},
            "collected_at": {"type": "string", "format": "date-time"},
            "received_at": {"type": "string", "format": "date-time"},
            "location": {"type": ["object", "null"]},
            "answers": {"type": "object"},
            "review_status": {"enum": ["received", "approved", "has_issues", "rejected",
                                       "superseded"]},
            "review_reason": {"type": ["string", "null"]},
            "flags": {"type": "array", "items": {"enum": list(FLAG_CODES)},
                      "description": "Quality flag codes computed on arrival (docs/quality.md)."},
            "flag_details": {"type": "object",
                             "description": "Per flag code: the values it rests on."},
            "supersedes": {"type": ["string", "null"],
                           "description": "instance_id of the submission this one corrects."},
            "attachments": {"type": "array", "items": {"type": "object"}},
        },
    },
}
