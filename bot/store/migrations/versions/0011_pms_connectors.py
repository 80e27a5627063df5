"""pms_write, pms_cursor, pms_change: remote PMS writes kept across retries, poll cursors, changes to tell chats

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pms_write',
    sa.Column('inbox_id', sa.BigInteger(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('inbox_id', 'step')
    )
    op.create_table('pms_cursor',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('pms_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('conversation', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('project_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pms_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pms_change_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pms_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pms_change_created_at'))
    op.drop_table('pms_change')
    op.drop_table('pms_cursor')
    op.drop_table('pms_write')
