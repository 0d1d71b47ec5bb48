"""The province benchmark's verdict (bench/province.py): its goals, and the comparison of the half
and the whole province printed as PASS or FAIL."""

from __future__ import annotations

from bench.province_loading import PROVINCE_SLUG

CEILING_MS = 300.0
COMMUNE_MS = 50.0
FLAT = 1.5
# The province's indicator table and the ranking of its communes (the dashboard's two queries).
HOOKS = ("/api/v1/indicators?area={area}", "/api/v1/indicators/communes?area={area}&code=hh_4g_home")


def report(half: dict[str, float], full: dict[str, float]) -> int:
    """Growth from half to all, the goals met or not; 1 when any is missed."""
    commune_maps = [*(f"commune{r}" for r in (6, 7, 8, 9, 10)), "window10",
                    *(["commune10_households"] if "commune10_households" in full else [])]
    maps = ["province7", *commune_maps, "api10"]
    print("  growth of this process's CPU time when the data doubles: " + ", ".join(
        f"{name} {full[f'cpu_{name}'] / half[f'cpu_{name}']:.2f}x" for name in maps[:-1]))
    # A period's maps merge the month totals of its cells (cells × technologies × operators with
    # data in that month), which grow with that month's measurements, not with the uploads; so
    # their growth is printed beside the growth of those rows, and they are judged on time alone.
    periods = ["period8", "period_window10"]
    print("  maps with a period: " + ", ".join(
        f"{name} {full[name] * 1e3:.1f} ms ({full[name] / half[name]:.2f}x when doubled)"
        for name in periods) + f"; the month's rows they merge (commune at r8) "
        f"{half['period_rows']:,} → {full['period_rows']:,} "
        f"({full['period_rows'] / max(1, half['period_rows']):.2f}x)")
    print("  growth of wall time when the data doubles: " + ", ".join(
        f"{name} {full[name] / half[name]:.2f}x" for name in maps)
        + f"; SQL GROUP BY province {full['ceiling_province'] / half['ceiling_province']:.2f}x, "
          f"commune {full['ceiling_commune'] / half['ceiling_commune']:.2f}x")
    numbers = ["dashboard", "dashboard_one", *(url for url in (t.format(area=PROVINCE_SLUG) for t in HOOKS)
                              if url in full)]
    if "api10_kept" in full:
        print(f"  hexes API r10, answered from what the process kept (nothing changed since the "
              f"last view; surveys/coverage/map_answers.py): {half['api10_kept'] * 1e3:.1f} → "
              f"{full['api10_kept'] * 1e3:.1f} ms")
    if "dashboard_cold" in full:
        cold = full["dashboard_cold"]
        print(f"  a new process's first province dashboard (nothing kept, not in PASS): "
              f"{cold * 1e3:.0f} ms ({cold / half['dashboard_cold']:.2f}x when doubled)")
    print("  indicators: " + ", ".join(
        f"{name} {full[name] * 1e3:.0f} ms ({full[name] / full['ceiling_households']:.2f}x the "
        f"households' GROUP BY; {full[name] / half[name]:.2f}x when doubled)" for name in numbers))
    maps += numbers
    failures = [name for name in maps if full[name] * 1e3 > CEILING_MS]
    failures += [name for name in commune_maps + periods if full[name] * 1e3 > COMMUNE_MS]
    failures += [f"{name} grows" for name in maps
                 if full[name] / half[name] > FLAT and full[name] * 1e3 > 5]
    print(f"  {'PASS' if not failures else 'FAIL: ' + ', '.join(failures)} "
          f"(≤ {CEILING_MS:.0f} ms p50 each, commune maps ≤ {COMMUNE_MS:.0f} ms, "
          f"growth ≤ {FLAT}× when doubled)")
    return 1 if failures else 0
