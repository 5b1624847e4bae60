"""Domain errors: raised by services, turned into messages and status codes at the edges.

A message is "field: reason". The field is the stable name of the attribute or column
(never translated, so operators can grep rejects); the reason is translated into the
language of whoever is acting (the CLI and jobs use the default, English).
"""


class DomainError(Exception):
    """A rule of the domain refused the operation; `message` says which field and why."""

    def __init__(self, field: str | None, reason, *, column: str | None = None):
        self.field = field
        self.reason = str(reason)
        label = column or field
        self.message = f"{label}: {self.reason}" if label else self.reason
        super().__init__(self.message)


class NotFound(DomainError):
    """The record does not exist, or is outside the user's regions."""


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (unreadable, wrong header, unknown format)."""
