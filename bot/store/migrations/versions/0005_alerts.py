"""alert: risk alerts deduplicated per (project, rule, subject), with acknowledge and snooze

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 04:50:17.951930
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('first_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_sent_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('snoozed_until', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_key', 'rule', 'subject')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_project_key'), ['project_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_project_key'))

    op.drop_table('alert')
