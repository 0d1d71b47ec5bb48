"""boundary cells: the H3 cells of each commune boundary at the map's resolutions 6–10
(boundary_cells), filled here for every commune that has a boundary — all five resolutions, since
each coarser one needs the resolution-10 cells anyway (about 8 s for a province of 69 communes)

Revision ID: 20261205_21
Revises: 20261205_01
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261205_21'
down_revision: str | None = '20261205_01'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'boundary_cells',
        sa.Column('boundary_hash', sa.String(length=64), nullable=False),
        sa.Column('resolution', sa.Integer(), nullable=False),
        sa.Column('rule', sa.Integer(), nullable=False),
        sa.Column('cells', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('boundary_hash', 'resolution', name=op.f('pk_boundary_cells')))

    from sqlalchemy.orm import Session

    from surveys.db import JSONType
    from surveys.places import boundary_cells

    communes = sa.table('communes', sa.column('boundary_hash', sa.String()),
                        sa.column('boundary', JSONType))
    session = Session(bind=op.get_bind())
    boundary_cells.store(session, session.execute(
        sa.select(communes.c.boundary_hash, communes.c.boundary).where(
            communes.c.boundary_hash.is_not(None))).all())
    session.flush()


def downgrade() -> None:
    op.drop_table('boundary_cells')
