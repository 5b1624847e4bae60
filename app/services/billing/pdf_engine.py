"""What rendering thousands of bills in one process needs of xhtml2pdf and reportlab
beyond their public API (app/services/billing/pdf.py renders the bills).

- xhtml2pdf parses its own default stylesheet and the document's stylesheets again for
  every document: about 4 ms of every bill, for the same text each time. `install()`
  makes it keep the parsed rules of a stylesheet without at-rules for the life of the
  process.
- reportlab embeds in every document a subset of each TrueType font it draws with, made
  of the characters in the order the document first uses them, so no two bills share
  one: cutting the subset out of the font, compressing it and writing its widths and
  character map costs 1-2 ms a font. `SeededTTFont` gives every document the same first
  subset (the characters of the bills' languages) and makes those once per process; a
  character outside it goes to a second subset, made for that document.

Each patch checks first that the library still works the way it was written for (the
versions pyproject.toml pins) and raises RuntimeError when not: tests/services/
test_invoice_pdf_engine.py changes each checked attribute to show that a changed library
fails there, loudly, rather than drawing wrong bills.
"""

from __future__ import annotations

import inspect
import zlib
from collections import OrderedDict
from functools import cache, cached_property, wraps

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace
from xhtml2pdf.context import pisaContext

# a parsed stylesheet's rules, by its text, least recently used first: the bills need the
# default CSS and a sheet per body font; the bound keeps any other use of xhtml2pdf in the
# process from making it grow
PARSED_SHEETS: OrderedDict[str, object] = OrderedDict()
MAX_PARSED_SHEETS = 16


@cache
def install() -> None:
    """Patch xhtml2pdf once per process; raises RuntimeError when xhtml2pdf no longer
    looks the way the patch expects."""
    _check_css_hook()
    parse = pisaContext._parseCSSSource

    # wraps: the patched hook keeps the signature the check reads
    @wraps(parse)
    def parse_once(context, text, source_name):
        return _parsed_sheet(parse, context, text, source_name)

    pisaContext._parseCSSSource = parse_once


def _check_css_hook() -> None:
    """pisaContext.parseCSS parses each stylesheet, its default CSS included, with
    `_parseCSSSource(text, sourceName)` and builds the cascade from what it returns."""
    hook = getattr(pisaContext, "_parseCSSSource", None)
    if (
        hook is None
        or list(inspect.signature(hook).parameters) != ["self", "text", "sourceName"]
        or "_parseCSSSource" not in pisaContext.parseCSS.__code__.co_names
    ):
        raise RuntimeError(
            "xhtml2pdf no longer parses stylesheets with pisaContext._parseCSSSource(text, "
            "sourceName): review app/services/billing/pdf_engine.py"
        )


def _parsed_sheet(parse, context, text: str, source_name: str):
    """The rules of a stylesheet, parsed once. Only a sheet of plain rules: an at-rule
    (@page, @frame, @font-face, @import) acts on the document being parsed, and a custom
    property declared for :root is kept on the parser, so such a sheet is parsed every
    time. The rules are not changed by the cascade (CSSRuleset.mergeStyles copies a
    declaration block before it adds to it)."""
    if "@" in text or "--" in text:
        return parse(context, text, source_name)
    parsed = PARSED_SHEETS.get(text)
    if parsed is None:
        parsed = PARSED_SHEETS[text] = parse(context, text, source_name)
        if len(PARSED_SHEETS) > MAX_PARSED_SHEETS:
            PARSED_SHEETS.popitem(last=False)
    PARSED_SHEETS.move_to_end(text)
    return parsed


# --------------------------------------------------------------------------- fonts

# the codes of a subset that reportlab leaves to other characters than ASCII (which keeps
# its own codes, so that the PDF's text reads as ASCII)
FREE_CODES = [*range(1, 32), *range(128, 256)]


