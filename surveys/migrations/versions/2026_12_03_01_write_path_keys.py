"""write path keys: each submission's normalised household code and grid square, and the
boundaries' fingerprints, so storing a household looks up duplicates through indexes and reuses
parsed geometry instead of scanning its village and parsing the commune's boundary every time

Revision ID: 20261203_01
Revises: 20261130_06
Create Date: 2026-12-03 03:40:00
"""

import hashlib
import json
import math
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261203_01'
down_revision: str | None = '20261130_06'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A snapshot of surveys/lookup_keys.py as of this revision: a migration must not change with
# live code.
_SEPARATORS = re.compile(r"[\s\-_./]")
_GRID_DEGREES = 0.0005


def _square(lat, lon):  # type: ignore[no-untyped-def]
    if lat is None or lon is None:
        return None
    return f"{math.floor(lat / _GRID_DEGREES)}:{math.floor(lon / _GRID_DEGREES)}"


def _household_key(answers):  # type: ignore[no-untyped-def]
    code = answers.get("household_code") if isinstance(answers, dict) else None
    if not isinstance(code, str):
        return None
    text = _SEPARATORS.sub("", code).casefold() or None
    if text is not None and len(text) > 64:
        return hashlib.sha256(text.encode()).hexdigest()
    return text


def _fingerprint(boundary):  # type: ignore[no-untyped-def]
    if not boundary:
        return None
    if isinstance(boundary, str):
        boundary = json.loads(boundary)
    return hashlib.sha256(json.dumps(boundary, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def upgrade() -> None:
    for table in ('communes', 'villages'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('boundary_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('location_square', sa.String(length=24), nullable=True))
        batch_op.create_index('ix_submissions_village_household_key',
                              ['village_id', 'household_key'], unique=False)
        batch_op.create_index('ix_submissions_village_location_square',
                              ['village_id', 'location_square'], unique=False)

    connection = op.get_bind()
    for table in ('communes', 'villages'):
        rows = connection.execute(sa.text(
            f"SELECT id, boundary FROM {table} WHERE boundary IS NOT NULL")).all()
        for row_id, boundary in rows:
            connection.execute(sa.text(f"UPDATE {table} SET boundary_hash = :h WHERE id = :i"),
                               {"h": _fingerprint(boundary), "i": row_id})
    last = 0
    while True:
        rows = connection.execute(sa.text(
            "SELECT id, answers, lat, lon FROM submissions WHERE id > :last ORDER BY id "
            "LIMIT 5000"),
            {"last": last}).all()
        if not rows:
            break
        updates = []
        for row_id, answers, lat, lon in rows:
            if isinstance(answers, str):
                answers = json.loads(answers)
            key, square = _household_key(answers), _square(lat, lon)
            if key is not None or square is not None:
                updates.append({"k": key, "s": square, "i": row_id})
        if updates:
            connection.execute(sa.text(
                "UPDATE submissions SET household_key = :k, location_square = :s WHERE id = :i"),
                updates)
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_village_location_square')
        batch_op.drop_column('location_square')
        batch_op.drop_index('ix_submissions_village_household_key')
        batch_op.drop_column('household_key')
    for table in ('villages', 'communes'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('boundary_hash')
