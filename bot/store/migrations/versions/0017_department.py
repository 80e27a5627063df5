"""person.department, project.department: for projects read by their department (read: department)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 07:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    with op.batch_alter_table('project') as batch:
        batch.add_column(sa.Column('department', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('project') as batch:
        batch.drop_column('department')
    with op.batch_alter_table('person') as batch:
        batch.drop_column('department')
