"""What a run of load-demo created and what it found already there, for its report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


class Tally:
    """Counts per kind of record: created by this run, or already present."""

    KINDS = ("communes", "villages", "partners", "users", "targets", "submissions", "provinces",
             "groups")

    def __init__(self) -> None:
        self.created: Counter[str] = Counter()
        self.present: Counter[str] = Counter()

    def add(self, kind: str, created: bool, n: int = 1) -> None:
        (self.created if created else self.present)[kind] += n

    def report(self, password: str, usernames: Iterable[str]) -> str:
        def line(counter: Counter[str]) -> str:
            return ", ".join(f"{counter[k]} {k}" for k in self.KINDS)

        return ("Demo data (synthetic; never for production).\n"
                f"Created: {line(self.created)}.\n"
                f"Already present: {line(self.present)}.\n"
                f"Demo users (password {password}): " + ", ".join(usernames) + ".")
