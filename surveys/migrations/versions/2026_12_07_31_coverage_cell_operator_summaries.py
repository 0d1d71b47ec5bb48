"""coverage cell operator summaries: what the coverage map filtered by one operator (over all
months) shows of each H3 cell, for every mobile technology ("*") or 4G or 5G alone, so an
`operator=` map reads one small row per cell like the map without filters; filled here from the
cells' month totals of all months (period '*')

The summaries are worked out by this file's own copy of the map's rules (surveys/coverage/
cell_views.py `Cell`, `summary_rows`, and surveys/coverage/histograms.py `percentile`, as they are
at this revision), not by the application's code: that follows the newest schema and rules, and a
migration must give the same rows whatever changes later.

Revision ID: 20261207_31
Revises: 20261206_11
Create Date: 2026-12-07 09:00:00
"""

import json
import math
from collections.abc import Sequence
from typing import Any

import h3
import sqlalchemy as sa
from alembic import op

revision: str = '20261207_31'
down_revision: str | None = '20261206_11'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANY = '*'
CLASSES = ('none', 'poor', 'moderate', 'good', 'great')
FIRST_USABLE_CLASS = 2  # moderate
GENERATIONS = ('2g', '3g', '4g', '5g')
CLASSED = frozenset({'4g', '5g'})
VIEWS = {'*': ('2g', '3g', '4g', '5g', 'mobile'), '4g': ('4g',), '5g': ('5g',)}
USABLE_SPEED_BIN = math.floor(4 * math.log2(0.1))  # a download of at least 0.1 Mbps
BLOCK_LEVELS = 3
BATCH = 1_000
COLUMNS = ('h3_cell', 'operator', 'view', 'resolution', 'block', 'n', 'estimated', 'usable',
           'signal_class', 'median_rsrp_dbm', 'median_download_mbps', 'median_upload_mbps',
           'operators')


