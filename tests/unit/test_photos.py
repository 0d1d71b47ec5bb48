"""Photos are verified, re-encoded and stripped of every piece of metadata (Decree 13/2023)."""

from __future__ import annotations

import ast
import hashlib
import io
import os
import struct
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageOps
from PIL.TiffImagePlugin import IFDRational

from surveys.collection import photos
from surveys.collection.photos import (
    STORES,
    FilesystemPhotoStore,
    PhotoLimits,
    PhotoRejected,
    make_store,
    photo_key,
    process_photo,
)

SHA = "ab" * 32


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return degrees, minutes, round(((value - degrees) * 60 - minutes) * 60, 4)


def phone_jpeg(size: tuple[int, int] = (1200, 800), *, lat: float = 16.7939, lon: float = 107.0028,
               south_west: bool = False, orientation: int = 6, fmt: str = "JPEG") -> bytes:
    """A phone photo of Cam Lộ, Quảng Trị: GPS, camera, time, rotation, comment, ICC and XMP."""
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
    extra = {"save_all": True, "append_images": [image.resize((60, 40))]} if fmt == "MPO" else {}
    image.save(buffer, fmt, exif=exif, comment=b"surveyor: Nguyen Van A",
               icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
               xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Nguyen Van A</x:xmpmeta>', **extra)
    return buffer.getvalue()


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def test_metadata_is_stripped_and_orientation_applied() -> None:
    original = phone_jpeg()
    assert b"Xiaomi" in original and b"Nguyen" in original  # the fixture does carry metadata
    photo = process_photo(original)
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG" and stored.mode == "RGB" and stored.info.get("progressive")
    assert dict(stored.getexif()) == {}
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(stored.info)
    assert b"Xiaomi" not in photo.data and b"Nguyen" not in photo.data
    assert (photo.width, photo.height) == stored.size == (800, 1200)  # orientation 6: turned upright
    assert stored.getpixel((400, 50))[2] > 150  # the blue (left) half is now on top
    assert photo.gps == (pytest.approx(16.7939, abs=1e-4), pytest.approx(107.0028, abs=1e-4))
    assert photo.taken_at == datetime(2026, 11, 20, 9, 15, 30)
    assert photo.content_type == "image/jpeg"
    thumb = Image.open(io.BytesIO(photo.thumbnail))
    assert thumb.size == (213, 320) and dict(thumb.getexif()) == {}
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(thumb.info)


def test_sha256_is_of_the_original_upload() -> None:
    original = phone_jpeg()
    photo = process_photo(io.BytesIO(original))
    assert photo.sha256 == hashlib.sha256(original).hexdigest()
    assert process_photo(original) == photo  # same upload, same result: re-uploads are idempotent


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillows_exif_transpose(orientation: int) -> None:
    original = phone_jpeg((120, 80), orientation=orientation)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(original)))
    stored = Image.open(io.BytesIO(process_photo(original).data))
    assert stored.size == expected.size
    for x, y in ((5, 5), (stored.width - 5, 5), (5, stored.height - 5)):
        assert abs(stored.getpixel((x, y))[2] - expected.getpixel((x, y))[2]) < 40


def test_mpo_phone_photo_is_a_jpeg() -> None:
    # Phones storing a depth map or HDR gain map write MPO; Pillow does not call it JPEG.
    original = phone_jpeg(fmt="MPO")
    assert Image.open(io.BytesIO(original)).format == "MPO"
    photo = process_photo(original)
    assert (photo.width, photo.height) == (800, 1200) and photo.gps is not None
    assert b"Xiaomi" not in photo.data


def test_damaged_exif_does_not_reject_a_readable_photo() -> None:
    image = Image.new("RGB", (60, 40), "white")
    exif = image.getexif()
    exif[0x010F] = "Xiaomi" * 20
    exif[0x0112] = 6
    # Cut off: Pillow warns "Corrupt EXIF data" and ImageOps.exif_transpose would raise.
    photo = process_photo(encoded(image, "JPEG", exif=exif.tobytes()[:40]))
    assert photo.gps is None and photo.taken_at is None
    assert Image.open(io.BytesIO(photo.data)).getexif() == {}


def test_southern_and_western_coordinates_are_negative() -> None:
    photo = process_photo(phone_jpeg(lat=33.45, lon=70.66, south_west=True))
    assert photo.gps == (pytest.approx(-33.45, abs=1e-4), pytest.approx(-70.66, abs=1e-4))


