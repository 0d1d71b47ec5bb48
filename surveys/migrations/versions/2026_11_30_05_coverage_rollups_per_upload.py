"""coverage rollups per upload: each upload writes rows of its own (insert only) and a cell's
figures are the sum of its rows; refilled here from the stored measurements

Revision ID: 20261130_05
Revises: 20261130_04
Create Date: 2026-11-30 14:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '20261130_05'
down_revision: str | None = '20261130_04'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _histograms() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('resolution', sa.Integer(), nullable=False),
            sa.Column('n', sa.Integer(), nullable=False),
            sa.Column('estimated', sa.Integer(), nullable=False),
            sa.Column('classes', _json(), nullable=False),
            sa.Column('rsrp', _json(), nullable=False),
            sa.Column('down', _json(), nullable=False),
            sa.Column('up', _json(), nullable=False),
            sa.Column('operators', _json(), nullable=True)]


def upgrade() -> None:
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_rollups_resolution'))
    op.drop_table('coverage_rollups')
    op.create_table(
        'coverage_rollups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('upload_id', sa.Integer(), nullable=False),
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('operator', sa.String(length=16), nullable=False),
        sa.Column('technology', sa.String(length=8), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        *_histograms(),
        sa.ForeignKeyConstraint(['upload_id'], ['coverage_uploads.id'],
                                name=op.f('fk_coverage_rollups_upload_id_coverage_uploads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_rollups')))
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_rollups_h3_cell'), ['h3_cell'], unique=False)
        batch_op.create_index(batch_op.f('ix_coverage_rollups_upload_id'), ['upload_id'],
                              unique=False)

    from sqlalchemy.orm import Session

    from surveys.coverage.rollups import recount_upload

    # Upload by upload rather than `rollups.rebuild`, which since 20261130_06 also fills a table
    # that does not exist yet at this revision.
    session = Session(bind=op.get_bind())
    for (upload_id,) in session.execute(sa.text("SELECT id FROM coverage_uploads ORDER BY id")):
        recount_upload(session, upload_id)
    session.flush()


def downgrade() -> None:
    # The previous shape (one merged row per key) is left empty: at that revision,
    # `flask --app app coverage rebuild-rollups` refills it.
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_rollups_upload_id'))
        batch_op.drop_index(batch_op.f('ix_coverage_rollups_h3_cell'))
    op.drop_table('coverage_rollups')
    op.create_table(
        'coverage_rollups',
        sa.Column('h3_cell', sa.String(length=16), nullable=False),
        sa.Column('operator', sa.String(length=16), nullable=False),
        sa.Column('technology', sa.String(length=8), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        *_histograms(),
        sa.PrimaryKeyConstraint('h3_cell', 'operator', 'technology', 'period',
                                name=op.f('pk_coverage_rollups')))
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_rollups_resolution'), ['resolution'],
                              unique=False)
