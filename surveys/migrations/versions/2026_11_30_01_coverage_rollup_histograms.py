"""coverage rollups as histograms; measurement footprints; coded upload issues

The rollup table is rebuilt empty: `flask --app app coverage rebuild-rollups` refills it from
the stored measurements (docs/coverage.md).

Revision ID: 20261130_01
Revises: 20261124_02
Create Date: 2026-11-30 11:27:52.947880
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '20261130_01'
down_revision: str | None = '20261124_02'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rollups(histograms: bool) -> None:
    columns = [sa.Column('h3_cell', sa.String(length=16), nullable=False),
               sa.Column('operator', sa.String(length=16), nullable=False),
               sa.Column('technology', sa.String(length=8 if histograms else 4), nullable=False),
               sa.Column('period', sa.String(length=7), nullable=False)]
    if histograms:
        columns += [sa.Column('resolution', sa.Integer(), nullable=False),
                    sa.Column('n', sa.Integer(), nullable=False),
                    sa.Column('estimated', sa.Integer(), nullable=False),
                    sa.Column('classes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
                    sa.Column('rsrp', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
                    sa.Column('down', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
                    sa.Column('up', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
                    sa.Column('operators', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
                    sa.PrimaryKeyConstraint('h3_cell', 'operator', 'technology', 'period',
                                            name=op.f('pk_coverage_rollups'))]
    else:
        columns += [sa.Column('metric', sa.String(length=8), nullable=False),
                    sa.Column('bin', sa.Integer(), nullable=False),
                    sa.Column('resolution', sa.Integer(), nullable=False),
                    sa.Column('count', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('h3_cell', 'operator', 'technology', 'period', 'metric',
                                            'bin', name=op.f('pk_coverage_rollups'))]
    op.create_table('coverage_rollups', *columns)
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_rollups_resolution'), ['resolution'], unique=False)


def _drop_rollups() -> None:
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_rollups_resolution'))
    op.drop_table('coverage_rollups')


def upgrade() -> None:
    _drop_rollups()
    _rollups(histograms=True)

    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('footprint_m', sa.Float(), nullable=True))
        batch_op.alter_column('technology',
               existing_type=sa.VARCHAR(length=4),
               type_=sa.String(length=8),
               existing_nullable=False)
        batch_op.drop_index(batch_op.f('ix_measurements_upload_id'))
        batch_op.drop_index(batch_op.f('ix_measurements_h3_cell'))

    with op.batch_alter_table('upload_issues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
    with op.batch_alter_table('upload_issues', schema=None) as batch_op:
        batch_op.alter_column('code', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('upload_issues', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('code')

    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurements_upload_id'), ['upload_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measurements_h3_cell'), ['h3_cell'], unique=False)
        batch_op.alter_column('technology',
               existing_type=sa.String(length=8),
               type_=sa.VARCHAR(length=4),
               existing_nullable=False)
        batch_op.drop_column('footprint_m')

    _drop_rollups()
    _rollups(histograms=False)
