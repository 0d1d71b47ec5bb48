"""Services configured for this app: the photo store, photo limits, clock skew."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from surveys.collection.photos import PhotoLimits, PhotoStore, make_store
from surveys.collection.quality import QualityLimits


def photo_store() -> PhotoStore:
    store = current_app.extensions.get("phusong.photo_store")
    if store is None:
        store = make_store(current_app.config["PHOTO_STORE"], current_app.config["UPLOAD_DIR"])
        current_app.extensions["phusong.photo_store"] = store
    return store


def photo_limits() -> PhotoLimits:
    return PhotoLimits(max_bytes=current_app.config["PHOTO_MAX_BYTES"],
                       max_pixels=current_app.config["PHOTO_MAX_PIXELS"])


def future_skew() -> timedelta:
    return timedelta(minutes=current_app.config["FUTURE_SKEW_MINUTES"])


def quality_limits() -> QualityLimits:
    config = current_app.config
    return QualityLimits(gps_max_accuracy_m=config["QUALITY_GPS_MAX_ACCURACY_M"],
                         village_max_km=config["QUALITY_VILLAGE_MAX_KM"],
                         duplicate_metres=config["QUALITY_DUPLICATE_METRES"],
                         min_seconds=config["QUALITY_MIN_SECONDS"],
                         max_days_before_round=config["QUALITY_MAX_DAYS_BEFORE_ROUND"])
