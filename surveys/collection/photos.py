"""Photos: verify, re-encode and strip metadata with Pillow; store through a PhotoStore.

Decree 13/2023/NĐ-CP asks for the minimum personal data: a stored photo keeps no EXIF, GPS, camera,
comment, XMP or ICC profile. A GPS position in the original may fill a submission's missing location
(read before stripping); the photo itself never keeps it.

Pure domain code: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol, SupportsInt

from PIL import Image, UnidentifiedImageError

# Pillow openers the upload may go through. The JPEG one also yields "MPO", a JPEG carrying a second
# image (depth map, HDR gain map) as many phones shoot. HEIF only counts once a plugin (pillow-heif)
# registered it: Pillow alone cannot open HEIC.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112
DATETIME_ORIGINAL = 0x9003

# EXIF orientation → the transpose that turns the photo upright: the table ImageOps.exif_transpose uses.
# Not exif_transpose itself: it also re-serialises the EXIF (which we drop anyway) and raises TypeError
# or struct.error on a damaged tag, which would reject a readable photo over its metadata.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_MESSAGES = {
    "empty": ("Tệp ảnh rỗng.", "The photo file is empty."),
    "too_large": ("Ảnh quá lớn (tối đa {limit}).", "Photo too large (max {limit})."),
    "not_an_image": ("Tệp không phải là ảnh.", "The file is not an image."),
    "unsupported_format": ("Chỉ nhận ảnh JPEG, PNG hoặc WebP.",
                           "Only JPEG, PNG or WebP photos are accepted."),
    "too_many_pixels": ("Ảnh có độ phân giải quá cao (tối đa {limit} megapixel).",
                        "Photo resolution too high (max {limit} megapixels)."),
    "corrupt": ("Ảnh bị hỏng hoặc không đọc được.", "The photo is damaged or unreadable."),
}

# Pillow's decoders signal hostile or damaged input with any of these.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 1600  # longest side of the stored image, downscaled to fit
    thumb_side: int = 320
    jpeg_quality: int = 80


class PhotoRejected(Exception):
    """An upload that is not an acceptable photo; `code` is stable, the messages are for people."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en


def _reject(code: str, **params: object) -> PhotoRejected:
    vi, en = _MESSAGES[code]
    return PhotoRejected(code, vi.format(**params), en.format(**params))


@dataclass(frozen=True, kw_only=True)
class ProcessedPhoto:
    data: bytes  # JPEG, metadata-free, longest side <= max_side
    thumbnail: bytes  # JPEG, longest side <= thumb_side
    width: int
    height: int
    content_type: str = "image/jpeg"
    sha256: str  # hex digest of the ORIGINAL upload: a re-upload of the same file is recognised
    gps: tuple[float, float] | None  # (lat, lon) from the original EXIF
    taken_at: datetime | None  # EXIF DateTimeOriginal, naive (the camera's local time)


def process_photo(stream: BinaryIO | bytes, limits: PhotoLimits = PhotoLimits()) -> ProcessedPhoto:
    """Check an upload and return it re-encoded as metadata-free JPEGs, or raise PhotoRejected."""
    data = _read_at_most(stream, limits.max_bytes)
    if not data:
        raise _reject("empty")
    if len(data) > limits.max_bytes:
        raise _reject("too_large", limit=_human_size(limits.max_bytes))
    with warnings.catch_warnings():
        # Pillow warns about damaged EXIF (harmless: it is dropped) and, above ~89 Mpx, about
        # decompression bombs (our too_many_pixels). Neither may escape: pytest runs with -W error.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image, gps, taken_at = _decode(data, limits)
        except UnidentifiedImageError as exc:
            raise _unidentified(data) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(limits) from exc
        except _DECODE_ERRORS as exc:
            raise _reject("corrupt") from exc
        thumbnail = _fit(image, limits.thumb_side)
        return ProcessedPhoto(
            data=_jpeg(image, limits.jpeg_quality), thumbnail=_jpeg(thumbnail, limits.jpeg_quality),
            width=image.width, height=image.height, sha256=hashlib.sha256(data).hexdigest(),
            gps=gps, taken_at=taken_at)


def _read_at_most(stream: BinaryIO | bytes, max_bytes: int) -> bytes:
    """max_bytes + 1 bytes at most: enough to tell "too large" without holding an unbounded body."""
    if isinstance(stream, bytes):
        return stream
    chunks: list[bytes] = []
    remaining = max_bytes + 1
    while remaining > 0:  # a raw stream may return fewer bytes than asked before its end
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _openers() -> list[str]:
    Image.init()  # loads every plugin once; Image.open(formats=...) raises KeyError on unknown names
    return [name for name in ACCEPTED_FORMATS if name in Image.OPEN]


def _decode(data: bytes, limits: PhotoLimits
            ) -> tuple[Image.Image, tuple[float, float] | None, datetime | None]:
    # Only the accepted formats' parsers see the upload: less of Pillow exposed to hostile files.
    formats = _openers()
    with Image.open(io.BytesIO(data), formats=formats) as probe:
        if probe.width * probe.height > limits.max_pixels:  # from the header, before any decoding
            raise _too_many_pixels(limits)
        probe.verify()
    with Image.open(io.BytesIO(data), formats=formats) as image:  # verify() used the probe up
        exif = _exif(image)
        # JPEG only: libjpeg decodes straight at 1/2, 1/4 or 1/8 scale, still covering max_side.
        image.draft("RGB", (limits.max_side, limits.max_side))
        fitted = _fit(_resizable(image), limits.max_side)  # a new, small image, outliving the file
    orientation = _int(exif.get(ORIENTATION))
    transpose = _UPRIGHT.get(orientation) if orientation is not None else None
    upright = fitted.transpose(transpose) if transpose is not None else fitted
    return _flatten(upright), _gps(exif), _taken_at(exif)


