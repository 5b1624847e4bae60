"""customer acquisition: applications and their events, the blacklist, the credit rule
table and each credit class's terms per currency

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:30:00

Credit classes say which payment modes they allow and whether they accept an applicant at
all (E does not); billing accounts keep the deposit asked when they were opened. The
default rule table and terms are the policy README.md documents; supervisors edit them.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.models.types

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

HISTORIES = "('good', 'fair', 'poor', 'bad', 'none')"


def upgrade():
    op.create_table(
        "credit_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("customer_kind", sa.String(length=16), nullable=True),
        sa.Column("credit_history", sa.String(length=16), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("min_income", app.models.types.ExactDecimal(), nullable=True),
        sa.Column("max_income", app.models.types.ExactDecimal(), nullable=True),
        sa.Column("min_debt_ratio", app.models.types.ExactDecimal(scale=2), nullable=True),
        sa.Column("max_debt_ratio", app.models.types.ExactDecimal(scale=2), nullable=True),
        sa.Column("credit_class", sa.String(length=1), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "credit_class in ('A', 'B', 'C', 'D', 'E')", name="ck_credit_rule_class"
        ),
        sa.CheckConstraint(
            "customer_kind is null or customer_kind in ('individual', 'company')",
            name="ck_credit_rule_kind",
        ),
        sa.CheckConstraint(
            f"credit_history is null or credit_history in {HISTORIES}",
            name="ck_credit_rule_history",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("position"),
    )
    op.create_table(
        "credit_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_class_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("credit_limit", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("deposit", app.models.types.ExactDecimal(), nullable=False),
        sa.CheckConstraint("credit_limit >= 0 and deposit >= 0", name="ck_credit_terms_amounts"),
        sa.ForeignKeyConstraint(["credit_class_id"], ["credit_class.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_class_id", "currency", name="uq_credit_terms_class_currency"),
    )
    op.create_index(op.f("ix_credit_terms_credit_class_id"), "credit_terms", ["credit_class_id"])
    op.create_table(
        "blacklist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('document', 'phone', 'email', 'iban')", name="ck_blacklist_kind"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "value", name="uq_blacklist_kind_value"),
    )
    op.create_table(
        "application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("document_type", sa.String(length=32), nullable=False),
        sa.Column("document_number", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("monthly_income", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("existing_debt", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("credit_history", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("product_codes", sa.JSON(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("check_status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("credit_class", sa.String(length=1), nullable=False),
        sa.Column("credit_rule_id", sa.Integer(), nullable=True),
        sa.Column("credit_rule", sa.String(length=300), nullable=False),
        sa.Column("credit_limit", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("deposit", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("payment_modes", sa.JSON(), nullable=False),
        sa.Column("max_lines", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.String(length=1000), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status in ('passed', 'review', 'rejected', 'accepted')",
            name="ck_application_status",
        ),
        sa.CheckConstraint(
            "check_status in ('passed', 'review', 'rejected')",
            name="ck_application_check_status",
        ),
        sa.CheckConstraint("kind in ('individual', 'company')", name="ck_application_kind"),
        sa.CheckConstraint(f"credit_history in {HISTORIES}", name="ck_application_history"),
        sa.CheckConstraint("source in ('staff', 'api', 'portal')", name="ck_application_source"),
        sa.ForeignKeyConstraint(["account_id"], ["billing_account.id"]),
        sa.ForeignKeyConstraint(["credit_rule_id"], ["credit_rule.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["customer_order.id"]),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index(op.f("ix_application_region_id"), "application", ["region_id"])
    op.create_index(op.f("ix_application_customer_id"), "application", ["customer_id"])
    op.create_index("ix_application_phone_created", "application", ["phone", "created_at"])
    op.create_index("ix_application_email_created", "application", ["email", "created_at"])
    op.create_index("ix_application_document", "application", ["document_number"])
    op.create_index("ix_application_status_created", "application", ["status", "created_at"])
    op.create_table(
        "application_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_application_event_application_id"), "application_event", ["application_id"]
    )
    with op.batch_alter_table("credit_class") as batch_op:
        batch_op.add_column(
            sa.Column(
                "payment_modes",
                sa.JSON(),
                server_default='["prepaid", "postpaid"]',
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("accepts", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("billing_account") as batch_op:
        batch_op.add_column(
            sa.Column(
                "deposit", app.models.types.ExactDecimal(), server_default="0", nullable=False
            )
        )
    seed()


def seed():
    """The default policy: classes A–C both payment modes, D prepaid only, E rejected; the
    rule table and each class's limit and deposit per currency."""
    credit_class = sa.table(
        "credit_class",
        sa.column("code"),
        sa.column("max_lines"),
        sa.column("payment_modes", sa.JSON()),
        sa.column("accepts", sa.Boolean()),
    )
    policy = {
        "A": (10, ["prepaid", "postpaid"], True),
        "B": (5, ["prepaid", "postpaid"], True),
        "C": (3, ["prepaid", "postpaid"], True),
        "D": (2, ["prepaid"], True),
        "E": (0, [], False),
    }
    for code, (max_lines, modes, accepts) in policy.items():
        op.execute(
            credit_class.update()
            .where(credit_class.c.code == code)
            .values(max_lines=max_lines, payment_modes=modes, accepts=accepts)
        )
    terms = {  # class → currency → (credit limit, deposit)
        "A": {"EUR": (500, 0), "KRW": (700_000, 0), "RUB": (50_000, 0)},
        "B": {"EUR": (250, 0), "KRW": (350_000, 0), "RUB": (25_000, 0)},
        "C": {"EUR": (100, 50), "KRW": (150_000, 70_000), "RUB": (10_000, 5_000)},
        "D": {"EUR": (0, 0), "KRW": (0, 0), "RUB": (0, 0)},
    }
    connection = op.get_bind()
    ids = dict(connection.execute(sa.text("SELECT code, id FROM credit_class")).all())
    op.bulk_insert(
        sa.table(
            "credit_terms",
            sa.column("credit_class_id"),
            sa.column("currency"),
            sa.column("credit_limit", app.models.types.ExactDecimal()),
            sa.column("deposit", app.models.types.ExactDecimal()),
        ),
        [
            {
                "credit_class_id": ids[code],
                "currency": currency,
                "credit_limit": limit,
                "deposit": deposit,
            }
            for code, by_currency in terms.items()
            for currency, (limit, deposit) in by_currency.items()
        ],
    )
    # position, kind, history, currency, income from, income to, ratio from, ratio to,
    # class, why (income in `currency`, a bound of 0 in any; ratio = debt / monthly income)
    rules = [
        (10, None, "bad", None, None, None, None, None, "E", "bad credit history"),
        (20, None, None, None, None, None, 12, None, "E", "debt of a year's income or more"),
        (30, None, "poor", None, None, None, None, None, "D", "poor credit history"),
        (40, "individual", None, None, None, 0, None, None, "D", "an individual with no income"),
        (50, None, None, None, None, None, 6, None, "D", "debt of six months' income or more"),
        (60, None, "good", "EUR", 3_000, None, None, 1, "A", "good history, high income"),
        (61, None, "good", "KRW", 4_000_000, None, None, 1, "A", "good history, high income"),
        (62, None, "good", "RUB", 250_000, None, None, 1, "A", "good history, high income"),
        (70, None, "good", None, None, None, None, None, "B", "good credit history"),
        (80, None, "fair", None, None, None, None, None, "C", "fair credit history"),
        (90, None, "none", None, None, None, None, None, "C", "no credit history"),
        (100, None, None, None, None, None, None, None, "C", "anyone else"),
    ]
    money = app.models.types.ExactDecimal()
    ratio = app.models.types.ExactDecimal(scale=2)
    stamp = app.models.types.UTCDateTime(timezone=True)
    rule = sa.table(
        "credit_rule",
        sa.column("position"), sa.column("customer_kind"), sa.column("credit_history"),
        sa.column("currency"), sa.column("min_income", money), sa.column("max_income", money),
        sa.column("min_debt_ratio", ratio), sa.column("max_debt_ratio", ratio),
        sa.column("credit_class"), sa.column("description"), sa.column("created_at", stamp),
        sa.column("updated_at", stamp),
    )  # fmt: skip
    now = datetime.now(UTC)
    names = (
        "position", "customer_kind", "credit_history", "currency", "min_income", "max_income",
        "min_debt_ratio", "max_debt_ratio", "credit_class", "description",
    )  # fmt: skip
    op.bulk_insert(
        rule,
        [dict(zip(names, row, strict=True), created_at=now, updated_at=now) for row in rules],
    )


def downgrade():
    with op.batch_alter_table("billing_account") as batch_op:
        batch_op.drop_column("deposit")
    with op.batch_alter_table("credit_class") as batch_op:
        batch_op.drop_column("accepts")
        batch_op.drop_column("payment_modes")
    op.drop_index(op.f("ix_application_event_application_id"), table_name="application_event")
    op.drop_table("application_event")
    for index in (
        "ix_application_status_created",
        "ix_application_document",
        "ix_application_email_created",
        "ix_application_phone_created",
        op.f("ix_application_customer_id"),
        op.f("ix_application_region_id"),
    ):
        op.drop_index(index, table_name="application")
    op.drop_table("application")
    op.drop_table("blacklist_entry")
    op.drop_index(op.f("ix_credit_terms_credit_class_id"), table_name="credit_terms")
    op.drop_table("credit_terms")
    op.drop_table("credit_rule")
