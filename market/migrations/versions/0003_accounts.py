"""accounts and hardening: login attempts (throttle and history), e-mail, forced password
change, token expiry, one live bid per recycler and proposal

Revision ID: 0003_accounts
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0003_accounts'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status IN ('open', 'on_hold')"
TOKEN_DAYS = 30


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('attempted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_username_at', ['username', 'attempted_at'], unique=False)
        batch_op.create_index('ix_login_attempt_address_at', ['address', 'attempted_at'], unique=False)
        batch_op.create_index('ix_login_attempt_user_at', ['user_id', 'attempted_at'], unique=False)
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_username'))
    op.drop_table('login_failure')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # tokens issued before expiry existed: 30 days from now, not from their issue (which could
    # end a working integration the moment the upgrade runs)
    api_token = sa.table('api_token', sa.column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime()))
    op.execute(
        api_token.update()
        .where(api_token.c.expires_at.is_(None))
        .values(expires_at=datetime.now(UTC) + timedelta(days=TOKEN_DAYS))
    )

    # a race could leave several live bids of one recycler on one proposal: keep the newest
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        f"SELECT id, proposal_id, organisation_id FROM bid WHERE {LIVE} ORDER BY id DESC"
    )).all()
    seen: set[tuple[int, int]] = set()
    for bid_id, proposal_id, org_id in rows:
        if (proposal_id, org_id) in seen:
            bind.execute(sa.text("UPDATE bid SET status = 'withdrawn' WHERE id = :id"), {"id": bid_id})
        seen.add((proposal_id, org_id))
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.create_index(
            'uq_bid_live', ['proposal_id', 'organisation_id'], unique=True,
            sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.drop_index('uq_bid_live')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('email')
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_username'), ['username'], unique=False)
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_user_at')
        batch_op.drop_index('ix_login_attempt_address_at')
        batch_op.drop_index('ix_login_attempt_username_at')
    op.drop_table('login_attempt')
