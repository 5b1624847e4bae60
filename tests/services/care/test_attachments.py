"""Attachments of interactions (app/services/care/attachments.py, storage.py): typed by
their content against an allow-list, never by their name; refused over the size limit;
kept outside the database under their SHA-256."""

import hashlib

import pytest

from app.services.care import attachments, storage
from app.services.platform.errors import DomainError
from tests.services.care import files
from tests.services.care.files import attachment_dir_fixture, stored_files  # noqa: F401


@pytest.mark.parametrize("kind", list(files.ALLOWED))
def test_every_allowed_type_is_recognised_by_its_content(ctx, kind):
    assert attachments.check("recording.bin", files.ALLOWED[kind]()) == kind


def test_a_png_named_pdf_is_taken_as_the_png_it_is(ctx):
    assert attachments.check("scan.pdf", files.png()) == "png"


def test_a_program_renamed_pdf_is_refused_naming_the_file_and_what_it_is(ctx):
    with pytest.raises(DomainError) as refused:
        attachments.check("invoice.pdf", files.PROGRAM)
    assert refused.value.field == "attachment"
    assert "invoice.pdf" in refused.value.message and "exe" in refused.value.message
    assert "pdf, png, jpeg, tiff, mp3, wav, ogg, m4a" in refused.value.message


def test_content_of_no_known_type_is_refused(ctx):
    with pytest.raises(DomainError, match="attachment: the content of page.pdf is of no"):
        attachments.check("page.pdf", files.PAGE)


def test_the_size_limit_is_a_byte_count(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 2048)
    recording = files.ALLOWED["mp3"]()
    exactly = recording + b"\x00" * (2048 - len(recording))
    assert attachments.check("call.mp3", exactly) == "mp3"
    with pytest.raises(DomainError, match="attachment: call.mp3 is larger than the 2.0 KB"):
        attachments.check("call.mp3", exactly + b"\x00")
    with pytest.raises(DomainError, match="attachment: call.mp3 is empty"):
        attachments.check("call.mp3", b"")


def test_names_keep_no_folder_no_control_character_and_fit_their_column(ctx):
    assert attachments.clean_name("C:\\Users\\anna\\скан договора.pdf") == "скан договора.pdf"
    assert attachments.clean_name("../../etc/passwd") == "passwd"
    assert attachments.clean_name("a\x00b\nc.png") == "abc.png"
    assert attachments.clean_name("") == "attachment"
    long = attachments.clean_name("x" * 500 + ".tiff")
    assert len(long) == 200 and long.endswith(".tiff")


def test_the_store_keeps_each_content_once_under_its_sha256(ctx, attachment_dir):
    store = storage.store()
    data = files.pdf()
    key = store.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert store.put(data) == key  # the same file again: still one file
    assert stored_files(attachment_dir) == [key]
    assert (attachment_dir / key[:2] / key[2:4] / key).read_bytes() == data
    assert store.get(key) == data
    store.delete(key)
    assert stored_files(attachment_dir) == []
    with pytest.raises(storage.StoredFileMissing):
        store.get(key)
    store.delete(key)  # nothing to forget: no error


def test_a_damaged_file_is_not_served(ctx, attachment_dir):
    store = storage.store()
    key = store.put(files.png())
    (attachment_dir / key[:2] / key[2:4] / key).write_bytes(b"\x89PNG tampered")
    with pytest.raises(storage.StoredFileMissing):
        store.get(key)


def test_a_key_is_never_a_path(ctx, attachment_dir):
    with pytest.raises(ValueError):
        storage.store().get("../../secret_key")


def test_without_a_setting_the_store_is_in_the_instance_directory(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", "")
    assert storage.store().root == app.config["INSTANCE_DIR"] / "attachments"
