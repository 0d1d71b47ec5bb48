"""rollup versions: a random number per commune that changes with every write to its indicator
rollups, so a process may keep what it read of them while it is unchanged; filled here with a
number for every commune

Revision ID: 20261206_01
Revises: 20261205_21
Create Date: 2026-12-06 07:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_01'
down_revision: str | None = '20261205_21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        'rollup_versions',
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['commune_id'], ['communes.id'],
                                name=op.f('fk_rollup_versions_commune_id_communes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('commune_id', name=op.f('pk_rollup_versions')))
    ids = [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM communes"))]
    if ids:
        op.bulk_insert(table, [{'commune_id': i, 'version': secrets.randbits(62)} for i in ids])


def downgrade() -> None:
    op.drop_table('rollup_versions')
