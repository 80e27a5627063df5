"""portfolio history: project_day, person_day, risk_day, task_done; project.tags

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 15:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def _s(n: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=n)


def upgrade() -> None:
    with op.batch_alter_table('project') as batch:
        batch.add_column(sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table(
        'project_day',
        sa.Column('project_key', _s(10), nullable=False),
        sa.Column('milestone', _s(200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('blocked', sa.Integer(), nullable=False),
        sa.Column('overdue', sa.Integer(), nullable=False),
        sa.Column('percent', sa.Integer(), nullable=False),
        sa.Column('plan_percent', sa.Integer(), nullable=True),
        sa.Column('due', sa.Date(), nullable=True),
        sa.Column('remaining_min', sa.Integer(), nullable=False),
        sa.Column('health', _s(8), nullable=False),
        sa.Column('risks', sa.Integer(), nullable=False),
        sa.Column('approvals', sa.Integer(), nullable=False),
        sa.Column('standup_expected', sa.Integer(), nullable=False),
        sa.Column('standup_answered', sa.Integer(), nullable=False),
        sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('project_key', 'milestone', 'day'),
    )
    op.create_table(
        'person_day',
        sa.Column('project_key', _s(10), nullable=False),
        sa.Column('person_id', _s(64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('open_tasks', sa.Integer(), nullable=False),
        sa.Column('remaining_min', sa.Integer(), nullable=False),
        sa.Column('logged_min', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('project_key', 'person_id', 'day'),
    )
    op.create_table(
        'risk_day',
        sa.Column('project_key', _s(10), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', _s(16), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('project_key', 'day', 'kind'),
    )
    op.create_table(
        'task_done',
        sa.Column('task_key', _s(64), nullable=False),
        sa.Column('project_key', _s(10), nullable=False),
        sa.Column('person_id', _s(64), nullable=True),
        sa.Column('done_day', sa.Date(), nullable=False),
        sa.Column('cycle_days', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('task_key'),
    )
    op.create_index('ix_task_done_project_day', 'task_done', ['project_key', 'done_day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_task_done_project_day', table_name='task_done')
    op.drop_table('task_done')
    op.drop_table('risk_day')
    op.drop_table('person_day')
    op.drop_table('project_day')
    with op.batch_alter_table('project') as batch:
        batch.drop_column('tags')
