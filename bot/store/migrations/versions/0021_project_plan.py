"""project_plan (a project's Microsoft Project plan) and pms_credential (a person's own PMS token, sealed)

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-03 15:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0021'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'project_plan',
        sa.Column('project', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('imported_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('project'),
    )
    op.create_table(
        'pms_credential',
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('pms', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('sealed', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
        sa.Column('updated_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('person_id', 'pms'),
    )


def downgrade() -> None:
    op.drop_table('pms_credential')
    op.drop_table('project_plan')
