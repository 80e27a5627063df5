"""config_applied, config_file: the configuration last applied, a generation the people/projects tables count
up, and the parsed file

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 23:20:00

One row (id 1). Triggers on the tables the configuration is applied to (person, identity, project, membership,
channel, standup_schedule: inserts, deletes, and updates of the columns the apply compares) add one to
`generation`, whoever writes: a start whose configuration digest and generation both equal what the last apply
recorded has nothing to apply (bot/store/config_applied.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

# table -> the columns whose update counts (None: any update). Kept equal to bot/store/config_applied.WATCHED.
WATCHED: dict[str, tuple[str, ...] | None] = {
    'person': ('id', 'name', 'locale', 'roles', 'timezone', 'email', 'department', 'pms_user', 'pms_user_linked'),
    'identity': None,
    'project': ('key', 'name', 'pms', 'pms_project', 'read_access', 'department', 'tags'),
    'membership': None,
    'channel': None,
    'standup_schedule': ('name', 'project_key', 'spec'),
}


def _quoted(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


BUMP = "UPDATE config_applied SET generation = generation + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        'config_applied',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('applied_generation', sa.BigInteger(), nullable=True),
        sa.Column('applied_digest', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO config_applied (id, generation) VALUES (1, 0)")
    # The parsed file, in a table of its own: the triggers' small row is not rewritten with it.
    op.create_table(
        'config_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data_sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE FUNCTION config_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {BUMP}; RETURN NULL; END $$")
        for table, columns in WATCHED.items():
            update = f"UPDATE OF {_quoted(columns)}" if columns else "UPDATE"
            # BEFORE and per statement: a writer takes the generation's row lock before it touches any row, so
            # a start applying the file (which holds that lock) and a writer never wait on each other in a circle.
            op.execute(f"CREATE TRIGGER config_generation_{table} BEFORE INSERT OR DELETE OR {update} ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION config_generation_bump()")
        return
    for table, columns in WATCHED.items():
        for name, event in (('ins', 'INSERT'), ('del', 'DELETE'),
                            ('upd', f"UPDATE OF {_quoted(columns)}" if columns else "UPDATE")):
            op.execute(f"CREATE TRIGGER config_generation_{table}_{name} AFTER {event} ON {table} "
                       f"BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in WATCHED:
            op.execute(f"DROP TRIGGER config_generation_{table} ON {table}")
        op.execute("DROP FUNCTION config_generation_bump()")
    else:
        for table in WATCHED:
            for name in ('ins', 'del', 'upd'):
                op.execute(f"DROP TRIGGER config_generation_{table}_{name}")
    op.drop_table('config_file')
    op.drop_table('config_applied')
