"""project.read_access: who may read a project in chat (members | everyone)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 07:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project') as batch:
        batch.add_column(sa.Column('read_access', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                   server_default='members'))


def downgrade() -> None:
    with op.batch_alter_table('project') as batch:
        batch.drop_column('read_access')
