"""coverage cell totals: all operators and months of a cell and technology summed over every
upload, so an unfiltered map reads one row per cell and technology however many uploads cover it;
filled here from the uploads' rows of all operators

Revision ID: 20261130_06
Revises: 20261130_05
Create Date: 2026-11-30 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '20261130_06'
down_revision: str | None = '20261130_05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'coverage_cell_totals',
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('technology', sa.String(length=8), nullable=False),
        sa.Column('resolution', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('estimated', sa.Integer(), nullable=False),
        sa.Column('classes', _json(), nullable=False),
        sa.Column('rsrp', _json(), nullable=False),
        sa.Column('down', _json(), nullable=False),
        sa.Column('up', _json(), nullable=False),
        sa.Column('operators', _json(), nullable=False),
        sa.PrimaryKeyConstraint('h3_cell', 'technology', name=op.f('pk_coverage_cell_totals')))
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_coverage_rollups_every', ['upload_id', 'h3_cell', 'technology'],
                              unique=False, sqlite_where=sa.text("operator = '*'"),
                              postgresql_where=sa.text("operator = '*'"))

    from sqlalchemy.orm import Session

    from surveys.coverage.rollups import refill_totals

    session = Session(bind=op.get_bind())
    refill_totals(session, summaries=False)  # the map's summaries: 20261204_31
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_coverage_rollups_every')
    op.drop_table('coverage_cell_totals')
