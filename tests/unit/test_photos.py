"""Photos are verified, re-encoded and stripped of every piece of metadata (Decree 13/2023)."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from surveys.photos import (
    FilesystemPhotoStore,
    PhotoLimits,
    PhotoRejected,
    make_store,
    photo_key,
    process_photo,
)


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return degrees, minutes, round(((value - degrees) * 60 - minutes) * 60, 4)


def phone_jpeg(size: tuple[int, int] = (1200, 800), *, lat: float = 16.7939, lon: float = 107.0028,
               south_west: bool = False, orientation: int = 6) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows rotation
    exif = image.getexif()
    exif[0x010F] = "Xiaomi"
    exif[0x0110] = "Redmi 9A"
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:15:30"
    exif.get_ifd(0x8825).update({1: "S" if south_west else "N", 2: _dms(lat),
                                 3: "W" if south_west else "E", 4: _dms(lon)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"surveyor: Nguyen Van A")
    return buffer.getvalue()


def test_metadata_is_stripped_and_orientation_applied() -> None:
    photo = process_photo(phone_jpeg())
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(stored.info)
    assert b"Xiaomi" not in photo.data and b"Nguyen" not in photo.data
    assert (photo.width, photo.height) == (800, 1200)  # orientation 6: turned upright
    assert photo.gps == (pytest.approx(16.7939, abs=1e-4), pytest.approx(107.0028, abs=1e-4))
    assert photo.taken_at == datetime(2026, 11, 20, 9, 15, 30)
    thumb = Image.open(io.BytesIO(photo.thumbnail))
    assert max(thumb.size) <= 320 and dict(thumb.getexif()) == {}


def test_southern_and_western_coordinates_are_negative() -> None:
    photo = process_photo(phone_jpeg(lat=33.45, lon=70.66, south_west=True))
    assert photo.gps == (pytest.approx(-33.45, abs=1e-4), pytest.approx(-70.66, abs=1e-4))


def test_no_gps_and_zero_gps_give_none() -> None:
    plain = io.BytesIO()
    Image.new("RGB", (50, 50)).save(plain, "JPEG")
    assert process_photo(plain.getvalue()).gps is None
    assert process_photo(phone_jpeg(lat=0.0, lon=0.0)).gps is None


def test_large_photo_is_downscaled_and_png_alpha_flattened() -> None:
    big = io.BytesIO()
    Image.new("RGB", (6000, 4000), "green").save(big, "JPEG", quality=50)
    photo = process_photo(big.getvalue())
    assert max(photo.width, photo.height) == 1600
    png = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(png, "PNG")
    flat = Image.open(io.BytesIO(process_photo(png.getvalue()).data))
    assert flat.mode == "RGB" and flat.getpixel((10, 10)) >= (250, 250, 250)


def _png_header_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize(("data", "code", "limits"), [
    (b"", "empty", PhotoLimits()),
    (b"this is not an image at all", "not_an_image", PhotoLimits()),
    (phone_jpeg()[:2000], "corrupt", PhotoLimits()),
    (_png_header_claiming(50_000, 50_000), "too_many_pixels", PhotoLimits()),
    (phone_jpeg(), "too_large", PhotoLimits(max_bytes=1024)),
])
def test_bad_uploads_are_rejected_with_a_reason(data: bytes, code: str, limits: PhotoLimits) -> None:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(io.BytesIO(data), limits)
    assert caught.value.code == code
    assert caught.value.message_vi and caught.value.message_en


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_refused(fmt: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, fmt)
    with pytest.raises(PhotoRejected) as caught:
        process_photo(buffer.getvalue())
    assert caught.value.code == "unsupported_format"


def test_webp_is_accepted() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(buffer, "WEBP")
    assert process_photo(buffer.getvalue()).width == 64


def test_stream_is_read_only_up_to_the_limit() -> None:
    class Endless(io.RawIOBase):
        read_sizes: list[int] = []

        def read(self, size: int = -1) -> bytes:
            self.read_sizes.append(size)
            return b"x" * size

    stream = Endless()
    with pytest.raises(PhotoRejected):
        process_photo(stream, PhotoLimits(max_bytes=4096))  # type: ignore[arg-type]
    assert stream.read_sizes == [4097]


def test_filesystem_store(tmp_path: Path) -> None:
    store = make_store("filesystem", str(tmp_path))
    key = photo_key(123, "photo", "ab" * 32, "full")
    assert key == "submissions/000123/photo-abababababababab-full.jpg"
    store.put(key, b"jpeg-bytes", "image/jpeg")
    assert store.exists(key) and store.get(key) == b"jpeg-bytes"
    with store.open(key) as handle:
        assert handle.read() == b"jpeg-bytes"
    assert not list(tmp_path.rglob(".tmp-*"))  # written through a temporary file, then renamed
    store.delete(key)
    store.delete(key)  # deleting twice is fine
    with pytest.raises(KeyError):
        store.get(key)
    for bad in ("../escape.jpg", "/etc/passwd", "a\\b.jpg", "a/../../b.jpg", ""):
        with pytest.raises(ValueError):
            store.put(bad, b"x", "image/jpeg")
    with pytest.raises(ValueError, match="unknown photo store"):
        make_store("s3", "bucket")
    assert isinstance(store, FilesystemPhotoStore)