def test_no_gps_zero_gps_and_bad_gps_give_none() -> None:
    assert process_photo(encoded(Image.new("RGB", (50, 50)), "JPEG")).gps is None
    assert process_photo(phone_jpeg(lat=0.0, lon=0.0)).gps is None
    assert process_photo(phone_jpeg(lat=95.0, lon=107.0)).gps is None
    image = Image.new("RGB", (50, 50))
    exif = image.getexif()
    exif.get_ifd(0x8825).update({1: "N", 2: (IFDRational(16, 0), 0, 0), 3: "E", 4: (107.0, 0.0, 0.0)})
    exif.get_ifd(0x8769)[0x9003] = "0000:00:00 00:00:00"
    photo = process_photo(encoded(image, "JPEG", exif=exif))
    assert photo.gps is None and photo.taken_at is None  # 16/0 degrees; a date that never was
    image = Image.new("RGB", (50, 50))  # getexif() is cached per image: start afresh
    exif = image.getexif()
    exif.get_ifd(0x8825).update({1: "N", 2: (16.0, 47.0, 38.0)})  # no longitude
    assert process_photo(encoded(image, "JPEG", exif=exif)).gps is None


def test_large_photo_is_downscaled() -> None:
    photo = process_photo(encoded(Image.new("RGB", (6000, 4000), "green"), "JPEG", quality=50))
    assert (photo.width, photo.height) == (1600, 1067)
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) == 320
    small = process_photo(encoded(Image.new("RGB", (200, 100), "green"), "PNG"))
    assert (small.width, small.height) == (200, 100)  # never enlarged


@pytest.mark.parametrize(("image", "params"), [
    (Image.new("RGBA", (300, 200), (0, 0, 0, 0)), {}),
    (Image.new("LA", (300, 200), (0, 0)), {}),
    (Image.new("P", (300, 200), 0), {"transparency": 0}),
    (Image.new("RGB", (300, 200), (0, 0, 0)), {"transparency": (0, 0, 0)}),
], ids=["RGBA", "LA", "P-tRNS", "RGB-tRNS"])
def test_transparency_is_flattened_on_white(image: Image.Image, params: dict[str, object]) -> None:
    flat = Image.open(io.BytesIO(process_photo(encoded(image, "PNG", **params)).data))
    assert flat.mode == "RGB" and flat.getpixel((150, 100)) >= (250, 250, 250)


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpegs_become_rgb(mode: str) -> None:
    photo = process_photo(encoded(Image.new(mode, (2000, 100)), "JPEG"))
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.mode == "RGB" and stored.size == (1600, 80)


def test_webp_is_accepted() -> None:
    photo = process_photo(encoded(Image.new("RGBA", (64, 48), (0, 0, 128, 255)), "WEBP"))
    assert (photo.width, photo.height) == (64, 48)
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_refused(fmt: str) -> None:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(encoded(Image.new("RGB", (20, 20)), fmt))
    assert caught.value.code == "unsupported_format"


def test_heic_is_refused_when_pillow_cannot_open_it() -> None:
    heic = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(PhotoRejected) as caught:
        process_photo(heic)
    assert caught.value.code == "unsupported_format"


