"""Fingerprints the write path keys on: a household code normalised for the duplicate look-up, and
a boundary's content hash for the cached geometry (surveys/quality.py). Pure functions, imported by
the models (as column defaults and validators) and by the migration that fills them."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_SEPARATORS = re.compile(r"[\s\-_./]")
MAX_KEY_LENGTH = 64


def normalise_code(code: Any) -> str | None:
    """"CL-T1-017", "cl t1 017" and "CLT1017" are one household code."""
    if not isinstance(code, str):
        return None
    return _SEPARATORS.sub("", code).casefold() or None


def household_key(answers: Any) -> str | None:
    """The stored key: the normalised code, or its SHA-256 when longer than the column (a code may
    be any text of up to 2,000 characters), so equal keys still mean equal codes."""
    code = normalise_code(answers.get("household_code")) if isinstance(answers, dict) else None
    if code is not None and len(code) > MAX_KEY_LENGTH:
        return hashlib.sha256(code.encode()).hexdigest()
    return code


def household_key_default(context: Any) -> str | None:
    """The column default of Submission.household_key: from the row's own answers."""
    return household_key(context.get_current_parameters().get("answers"))


def boundary_fingerprint(boundary: dict[str, Any] | None) -> str | None:
    if not boundary:
        return None
    encoded = json.dumps(boundary, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()
