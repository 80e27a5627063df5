"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 03:25:50.723310
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hash')
    )
    op.create_table('card',
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('card_ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'target', 'card_ref')
    )
    op.create_table('console_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('console_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_message_person_id'), ['person_id'], unique=False)

    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('available_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'event_id', name='uq_inbox_platform_event')
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_claim', ['state', 'available_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('conversation', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('card_ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('update', sa.Boolean(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('available_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('source_event', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_card_ref'), ['card_ref'], unique=False)
        batch_op.create_index('ix_outbox_claim', ['state', 'conversation', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_source_event'), ['source_event'], unique=False)

    op.create_table('person',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('pms_user', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('project',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('pms', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('pms_project', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('next_task_no', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('requester', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('approvers', sa.JSON(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('decided_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_key'], ['project.key'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_project_key'), ['project_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_state'), ['state'], unique=False)

    op.create_table('channel',
    sa.Column('project_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.ForeignKeyConstraint(['project_key'], ['project.key'], ),
    sa.PrimaryKeyConstraint('project_key', 'platform', 'channel_id')
    )
    op.create_table('identity',
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('platform', 'external_id')
    )
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_person_id'), ['person_id'], unique=False)

    op.create_table('membership',
    sa.Column('project_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['project_key'], ['project.key'], ),
    sa.PrimaryKeyConstraint('project_key', 'person_id', 'role')
    )
    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['project_key'], ['project.key'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_key', 'name')
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_project_key'), ['project_key'], unique=False)

    op.create_table('standup_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('day_from', sa.Date(), nullable=False),
    sa.Column('day_to', sa.Date(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('standup_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standup_entry_person_id'), ['person_id'], unique=False)

    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('conversation', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('filter', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_key'], ['project.key'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_key', 'platform', 'conversation', 'filter')
    )
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_project_key'), ['project_key'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('project_key', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('assignee', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('estimate_min', sa.Integer(), nullable=True),
    sa.Column('spent_min', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('blocked_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee'], ['person.id'], ),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], ),
    sa.ForeignKeyConstraint(['project_key'], ['project.key'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key'),
    sa.UniqueConstraint('project_key', 'number')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_assignee'), ['assignee'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_project_key'), ['project_key'], unique=False)

    op.create_table('progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_key', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_key'], ['task.key'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_task_key'), ['task_key'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_task_key'))

    op.drop_table('progress')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_project_key'))
        batch_op.drop_index(batch_op.f('ix_task_assignee'))

    op.drop_table('task')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_project_key'))

    op.drop_table('subscription')
    with op.batch_alter_table('standup_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standup_entry_person_id'))

    op.drop_table('standup_entry')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_project_key'))

    op.drop_table('milestone')
    op.drop_table('membership')
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_person_id'))

    op.drop_table('identity')
    op.drop_table('channel')
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_state'))
        batch_op.drop_index(batch_op.f('ix_approval_project_key'))

    op.drop_table('approval')
    op.drop_table('project')
    op.drop_table('person')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_source_event'))
        batch_op.drop_index('ix_outbox_claim')
        batch_op.drop_index(batch_op.f('ix_outbox_card_ref'))

    op.drop_table('outbox')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_claim')

    op.drop_table('inbox')
    with op.batch_alter_table('console_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_message_person_id'))

    op.drop_table('console_message')
    op.drop_table('card')
    op.drop_table('audit')
    
