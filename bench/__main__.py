"""`make bench`: run every benchmark (or those named: python -m bench submissions form_page).

Options (words starting with --) go to the benchmarks that take them: python -m bench intervals
--reps 500; python -m bench intervals --kind person --n 60 120 --p 1 99; python -m bench province
--full (BENCH_POSTGRES_URL: bench/province.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import (
    coverage_import,
    filtered_maps,
    form_page,
    indicators,
    intervals,
    maps,
    province,
    resumable,
    submissions,
)

BENCHMARKS: dict[str, Callable[..., int | None]] = {
    "submissions": submissions.main, "form_page": form_page.main,
    "indicators": indicators.main, "coverage_import": coverage_import.main,
    "maps": maps.main, "intervals": intervals.main, "resumable": resumable.main,
    "province": province.main, "filtered_maps": filtered_maps.main}
WITH_OPTIONS = {"intervals", "province"}


def main(argv: list[str]) -> int:
    options: list[str] = []
    names: list[str] = []
    for word in argv:
        # An option's values (one or more: --p 1 3 97) follow it; a benchmark's name never is one.
        value_of_option = bool(options) and word not in BENCHMARKS and options[-1] != "--quiet"
        (options if word.startswith("--") or value_of_option else names).append(word)
    names = names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed = 0
    for name in names:
        print(f"== {name}")
        run = BENCHMARKS[name]
        failed += (run(options) if name in WITH_OPTIONS else run()) or 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
