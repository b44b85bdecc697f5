"""papers: the driver and weighbridge ticket of a delivery, the lab report of a lot
(2026-12-06)"""

from market.migrations.columns import drop_tables, fk, stamp, string, table

revision = "0006_papers"
down_revision = "0005_daily_work"


def upgrade() -> None:
    table(
        "delivery_papers",
        fk("delivery_id", "delivery"),
        string("driver", 60),
        fk("ticket_document_id", "document", nullable=True),
        string("ticket_sha256", 64),
        fk("ticket_by", "users", nullable=True),
        stamp("ticket_at", nullable=True),
        key=["delivery_id"],
    )
    table(
        "lot_lab_report",
        fk("lot_id", "lot"),
        fk("document_id", "document"),
        string("sha256", 64),
        fk("attached_by", "users"),
        stamp("attached_at"),
        key=["lot_id"],
    )


def downgrade() -> None:
    drop_tables("lot_lab_report", "delivery_papers")
