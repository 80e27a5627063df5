"""person_write: the undo log of writes people make through chat (undo, correct)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 12:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'person_write',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('task_key', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column('pms', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('before_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('before_percent', sa.Integer(), nullable=False),
        sa.Column('before_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column('after_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('after_percent', sa.Integer(), nullable=False),
        sa.Column('after_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column('hours', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('worklog', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('undone_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('person_write', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_write_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('person_write', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_write_person_id'))
    op.drop_table('person_write')
