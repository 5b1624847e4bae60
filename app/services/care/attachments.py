"""Files kept with an interaction: voice recordings and scanned documents.

A file is taken only when its content, read from its first bytes, is of an allowed type
(the name it came with says nothing: a program renamed `scan.pdf` is still a program) and
it is no larger than ATTACHMENT_MAX_BYTES. Its bytes go to the attachment store
(app/services/care/storage.py); the database keeps its name, type, size and key. Staff
read it only when they may read the interaction, through `get` with their regions.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.interactions import AttachmentKind, Interaction, InteractionAttachment
from app.services.care import storage
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import scoped

FIELD = "attachment"
AK = AttachmentKind
# what `filetype` calls each allowed type -> the kind kept and the media type it is served as
ALLOWED = {
    "pdf": (AK.PDF, "application/pdf"),
    "png": (AK.PNG, "image/png"),
    "jpg": (AK.JPEG, "image/jpeg"),
    "tif": (AK.TIFF, "image/tiff"),
    "mp3": (AK.MP3, "audio/mpeg"),
    "wav": (AK.WAV, "audio/wav"),
    "ogg": (AK.OGG, "audio/ogg"),
    "m4a": (AK.M4A, "audio/mp4"),
}
MEDIA_TYPES = {kind: media for kind, media in ALLOWED.values()}
EXTENSIONS = {AK.JPEG: "jpg", AK.TIFF: "tif"}  # the others' extension is their kind
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
NAME_LIMIT = InteractionAttachment.__table__.c.filename.type.length


def max_bytes() -> int:
    return current_app.config["ATTACHMENT_MAX_BYTES"]


def clean_name(filename: str | None) -> str:
    """The name as shown to staff: no folders (a browser may send a whole path), no
    control characters, short enough for its column, its extension kept."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    name = CONTROL.sub("", name).strip() or "attachment"
    if len(name) > NAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        keep = f"{dot}{extension}" if dot and len(extension) <= 10 else ""
        name = name[: NAME_LIMIT - len(keep)] + keep
    return name


def _size(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{size / 1024:.1f} KB"


def check(filename: str, data: bytes) -> AttachmentKind:
    """The kind of the file's content; DomainError naming the file and the reason when it
    is empty, too large or of a type not allowed."""
    limit = max_bytes()
    if not data:
        raise DomainError(FIELD, _l("%(name)s is empty", name=filename))
    if len(data) > limit:
        raise DomainError(
            FIELD,
            _l("%(name)s is larger than the %(limit)s allowed", name=filename,
               limit=_size(limit)),
        )  # fmt: skip
    found = filetype.guess(data)
    if found is None or found.extension not in ALLOWED:
        allowed = ", ".join(kind.value for kind in AttachmentKind)
        if found is None:
            reason = _l(
                "the content of %(name)s is of no allowed type (%(allowed)s)",
                name=filename, allowed=allowed,
            )  # fmt: skip
        else:
            reason = _l(
                "the content of %(name)s is %(found)s, not an allowed type (%(allowed)s)",
                name=filename, found=found.extension, allowed=allowed,
            )  # fmt: skip
        raise DomainError(FIELD, reason)
    return ALLOWED[found.extension][0]


def attach(interaction: Interaction, filename: str | None, data: bytes) -> InteractionAttachment:
    """Check the file and keep it with the interaction (in the caller's transaction).

    The bytes are stored before the row is written: should the transaction fail, the store
    holds a file no row names (harmless, and stored once), never a row without its file."""
    name = clean_name(filename)
    kind = check(name, data)
    key = storage.store().put(data)
    attachment = InteractionAttachment(
        interaction=interaction, filename=name, kind=kind, size=len(data), sha256=key
    )
    db.session.add(attachment)
    return attachment


def get(attachment_id: int, region_ids) -> InteractionAttachment:
    """The attachment, when its interaction is of a customer in the regions."""
    query = (
        select(InteractionAttachment)
        .join(Interaction, InteractionAttachment.interaction_id == Interaction.id)
        .where(InteractionAttachment.id == attachment_id)
    )
    attachment = db.session.scalar(scoped(query, Interaction, region_ids))
    if attachment is None:
        raise NotFound(FIELD, _l("not found"))
    return attachment


def content(attachment: InteractionAttachment) -> bytes:
    try:
        return storage.store().get(attachment.sha256)
    except storage.StoredFileMissing as exc:
        raise NotFound(FIELD, _l("the file is missing from the attachment store")) from exc


def media_type(attachment: InteractionAttachment) -> str:
    return MEDIA_TYPES[AttachmentKind(attachment.kind)]


def download_name(attachment: InteractionAttachment) -> str:
    """The name it is saved under: its own, with the extension of what it really is."""
    kind = AttachmentKind(attachment.kind)
    extension = EXTENSIONS.get(kind, kind.value)
    stem = attachment.filename
    if "." in stem:
        stem = stem.rsplit(".", 1)[0] or "attachment"
    return f"{stem}.{extension}"
