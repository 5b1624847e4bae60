"""Where the files attached to interactions are kept: outside the database, each under the
SHA-256 of its content, so a file is stored once however often it is attached and its key
proves what it holds.

`store()` gives the store the settings choose. The one store today keeps the files in a
directory (ATTACHMENT_DIR, by default `attachments` in the instance directory); another
(an object store) needs only `put`, `get` and `delete`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app

KEY = re.compile(r"[0-9a-f]{64}")


class StoredFileMissing(Exception):
    """The database names a file the store does not have (or no longer has intact)."""


class AttachmentStore(Protocol):
    def put(self, data: bytes) -> str:
        """Keep the bytes; their key (the SHA-256 in hex)."""

    def get(self, key: str) -> bytes:
        """The bytes kept under the key; StoredFileMissing when they are gone or damaged."""

    def delete(self, key: str) -> None:
        """Forget the bytes kept under the key (nothing happens when there are none)."""


def key_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileSystemStore:
    """Files in a directory, two levels of folders by the key's first characters so that
    no folder grows too large: `ab/cd/abcd…`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise ValueError(f"not an attachment key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = key_of(data)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        # written aside and renamed: a reader never sees half a file, and two workers
        # storing the same file at once both leave it whole
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StoredFileMissing(key) from exc
        if key_of(data) != key:
            raise StoredFileMissing(key)
        return data

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def store() -> AttachmentStore:
    folder = current_app.config.get("ATTACHMENT_DIR") or (
        Path(current_app.config["INSTANCE_DIR"]) / "attachments"
    )
    return FileSystemStore(Path(folder))
