"""targets: the plan's start year, and "=" ("đạt 100 %") among the comparators

Revision ID: 20261204_11
Revises: 20261203_03
Create Date: 2026-12-04 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261204_11'
down_revision: str | None = '20261203_03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_year', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_targets_comparator'), type_='check')
        batch_op.create_check_constraint(
            'comparator', "comparator IS NULL OR comparator IN ('>=', '>', '=')")


def downgrade() -> None:
    op.execute("UPDATE targets SET comparator = '>=' WHERE comparator = '='")
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_targets_comparator'), type_='check')
        batch_op.create_check_constraint('comparator', "comparator IS NULL OR comparator IN ('>=', '>')")
        batch_op.drop_column('start_year')
