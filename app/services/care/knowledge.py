"""The knowledge base: articles written by staff in Markdown, per language, internal or
public (public ones appear in the portal: `public_articles`), searched in full text and
attached to the tickets they help solve.

Full-text search differs per engine, with the same meaning: every word of the query is
in the article (title or body), or any word of it for a ticket's suggestions.
- PostgreSQL: `to_tsvector` in the article's language's configuration (english, italian,
  russian; 'simple' for Korean, which has no stemmer) matched with `websearch_to_tsquery`,
  through the GIN index of migration 0030; Korean words inside longer words (compounds,
  words with their particles) are found by ILIKE as well.
- SQLite: the FTS5 table `article_fts` with the trigram tokenizer, which finds any
  substring of three characters or more; shorter words (many Korean words have two
  syllables) are found by LIKE.
Results come latest first.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, false, func, literal_column, or_, select, text

from app.extensions import db
from app.models.crm import LANGUAGE_CODES
from app.models.knowledge import Article, ArticleCategory, TicketArticle
from app.models.tickets import Ticket
from app.models.types import LARGEST_INTEGER, utcnow
from app.services.platform import validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.language import customer_language

# the configuration of each language, as the index of migration 0030 spells it
SEARCH_CONFIG = {"en": "english", "it": "italian", "ru": "russian", "ko": "simple"}
STEMMED = ("en", "it", "ru")
SLUG = re.compile(r"[\w-]+")  # fullmatch; \w: Korean and Russian titles make slugs too
BODY_LENGTH = 100_000
PAGE_SIZE = 50
SHORTEST_FTS_WORD = 3  # the trigram tokenizer's
SUGGESTIONS = 5


def _regconfig(name: str):
    return literal_column(f"'{name}'::regconfig")


def document():
    """The article's words as PostgreSQL indexes them (ix_article_search_fts)."""
    config = case(
        *((Article.language == code, _regconfig(SEARCH_CONFIG[code])) for code in STEMMED),
        else_=_regconfig("simple"),
    )
    return func.to_tsvector(config, Article.title.op("||")(" ").op("||")(Article.body))


def words_of(query: str | None) -> list[str]:
    """The query's words, without the quotes and operators the engines would read."""
    return [w for w in re.split(r"[\s\"'()*:^&|!<>+\-]+", query or "") if w]


def _contains(word: str):
    return or_(
        Article.title.icontains(word, autoescape=True),
        Article.body.icontains(word, autoescape=True),
    )


def _postgresql_match(words: list[str], languages, any_word: bool):
    joined = (" or " if any_word else " ").join(words)
    combine = or_ if any_word else and_
    conditions = []
    for code in languages:
        query = func.websearch_to_tsquery(_regconfig(SEARCH_CONFIG[code]), joined)
        found = document().op("@@")(query)
        if code == "ko":
            found = or_(found, combine(*(_contains(w) for w in words)))
        conditions.append(and_(Article.language == code, found))
    return or_(*conditions)


def _sqlite_match(words: list[str], any_word: bool):
    combine = or_ if any_word else and_
    long_words = [w for w in words if len(w) >= SHORTEST_FTS_WORD]
    conditions = [_contains(w) for w in words if len(w) < SHORTEST_FTS_WORD]
    if long_words:
        phrases = ('"' + w.replace('"', '""') + '"' for w in long_words)
        match = (" OR " if any_word else " ").join(phrases)
        conditions.append(
            Article.id.in_(
                select(literal_column("rowid"))
                .select_from(text("article_fts"))
                .where(text("article_fts MATCH :match").bindparams(match=match))
            )
        )
    return combine(*conditions)


def _matching(words: list[str], languages, any_word: bool):
    if db.engine.dialect.name == "postgresql":
        return _postgresql_match(words, languages, any_word)
    return _sqlite_match(words, any_word)


def search(query: str | None = None, *, language: str | None = None,
           category: str | None = None, public_only: bool = False, any_word: bool = False,
           exclude=(), limit: int = PAGE_SIZE) -> list[Article]:  # fmt: skip
    """Articles whose title or body hold every word of `query` (any word with `any_word`),
    of one language and category when given; only public ones with `public_only`."""
    statement = select(Article)
    languages = LANGUAGE_CODES
    if language:
        languages = (validation.check_language(language),)
        statement = statement.where(Article.language == language)
    if category:
        validation.check_choice("category", category, ArticleCategory)
        statement = statement.where(Article.category == category)
    if public_only:
        statement = statement.where(Article.public.is_(True))
    if exclude:
        statement = statement.where(Article.id.not_in(list(exclude)))
    words = words_of(query)
    if any_word:
        # a ticket's subject is a sentence: its little words would match everything
        words = [w for w in words if len(w) >= 2]
    if query and not words:
        statement = statement.where(false())
    elif words:
        statement = statement.where(_matching(words, languages, any_word))
    statement = statement.order_by(Article.updated_at.desc(), Article.id.desc()).limit(limit)
    return list(db.session.scalars(statement))


