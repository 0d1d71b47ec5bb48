"""PostgreSQL plans the map's reads for the values of each call (surveys/db.py `make_engine`).

psycopg prepares a statement once it has run five times, and PostgreSQL then keeps a generic plan
when it estimates it no costlier than the plans made for the values. For a read over a list of
cells bound as one array that estimate cannot see the list's length: on the full-size benchmark a
street window's households in a period read 46,877 buffers (462 ms) with the generic plan against
62 (1 ms). SQLite has no plan cache, so there is nothing to check on it.
"""

from __future__ import annotations

from sqlalchemy import text

from surveys.coverage import hexes
from surveys.indicators import household_hexes
from tests.factories import make_commune


def test_a_windows_reads_are_planned_for_their_values_however_often_they_run(db):
    commune = make_commune(db)
    db.commit()
    window = hexes.window_cells((106.94, 16.74, 106.96, 16.76), 10)
    for _ in range(14):  # past psycopg's threshold (5), then PostgreSQL's five custom plans
        assert household_hexes.load(db, [commune.id], 10, "2026-01", "2026-12",
                                    cells=window) == ({}, {})
    if db.get_bind().dialect.name != "postgresql":
        return
    plans = db.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE '%FROM household_hex_counts%'")).all()
    assert plans, "the read ran often enough to be prepared"
    assert all(generic == 0 and custom >= 6 for generic, custom in plans), plans
