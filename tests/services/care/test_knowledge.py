"""The knowledge base: full-text search in the four languages on the engine in use,
internal and public articles, translations, Markdown sanitised, links from tickets."""

import pytest

from app.extensions import db
from app.models.knowledge import Article
from app.services.care import knowledge, tickets
from app.services.care.markdown_text import render
from app.services.platform.errors import DomainError, NotFound
from tests.services.care.ticketed import customer, rome

MONDAY = rome(2026, 3, 2, 10)


def _article(language, title, body, *, public=True, category="billing", **kwargs):
    return knowledge.create(language=language, category=category, title=title, body=body,
                            public=public, **kwargs)  # fmt: skip


@pytest.fixture
def library(ctx):
    return {
        "en": _article("en", "Roaming charges abroad",
                       "When you travel abroad, roaming charges apply to calls and data."),
        "it": _article("it", "Come pagare la bolletta",
                       "Puoi pagare la bolletta con addebito diretto o con la carta."),
        "ko": _article("ko", "요금제 변경 방법",
                       "요금제를 변경하려면 고객센터에 전화하세요."),
        "ru": _article("ru", "Как оплатить счёт",
                       "Счёт можно оплатить картой или через банк."),
        "internal": _article("en", "Waiving roaming fees", "Supervisors may waive roaming.",
                             public=False, category="procedures"),
    }  # fmt: skip


def _found(query, **kwargs):
    return {a.title for a in knowledge.search(query, **kwargs)}


@pytest.mark.parametrize(
    ("language", "query", "title"),
    [
        ("en", "roaming charge", "Roaming charges abroad"),
        ("en", "ABROAD data", "Roaming charges abroad"),
        ("it", "bolletta carta", "Come pagare la bolletta"),
        ("ru", "оплатить картой", "Как оплатить счёт"),
        ("ru", "БАНК", "Как оплатить счёт"),
        # Korean words inside longer ones: 요금 in 요금제를, 고객센 in 고객센터에
        ("ko", "요금", "요금제 변경 방법"),
        ("ko", "고객센", "요금제 변경 방법"),
        ("ko", "변경", "요금제 변경 방법"),
    ],
)
def test_full_text_search_finds_an_article_in_its_language(library, language, query, title):
    assert _found(query, language=language, public_only=True) == {title}
    assert title in _found(query)


def test_every_word_must_be_there_and_the_language_filters(library):
    assert _found("roaming bolletta") == set()
    assert _found("bolletta", language="en") == set()
    assert _found("roaming", language="en") == {"Roaming charges abroad", "Waiving roaming fees"}
    assert _found("nothing-like-this") == set()
    assert _found('"') == set()  # only quotes: no words, nothing found, no engine error
    assert _found("roaming", category="procedures") == {"Waiving roaming fees"}


def test_stemming_on_postgresql(library):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's trigrams find substrings, not other forms of a word")
    assert _found("bollette", language="it") == {"Come pagare la bolletta"}
    assert _found("travelling", language="en") == {"Roaming charges abroad"}


def test_internal_articles_stay_out_of_the_portal(library):
    assert {a.title for a in knowledge.public_articles("en")} == {"Roaming charges abroad"}
    assert {a.title for a in knowledge.public_articles("en", "roaming")} == {
        "Roaming charges abroad"
    }
    assert knowledge.public_articles("ko", "요금")[0].language == "ko"
    with pytest.raises(NotFound):
        knowledge.get(library["internal"].id, public_only=True)
    assert knowledge.get(library["internal"].id) == library["internal"]


def test_a_rewrite_is_searched_as_written(library):
    article = library["en"]
    knowledge.update(article, {"title": "Travel tips", "body": "Switch data off at sea."})
    assert _found("roaming", language="en") == {"Waiving roaming fees"}
    assert _found("data sea", language="en") == {"Travel tips"}
    assert article.updated_by == "system"
    db.session.delete(article)
    db.session.commit()
    assert _found("data sea", language="en") == set()