def _png_claiming(width: int, height: int) -> bytes:
    """A 60-byte PNG whose header claims width×height pixels and whose data is empty: decoding it
    would fail as corrupt, so too_many_pixels shows the size was checked before any decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize(("width", "height"), [
    (10_000, 5_000),  # over our 40 Mpx, under Pillow's own limit
    (10_000, 10_000),  # Pillow's DecompressionBombWarning band
    (50_000, 50_000),  # Pillow's DecompressionBombError
])
def test_too_many_pixels_is_refused_before_decoding(width: int, height: int) -> None:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(_png_claiming(width, height))
    assert caught.value.code == "too_many_pixels"
    assert caught.value.message_en == "Photo resolution too high (max 40 megapixels)."


def test_pixel_limit_is_configurable() -> None:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(encoded(Image.new("RGB", (200, 100)), "PNG"), PhotoLimits(max_pixels=10_000))
    assert caught.value.code == "too_many_pixels"


@pytest.mark.parametrize(("data", "code", "limits"), [
    (b"", "empty", PhotoLimits()),
    (b"this is not an image at all", "not_an_image", PhotoLimits()),
    (phone_jpeg()[:400], "corrupt", PhotoLimits()),  # cut inside the headers
    (phone_jpeg()[:-2000], "corrupt", PhotoLimits()),  # cut inside the picture data
    (encoded(Image.new("RGB", (300, 200)), "PNG")[:60], "corrupt", PhotoLimits()),
    (phone_jpeg(), "too_large", PhotoLimits(max_bytes=1024)),
], ids=["empty", "garbage", "jpeg-header-cut", "jpeg-data-cut", "png-cut", "too-large"])
def test_bad_uploads_are_rejected_with_a_reason(data: bytes, code: str, limits: PhotoLimits) -> None:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(io.BytesIO(data), limits)
    assert caught.value.code == code
    assert caught.value.message_vi and caught.value.message_en
    assert str(caught.value) == caught.value.message_en


def test_messages_are_bilingual_and_name_the_limit() -> None:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(b"x" * (10 * 1024 * 1024 + 1))
    assert caught.value.message_vi == "Ảnh quá lớn (tối đa 10 MB)."
    assert str(caught.value) == "Photo too large (max 10 MB)."
    with pytest.raises(PhotoRejected) as caught:
        process_photo(phone_jpeg(), PhotoLimits(max_bytes=1024))
    assert caught.value.message_en == "Photo too large (max 1 KB)."


class Trickle(io.RawIOBase):
    """A raw stream that records its reads and answers with at most `chunk` bytes at a time."""

    def __init__(self, data: bytes | None, chunk: int) -> None:
        self.data, self.chunk = data, chunk
        self.read_sizes: list[int] = []
        self.delivered = 0

    def read(self, size: int = -1) -> bytes:
        self.read_sizes.append(size)
        n = self.chunk if size < 0 else min(size, self.chunk)
        if self.data is None:  # endless
            out = b"x" * n
        else:
            out, self.data = self.data[:n], self.data[n:]
        self.delivered += len(out)
        return out


def test_stream_is_read_only_up_to_the_limit() -> None:
    stream = Trickle(None, chunk=10**9)
    with pytest.raises(PhotoRejected) as caught:
        process_photo(stream, PhotoLimits(max_bytes=4096))  # type: ignore[arg-type]
    assert caught.value.code == "too_large"
    assert stream.read_sizes == [4097]
    trickle = Trickle(None, chunk=1000)
    with pytest.raises(PhotoRejected):
        process_photo(trickle, PhotoLimits(max_bytes=4096))  # type: ignore[arg-type]
    assert trickle.delivered == 4097 and all(size > 0 for size in trickle.read_sizes)


def test_short_reads_are_completed() -> None:
    original = phone_jpeg()
    photo = process_photo(Trickle(original, chunk=700))  # type: ignore[arg-type]
    assert photo.gps is not None and photo.width == 800


# --- Storage -----------------------------------------------------------------------------------


def test_filesystem_store_round_trip(tmp_path: Path) -> None:
    store = make_store("filesystem", str(tmp_path / "uploads"))
    assert isinstance(store, FilesystemPhotoStore)
    key = photo_key(123, "photo", SHA, "full")
    assert key == "submissions/000123/photo-abababababababab-full.jpg"
    assert not store.exists(key)
    store.put(key, b"jpeg-bytes", "image/jpeg")
    assert store.exists(key) and store.get(key) == b"jpeg-bytes"
    with store.open(key) as handle:
        assert handle.read() == b"jpeg-bytes"
    store.put(key, b"replaced", "image/jpeg")
    assert store.get(key) == b"replaced"
    assert not list(tmp_path.rglob(".tmp-*"))  # written through a temporary file, then renamed
    store.delete(key)
    store.delete(key)  # deleting twice is fine
    assert not store.exists(key)
    with pytest.raises(KeyError):
        store.get(key)
    with pytest.raises(KeyError):
        store.open(key)


def test_a_failed_write_leaves_the_old_photo_and_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FilesystemPhotoStore(tmp_path)
    store.put("a/b.jpg", b"old", "image/jpeg")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put("a/b.jpg", b"new", "image/jpeg")
    assert store.get("a/b.jpg") == b"old"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.jpg"]


@pytest.mark.parametrize("bad", ["../escape.jpg", "/etc/passwd", "a\\b.jpg", "a/../../b.jpg",
                                 "a/../b.jpg", "", "..", "nul\x00.jpg"])
def test_keys_cannot_escape_the_root(tmp_path: Path, bad: str) -> None:
    store = FilesystemPhotoStore(tmp_path / "root")
    for call in (lambda: store.put(bad, b"x", "image/jpeg"), lambda: store.get(bad),
                 lambda: store.delete(bad), lambda: store.exists(bad)):
        with pytest.raises(ValueError):
            call()
    assert not (tmp_path / "escape.jpg").exists() and not (tmp_path / "b.jpg").exists()


def test_a_symlink_cannot_lead_out_of_the_root(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(ValueError, match="escapes"):
        FilesystemPhotoStore(tmp_path / "root").put("link/x.jpg", b"x", "image/jpeg")


def test_store_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown photo store 's3'; known: filesystem"):
        make_store("s3", "bucket")
    monkeypatch.setitem(STORES, "memory", lambda location: FilesystemPhotoStore(tmp_path / location))
    assert make_store("memory", "x").root == (tmp_path / "x").resolve()  # type: ignore[attr-defined]


def test_photo_key_validates_its_parts() -> None:
    assert photo_key(7, "anh_do_toc_do", SHA, "thumb") == (
        "submissions/000007/anh_do_toc_do-abababababababab-thumb.jpg")
    assert photo_key(1234567, "q.1-x", SHA, "full").startswith("submissions/1234567/q.1-x-")
    for question in ("../x", "a/b", "", "1abc", ".hidden"):
        with pytest.raises(ValueError):
            photo_key(1, question, SHA, "full")
    with pytest.raises(ValueError):
        photo_key(1, "photo", "not-a-sha", "full")
    with pytest.raises(ValueError):
        photo_key(1, "photo", SHA, "original")


def test_module_stays_free_of_web_and_database_imports() -> None:
    tree = ast.parse(Path(photos.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name.split(".")[0] for name in imported} & {"flask", "sqlalchemy", "werkzeug"}
