"""Knowledge-base screens: search by language, an article's page with its body sanitised,
the editor and its preview (customer care and Supervisors only), and the articles panel
of a ticket's page with its attach and detach buttons."""

import pytest

from app.extensions import db
from app.models.knowledge import Article, TicketArticle
from app.services.care import knowledge, tickets
from app.services.platform.actor import acting_as
from tests.services.care.ticketed import customer

EVIL = (
    "Restart the router.\n\n<script>alert('x')</script>\n\n"
    '<img src=x onerror="alert(1)"> [click](javascript:alert(1))'
)


def _article(app, language="en", title="Router restart", body="Unplug the router.",
             public=True) -> int:  # fmt: skip
    with app.app_context(), acting_as():
        return knowledge.create(language=language, category="devices", title=title,
                                body=body, public=public).id  # fmt: skip


def _no_script(page: str) -> None:
    for bad in ("<script>alert", "onerror", "javascript:alert"):
        assert bad not in page


def _post(user, url: str, page: str, data: dict | None = None):
    return user.client.post(
        url, data={**(data or {}), "csrf_token": user.csrf(page)}, follow_redirects=True
    )


def test_the_list_searches_by_language(app, login):
    _article(app, "en", "Router restart", "Unplug the router.")
    _article(app, "ru", "Перезагрузка роутера", "Отключите роутер от сети.")
    _article(app, "ko", "공유기 재시작", "공유기의 전원을 끄세요.")
    technician = login("technician")
    page = technician.get("/care/knowledge/?q=router").get_data(as_text=True)
    assert "Router restart" in page and "Перезагрузка" not in page
    page = technician.get("/care/knowledge/?q=роутер&language=ru").get_data(as_text=True)
    assert "Перезагрузка роутера" in page and "Router restart" not in page
    page = technician.get("/care/knowledge/?q=공유&language=ko").get_data(as_text=True)
    assert "공유기 재시작" in page
    page = technician.get("/care/knowledge/?q=router&language=ko").get_data(as_text=True)
    assert "Router restart" not in page
    assert 'id="article-new"' not in page  # technicians read, do not write


def test_html_in_an_article_never_reaches_its_page(app, login):
    pk = _article(app, body=EVIL, public=False)
    page = login("billing").get(f"/care/knowledge/{pk}").get_data(as_text=True)
    assert "Restart the router." in page and 'id="article-audience"' in page
    _no_script(page)


def test_customer_care_writes_with_a_preview(app, login):
    csr = login("csr")
    new = "/care/knowledge/new"
    preview = _post(csr, new, new, {"language": "en", "category": "devices",
                                    "title": "Router", "body": EVIL, "preview": "1"})  # fmt: skip
    text = preview.get_data(as_text=True)
    assert 'id="article-preview"' in text and "Restart the router." in text
    _no_script(text.split('id="article-preview"')[1])
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Article.id))) == 0
    refused = _post(csr, new, new, {"language": "en", "category": "devices", "title": ""})
    assert "title: required" in refused.get_data(as_text=True)
    saved = _post(csr, new, new, {"language": "en", "category": "devices", "title": "Router",
                                  "body": "Unplug it.", "public": "1"})  # fmt: skip
    assert "Unplug it." in saved.get_data(as_text=True)
    with app.app_context():
        article = db.session.scalar(db.select(Article))
        assert (article.author, article.public, article.slug) == ("csr", True, "router")
        pk = article.id
    edit = f"/care/knowledge/{pk}/edit"
    _post(csr, edit, edit, {"category": "network", "title": "Router again",
                            "body": "Plug it back."})  # fmt: skip
    with app.app_context():
        article = db.session.get(Article, pk)
        assert (article.title, article.category, article.public) == ("Router again",
                                                                     "network", False)  # fmt: skip
    translate = f"/care/knowledge/new?translation_of={pk}"
    _post(csr, translate, translate, {"language": "it", "category": "network",
                                      "title": "Il router", "body": "Riattaccalo.",
                                      "slug": "router"})  # fmt: skip
    page = csr.get(f"/care/knowledge/{pk}").get_data(as_text=True)
    assert "Il router" in page


@pytest.mark.parametrize("username", ["billing", "technician"])
def test_only_customer_care_and_supervisors_write(app, login, username):
    pk = _article(app)
    user = login(username)
    assert user.get("/care/knowledge/new").status_code in (302, 403)
    token = user.csrf("/resetmypassword/form")
    denied = user.client.post(f"/care/knowledge/{pk}/edit",
                              data={"title": "x", "body": "y", "csrf_token": token})  # fmt: skip
    assert denied.status_code in (302, 403)
    with app.app_context():
        assert db.session.get(Article, pk).title == "Router restart"
    assert login("supervisor").get("/care/knowledge/new").status_code == 200


def test_a_ticket_page_suggests_attaches_and_detaches_articles(app, login):
    pk = _article(app, "it", "Il router non si accende", "Controlla l'alimentatore.")
    _article(app, "it", "Come pagare", "Con la carta.")
    with app.app_context(), acting_as():
        person = customer("KV1")
        ticket_id = tickets.create(person.id, None, category="network_fault",
                                   priority="high", subject="Router spento").id  # fmt: skip
    csr = login("csr")
    url = f"/tickets/{ticket_id}"
    page = csr.get(url).get_data(as_text=True)
    suggested = page.split('id="ticket-suggested-articles"')[1].split("</ul>")[0]
    assert "Il router non si accende" in suggested and "Come pagare" not in suggested
    done = _post(csr, f"/care/knowledge/ticket/{ticket_id}/link", url, {"article": str(pk)})
    text = done.get_data(as_text=True)
    linked = text.split('id="ticket-articles"')[1].split("</ul>")[0]
    assert "Il router non si accende" in linked
    with app.app_context():
        assert db.session.scalar(db.select(TicketArticle.username)) == "csr"
    refused = _post(csr, f"/care/knowledge/ticket/{ticket_id}/link", url, {"article": "x"})
    assert "article:" in refused.get_data(as_text=True)
    _post(csr, f"/care/knowledge/ticket/{ticket_id}/unlink/{pk}", url)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(TicketArticle)) == 0
    # a ticket outside the user's regions is not there to attach to
    other = login("csr_ko")
    token = other.csrf("/resetmypassword/form")
    missing = other.client.post(f"/care/knowledge/ticket/{ticket_id}/link",
                                data={"article": str(pk), "csrf_token": token})  # fmt: skip
    assert missing.status_code == 404
