"""The patches of xhtml2pdf and reportlab (app/services/billing/pdf_engine.py): each guard
passes on the versions installed (pinned in pyproject.toml) and, when the attribute it
checks is changed as a new version might change it, refuses loudly instead of drawing."""

import io

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from xhtml2pdf.context import pisaContext

from app.services.billing import pdf_engine
from app.services.billing.pdf import FONTS, SEED
from app.services.billing.pdf_engine import SeededTTFont

REVIEW = "review app/services/billing/pdf_engine.py"


def test_the_installed_xhtml2pdf_passes_the_stylesheet_guard():
    pdf_engine.install()
    pdf_engine._check_css_hook()


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(lambda mp: mp.delattr(pisaContext, "_parseCSSSource"), id="hook gone"),
        pytest.param(
            lambda mp: mp.setattr(
                pisaContext, "_parseCSSSource", lambda self, text, name, media=None: None
            ),
            id="hook takes other arguments",
        ),
        pytest.param(
            lambda mp: mp.setattr(pisaContext, "parseCSS", lambda self: None),
            id="parseCSS no longer calls the hook",
        ),
    ],
)
def test_a_changed_stylesheet_parser_is_refused(monkeypatch, changed):
    changed(monkeypatch)
    with pytest.raises(RuntimeError, match=REVIEW):
        # install() without its once-per-process cache: what a fresh process would do
        pdf_engine.install.__wrapped__()


def _font(name: str = "Guard Test") -> SeededTTFont:
    font = SeededTTFont(name, FONTS / "DejaVuSans.ttf", SEED)
    pdfmetrics.registerFont(font)
    return font


def _draw(font: SeededTTFont) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setFont(font.fontName, 10)
    page.drawString(72, 720, "Счёт № 1 — Fattura è pagata")
    page.save()
    return out.getvalue()


def test_the_installed_reportlab_passes_the_font_guards():
    assert _draw(_font()).startswith(b"%PDF")


def test_a_changed_subset_layout_is_refused(monkeypatch):
    class State(TTFont.State):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.nextCode = 0

    monkeypatch.setattr(TTFont, "State", State)
    with pytest.raises(RuntimeError, match=REVIEW):
        _font("Guard Layout")


def _after_add_objects(monkeypatch, change) -> None:
    add = TTFont.addObjects

    def changed(self, doc):
        add(self, doc)
        change(doc)

    monkeypatch.setattr(TTFont, "addObjects", changed)


def test_a_font_missing_from_basic_fonts_is_refused(monkeypatch):
    font = _font()
    _after_add_objects(monkeypatch, lambda doc: doc.idToObject["BasicFonts"].dict.clear())
    with pytest.raises(RuntimeError, match=REVIEW):
        _draw(font)


def _rename_streams(doc) -> None:
    for name in [n for n in doc.idToObject if str(n).startswith("fontFile:")]:
        doc.idToObject["renamed" + name] = doc.idToObject.pop(name)


def _compress_streams(doc) -> None:
    from reportlab.pdfbase import pdfdoc

    for name, stream in doc.idToObject.items():
        if str(name).startswith("toUnicodeCMap:"):
            stream.dictionary["Filter"] = pdfdoc.PDFName("FlateDecode")


@pytest.mark.parametrize("change", [_rename_streams, _compress_streams])
def test_a_font_stream_made_otherwise_is_refused(monkeypatch, change):
    font = _font()
    _after_add_objects(monkeypatch, change)
    with pytest.raises(RuntimeError, match=REVIEW):
        _draw(font)


def test_a_seed_with_ascii_is_refused():
    with pytest.raises(ValueError, match="seed"):
        SeededTTFont("Guard Seed", FONTS / "DejaVuSans.ttf", "Aж")
