"""maps at every zoom: the coverage map's summaries per cell (coverage_cell_summaries), households
per cell of every map resolution (household_hex_counts), and rollups at resolution 6 — filled here:
every upload's rollups recounted from its measurements (adding resolution 6), the cells' totals and
summaries summed again, and the households counted per cell from the stored submissions

Revision ID: 20261204_31
Revises: 20261203_03
Create Date: 2026-12-04 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261204_31'
down_revision: str | None = '20261204_21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'coverage_cell_summaries',
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
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
        sa.PrimaryKeyConstraint('h3_cell', 'view', name=op.f('pk_coverage_cell_summaries')))
    op.create_index('ix_coverage_cell_summaries_block', 'coverage_cell_summaries',
                    ['block', 'view'], unique=False)
    op.create_table(
        'household_hex_counts',
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('resolution', sa.Integer(), nullable=False),
        sa.Column('households', sa.Integer(), nullable=False),
        sa.Column('with_4g', sa.Integer(), nullable=False),
        sa.Column('with_5g', sa.Integer(), nullable=False),
        sa.Column('with_3g', sa.Integer(), nullable=False),
        sa.Column('with_2g', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['commune_id'], ['communes.id'],
                                name=op.f('fk_household_hex_counts_commune_id_communes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('commune_id', 'period', 'h3_cell',
                                name=op.f('pk_household_hex_counts')))
    op.create_index('ix_household_hex_counts_commune', 'household_hex_counts',
                    ['commune_id', 'resolution'], unique=False)

    from sqlalchemy.orm import Session

    from surveys.coverage.rollups import rebuild
    from surveys.indicators import household_hexes
    from surveys.indicators.rollups import _counted
    from surveys.places.months import month_of

    session = Session(bind=op.get_bind())
    # Rollups at 6–10 from the measurements, then totals and summaries; the month totals'
    # table comes later (20261206_11, which fills it).
    rebuild(session, month_totals=False)
    household_hexes.write_all(session, household_hexes.deltas_of(
        (1, commune, month_of(when), household.lat, household.lon,
         household.answers.get("mobile_best_technology"))
        for commune, _village, when, household in _counted(session)))
    session.flush()


def downgrade() -> None:
    op.drop_index('ix_household_hex_counts_commune', table_name='household_hex_counts')
    op.drop_table('household_hex_counts')
    op.drop_index('ix_coverage_cell_summaries_block', table_name='coverage_cell_summaries')
    op.drop_table('coverage_cell_summaries')
    op.execute("DELETE FROM coverage_rollups WHERE resolution = 6")
    op.execute("DELETE FROM coverage_cell_totals WHERE resolution = 6")
