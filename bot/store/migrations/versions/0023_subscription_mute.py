"""subscription.muted_until: a chat's subscription muted for a while (`mute PUMP 2h`)

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-03 15:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscription') as batch:
        batch.add_column(sa.Column('muted_until', bot.store.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscription') as batch:
        batch.drop_column('muted_until')
