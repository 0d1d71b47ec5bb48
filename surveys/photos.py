"""Photos: verify, re-encode and strip metadata with Pillow; store through a PhotoStore.

Decree 13/2023/NĐ-CP asks for the minimum personal data: a stored photo keeps no EXIF, GPS, camera,
comment or XMP. A GPS position in the original may fill a submission's missing location (read
before stripping); the photo itself never keeps it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 1600
    thumb_side: int = 320
    jpeg_quality: int = 80


class PhotoRejected(Exception):
    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class ProcessedPhoto:
    data: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str
    gps: tuple[float, float] | None
    taken_at: datetime | None
    content_type: str = "image/jpeg"


def _read_limited(stream: BinaryIO | bytes, limits: PhotoLimits) -> bytes:
    data = stream if isinstance(stream, bytes) else stream.read(limits.max_bytes + 1)
    if not data:
        raise PhotoRejected("empty", "Tệp ảnh rỗng.", "The photo file is empty.")
    if len(data) > limits.max_bytes:
        mb = limits.max_bytes / 1024 / 1024
        raise PhotoRejected("too_large", f"Ảnh quá lớn (tối đa {mb:g} MB).",
                            f"Photo too large (max {mb:g} MB).")
    return data


def _rational(value: object) -> float:
    return float(value)  # type: ignore[arg-type]


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(GPS_IFD)
        lat = sum(_rational(x) / 60**i for i, x in enumerate(gps[2]))
        lon = sum(_rational(x) / 60**i for i, x in enumerate(gps[4]))
        if str(gps.get(1, "N")).upper().startswith("S"):
            lat = -lat
        if str(gps.get(3, "E")).upper().startswith("W"):
            lon = -lon
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lat, 7), round(lon, 7)


def _taken_at(exif: Image.Exif) -> datetime | None:
    raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S") if raw else None
    except ValueError:
        return None


def _jpeg(image: Image.Image, side: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    # Pillow's JPEG writer falls back to image.info for comment, exif and icc_profile: empty it,
    # or a comment such as a surveyor's or a person's name survives the re-encoding.
    copy.info = {}
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def process_photo(stream: BinaryIO | bytes, limits: PhotoLimits = PhotoLimits()) -> ProcessedPhoto:
    data = _read_limited(stream, limits)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise PhotoRejected("unsupported_format",
                                        "Chỉ nhận ảnh JPEG, PNG hoặc WebP.",
                                        "Only JPEG, PNG or WebP photos are accepted.")
                width, height = probe.size
                if width * height > limits.max_pixels:
                    raise _too_many_pixels(limits)
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                exif = image.getexif()
                gps, taken_at = _gps(exif), _taken_at(exif)
                image.load()
                upright = _flatten(ImageOps.exif_transpose(image))
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(limits) from exc
        except UnidentifiedImageError as exc:
            raise PhotoRejected("not_an_image", "Tệp không phải là ảnh.",
                                "The file is not an image.") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise PhotoRejected("corrupt", "Ảnh bị hỏng hoặc không đọc được.",
                                "The photo is damaged or unreadable.") from exc
    full = _jpeg(upright, limits.max_side, limits.jpeg_quality)
    thumb = _jpeg(upright, limits.thumb_side, limits.jpeg_quality)
    with Image.open(io.BytesIO(full)) as stored:
        size = stored.size
    return ProcessedPhoto(data=full, thumbnail=thumb, width=size[0], height=size[1],
                          sha256=hashlib.sha256(data).hexdigest(), gps=gps, taken_at=taken_at)


def _too_many_pixels(limits: PhotoLimits) -> PhotoRejected:
    mp = limits.max_pixels / 1_000_000
    return PhotoRejected("too_many_pixels", f"Ảnh quá nhiều điểm ảnh (tối đa {mp:g} megapixel).",
                         f"Photo has too many pixels (max {mp:g} megapixels).")


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class FilesystemPhotoStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not key or "\\" in key or key.startswith("/") or ".." in parts:
            raise ValueError(f"invalid photo key {key!r}")
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"photo key {key!r} escapes the store")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a photo, a crash leaves no torn file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise KeyError(key) from exc

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise KeyError(key) from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


STORES: dict[str, Callable[[str], PhotoStore]] = {"filesystem": FilesystemPhotoStore}


def make_store(kind: str, location: str) -> PhotoStore:
    try:
        factory = STORES[kind]
    except KeyError:
        raise ValueError(f"unknown photo store {kind!r}; known: {', '.join(STORES)}") from None
    return factory(location)


def photo_key(submission_id: int, question: str, sha256: str, variant: str) -> str:
    return f"submissions/{submission_id:06d}/{question}-{sha256[:16]}-{variant}.jpg"
