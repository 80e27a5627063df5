"""person.pms_user_claim: a `link` asked in chat waits for proof; links made before proof was asked are claims

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('pms_user_claim', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch.add_column(sa.Column('pms_user_claimed_at', bot.store.types.UTCDateTime(), nullable=True))
    # Links made in chat before they had to be proven were never checked: each becomes a claim for an admin to
    # confirm, and the person's PMS user goes back to the configuration's (applied again at the next start).
    op.execute("UPDATE person SET pms_user_claim = pms_user, pms_user = NULL, pms_user_linked = false "
               "WHERE pms_user_linked")


def downgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.drop_column('pms_user_claimed_at')
        batch.drop_column('pms_user_claim')
