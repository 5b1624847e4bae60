"""escalation emails to the Supervisors (issue 21)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 11:00:00.000000

When the Supervisors were emailed about a ticket's escalation. Tickets escalated before
this revision count as told (their escalation note is in their thread): nobody is emailed
about an old breach on upgrade.
"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

UNMAILED = sa.text("escalated_at is not null and escalation_mailed_at is null")


def upgrade():
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(
            sa.Column("escalation_mailed_at", app.models.types.UTCDateTime(), nullable=True)
        )
    op.execute("UPDATE ticket SET escalation_mailed_at = escalated_at WHERE escalated_at IS NOT NULL")
    op.create_index(
        "ix_ticket_escalation_unmailed", "ticket", ["id"],
        sqlite_where=UNMAILED, postgresql_where=UNMAILED,
    )


def downgrade():
    op.drop_index("ix_ticket_escalation_unmailed", table_name="ticket")
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_column("escalation_mailed_at")
