"""The OpenAPI 3.1 description of /api/v1 (tests check every API route is described here)."""

from __future__ import annotations

from typing import Any

from surveys.collection.quality_flags import FLAG_CODES
from surveys.views.openapi_areas import AREA_PARAM, AREA_PATHS, AREA_SCHEMAS, COMMUNE_PARAM
from surveys.views.openapi_schemas import ERRORS, SCHEMAS, header, json_body, key_param, ref


def openapi_document() -> dict[str, Any]:
    submission = json_body(ref("Submission"), "The stored submission.")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Phủ Sóng API", "version": "1",
                 "description": "Household surveys for communes' digital-transformation plans. "
                                "Authenticate with `Authorization: Bearer TOKEN` "
                                "(`flask --app app create-token USERNAME`); browser sessions send "
                                "`X-CSRFToken` on writes."},
        "components": {
            "schemas": {**SCHEMAS, **AREA_SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/healthz": {"get": {"summary": "Liveness and database check", "security": [],
                                 "responses": {"200": {"description": "OK"}}}},
            "/api/v1/communes": {"get": {
                "summary": "Communes with their villages", "security": [],
                "responses": {"200": json_body({"type": "object", "properties": {
                    "communes": {"type": "array", "items": ref("Commune")}}}, "Communes")}}},
            "/api/v1/communes/{slug}": {"get": {
                "summary": "One commune with its villages", "security": [],
                "parameters": [{"name": "slug", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": json_body(ref("Commune"), "The commune"), "404": ERRORS["404"]}}},
            "/api/v1/surveys/{name}": {"get": {
                "summary": "A survey definition: questions, choices, rules, labels (vi, en)",
                "security": [],
                "parameters": [{"name": "name", "in": "path", "required": True,
                                "schema": {"type": "string", "examples": ["household"]}}],
                "responses": {"200": {"description": "The definition (ETag = name-version)"},
                              "404": ERRORS["404"]}}},
            "/api/v1/session": {"get": {
                "summary": "The logged-in user and a CSRF token for session writes",
                "responses": {"200": json_body(ref("Session"), "The logged-in user and a CSRF "
                                                               "token"),
                              "401": ERRORS["401"]}}},
            "/api/v1/submissions": {
                "post": {
                    "summary": "Submit a survey (idempotent on instance_id)",
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": ref("SubmissionIn")}}},
                    "responses": {
                        "201": {**submission, "description": "Stored."},
                        "200": {**submission, "description": "A replay of a stored submission "
                                                             "(same instance_id, same content)."},
                        "400": json_body(ref("Problem"), "Body is not JSON."),
                        "409": json_body(ref("Problem"), "instance_id known with different content."),
                        **ERRORS,
                    }},
                "get": {
                    "summary": "Submissions visible to the caller, newest first (staff: their "
                               "commune; surveyor: their own)",
                    "parameters": [
                        {"name": "page", "in": "query", "schema": {"type": "integer",
                                                                   "minimum": 1}},
                        {"name": "per_page", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                        {"name": "status", "in": "query", "schema": {"enum": [
                            "received", "approved", "has_issues", "rejected", "superseded"]}},
                        {"name": "flag", "in": "query",
                         "schema": {"enum": ["any", *FLAG_CODES]}},
                        {"name": "village", "in": "query", "schema": {"type": "string"},
                         "description": "Village slug"},
                        {"name": "surveyor", "in": "query", "schema": {"type": "string"},
                         "description": "Username"},
                        {"name": "since", "in": "query", "schema": {"type": "string",
                                                                    "format": "date"},
                         "description": "Collected on or after this day (Vietnam time)"},
                        {"name": "until", "in": "query", "schema": {"type": "string",
                                                                    "format": "date"},
                         "description": "Collected on or before this day (Vietnam time)"}],
                    "responses": {"200": json_body({"type": "object", "properties": {
                        "items": {"type": "array", "items": ref("Submission")},
                        "page": {"type": "integer"}, "per_page": {"type": "integer"},
                        "total": {"type": "integer"},
                        "next": {"type": ["string", "null"]}}}, "A page"), **ERRORS}},
            },
            "/api/v1/submissions/{id}": {"get": {
                "summary": "One submission",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {"200": submission, **ERRORS}},
                "patch": {
                    "summary": "Review a submission (staff of its commune, admins): a new status "
                               "with a reason, or a comment alone (docs/review.md)",
                    "parameters": [{"name": "id", "in": "path", "required": True,
                                    "schema": {"type": "integer"}}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "additionalProperties": False, "properties": {
                            "review_status": {"enum": ["approved", "has_issues", "rejected"]},
                            "reason": {"type": "string", "maxLength": 300,
                                       "description": "Required for has_issues and rejected."},
                            "comment": {"type": "string", "maxLength": 2000}}}}}},
                    "responses": {"200": {**submission, "description": "The reviewed submission."},
                                  "400": json_body(ref("Problem"), "Body is not JSON."),
                                  **ERRORS,
                                  "422": json_body(ref("Problem"), "Invalid input or a transition "
                                                                "not allowed from the current "
                                                                "status.")}}},
            "/api/v1/submissions/{id}/attachments": {"post": {
                "summary": "Attach the photo of an image question (idempotent per file)",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file", "question"],
                    "properties": {"file": {"type": "string", "format": "binary"},
                                   "question": {"type": "string", "examples": ["photo"]}}}}}},
                "responses": {"201": {"description": "Stored (re-encoded, metadata stripped)."},
                              "200": {"description": "The same file again: nothing new stored."},
                              "409": json_body(ref("Problem"), "Another file is already attached."),
                              **ERRORS}}},
            "/api/v1/submissions/{id}/attachments/{question}": {"get": {
                "summary": "The stored photo (JPEG); ?variant=thumb for the thumbnail",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "question", "in": "path", "required": True,
                     "schema": {"type": "string"}},
                    {"name": "variant", "in": "query", "schema": {"enum": ["full", "thumb"]}}],
                "responses": {"200": {"description": "image/jpeg",
                                      "content": {"image/jpeg": {}}}, **ERRORS}}},
            "/api/v1/indicators": {"get": {
                "summary": "Indicators of a commune (or village), or of an area (area=: plus "
                           "communes_with_data, households_share) with 95% intervals, targets and "
                           "status; ?format=csv|xlsx for a file (Vietnamese headers by default)",
                "parameters": [
                    COMMUNE_PARAM, AREA_PARAM,
                    {"name": "village", "in": "query", "schema": {"type": "string"}},
                    {"name": "period", "in": "query", "schema": {"type": "string",
                                                                 "examples": ["2026", "2026-Q4",
                                                                              "2026-11"]}},
                    {"name": "format", "in": "query", "schema": {"enum": ["json", "csv", "xlsx"]}}],
                "responses": {"200": json_body({"type": "object", "properties": {
                    "commune": {"type": "string"}, "village": {"type": ["string", "null"]},
                    "period": {"type": ["string", "null"]}, "households": {"type": "integer"},
                    "indicators": {"type": "array", "items": ref("IndicatorRow")}}},
                    "The indicator table"), **ERRORS}}},
            "/api/v1/indicators/trend": {"get": {
                "summary": "One indicator per month, quarter or year with data (a trend)",
                "parameters": [
                    {"name": "commune", "in": "query", "required": True,
                     "schema": {"type": "string"}},
                    {"name": "code", "in": "query", "required": True,
                     "schema": {"type": "string"}},
                    {"name": "by", "in": "query",
                     "schema": {"enum": ["month", "quarter", "year"], "default": "quarter"}},
                    {"name": "village", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "points: period, value, ci_low, ci_high, n"},
                              **ERRORS}}},
            "/api/v1/coverage/hexes": {"get": {
                "summary": "Coverage of a commune, or of an area (area=, resolution 7 by default "
                           "for a province), per H3 cell, from the rollups (GeoJSON; ETag, "
                           "If-None-Match gives 304; docs/maps.md)",
                "parameters": [
                    COMMUNE_PARAM, AREA_PARAM,
                    {"name": "technology", "in": "query", "schema": {"enum": ["4g", "5g"]}},
                    {"name": "operator", "in": "query", "schema": {"type": "string",
                                                                   "examples": ["viettel"]}},
                    {"name": "resolution", "in": "query",
                     "schema": {"type": "integer", "minimum": 6, "maximum": 10, "default": 8}},
                    {"name": "period", "in": "query", "schema": {"type": "string",
                                                                 "examples": ["2026", "2026-Q4",
                                                                              "2026-11"]}},
                    {"name": "bbox", "in": "query",
                     "description": "west,south,east,north in degrees: only the cells whose "
                                    "centres lie in this window (a map at street zoom); at most "
                                    "about 20,000 cells of the resolution asked",
                     "schema": {"type": "string", "examples": ["106.40,18.20,106.43,18.23"]}}],
                "responses": {"200": {"description": "FeatureCollection: one Polygon per cell with "
                                                     "h3, n, estimated, households, best_technology, "
                                                     "signal_class, median_rsrp_dbm, "
                                                     "median_download_mbps, median_upload_mbps, "
                                                     "operators, gap",
                                      "content": {"application/geo+json": {}}},
                              "304": {"description": "Unchanged since the ETag sent"}, **ERRORS}}},
            "/api/v1/indicators/map": {"get": {
                "summary": "One indicator for every village of a commune (GeoJSON; ETag)",
                "parameters": [
                    {"name": "commune", "in": "query", "required": True,
                     "schema": {"type": "string"}},
                    {"name": "code", "in": "query", "required": True,
                     "schema": {"type": "string"}},
                    {"name": "period", "in": "query", "schema": {"type": "string",
                                                                 "examples": ["2026", "2026-Q4",
                                                                              "2026-11"]}}],
                "responses": {"200": {"description": "FeatureCollection: one Point per village "
                                                     "(its centroid) with slug, name, code, value, "
                                                     "ci_low, ci_high, n, status, below_target",
                                      "content": {"application/geo+json": {}}},
                              "304": {"description": "Unchanged since the ETag sent"}, **ERRORS}}},
            "/api/v1/communes/{slug}/webhooks": {
                "get": {"summary": "Webhooks of a commune (staff of the commune, admins)",
                        "parameters": [{"name": "slug", "in": "path", "required": True,
                                        "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "webhooks and the known events"},
                                      **ERRORS}},
                "post": {"summary": "Register an HTTPS URL for submission.accepted / "
                                    "submission.reviewed; answers the signing secret once",
                         "parameters": [{"name": "slug", "in": "path", "required": True,
                                         "schema": {"type": "string"}}],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"type": "object", "required": ["url"], "properties": {
                                 "url": {"type": "string"},
                                 "events": {"type": "array", "items": {"type": "string"}}}}}}},
                         "responses": {"201": {"description": "Created, with its secret"},
                                       **ERRORS}}},
            "/api/v1/webhooks/{id}": {
                "delete": {"summary": "Remove a webhook (and its delivery log)",
                           "parameters": [{"name": "id", "in": "path", "required": True,
                                           "schema": {"type": "integer"}}],
                           "responses": {"204": {"description": "Removed"},
                                         "412": json_body(ref("Problem"),
                                                      "Tus-Resumable is not 1.0.0."),
                                         **ERRORS}}},
            "/api/v1/webhooks/{id}/deliveries": {
                "get": {"summary": "The delivery log: the 200 newest deliveries and their attempts",
                        "parameters": [{"name": "id", "in": "path", "required": True,
                                        "schema": {"type": "integer"}}],
                        "responses": {"200": {"description": "Deliveries"}, **ERRORS}}},
            "/api/v1/targets": {
                "get": {"summary": "Plan targets of a commune, or stored at an area's level",
                        "parameters": [COMMUNE_PARAM, AREA_PARAM],
                        "responses": {"200": json_body({"type": "object", "properties": {
                            "targets": {"type": "array", "items": ref("Target")}}}, "Targets"),
                            **ERRORS}},
                "post": {"summary": "Add a target (staff of the commune)",
                         "requestBody": {"required": True, "content": {
                             "application/json": {"schema": ref("Target")}}},
                         "responses": {"201": json_body(ref("Target"), "Created"), **ERRORS}}},
            "/api/v1/targets/{id}": {
                "patch": {"summary": "Change a target (staff of the commune)",
                          "parameters": [{"name": "id", "in": "path", "required": True,
                                          "schema": {"type": "integer"}}],
                          "responses": {"200": json_body(ref("Target"), "Updated"), **ERRORS}},
                "delete": {"summary": "Remove a target (staff of the commune)",
                           "parameters": [{"name": "id", "in": "path", "required": True,
                                           "schema": {"type": "integer"}}],
                           "responses": {"204": {"description": "Removed"},
                                         "412": json_body(ref("Problem"),
                                                      "Tus-Resumable is not 1.0.0."),
                                         **ERRORS}}},
            "/api/v1/coverage/uploads": {
                "post": {
                    "summary": "Upload a partner's measurement file (formats in "
                               "docs/coverage-formats.md; detected when `format` is absent)",
                    "requestBody": {"required": True, "content": {"multipart/form-data": {
                        "schema": {"type": "object", "required": ["file"], "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "format": {"type": "string", "examples": ["phusong-csv", "geojson"]},
                            "partner": {"type": "string",
                                        "description": "Admins only: the partner's slug."}}}}}},
                    "responses": {
                        "201": {"description": "Imported: id, format, rows, accepted, rejected, "
                                               "duplicates, warnings, errors_url"},
                        "200": {"description": "The same file again: the earlier upload."},
                        **ERRORS}},
                "get": {"summary": "The caller's uploads (partners: their own; admins: all)",
                        "responses": {"200": {"description": "uploads"}, **ERRORS}}},
            "/api/v1/coverage/uploads/{id}": {
                "get": {"summary": "One upload with its import's status (receiving, queued, "
                                   "importing, done, failed, cancelled), progress (rows read, "
                                   "accepted, rejected, bytes, seconds_left) and, when it failed, "
                                   "error (message and details by line)",
                        "parameters": [{"name": "id", "in": "path", "required": True,
                                        "schema": {"type": "integer"}}],
                        "responses": {"200": {"description": "The upload"}, **ERRORS}},
                "delete": {"summary": "Remove an upload and all it contributed (rollups too)",
                           "parameters": [{"name": "id", "in": "path", "required": True,
                                           "schema": {"type": "integer"}}],
                           "responses": {"204": {"description": "Removed"},
                                         "412": json_body(ref("Problem"),
                                                      "Tus-Resumable is not 1.0.0."),
                                         **ERRORS}}},
            "/api/v1/coverage/uploads/{id}/cancel": {"post": {
                "summary": "Cancel the import of a resumable upload: a queued job at once, an "
                           "importing one at its next batch of rows (nothing it read is kept)",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {"202": {"description": "The upload with its status and progress"},
                              "409": json_body(ref("Problem"), "The import has already ended."),
                              **ERRORS}}},
            "/api/v1/coverage/resumable": {"post": {
                "summary": "tus 1.0 creation: start a resumable upload of a coverage file (up to "
                           "COVERAGE_RESUMABLE_MAX_BYTES, .csv.gz accepted). Headers: "
                           "Tus-Resumable: 1.0.0, Upload-Length, Upload-Metadata (base64 values: "
                           "filename, optional format, sha256, partner for admins). OPTIONS gives "
                           "Tus-Version, Tus-Extension (creation,termination), Tus-Max-Size",
                "parameters": [header("Tus-Resumable"), header("Upload-Length"),
                               header("Upload-Metadata", required=False)],
                "responses": {"201": {"description": "Created; Location: "
                                                     "/api/v1/coverage/resumable/KEY"},
                              "412": json_body(ref("Problem"), "Tus-Resumable is not 1.0.0."),
                              "413": json_body(ref("Problem"), "Upload-Length is over the limit."),
                              **ERRORS}}},
            "/api/v1/coverage/resumable/{key}": {
                "head": {"summary": "tus: how many bytes the server holds (Upload-Offset)",
                         "parameters": [key_param(), header("Tus-Resumable")],
                         "responses": {"200": {"description": "Upload-Offset, Upload-Length"},
                                       "410": json_body(ref("Problem"), "The session expired."),
                                       "412": json_body(ref("Problem"), "Tus-Resumable is not 1.0.0."),
                                       **ERRORS}},
                "patch": {"summary": "tus: append bytes at Upload-Offset (Content-Type: "
                                     "application/offset+octet-stream). The last byte checks the "
                                     "SHA-256 and queues the import",
                          "parameters": [key_param(), header("Tus-Resumable"),
                                         header("Upload-Offset")],
                          "requestBody": {"required": True, "content": {
                              "application/offset+octet-stream": {
                                  "schema": {"type": "string", "format": "binary"}}}},
                          "responses": {"204": {"description": "Stored; Upload-Offset is the new "
                                                               "offset"},
                                        "409": json_body(ref("Problem"),
                                                     "Upload-Offset is not the server's offset."),
                                        "410": json_body(ref("Problem"), "The session expired."),
                                        "412": json_body(ref("Problem"),
                                                     "Tus-Resumable is not 1.0.0."),
                                        "413": json_body(ref("Problem"), "More than Upload-Length."),
                                        "415": json_body(ref("Problem"), "Wrong Content-Type."),
                                        **ERRORS}},
                "get": {"summary": "The session as JSON: offset, length, upload (the coverage "
                                   "upload's id once complete and queued, else null), status",
                        "parameters": [key_param()],
                        "responses": {"200": json_body({"type": "object", "properties": {
                            "offset": {"type": "integer"}, "length": {"type": "integer"},
                            "upload": {"type": ["integer", "null"]},
                            "status": {"type": "string", "enum": [
                                "receiving", "queued", "importing", "done", "failed",
                                "cancelled"]},
                            "upload_url": {"type": ["string", "null"]}}}, "The session"),
                            "410": json_body(ref("Problem"), "The session expired."), **ERRORS}},
                "delete": {"summary": "tus termination: drop the session and its bytes",
                           "parameters": [key_param(), header("Tus-Resumable")],
                           "responses": {"204": {"description": "Removed"},
                                         "412": json_body(ref("Problem"),
                                                      "Tus-Resumable is not 1.0.0."),
                                         **ERRORS}}},
            "/api/v1/coverage/uploads/{id}/errors": {"get": {
                "summary": "Rejected rows and dropped values as CSV: line, column, value, reason, "
                           "severity",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "text/csv", "content": {"text/csv": {}}},
                              **ERRORS}}},
            "/api/v1/open/{slug}": {"get": {
                "summary": "Open data of a commune, no login: indicators (value, 95% interval, n, "
                           "status), villages with at least OPEN_DATA_MIN_HOUSEHOLDS surveyed "
                           "households (others listed as suppressed, without numbers), coverage "
                           "hexagons (H3 resolution 8). No personal data; Cache-Control public "
                           "(docs/open-data.md)",
                "security": [],
                "parameters": [{"name": "slug", "in": "path", "required": True,
                                "schema": {"type": "string"}},
                               {"name": "period", "in": "query", "schema": {
                                   "type": "string", "examples": ["2026", "2026-Q4", "2026-11"]}}],
                "responses": {"200": json_body({"type": "object", "properties": {
                    "commune": {"type": "object"}, "period": {"type": ["string", "null"]},
                    "minimum_households": {"type": "integer"},
                    "suppressed": {"type": "boolean"},
                    "households": {"type": ["integer", "null"]},
                    "indicators": {"type": "array", "items": {"type": "object"}},
                    "villages": {"type": "array", "items": {"type": "object", "properties": {
                        "slug": {"type": "string"}, "name": {"type": "string"},
                        "suppressed": {"type": "boolean"},
                        "reason": {"enum": ["fewer_households", "complementary"]},
                        "households": {"type": "integer"},
                        "indicators": {"type": "array", "items": {"type": "object"}}}}},
                    "hexes": {"type": "object", "properties": {
                        "resolution": {"type": "integer"},
                        "cells": {"type": "array", "items": {"type": "object"}}}}}},
                    "Open data"), "404": ERRORS["404"], "422": ERRORS["422"]}}},
            "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                             "responses": {"200": {"description": "OpenAPI"}}}},
            **AREA_PATHS,
        },
    }
