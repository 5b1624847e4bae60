"""the knowledge base (issue 21)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 10:00:00.000000

Articles and their links to tickets. Full-text search is engine-specific and made here by
hand (autogenerate ignores it, see include_in_autogenerate): on PostgreSQL a GIN index over
to_tsvector of the title and body in the article's language's configuration (the same
expression app/services/care/knowledge.py searches); on SQLite an FTS5 table with the
trigram tokenizer, kept in step with the articles by triggers.
"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

UTC = app.models.types.UTCDateTime

# must stay identical to knowledge.SEARCH_CONFIG and knowledge.document() for the index
# to be used
PG_DOCUMENT = (
    "to_tsvector(CASE language WHEN 'en' THEN 'english'::regconfig"
    " WHEN 'it' THEN 'italian'::regconfig WHEN 'ru' THEN 'russian'::regconfig"
    " ELSE 'simple'::regconfig END, title || ' ' || body)"
)
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE article_fts USING fts5(title, body, content='article',"
    " content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN"
    " INSERT INTO article_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN"
    " INSERT INTO article_fts (article_fts, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER article_fts_update AFTER UPDATE OF title, body ON article BEGIN"
    " INSERT INTO article_fts (article_fts, rowid, title, body)"
    " VALUES ('delete', old.id, old.title, old.body);"
    " INSERT INTO article_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END",
)


def upgrade():
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint("language in ('en', 'it', 'ko', 'ru')", name="ck_article_language"),
        sa.CheckConstraint(
            "category in ('billing', 'network', 'devices', 'services', 'account',"
            " 'procedures')",
            name="ck_article_category",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug", "language", name="uq_article_slug_language"),
    )
    op.create_index("ix_article_language_updated", "article", ["language", "updated_at"])
    op.create_table(
        "ticket_article",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("article.id"), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "article_id"),
    )
    op.create_index("ix_ticket_article_article_id", "ticket_article", ["article_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"CREATE INDEX ix_article_search_fts ON article USING gin ({PG_DOCUMENT})")
    elif dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_index("ix_article_search_fts", table_name="article")
    elif dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER article_fts_{trigger}")
        op.execute("DROP TABLE article_fts")
    op.drop_index("ix_ticket_article_article_id", table_name="ticket_article")
    op.drop_table("ticket_article")
    op.drop_index("ix_article_language_updated", table_name="article")
    op.drop_table("article")
