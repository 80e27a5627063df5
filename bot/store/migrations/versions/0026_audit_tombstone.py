"""audit.tombstone: a row whose personal data was erased keeps its hash and carries a MAC of what it says now

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit') as batch:
        batch.add_column(sa.Column('tombstone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit') as batch:
        batch.drop_column('tombstone')