class SeededTTFont(TTFont):
    """A TrueType font whose first subset in every document holds the characters of
    `seed` besides ASCII, whether the document draws them or not; its objects in the PDF
    (font program, widths, character map) are made once."""

    def __init__(self, name: str, filename, seed: str):
        super().__init__(name, filename)
        # TTFont makes a plain face: this one replaces it (the file is read twice, once
        # per process)
        self.face = SeededFace(filename)
        codes = [ord(char) for char in seed if ord(char) in self.face.charToGlyph]
        if len(codes) > len(FREE_CODES) or any(code < 128 for code in codes):
            raise ValueError(f"{name}: a seed is at most {len(FREE_CODES)} non-ASCII characters")
        self.seed = codes
        self.face.seed = self._seeded_state().subsets[0]
        # subset 0's widths and compressed streams as made the last time, each by what
        # they were made from: (source, made)
        self.made: dict[str, tuple] = {}

    def splitString(self, text, doc, encoding="utf-8"):
        # the first text drawn in this font in a document makes the document's subsets
        if doc not in self.state:
            self.state[doc] = self._seeded_state()
        return super().splitString(text, doc, encoding)

    def _seeded_state(self) -> TTFont.State:
        """reportlab's subsets of a document, as splitString would leave them after the
        seed's characters, with the seed's codes unused (drawing nothing) up to 255, so
        that any other character starts subset 1."""
        state = TTFont.State(self._asciiReadable, self)
        first = state.subsets[0]
        if first != [0] * 32 + list(range(32, 128)) or state.nextCode != 1:
            raise RuntimeError(
                "reportlab no longer starts a TrueType subset with ASCII at its own codes: "
                "review app/services/billing/pdf_engine.py"
            )
        for code, char in zip(FREE_CODES, self.seed, strict=False):
            if code < 32:
                first[code] = char
            else:
                first.append(char)
            state.assignments[char] = code
        first.extend([0] * (256 - len(first)))
        state.nextCode = 256
        return state

    def addObjects(self, doc):
        """reportlab's objects of the font's subsets, those of subset 0 (always the
        seed's) with the content made the first time."""
        font_name = self.getSubsetInternalName(0, doc)[1:]
        super().addObjects(doc)
        try:
            font = doc.idToObject["BasicFonts"].dict[font_name]
            base_name, widths = font.BaseFont, font.Widths
            sequence = widths.sequence
        except (KeyError, AttributeError) as exc:
            raise RuntimeError(
                "reportlab no longer lists a font's subset among BasicFonts with its BaseFont "
                "and Widths: review app/services/billing/pdf_engine.py"
            ) from exc
        font.Widths = self._once("Widths", sequence, lambda: widths.format(doc))
        if doc.compression:
            self._compress_once(doc, f"fontFile:{self.face.filename}({base_name})")
            self._compress_once(doc, f"toUnicodeCMap:{base_name}")

    def _once(self, name: str, source, make) -> Formatted:
        """`make()` of subset 0's object `name`, made again only if its source changed."""
        made = self.made.get(name)
        if made is None or made[0] != source:
            made = self.made[name] = (source, Formatted(make()))
        return made[1]

    def _compress_once(self, doc, name: str) -> None:
        """The stream `name` of subset 0, compressed as reportlab would (PDFStream.format
        leaves a stream with a /Filter as it is)."""
        stream = doc.idToObject.get(name)
        if not isinstance(stream, pdfdoc.PDFStream) or stream.dictionary.dict.get("Filter"):
            raise RuntimeError(
                f"reportlab no longer adds a font's subset as the stream {name!r}: review "
                "app/services/billing/pdf_engine.py"
            )
        content = stream.content.encode() if isinstance(stream.content, str) else stream.content
        stream.content = self._once(name, content, lambda: zlib.compress(content)).formatted
        stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])


class SeededFace(TTFontFace):
    """A TrueType face that cuts its seeded subset (`seed`, set by SeededTTFont) out of
    the font once."""

    seed: list[int]

    @cached_property
    def seed_program(self) -> bytes:
        return super().makeSubset(self.seed)

    def makeSubset(self, subset):
        if subset == self.seed:
            return self.seed_program
        return super().makeSubset(subset)


class Formatted(pdfdoc.PDFObject):
    """A PDF object formatted once."""

    def __init__(self, formatted: bytes):
        self.formatted = formatted

    def format(self, document) -> bytes:
        return self.formatted
