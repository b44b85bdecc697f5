"""daily work: notifications, the mail outbox, mail preferences, each user's language
(2026-12-06)"""

from alembic import op

from market.migrations.columns import drop_tables, fk, integer, json, stamp, string, table

revision = "0005_daily_work"
down_revision = "0004"


def upgrade() -> None:
    table(
        "mail_preference",
        fk("user_id", "users"),
        json("kinds"),
        stamp("updated_at"),
        key=["user_id"],
    )
    table(
        "notification",
        fk("user_id", "users"),
        string("kind", 40),
        json("params"),
        string("url", 300),
        stamp("created_at"),
        stamp("read_at", nullable=True),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at"])
    table(
        "mail_outbox",
        fk("user_id", "users"),
        fk("notification_id", "notification", nullable=True),
        string("to_addr", 254),
        string("subject", 300),
        string("body"),
        string("link", 300),
        stamp("created_at"),
        stamp("next_attempt_at"),
        integer("attempts"),
        string("last_error", 500),
        stamp("claimed_until", nullable=True),
        string("claim", 40),
        stamp("sent_at", nullable=True),
        indexed=["user_id"],
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["sent_at", "next_attempt_at"])

    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(string("lang", 5, server_default="zh"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("lang")
    drop_tables("mail_outbox", "notification", "mail_preference")
