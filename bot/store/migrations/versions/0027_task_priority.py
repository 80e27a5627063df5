"""task.priority: the built-in PMS's task priority (`priority A-3 high`)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 15:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task') as batch:
        batch.add_column(sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('task') as batch:
        batch.drop_column('priority')
