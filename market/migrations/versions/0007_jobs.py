"""jobs: long work (match runs, the planner, siting, the tamper check) queued for workers
(2026-12-06)"""

import sqlalchemy as sa
from alembic import op

from market.migrations.columns import (
    fk,
    flag,
    integer,
    json,
    number,
    stamp,
    string,
    table,
)

revision = "0007_jobs"
down_revision = "0006_papers"


def upgrade() -> None:
    table(
        "job",
        string("kind", 20),
        string("status", 20),
        json("params"),
        json("result", nullable=True),
        string("result_url", 200, nullable=True),
        string("error", 2000, nullable=True),
        number("progress"),
        string("stage", 100),
        integer("attempts"),
        integer("max_attempts"),
        flag("cancel_requested", server_default=sa.false()),
        fk("created_by", "users", nullable=True),
        fk("organisation_id", "organisation", nullable=True),
        stamp("created_at"),
        stamp("started_at", nullable=True),
        stamp("heartbeat_at", nullable=True),
        stamp("finished_at", nullable=True),
        string("worker", 120, nullable=True),
        indexed=["created_by", "organisation_id"],
    )
    op.create_index("ix_job_status_id", "job", ["status", "id"])


def downgrade() -> None:
    op.drop_table("job")