def public_articles(language: str, query: str | None = None,
                    limit: int = PAGE_SIZE) -> list[Article]:  # fmt: skip
    """The articles the portal shows a customer reading in `language`, found by `query`."""
    return search(query, language=language, public_only=True, limit=limit)


def public_versions(slug: str) -> list[Article]:
    """The public articles of a group of translations (the portal's page of one article),
    by language; an internal one is not among them."""
    return list(
        db.session.scalars(
            select(Article)
            .where(Article.slug == str(slug)[:100], Article.public.is_(True))
            .order_by(Article.language)
        )
    )


def get(article_id: int, *, public_only: bool = False) -> Article:
    article = db.session.get(Article, article_id)
    if article is None or (public_only and not article.public):
        raise NotFound("article", _l("not found"))
    return article


def translations(article: Article) -> list[Article]:
    """The same article in the other languages."""
    return list(
        db.session.scalars(
            select(Article)
            .where(Article.slug == article.slug, Article.id != article.id)
            .order_by(Article.language)
        )
    )


def slug_of(title: str) -> str:
    words = re.findall(r"\w+", title.lower())
    return "-".join(words)[:100].strip("-") or "article"


def _check_slug(slug) -> str:
    validation.required("slug", slug)
    validation.check_length(Article, "slug", slug)
    if not SLUG.fullmatch(slug):
        raise DomainError("slug", _l("only letters, digits and hyphens"))
    return slug


def _check_title(title) -> str:
    title = validation.required("title", (title or "").strip())
    validation.check_text("title", title)
    return validation.check_length(Article, "title", title)


def _check_body(body) -> str:
    body = validation.required("body", (body or "").strip())
    validation.check_text("body", body, multiline=True)
    if len(body) > BODY_LENGTH:
        raise DomainError("body", _l("longer than %(limit)s characters", limit=BODY_LENGTH))
    return body


def _check_free(slug: str, language: str, article_id: int | None = None) -> None:
    taken = select(Article.id).where(Article.slug == slug, Article.language == language)
    if article_id is not None:
        taken = taken.where(Article.id != article_id)
    if db.session.scalar(taken) is not None:
        raise DomainError(
            "language", _l("the article is already written in %(language)s", language=language)
        )


def create(*, language: str, category: str, title: str, body: str, public: bool = False,
           slug: str | None = None, translation_of: Article | None = None,
           now: datetime | None = None) -> Article:  # fmt: skip
    """A new article; a translation takes the slug of the article it translates."""
    now = now or utcnow()
    title = _check_title(title)
    if translation_of is not None:
        slug = translation_of.slug
    article = Article(
        slug=_check_slug(slug or slug_of(title)),
        language=validation.check_language(language),
        category=validation.check_choice("category", category, ArticleCategory),
        title=title,
        body=_check_body(body),
        public=bool(public),
        author=current_username(),
        updated_by=current_username(),
        created_at=now,
        updated_at=now,
    )
    _check_free(article.slug, article.language)
    db.session.add(article)
    db.session.commit()
    return article


EDITABLE = ("category", "title", "body", "public")


def update(article: Article, changes: dict, now: datetime | None = None) -> Article:
    """Rewrite an article (EDITABLE fields); its language and group stay."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(sorted(unknown)[0], _l("cannot be changed"))
    if "category" in changes:
        article.category = validation.check_choice("category", changes["category"],
                                                   ArticleCategory)  # fmt: skip
    if "title" in changes:
        article.title = _check_title(changes["title"])
    if "body" in changes:
        article.body = _check_body(changes["body"])
    if "public" in changes:
        article.public = bool(changes["public"])
    article.updated_by = current_username()
    article.updated_at = now or utcnow()
    db.session.commit()
    return article


# --------------------------------------------------------------------------- tickets


def linked(ticket: Ticket) -> list[Article]:
    return list(
        db.session.scalars(
            select(Article)
            .join(TicketArticle, TicketArticle.article_id == Article.id)
            .where(TicketArticle.ticket_id == ticket.id)
            .order_by(TicketArticle.at, Article.id)
        )
    )


def link(ticket: Ticket, article_id, now: datetime | None = None) -> Article:
    """Attach an article to a ticket the caller may work (once: twice changes nothing)."""
    article = get(validation.check_whole_between("article", article_id, 1, LARGEST_INTEGER))
    if db.session.get(TicketArticle, (ticket.id, article.id)) is None:
        db.session.add(
            TicketArticle(
                ticket_id=ticket.id,
                article_id=article.id,
                at=now or utcnow(),
                username=current_username(),
            )  # fmt: skip
        )
        db.session.commit()
    return article


def unlink(ticket: Ticket, article_id: int) -> None:
    row = db.session.get(TicketArticle, (ticket.id, article_id))
    if row is None:
        raise NotFound("article", _l("not found"))
    db.session.delete(row)
    db.session.commit()


def suggested(ticket: Ticket, limit: int = SUGGESTIONS) -> list[Article]:
    """Articles in the customer's language that share a word with the ticket's subject,
    but those already attached."""
    return search(
        ticket.subject,
        language=customer_language(ticket.customer),
        any_word=True,
        exclude=[a.id for a in linked(ticket)],
        limit=limit,
    )
