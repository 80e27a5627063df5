"""audit.keyed: rows hashed with HMAC-SHA256 under PMSBOT_AUDIT_KEY (older rows: plain SHA-256)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit') as batch:
        batch.add_column(sa.Column('keyed', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('audit') as batch:
        batch.drop_column('keyed')
