"""indicator rollups over all months: indicator_moment_totals and household_cell_totals, one row
per village and indicator (or H3 cell) however many months the surveys span, filled here by summing
the monthly rows

Revision ID: 20261205_01
Revises: 20261204_31
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261205_01'
down_revision: str | None = '20261204_31'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENTS = ('count', 'sum_y', 'sum_x', 'sum_yy', 'sum_xx', 'sum_xy', 'positive')
CELLS = ('households', 'with_4g', 'with_5g', 'with_3g', 'with_2g')


def upgrade() -> None:
    op.create_table(
        'indicator_moment_totals',
        sa.Column('village_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in MOMENTS),
        sa.ForeignKeyConstraint(['commune_id'], ['communes.id'],
                                name=op.f('fk_indicator_moment_totals_commune_id_communes'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['village_id'], ['villages.id'],
                                name=op.f('fk_indicator_moment_totals_village_id_villages'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('village_id', 'code', name=op.f('pk_indicator_moment_totals')))
    op.create_index(op.f('ix_indicator_moment_totals_commune_id'), 'indicator_moment_totals',
                    ['commune_id'], unique=False)
    op.create_table(
        'household_cell_totals',
        sa.Column('village_id', sa.Integer(), nullable=False),
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in CELLS),
        sa.ForeignKeyConstraint(['commune_id'], ['communes.id'],
                                name=op.f('fk_household_cell_totals_commune_id_communes'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['village_id'], ['villages.id'],
                                name=op.f('fk_household_cell_totals_village_id_villages'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('village_id', 'h3_cell', name=op.f('pk_household_cell_totals')))
    op.create_index(op.f('ix_household_cell_totals_commune_id'), 'household_cell_totals',
                    ['commune_id'], unique=False)
    # The monthly rows hold whole-number sums, so their sum is exactly what the writes would keep.
    sums = ', '.join(f'SUM({name})' for name in MOMENTS)
    op.execute(f"INSERT INTO indicator_moment_totals (village_id, code, commune_id, "
               f"{', '.join(MOMENTS)}) SELECT village_id, code, MIN(commune_id), {sums} "
               f"FROM indicator_moments GROUP BY village_id, code")
    sums = ', '.join(f'SUM({name})' for name in CELLS)
    op.execute(f"INSERT INTO household_cell_totals (village_id, h3_cell, commune_id, "
               f"{', '.join(CELLS)}) SELECT village_id, h3_cell, MIN(commune_id), {sums} "
               f"FROM household_cells GROUP BY village_id, h3_cell")


def downgrade() -> None:
    op.drop_index(op.f('ix_household_cell_totals_commune_id'), table_name='household_cell_totals')
    op.drop_table('household_cell_totals')
    op.drop_index(op.f('ix_indicator_moment_totals_commune_id'), table_name='indicator_moment_totals')
    op.drop_table('indicator_moment_totals')
