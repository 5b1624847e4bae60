"""Markdown written by staff (knowledge-base articles) turned into HTML a page may show.

Markdown lets raw HTML through, so its output is cleaned by nh3 (the Ammonia sanitiser)
against an allow-list: text structure only, no images, styles, forms or scripts (whose
content is dropped, not shown as text), and links only to http, https and mailto
addresses, opened without handing the page to the target."""

import markdown
import nh3
from markupsafe import Markup

TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr",
    "ul", "ol", "li", "code", "pre", "em", "strong", "a", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
LINK_SCHEMES = ("http:", "https:", "mailto:")
EXTENSIONS = ("tables", "fenced_code", "sane_lists")


def _only_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    # relative addresses would lead into the admin UI from an article the portal shows
    if attribute == "href" and not value.strip().lower().startswith(LINK_SCHEMES):
        return None
    return value


def render(text: str) -> Markup:
    html = markdown.markdown(text or "", extensions=list(EXTENSIONS), output_format="html")
    return Markup(
        nh3.clean(
            html,
            tags=TAGS,
            attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
            url_schemes={"http", "https", "mailto"},
            attribute_filter=_only_absolute_links,
            link_rel="noopener noreferrer nofollow",
        )
    )
