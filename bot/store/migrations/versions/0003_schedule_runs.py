"""schedule_run: what the clock did for whom on which day, so a run is never repeated

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:36:52.449317
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_run',
    sa.Column('schedule', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('schedule', 'person_id', 'day')
    )


def downgrade() -> None:
    op.drop_table('schedule_run')

