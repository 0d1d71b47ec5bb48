"""The OpenAPI description of the areas' routes (issue 16): provinces, groups of communes and
communes; merged into surveys/views/openapi.py's document."""

from __future__ import annotations

from typing import Any

from surveys.views.openapi_schemas import ERRORS, json_body, ref

AREA_PARAM = {"name": "area", "in": "query", "schema": {"type": "string"},
              "description": "Slug of a province, a group of communes or a commune "
                             "(instead of commune)"}
COMMUNE_PARAM = {"name": "commune", "in": "query", "schema": {"type": "string"},
                 "description": "Commune slug (required unless area is given)"}
PERIOD_PARAM = {"name": "period", "in": "query",
                "schema": {"type": "string", "examples": ["2026", "2026-Q4", "2026-11"]}}
NULLABLE_STRING = {"type": ["string", "null"]}
LEVEL = {"enum": ["province", "group", "commune"]}

AREA_SCHEMAS: dict[str, Any] = {
    "Area": {
        "type": "object", "required": ["slug", "name", "level", "code", "parent", "children"],
        "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"}, "level": LEVEL,
            "code": NULLABLE_STRING, "parent": NULLABLE_STRING,
            "children": {"type": "array", "items": {"type": "object", "properties": {
                "slug": {"type": "string"}, "name": {"type": "string"},
                "level": {"enum": ["group", "commune", "village"]}}}},
            "groups": {"type": "array", "items": {"type": "string"}}}},
    "CommuneOutline": {
        "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "geometry": {"type": ["object", "null"],
                         "description": "GeoJSON Polygon or MultiPolygon, 5 decimals"},
            "properties": {"type": "object", "required": ["slug", "name", "dashboard_url"],
                           "properties": {"slug": {"type": "string"}, "name": {"type": "string"},
                                          "dashboard_url": {"type": "string"}}}}},
    "CommuneValue": {
        "type": "object", "required": ["slug", "name", "value", "ci_low", "ci_high", "n", "status"],
        "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"},
            "value": {"type": ["number", "null"]}, "ci_low": {"type": ["number", "null"]},
            "ci_high": {"type": ["number", "null"]}, "n": {"type": "integer"},
            "status": NULLABLE_STRING}},
}

AREA_PATHS: dict[str, Any] = {
    "/api/v1/areas": {"get": {
        "summary": "The areas the caller may read, as a tree: provinces with their groups of "
                   "communes and communes (docs/areas.md)",
        "responses": {"200": json_body({"type": "object", "properties": {
            "areas": {"type": "array", "items": {"type": "object", "properties": {
                "slug": {"type": "string"}, "name": {"type": "string"}, "level": LEVEL,
                "code": NULLABLE_STRING,
                "groups": {"type": "array", "items": {"type": "object"}},
                "communes": {"type": "array", "items": {"type": "object"}}}}}}},
            "The tree"), "401": ERRORS["401"]}}},
    "/api/v1/areas/{slug}": {"get": {
        "summary": "One area of any level: slug, name, level, code, parent and children",
        "parameters": [{"name": "slug", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": json_body(ref("Area"), "The area"), "401": ERRORS["401"],
                      "403": ERRORS["403"], "404": ERRORS["404"]}}},
    "/api/v1/areas/{slug}/boundaries": {"get": {
        "summary": "The outlines of the area's communes for its map: a GeoJSON FeatureCollection "
                   "(`area`, `level`; per commune `slug`, `name`, `dashboard_url`, geometry "
                   "simplified to ~55 m, null without a boundary). Cache-Control private, "
                   "max-age=3600; ETag, If-None-Match gives 304; gzip or br when accepted",
        "parameters": [{"name": "slug", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The communes' outlines",
                              "content": {"application/geo+json": {"schema": {
                                  "type": "object", "required": ["type", "features"],
                                  "properties": {
                                      "type": {"const": "FeatureCollection"},
                                      "area": {"type": "string"}, "level": LEVEL,
                                      "features": {"type": "array", "items": ref(
                                          "CommuneOutline")}}}}}},
                      "304": {"description": "Unchanged since the ETag sent"},
                      "401": ERRORS["401"], "403": ERRORS["403"], "404": ERRORS["404"]}}},
    "/api/v1/indicators/communes": {"get": {
        "summary": "One indicator for every commune of an area, best first (the ranking); "
                   "value null without data",
        "parameters": [AREA_PARAM, COMMUNE_PARAM,
                       {"name": "code", "in": "query", "required": True,
                        "schema": {"type": "string", "examples": ["hh_4g_home"]}},
                       PERIOD_PARAM],
        "responses": {"200": json_body({"type": "object", "required": ["communes"], "properties": {
            "area": {"type": "string"}, "level": LEVEL, "code": {"type": "string"},
            "period": NULLABLE_STRING,
            "communes": {"type": "array", "items": ref("CommuneValue")}}}, "The ranking"),
            **ERRORS}}},
}
