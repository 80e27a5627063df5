"""person.pms_user_linked: a `link` made in chat survives the configuration being applied again

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 04:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('pms_user_linked', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.drop_column('pms_user_linked')
