"""Vietnam's mobile operators by name and by MCC/MNC (ITU: MCC 452)."""

from __future__ import annotations

VIETNAM_MCC = 452
BY_MNC = {1: "mobifone", 2: "vinaphone", 4: "viettel", 5: "vietnamobile", 7: "gmobile"}
OPERATORS = ("viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile", "unknown")

_ALIASES = {
    "viettel": "viettel", "viettel mobile": "viettel", "vietel": "viettel",
    "vinaphone": "vinaphone", "vina": "vinaphone", "vnpt": "vinaphone", "vnpt vinaphone": "vinaphone",
    "vinaphone (vnpt)": "vinaphone", "vn vinaphone": "vinaphone",
    "mobifone": "mobifone", "mobi": "mobifone", "vms": "mobifone", "vn mobifone": "mobifone",
    "vietnamobile": "vietnamobile", "vnmobile": "vietnamobile", "vn mobile": "vietnamobile",
    "gmobile": "gmobile", "beeline": "gmobile",
}


def operator_from_name(name: str | None) -> str | None:
    if not name:
        return None
    key = " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())
    if key in _ALIASES:
        return _ALIASES[key]
    for alias, operator in _ALIASES.items():  # "VIETTEL 4G", "Viettel Telecom"
        if key.startswith(alias + " "):
            return operator
    return None


def operator_from_codes(mcc: int | None, mnc: int | None) -> str | None:
    if mcc == VIETNAM_MCC and mnc in BY_MNC:
        return BY_MNC[mnc]
    return None
