"""users.session_epoch: logging out ends every copy of the session cookie (2026-11-24)"""

from alembic import op

from market.migrations.columns import integer

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(integer("session_epoch", server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_epoch")
