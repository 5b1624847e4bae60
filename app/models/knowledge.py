"""The knowledge base (issue 21): articles that tell staff, and through the portal the
customers, how to solve a problem. An article is written in one language; its translations
share its slug. Public articles appear in the portal, internal ones only to staff. Tickets
name the articles that solved them (TicketArticle).

Full-text search is not mapped here: PostgreSQL searches an expression index over the
title and body (ix_article_search_fts), SQLite the FTS5 table article_fts kept in step by
triggers; both are made by migration 0030 (see app/services/care/knowledge.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.crm import LANGUAGE_CODES, Timestamped
from app.models.tickets import Ticket
from app.models.types import UTCDateTime, one_of, utcnow


class ArticleCategory(StrEnum):
    BILLING = "billing"
    NETWORK = "network"
    DEVICES = "devices"
    SERVICES = "services"
    ACCOUNT = "account"
    PROCEDURES = "procedures"  # how staff do a job; usually internal


class Article(Timestamped, Model):
    __tablename__ = "article"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(one_of("language", LANGUAGE_CODES), name="ck_article_language"),
        CheckConstraint(one_of("category", ArticleCategory), name="ck_article_category"),
        # one article per language in a group of translations
        UniqueConstraint("slug", "language", name="uq_article_slug_language"),
        # the list of a language, latest first
        Index("ix_article_language_updated", "language", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # names the group of translations, and the article in the portal's addresses
    slug: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown, sanitised when rendered
    public: Mapped[bool] = mapped_column(default=False)
    author: Mapped[str] = mapped_column(String(128))
    updated_by: Mapped[str] = mapped_column(String(128))

    def __str__(self) -> str:
        return self.title


class TicketArticle(Model):
    """An article attached to a ticket, by whom and when."""

    __tablename__ = "ticket_article"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), primary_key=True, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(128))

    ticket: Mapped[Ticket] = relationship()
    article: Mapped[Article] = relationship()
