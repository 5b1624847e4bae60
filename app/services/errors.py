"""Domain errors: raised by services, turned into messages and status codes at the edges."""


class DomainError(Exception):
    """A rule of the domain refused the operation; the message says why."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The record does not exist, or is outside the user's regions."""


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (unreadable, wrong header, unknown format)."""


class RowRejected(DomainError):
    """One row of an import is refused; the import goes on with the next row."""
