"""resumable (tus) coverage uploads and their import jobs; coverage_uploads.status

Revision ID: 20261203_03
Revises: 20261203_02
Create Date: 2026-12-03 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '20261203_03'
down_revision: str | None = '20261203_02'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('coverage_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='done'))
    op.create_table(
        'resumable_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('format', sa.String(length=32), nullable=True),
        sa.Column('expected_sha256', sa.String(length=64), nullable=True),
        sa.Column('length', sa.BigInteger(), nullable=False),
        sa.Column('upload_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'],
                                name=op.f('fk_resumable_uploads_partner_id_partners'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_resumable_uploads_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['upload_id'], ['coverage_uploads.id'],
                                name=op.f('fk_resumable_uploads_upload_id_coverage_uploads'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resumable_uploads')),
        sa.UniqueConstraint('key', name=op.f('uq_resumable_uploads_key')))
    op.create_index(op.f('ix_resumable_uploads_partner_id'), 'resumable_uploads', ['partner_id'],
                    unique=False)
    op.create_table(
        'import_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('upload_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(length=120), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancel_requested', sa.Boolean(), nullable=False),
        sa.Column('bytes_total', sa.BigInteger(), nullable=False),
        sa.Column('bytes_read', sa.BigInteger(), nullable=False),
        sa.Column('rows_read', sa.Integer(), nullable=False),
        sa.Column('rows_accepted', sa.Integer(), nullable=False),
        sa.Column('rows_rejected', sa.Integer(), nullable=False),
        sa.Column('error', _json(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['upload_id'], ['coverage_uploads.id'],
                                name=op.f('fk_import_jobs_upload_id_coverage_uploads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs')),
        sa.UniqueConstraint('upload_id', name=op.f('uq_import_jobs_upload_id')))
    op.create_index('ix_import_jobs_status', 'import_jobs', ['status', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_import_jobs_status', table_name='import_jobs')
    op.drop_table('import_jobs')
    op.drop_index(op.f('ix_resumable_uploads_partner_id'), table_name='resumable_uploads')
    op.drop_table('resumable_uploads')
    with op.batch_alter_table('coverage_uploads', schema=None) as batch_op:
        batch_op.drop_column('status')
