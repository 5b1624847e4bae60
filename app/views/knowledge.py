"""Knowledge-base screens: the list with its search (by language and category), an
article's page with its translations, the editor with a preview (customer care and
Supervisors write articles, every staff member reads them), and the articles panel of a
ticket's page (attached ones and suggestions from its subject). The rules live in
app/services/care/knowledge.py; these pages collect input and show the outcome."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l

from app.extensions import appbuilder
from app.models.crm import LANGUAGE_CODES
from app.models.knowledge import ArticleCategory
from app.security import CARE_MENU, KNOWLEDGE, TICKETS
from app.services.care import knowledge, tickets
from app.services.care.markdown_text import render
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids
from app.views.base import posted_change

CATEGORY_LABELS = {
    ArticleCategory.BILLING: _l("Billing"),
    ArticleCategory.NETWORK: _l("Network"),
    ArticleCategory.DEVICES: _l("Devices"),
    ArticleCategory.SERVICES: _l("Services"),
    ArticleCategory.ACCOUNT: _l("Account"),
    ArticleCategory.PROCEDURES: _l("Procedures"),
}
FIELDS = ("language", "category", "title", "body", "slug")
SEARCH_ARGS = ("q", "language", "category")


def _labels() -> dict:
    return {"article_category_labels": CATEGORY_LABELS, "languages": LANGUAGE_CODES}


def _article(pk: int):
    try:
        return knowledge.get(pk)
    except NotFound:
        abort(404)


def _ticket(pk: int):
    try:
        return tickets.get(pk, current_region_ids())
    except NotFound:
        abort(404)


def ticket_knowledge(ticket) -> dict:
    """What the articles panel of a ticket's page shows the user (nothing without the
    right to read the knowledge base)."""
    if not appbuilder.sm.has_access("can_read", KNOWLEDGE):
        return {}
    return {
        "linked": knowledge.linked(ticket),
        "suggested": knowledge.suggested(ticket),
        "can_link": appbuilder.sm.has_access("can_write", TICKETS),
    }


class KnowledgeView(BaseView):
    route_base = "/care/knowledge"
    class_permission_name = KNOWLEDGE
    method_permission_name = {
        "list": "read",
        "show": "read",
        "new": "write",
        "edit": "write",
        # attaching an article is work on the ticket: checked against TICKETS as well
        "link": "read",
        "unlink": "read",
    }
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    def _can_write(self) -> bool:
        return self.appbuilder.sm.has_access("can_write", KNOWLEDGE)

    @expose("/")
    @has_access
    def list(self):
        values = {name: request.args.get(name, "").strip() for name in SEARCH_ARGS}
        language = values["language"] if values["language"] in LANGUAGE_CODES else None
        category = values["category"] if values["category"] in CATEGORY_LABELS else None
        found = knowledge.search(values["q"] or None, language=language, category=category)
        return self.render_template(
            "article_list.html",
            articles=found,
            values=values,
            can_write=self._can_write(),
            title=_l("Knowledge base"),
            **_labels(),
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        article = _article(pk)
        return self.render_template(
            "article.html",
            article=article,
            body=render(article.body),
            translations=knowledge.translations(article),
            missing=[code for code in LANGUAGE_CODES if code != article.language
                     and code not in {t.language for t in knowledge.translations(article)}],
            can_write=self._can_write(),
            title=article.title,
            **_labels(),
        )  # fmt: skip

    def _editor(self, values: dict, article=None, preview=None):
        return self.render_template(
            "article_form.html",
            values=values,
            article=article,
            preview=preview,
            title=_l("Edit the article") if article else _l("New article"),
            **_labels(),
        )

    def _posted(self) -> dict:
        if not DynamicForm().validate_on_submit():
            abort(400)
        values = {name: request.form.get(name, "") for name in FIELDS}
        values["public"] = request.form.get("public") == "1"
        return values

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        source = request.args.get("translation_of", type=int)
        original = _article(source) if source else None
        if request.method == "GET":
            values = {"language": "", "category": "", "title": "", "body": "", "slug": "",
                      "public": False}  # fmt: skip
            if original is not None:
                values.update(category=original.category, slug=original.slug,
                              public=original.public)  # fmt: skip
            return self._editor(values)
        values = self._posted()
        if "preview" in request.form:
            return self._editor(values, preview=render(values["body"]))
        try:
            article = knowledge.create(
                language=values["language"],
                category=values["category"],
                title=values["title"],
                body=values["body"],
                public=values["public"],
                slug=values["slug"].strip() or None,
            )
        except DomainError as exc:
            flash(exc.message, "danger")
            return self._editor(values)
        flash(str(_l("Article saved")), "success")
        return redirect(url_for("KnowledgeView.show", pk=article.id))

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        article = _article(pk)
        if request.method == "GET":
            values = {name: getattr(article, name) for name in FIELDS}
            values["public"] = article.public
            return self._editor(values, article)
        values = self._posted()
        values.update(language=article.language, slug=article.slug)
        if "preview" in request.form:
            return self._editor(values, article, preview=render(values["body"]))
        changes = {name: values[name] for name in knowledge.EDITABLE}
        try:
            knowledge.update(article, changes)
        except DomainError as exc:
            flash(exc.message, "danger")
            return self._editor(values, article)
        flash(str(_l("Article saved")), "success")
        return redirect(url_for("KnowledgeView.show", pk=article.id))

    def _ticket_to_work(self, ticket_id: int):
        if not self.appbuilder.sm.has_access("can_write", TICKETS):
            abort(403)
        return _ticket(ticket_id)

    @expose("/ticket/<int:ticket_id>/link", methods=["POST"])
    @has_access
    def link(self, ticket_id):
        ticket = self._ticket_to_work(ticket_id)
        return posted_change(
            lambda: knowledge.link(ticket, request.form.get("article", "")),
            lambda article: _l("Article attached: %(title)s", title=article.title),
            url_for("TicketView.show", pk=ticket.id),
        )

    @expose("/ticket/<int:ticket_id>/unlink/<int:article_id>", methods=["POST"])
    @has_access
    def unlink(self, ticket_id, article_id):
        ticket = self._ticket_to_work(ticket_id)
        return posted_change(
            lambda: knowledge.unlink(ticket, article_id),
            lambda _none: _l("Article detached"),
            url_for("TicketView.show", pk=ticket.id),
        )


def register(appbuilder) -> None:
    appbuilder.add_view(
        KnowledgeView,
        KNOWLEDGE,
        label=_l("Knowledge base"),
        icon="fa-book",
        category=CARE_MENU,
        category_label=_l("Care"),
        category_icon="fa-headset",
    )
    appbuilder.app.jinja_env.globals["ticket_knowledge"] = ticket_knowledge
