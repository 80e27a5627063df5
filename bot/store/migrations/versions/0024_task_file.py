"""task_file: files attached to the built-in PMS's tasks (photos sent in chat with a report)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 15:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'task_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_key', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('task_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_file_task_key'), ['task_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_file_task_key'))
    op.drop_table('task_file')