def test_translations_share_the_slug_once_per_language(library):
    english = library["en"]
    italian = _article("it", "Roaming all'estero", "Il roaming si paga.",
                       translation_of=english)  # fmt: skip
    assert italian.slug == english.slug == "roaming-charges-abroad"
    assert knowledge.translations(english) == [italian]
    with pytest.raises(DomainError) as refused:
        _article("it", "Ancora", "Doppio.", translation_of=english)
    assert refused.value.field == "language"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"language": "fr"}, "language"),
        ({"category": "gossip"}, "category"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "nul\x00"}, "body"),
        ({"slug": "no spaces"}, "slug"),
    ],
)
def test_bad_articles_are_refused_naming_the_field(ctx, change, field):
    fields = {"language": "en", "category": "billing", "title": "T", "body": "B", **change}
    with pytest.raises(DomainError) as refused:
        knowledge.create(**fields)
    assert refused.value.field == field
    assert db.session.scalar(db.select(db.func.count(Article.id))) == 0


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert('x')</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="jav&#x09;ascript:alert(1)">click</a>',
        '<p onclick="alert(1)">click</p>',
        "<iframe src=https://evil.example></iframe>",
        "[admin](/users/list/)",
    ],
)
def test_html_and_script_never_reach_the_page(markdown):
    html = str(render(f"Hello\n\n{markdown}"))
    for bad in ("<script", "alert", "onerror", "onclick", "javascript", "<img", "<iframe",
                "/users/list"):  # fmt: skip
        assert bad not in html


def test_markdown_keeps_its_structure():
    html = str(render("# Title\n\n* one\n* two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                      "> quoted\n\n`code` **bold** [site](https://example.test)"))  # fmt: skip
    for tag in ("<h1>", "<ul>", "<li>", "<table>", "<td>", "<blockquote>", "<code>", "<strong>"):
        assert tag in html
    assert '<a href="https://example.test" rel="noopener noreferrer nofollow">site</a>' in html


def _ticket(subject, language="en"):
    person = customer(language=language)
    return tickets.create(person.id, None, category="billing", priority="normal",
                          subject=subject, now=MONDAY)  # fmt: skip


def test_articles_are_linked_from_a_ticket_and_suggested_by_its_subject(library):
    ticket = _ticket("Huge roaming bill after my trip")
    assert {a.title for a in knowledge.suggested(ticket)} == {
        "Roaming charges abroad",
        "Waiving roaming fees",
    }
    knowledge.link(ticket, library["internal"].id)
    knowledge.link(ticket, str(library["internal"].id))  # twice: still once
    assert knowledge.linked(ticket) == [library["internal"]]
    assert [a.title for a in knowledge.suggested(ticket)] == ["Roaming charges abroad"]
    knowledge.unlink(ticket, library["internal"].id)
    assert knowledge.linked(ticket) == []
    with pytest.raises(NotFound):
        knowledge.unlink(ticket, library["internal"].id)
    with pytest.raises(DomainError):
        knowledge.link(ticket, "first")
    with pytest.raises(NotFound):
        knowledge.link(ticket, 999_999)


def test_suggestions_are_in_the_customers_language(library):
    ticket = _ticket("Non riesco a pagare la bolletta", language="it")
    assert [a.title for a in knowledge.suggested(ticket)] == ["Come pagare la bolletta"]


def test_the_public_versions_of_an_article_leave_internal_ones_out(ctx):
    english = _article("en", "Paying by card", "Pay with your card.", slug="pay-card")
    _article("ko", "카드 결제", "카드로 결제하세요.", slug="pay-card")
    _article("it", "Pagare con la carta", "Bozza interna.", slug="pay-card", public=False)
    assert [a.language for a in knowledge.public_versions("pay-card")] == ["en", "ko"]
    assert english in knowledge.public_versions("pay-card")
    assert knowledge.public_versions("nothing-here") == []
