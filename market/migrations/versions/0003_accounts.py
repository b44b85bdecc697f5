"""accounts and hardening: login attempts (throttle and history), e-mail, forced password
change, token expiry, one live bid per recycler and proposal (2026-12-06)"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

from market.migrations.columns import (
    fk,
    flag,
    partial_unique_index,
    stamp,
    string,
    table,
)

revision = "0003_accounts"
down_revision = "0002"

LIVE = "status IN ('open', 'on_hold')"
TOKEN_DAYS = 30


def upgrade() -> None:
    table(
        "login_attempt",
        string("username", 80),
        fk("user_id", "users", nullable=True),
        string("address", 64),
        stamp("attempted_at"),
        flag("succeeded"),
    )
    op.create_index("ix_login_attempt_username_at", "login_attempt", ["username", "attempted_at"])
    op.create_index("ix_login_attempt_address_at", "login_attempt", ["address", "attempted_at"])
    op.create_index("ix_login_attempt_user_at", "login_attempt", ["user_id", "attempted_at"])
    op.drop_table("login_failure")

    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(string("email", 254, nullable=True))
        batch_op.add_column(flag("must_change_password", server_default=sa.false()))

    with op.batch_alter_table("api_token") as batch_op:
        batch_op.add_column(stamp("expires_at", nullable=True))
    # tokens issued before expiry existed: 30 days from now, not from their issue (which could
    # end a working integration the moment the upgrade runs)
    api_token = sa.table("api_token", sa.column("expires_at", UTCDateTime()))
    op.execute(
        api_token.update()
        .where(api_token.c.expires_at.is_(None))
        .values(expires_at=datetime.now(UTC) + timedelta(days=TOKEN_DAYS))
    )

    # a race could leave several live bids of one recycler on one proposal: keep the newest
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT id, proposal_id, organisation_id FROM bid WHERE {LIVE} ORDER BY id DESC")
    ).all()
    seen: set[tuple[int, int]] = set()
    for bid_id, proposal_id, org_id in rows:
        if (proposal_id, org_id) in seen:
            bind.execute(
                sa.text("UPDATE bid SET status = 'withdrawn' WHERE id = :id"), {"id": bid_id}
            )
        seen.add((proposal_id, org_id))
    partial_unique_index("uq_bid_live", "bid", ["proposal_id", "organisation_id"], LIVE)


def downgrade() -> None:
    op.drop_index("uq_bid_live", table_name="bid")
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("email")
    # as 0001 made it
    table("login_failure", string("username", 80), stamp("failed_at"), indexed=["username"])
    op.drop_table("login_attempt")
