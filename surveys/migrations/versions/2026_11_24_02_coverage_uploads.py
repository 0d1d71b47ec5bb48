"""coverage uploads

Revision ID: 20261124_02
Revises: 20261124_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261124_02'
down_revision: str | None = '20261124_01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('coverage_rollups',
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('operator', sa.String(length=16), nullable=False),
    sa.Column('technology', sa.String(length=4), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('metric', sa.String(length=8), nullable=False),
    sa.Column('bin', sa.Integer(), nullable=False),
    sa.Column('resolution', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('h3_cell', 'operator', 'technology', 'period', 'metric', 'bin', name=op.f('pk_coverage_rollups'))
    )
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_rollups_resolution'), ['resolution'], unique=False)

    op.create_table('coverage_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_coverage_uploads_partner_id_partners')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_coverage_uploads_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_uploads')),
    sa.UniqueConstraint('partner_id', 'content_sha256', name=op.f('uq_coverage_uploads_partner_id_content_sha256'))
    )
    with op.batch_alter_table('coverage_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_uploads_partner_id'), ['partner_id'], unique=False)

    op.create_table('measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('measured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('operator', sa.String(length=16), nullable=False),
    sa.Column('technology', sa.String(length=4), nullable=False),
    sa.Column('rsrp_dbm', sa.Float(), nullable=True),
    sa.Column('rsrq_db', sa.Float(), nullable=True),
    sa.Column('sinr_db', sa.Float(), nullable=True),
    sa.Column('download_mbps', sa.Float(), nullable=True),
    sa.Column('upload_mbps', sa.Float(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('environment', sa.String(length=8), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('signal_class', sa.String(length=10), nullable=True),
    sa.Column('h3_cell', sa.String(length=16), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_measurements_commune_id_communes')),
    sa.ForeignKeyConstraint(['upload_id'], ['coverage_uploads.id'], name=op.f('fk_measurements_upload_id_coverage_uploads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_measurements_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurements')),
    sa.UniqueConstraint('upload_id', 'dedupe_key', name=op.f('uq_measurements_upload_id_dedupe_key'))
    )
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurements_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measurements_h3_cell'), ['h3_cell'], unique=False)
        batch_op.create_index(batch_op.f('ix_measurements_upload_id'), ['upload_id'], unique=False)

    op.create_table('upload_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('column', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['coverage_uploads.id'], name=op.f('fk_upload_issues_upload_id_coverage_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_issues'))
    )
    with op.batch_alter_table('upload_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_issues_upload_id'), ['upload_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('upload_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_issues_upload_id'))

    op.drop_table('upload_issues')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurements_upload_id'))
        batch_op.drop_index(batch_op.f('ix_measurements_h3_cell'))
        batch_op.drop_index(batch_op.f('ix_measurements_commune_id'))

    op.drop_table('measurements')
    with op.batch_alter_table('coverage_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_uploads_partner_id'))

    op.drop_table('coverage_uploads')
    with op.batch_alter_table('coverage_rollups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_rollups_resolution'))

    op.drop_table('coverage_rollups')

