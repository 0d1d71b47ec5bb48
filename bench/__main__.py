"""`make bench`: run every benchmark (or those named: python -m bench submissions form_page)."""

from __future__ import annotations

import sys

from bench import coverage_import, form_page, indicators, maps, resumable, submissions

BENCHMARKS = {"submissions": submissions.main, "form_page": form_page.main,
              "indicators": indicators.main, "coverage_import": coverage_import.main,
              "maps": maps.main, "resumable": resumable.main}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed = 0
    for name in names:
        print(f"== {name}")
        failed += BENCHMARKS[name]() or 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
