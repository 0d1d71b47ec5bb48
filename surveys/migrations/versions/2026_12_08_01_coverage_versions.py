"""coverage versions: a random number that changes with every write to what the coverage map
reads of the partners' measurements, so a process may keep a map's whole answer while it is
unchanged; filled here with one number

Revision ID: 20261208_01
Revises: 20261207_31
Create Date: 2026-12-08 07:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261208_01'
down_revision: str | None = '20261207_31'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        'coverage_versions',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_versions')))
    op.bulk_insert(table, [{'id': 1, 'version': secrets.randbits(62)}])


def downgrade() -> None:
    op.drop_table('coverage_versions')
