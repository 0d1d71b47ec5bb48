"""places as a hierarchy: provinces, groups of communes (commune_groups, commune_group_members),
communes.province_id, staff of a province or group (users.province_id, users.group_id), targets
of a group or province (targets.group_id, targets.province_id; exactly one place per target)

Revision ID: 20261204_21
Revises: 20261203_03
Create Date: 2026-12-04 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '20261204_21'
down_revision: str | None = '20261204_11'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
ONE_PLACE = ("(CASE WHEN commune_id IS NULL THEN 0 ELSE 1 END)"
             " + (CASE WHEN group_id IS NULL THEN 0 ELSE 1 END)"
             " + (CASE WHEN province_id IS NULL THEN 0 ELSE 1 END) = 1")


def _add_reference(table: str, column: str, referred: str) -> None:
    """A nullable column referring to `referred`, with its index. On SQLite as a plain ADD COLUMN
    with the constraint inline: a batch copy would drop and recreate a table that others refer to
    (communes, users), which SQLite refuses while rows refer to it."""
    name = f"fk_{table}_{column}_{referred}"
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT {name} REFERENCES {referred} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(name), table, referred, [column], ['id'])
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        'provinces',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=True),
        sa.Column('boundary', JSON, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_provinces')),
        sa.UniqueConstraint('slug', name=op.f('uq_provinces_slug')),
        sa.UniqueConstraint('code', name=op.f('uq_provinces_code')))
    op.create_table(
        'commune_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=True),
        sa.Column('province_id', sa.Integer(), nullable=True),
        sa.Column('boundary', JSON, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['province_id'], ['provinces.id'],
                                name=op.f('fk_commune_groups_province_id_provinces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_commune_groups')),
        sa.UniqueConstraint('slug', name=op.f('uq_commune_groups_slug')))
    with op.batch_alter_table('commune_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commune_groups_province_id'), ['province_id'],
                              unique=False)
    op.create_table(
        'commune_group_members',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('commune_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['commune_id'], ['communes.id'],
                                name=op.f('fk_commune_group_members_commune_id_communes'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['commune_groups.id'],
                                name=op.f('fk_commune_group_members_group_id_commune_groups'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'commune_id', name=op.f('pk_commune_group_members')))
    with op.batch_alter_table('commune_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commune_group_members_commune_id'), ['commune_id'],
                              unique=False)
    _add_reference('communes', 'province_id', 'provinces')
    _add_reference('users', 'province_id', 'provinces')
    _add_reference('users', 'group_id', 'commune_groups')
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('province_id', sa.Integer(), nullable=True))
        batch_op.alter_column('commune_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_targets_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_targets_province_id'), ['province_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_targets_group_id_commune_groups'),
                                    'commune_groups', ['group_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_targets_province_id_provinces'), 'provinces',
                                    ['province_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_targets_one_place'), sa.text(ONE_PLACE))


def downgrade() -> None:
    # (a column's foreign key goes with the column, on both databases)
    op.execute("DELETE FROM targets WHERE commune_id IS NULL")
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_targets_one_place'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_targets_province_id_provinces'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_targets_group_id_commune_groups'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_targets_province_id'))
        batch_op.drop_index(batch_op.f('ix_targets_group_id'))
        batch_op.alter_column('commune_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('province_id')
        batch_op.drop_column('group_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_group_id'))
        batch_op.drop_index(batch_op.f('ix_users_province_id'))
        batch_op.drop_column('group_id')
        batch_op.drop_column('province_id')
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communes_province_id'))
        batch_op.drop_column('province_id')
    with op.batch_alter_table('commune_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commune_group_members_commune_id'))
    op.drop_table('commune_group_members')
    with op.batch_alter_table('commune_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commune_groups_province_id'))
    op.drop_table('commune_groups')
    op.drop_table('provinces')
