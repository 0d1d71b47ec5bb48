"""Vietnamese is the default language: every user-facing string must have its Vietnamese text."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("surveys/**.py", "python"), ("forms/**.py", "python"),
           ("templates/**.html", "jinja2")]


def extracted_messages() -> set[str]:
    messages: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def test_every_message_has_a_vietnamese_translation() -> None:
    with (ROOT / "surveys/translations/vi/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    # A plural message's id is (singular, plural) and its string one text per plural form.
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog
                  if m.id and not m.fuzzy
                  and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(extracted_messages() - translated)
    assert missing == [], "run `make extract-messages` and translate:\n" + "\n".join(missing)


def test_compiled_catalogue_is_used(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "Tên đăng nhập" in html and "Mật khẩu" in html