def upgrade() -> None:
    op.create_table(
        'coverage_cell_operator_summaries',
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('operator', sa.String(length=16), nullable=False),
        sa.Column('view', sa.String(length=8), nullable=False),
        sa.Column('resolution', sa.Integer(), nullable=False),
        sa.Column('block', sa.String(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('estimated', sa.Integer(), nullable=False),
        sa.Column('usable', sa.Integer(), nullable=False),
        sa.Column('signal_class', sa.String(length=16), nullable=True),
        sa.Column('median_rsrp_dbm', sa.Float(), nullable=True),
        sa.Column('median_download_mbps', sa.Float(), nullable=True),
        sa.Column('median_upload_mbps', sa.Float(), nullable=True),
        sa.Column('operators', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('h3_cell', 'operator', 'view',
                                name=op.f('pk_coverage_cell_operator_summaries')))
    op.create_index('ix_coverage_cell_operator_summaries_block',
                    'coverage_cell_operator_summaries', ['block', 'operator', 'view'],
                    unique=False)
    _fill(op.get_bind())


def _fill(connection: sa.engine.Connection) -> None:
    totals = sa.table('coverage_cell_month_totals', *(sa.column(name) for name in (
        'h3_cell', 'technology', 'operator', 'period', 'n', 'estimated')),
        *(sa.column(name, sa.Text) for name in ('classes', 'rsrp', 'down', 'up')))
    summaries = sa.table('coverage_cell_operator_summaries',
                         *(sa.column(name) for name in COLUMNS))
    rows = connection.execute(
        sa.select(totals.c.h3_cell, totals.c.operator, totals.c.technology, totals.c.n,
                  totals.c.estimated,
                  *(sa.cast(totals.c[name], sa.Text) for name in ('classes', 'rsrp', 'down', 'up')))
        .where(totals.c.period == ANY)
        .order_by(totals.c.h3_cell, totals.c.operator, totals.c.technology)
        .execution_options(yield_per=BATCH))
    group: tuple[str, str] | None = None
    found: dict[str, list[Any]] = {}  # technology → n, estimated, classes, rsrp, down, up
    pending: list[dict[str, Any]] = []
    for cell, operator, technology, n, estimated, *texts in rows:
        if (cell, operator) != group:
            if group is not None:
                pending.extend(_summaries(group, found))
            group, found = (cell, operator), {}
            if len(pending) >= BATCH:
                connection.execute(summaries.insert(), pending)
                pending = []
        classes, rsrp, down, up = (json.loads(t) if t else None for t in texts)
        found[technology] = [n, estimated, classes or [0] * len(CLASSES), rsrp or {}, down or {},
                             up or {}]
    if group is not None:
        pending.extend(_summaries(group, found))
    if pending:
        connection.execute(summaries.insert(), pending)


def _summaries(group: tuple[str, str], found: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The rows of one cell and operator, one per view with data (the map's rules)."""
    cell, operator = group
    resolution = h3.get_resolution(cell)
    block = h3.cell_to_parent(cell, max(0, resolution - BLOCK_LEVELS))
    result = []
    for view, technologies in VIEWS.items():
        present = [t for t in technologies if t in found]
        if not present:
            continue
        n = estimated = usable = 0
        classes = [0] * len(CLASSES)
        rsrp: dict[str, int] = {}
        down: dict[str, int] = {}
        up: dict[str, int] = {}
        for technology in present:
            t_n, t_estimated, t_classes, t_rsrp, t_down, t_up = found[technology]
            n += t_n
            estimated += t_estimated
            classes = [a + b for a, b in zip(classes, t_classes, strict=True)]
            for mine, theirs in ((rsrp, t_rsrp if technology in CLASSED else {}),
                                 (down, t_down), (up, t_up)):
                for key, count in theirs.items():
                    mine[key] = mine.get(key, 0) + count
            if technology in GENERATIONS and t_n > 0:
                if technology in CLASSED:
                    good = sum(t_classes[FIRST_USABLE_CLASS:])
                    measured_usable = good > 0 and 2 * good >= sum(t_classes)
                else:
                    speedy = sum(count for key, count in t_down.items()
                                 if int(key) >= USABLE_SPEED_BIN)
                    measured_usable = 2 * speedy >= t_n
                if measured_usable:
                    usable |= 1 << GENERATIONS.index(technology)
        result.append({
            'h3_cell': cell, 'operator': operator, 'view': view, 'resolution': resolution,
            'block': block, 'n': n, 'estimated': estimated, 'usable': usable,
            'signal_class': _median_class(classes),
            'median_rsrp_dbm': _median(rsrp, lambda i: round((i + 0.5) * 2, 1)),
            'median_download_mbps': _median(down, lambda i: round(2 ** ((i + 0.5) / 4), 2)),
            'median_upload_mbps': _median(up, lambda i: round(2 ** ((i + 0.5) / 4), 2)),
            'operators': operator})
    return result


def _median_class(classes: list[int]) -> str | None:
    """The best class that at least half of the classed measurements reach."""
    total = sum(classes)
    if total <= 0:
        return None
    reached = 0
    for index in range(len(CLASSES) - 1, -1, -1):
        reached += classes[index]
        if 2 * reached >= total:
            return CLASSES[index]
    return None


def _median(bins: dict[str, int], centre: Any) -> float | None:
    """The histogram's median bin's centre (histograms.percentile at 0.5)."""
    total = sum(v for v in bins.values() if v > 0)
    if total <= 0:
        return None
    seen = 0
    for key in sorted(bins, key=int):
        if bins[key] > 0:
            seen += bins[key]
            if seen >= 0.5 * total:
                return float(centre(int(key)))
    return None


def downgrade() -> None:
    op.drop_index('ix_coverage_cell_operator_summaries_block',
                  table_name='coverage_cell_operator_summaries')
    op.drop_table('coverage_cell_operator_summaries')