def _unidentified(data: bytes) -> PhotoRejected:
    """Pillow parsed none of the accepted formats: the first bytes tell why."""
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
            data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return _reject("corrupt")  # an accepted format, damaged (e.g. cut off) within its header
    # GIF, BMP, TIFF, and ISO-BMFF ("ftyp": HEIC, AVIF, also videos).
    if data.startswith((b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")) or data[4:8] == b"ftyp":
        return _reject("unsupported_format")
    return _reject("not_an_image")


def _too_many_pixels(limits: PhotoLimits) -> PhotoRejected:
    return _reject("too_many_pixels", limit=f"{round(limits.max_pixels / 1_000_000, 1):g}")


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{round(n / 1024 / 1024, 1):g} MB"
    return f"{round(n / 1024, 1):g} KB"


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _resizable(image: Image.Image) -> Image.Image:
    """RGB(A) or L(A) before resampling: palette and 1-bit images resize only by nearest neighbour, and
    a colour-key transparency (PNG tRNS) would no longer match once pixels are interpolated."""
    if image.mode in ("RGB", "RGBA", "L", "LA") and "transparency" not in image.info:
        return image
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def _fit(image: Image.Image, side: int) -> Image.Image:
    """A new image whose longest side is at most `side` (never enlarged)."""
    scale = side / max(image.size)
    if scale >= 1:
        return image.copy()
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, transparency on white (a transparent PNG would otherwise turn black in JPEG)."""
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    # Pillow's JPEG writer falls back to image.info for the comment (exif, icc_profile and xmp come
    # only from save() arguments in Pillow 13): empty it so a comment such as a person's name never
    # survives. Passing no exif/icc_profile/xmp writes none.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _exif(image: Image.Image) -> Image.Exif:
    try:
        return image.getexif()
    except Exception:  # damaged metadata never rejects a readable photo: it is dropped anyway
        return Image.Exif()


def _int(value: object) -> int | None:
    if not isinstance(value, SupportsInt | str | bytes):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(lat, lon) in decimal degrees, south and west negative; None if absent, damaged or 0,0."""
    try:
        gps = exif.get_ifd(GPS_IFD)
        lat = sum(float(x) / 60**i for i, x in enumerate(gps[2]))
        lon = sum(float(x) / 60**i for i, x in enumerate(gps[4]))
        if _ref(gps.get(1)) == "S":
            lat = -lat
        if _ref(gps.get(3)) == "W":
            lon = -lon
    except Exception:  # best effort, as above: any damage means no location
        return None
    # NaN (a zero denominator) fails the range test; 0,0 is a phone without a fix, not the Gulf of Guinea.
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lat, 7), round(lon, 7)


def _ref(value: object) -> str:
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")
    return text.strip("\x00 ").upper()[:1]


def _taken_at(exif: Image.Exif) -> datetime | None:
    try:
        raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S") if raw else None
    except Exception:  # "0000:00:00 00:00:00", garbage or a damaged IFD
        return None


# --- Storage -----------------------------------------------------------------------------------


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """The stored bytes; KeyError if missing."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable binary file; KeyError if missing."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing key is fine."""
        ...

    def exists(self, key: str) -> bool: ...


class FilesystemPhotoStore:
    """Photos as files under a root directory; keys are relative POSIX paths."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not key or "\\" in key or "\x00" in key or key.startswith("/") or ".." in parts:
            raise ValueError(f"invalid photo key {key!r}")
        path = (self.root / key).resolve()
        if self.root not in path.parents:  # also catches a symlink pointing out of the root
            raise ValueError(f"photo key {key!r} escapes the store")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write, fsync, then rename: a reader never sees half a photo, a crash leaves no torn file.
        # mkstemp creates the file 0600: photos are personal data, only the app's user reads them.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
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


# Backends by name (the PHOTO_STORE setting); an S3-compatible one can register here later.
STORES: dict[str, Callable[[str], PhotoStore]] = {"filesystem": FilesystemPhotoStore}


def make_store(kind: str, location: str) -> PhotoStore:
    try:
        factory = STORES[kind]
    except KeyError:
        raise ValueError(f"unknown photo store {kind!r}; known: {', '.join(sorted(STORES))}") from None
    return factory(location)


# XLSForm question names are XML names (letters, digits, _ . -); anything else must not reach a path.
_QUESTION_NAME = re.compile(r"[^\W\d][\w.-]*")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def photo_key(submission_id: int, question: str, sha256: str, variant: str) -> str:
    """E.g. "submissions/000123/photo-<sha[:16]>-full.jpg"; variant is "full" or "thumb"."""
    if variant not in ("full", "thumb"):
        raise ValueError(f"unknown photo variant {variant!r}")
    if not _QUESTION_NAME.fullmatch(question):
        raise ValueError(f"invalid question name {question!r}")
    if not _SHA256_HEX.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lowercase hex digits")
    return f"submissions/{submission_id:06d}/{question}-{sha256[:16]}-{variant}.jpg"
