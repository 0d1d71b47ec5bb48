"""A test run leaves tracked files alone: the README's screenshots are written only by
`make screenshots` (PHUSONG_README_SCREENSHOTS=1), never by `make test`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e import conftest as e2e

ROOT = Path(__file__).parents[2]


def test_screenshots_reach_the_readme_only_under_make_screenshots(tmp_path, monkeypatch) -> None:
    artefacts = tmp_path / "artifacts"
    artefacts.mkdir()
    (artefacts / "form-phone.png").write_bytes(b"\x89PNG fake")
    monkeypatch.setattr(e2e, "ARTIFACTS", artefacts)
    images = tmp_path / "img"
    monkeypatch.delenv(e2e.README_SCREENSHOTS, raising=False)
    assert e2e.readme_image("form-phone", images) is None and not images.exists()
    monkeypatch.setenv(e2e.README_SCREENSHOTS, "1")
    assert e2e.readme_image("form-phone", images) == images / "form-phone.png"
    assert (images / "form-phone.png").read_bytes() == b"\x89PNG fake"


def test_no_test_writes_into_docs_and_make_screenshots_makes_every_readme_image() -> None:
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text("utf-8")
        assert not re.search(r"copyfile\([^)]*docs|docs[\"' /]+img[^\n]*(write|copy|save)", text), path
    makefile = (ROOT / "Makefile").read_text()
    assert "PHUSONG_README_SCREENSHOTS=1" in makefile and "\nscreenshots:" in makefile
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r'src="docs/img/([\w-]+)\.png"', readme))
    made = set(re.findall(r'readme_image\("([\w-]+)"\)', "".join(
        p.read_text("utf-8") for p in (ROOT / "tests" / "e2e").glob("test_*.py"))))
    assert named and named <= made
