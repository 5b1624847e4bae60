"""Small files of every kind an interaction may keep, and of kinds it may not: real files
where a library here writes them, else their first bytes as the format defines them."""

import io
import wave

import pytest
import segno
from pypdf import PdfWriter


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    segno.make("INT-000001").save(out, kind="png")
    return out.getvalue()


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x00" * 800)  # a tenth of a second of silence
    return out.getvalue()


FILLER = bytes(range(256)) * 4
ALLOWED = {
    "pdf": pdf,
    "png": png,
    "jpeg": lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + FILLER,
    "tiff": lambda: b"II*\x00\x08\x00\x00\x00" + FILLER,
    "mp3": lambda: b"ID3\x04\x00\x00\x00\x00\x00\x00" + FILLER,
    "wav": wav,
    "ogg": lambda: b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00" + FILLER,
    "m4a": lambda: b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + FILLER,
}
# a Windows program, as its first bytes say
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + FILLER
PAGE = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(name="attachment_dir")
def attachment_dir_fixture(app, monkeypatch, tmp_path):
    """The attachment store of this test alone."""
    folder = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(folder))
    return folder


def stored_files(folder) -> list:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
