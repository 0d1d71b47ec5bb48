"""plan targets

Revision ID: 20261124_01
Revises: 20261123_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261124_01'
down_revision: str | None = '20261123_01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False),
    sa.Column('comparator', sa.String(length=2), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('target_year', sa.Integer(), nullable=True),
    sa.Column('baseline_value', sa.Float(), nullable=True),
    sa.Column('baseline_year', sa.Integer(), nullable=True),
    sa.Column('source_document', sa.String(length=300), nullable=False),
    sa.Column('source_article', sa.String(length=200), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("comparator IS NULL OR comparator IN ('>=', '>')", name=op.f('ck_targets_comparator')),
    sa.CheckConstraint('value IS NOT NULL OR baseline_value IS NOT NULL', name=op.f('ck_targets_value_or_baseline')),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_targets_commune_id_communes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targets'))
    )
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_targets_commune_id'), ['commune_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_targets_commune_id'))

    op.drop_table('targets')

