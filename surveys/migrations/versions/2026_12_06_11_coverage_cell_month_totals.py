"""coverage cell month totals: each operator's measurements of a cell, technology and month (and of
all months, period '*') summed over every upload, so a map filtered by operator or period reads one
row per cell, technology, operator and month however many uploads cover it; filled here from the
uploads' detailed rollup rows

The sums are worked out by this file's own code, not the application's: the application's writer
follows the newest schema of the table (a column added later would not exist yet at this revision).
Histograms are JSON objects that no SQL common to SQLite and PostgreSQL adds up, so the rows are
read in key order and summed here, one cell, technology and operator at a time.

Revision ID: 20261206_11
Revises: 20261206_01
Create Date: 2026-12-06 09:00:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '20261206_11'
down_revision: str | None = '20261206_01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANY = '*'
CLASSES = 5  # none, poor, fair, good, great … as counted in coverage_rollups.classes
BATCH = 1_000


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'coverage_cell_month_totals',
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('technology', sa.String(length=8), nullable=False),
        sa.Column('operator', sa.String(length=16), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('resolution', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('estimated', sa.Integer(), nullable=False),
        sa.Column('classes', _json(), nullable=False),
        sa.Column('rsrp', _json(), nullable=False),
        sa.Column('down', _json(), nullable=False),
        sa.Column('up', _json(), nullable=False),
        sa.PrimaryKeyConstraint('h3_cell', 'technology', 'operator', 'period',
                                name=op.f('pk_coverage_cell_month_totals')))
    _fill(op.get_bind())


def _fill(connection: sa.engine.Connection) -> None:
    rollups = sa.table('coverage_rollups', *(sa.column(name) for name in (
        'h3_cell', 'technology', 'operator', 'period', 'resolution', 'n', 'estimated')),
        *(sa.column(name, sa.Text) for name in ('classes', 'rsrp', 'down', 'up')))
    totals = sa.table('coverage_cell_month_totals', *(sa.column(name) for name in (
        'h3_cell', 'technology', 'operator', 'period', 'resolution', 'n', 'estimated')),
        *(sa.column(name, _json()) for name in ('classes', 'rsrp', 'down', 'up')))
    rows = connection.execute(
        sa.select(rollups.c.h3_cell, rollups.c.technology, rollups.c.operator, rollups.c.period,
                  rollups.c.resolution, rollups.c.n, rollups.c.estimated,
                  *(sa.cast(rollups.c[name], sa.Text) for name in ('classes', 'rsrp', 'down', 'up')))
        .where(rollups.c.operator != ANY)
        .order_by(rollups.c.h3_cell, rollups.c.technology, rollups.c.operator, rollups.c.period)
        .execution_options(yield_per=BATCH))
    group: tuple[str, str, str] | None = None
    sums: dict[str, list[Any]] = {}  # period (and ANY) → the group's sums
    resolution = 0
    pending: list[dict[str, Any]] = []
    for cell, technology, operator, period, level, n, estimated, *texts in rows:
        if (cell, technology, operator) != group:
            if group is not None:
                pending.extend(_rows(group, resolution, sums))
            group, sums, resolution = (cell, technology, operator), {}, level
            if len(pending) >= BATCH:
                connection.execute(totals.insert(), pending)
                pending = []
        classes, *histograms = (json.loads(t) if t else None for t in texts)
        for key in (period, ANY):
            into = sums.setdefault(key, [0, 0, [0] * CLASSES, {}, {}, {}])
            into[0] += n
            into[1] += estimated
            into[2] = [a + b for a, b in zip(into[2], classes or [0] * CLASSES, strict=True)]
            for mine, theirs in zip(into[3:], histograms, strict=True):
                for bin_, count in (theirs or {}).items():
                    mine[bin_] = mine.get(bin_, 0) + count
    if group is not None:
        pending.extend(_rows(group, resolution, sums))
    if pending:
        connection.execute(totals.insert(), pending)


def _rows(group: tuple[str, str, str], resolution: int, sums: dict[str, list[Any]]
          ) -> list[dict[str, Any]]:
    cell, technology, operator = group
    return [{'h3_cell': cell, 'technology': technology, 'operator': operator, 'period': period,
             'resolution': resolution, 'n': n, 'estimated': estimated, 'classes': classes,
             'rsrp': rsrp, 'down': down, 'up': up}
            for period, (n, estimated, classes, rsrp, down, up) in sorted(sums.items())
            if n > 0 or estimated > 0]


def downgrade() -> None:
    op.drop_table('coverage_cell_month_totals')
