"""import_file: files imported by file sources, with their reports

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_file',
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('imported_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'sha256')
    )
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_file_imported_at'), ['imported_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_file_imported_at'))
    op.drop_table('import_file')
