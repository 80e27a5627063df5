"""person.active, employee_id, manager_id: people from a directory (LDAP, Feishu, DingTalk, Slack)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 15:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column('employee_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column('manager_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.create_index(batch.f('ix_person_employee_id'), ['employee_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.drop_index(batch.f('ix_person_employee_id'))
        batch.drop_column('manager_id')
        batch.drop_column('employee_id')
        batch.drop_column('active')
